"""Answer a question from the smallest rollup that can, else from the facts behind an index.

`by` names dimensions and/or a time column ('day', 'hour', 'week'); the answer is the same whichever
source serves it, which the contract tests check.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from hub.reports.cube import Cube, counts_of
from hub.reports.facts import CaseFact, ConversationFact, week_of
from hub.reports.port import Filters, ReportStore, Row

TIMES = ("day", "hour", "week")


async def summarize(store: ReportStore, cube: Cube, filters: Filters, by: tuple[str, ...] = ()) -> list[Row]:
    """Counters grouped by `by`, for the filters, sorted by the grouping values."""
    times = [b for b in by if b in TIMES]
    if len(times) > 1:
        raise ValueError(f"one time column at most, not {times}")
    time = times[0] if times else "day"
    dims = set(filters.dims(cube)) | {b for b in by if b not in TIMES}
    grain = cube.choose(dims, time)
    if grain is None:
        return await _from_facts(store, cube, filters, by)
    rows = await store.rollup(cube, grain, filters, tuple("period" if b in TIMES else b for b in by))
    if time == "week" and grain.time == "day":  # a day grain answering weeks: fold days into their Monday
        return _fold_weeks(rows, by.index("week"), cube)
    if time == "hour":
        rows = [(tuple(v[-2:] if b == "hour" else v for b, v in zip(by, key, strict=True)), c) for key, c in rows]
    return sorted(rows)


async def total(store: ReportStore, cube: Cube, filters: Filters) -> dict[str, float]:
    """The counters of everything in the filters."""
    rows = await summarize(store, cube, filters)
    return rows[0][1] if rows else dict.fromkeys(cube.measures, 0)


def _fold_weeks(rows: list[Row], at: int, cube: Cube) -> list[Row]:
    folded: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: dict.fromkeys(cube.measures, 0))
    for key, counts in rows:
        week = week_of(date.fromisoformat(key[at]))
        target = folded[(*key[:at], week, *key[at + 1:])]
        for m, v in counts.items():
            target[m] += v
    return sorted(folded.items())


async def _from_facts(store: ReportStore, cube: Cube, filters: Filters, by: tuple[str, ...]) -> list[Row]:
    """The same sums over the facts the filters select (a store's, a region's): an index range, not a scan."""
    out: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: dict.fromkeys(cube.measures, 0))
    kind = ConversationFact if cube.name == "conversations" else CaseFact
    for raw in await store.facts(cube, filters, limit=None):
        fact = kind.from_row(raw)
        key = tuple(_value(raw, b) for b in by)
        target = out[key]
        for m, v in counts_of(cube, fact).items():
            target[m] += v
    return sorted(out.items())


def _value(raw: dict[str, object], name: str) -> str:
    if name == "hour":
        return f"{int(str(raw['hour'])):02d}"
    return str(raw[name] or "")
