"""Admin page for topic → group routing: every topic, where it lands now, a select to move it, SLA read-only.

Topics are the NLU's intents plus any topic the inbox config routes or an admin has overridden, so a
topic of another engine (the Rasa adapter) can be added by hand. Changes go through `hub.inbox.routing.set_route`
(which checks the admin role and the group again); the configured defaults themselves stay in the YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.deps import HubDep
from api.templating import templates, translator
from api.web_auth import AdminUser
from bots.flows import known_intents
from hub.core import Hub
from hub.inbox import DEFAULT_SLA, InboxConfig, SlaTarget, routing
from models.conversations import Priority
from models.errors import PayloadError
from models.staff import Group, GroupId, GroupKind, Role

router = APIRouter()
PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
DONE_MESSAGES = {"saved": "admin.routing_saved", "reset": "admin.routing_reset"}


@dataclass(frozen=True)
class RouteRow:
    """One topic: its group now, where that comes from, and the group "back to default" gives."""

    topic: str
    group: str
    source: Literal["override", "config", "default"]
    default_group: str
    intent: bool
    group_exists: bool
    group_staffed: bool  # an active operator belongs to it (else its handovers overflow: hub/inbox/staffing.py)
    sla: tuple[SlaTarget, ...]  # the line that applies, per PRIORITIES


async def routable_groups(hub: Hub) -> list[Group]:
    """Groups a topic may be routed to: every kind but the stores' own queues (they get work by store)."""
    found: list[Group] = []
    for kind in GroupKind:
        if kind is not GroupKind.STORE:
            found += await hub.stores.directory.list_groups(kind=kind, limit=1000)
    return sorted(found, key=lambda g: g.id)


async def route_rows(hub: Hub, config: InboxConfig, group_ids: set[str]) -> list[RouteRow]:
    """A row per topic (intents, configured routes, overrides), by topic."""
    intents = known_intents()
    overrides = await hub.stores.inbox.routes()
    staffed: dict[str, bool] = {}
    rows = []
    for topic in sorted(intents | set(config.routes) | set(overrides)):
        default = config.routes.get(topic) or config.default_group
        source: Literal["override", "config", "default"] = (
            "override" if topic in overrides else "config" if topic in config.routes else "default")
        group = overrides.get(topic) or default
        if group not in staffed:
            staffed[group] = bool(await hub.stores.directory.list_users(
                group=GroupId(group), role=Role.OPERATOR, active=True, limit=1))
        rows.append(RouteRow(topic, group, source, default, topic in intents, group in group_ids, staffed[group],
                             tuple(config.target(topic, p) for p in PRIORITIES)))
    return rows


async def _page(request: Request, hub: Hub, *, error: str | None = None, status: int = 200,
                done: str | None = None) -> HTMLResponse:
    config = routing.inbox_config(hub)
    groups = await routable_groups(hub)
    rows = await route_rows(hub, config, {g.id for g in groups})
    message = translator(request)(DONE_MESSAGES[done]) if done in DONE_MESSAGES else None
    extra_sla = config.sla != DEFAULT_SLA  # an install's own lines come first; the built-in ones still back them
    return templates.TemplateResponse(request, "admin/routing.html", {
        "rows": rows, "groups": groups, "config": config, "priorities": PRIORITIES, "error": error,
        "message": message, "fallback_sla": DEFAULT_SLA if extra_sla else (), "section": "routing"},
        status_code=status)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.get("/routing")
async def routing_page(request: Request, hub: HubDep, admin: AdminUser, done: str | None = None) -> HTMLResponse:
    """Every topic with its group, the groups to choose from, and the SLA targets that apply."""
    return await _page(request, hub, done=done)


@router.post("/routing")
async def change_route(request: Request, hub: HubDep, admin: AdminUser) -> Response:
    """Route a topic to a group (a store's queue is refused: stores get work by store, not by topic)."""
    form = await request.form()
    topic, group_id = _field(form, "topic"), _field(form, "group")
    try:
        if not group_id:
            raise PayloadError("choose a group (or use 'back to default')")
        if group_id.startswith("store:") or group_id not in {g.id for g in await routable_groups(hub)}:
            raise PayloadError(f"group {group_id!r} does not exist or is a store's queue")
        await routing.set_route(hub, topic, group_id, actor=admin)
    except PayloadError as e:
        return await _page(request, hub, error=f"{topic}: {e.reason}", status=422)
    return RedirectResponse(f"/admin/routing?done=saved#topic-{quote(topic)}", status_code=303)


@router.post("/routing/default")
async def reset_route(request: Request, hub: HubDep, admin: AdminUser) -> Response:
    """Drop the admin's override: the topic goes back to its configured group."""
    topic = _field(await request.form(), "topic")
    try:
        await routing.set_route(hub, topic, None, actor=admin)
    except PayloadError as e:
        return await _page(request, hub, error=f"{topic}: {e.reason}", status=422)
    return RedirectResponse(f"/admin/routing?done=reset#topic-{quote(topic)}", status_code=303)
