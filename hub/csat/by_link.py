"""The e-mail links' two operations: record the link's score (one click), then an optional comment.

A link is bound to its conversation, request and score and expires with the request (hub/csat/links.py).
Clicking it again, or another score's link after the first, shows what was recorded and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub.csat import links
from hub.csat.answers import Recorded, record_comment, record_score
from models.errors import NotFound
from models.ids import ConversationId

if TYPE_CHECKING:
    from hub.core import Hub


async def answer_by_link(hub: Hub, token: str, *, now: datetime) -> Recorded:
    """Record the score the link names (the first score wins); NotFound for a bad, expired or stale link."""
    claim = links.check(hub.settings.secret_key.get_secret_value(), token, now=now)
    try:
        return await record_score(hub, ConversationId(claim.conversation_id), claim.request, claim.score,
                                  via="link", now=now)
    except NotFound as e:  # the conversation is gone or was asked again since: same answer as a bad link
        raise NotFound(links.NOT_FOUND) from e


async def comment_by_link(hub: Hub, token: str, comment: str, *, now: datetime) -> Recorded | None:
    """Add a comment through the page the link opened (until the link expires); None if one is there already."""
    claim = links.check(hub.settings.secret_key.get_secret_value(), token, now=now)
    try:
        return await record_comment(hub, ConversationId(claim.conversation_id), claim.request, comment, now=now,
                                    within=None)
    except NotFound as e:
        raise NotFound(links.NOT_FOUND) from e
