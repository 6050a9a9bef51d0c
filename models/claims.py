"""Claims and one-time codes: what a shopper says about who they are, and how they prove it.

A channel proves some identities (the sender's own number or address); every other contact a shopper
gives is a claim. A claim is kept and shown to operators as "claimed, not verified"; it never links an
identity to anyone until it is verified with a one-time code or linked by an operator.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.channels import Channel
from models.customers import Identity
from models.ids import ConversationId, CustomerId, new_id


class ClaimStatus(StrEnum):
    """Where a claim stands."""

    CLAIMED = "claimed"  # said, not proven
    VERIFIED = "verified"  # proven with a one-time code sent through the owner's proven channel
    LINKED = "linked"  # an operator linked it by hand


class Claim(BaseModel):
    """Customer `customer_id` said identity `identity` is theirs; one record per (customer, identity)."""

    model_config = ConfigDict(frozen=True)

    customer_id: CustomerId
    identity: Identity
    channel: Channel  # where it was said
    conversation_id: ConversationId | None = None
    status: ClaimStatus = ClaimStatus.CLAIMED
    first_at: datetime
    last_at: datetime
    decided_by: str | None = None  # "verification" or the operator who linked it
    decided_at: datetime | None = None

    @property
    def key(self) -> str:
        """The unique key of the claim."""
        return f"{self.customer_id}|{self.identity.key}"


class Challenge(BaseModel):
    """A one-time code sent to the owner of a claimed identity; only its hash is kept."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_id)
    customer_id: CustomerId  # who asked for it (the claimer)
    identity: Identity  # the claimed identity it proves
    owner_id: CustomerId  # whose proven channel the code went to
    sent_to: str  # masked description of where it went, e.g. "Telegram" or "b***@example.ru"
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None
