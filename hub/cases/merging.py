"""Merging two cases into one piece of work: the source closes, its comments and attachments move over.

Two documents change, one after the other; each step is idempotent, so a merge retried after a failure
between them completes the second without repeating the first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub.cases.records import announce, update
from hub.cases.work import move_state
from models.cases import Case, CaseComment, CaseId, CaseState, Reason
from models.clock import utcnow
from models.errors import Conflict, InvalidTransition, PayloadError

if TYPE_CHECKING:
    from hub.core import Hub


async def merge(
    hub: Hub, source_id: CaseId, target_id: CaseId, *, actor: str, reason: str | None = None,
    at: datetime | None = None,
) -> Case:
    """Merge `source` into `target` (which must be open); the target, with the source's content."""
    if source_id == target_id:
        raise PayloadError("a case cannot be merged into itself")
    at = at or utcnow()
    target = await hub.stores.cases.get(target_id)
    if not target.is_open:
        raise InvalidTransition(f"case {target.label} is {target.state}: merge into an open case")
    if target.links.merged_into is not None:
        raise Conflict(f"case {target.label} was itself merged into another case")
    why = reason or f"merged into {target.label}"  # the events' text; the history keeps the code instead
    code = None if reason else Reason.MERGED_INTO

    async def close_source(source: Case) -> list[str]:
        if source.links.merged_into == target.id:
            return []  # done by an earlier attempt
        if source.links.merged_into is not None:
            raise Conflict(f"case {source.label} was already merged into another case")
        if source.state is not CaseState.CLOSED:
            await move_state(hub, source, CaseState.CLOSED, actor=actor, at=at, reason=reason, code=code,
                             case_label=target.label)
        source.links.merged_into = target.id
        source.record("merged", actor=actor, at=at, reason=reason, code=code, merged_into=target.id,
                      case_label=target.label)
        return ["links", "state"]

    source, changed = await update(hub, source_id, close_source)
    if changed:
        await announce(hub, "case.merged", source, actor=actor, merged_into=target.id, reason=why,
                       code=code and code.value)

    async def absorb(current: Case) -> list[str]:
        if source.id in current.links.merged:
            return []
        current.links.merged.append(source.id)
        current.comments.extend(
            CaseComment(id=f"m{source.number}-{c.id}"[:40], author=c.author, at=c.at, text=f"[{source.label}] {c.text}")
            for c in source.comments)
        current.comments.append(CaseComment(id=f"m{source.number}", author=actor, at=at,
                                            text=f"{source.label} merged: {source.description}"[:20_000]))
        known = {a.id for a in current.attachments}
        current.attachments.extend(a for a in source.attachments if a.id not in known)
        current.record("merged_in", actor=actor, at=at, reason=reason, code=code and Reason.MERGED_FROM,
                       merged=source.id, case_label=source.label)
        return ["links", "comments", "attachments"]

    target, changed = await update(hub, target_id, absorb)
    if changed:
        await announce(hub, "case.updated", target, changed=changed, merged=source.id, actor=actor)
    return target


async def relate(hub: Hub, case_id: CaseId, other_id: CaseId, *, actor: str, at: datetime | None = None) -> Case:
    """Link two cases as related (each names the other), e.g. two shoppers about one store's broken freezer."""
    if case_id == other_id:
        raise PayloadError("a case cannot be related to itself")
    at = at or utcnow()
    for this, that in ((other_id, case_id), (case_id, other_id)):
        async def link(current: Case, that: CaseId = that) -> list[str]:
            if that in current.links.related:
                return []
            current.links.related.append(that)
            current.record("related", actor=actor, at=at, related=that)
            return ["links"]

        case, changed = await update(hub, this, link)
        if changed:
            await announce(hub, "case.updated", case, changed=changed, related=that, actor=actor)
    return case
