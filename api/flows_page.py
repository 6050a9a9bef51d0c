"""`/dialogs`: the content team sees which flows the bot serves and why their last change was refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import HubDep
from api.templating import templates
from api.web_auth import require_role
from api.wiring import served_flows
from dialogs.model import Flow
from models.staff import Role, User

router = APIRouter(include_in_schema=False)
EditorUser = Annotated[User, Depends(require_role(Role.CONTENT_EDITOR, Role.ADMIN))]


@dataclass(frozen=True)
class FlowRow:
    """One served flow as the page lists it."""

    id: str
    topic: str
    triggers: str
    steps: int
    place: str


def _row(flow: Flow) -> FlowRow:
    t = flow.triggers
    triggers = [*(i.intent for i in t.intent_triggers()), *t.events, *(f"?start={d}" for d in t.deep_links)]
    return FlowRow(flow.id, flow.handover_topic, ", ".join(triggers), len(flow.steps), f"{flow.file}:{flow.line}")


@router.get("/dialogs")
async def flows_status(request: Request, hub: HubDep, editor: EditorUser) -> HTMLResponse:
    """The served version, its flows, and the problems of the last refused change (looked at now)."""
    registry = served_flows(hub)
    if registry is None:
        return templates.TemplateResponse(request, "dialogs/status.html", {"enabled": False})
    registry.reload_if_changed(force=True)  # a stat of the files: the page shows what the next turn gets
    served = registry.current()
    return templates.TemplateResponse(request, "dialogs/status.html", {
        "enabled": True, "directory": str(registry.directory), "version": served.version,
        "flows": [_row(f) for f in sorted(served.flows.values(), key=lambda f: f.id)],
        "problems": registry.last_error})
