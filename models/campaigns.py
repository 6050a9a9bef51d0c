"""Targeted promotions (issue 19): a campaign names who may get an offer, what it is, where it is made and its
caps; an offer record is one customer's turn in a campaign, offered or held back in the control group.

    Campaign ─ audience (CRM facts × the contact × time) ─ offer (code pool or CRM-issued, text ru/en)
             ─ placements (moments) ─ caps (budget; once per customer) ─ control share
    Contact + CustomerFacts + Counters ─► hub/campaigns/decide.py ─► Decision ─► OfferRecord (reserved under caps)
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from models.channels import Channel

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
LANGUAGES = ("ru", "en")


class Moment(StrEnum):
    """Where an offer may be made: the named moments of a conversation, the operator's panel, a proactive send."""

    COMPLAINT_RESOLVED = "complaint_resolved"  # goodwill after a complaint was settled
    ORDER_STATUS = "order_status"  # after the bot answered where an order is
    PRAISE = "praise"  # after the shopper praised a store or an employee
    OPERATOR = "operator"  # "next best offer" in the operator's panel
    PROACTIVE = "proactive"  # a message nobody asked for: quiet hours and channel rules apply


class OfferSource(StrEnum):
    """Where codes come from."""

    POOL = "pool"  # imported from a file; each offer takes the next free one
    CRM = "crm"  # issued by the CRM through the context port, keyed on the offer


class HourRange(BaseModel):
    """Local hours [start, end); end < start wraps past midnight (21-9)."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0, le=23)
    end: int = Field(ge=0, le=24)

    @classmethod
    def parse(cls, text: str) -> HourRange:
        """"21-9" as a range; ValueError says what is wrong."""
        start, sep, end = text.partition("-")
        if not sep or not start.strip().isdigit() or not end.strip().isdigit():
            raise ValueError(f"hours are 'start-end' in whole local hours, e.g. 21-9, not {text!r}")
        return cls(start=int(start), end=int(end))

    def holds(self, hour: int) -> bool:
        """Whether the local `hour` falls inside."""
        if self.start <= self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


class Audience(BaseModel):
    """Who may get the offer: every rule given must hold; an empty list or None means "any"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    loyalty_tiers: frozenset[str] = frozenset()  # the CRM's tier names
    regions: frozenset[str] = frozenset()  # the CRM profile's city
    stores: frozenset[str] = frozenset()  # store numbers the shopper bought in recently
    min_purchases: int | None = Field(default=None, ge=0)  # receipts within `frequency_days`
    max_purchases: int | None = Field(default=None, ge=0)
    frequency_days: int = Field(default=90, ge=1, le=3650)
    bought_within_days: int | None = Field(default=None, ge=0)  # recency: a purchase this recent
    lapsed_days: int | None = Field(default=None, ge=0)  # recency: no purchase for this long (win-back)
    topics: frozenset[str] = frozenset()
    channels: frozenset[Channel] = frozenset()
    languages: frozenset[str] = frozenset()
    complaint_resolved: bool | None = None
    csat_min: int | None = Field(default=None, ge=1, le=5)
    csat_max: int | None = Field(default=None, ge=1, le=5)
    weekdays: frozenset[int] = frozenset()  # ISO: 1 Monday .. 7 Sunday, local
    hours: HourRange | None = None  # local

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, days: frozenset[int]) -> frozenset[int]:
        if not days <= set(range(1, 8)):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return days


