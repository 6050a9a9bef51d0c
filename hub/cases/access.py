"""Who sees which cases: store staff their store's, specialists their groups', the contact centre all.

One rule for the web pages, the API and the tests: `can_see` for one case, `visible_query` to narrow a
list query the same way (so a store's 100,000 cases are filtered by the index, not in Python).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hub.stores.cases import CaseOrder, CasePosition, CaseQuery
from models.cases import Case
from models.errors import NotFound
from models.staff import Role, User, store_group_id

if TYPE_CHECKING:
    from hub.core import Hub

SEES_ALL = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)


def can_see(user: User, case: Case) -> bool:
    """Whether the user may see (and work) the case."""
    if user.has(*SEES_ALL):
        return True
    if user.has(Role.STORE_STAFF) and user.store_id is not None and case.store_id == user.store_id:
        return True
    return user.has(Role.SPECIALIST) and case.group in user.groups


def require_visible(user: User, case: Case) -> Case:
    """The case, or NotFound as if it did not exist (a store's cases are not another store's business)."""
    if not can_see(user, case):
        raise NotFound(f"case {case.id} not found")
    return case


def visible_query(user: User, query: CaseQuery) -> CaseQuery | None:
    """`query` narrowed to what the user may see; None when they may see no case at all."""
    if user.has(*SEES_ALL):
        return query
    store = user.store_id if user.has(Role.STORE_STAFF) else None
    groups = frozenset(user.groups) if user.has(Role.SPECIALIST) else frozenset()
    if store is not None and not groups:
        if query.store_id not in (None, store):
            return None
        return replace(query, store_id=store)
    if store is not None:  # both roles (rare): their groups and their store's queue
        groups |= {store_group_id(store)}
    if not groups:
        return None
    wanted = groups if query.groups is None else groups & query.groups
    return replace(query, groups=wanted) if wanted else None


async def cases_visible_to(
    hub: Hub, user: User, query: CaseQuery | None = None, *, order: CaseOrder = "queue",
    after: CasePosition | None = None, limit: int = 50,
) -> list[Case]:
    """The cases matching `query` that the user may see, in `order`, after `after`."""
    narrowed = visible_query(user, query or CaseQuery())
    if narrowed is None:
        return []
    return await hub.stores.cases.find(narrowed, order=order, after=after, limit=limit)


async def count_visible_to(hub: Hub, user: User, query: CaseQuery | None = None) -> int:
    """How many cases matching `query` the user may see."""
    narrowed = visible_query(user, query or CaseQuery())
    return 0 if narrowed is None else await hub.stores.cases.count(narrowed)
