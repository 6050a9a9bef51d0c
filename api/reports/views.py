"""What report pages and endpoints share: the report store, building a report for a viewer, drill links."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request

from api.reports.access import Viewer
from hub.reports import Filters, ReportStore
from hub.reports.catalog import DASHBOARDS, REPORTS, build
from hub.reports.shapes import Report
from hub.stores.reports import CONDITIONS
from models.errors import Forbidden, NotFound, PayloadError
from models.report_cube import CASES, CONVERSATIONS, Cube

DRILL_LIMIT = 100
EXPORT_LIMIT = 100_000


def report_store(request: Request) -> ReportStore:
    """The report store opened with the app."""
    store: ReportStore = request.app.state.reports
    return store


ReportStoreDep = Annotated[ReportStore, Depends(report_store)]


async def report_for(name: str, store: ReportStore, filters: Filters, viewer: Viewer) -> Report:
    """The named report or dashboard, if the viewer may see it."""
    if name not in REPORTS and name not in DASHBOARDS:
        raise NotFound(f"no report {name!r}; reports: {', '.join([*REPORTS, *DASHBOARDS])}")
    if not viewer.management and name in ("management", "supervisor", "operators", "voice"):
        raise Forbidden(f"the {name} report covers the whole chain")
    return await build(name, store, filters)


def cube_named(name: str) -> Cube:
    """The facts a drill-down lists: 'conversations' or 'cases'."""
    cubes = {"conversations": CONVERSATIONS, "cases": CASES}
    if name not in cubes:
        raise PayloadError(f"cube must be conversations or cases, not {name[:40]!r}")
    return cubes[name]


def condition_named(name: str | None) -> str | None:
    """A drill-down condition, checked."""
    if name and name not in CONDITIONS:
        raise PayloadError(f"unknown condition {name[:40]!r}; conditions: {', '.join(sorted(CONDITIONS))}")
    return name or None


def filter_query(filters: Filters) -> dict[str, str]:
    """The filters as query parameters (unset ones left out)."""
    return {k: v for k, v in vars(filters).items() if v}


def drill_href(filters: Filters, drill: dict[str, str], cube: str) -> str:
    """The drill-down page for one table row: the report's filters narrowed by the row."""
    if "conversation" in drill:
        return f"/inbox/conversations/{drill['conversation']}"
    query: dict[str, Any] = {**filter_query(filters), **{k: v for k, v in drill.items() if v != ""}, "cube": cube}
    return "/reports/drill?" + urlencode(query)
