"""`/api/v1/reports`: every report and the conversation-level rows, as JSON, CSV or XLSX, for BI tools.

Needs a token with `reports:read`; customer ids and words are masked unless it also holds
`conversations:read`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.auth import require
from api.reports import export, xlsx
from api.reports.access import read_filters, today, token_viewer
from api.reports.pages import _download
from api.reports.views import EXPORT_LIMIT, ReportStoreDep, condition_named, cube_named, report_for
from hub.reports.catalog import DASHBOARDS, REPORTS
from models.report_cube import CONVERSATIONS
from models.tokens import ApiToken, Scope

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
ReportsRead = Annotated[ApiToken, Depends(require(Scope.REPORTS_READ))]


@router.get("")
async def list_reports(token: ReportsRead) -> dict[str, list[str]]:
    """The names of the reports and dashboards."""
    return {"reports": list(REPORTS), "dashboards": list(DASHBOARDS)}


@router.get("/facts/{cube}")
async def facts(
    request: Request, token: ReportsRead, store: ReportStoreDep, cube: str,
    condition: str | None = Query(None, max_length=40), limit: int = Query(1000, ge=1, le=EXPORT_LIMIT),
    offset: int = Query(0, ge=0), as_: str = Query("json", alias="format", pattern="^(json|csv|xlsx)$"),
) -> Any:
    """Conversation- or case-level rows behind a number (filters as for reports), newest first."""
    viewer = token_viewer(token)
    filters = read_filters(request.query_params, viewer, today(request))
    chosen = cube_named(cube)
    found = await store.facts(chosen, filters, condition=condition_named(condition), limit=limit, offset=offset)
    columns = export.CONVERSATION_COLUMNS if chosen is CONVERSATIONS else export.CASE_COLUMNS
    rows = export.fact_rows(found, columns, viewer.personal)
    if as_ != "json":
        return _download(as_, f"{cube}-{filters.start}-{filters.end}", lambda: export.csv_text(columns, rows),
                         lambda: xlsx.workbook([(cube, columns, rows)]))
    return {"filters": asdict(filters), "columns": list(columns), "rows": rows, "offset": offset}


@router.get("/{name}")
async def report(
    request: Request, token: ReportsRead, store: ReportStoreDep, name: str,
    as_: str = Query("json", alias="format", pattern="^(json|csv|xlsx)$"),
) -> Any:
    """One report for the filters in the query: headline numbers, tables (with drill filters) and series."""
    viewer = token_viewer(token)
    filters = read_filters(request.query_params, viewer, today(request))
    built = await report_for(name, store, filters, viewer)
    if as_ != "json":
        return _download(as_, f"{name}-{filters.start}-{filters.end}",
                         lambda: export.report_csv(built, viewer.personal),
                         lambda: export.report_xlsx(built, viewer.personal))
    body = asdict(built)
    for table, raw in zip(body["tables"], built.tables, strict=True):
        table["rows"] = export.masked_table(raw, viewer.personal)
    return {"filters": asdict(filters), **body}

