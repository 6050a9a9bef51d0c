"""CSAT: the shopper's 1–5 rating after a resolve, its settings and how an answer is read. Pure, no I/O.

A request and its answer live in the conversation's history (kinds below), so the inbox timeline shows
them and no extra store is needed: `csat_requested` {request, case?, channel}, `csat_answered` {request,
score, via}, `csat_commented` {request, comment}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.conversations import Conversation

REQUESTED = "csat_requested"
ANSWERED = "csat_answered"
COMMENTED = "csat_commented"
SCORES = range(1, 6)
PAYLOAD_PREFIX = "csat:"  # a button's payload: csat:<conversation id>:<score> (Telegram allows 64 bytes)
# A typed answer: one digit 1–5, perhaps with stars or "/5" and a full stop ("5", "4/5", "5 ⭐").
_TYPED = re.compile(r"\s*([1-5])\s*(?:/\s*5|[⭐★*]+)?\s*[.!]?\s*")
_PAYLOAD = re.compile(r"csat:([0-9a-f]{32}):([1-5])")


class CsatConfig(BaseModel):
    """The `csat:` section of the inbox configuration (hub/inbox/inbox.yml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = False
    low_score: int = Field(default=2, ge=1, le=4)  # this score or lower reopens to `low_score_group`
    low_score_group: str | None = None  # None: the inbox's overflow group, else its default group
    after_bot_only: bool = False  # ask also when the bot settled it alone
    comment_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)  # a comment may follow the score this long
    answer_hours: int = Field(default=72, ge=1, le=30 * 24)  # a request (and its e-mail links) expires after


@dataclass(frozen=True)
class Reading:
    """What a shopper's message says to a pending request: a score, or a comment."""

    score: int | None = None
    comment: str | None = None
    conversation_id: str | None = None  # a button names its conversation


def button_payload(conversation_id: str, score: int) -> str:
    """The payload of the button for `score`."""
    return f"{PAYLOAD_PREFIX}{conversation_id}:{score}"


def read_score(text: str) -> Reading | None:
    """A score in a button payload or a typed digit; None for anything else."""
    if (pressed := _PAYLOAD.fullmatch(text.strip())) is not None:
        return Reading(score=int(pressed.group(2)), conversation_id=pressed.group(1))
    if (typed := _TYPED.fullmatch(text)) is not None:
        return Reading(score=int(typed.group(1)))
    return None


@dataclass(frozen=True)
class Pending:
    """The latest CSAT request of a conversation and how far its answer got."""

    request: str
    asked_at_index: int
    case_id: str | None
    facts: dict[str, Any]  # what was rated, as it was when asked: channel, group, assignee, topic, case
    score: int | None
    comment: str | None
    answered_at_index: int | None

    @property
    def answered(self) -> bool:
        """A score was recorded."""
        return self.score is not None


def latest_request(conversation: Conversation) -> Pending | None:
    """The conversation's newest CSAT request with its answer so far (from the history)."""
    asked = next((n for n in range(len(conversation.history) - 1, -1, -1)
                  if conversation.history[n].kind == REQUESTED), None)
    if asked is None:
        return None
    entry = conversation.history[asked]
    request = str(entry.data.get("request"))
    score: int | None = None
    comment: str | None = None
    answered: int | None = None
    for n, later in enumerate(conversation.history[asked + 1:], start=asked + 1):
        if later.data.get("request") != request:
            continue
        if later.kind == ANSWERED and score is None:
            score, answered = int(later.data["score"]), n
        elif later.kind == COMMENTED and comment is None:
            comment = str(later.data.get("comment") or "")
    return Pending(request=request, asked_at_index=asked, case_id=entry.data.get("case"),
                   facts={k: v for k, v in entry.data.items() if k != "request"}, score=score, comment=comment,
                   answered_at_index=answered)


def asked(conversation: Conversation, request: str) -> bool:
    """Whether this request was already asked on the conversation (asked once per resolve)."""
    return any(e.kind == REQUESTED and e.data.get("request") == request for e in conversation.history)
