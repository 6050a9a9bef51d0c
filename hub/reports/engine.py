"""Answer a question from the smallest rollup that can, else from the facts behind an index.

`by` names dimensions and/or a time column ('day', 'hour', 'week'); the answer is the same whichever
source serves it, which the contract tests check.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from hub.stores.reports import Filters, ReportStore, Row
from models.report_cube import Cube, counts_of
from models.report_facts import CaseFact, ConversationFact, week_of

TIMES = ("day", "hour", "week")


async def summarize(
    store: ReportStore, cube: Cube, filters: Filters, by: tuple[str, ...] = (), *,
    measures: tuple[str, ...] | None = None, top: tuple[str, int] | None = None,
) -> list[Row]:
    """Counters (all, or `measures`) grouped by `by`, for the filters, sorted by the grouping values; with
    `top` (measure, n) only the n groups with the most of that measure, largest first."""
    wanted = measures or cube.measures
    times = [b for b in by if b in TIMES]
    if len(times) > 1:
        raise ValueError(f"one time column at most, not {times}")
    time = times[0] if times else "day"
    dims = set(filters.dims(cube)) | {b for b in by if b not in TIMES}
    grain = cube.choose(dims, time, whole_weeks=not times and "store" in dims and "store" not in filters.dims(cube))
    if grain is None:
        rows = await _from_facts(store, cube, filters, by)
    else:
        rows = await store.rollup(cube, grain, filters, tuple("period" if b in TIMES else b for b in by),
                                  measures=wanted, top=top if time != "week" else None)
        if time == "week" and grain.time == "day":  # a day grain answering weeks: fold days into their Monday
            rows = _fold_weeks(rows, by.index("week"))
        if time == "hour":
            rows = [(tuple(v[-2:] if b == "hour" else v for b, v in zip(by, key, strict=True)), c) for key, c in rows]
    if top is not None:
        return sorted(rows, key=lambda r: -r[1][top[0]])[:top[1]]
    return sorted(rows)


async def total(
    store: ReportStore, cube: Cube, filters: Filters, measures: tuple[str, ...] | None = None,
) -> dict[str, float]:
    """The counters (all, or `measures`) of everything in the filters."""
    rows = await summarize(store, cube, filters, measures=measures)
    return rows[0][1] if rows else dict.fromkeys(measures or cube.measures, 0)


def _fold_weeks(rows: list[Row], at: int) -> list[Row]:
    folded: dict[tuple[str, ...], dict[str, float]] = {}
    for key, counts in rows:
        week = week_of(date.fromisoformat(key[at]))
        target = folded.setdefault((*key[:at], week, *key[at + 1:]), dict.fromkeys(counts, 0))
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
