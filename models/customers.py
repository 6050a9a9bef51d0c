"""Customers and the channel identities that point at them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.clock import utcnow
from models.errors import Conflict
from models.ids import CustomerId, new_id


class IdentityKind(StrEnum):
    """What an identity value is: a messenger account, a phone number, an address..."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    VIBER = "viber"
    EMAIL = "email"
    PHONE = "phone"
    API = "api"
    WEBCHAT = "webchat"


UNSUBSCRIBED = "unsubscribed"  # customer attribute: identity keys the customer may not be messaged on
PREFERRED_CHANNEL = "preferred_channel"  # customer attribute: the channel proactive messages try first
DEFAULT_REGION = "RU"  # a number written without a country code is taken as Russian: this is a Russian chain


def normalize_phone(raw: str, *, international: bool = False) -> str:
    """E.164 (+79161234567) by libphonenumber; `international` means the digits start with the country
    code even without '+' (WhatsApp's WaId, Viber); ValueError for what cannot be a phone number."""
    text = raw.strip()
    if international and text and not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as e:
        raise ValueError(f"not a phone number: {raw!r}") from e
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"not a phone number: {raw!r}")
    normalized = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # "+49000000" loses a national trunk zero and reads back as another number: one key must mean one number
    if phonenumbers.format_number(phonenumbers.parse(normalized), phonenumbers.PhoneNumberFormat.E164) != normalized:
        raise ValueError(f"not a phone number: {raw!r}")
    return normalized


class Identity(BaseModel):
    """One way to reach a customer; (kind, value) is unique across all customers."""

    model_config = ConfigDict(frozen=True)

    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)

    @model_validator(mode="after")
    def _normalize(self) -> Identity:
        if self.kind is IdentityKind.PHONE:
            object.__setattr__(self, "value", normalize_phone(self.value))
        elif self.kind is IdentityKind.WHATSAPP:  # WhatsApp ids are phone numbers with country code
            object.__setattr__(self, "value", normalize_phone(self.value, international=True))
        elif self.kind is IdentityKind.EMAIL:
            object.__setattr__(self, "value", self.value.strip().lower())
        return self

    @property
    def key(self) -> str:
        """The unique lookup key, e.g. 'phone:+79161234567'."""
        return f"{self.kind.value}:{self.value}"


class Customer(BaseModel):
    """A shopper, however many channels they use."""

    id: CustomerId = Field(default_factory=lambda: CustomerId(new_id()))
    name: str | None = None
    identities: list[Identity] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 0
    merged_into: CustomerId | None = None  # set when merged into another customer, who now has everything

    @field_validator("identities")
    @classmethod
    def _unique_identities(cls, identities: list[Identity]) -> list[Identity]:
        seen: dict[str, Identity] = {}
        for identity in identities:
            seen.setdefault(identity.key, identity)
        return list(seen.values())

    def has(self, identity: Identity) -> bool:
        """Whether this identity is already linked to the customer."""
        return any(i.key == identity.key for i in self.identities)


def merged_profile(survivor: Customer, merged: Customer) -> Customer:
    """`survivor` after taking `merged` in: every identity, the attributes it lacks, both unsubscriptions."""
    attributes = {**merged.attributes, **survivor.attributes}
    unsubscribed = {*survivor.attributes.get(UNSUBSCRIBED, []), *merged.attributes.get(UNSUBSCRIBED, [])}
    if unsubscribed:
        attributes[UNSUBSCRIBED] = sorted(unsubscribed)
    return survivor.model_copy(update={
        "name": survivor.name or merged.name, "identities": [*survivor.identities, *merged.identities],
        "attributes": attributes, "version": survivor.version + 1,
    })


def emptied(merged: Customer, into: CustomerId) -> Customer:
    """`merged` once its identities have moved to `into`: a redirect kept for old references."""
    return merged.model_copy(update={"identities": [], "merged_into": into, "version": merged.version + 1})


def merge_needed(survivor: Customer, merged: Customer) -> bool:
    """Whether merging `merged` into `survivor` is still to do (False: already done); Conflict if it cannot be."""
    if survivor.id == merged.id:
        raise Conflict(f"customer {survivor.id} cannot be merged into itself")
    if merged.merged_into == survivor.id:
        return False
    if merged.merged_into is not None:
        raise Conflict(f"customer {merged.id} was already merged into {merged.merged_into}")
    if survivor.merged_into is not None:
        raise Conflict(f"customer {survivor.id} was merged into {survivor.merged_into}; merge into that one")
    return True
