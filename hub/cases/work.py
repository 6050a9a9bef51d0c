"""Working a case: state changes, assignment, moving between groups, comments, attachments, details.

Each change is recorded in the case's history (who, when, why), saved with optimistic versioning and
announced as an event. The SLA clock follows: waiting pauses it where the type says so, leaving waiting
resumes it, a move to a group with other working hours re-counts the time left in its calendar.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.cases import sla
from hub.cases.config import case_config
from hub.cases.groups import calendar_of, find_group
from hub.cases.records import announce, update
from hub.working_hours import Calendar
from models.cases import Case, CaseAttachment, CaseComment, CaseId, CaseState, Reason, WaitingFor
from models.clock import utcnow
from models.conversations import Priority
from models.errors import InvalidTransition, NotFound, PayloadError
from models.staff import GROUP_ID_PATTERN, User, UserId, store_group_id

if TYPE_CHECKING:
    from hub.core import Hub

C = CaseState


async def _clock(hub: Hub, case: Case) -> tuple[Calendar, list[float]]:
    """The calendar of the case's group and its type's reminder fractions."""
    config = case_config(hub)
    return await calendar_of(hub, case.group), config.reminders_of(case.request_type)


async def move_state(hub: Hub, case: Case, to: CaseState, *, actor: str, at: datetime, reason: str | None,
                     waiting_for: WaitingFor | None = None, code: Reason | None = None, **data: Any) -> None:
    """Change the state of a loaded case and keep its SLA clock in step."""
    calendar, fractions = await _clock(hub, case)
    leaving_wait = case.state is C.WAITING
    case.move(to, actor=actor, at=at, reason=reason, waiting_for=waiting_for, code=code, **data)
    if leaving_wait:
        sla.resume(case, calendar, at, fractions)
    rtype = case_config(hub).type_of(case.request_type)
    if to is C.WAITING and rtype is not None and rtype.pause_on_waiting:
        sla.pause(case, at)
    sla.plan(case, calendar, at, fractions)


async def transition(
    hub: Hub, case_id: CaseId, to: CaseState, *, actor: str, reason: str | None = None,
    waiting_for: WaitingFor | None = None, at: datetime | None = None,
) -> Case:
    """Move to `to` (new/in_progress/waiting); solving and closing have their own steps."""
    if to is C.SOLVED:
        raise InvalidTransition("solve a case with its solution text (solve), not a bare transition")
    if to is C.CLOSED:
        return await close(hub, case_id, actor=actor, reason=reason, at=at)
    at = at or utcnow()

    async def apply(case: Case) -> list[str]:
        if case.state is to and (to is not C.WAITING or case.waiting_for is waiting_for):
            return []
        await move_state(hub, case, to, actor=actor, at=at, reason=reason, waiting_for=waiting_for)
        return ["state"]

    case, changed = await update(hub, case_id, apply)
    if changed:
        await announce(hub, "case.state_changed", case, actor=actor, reason=reason,
                       waiting_for=case.waiting_for.value if case.waiting_for else None)
    return case


async def check_assignee(hub: Hub, case: Case, user_id: str) -> User:
    """The user, if they may work this case: active, and in its group (or staff of its store)."""
    try:
        user = await hub.stores.directory.get_user(UserId(user_id))
    except NotFound as e:
        raise PayloadError(f"assignee: no user {user_id!r}") from e
    in_group = case.group in user.groups or (
        user.store_id is not None and case.group == store_group_id(user.store_id))
    if not user.active or not (in_group or user.oversees):
        raise PayloadError(f"assignee: {user.login} does not work in {case.group}")
    return user


async def assign(
    hub: Hub, case_id: CaseId, assignee: str | None, *, actor: str, reason: str | None = None,
    at: datetime | None = None, code: Reason | None = None,
) -> Case:
    """Give the case to a person of its group (None: back to the group); a new case goes in progress.

    `reason` is what a person typed; `code` says why when the page's button says it all (taken, released)."""
    at = at or utcnow()

    async def apply(case: Case) -> list[str]:
        if case.assignee == assignee:
            return []
        if not case.is_open:
            raise InvalidTransition(f"case {case.label} is {case.state}: reopen it first")
        if assignee is not None:
            await check_assignee(hub, case, assignee)
        before, case.assignee = case.assignee, assignee
        case.record("assigned", actor=actor, at=at, reason=reason, code=code, previous=before)
        if case.state is C.NEW and assignee is not None:
            await move_state(hub, case, C.IN_PROGRESS, actor=actor, at=at, reason=None, code=Reason.ASSIGNED)
            return ["assignee", "state"]
        return ["assignee"]

    case, changed = await update(hub, case_id, apply)
    if changed:
        await announce(hub, "case.assigned", case, actor=actor, reason=reason or (code and code.value),
                       code=code and code.value)
    if "state" in changed:
        await announce(hub, "case.state_changed", case, actor=actor, reason="assigned", code=Reason.ASSIGNED.value)
    return case


