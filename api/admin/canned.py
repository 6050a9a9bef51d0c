"""Canned responses and per-topic scripts for content editors and admins: list with search, create, edit, delete.

Each item is one language (ru or en); "translate" opens a new form prefilled from an item in the other
language. Writes go through `hub.inbox.canned` (which checks the editor role again and keeps shortcuts unique per
language); edits carry the version the editor saw, so two editors never silently overwrite each other.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.admin.canned_form import LANGUAGES, canned_form, matches
from api.admin.forms import enum_or_none
from api.deps import HubDep
from api.templating import templates, translator
from api.web_auth import require_role
from bots.flows import known_intents
from hub.core import Hub
from hub.inbox import canned, routing
from models.canned import CannedKind, CannedResponse
from models.errors import Conflict, PayloadError
from models.staff import Role, User

router = APIRouter()
EditorUser = Annotated[User, Depends(require_role(Role.CONTENT_EDITOR, Role.ADMIN))]
SCAN_LIMIT = 5000  # per language: a chain's canned answers number in the hundreds, so filtering here is cheap
SHOWN = 200
DONE_MESSAGES = {"saved": "admin.saved", "created": "admin.created", "deleted": "admin.canned_deleted"}


async def find(hub: Hub, query: str, *, language: str | None, kind: CannedKind | None) -> list[CannedResponse]:
    """Items whose shortcut, title, text or topic contain `query` ("/x": shortcuts starting with x)."""
    prefix = query[1:] if query.startswith("/") else ""
    found: list[CannedResponse] = []
    for lang in [language] if language else LANGUAGES:
        found += await canned.search(hub, prefix, language=lang, kind=kind, limit=SCAN_LIMIT)
    hits = found if not query or query.startswith("/") else [c for c in found if matches(c, query)]
    return sorted(hits, key=lambda c: (c.shortcut, c.language))


async def topic_choices(hub: Hub) -> list[str]:
    """Topics a script may serve: the NLU's intents and every routed topic (the form suggests them)."""
    routes = await routing.list_routes(hub)
    return sorted(known_intents() | {r.topic for r in routes})


async def _form_page(request: Request, hub: Hub, *, target: CannedResponse | None, form: dict[str, Any],
                     errors: dict[str, str] | None = None, status: int = 200,
                     message: str | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "admin/canned_form.html", {
        "target": target, "form": form, "errors": errors or {}, "kinds": list(CannedKind), "languages": LANGUAGES,
        "topics": await topic_choices(hub), "message": message, "section": "canned"}, status_code=status)


@router.get("/canned")
async def list_canned(request: Request, hub: HubDep, editor: EditorUser, q: str = "", language: str = "",
                      kind: str = "", done: str | None = None) -> HTMLResponse:
    """Canned responses and scripts, filtered by text, language and kind."""
    if language and language not in LANGUAGES:
        raise PayloadError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    wanted = enum_or_none(CannedKind, kind)
    items = await find(hub, q.strip(), language=language or None, kind=wanted)
    message = translator(request)(DONE_MESSAGES[done]) if done in DONE_MESSAGES else None
    return templates.TemplateResponse(request, "admin/canned.html", {
        "items": items[:SHOWN], "more": len(items) > SHOWN, "q": q, "language": language, "kind": kind,
        "kinds": list(CannedKind), "languages": LANGUAGES, "message": message, "section": "canned"})


@router.get("/canned/new")
async def new_canned(request: Request, hub: HubDep, editor: EditorUser, shortcut: str = "", title: str = "",
                     topic: str = "", kind: str = "", language: str = "") -> HTMLResponse:
    """The empty form, or one prefilled for a translation of an existing item."""
    form = {"shortcut": shortcut, "title": title, "topic": topic, "kind": kind or CannedKind.RESPONSE.value,
            "language": language if language in LANGUAGES else editor.language, "text": ""}
    return await _form_page(request, hub, target=None, form=form)


@router.post("/canned")
async def create_canned(request: Request, hub: HubDep, editor: EditorUser) -> Response:
    """Create an item; its shortcut must be new in its language."""
    form = await request.form()
    result = canned_form(form)
    if result.ok:
        try:
            item = await canned.save(hub, result.values["item"], actor=editor)
            return RedirectResponse(f"/admin/canned/{item.id}?done=created", status_code=303)
        except Conflict as e:
            result.errors["shortcut"] = e.reason
    shown = {k: v for k, v in form.items() if k != "csrf_token"}
    return await _form_page(request, hub, target=None, form=shown, errors=result.errors, status=422)


@router.get("/canned/{item_id}")
async def edit_canned(request: Request, hub: HubDep, editor: EditorUser, item_id: str,
                      done: str | None = None) -> HTMLResponse:
    """The edit form."""
    target = await hub.stores.inbox.get_canned(item_id)
    message = translator(request)(DONE_MESSAGES[done]) if done in DONE_MESSAGES else None
    form = target.model_dump(mode="json")
    form["topic"] = target.topic or ""
    return await _form_page(request, hub, target=target, form=form, message=message)


@router.post("/canned/{item_id}")
async def update_canned(request: Request, hub: HubDep, editor: EditorUser, item_id: str) -> Response:
    """Save an item if nobody saved it since the editor opened the form."""
    target = await hub.stores.inbox.get_canned(item_id)
    form = await request.form()
    result = canned_form(form, item_id=target.id)
    if result.ok:
        try:
            await canned.save(hub, result.values["item"], actor=editor, expected_version=result.values["version"])
            return RedirectResponse(f"/admin/canned/{target.id}?done=saved", status_code=303)
        except Conflict as e:
            result.errors["form" if "changed since" in e.reason else "shortcut"] = e.reason
    shown = {k: v for k, v in form.items() if k != "csrf_token"}
    return await _form_page(request, hub, target=target, form=shown, errors=result.errors, status=422)


@router.post("/canned/{item_id}/delete")
async def delete_canned(request: Request, hub: HubDep, editor: EditorUser, item_id: str) -> Response:
    """Remove an item (a repeat, e.g. a double click, just lands on the list again)."""
    await canned.delete(hub, item_id, actor=editor)
    return RedirectResponse("/admin/canned?done=deleted", status_code=303)
