"""Channels and the accounts (bots, numbers, mailboxes, API clients) a message arrives through."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Channel(StrEnum):
    """Where a message comes from or goes to."""

    API = "api"
    WEBCHAT = "webchat"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    VIBER = "viber"
    EMAIL = "email"
    VOICE = "voice"


# Channels that take free-form text only within a session after the customer's last message (WhatsApp: 24 hours):
# their senders read `OutboundMessage.last_inbound_at`, which the outbox looks up for these channels alone.
SESSION_WINDOW_CHANNELS = frozenset({Channel.WHATSAPP})


class ChannelAccount(BaseModel):
    """One configured entry point of a channel and its secrets (not the operator group it routes to)."""

    model_config = ConfigDict(frozen=True)

    id: str
    channel: Channel
    token: SecretStr  # bot token, auth token, API client token: the account's main secret
    callback_url: str | None = None
    # An api account whose system asserts who its users are (the chain's own CRM or app): their contact
    # details count as proven. Every other account's contact details are only claims.
    trusted: bool = False
    secrets: dict[str, SecretStr] = Field(default_factory=dict)  # e.g. Telegram's webhook secret
    options: dict[str, Any] = Field(default_factory=dict)  # channel-specific, non-secret settings

    def secret(self, name: str) -> str:
        """A named secret's value; KeyError names what the configuration lacks."""
        if name not in self.secrets:
            raise KeyError(f"{self.channel} account {self.id!r} has no secret {name!r}")
        return self.secrets[name].get_secret_value()
