"""Admin pages for users: list (by group / role), create, edit roles, groups and capacity, reset the
password, deactivate. Plain forms with post/redirect/get: they work without JavaScript, and an invalid
form comes back with its reasons (422)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.admin.forms import FormResult, enum_or_none, password_form, user_form
from api.deps import HubDep
from api.templating import templates, translator
from api.web_auth import AdminUser
from hub.directory import users as user_service
from hub.stores.directory import DirectoryStore
from models.errors import Conflict, NotFound
from models.staff import GroupId, Role, User, UserId

router = APIRouter()
PAGE = 50


async def _unknown_groups(directory: DirectoryStore, groups: list[GroupId]) -> list[str]:
    missing: list[str] = []
    for group in groups:
        try:
            await directory.get_group(group)
        except NotFound:
            missing.append(group)
    return missing


async def _check_refs(request: Request, directory: DirectoryStore, result: FormResult) -> None:
    """Add errors for groups and a store that do not exist."""
    t = translator(request)
    missing = await _unknown_groups(directory, result.values.get("groups", []))
    if missing:
        result.errors["groups"] = t("admin.unknown_groups", groups=", ".join(missing))
    store_id = result.values.get("store_id")
    if store_id:
        try:
            await directory.get_store(store_id)
        except NotFound as e:
            result.errors["store_id"] = e.reason


def _form_page(request: Request, *, target: User | None, result: FormResult | None = None, status: int = 200,
               message: str | None = None, form: dict[str, Any] | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "admin/user_form.html", {
        "target": target, "errors": result.errors if result else {}, "form": form or {}, "roles": list(Role),
        "message": message, "section": "users"}, status_code=status)


@router.get("/users")
async def list_users(
    request: Request, hub: HubDep, admin: AdminUser, group: str | None = None,
    role: Annotated[str | None, Query(description="A role; empty: any")] = None, after: str | None = None,
) -> HTMLResponse:
    """Users by login, PAGE at a time."""
    directory = hub.stores.directory
    wanted = enum_or_none(Role, role)
    found = await directory.list_users(group=GroupId(group) if group else None, role=wanted, limit=PAGE + 1,
                                       after=after)
    return templates.TemplateResponse(request, "admin/users.html", {
        "users": found[:PAGE], "next_after": found[PAGE - 1].login if len(found) > PAGE else None,
        "group": group or "", "role": wanted.value if wanted else "", "roles": list(Role),
        "total": await directory.count_users(), "section": "users"})


@router.get("/users/new")
async def new_user(request: Request, admin: AdminUser) -> HTMLResponse:
    """The empty form."""
    return _form_page(request, target=None, form={"language": "ru", "capacity": 5})


@router.post("/users")
async def create_user(request: Request, hub: HubDep, admin: AdminUser) -> Response:
    """Create a user from the form; the form again with reasons when invalid."""
    form = await request.form()
    result = user_form(form, new=True)
    directory = hub.stores.directory
    if result.ok:
        await _check_refs(request, directory, result)
    if result.ok:
        values = dict(result.values)
        try:
            user = await user_service.create_user(directory, **values)
        except Conflict as e:
            result.errors["login"] = e.reason
        else:
            return RedirectResponse(f"/admin/users/{user.id}?done=created", status_code=303)
    shown: dict[str, Any] = {k: v for k, v in form.items() if k not in ("password", "csrf_token")}
    shown["roles"] = form.getlist("roles")
    return _form_page(request, target=None, result=result, status=422, form=shown)


def _as_form(user: User) -> dict[str, Any]:
    return {"name": user.name, "email": user.email or "", "roles": [r.value for r in user.roles],
            "groups": ", ".join(user.groups), "store_id": user.store_id or "", "language": user.language,
            "capacity": user.capacity, "version": user.version}


@router.get("/users/{user_id}")
async def edit_user(request: Request, hub: HubDep, admin: AdminUser, user_id: str,
                    done: str | None = None) -> HTMLResponse:
    """The edit form with password reset and deactivation."""
    target = await hub.stores.directory.get_user(UserId(user_id))
    t = translator(request)
    message = t(f"admin.{done}") if done in ("saved", "created", "password_changed", "deactivated",
                                             "reactivated") else None
    return _form_page(request, target=target, form=_as_form(target), message=message)


@router.post("/users/{user_id}")
async def update_user(request: Request, hub: HubDep, admin: AdminUser, user_id: str) -> Response:
    """Save profile, roles, groups, store and capacity (optimistic: a stale form is refused)."""
    directory = hub.stores.directory
    target = await directory.get_user(UserId(user_id))
    form = await request.form()
    result = user_form(form, new=False)
    if result.ok:
        await _check_refs(request, directory, result)
    version = form.get("version")
    stale = isinstance(version, str) and version.isascii() and version.isdigit() and int(version) != target.version
    if result.ok and stale:
        result.errors["form"] = translator(request)("admin.stale")
    if result.ok:
        updated = User.model_validate({**target.model_dump(), **result.values})
        try:
            await directory.save_user(updated, expected_version=target.version)
        except Conflict:
            result.errors["form"] = translator(request)("admin.stale")
        else:
            return RedirectResponse(f"/admin/users/{target.id}?done=saved", status_code=303)
    shown: dict[str, Any] = {k: v for k, v in form.items() if k != "csrf_token"}
    shown["roles"] = form.getlist("roles")
    return _form_page(request, target=target, result=result, status=422, form=shown)


@router.post("/users/{user_id}/password")
async def reset_password(request: Request, hub: HubDep, admin: AdminUser, user_id: str) -> Response:
    """Set a new password; the user's sessions end."""
    directory = hub.stores.directory
    target = await directory.get_user(UserId(user_id))
    result = password_form(await request.form())
    if not result.ok:
        return _form_page(request, target=target, result=result, status=422, form=_as_form(target))
    await user_service.set_password(directory, target.id, result.values["password"])
    return RedirectResponse(f"/admin/users/{target.id}?done=password_changed", status_code=303)


@router.post("/users/{user_id}/active")
async def set_active(request: Request, hub: HubDep, admin: AdminUser, user_id: str) -> Response:
    """Deactivate (ending the user's sessions) or reactivate."""
    directory = hub.stores.directory
    target = await directory.get_user(UserId(user_id))
    active = (await request.form()).get("active") == "true"
    if target.id == admin.id and not active:
        result = FormResult(errors={"form": translator(request)("admin.not_self")})
        return _form_page(request, target=target, result=result, status=409, form=_as_form(target))
    await user_service.set_active(directory, target.id, active)
    done = "reactivated" if active else "deactivated"
    return RedirectResponse(f"/admin/users/{target.id}?done={done}", status_code=303)
