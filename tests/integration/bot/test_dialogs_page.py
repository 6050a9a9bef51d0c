"""`/dialogs`: content editors see the served flows and, after a refused edit, its problems with file:line."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from models.staff import Role
from tests.conftest import RunningApp, SettingsFactory
from tests.integration.bot_support import served_flows
from tests.web_login import create_user, sign_in

SHIPPED = Path(__file__).resolve().parents[3] / "dialogs" / "flows"
PASSWORD = "content team 2026"


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """A copy of the shipped flows the test edits."""
    return Path(shutil.copytree(SHIPPED, tmp_path / "flows"))


@pytest.fixture
async def running(make_settings: SettingsFactory, start_app: Callable[..., Any],
                  flows_dir: Path) -> AsyncIterator[RunningApp]:
    """The app serving the copied flows."""
    async with start_app(make_settings(dialogs_dir=str(flows_dir))) as app:
        yield app


async def test_an_editor_sees_the_flows_and_a_refused_change(running: RunningApp, flows_dir: Path) -> None:
    await create_user(running.hub, "editor", PASSWORD, roles=[Role.CONTENT_EDITOR])
    await sign_in(running.client, "editor", PASSWORD)
    page = await running.client.get("/dialogs")
    assert page.status_code == 200
    assert "Every file checks out." in page.text and "order_status" in page.text
    served = served_flows(running.hub).current().version
    assert served and served in page.text
    broken = flows_dir / "orders.yml"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("name: order_status", "name: order_statuz", 1), encoding="utf-8")
    (flows_dir / "zz.yml").write_text('flows:\n  - id: zz\n    triggers: {intents: ["<b>bold</b>"]}\n'
                                      "    steps:\n      - end: true\n", encoding="utf-8")
    page = await running.client.get("/dialogs")
    assert "The last change was refused" in page.text
    [refused] = [p for p in served_flows(running.hub).last_error if "order_statuz" in p.message]
    assert refused.file == str(broken)
    lines = broken.read_text(encoding="utf-8").splitlines()
    assert "order_statuz" in " ".join(lines[refused.line - 1:refused.line + 1])  # `- action:` or its name
    assert f"<code>{broken}:{refused.line}</code>: unknown action &#39;order_statuz&#39;" in page.text
    assert "unknown intent &#39;&lt;b&gt;bold&lt;/b&gt;&#39;" in page.text and "<b>bold" not in page.text
    assert served in page.text
    assert served_flows(running.hub).current().version == served  # the previous version keeps serving


async def test_only_editors_and_admins(running: RunningApp) -> None:
    assert (await running.client.get("/dialogs")).status_code in {303, 307}
    await create_user(running.hub, "operator", PASSWORD, roles=[Role.OPERATOR])
    await sign_in(running.client, "operator", PASSWORD)
    assert (await running.client.get("/dialogs")).status_code == 403


async def test_the_page_says_when_the_bot_is_off(make_settings: SettingsFactory,
                                                 start_app: Callable[..., Any]) -> None:
    async with start_app(make_settings()) as running:
        await create_user(running.hub, "admin", PASSWORD, roles=[Role.ADMIN])
        await sign_in(running.client, "admin", PASSWORD)
        page = await running.client.get("/dialogs")
        assert page.status_code == 200 and "The bot is off" in page.text
