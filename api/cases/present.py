"""From cases to what people read: SLA state, names of people and types, state labels."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from api.cases.formatting import Translate, duration
from api.cases.views import SlaView
from hub.cases import case_config
from models.cases import Case
from models.errors import NotFound
from models.staff import GroupId, UserId

if TYPE_CHECKING:
    from hub.core import Hub

SOON_SHARE = 0.25  # under a quarter of the time left: the row turns amber


def sla_view(case: Case, now: datetime, t: Translate) -> SlaView:
    """The deadline, the time left (or past it), and whether it is breached, near or paused."""
    sla = case.sla
    if sla.due_at is None:
        return SlaView()
    paused = sla.paused_at is not None
    left = (sla.due_at - now).total_seconds()
    breached = sla.breached or (case.is_open and not paused and left < 0)
    view = SlaView(due=sla.due_at, breached=breached, paused=paused and case.is_open)
    if not case.is_open:
        return view
    if paused:
        return view.model_copy(update={"left": t("cases.sla.paused")})
    if left < 0:
        return view.model_copy(update={"left": t("cases.sla.overdue_by", span=duration(-left, t))})
    budget = (sla.due_at - (sla.started_at or case.created_at)).total_seconds()
    return view.model_copy(update={"left": t("cases.sla.left", span=duration(left, t)),
                                   "soon": budget > 0 and left < budget * SOON_SHARE})


def type_name(hub: Hub, request_type: str, lang: str) -> str:
    """The request type's title in the viewer's language (its id if the catalogue no longer has it)."""
    found = case_config(hub).catalogue.types.get(request_type)
    return request_type if found is None else found.name(lang)


class Names:
    """Display names of users (by id or actor "user:<login>") and groups, each looked up once per request."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._by_id: dict[str, str] = {}
        self._by_login: dict[str, str] = {}
        self._groups: dict[str, str] = {}

    async def user(self, user_id: str | None) -> str:
        """The user's name ('' for none, the id itself for an unknown user)."""
        if not user_id:
            return ""
        if user_id not in self._by_id:
            try:
                self._by_id[user_id] = (await self.hub.stores.directory.get_user(UserId(user_id))).name
            except NotFound:
                self._by_id[user_id] = user_id
        return self._by_id[user_id]

    async def group(self, group_id: str) -> str:
        """The group's name (its id for a group the directory does not have)."""
        if group_id not in self._groups:
            try:
                self._groups[group_id] = (await self.hub.stores.directory.get_group(GroupId(group_id))).name
            except NotFound:
                self._groups[group_id] = group_id
        return self._groups[group_id]

    async def actor(self, actor: str) -> str:
        """'user:anna' -> Anna's name; 'bot', 'system', 'api:crm' stay as they are."""
        if not actor.startswith("user:"):
            return actor
        login = actor.removeprefix("user:")
        if login not in self._by_login:
            found = await self.hub.stores.directory.user_by_login(login)
            self._by_login[login] = login if found is None else found.name
        return self._by_login[login]
