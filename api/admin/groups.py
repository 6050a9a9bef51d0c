"""Admin pages for groups (list by kind, create, edit, members) and a read-only list of the chain's stores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.admin.forms import FormResult, enum_or_none, group_form
from api.deps import HubDep
from api.templating import templates, translator
from api.web_auth import AdminUser
from models.errors import NotFound
from models.staff import Group, GroupId, GroupKind

router = APIRouter()
PAGE = 100


def _form_page(request: Request, *, target: Group | None, form: dict[str, Any], members: list[Any] | None = None,
               errors: dict[str, str] | None = None, status: int = 200, message: str | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "admin/group_form.html", {
        "target": target, "form": form, "errors": errors or {}, "kinds": list(GroupKind), "members": members or [],
        "message": message, "section": "groups"}, status_code=status)


@router.get("/groups")
async def list_groups(
    request: Request, hub: HubDep, admin: AdminUser,
    kind: Annotated[str | None, Query(description="A group kind; empty: any")] = None, after: str | None = None,
) -> HTMLResponse:
    """Groups by id, PAGE at a time."""
    wanted = enum_or_none(GroupKind, kind)
    found = await hub.stores.directory.list_groups(kind=wanted, limit=PAGE + 1, after=after)
    return templates.TemplateResponse(request, "admin/groups.html", {
        "groups": found[:PAGE], "next_after": found[PAGE - 1].id if len(found) > PAGE else None,
        "kind": wanted.value if wanted else "", "kinds": list(GroupKind), "section": "groups"})


@router.get("/groups/new")
async def new_group(request: Request, admin: AdminUser) -> HTMLResponse:
    """The empty form."""
    return _form_page(request, target=None, form={"kind": GroupKind.CONTACT_CENTRE.value})


async def _check_escalation(hub: HubDep, result: FormResult) -> None:
    group: Group | None = result.values.get("group")
    if group is not None and group.escalation_group:
        try:
            await hub.stores.directory.get_group(group.escalation_group)
        except NotFound as e:
            result.errors["escalation_group"] = e.reason


@router.post("/groups")
async def create_group(request: Request, hub: HubDep, admin: AdminUser) -> Response:
    """Create a group; its id must be new."""
    form = await request.form()
    result = group_form(form, group_id=None)
    if result.ok:
        await _check_escalation(hub, result)
    if result.ok:
        group: Group = result.values["group"]
        try:
            await hub.stores.directory.get_group(group.id)
            result.errors["id"] = f"group {group.id} exists"
        except NotFound:
            await hub.stores.directory.save_group(group)
            return RedirectResponse(f"/admin/groups/{group.id}?done=created", status_code=303)
    shown = {k: v for k, v in form.items() if k != "csrf_token"}
    return _form_page(request, target=None, form=shown, errors=result.errors, status=422)


@router.get("/groups/{group_id}")
async def edit_group(request: Request, hub: HubDep, admin: AdminUser, group_id: str,
                     done: str | None = None) -> HTMLResponse:
    """The edit form and the first members."""
    directory = hub.stores.directory
    target = await directory.get_group(GroupId(group_id))
    members = await directory.list_users(group=target.id, limit=200)
    message = translator(request)(f"admin.{done}") if done in ("saved", "created") else None
    return _form_page(request, target=target, form=target.model_dump(mode="json"), members=members, message=message)


@router.post("/groups/{group_id}")
async def update_group(request: Request, hub: HubDep, admin: AdminUser, group_id: str) -> Response:
    """Save name, kind, region, calendar and escalation group."""
    directory = hub.stores.directory
    target = await directory.get_group(GroupId(group_id))
    form = await request.form()
    result = group_form(form, group_id=target.id)
    if result.ok:
        await _check_escalation(hub, result)
    if result.ok:
        group: Group = result.values["group"]
        await directory.save_group(group.model_copy(update={"created_at": target.created_at}))
        return RedirectResponse(f"/admin/groups/{target.id}?done=saved", status_code=303)
    shown = {k: v for k, v in form.items() if k != "csrf_token"}
    return _form_page(request, target=target, form=shown, errors=result.errors, status=422)


@router.get("/stores")
async def list_stores(request: Request, hub: HubDep, admin: AdminUser, region: str | None = None,
                      after: str | None = None) -> HTMLResponse:
    """The chain's stores, PAGE at a time (they come from the import and the API)."""
    directory = hub.stores.directory
    found = await directory.list_stores(region=region or None, limit=PAGE + 1, after=after)
    return templates.TemplateResponse(request, "admin/stores.html", {
        "stores": found[:PAGE], "next_after": found[PAGE - 1].id if len(found) > PAGE else None,
        "region": region or "", "total": await directory.count_stores(), "section": "stores"})
