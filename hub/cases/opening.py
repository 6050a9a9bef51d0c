"""Opening a case from a conversation: validate, route, start the SLA clock, or link to the open duplicate.

Idempotent under the caller's key: a repeat returns what the first call made. A second case of the same
shopper, type and store (or order) within the duplicate window is stored closed as a duplicate of the
open one, its description left as a comment there, and the open one is returned: one piece of work.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.cases import sla
from hub.cases.catalogue import RequestType
from hub.cases.config import case_config
from hub.cases.groups import calendar_of
from hub.cases.records import announce, update
from hub.cases.rules import first_group
from hub.inbox.staffing import case_destination
from hub.stores.cases import CaseQuery
from models.cases import Case, CaseAttachment, CaseComment, CaseSource, CaseState, Reason
from models.clock import utcnow
from models.conversations import Conversation, Priority
from models.errors import Conflict, NotFound, PayloadError
from models.ids import ConversationId

if TYPE_CHECKING:
    from hub.core import Hub

STORE_LINK = re.compile(r"^store[_:-]?([A-Za-z0-9_-]{1,32})$")  # a deep link such as `store_118`


async def open_case(
    hub: Hub, *, conversation_id: ConversationId, request_type: str, description: str, store_id: str | None = None,
    priority: Priority | str = Priority.NORMAL, fields: dict[str, Any] | None = None, actor: str, key: str | None,
    source: CaseSource = CaseSource.OPERATOR, order_id: str | None = None,
    attachments: list[CaseAttachment] | None = None, at: datetime | None = None,
) -> tuple[Case, bool]:
    """Open a case (True), or return the one this key already opened or the open case it duplicates (False)."""
    if key is not None and (known := await hub.stores.cases.find_by_key(key)) is not None:
        worked = await _worked_case(hub, known, conversation_id)
        if known.version == 0:  # untouched since its insert: the first call may have died before announcing it
            await _announce_opened(hub, known)  # the same event id again: subscribers drop a repeat
        return worked, False
    config = case_config(hub)
    rtype = config.request_type(request_type)
    conversation = await hub.stores.conversations.get(conversation_id)
    fields = dict(fields or {})
    store_id = _text(store_id or fields.pop("store_id", None)) or _linked_store(conversation)
    order_id = _text(order_id or fields.pop("order_id", None))
    _require(rtype, store_id, order_id, fields)
    region = await _region(hub, store_id)
    at = at or utcnow()
    routed = first_group(config.catalogue, request_type, store_id=store_id, region=region, channel=conversation.channel)
    destination = await case_destination(hub, routed)  # nobody works `routed`: overflow (inbox/staffing)
    group = destination.group
    case = Case(
        number=await hub.stores.cases.next_number(), key=key, conversation_id=conversation.id,
        customer_id=conversation.customer_id, channel=conversation.channel, request_type=request_type,
        store_id=store_id, order_id=order_id, region=region, priority=Priority(priority), description=description,
        fields=fields, attachments=list(attachments or []), source=source, group=group, created_by=actor,
        created_at=at, updated_at=at,
    )
    case.record("opened", actor=actor, at=at, code=Reason.ROUTED, request_type=request_type)
    if destination.overflowed and destination.shortage is not None:
        case.record("overflowed", actor=actor, at=at, code=Reason.OVERFLOW,
                    overflow_from=routed, shortage=destination.shortage.value)
    window = timedelta(hours=config.catalogue.defaults.duplicate_window_hours)
    original = await _open_duplicate(hub, case, since=at - window)
    if original is not None:
        return await _link_duplicate(hub, case, original, actor=actor, at=at), False
    sla.start(case, rtype.sla_hours, await calendar_of(hub, group), at, config.catalogue.reminders(rtype))
    if (twin := await _create(hub, case)) is not None:
        return await _worked_case(hub, twin, conversation_id), False
    await _announce_opened(hub, case)
    return case, True


async def _announce_opened(hub: Hub, case: Case) -> None:
    """Publish `case.opened` for a case just stored (a duplicate names the case it duplicates)."""
    if case.links.duplicate_of is not None:
        await announce(hub, "case.opened", case, request_type=case.request_type, duplicate_of=case.links.duplicate_of)
    else:
        await announce(hub, "case.opened", case, request_type=case.request_type, store_id=case.store_id)


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _linked_store(conversation: Conversation) -> str | None:
    """The store a deep link named (a QR code at the till: `store_118`)."""
    match = STORE_LINK.match(conversation.deep_link or "")
    return match.group(1) if match else None


def _require(rtype: RequestType, store_id: str | None, order_id: str | None, fields: dict[str, Any]) -> None:
    given = {"store_id": store_id, "order_id": order_id}
    missing = [name for name in rtype.required if _text(given.get(name, fields.get(name))) is None]
    if missing:
        raise PayloadError(f"a {rtype.id} case needs {', '.join(missing)}")


async def _region(hub: Hub, store_id: str | None) -> str | None:
    """The store's region; PayloadError for a store the chain does not have."""
    if store_id is None:
        return None
    try:
        return (await hub.stores.directory.get_store(store_id)).region
    except NotFound as e:
        raise PayloadError(f"store_id: no store {store_id!r} in the directory") from e


