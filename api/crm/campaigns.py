"""Campaigns by API (issue 19): marketing's CRUD, code-pool imports and each campaign's report; and the CRM's
redemptions, matched to the offers they redeem.

A campaign is the JSON of `models.campaigns.Campaign` (the YAML files' shape). PUT replaces it and needs the
`version` read last (409 when someone changed it since). Code pools are imported from a file as the body
(`text/csv` or `text/plain`: one code per line, or the first column).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from api.auth import require
from api.crm.deps import CONFLICT, NOT_FOUND, actor, scoped_key
from api.deps import HubDep
from hub import campaigns
from hub.campaigns import RedemptionReport, manage, measure, redeem
from models.campaigns import Campaign, OfferRecord
from models.clock import utcnow
from models.errors import PayloadError
from models.tokens import ApiToken, Scope

router = APIRouter(tags=["campaigns"])
CampaignsRead = Annotated[ApiToken, Depends(require(Scope.CAMPAIGNS_READ))]
CampaignsWrite = Annotated[ApiToken, Depends(require(Scope.CAMPAIGNS_WRITE))]
RedemptionsWrite = Annotated[ApiToken, Depends(require(Scope.REDEMPTIONS_WRITE))]
CampaignId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
MAX_CODES_BYTES = 5_000_000


class CampaignList(BaseModel):
    """Every campaign."""

    items: list[Campaign]


class CodesImported(BaseModel):
    """What a code import did."""

    added: int  # new codes (a code already in a pool is not added twice)
    free: int  # codes of the pool nobody has been given yet


class RedemptionCreate(BaseModel):
    """A code used (`code`), or a control-group customer's purchase in the campaign's window (`campaign_id` +
    `customer_id`, as announced by `offer.held_back`)."""

    redemption_id: str = Field(min_length=1, max_length=200, description="The CRM's id: a retry sends the same")
    code: str | None = Field(default=None, min_length=1, max_length=64)
    campaign_id: str | None = Field(default=None, max_length=63)
    customer_id: str | None = Field(default=None, max_length=64)
    order_total: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    at: datetime | None = None


class RedemptionPublic(BaseModel):
    """The offer the redemption was matched to."""

    offer_id: str
    campaign_id: str
    customer_id: str
    control: bool
    code: str | None
    redeemed_at: datetime | None


class TallyPublic(BaseModel):
    """One slice of a campaign's numbers."""

    label: str
    made: int
    delivered: int
    redeemed: int
    conversion: float | None
    held_back: int
    held_back_converted: int
    control_conversion: float | None
    uplift: float | None
    uplift_interval: tuple[float, float] | None


class CampaignReportPublic(BaseModel):
    """What a campaign did, measured against its control group."""

    campaign_id: str
    total: TallyPublic
    by_segment: list[TallyPublic]
    by_channel: list[TallyPublic]
    cost: Decimal
    budget_cost: Decimal | None


def _tally(t: measure.Tally) -> TallyPublic:
    return TallyPublic(label=t.label, made=t.made, delivered=t.delivered, redeemed=t.redeemed,
                       conversion=t.conversion, held_back=t.held_back, held_back_converted=t.held_back_converted,
                       control_conversion=t.control_conversion, uplift=t.uplift, uplift_interval=t.interval)


@router.get("/campaigns", response_model=CampaignList, summary="List campaigns")
async def list_campaigns(hub: HubDep, token: CampaignsRead) -> CampaignList:
    """Every campaign, by id."""
    return CampaignList(items=await manage.listing(hub))


@router.post("/campaigns", response_model=Campaign, status_code=201, responses=CONFLICT, summary="Create a campaign")
async def create_campaign(body: Campaign, hub: HubDep, token: CampaignsWrite) -> Campaign:
    """Store a new campaign (409 when the id is taken)."""
    return await manage.create(hub, body)


@router.get("/campaigns/{campaign_id}", response_model=Campaign, responses=NOT_FOUND, summary="Read a campaign")
async def get_campaign(campaign_id: CampaignId, hub: HubDep, token: CampaignsRead) -> Campaign:
    """The campaign with its current version."""
    return await manage.get(hub, campaign_id)


@router.put("/campaigns/{campaign_id}", response_model=Campaign, responses={**NOT_FOUND, **CONFLICT},
            summary="Replace a campaign")
async def put_campaign(campaign_id: CampaignId, body: Campaign, hub: HubDep, token: CampaignsWrite) -> Campaign:
    """Replace the campaign; `version` is the one read last (409 if it changed since)."""
    if body.id != campaign_id:
        raise PayloadError(f"id: the body's {body.id!r} is not the path's {campaign_id!r}")
    return await manage.replace(hub, body, expected_version=body.version)


