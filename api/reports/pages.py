"""Report pages: the supervisor's live day, the management dashboard, a store's own page, each report,
drill-down to the conversations behind a number, and their CSV / XLSX downloads."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.reports import charts, export, xlsx
from api.reports.access import person_viewer, read_filters, today
from api.reports.views import (
    DRILL_LIMIT,
    EXPORT_LIMIT,
    ReportStoreDep,
    condition_named,
    cube_named,
    drill_href,
    filter_query,
    report_for,
)
from api.templating import templates
from api.web_auth import CurrentUser
from hub.reports.catalog import DASHBOARDS, REPORTS
from models.report_cube import CONVERSATIONS

router = APIRouter(prefix="/reports", tags=["reports"], include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _render(request: Request, name: str, context: dict[str, object]) -> HTMLResponse:
    response = templates.TemplateResponse(request, f"reports/{name}", {"section": "reports", **context})
    response.headers["cache-control"] = "no-store"
    return response


@router.get("", response_class=HTMLResponse)
async def reports_home(user: CurrentUser) -> Response:
    """Supervisors start on today's dashboard, store staff on their store's page."""
    viewer = person_viewer(user)
    return RedirectResponse("/reports/supervisor" if viewer.management else "/reports/store", status_code=303)


@router.get("/drill", response_class=HTMLResponse)
async def drill_page(
    request: Request, user: CurrentUser, store: ReportStoreDep, cube: str = Query("conversations", max_length=20),
    condition: str | None = Query(None, max_length=40), offset: int = Query(0, ge=0, le=100_000),
) -> HTMLResponse:
    """The conversations (or cases) behind one number, newest first."""
    viewer = person_viewer(user)
    filters = read_filters(request.query_params, viewer, today(request))
    chosen = cube_named(cube)
    facts = await store.facts(chosen, filters, condition=condition_named(condition), limit=DRILL_LIMIT, offset=offset)
    columns = export.CONVERSATION_COLUMNS if chosen is CONVERSATIONS else export.CASE_COLUMNS
    rows = export.fact_rows(facts, columns, viewer.personal)
    query = {**filter_query(filters), "cube": cube, **({"condition": condition} if condition else {})}
    more = None
    if len(facts) == DRILL_LIMIT:
        more = "/reports/drill?" + urlencode({**query, "offset": offset + DRILL_LIMIT})
    return _render(request, "drill.html", {
        "filters": filters, "columns": columns, "rows": rows, "facts": facts, "cube": cube, "condition": condition,
        "personal": viewer.personal, "more": more, "export": urlencode(query)})


@router.get("/drill.{fmt}")
async def drill_export(request: Request, user: CurrentUser, store: ReportStoreDep, fmt: str,
                       cube: str = Query("conversations", max_length=20),
                       condition: str | None = Query(None, max_length=40)) -> Response:
    """Conversation- or case-level rows as CSV or XLSX (personal data masked unless the role may see it)."""
    viewer = person_viewer(user)
    filters = read_filters(request.query_params, viewer, today(request))
    chosen = cube_named(cube)
    facts = await store.facts(chosen, filters, condition=condition_named(condition), limit=EXPORT_LIMIT)
    columns = export.CONVERSATION_COLUMNS if chosen is CONVERSATIONS else export.CASE_COLUMNS
    rows = export.fact_rows(facts, columns, viewer.personal)
    return _download(fmt, f"{cube}-{filters.start}-{filters.end}", lambda: export.csv_text(columns, rows),
                     lambda: xlsx.workbook([(cube, columns, rows)]))


@router.get("/{name}.{fmt}")
async def report_export(request: Request, user: CurrentUser, store: ReportStoreDep, name: str, fmt: str) -> Response:
    """A report's tables as CSV or XLSX."""
    viewer = person_viewer(user)
    filters = read_filters(request.query_params, viewer, today(request))
    report = await report_for(name, store, filters, viewer)
    return _download(fmt, f"{name}-{filters.start}-{filters.end}", lambda: export.report_csv(report, viewer.personal),
                     lambda: export.report_xlsx(report, viewer.personal))


@router.get("/{name}", response_class=HTMLResponse)
async def report_page(request: Request, user: CurrentUser, store: ReportStoreDep, name: str) -> HTMLResponse:
    """A dashboard or report for the filters in the query."""
    viewer = person_viewer(user)
    filters = read_filters(request.query_params, viewer, today(request))
    tabs = urlencode(filter_query(filters))
    if name == "supervisor":  # today only; the tabs keep the default period of the other reports
        tabs = urlencode({k: v for k, v in filter_query(filters).items() if k not in ("start", "end")})
        filters = filters.but(start=filters.end)
    report = await report_for(name, store, filters, viewer)
    drawn = [charts.line(s) if len(s.labels) > 31 or name != "supervisor" else charts.bars(s) for s in report.series]
    links = {t.name: [drill_href(filters, d, t.cube) for d in t.drill] for t in report.tables}
    masked = {t.name: export.masked_table(t, viewer.personal) for t in report.tables}
    names = [n for n in [*DASHBOARDS, *REPORTS] if viewer.management or n not in ("management", "supervisor",
                                                                                      "operators", "voice")]
    return _render(request, "report.html", {
        "report": report, "charts": drawn, "links": links, "masked": masked, "filters": filters, "name": name,
        "names": names, "viewer": viewer, "live": name == "supervisor", "query": urlencode(filter_query(filters)),
        "tabs": tabs})


def _download(fmt: str, stem: str, as_csv: Callable[[], str], as_xlsx: Callable[[], bytes]) -> Response:
    """The export in the asked format (the file built only for that one)."""
    if fmt == "csv":
        return Response(as_csv(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{stem}.csv"'})
    if fmt == "xlsx":
        return Response(as_xlsx(), media_type=XLSX,
                        headers={"content-disposition": f'attachment; filename="{stem}.xlsx"'})
    return Response(f"unknown format {fmt[:10]!r}: csv or xlsx", status_code=404, media_type="text/plain")
