"""Routing: which group's queue a topic lands in.

Defaults come from the inbox config (`hub/inbox/config.py`: the shipped `hub/inbox/inbox.yml`, or a YAML file an
install names); admins override single topics at run time, kept in the inbox store, so every process sees
the same routes. A topic nobody mapped goes to the default group. Whether that group can take the work is
`hub/inbox/staffing.py`'s question; `otklik check` proves every route names a group of the directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hub.inbox.config import InboxConfig, load_inbox_config
from models.errors import Forbidden, NotFound, PayloadError
from models.staff import GROUP_ID_PATTERN, GroupId, Role, User

if TYPE_CHECKING:
    from hub.core import Hub

TOPIC_PATTERN = re.compile(r"^[\w.:-]{1,64}$")


@dataclass(frozen=True)
class TopicRoute:
    """A topic and its group, and whether an admin set it or it is the configured default."""

    topic: str
    group: str
    source: Literal["config", "override"]


def inbox_config(hub: Hub) -> InboxConfig:
    """This install's inbox configuration (read once per path)."""
    return load_inbox_config(hub.settings.inbox_config_path)


async def group_for(hub: Hub, topic: str | None) -> str:
    """The group a conversation of `topic` is handed to: override, configured route, else the default."""
    config = inbox_config(hub)
    if topic is None:
        return config.default_group
    overrides = await hub.stores.inbox.routes()
    return overrides.get(topic) or config.routes.get(topic) or config.default_group


async def list_routes(hub: Hub) -> list[TopicRoute]:
    """Every routed topic, by topic: configured ones and admins' overrides (which win)."""
    merged = {t: TopicRoute(t, g, "config") for t, g in inbox_config(hub).routes.items()}
    merged.update({t: TopicRoute(t, g, "override") for t, g in (await hub.stores.inbox.routes()).items()})
    return [merged[t] for t in sorted(merged)]


async def set_route(hub: Hub, topic: str, group: str | None, *, actor: User) -> None:
    """Route `topic` to `group` (an existing group), or back to its configured default with None; admins only."""
    if not actor.has(Role.ADMIN):
        raise Forbidden("only an admin may change routing")
    if not TOPIC_PATTERN.match(topic):
        raise PayloadError(f"topic {topic!r}: letters, digits, '_', '.', ':' or '-', up to 64")
    if group is not None:
        if not re.match(GROUP_ID_PATTERN, group):
            raise PayloadError(f"group {group!r} is not a group id")
        try:
            await hub.stores.directory.get_group(GroupId(group))
        except NotFound as e:
            raise PayloadError(f"group {group!r} does not exist") from e
    await hub.stores.inbox.set_route(topic, group)
