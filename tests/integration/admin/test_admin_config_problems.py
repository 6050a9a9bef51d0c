"""On a running system admins see `otklik check`'s problems at the top of the admin pages, and a fix made
there (a new group) clears them on the next page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.staff import Role
from tests.web_login import create_user, session_csrf, sign_in

PASSWORD = "correct-horse-battery"


async def test_a_route_to_a_missing_group_is_shown_until_the_group_is_created(
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    config = tmp_path / "inbox.yml"
    config.write_text("default_group: front\nroutes:\n  promo_code: loyalty\n", encoding="utf-8")
    async with start_app(make_settings(inbox_config_path=str(config))) as running:
        await create_user(running.hub, "root", PASSWORD, roles=[Role.ADMIN])
        await create_user(running.hub, "op", PASSWORD, roles=[Role.OPERATOR], groups=["front", "loyalty"])
        await sign_in(running.client, "root", PASSWORD)

        users = (await running.client.get("/admin/users")).text
        top = users.split('<section class="error config-problems"')[1].split("</section>")[0]
        assert "inbox.yml:3: route promo_code: no group &#39;loyalty&#39; in the directory" in top
        assert "inbox.yml:1: default_group: no group &#39;front&#39; in the directory" in top
        assert users.index("config-problems") < users.index("<h1")  # at the top, above the page's own heading

        token = await session_csrf(running.client, running.hub)
        for group_id in ("front", "loyalty"):
            created = await running.client.post("/admin/groups", data={
                "csrf_token": token, "id": group_id, "name": group_id.title(), "kind": "contact_centre"})
            assert created.status_code == 303

        after = (await running.client.get("/admin/groups")).text
        assert "inbox.yml" not in after  # checked again after the change, not 30 s later
        assert "catalogue.yml" in after  # the shipped catalogue's groups are still missing: only those remain
