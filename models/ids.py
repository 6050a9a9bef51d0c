"""Typed identifiers, so a customer id is never passed where a conversation id belongs."""

from __future__ import annotations

import uuid
from typing import NewType

CustomerId = NewType("CustomerId", str)
ConversationId = NewType("ConversationId", str)
MessageId = NewType("MessageId", str)
EventId = NewType("EventId", str)


def new_id() -> str:
    """A fresh, time-ordered-enough, URL-safe identifier (UUID4 hex)."""
    return uuid.uuid4().hex
