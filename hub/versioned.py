"""Load, change, save under optimistic concurrency: the one retry loop behind conversation and case updates.

A save names the version it read; when someone else saved meanwhile the store raises Conflict and the
change is applied again to a fresh copy, a few times before giving up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from models.errors import Conflict

SAVE_ATTEMPTS = 5


class Versioned(Protocol):
    """Anything stored with a version number that each save moves on."""

    version: int


T = TypeVar("T", bound=Versioned)


async def update_versioned(
    load: Callable[[], Awaitable[T]], save: Callable[[T, int], Awaitable[None]],
    apply: Callable[[T], Awaitable[list[str]]], *, what: str,
) -> tuple[T, list[str]]:
    """Load, `apply` and save (unless nothing changed), again from a fresh copy if someone saved meanwhile;
    the item and what `apply` says it changed. Conflict naming `what` after SAVE_ATTEMPTS tries."""
    for _ in range(SAVE_ATTEMPTS):
        item = await load()
        version = item.version
        changed = await apply(item)
        if not changed:
            return item, changed
        try:
            await save(item, version)
        except Conflict:
            continue
        return item, changed
    raise Conflict(f"{what} kept changing; try again")