class Offer(BaseModel):
    """What the shopper gets: a code and the words that present it, in every language we answer in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: OfferSource
    text: dict[str, Annotated[str, Field(min_length=1, max_length=1000)]]  # "{code}" is replaced by the code
    crm_reason: str = Field(default="campaign", min_length=1, max_length=100)  # the CRM's reason for its codes
    cost: Decimal = Field(default=Decimal(0), ge=0, max_digits=12, decimal_places=2)  # roubles per redemption
    whatsapp_template: str | None = None  # needed to offer on WhatsApp outside its 24-hour window

    @field_validator("text")
    @classmethod
    def _every_language(cls, text: dict[str, str]) -> dict[str, str]:
        missing = [lang for lang in LANGUAGES if lang not in text]
        if missing:
            raise ValueError(f"offer text needs every language: missing {', '.join(missing)}")
        return text

    def text_for(self, language: str, code: str) -> str:
        """The offer in `language` (Russian when we do not speak it) with the code in place."""
        return self.text.get(language, self.text["ru"]).replace("{code}", code)


class Campaign(BaseModel):
    """One promotion as marketing defines it."""

    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    active: bool = True
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    priority: int = Field(default=0, ge=0, le=1000)  # the highest eligible wins; ties go to the lower id
    placements: frozenset[Moment] = Field(min_length=1)
    audience: Audience = Audience()
    offer: Offer
    budget: int | None = Field(default=None, ge=1)  # offers made (not held back) at most
    control_share: float = Field(default=0.1, ge=0.0, le=0.9)
    version: int = 0

    @model_validator(mode="after")
    def _period(self) -> Campaign:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("a campaign ends after it starts")
        return self

    def runs_at(self, now: datetime) -> bool:
        """Active and inside its period."""
        return (self.active and (self.starts_at is None or now >= self.starts_at)
                and (self.ends_at is None or now < self.ends_at))


class CustomerFacts(BaseModel):
    """What the CRM knows that audiences ask about (hub/campaigns/facts.py reads it through the context port)."""

    model_config = ConfigDict(frozen=True)

    crm_id: str | None = None
    loyalty_tier: str | None = None
    region: str | None = None
    stores: frozenset[str] = frozenset()
    purchase_days: tuple[int, ...] = ()  # days since each recent purchase, newest first

    def purchases_within(self, days: int) -> int:
        """Receipts in the last `days` days."""
        return sum(1 for d in self.purchase_days if d <= days)

    @property
    def segment(self) -> str:
        """The breakdown the campaign page shows: the loyalty tier, or "none"."""
        return self.loyalty_tier or "none"


class Contact(BaseModel):
    """The moment of contact the decision is asked about."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    conversation_id: str | None = None
    moment: Moment
    channel: Channel
    language: str = "ru"
    topic: str | None = None
    complaint_resolved: bool = False
    csat: int | None = Field(default=None, ge=1, le=5)
    marketing_allowed: bool = True  # consent given and not unsubscribed from this channel
    session_open: bool = True  # WhatsApp: inside the 24-hour window, free text allowed


class Counters(BaseModel):
    """What caps the decision reads, as of a snapshot (the reservation checks again, atomically)."""

    model_config = ConfigDict(frozen=True)

    customer_campaigns: frozenset[str] = frozenset()  # campaigns this customer already had a turn in
    customer_week: int = 0  # offers made to the customer this week, across campaigns
    made: dict[str, int] = Field(default_factory=dict)  # offers made per campaign (its budget spent)


class Policy(BaseModel):
    """The rules across campaigns, from the settings."""

    model_config = ConfigDict(frozen=True)

    weekly_limit: int = Field(default=2, ge=0)  # offers per customer per week, across campaigns
    quiet_hours: HourRange | None = HourRange(start=21, end=9)  # no proactive offer then (local)
    timezone: str = "Europe/Moscow"


class Decision(BaseModel):
    """The decision's answer: an offer to make, a holdout to record, or nothing, and why."""

    model_config = ConfigDict(frozen=True)

    campaign_id: str | None = None
    control: bool = False  # the customer is in the campaign's control group: record, do not offer
    reason: str  # "offer", "control_group", or why nothing: "no_marketing", "weekly_limit", "no_campaign"...
    skipped: dict[str, str] = Field(default_factory=dict)  # campaign id -> why it was not chosen

    @property
    def offers(self) -> bool:
        """Whether an offer is to be made."""
        return self.campaign_id is not None and not self.control


class OfferState(StrEnum):
    """Where a customer's turn in a campaign is."""

    HELD_BACK = "held_back"  # the control group: nothing sent
    MADE = "made"  # reserved under the caps, code attached
    DELIVERED = "delivered"  # the message carrying it was sent
    REDEEMED = "redeemed"  # the CRM reported it used


class OfferRecord(BaseModel):
    """One customer's turn in one campaign (at most one: its id is the campaign and the customer)."""

    id: str
    campaign_id: str
    customer_id: str
    conversation_id: str | None = None
    moment: Moment
    channel: Channel
    language: str = "ru"
    segment: str = "none"
    control: bool = False
    week: str  # ISO week in the chain's zone, "2026-W49": the frequency cap's window
    made_at: datetime
    state: OfferState
    code: str | None = None
    message_id: str | None = None
    delivered_at: datetime | None = None
    redeemed_at: datetime | None = None
    redemption_id: str | None = None
    order_total: Decimal | None = None
    version: int = 0

    @staticmethod
    def id_for(campaign_id: str, customer_id: str) -> str:
        """The one id a customer's turn in a campaign has: a retried issue finds the first."""
        return f"{campaign_id}:{customer_id}"

    @property
    def converted(self) -> bool:
        """Redeemed (an offer) or reported buying in the campaign's window (a holdout)."""
        return self.redeemed_at is not None


class CapLimits(BaseModel):
    """The caps a reservation checks, all at once."""

    model_config = ConfigDict(frozen=True)

    budget: int | None = None
    weekly_limit: int


class Reservation(BaseModel):
    """The outcome of reserving a turn: the record (new or the earlier one) or the cap that refused."""

    model_config = ConfigDict(frozen=True)

    record: OfferRecord | None = None
    refused: str | None = None  # "budget", "weekly_limit"
    replayed: bool = False  # the same offer id was reserved before: the first record
