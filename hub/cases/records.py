"""Loading and saving cases safely, and announcing what changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from hub import events
from hub.versioned import update_versioned
from models.cases import Case, CaseId

if TYPE_CHECKING:
    from hub.core import Hub

Apply = Callable[[Case], Awaitable[list[str]]]


async def update(hub: Hub, case_id: CaseId, apply: Apply) -> tuple[Case, list[str]]:
    """Load, `apply` and save (unless nothing changed), from a fresh copy if someone saved meanwhile."""
    store = hub.stores.cases

    async def save(case: Case, version: int) -> None:
        await store.save(case, expected_version=version)

    return await update_versioned(lambda: store.get(case_id), save, apply, what=f"case {case_id}")


async def announce(hub: Hub, kind: str, case: Case, *, key: str | None = None, **data: Any) -> None:
    """Publish a case event (its id: kind, case and version, or `key`), with the case's ids."""
    await events.emit(
        hub, kind, key or f"{case.id}:{case.version}", customer_id=case.customer_id,
        conversation_id=case.conversation_id, case_id=case.id, case_number=case.number, group=case.group,
        assignee=case.assignee, state=case.state.value, **data)
