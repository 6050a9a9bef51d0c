"""Hot reload through the running bot: an edited flow file answers the next message, a broken one is refused."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bots.flows import SHIPPED_FLOWS
from tests.conftest import auth
from tests.integration.bot_support import api_user, bot_settings, bot_texts, replies_after, served_flows

WELCOME = "Здравствуйте! Я виртуальный помощник сети магазинов."


async def say_hello(running: Any, user: str) -> str:
    """A new shopper greets the bot; its first reply (the welcome)."""
    await running.client.post("/channels/api/crm/messages", headers=auth(),
                              json={"user_id": user, "message_id": f"{user}-m1", "text": "Здравствуйте"})
    return bot_texts(await replies_after(running.hub, api_user(user), inbound=1, at_least=2))[0]


async def test_an_edited_flow_serves_the_next_turn_and_a_broken_edit_keeps_the_old_version(
    make_settings: Any, start_app: Any, nlu_model: Path, tmp_path: Path
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, flows)
    greeting = flows / "greeting.yml"
    settings = bot_settings(make_settings, nlu_model, dialogs_dir=str(flows), dialogs_reload_seconds=0)
    async with start_app(settings) as running:
        before = await say_hello(running, "u1")
        greeting.write_text(greeting.read_text(encoding="utf-8").replace(WELCOME, "Добрый день! Я бот-помощник."),
                            encoding="utf-8")
        edited = await say_hello(running, "u2")
        broken = greeting.read_text(encoding="utf-8").replace("goto: order_status", "goto: no_such_flow", 1)
        greeting.write_text(broken, encoding="utf-8")
        kept = await say_hello(running, "u3")
        problems = served_flows(running.hub).last_error

    assert before.startswith(WELCOME)
    assert edited.startswith("Добрый день! Я бот-помощник.")
    assert kept.startswith("Добрый день! Я бот-помощник.")  # the broken file was refused; the last good one serves
    assert problems and problems[0].file.endswith("greeting.yml") and problems[0].line > 0
    assert "no_such_flow" in str(problems[0])