@router.delete("/campaigns/{campaign_id}", status_code=204, responses=NOT_FOUND, summary="Remove a campaign")
async def delete_campaign(campaign_id: CampaignId, hub: HubDep, token: CampaignsWrite) -> Response:
    """Remove the campaign; offers already made stay in its report."""
    await manage.remove(hub, campaign_id)
    return Response(status_code=204)


@router.put("/campaigns/{campaign_id}/codes", response_model=CodesImported, responses=NOT_FOUND,
            summary="Import promo codes into the campaign's pool",
            openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_codes(campaign_id: CampaignId, request: Request, hub: HubDep, token: CampaignsWrite) -> CodesImported:
    """The body is the file: one code per line, or a CSV whose first column is the code (a header is skipped)."""
    body = await request.body()
    if len(body) > MAX_CODES_BYTES:
        raise PayloadError(f"a code file is at most {MAX_CODES_BYTES} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PayloadError("the code file is not UTF-8 text") from e
    added, free = await manage.import_codes(hub, campaign_id, text)
    return CodesImported(added=added, free=free)


@router.get("/campaigns/{campaign_id}/report", response_model=CampaignReportPublic, responses=NOT_FOUND,
            summary="A campaign's numbers against its control group")
async def campaign_report(campaign_id: CampaignId, hub: HubDep, token: CampaignsRead) -> CampaignReportPublic:
    """Offers made, delivered and redeemed, uplift against the control group with its 95% interval, cost."""
    result = measure.report(await manage.get(hub, campaign_id), await manage.offers(hub, campaign_id))
    return CampaignReportPublic(campaign_id=campaign_id, total=_tally(result.total),
                                by_segment=[_tally(t) for t in result.by_segment],
                                by_channel=[_tally(t) for t in result.by_channel], cost=result.cost,
                                budget_cost=result.budget_cost)


class ProactiveOfferCreate(BaseModel):
    """Whom to offer the campaign to."""

    customer_id: str = Field(min_length=1, max_length=64)


class ProactiveOfferPublic(BaseModel):
    """What the decision made of it: the offer sent, the customer held back, or why nothing."""

    offered: bool
    control: bool
    reason: str
    offer_id: str | None = None
    code: str | None = None


@router.post("/campaigns/{campaign_id}/offers", response_model=ProactiveOfferPublic,
             responses={**NOT_FOUND, **CONFLICT}, summary="Offer the campaign to a customer proactively")
async def offer_proactively(campaign_id: CampaignId, body: ProactiveOfferCreate, hub: HubDep,
                            token: CampaignsWrite) -> ProactiveOfferPublic:
    """Within the campaign's rules (placement `proactive`, audience, caps, quiet hours, consent, WhatsApp's
    template outside its window): the offer is sent through the customer's proactive channel, once per customer;
    otherwise `offered` is false and `reason` says why. 409 when no channel reaches the customer."""
    await manage.get(hub, campaign_id)
    made = await campaigns.offer_proactively(hub, body.customer_id, campaign_id, now=utcnow(), actor=actor(token))
    record = made.record
    return ProactiveOfferPublic(offered=made.offered, control=made.decision.control, reason=made.reason,
                                offer_id=record.id if record else None,
                                code=record.code if made.offered and record else None)


@router.post("/redemptions", response_model=RedemptionPublic, status_code=201,
             responses={200: {"model": RedemptionPublic, "description": "A repeat of the redemption id"},
                        **NOT_FOUND, **CONFLICT}, summary="Report a promo code used")
async def post_redemption(body: RedemptionCreate, response: Response, hub: HubDep,
                          token: RedemptionsWrite) -> RedemptionPublic:
    """Match the redemption to its offer (by code) or to a held-back customer's turn (campaign + customer).
    The same `redemption_id` again answers 200 with the first result; another redemption of a redeemed offer 409."""
    report = RedemptionReport(redemption_id=scoped_key(token, "redemption", body.redemption_id),
                              at=body.at or utcnow(), code=body.code, campaign_id=body.campaign_id,
                              customer_id=body.customer_id, order_total=body.order_total)
    record, created = await redeem(hub, report)
    if not created:
        response.status_code = 200
    return _redemption(record)


def _redemption(record: OfferRecord) -> RedemptionPublic:
    return RedemptionPublic(offer_id=record.id, campaign_id=record.campaign_id, customer_id=record.customer_id,
                            control=record.control, code=record.code, redeemed_at=record.redeemed_at)



