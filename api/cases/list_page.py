"""The lean case list: the viewer's cases in queue order (most urgent, then earliest deadline), filtered
by state, request type and overdue, one page at a time (a keyset cursor, so page 50 costs what page 1 does)."""

from __future__ import annotations

from dataclasses import astuple, fields
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.cases.formatting import Translate
from api.cases.present import Names, sla_view, type_name
from api.cases.rendering import render
from api.cases.viewer import CaseUser
from api.cases.views import CaseListView, CaseRow, Option
from api.deps import HubDep
from api.templating import request_lang, translator
from hub.cases import access, case_config
from hub.core import Hub
from hub.stores.cases import CasePosition, CaseQuery, position
from models.cases import Case, CaseState
from models.clock import utcnow
from models.errors import PayloadError
from models.staff import Role, User

router = APIRouter()
PAGE_SIZE = 50
STATE_FILTERS = ("open", *(s.value for s in CaseState), "all")


def cursor_of(at: CasePosition) -> str:
    """A position as a URL-safe cursor: its fields joined by '~'."""
    return "~".join(str(value) for value in astuple(at))


def parse_cursor(text: str) -> CasePosition:
    """The position a cursor names; PayloadError for anything else."""
    parts, names = text.split("~"), fields(CasePosition)
    try:
        if len(parts) != len(names):
            raise ValueError(text)
        values: dict[str, Any] = {f.name: int(p) if f.type in (int, "int") else p
                                  for f, p in zip(names, parts, strict=True)}
        return CasePosition(**values)
    except ValueError as e:
        raise PayloadError("after: not a cursor of this list") from e


def build_query(state: str, request_type: str, overdue: bool, store: str = "") -> CaseQuery:
    """The store query for the chosen filters."""
    if state not in STATE_FILTERS:
        raise PayloadError(f"state: expected one of {', '.join(STATE_FILTERS)}")
    states = frozenset() if state in ("open", "all") else frozenset({CaseState(state)})
    return CaseQuery(states=states, open_only=state == "open", request_type=request_type or None,
                     breached=True if overdue else None, store_id=store or None)


def scope_of(user: User, t: Translate, group_names: list[str] | None = None) -> str:
    """Whose cases the list holds, in words (the user's groups by their names when given)."""
    if user.has(*access.SEES_ALL):
        return t("cases.list.scope_all")
    parts = []
    if user.has(Role.STORE_STAFF) and user.store_id:
        parts.append(t("cases.list.scope_store", store=user.store_id))
    if user.has(Role.SPECIALIST) and user.groups:
        parts.append(t("cases.list.scope_groups", groups=", ".join(group_names or user.groups)))
    return "; ".join(parts) or t("cases.list.scope_none")


def own_store_only(user: User) -> bool:
    """Whether the user sees one store's cases only (no store filter to offer)."""
    return not user.has(*access.SEES_ALL, Role.SPECIALIST)


async def rows_of(hub: Hub, cases: list[Case], request: Request) -> list[CaseRow]:
    """The list's lines."""
    t, lang, now, names = translator(request), request_lang(request), utcnow(), Names(hub)
    return [CaseRow(
        id=case.id, label=case.label, request_type=type_name(hub, case.request_type, lang),
        state=case.state.value, state_label=t(f"cases.state.{case.state.value}"), priority=case.priority.value,
        priority_label=t(f"cases.priority.{case.priority.value}"), store=case.store_id or "",
        group=await names.group(case.group), assignee=await names.user(case.assignee), opened=case.created_at,
        sla=sla_view(case, now, t),
    ) for case in cases]


@router.get("", response_class=HTMLResponse)
async def case_list(
    request: Request, hub: HubDep, user: CaseUser, state: str = "open",
    request_type: Annotated[str, Query(alias="type", max_length=64)] = "", overdue: bool = False,
    after: Annotated[str, Query(max_length=120)] = "",
    store: Annotated[str, Query(max_length=32, pattern=r"^[A-Za-z0-9_-]*$")] = "",
) -> HTMLResponse:
    """The viewer's cases, one page; HTMX filter changes get only the table back."""
    t, lang = translator(request), request_lang(request)
    query = build_query(state, request_type, overdue, store)  # narrowed to what the user may see below
    cases = await access.cases_visible_to(hub, user, query, after=parse_cursor(after) if after else None,
                                          limit=PAGE_SIZE + 1)
    page, more = cases[:PAGE_SIZE], len(cases) > PAGE_SIZE
    filters = {"state": state, "type": request_type, "overdue": "1" if overdue else "", "store": store}
    next_query = None
    if more:
        next_query = urlencode({**{k: v for k, v in filters.items() if v}, "after": cursor_of(position(page[-1]))})
    types = case_config(hub).catalogue.types.values()
    view = CaseListView(
        title=t("cases.list.title"), rows=await rows_of(hub, page, request), overdue=overdue, next_query=next_query,
        states=[Option(value=s, label=t(f"cases.state.{s}"), selected=s == state) for s in STATE_FILTERS],
        types=[Option(value=k.id, label=k.name(lang), selected=k.id == request_type) for k in types],
        scope=scope_of(user, t, [await Names(hub).group(g) for g in user.groups]),
        store=None if own_store_only(user) else store,
    )
    name = "_partials/table.html" if "hx-request" in request.headers else "list.html"
    return render(request, name, {"view": view})
