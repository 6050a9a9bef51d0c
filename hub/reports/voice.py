"""Voice of the customer: topics and stores whose complaints rose significantly week over week.

The test: if a topic's complaint rate did not change, each of the n = a + b complaints of the two weeks
fell in the later week with probability 1/2 (two Poisson counts, conditioned on their sum), so the chance
of a or more in the later week is a binomial tail. Many topics and stores are tested at once, so the
p-values pass the Benjamini-Hochberg procedure (false discovery rate 5 %), not a fixed threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from hub.reports.engine import summarize
from hub.reports.shapes import Report, Table
from hub.stores.reports import Filters, ReportStore
from models.report_cube import CONVERSATIONS

FDR = 0.05
# Tarone's rule for discrete tests: with n complaints in the two weeks the smallest possible p-value is 1/2^n,
# so only values with n above this can ever be significant (see `rises`).
REACHABLE = math.log2(1 / FDR)


def rise_p_value(later: int, earlier: int) -> float:
    """P(X >= later) for X ~ Binomial(later + earlier, 1/2): how surprising the later week's share is."""
    n = later + earlier
    if later == 0:
        return 1.0
    log_half = n * math.log(0.5)
    logs = [math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + log_half for k in range(later, n + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))


def _may_pass(later: int, earlier: int) -> bool:
    """False when the normal approximation (with continuity correction) puts the p-value far above any
    threshold the procedure can use (z < 1, p > 0.15 > 5 %): the exact tail is then not worth computing, and
    counting it as 1.0 changes no decision, since Benjamini-Hochberg only rejects p-values at or below 5 %."""
    n = later + earlier
    return (later - 0.5 - n / 2) / math.sqrt(n / 4) >= 1.0


def significant(p_values: list[float], rate: float = FDR) -> list[bool]:
    """Benjamini-Hochberg: which of the p-values are discoveries at false discovery rate `rate`."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    cutoff = -1
    for rank, i in enumerate(order, start=1):
        if p_values[i] <= rate * rank / len(p_values):
            cutoff = rank
    chosen = set(order[:cutoff]) if cutoff > 0 else set()
    return [i in chosen for i in range(len(p_values))]


@dataclass(frozen=True)
class Rise:
    """A topic or store whose complaints rose."""

    value: str
    this_week: int
    last_week: int
    p_value: float


def weeks(end: str) -> tuple[str, str]:
    """Mondays of the last complete week on or before `end`, and of the week before it."""
    day = date.fromisoformat(end)
    last_sunday = day - timedelta(days=(day.weekday() + 1) % 7)
    monday = last_sunday - timedelta(days=6)
    return monday.isoformat(), (monday - timedelta(days=7)).isoformat()


def rises(counts: dict[str, tuple[int, int]]) -> list[Rise]:
    """The values whose later count is significantly above the earlier, most surprising first.

    Only values that could be significant at all are tested (Tarone's rule for discrete tests): with n
    complaints in the two weeks the smallest possible p-value is 1/2^n, so a store with four complaints
    can never pass and would only make the procedure stricter for the others."""
    values = [v for v, (a, b) in counts.items() if a > b and a + b > REACHABLE]
    tests = [rise_p_value(*counts[v]) if _may_pass(*counts[v]) else 1.0 for v in values]
    found = [Rise(v, *counts[v], p) for v, p, yes in zip(values, tests, significant(tests), strict=True) if yes]
    return sorted(found, key=lambda r: (r.p_value, -r.this_week))


async def weekly_complaints(store: ReportStore, span: Filters, dim: str, this: str) -> dict[str, tuple[int, int]]:
    """Complaints per value of `dim` in the week from `this` and in the week before (`span` covers both).

    From a rollup the store sums both weeks in one pass and hands back only the values `rises` would test
    (later above earlier, enough complaints): 16,000 stores' two weekly rows never reach Python. Without one
    (filters no grain has) the facts are summed here, and `rises` drops the rest just the same."""
    grain = CONVERSATIONS.choose(set(span.dims(CONVERSATIONS)) | {dim}, "week")
    if grain is not None:
        return await store.rising(CONVERSATIONS, grain, span, dim, "complaints", since=this, more_than=REACHABLE)
    counts: dict[str, list[int]] = {}
    for (value, week), c in await summarize(store, CONVERSATIONS, span, (dim, "week"), measures=("complaints",)):
        if value:
            counts.setdefault(value, [0, 0])[0 if week == this else 1] += int(c["complaints"])
    return {k: (a, b) for k, (a, b) in counts.items()}


async def voice(store: ReportStore, f: Filters, *, examples: int = 3) -> Report:
    """Topics and stores with a significant week-over-week rise in complaints, with example messages."""
    this, previous = weeks(f.end)
    span = f.but(start=previous, end=(date.fromisoformat(this) + timedelta(days=6)).isoformat())
    report = Report("voice", "Voice of the customer: rising complaints", headline={
        "week": this, "compared with": previous, "false discovery rate": FDR})
    for dim in ("topic", "store"):
        counts = await weekly_complaints(store, span, dim, this)
        table = Table(f"rising_{dim}", f"Rising complaints by {dim}",
                      [dim, "this week", "week before", "p-value", "examples"])
        week_filter = f.but(start=this, end=span.end)
        for rise in rises(counts)[:50]:
            found = await store.facts(CONVERSATIONS, week_filter.but(**{dim: rise.value}), condition="complaint",
                                      limit=examples)
            table.rows.append([rise.value, rise.this_week, rise.last_week, float(f"{rise.p_value:.2g}"),
                               " | ".join(r["text"] for r in found if r["text"])])
            table.drill.append({dim: rise.value, "condition": "complaint", "start": this, "end": span.end})
        report.tables.append(table)
    return report
