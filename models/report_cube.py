"""The rollup cubes: which counters a fact adds, at which grains, and which grain answers a question.

A grain is a time resolution plus a few dimensions; every fact adds its counters to one row per grain.
A question (filters + grouping) goes to the smallest grain that has every dimension it names, or, when
none has (a store's own numbers), to the facts themselves through an index: never a scan of everything.
Percentiles come from histogram counters with fixed bucket edges, so they add up across rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.report_facts import LOW_CSAT, CaseFact, ConversationFact

# Upper edges (seconds) of the duration buckets; the last bucket is open-ended.
EDGES: tuple[float, ...] = (
    60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200, 432000, 864000,
)
BUCKETS = len(EDGES) + 1


def bucket(seconds: float) -> int:
    """The histogram bucket of a duration."""
    for n, edge in enumerate(EDGES):
        if seconds <= edge:
            return n
    return len(EDGES)


def percentile(hist: Sequence[int], q: float) -> float | None:
    """The upper edge of the bucket holding the q-quantile (None without data; inf past the last edge)."""
    total = sum(hist)
    if total == 0:
        return None
    rank, seen = q * total, 0
    for n, count in enumerate(hist):
        seen += count
        if seen >= rank and count:
            return EDGES[n] if n < len(EDGES) else float("inf")
    return float("inf")


def _hist(prefix: str) -> list[str]:
    return [f"{prefix}{n}" for n in range(BUCKETS)]


CONVERSATION_MEASURES: tuple[str, ...] = (
    "conversations", "handed_over", "contained", "resolved", "fr_n", "fr_met", "fr_sla", "res_n", "res_met",
    "res_sla", "handle_n", "handle_sum", "messages", "fallbacks", "unsure", "repeats", "csat_n", "csat_sum",
    "csat_low", "complaints", *_hist("fr_b"), *_hist("res_b"),
)
CASE_MEASURES: tuple[str, ...] = ("cases", "solved", "breached", "hops", *_hist("solve_b"))


def conversation_counts(f: ConversationFact) -> dict[str, float]:
    """What one conversation adds to every rollup row it falls in (only the counters it moves: sparse)."""
    c: dict[str, float] = {"conversations": 1}
    for name, flag in (("handed_over", f.handed_over), ("contained", f.contained), ("resolved", f.resolved),
                       ("repeats", f.repeat), ("complaints", f.complaint)):
        if flag:
            c[name] = 1
    if f.first_response_s is not None:
        c["fr_n"] = 1
        c[f"fr_b{bucket(f.first_response_s)}"] = 1
    if f.first_response_met is not None:
        c["fr_sla"], c["fr_met"] = 1, int(f.first_response_met)
    if f.resolution_s is not None:
        c["res_n"] = 1
        c[f"res_b{bucket(f.resolution_s)}"] = 1
    if f.resolution_met is not None:
        c["res_sla"], c["res_met"] = 1, int(f.resolution_met)
    if f.handle_s is not None:
        c["handle_n"], c["handle_sum"] = 1, f.handle_s
    for name, value in (("messages", f.messages), ("fallbacks", f.fallbacks), ("unsure", f.unsure)):
        if value:
            c[name] = value
    if f.csat is not None:
        c["csat_n"], c["csat_sum"], c["csat_low"] = 1, f.csat, int(f.csat <= LOW_CSAT)
    return c


def case_counts(f: CaseFact) -> dict[str, float]:
    """What one case adds to every rollup row it falls in (sparse)."""
    c: dict[str, float] = {"cases": 1, "solved": int(f.solved), "breached": int(f.sla_breached), "hops": f.hops}
    if f.solve_s is not None:
        c[f"solve_b{bucket(f.solve_s)}"] = 1
    return c


@dataclass(frozen=True)
class Grain:
    """A rollup resolution: its name, time dimension ('day', 'hour' or 'week') and dimensions."""

    name: str
    time: str
    dims: tuple[str, ...]


# Every dimension a rollup row may carry; a grain leaves the others ''.
CONVERSATION_DIMS = ("topic", "channel", "group", "reason", "region", "store", "operator")
CASE_DIMS = ("request_type", "channel", "group", "region", "store")

# Smallest first: a question goes to the first grain that has its dimensions, so the common questions (a
# period's totals, one dimension's split) read a few hundred rows however many conversations there are.
CONVERSATION_GRAINS = (
    Grain("t", "day", ()),
    Grain("tp", "day", ("topic",)),
    Grain("ch", "day", ("channel",)),
    Grain("g", "day", ("group",)),
    Grain("rg", "day", ("region",)),
    Grain("rc", "day", ("region", "channel")),
    Grain("o", "day", ("operator",)),
    Grain("h", "hour", ("group",)),
    Grain("d", "day", ("topic", "channel", "group", "reason")),
    Grain("r", "day", ("region", "topic")),
    Grain("s", "week", ("store", "region")),
)
CASE_GRAINS = (  # a store's cases sit in its own group ("store:118"): group is nearly as fine as store
    Grain("t", "day", ()),
    Grain("rt", "day", ("request_type",)),
    Grain("rg", "day", ("region",)),
    Grain("d", "day", ("request_type", "channel", "group", "region")),
    Grain("s", "week", ("store", "region")),
)


@dataclass(frozen=True)
class Cube:
    """One family of facts and their rollups."""

    name: str  # "conversations" or "cases"
    dims: tuple[str, ...]
    measures: tuple[str, ...]
    grains: tuple[Grain, ...]

    def choose(self, dims: set[str], time: str, *, whole_weeks: bool = False) -> Grain | None:
        """The first grain with every dimension asked for at a time resolution that can answer `time`; with
        `whole_weeks`, a week grain may answer a question of days (store tables count the weeks the period
        touches: per store and day there would be as many rows as conversations)."""
        for grain in self.grains:
            if dims <= set(grain.dims) and _answers(grain.time, time):
                return grain
        if whole_weeks and time == "day":
            return next((g for g in self.grains if dims <= set(g.dims) and g.time == "week"), None)
        return None


def _answers(have: str, want: str) -> bool:
    # An hour grain answers hourly questions only (it is kept for today's live view); a day grain answers
    # days and weeks; a week grain weeks.
    return have == want or (have == "day" and want == "week")


CONVERSATIONS = Cube("conversations", CONVERSATION_DIMS, CONVERSATION_MEASURES, CONVERSATION_GRAINS)
CASES = Cube("cases", CASE_DIMS, CASE_MEASURES, CASE_GRAINS)


def period_of(grain: Grain, day: str, hour: int, week: str) -> str:
    """The period key of a fact in `grain`: '2026-03-02', '2026-03-02T09' or the week's Monday."""
    if grain.time == "hour":
        return f"{day}T{hour:02d}"
    return week if grain.time == "week" else day


