"""Loading and saving cases safely, and announcing what changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from hub import events
from models.cases import Case, CaseId
from models.errors import Conflict

if TYPE_CHECKING:
    from hub.runtime import Hub

SAVE_ATTEMPTS = 5
Apply = Callable[[Case], Awaitable[list[str]]]


async def update(hub: Hub, case_id: CaseId, apply: Apply) -> tuple[Case, list[str]]:
    """Load, `apply` and save (unless nothing changed), from a fresh copy if someone saved meanwhile."""
    store = hub.stores.cases
    for _ in range(SAVE_ATTEMPTS):
        case = await store.get(case_id)
        version = case.version
        changed = await apply(case)
        if not changed:
            return case, changed
        try:
            await store.save(case, expected_version=version)
        except Conflict:
            continue
        return case, changed
    raise Conflict(f"case {case_id} kept changing; try again")


async def announce(hub: Hub, kind: str, case: Case, *, key: str | None = None, **data: Any) -> None:
    """Publish a case event (its id: kind, case and version, or `key`), with the case's ids."""
    await events.emit(
        hub, kind, key or f"{case.id}:{case.version}", customer_id=case.customer_id,
        conversation_id=case.conversation_id, case_id=case.id, case_number=case.number, group=case.group,
        assignee=case.assignee, state=case.state.value, **data)
