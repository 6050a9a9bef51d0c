"""Canned responses and per-topic scripts: written by content editors and admins, searched by operators.

Operators type a shortcut prefix in the reply box (`/ord` finds `order-status`) and get the matches of
their interface language; a topic's scripts are shown beside a conversation of that topic. `{name}`
placeholders in a text are filled from what the inbox knows (customer and operator names).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from models.canned import CannedKind, CannedResponse
from models.clock import utcnow
from models.errors import Forbidden
from models.staff import Role, User

if TYPE_CHECKING:
    from hub.core import Hub

EDITORS = (Role.CONTENT_EDITOR, Role.ADMIN)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _require_editor(user: User) -> None:
    if not user.has(*EDITORS):
        raise Forbidden(f"{user.login} may not edit canned responses")


async def save(
    hub: Hub, item: CannedResponse, *, actor: User, expected_version: int | None = None,
) -> CannedResponse:
    """Create or update (optimistically with `expected_version`); Conflict on a taken shortcut."""
    _require_editor(actor)
    item = item.model_copy(update={"updated_by": actor.id, "updated_at": utcnow()})
    await hub.stores.inbox.save_canned(item, expected_version=expected_version)
    return item


async def delete(hub: Hub, item_id: str, *, actor: User) -> bool:
    """Remove one; False if it did not exist."""
    _require_editor(actor)
    return await hub.stores.inbox.delete_canned(item_id)


async def search(
    hub: Hub, prefix: str, *, language: str, kind: CannedKind | None = CannedKind.RESPONSE, limit: int = 20,
) -> list[CannedResponse]:
    """Canned responses whose shortcut starts with `prefix` (a leading '/' ignored), by shortcut."""
    return await hub.stores.inbox.search_canned(language=language, prefix=prefix.lstrip("/"), kind=kind, limit=limit)


async def scripts_for(hub: Hub, topic: str | None, *, language: str) -> list[CannedResponse]:
    """The scripts an operator follows for a topic."""
    if topic is None:
        return []
    return await hub.stores.inbox.search_canned(language=language, kind=CannedKind.SCRIPT, topic=topic, limit=50)


def expand(text: str, values: Mapping[str, str]) -> str:
    """Fill `{name}` placeholders that `values` knows; others stay as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
