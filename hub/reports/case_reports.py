"""Reports on cases: by request type, store and region; time to solve; SLA breaches; route-map hops."""

from __future__ import annotations

from hub.reports.engine import summarize, total
from hub.reports.shapes import Cell, Report, Table, mean, quantile_minutes, share
from hub.stores.reports import Filters, ReportStore
from models.report_cube import CASES


def _cells(c: dict[str, float]) -> list[Cell]:
    return [int(c["cases"]), int(c["solved"]), quantile_minutes(c, "solve_b", 0.5),
            quantile_minutes(c, "solve_b", 0.9), int(c["breached"]), share(c["breached"], c["cases"]),
            mean(c["hops"], c["cases"], 1)]


COLUMNS = ["cases", "solved", "time to solve p50, min", "time to solve p90, min", "SLA breaches", "breached, %",
           "hops per case"]


async def cases(store: ReportStore, f: Filters, *, top: int = 50) -> Report:
    """Cases by request type, region and store (the busiest `top` stores)."""
    now = await total(store, CASES, f)
    report = Report("cases", "Cases", headline=dict(zip(COLUMNS, _cells(now), strict=True)))
    for dim in ("request_type", "region", "store"):
        table = Table(f"by_{dim}", f"By {dim.replace('_', ' ')}", [dim, *COLUMNS], cube="cases")
        rows = await summarize(store, CASES, f, (dim,), top=("cases", top if dim == "store" else 10_000))
        for (value,), c in rows:
            table.rows.append([value or "—", *_cells(c)])
            table.drill.append({dim: value, "condition": "breached"})
        report.tables.append(table)
    return report
