"""Topic → group routing: configured routes, admins' overrides, the default group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.inbox import routing
from models.errors import Forbidden, PayloadError
from models.staff import Role
from tests.inbox_fixtures import group, hub_on, operator


async def test_topics_route_by_config_then_admin_override_and_unknown_goes_to_default(
    make_settings: Any, tmp_path: Path,
) -> None:
    config = tmp_path / "inbox.yml"
    config.write_text("default_group: front\nroutes: {return_refund: returns, promo_code: loyalty}\n")
    async with hub_on(make_settings(inbox_config_path=str(config))) as hub:
        admin = await operator(hub, "admin", [], roles=[Role.ADMIN])
        await group(hub, "quality")
        assert await routing.group_for(hub, "return_refund") == "returns"
        assert await routing.group_for(hub, "weather") == "front"
        assert await routing.group_for(hub, None) == "front"

        await routing.set_route(hub, "return_refund", "quality", actor=admin)
        assert await routing.group_for(hub, "return_refund") == "quality"
        routes = {r.topic: (r.group, r.source) for r in await routing.list_routes(hub)}
        assert routes == {"return_refund": ("quality", "override"), "promo_code": ("loyalty", "config")}

        await routing.set_route(hub, "return_refund", None, actor=admin)
        assert await routing.group_for(hub, "return_refund") == "returns"


async def test_only_admins_route_and_only_to_existing_groups(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        admin = await operator(hub, "admin", [], roles=[Role.ADMIN])
        clerk = await operator(hub, "clerk", ["general"])
        with pytest.raises(Forbidden):
            await routing.set_route(hub, "promo_code", "general", actor=clerk)
        with pytest.raises(PayloadError, match="does not exist"):
            await routing.set_route(hub, "promo_code", "nowhere", actor=admin)
        with pytest.raises(PayloadError, match="topic"):
            await routing.set_route(hub, "bad topic!", None, actor=admin)
        assert await hub.stores.inbox.routes() == {}


def test_a_broken_config_file_names_itself(make_settings: Any, tmp_path: Path) -> None:
    from hub.inbox.config import load_inbox_config

    bad = tmp_path / "bad.yml"
    bad.write_text("routes: [1, 2]\n")
    with pytest.raises(ValueError, match="OTKLIK_INBOX_CONFIG_PATH"):
        load_inbox_config(str(bad))
