"""The demo's banner sends each demo login to pages that exist: a newcomer typing `/admin` from it got a 404."""

from __future__ import annotations

import re
from typing import Any

from api.demo.staff import ROLE_WORK, banner


async def test_every_page_the_banner_names_is_served(make_settings: Any, start_app: Any) -> None:
    named = sorted({path for work in ROLE_WORK.values() for path in re.findall(r"\(([^)]*)\)", work)[0].split(", ")})
    async with start_app(make_settings()) as running:
        answers = {path: (await running.client.get(path)).status_code for path in named}

    assert all(path in banner("http://127.0.0.1:8000", "pw") for path in named)
    assert len(named) >= 6 and all(status != 404 for status in answers.values()), answers  # a sign-in, never "no page"
