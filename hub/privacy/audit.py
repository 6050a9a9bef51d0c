"""The audit log of who read which customer's data: inbox panel views, API reads, exports and erasures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from models.clock import utcnow
from models.privacy import AuditEntry, AuditQuery, ReadKind

if TYPE_CHECKING:
    from hub.core import Hub


async def record_read(hub: Hub, *, actor: str, customer_id: str, kind: ReadKind, via: str,
                      at: datetime | None = None) -> AuditEntry:
    """Write down that `actor` saw `customer_id`'s data through `via` (a page or API path, a command)."""
    entry = AuditEntry(at=at or utcnow(), actor=actor, customer_id=customer_id, kind=kind, via=via[:500])
    await hub.stores.privacy.record(entry)
    return entry


async def search_audit(hub: Hub, query: AuditQuery) -> list[AuditEntry]:
    """Entries matching every filter given, newest first."""
    return await hub.stores.privacy.search(query)
