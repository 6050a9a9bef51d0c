"""Campaigns for marketing (issue 19): the new-campaign and edit forms, pause and resume. Supervisors and admins,
as on the campaign pages (there is no marketing role).

Every write goes through `hub.campaigns.manage`, as `/api/v1/campaigns` does, and the form builds the same
`Campaign` model: a value the API refuses is refused here with the same reason (422, nothing saved; 409 when the
id is taken or someone saved the campaign since the form was opened). Edits carry
the version the editor saw, so two people never silently overwrite each other.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.admin.campaign_form import campaign_form, form_of
from api.deps import HubDep
from api.templating import templates, translator
from api.web_auth import require_role
from hub import campaigns
from hub.campaigns import manage
from hub.core import Hub
from models.campaigns import Campaign, Moment, OfferSource
from models.errors import Conflict
from models.staff import Role, User

router = APIRouter()
MarketingUser = Annotated[User, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))]
CampaignId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
DONE_MESSAGES = {"saved": "admin.saved", "created": "admin.created", "paused": "campaigns.paused_done",
                 "resumed": "campaigns.resumed_done"}


def _zone(hub: Hub) -> ZoneInfo:
    """Campaign periods are in the chain's zone, as their weekdays and hours are."""
    return ZoneInfo(campaigns.runtime(hub).policy.timezone)


def _form_page(request: Request, hub: Hub, *, target: Campaign | None, form: dict[str, Any],
               errors: dict[str, str] | None = None, status: int = 200, message: str | None = None) -> HTMLResponse:
    response = templates.TemplateResponse(request, "admin/campaign_form.html", {
        "target": target, "form": form, "errors": errors or {}, "moments": list(Moment), "sources": list(OfferSource),
        "policy": campaigns.runtime(hub).policy, "message": message, "section": "campaigns"}, status_code=status)
    response.headers["cache-control"] = "no-store"
    return response


def _shown(form: Any) -> dict[str, Any]:
    """What the editor typed, back into the form (never the CSRF token)."""
    shown: dict[str, Any] = {k: v for k, v in form.items() if k != "csrf_token"}
    shown["placements"] = form.getlist("placements")
    return shown


@router.get("/campaigns/new")
async def new_campaign(request: Request, hub: HubDep, user: MarketingUser) -> HTMLResponse:
    """The empty form."""
    return _form_page(request, hub, target=None, form={"source": "pool", "control_share": "0.1", "priority": "0",
                                                       "placements": [Moment.COMPLAINT_RESOLVED.value]})


@router.post("/campaigns")
async def create_campaign(request: Request, hub: HubDep, user: MarketingUser) -> Response:
    """Create a campaign; its id must be new."""
    form = await request.form()
    result = campaign_form(form, zone=_zone(hub))
    status = 422
    if result.ok:
        try:
            created = await manage.create(hub, result.values["campaign"])
            return RedirectResponse(f"/admin/campaigns/{created.id}?done=created", status_code=303)
        except Conflict as e:
            result.errors["id"], status = e.reason, 409
    return _form_page(request, hub, target=None, form=_shown(form), errors=result.errors, status=status)


@router.get("/campaigns/{campaign_id}")
async def edit_campaign(request: Request, hub: HubDep, user: MarketingUser, campaign_id: CampaignId,
                        done: str | None = None) -> HTMLResponse:
    """The edit form, with pause or resume."""
    target = await manage.get(hub, campaign_id)
    message = translator(request)(DONE_MESSAGES[done]) if done in DONE_MESSAGES else None
    return _form_page(request, hub, target=target, form=form_of(target, _zone(hub)), message=message)


@router.post("/campaigns/{campaign_id}")
async def update_campaign(request: Request, hub: HubDep, user: MarketingUser, campaign_id: CampaignId) -> Response:
    """Save the campaign if nobody changed it since the form was opened."""
    target = await manage.get(hub, campaign_id)
    form = await request.form()
    result = campaign_form(form, zone=_zone(hub), campaign_id=target.id, active=target.active)
    status = 422
    if result.ok:
        campaign: Campaign = result.values["campaign"]
        try:
            await manage.replace(hub, campaign, expected_version=campaign.version)
            return RedirectResponse(f"/admin/campaigns/{target.id}?done=saved", status_code=303)
        except Conflict as e:  # someone saved it since this form was opened
            result.errors["form"], status = e.reason, 409
    return _form_page(request, hub, target=target, form=_shown(form), errors=result.errors, status=status)


async def _set_active(hub: Hub, campaign_id: str, active: bool) -> None:
    """Pause or resume on the stored campaign (a repeat, e.g. a double click, changes nothing)."""
    campaign = await manage.get(hub, campaign_id)
    if campaign.active != active:
        changed = campaign.model_copy(update={"active": active})
        await manage.replace(hub, changed, expected_version=campaign.version)


@router.post("/campaigns/{campaign_id}/pause")
async def pause_campaign(hub: HubDep, user: MarketingUser, campaign_id: CampaignId) -> Response:
    """Stop making the campaign's offers; its numbers stay."""
    await _set_active(hub, campaign_id, False)
    return RedirectResponse(f"/admin/campaigns/{campaign_id}?done=paused", status_code=303)


@router.post("/campaigns/{campaign_id}/resume")
async def resume_campaign(hub: HubDep, user: MarketingUser, campaign_id: CampaignId) -> Response:
    """Make the campaign's offers again."""
    await _set_active(hub, campaign_id, True)
    return RedirectResponse(f"/admin/campaigns/{campaign_id}?done=resumed", status_code=303)