async def _open_duplicate(hub: Hub, case: Case, *, since: datetime) -> Case | None:
    """The shopper's open case of the same type about the same store or order, opened since `since`."""
    query = CaseQuery(customer_id=case.customer_id, request_type=case.request_type, open_only=True,
                      created_after=since)
    for other in await hub.stores.cases.find(query, order="newest", limit=20):
        same_store = case.store_id is not None and other.store_id == case.store_id
        same_order = case.order_id is not None and other.order_id == case.order_id
        neither = case.store_id is case.order_id is other.store_id is other.order_id is None
        if same_store or same_order or neither:
            return other
    return None


async def _create(hub: Hub, case: Case) -> Case | None:
    """Insert; None, or the case a concurrent request stored under the same key first."""
    try:
        await hub.stores.cases.create(case)
    except Conflict:
        twin = None if case.key is None else await hub.stores.cases.find_by_key(case.key)
        if twin is None:
            raise
        return twin
    return None


async def _link_duplicate(hub: Hub, case: Case, original: Case, *, actor: str, at: datetime) -> Case:
    """Store the new case closed as a duplicate; note it on the original, which goes on with the work."""
    case.links.duplicate_of = original.id
    case.move(CaseState.CLOSED, actor=actor, at=at, code=Reason.DUPLICATE_OF, case_label=original.label,
              duplicate_of=original.id)
    if (twin := await _create(hub, case)) is not None:
        return await _worked_case(hub, twin, case.conversation_id)
    await _announce_opened(hub, case)

    async def apply(target: Case) -> list[str]:
        if case.id in target.links.duplicates:
            return []
        target.links.duplicates.append(case.id)
        target.comments.append(CaseComment(
            id=f"dup-{case.id[:12]}", author=actor, at=at,
            text=f"Duplicate {case.label} ({case.channel}): {case.description}"[:20_000]))
        target.attachments.extend(case.attachments)
        target.record("duplicate_linked", actor=actor, at=at, code=Reason.DUPLICATE_LINKED, case_label=case.label,
                      duplicate=case.id)
        return ["links", "comments"]

    linked, changed = await update(hub, original.id, apply)
    if changed:
        await announce(hub, "case.updated", linked, changed=changed, duplicate=case.id)
    return linked


async def _worked_case(hub: Hub, known: Case, conversation_id: ConversationId) -> Case:
    """For a repeated key: the case doing the work (the original if the key's case was a duplicate)."""
    if known.conversation_id != conversation_id:
        raise Conflict(f"idempotency key {known.key!r} was used for another conversation's case")
    target = known.links.duplicate_of or known.links.merged_into
    return known if target is None else await hub.stores.cases.get(target)
