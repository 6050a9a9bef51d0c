"""Who may open the case pages and act on a case; the rule itself is `hub.cases.access`.

Store staff see their store's cases, specialists their groups', the contact centre (operators,
supervisors, admins) all. Seeing a case lets one comment and attach; changing its state, group or
assignee needs working in its group (or the store's queue), holding it, or the contact centre's roles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from api.web_auth import require_role
from hub.cases import access, get_case
from models.cases import Case, CaseId
from models.errors import Forbidden, NotFound
from models.staff import Role, User, store_group_id

if TYPE_CHECKING:
    from hub.core import Hub

CASE_ROLES = (Role.STORE_STAFF, Role.SPECIALIST, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
OPENER_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)

CaseUser = Annotated[User, Depends(require_role(*CASE_ROLES))]
OpenerUser = Annotated[User, Depends(require_role(*OPENER_ROLES))]


def actor(user: User) -> str:
    """How the case history names a person acting through the pages."""
    return f"user:{user.login}"


async def visible_case(hub: Hub, user: User, case_id: str) -> Case:
    """The case (by id or number) if the user may see it; NotFound if absent or not theirs (the same answer,
    so sequential numbers do not tell which cases exist)."""
    case = await get_case(hub, CaseId(case_id))
    if not access.can_see(user, case):
        text = case_id.removeprefix("#")
        raise NotFound(f"case #{text} not found" if text.isdigit() else f"case {case_id} not found")
    return case


def works_on(user: User, case: Case) -> bool:
    """Whether the user may change the case's state, group or assignee."""
    if user.has(*OPENER_ROLES) or case.assignee == user.id:
        return True
    own_store = user.has(Role.STORE_STAFF) and user.store_id is not None and case.group == store_group_id(
        user.store_id)
    return own_store or (user.has(Role.SPECIALIST) and case.group in user.groups)


def may_take(user: User, case: Case) -> bool:
    """Whether the user can be the case's assignee (a member of its group or store; supervisors, admins)."""
    if user.oversees:
        return True
    return case.group in user.groups or (user.store_id is not None and case.group == store_group_id(user.store_id))


def check_works_on(user: User, case: Case) -> None:
    """Forbidden unless the user may work the case."""
    if not works_on(user, case):
        raise Forbidden(f"case {case.label} is with {case.group}; you may comment on it but not change it")
