"""Marketing's campaign pages, server-rendered like the reports: the list, one campaign's numbers (offers made,
delivered, redeemed, conversion, uplift against the control group with its 95% interval, cost against the
budget, by segment and by channel) and the same as CSV. For supervisors and admins."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from starlette.responses import HTMLResponse, Response

from api.deps import HubDep
from api.reports.export import csv_text
from api.templating import templates
from api.web_auth import CurrentUser
from hub.campaigns import manage, measure
from models.errors import Forbidden
from models.staff import Role, User

router = APIRouter(prefix="/campaigns", tags=["campaigns"], include_in_schema=False)
CampaignPath = Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _marketing(user: User) -> None:
    """Campaign numbers are the chain's: supervisors and admins."""
    if not user.has(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("campaign pages are for supervisors and admins")


def _render(request: Request, name: str, context: dict[str, object]) -> HTMLResponse:
    response = templates.TemplateResponse(request, f"campaigns/{name}", {"section": "campaigns", **context})
    response.headers["cache-control"] = "no-store"
    return response


@router.get("", response_class=HTMLResponse)
async def campaigns_page(request: Request, user: CurrentUser, hub: HubDep) -> HTMLResponse:
    """Every campaign with its headline numbers."""
    _marketing(user)
    reports = [measure.report(c, await manage.offers(hub, c.id)) for c in await manage.listing(hub)]
    return _render(request, "list.html", {"reports": reports})


@router.get("/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(request: Request, user: CurrentUser, hub: HubDep,
                        campaign_id: str = CampaignPath) -> HTMLResponse:
    """One campaign measured against its control group."""
    _marketing(user)
    result = measure.report(await manage.get(hub, campaign_id), await manage.offers(hub, campaign_id))
    return _render(request, "campaign.html", {"r": result, "free": await manage.codes_left(hub, campaign_id)})


@router.get("/{campaign_id}/export.csv")
async def campaign_export(user: CurrentUser, hub: HubDep, campaign_id: str = CampaignPath) -> Response:
    """The campaign page's numbers as CSV (totals, segments, channels)."""
    _marketing(user)
    result = measure.report(await manage.get(hub, campaign_id), await manage.offers(hub, campaign_id))
    return Response(csv_text(measure.COLUMNS, measure.rows(result)), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="campaign-{campaign_id}.csv"'})
