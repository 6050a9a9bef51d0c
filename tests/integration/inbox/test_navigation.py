"""The top navigation shows each user the sections their roles open, and every link it shows opens."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from models.retail_stores import RetailStore
from models.staff import Group, GroupId, Role
from tests.web_login import create_user, sign_in

PASSWORD = "correct horse battery staple"
LINKS = re.compile(r'<nav class="topnav"[^>]*>(.*?)</nav>', re.S)
EVERY = {"/inbox", "/cases", "/dialogs", "/admin/canned", "/admin/users", "/admin/groups", "/admin/stores",
         "/admin/routing", "/admin/audit", "/reviews",
         "/reports/supervisor", "/campaigns"}


@pytest.mark.parametrize(("roles", "home", "expected"), [
    ([Role.STORE_STAFF], "/cases", {"/cases", "/reports/store"}),
    ([Role.OPERATOR], "/inbox", {"/inbox", "/cases", "/reviews"}),
    ([Role.CONTENT_EDITOR], "/dialogs", {"/dialogs", "/admin/canned"}),
    ([Role.ADMIN], "/admin/users", EVERY - {"/inbox"}),
])
async def test_each_role_sees_the_links_it_may_follow(
    make_settings: Any, start_app: Any, roles: list[Role], home: str, expected: set[str],
) -> None:
    async with start_app(make_settings()) as running:
        await running.hub.stores.directory.save_group(Group(id=GroupId("cc-1"), name="Contact centre"))
        await running.hub.stores.directory.upsert_stores([RetailStore(id="118", name="Tverskaya")])
        await create_user(running.hub, "someone", PASSWORD, roles=roles, groups=["cc-1"],
                          store_id="118" if Role.STORE_STAFF in roles else None)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app),
                                     base_url="http://otklik.test") as client:
            await sign_in(client, "someone", PASSWORD)
            page = await client.get(home)
            nav = LINKS.search(page.text)
            shown = set(re.findall(r'href="([^"]+)"', nav.group(1) if nav else ""))
            followed = {link: (await client.get(link)).status_code for link in shown}

    assert page.status_code == 200 and shown == expected
    assert all(status == 200 for status in followed.values()), followed