async def move_to_group(
    hub: Hub, case_id: CaseId, group: str, *, actor: str, reason: str, at: datetime | None = None,
) -> Case:
    """Hand the case to another group (its queue, nobody's yet); why is required and recorded."""
    _check_group_id(group)
    if not reason.strip():
        raise PayloadError("reason: say why the case moves to another group")
    at = at or utcnow()

    async def apply(case: Case) -> list[str]:
        if case.group == group:
            return []
        if not case.is_open:
            raise InvalidTransition(f"case {case.label} is {case.state}: reopen it first")
        if group.startswith("store:") and case.store_id is not None and store_group_id(case.store_id) != group:
            raise PayloadError(f"group: case {case.label} is about store {case.store_id}, not {group}")
        old, fractions = await _clock(hub, case)
        before, case.group, case.assignee = case.group, group, None
        if group.startswith("store:") and case.store_id is None:  # the group keeps the store number's own case
            known = await find_group(hub, group)
            case.store_id = known.store_id if known and known.store_id else group.removeprefix("store:")
        case.record("group_changed", actor=actor, at=at, reason=reason, previous=before)
        if case.state is C.IN_PROGRESS:  # the new group has yet to take it
            _requeue(case, actor, at)
        sla.rebase(case, old, await calendar_of(hub, group), at, fractions)
        return ["group", "assignee"]

    case, changed = await update(hub, case_id, apply)
    if changed:
        await announce(hub, "case.updated", case, changed=changed, actor=actor, reason=reason)
    return case


def _requeue(case: Case, actor: str, at: datetime) -> None:
    """In progress with a person of the old group -> new in the new group's queue (not a legal user move)."""
    before, case.state = case.state, C.NEW
    case.record("state_changed", actor=actor, at=at, code=Reason.REQUEUED, from_state=before, group=case.group)


def _check_group_id(group: str) -> None:
    if not re.fullmatch(GROUP_ID_PATTERN, group):
        raise PayloadError(f"group: {group!r} is not a group id")


async def comment(
    hub: Hub, case_id: CaseId, text: str, *, actor: str, key: str | None = None, at: datetime | None = None,
) -> tuple[Case, CaseComment]:
    """Add a staff comment (once per `key`); the case and the comment."""
    if not text.strip():
        raise PayloadError("text: a comment needs text")
    at = at or utcnow()
    note = CaseComment(author=actor, text=text, at=at,
                       **({"id": hashlib.sha256(key.encode()).hexdigest()[:12]} if key else {}))

    async def apply(case: Case) -> list[str]:
        if any(c.id == note.id for c in case.comments):
            return []
        case.comments.append(note)
        case.updated_at = at
        return ["comments"]

    case, changed = await update(hub, case_id, apply)
    stored = next(c for c in case.comments if c.id == note.id)
    if changed:
        await announce(hub, "case.commented", case, key=f"{case.id}:{note.id}", comment_id=note.id, actor=actor)
    return case, stored


async def add_attachment(
    hub: Hub, case_id: CaseId, attachment: CaseAttachment, *, actor: str, at: datetime | None = None,
) -> Case:
    """Attach a file by reference (once per attachment id)."""
    at = at or utcnow()

    async def apply(case: Case) -> list[str]:
        if any(a.id == attachment.id for a in case.attachments):
            return []
        case.attachments.append(attachment.model_copy(update={"added_by": actor, "added_at": at}))
        case.record("attachment_added", actor=actor, at=at, reason=attachment.name, attachment=attachment.id)
        return ["attachments"]

    case, changed = await update(hub, case_id, apply)
    if changed:
        await announce(hub, "case.updated", case, changed=changed, actor=actor)
    return case


async def update_details(
    hub: Hub, case_id: CaseId, *, actor: str, priority: Priority | None = None, description: str | None = None,
    fields: dict[str, Any] | None = None, at: datetime | None = None,
) -> Case:
    """Change priority, description and/or custom fields (a None field value removes it)."""
    at = at or utcnow()

    async def apply(case: Case) -> list[str]:
        changed = []
        if priority is not None and priority is not case.priority:
            case.record("priority_changed", actor=actor, at=at, previous=case.priority.value, priority=priority.value)
            case.priority = priority
            changed.append("priority")
        if description is not None and description != case.description:
            case.description = description
            case.record("description_changed", actor=actor, at=at)
            changed.append("description")
        if fields:
            merged = {k: v for k, v in {**case.fields, **fields}.items() if v is not None}
            if merged != case.fields:
                case.fields = merged
                case.record("fields_changed", actor=actor, at=at, fields=sorted(fields))
                changed.append("fields")
        return changed

    case, changed = await update(hub, case_id, apply)
    if changed:
        await announce(hub, "case.updated", case, changed=changed, actor=actor)
    return case


async def close(
    hub: Hub, case_id: CaseId, *, actor: str, reason: str | None = None, at: datetime | None = None,
) -> Case:
    """Close: after solving, or without (spam, withdrawn: the reason is then required)."""
    at = at or utcnow()

    async def apply(case: Case) -> list[str]:
        if case.state is C.CLOSED:
            return []
        if case.state is not C.SOLVED and not (reason or "").strip():
            raise PayloadError(f"reason: case {case.label} is not solved; say why it is closed")
        await move_state(hub, case, C.CLOSED, actor=actor, at=at, reason=reason)
        return ["state"]

    case, changed = await update(hub, case_id, apply)
    if changed:
        await announce(hub, "case.closed", case, actor=actor, reason=reason)
    return case


async def reopen(hub: Hub, case_id: CaseId, *, actor: str, reason: str, at: datetime | None = None) -> Case:
    """Back to work from solved or closed, with a fresh SLA clock; why is required and recorded."""
    if not reason.strip():
        raise PayloadError("reason: say why the case is reopened")
    at = at or utcnow()

    async def apply(case: Case) -> list[str]:
        case.reopen(actor=actor, at=at, reason=reason)
        calendar, fractions = await _clock(hub, case)
        rtype = case_config(hub).type_of(case.request_type)
        sla.start(case, rtype.sla_hours if rtype else case.sla.hours, calendar, at, fractions)
        return ["state"]

    case, _ = await update(hub, case_id, apply)
    await announce(hub, "case.reopened", case, actor=actor, reason=reason)
    return case
