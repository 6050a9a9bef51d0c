"""What erasing a customer does to each record, as pure functions every store adapter applies alike.

Rows stay and keep their ids, times, channels, states, topics and groups, so counts, SLA figures and
reports by topic or store do not move; everything that says who the person is or what they wrote becomes
`ERASED` or goes. Staff-side codes (reason codes, states, groups) stay; free text anyone typed does not.
"""

from __future__ import annotations

from datetime import datetime

from models.cases import Case, CaseComment, CaseEvent
from models.conversations import Conversation, ConversationEvent
from models.customers import Customer
from models.messages import AuthorKind, Message
from models.privacy import ERASED

ERASED_AT = "erased_at"  # the attribute an erased customer keeps: when, so the CRM and pages can say so


def _text(value: str | None) -> str | None:
    return ERASED if value else value


def customer(found: Customer, at: datetime) -> Customer:
    """No name, identities or attributes; only the moment of erasure."""
    return found.model_copy(update={"name": None, "identities": [], "attributes": {ERASED_AT: at.isoformat()}})


def message(found: Message) -> Message:
    """Text, edits, files, buttons and the provider's payload gone; the NLU's topic kept, its text not."""
    nlu = found.nlu.model_copy(update={"text": ERASED, "entities": []}) if found.nlu else None
    customer_wrote = found.author is AuthorKind.CUSTOMER
    return found.model_copy(update={
        "text": _text(found.text) or "", "edits": [], "attachments": [], "buttons": [], "raw": {},
        "status_reason": _text(found.status_reason), "nlu": nlu,
        "author_name": None if customer_wrote else found.author_name,
        # The channel's id names the person (a chat id, an address); unique still, so no row collides.
        "external_id": f"{ERASED}:{found.id}" if found.external_id else None,
    })


def message_files(found: Message) -> list[str]:
    """The stored files a message names (mail attachments, operators' files)."""
    return [a.file_id for a in found.attachments if a.file_id]


def conversation(found: Conversation) -> Conversation:
    """Outcome, notes and the bot's summary gone; states, topic, group, SLA and times kept."""
    return found.model_copy(update={
        "outcome": _text(found.outcome), "handover_note": _text(found.handover_note), "handover_summary": {},
        "follow_up_note": _text(found.follow_up_note),
        "history": [_event(e) for e in found.history],
    })


def _event(found: ConversationEvent) -> ConversationEvent:
    return found.model_copy(update={"note": _text(found.note)})


def case(found: Case) -> Case:
    """Description, fields, files, comments, solution and typed reasons gone; type, store, group, SLA kept."""
    return found.model_copy(update={
        "description": ERASED, "fields": {}, "attachments": [], "order_id": None,
        "solution": _text(found.solution),
        "comments": [CaseComment(id=c.id, author=c.author, text=ERASED, at=c.at) for c in found.comments],
        "history": [_case_event(e) for e in found.history],
    })


def _case_event(found: CaseEvent) -> CaseEvent:
    return found.model_copy(update={"reason": _text(found.reason)})


def case_files(found: Case) -> list[str]:
    """The stored files a case names, as `<case id>/<file id>` (case files live in a folder per case)."""
    return [f"{found.id}/{a.file_id}" for a in found.attachments if a.file_id]


def without_files(found: Message) -> Message:
    """Retention of attachments: the message keeps its text, its files go."""
    return found.model_copy(update={"attachments": []})
