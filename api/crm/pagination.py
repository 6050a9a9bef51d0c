"""Opaque cursors for pages in (updated_at, id) order.

A cursor names the last item a client has seen, not an offset, so items added meanwhile (they are
updated now, so they sort last) neither repeat nor hide anything. A conversation that changes while a
client pages moves to the end and shows up again there: a feed of changes, as a CRM sync wants.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from hub.stores.crm import PageKey
from models.conversations import Conversation
from models.errors import PayloadError
from models.ids import ConversationId

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode(conversation: Conversation) -> str:
    """The cursor that continues after this conversation."""
    raw = json.dumps({"u": conversation.updated_at.astimezone(UTC).isoformat(), "i": conversation.id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> PageKey:
    """The position a cursor names; PayloadError (422) for anything we did not hand out."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at, conversation_id = datetime.fromisoformat(raw["u"]), raw["i"]
    except (ValueError, TypeError, KeyError, binascii.Error) as e:
        raise PayloadError("cursor: not a cursor this API returned") from e
    if at.tzinfo is None or not isinstance(conversation_id, str):
        raise PayloadError("cursor: not a cursor this API returned")
    return at, ConversationId(conversation_id)


def split_page(found: list[Conversation], limit: int) -> tuple[list[Conversation], str | None]:
    """A page from `limit + 1` items read, and the cursor to the next page (None when this is the last)."""
    page = found[:limit]
    return page, encode(page[-1]) if len(found) > limit else None
