"""Channels and the accounts (bots, numbers, mailboxes, API clients) a message arrives through."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, SecretStr


class Channel(StrEnum):
    """Where a message comes from or goes to."""

    API = "api"
    WEBCHAT = "webchat"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    VIBER = "viber"
    EMAIL = "email"
    VOICE = "voice"


class ChannelAccount(BaseModel):
    """One configured entry point of a channel and its secrets (not the operator group it routes to)."""

    model_config = ConfigDict(frozen=True)

    id: str
    channel: Channel
    token: SecretStr
    callback_url: str | None = None
