"""The audit log page for admins: who read which customer's data (panel views, API reads, exports, erasures),
filtered by customer, reader, kind and day, newest first, a page at a time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.admin.forms import enum_or_none
from api.deps import HubDep
from api.templating import page_zone, templates
from api.web_auth import AdminUser
from hub import privacy
from models.errors import PayloadError
from models.privacy import AuditQuery, ReadKind

router = APIRouter()
PAGE = 100
Filter = Annotated[str, Query(max_length=200)]


def _day(value: str, request: Request) -> datetime | None:
    """The start of a YYYY-MM-DD day in the page's time zone."""
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=page_zone(request))
    except ValueError as e:
        raise PayloadError(f"day: {value!r} is not YYYY-MM-DD") from e


@router.get("/audit")
async def audit_page(
    request: Request, hub: HubDep, _: AdminUser, customer: Filter = "", actor: Filter = "", kind: Filter = "",
    day: Annotated[str, Query(max_length=10)] = "", before: Annotated[datetime | None, Query()] = None,
) -> HTMLResponse:
    """Entries matching the filters; `before` pages on to older ones."""
    start = _day(day, request)
    until = start + timedelta(days=1) if start else None
    if before is not None:
        until = before if until is None else min(until, before)
    wanted = enum_or_none(ReadKind, kind)
    found = await privacy.search_audit(hub, AuditQuery(
        customer_id=customer.strip() or None, actor=actor.strip() or None, kind=wanted, since=start, until=until,
        limit=PAGE + 1))
    older = found[PAGE - 1].at.isoformat() if len(found) > PAGE else None
    return templates.TemplateResponse(request, "admin/audit.html", {
        "entries": found[:PAGE], "older": older, "kinds": list(ReadKind), "section": "audit",
        "filters": {"customer": customer, "actor": actor, "kind": wanted.value if wanted else "", "day": day}})