def rollup_keys(cube: Cube, fact: ConversationFact | CaseFact) -> list[tuple[str, ...]]:
    """The (grain, period, *dims) row key the fact adds to in each grain of `cube`."""
    values = fact.row()
    keys = []
    for grain in cube.grains:
        dims = tuple(str(values[d] or "") if d in grain.dims else "" for d in cube.dims)
        keys.append((grain.name, period_of(grain, fact.day, fact.hour, fact.week), *dims))
    return keys


def counts_of(cube: Cube, fact: ConversationFact | CaseFact) -> dict[str, float]:
    """The counters of a fact in `cube`."""
    if isinstance(fact, ConversationFact):
        return conversation_counts(fact)
    return case_counts(fact)


def deltas(
    cube: Cube, old: ConversationFact | CaseFact | None, new: ConversationFact | CaseFact | None,
) -> dict[tuple[str, ...], dict[str, float]]:
    """Per rollup row, what changes when a fact goes from `old` to `new` (rows netting to zero left out)."""
    out: dict[tuple[str, ...], dict[str, float]] = {}
    for fact, sign in ((old, -1), (new, 1)):
        if fact is None:
            continue
        counts = counts_of(cube, fact)
        for key in rollup_keys(cube, fact):
            row = out.setdefault(key, {})
            for m, v in counts.items():
                row[m] = row.get(m, 0) + sign * v
    return {k: v for k, v in out.items() if any(v.values())}


def added(cube: Cube, facts: Sequence[ConversationFact | CaseFact]) -> dict[tuple[str, ...], dict[str, float]]:
    """The rollup rows of new facts, summed in memory (a bulk load upserts each row once); sparse counters."""
    out: dict[tuple[str, ...], dict[str, float]] = {}
    for fact in facts:
        counts = counts_of(cube, fact)
        for key in rollup_keys(cube, fact):
            row = out.get(key)
            if row is None:
                out[key] = dict(counts)
                continue
            for m, v in counts.items():
                row[m] = row.get(m, 0) + v
    return out
