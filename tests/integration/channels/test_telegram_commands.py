"""`otklik telegram set-webhook / delete-webhook` as real processes against the fake Bot API, and the
`otklik bot telegram --polling` command's guard."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.commands import telegram as telegram_commands
from tests.fakes.telegram_api import BOT_TOKEN, FakeTelegramApi, fake_telegram_api
from tests.integration.processes import clean_env

SECRET = "whsec_0123456789-abcdef"


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API server."""
    async with fake_telegram_api() as server:
        yield server


async def otklik(args: list[str], api: FakeTelegramApi, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `otklik <args>` with the test bot configured against the fake, without blocking the fake's loop."""
    accounts = [{"channel": "telegram", "id": "retail_bot", "token": BOT_TOKEN,
                 "secrets": {"webhook_secret": SECRET}, "options": {"api_base": api.url}}]
    environment = clean_env(OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_ACCOUNTS=json.dumps(accounts),
                            OTKLIK_SQLITE_PATH=str(cwd / "otklik.sqlite3"), **env)
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "api.cli", *args], cwd=cwd,
                                   env=environment, capture_output=True, text=True, timeout=30)


async def test_set_webhook_registers_the_public_url_with_the_secret_token(
    bot_api: FakeTelegramApi, tmp_path: Path
) -> None:
    done = await otklik(["telegram", "set-webhook", "--account", "retail_bot"], bot_api, tmp_path,
                        OTKLIK_PUBLIC_URL="https://otklik.example.ru/")
    assert done.returncode == 0, done.stderr
    [call] = bot_api.of("setWebhook")
    assert call.params["url"] == "https://otklik.example.ru/webhooks/telegram/retail_bot"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "edited_message", "callback_query", "my_chat_member"]
    assert "https://otklik.example.ru/webhooks/telegram/retail_bot" in done.stdout


async def test_delete_webhook_removes_it(bot_api: FakeTelegramApi, tmp_path: Path) -> None:
    bot_api.webhook_url = "https://otklik.example.ru/webhooks/telegram/retail_bot"
    done = await otklik(["telegram", "delete-webhook", "--account", "retail_bot"], bot_api, tmp_path)
    assert done.returncode == 0, done.stderr
    assert [c.method for c in bot_api.calls] == ["deleteWebhook"] and bot_api.webhook_url == ""


async def test_set_webhook_without_a_public_url_or_for_an_unknown_bot_exits_2(
    bot_api: FakeTelegramApi, tmp_path: Path
) -> None:
    no_url = await otklik(["telegram", "set-webhook", "--account", "retail_bot"], bot_api, tmp_path)
    unknown = await otklik(["telegram", "set-webhook", "--account", "other", "--url", "https://x.ru/h"], bot_api,
                           tmp_path)
    assert (no_url.returncode, unknown.returncode) == (2, 2)
    assert "OTKLIK_PUBLIC_URL" in no_url.stderr and "no Telegram account 'other'" in unknown.stderr
    assert bot_api.calls == []


def test_bot_telegram_without_polling_flag_exits_2_with_a_reason() -> None:
    app = typer.Typer()
    bot = typer.Typer()
    app.add_typer(bot, name="bot")
    bot.command("telegram")(telegram_commands.polling)  # as api/cli.py registers it
    app.command("serve")(lambda: None)
    result = CliRunner().invoke(app, ["bot", "telegram"])
    assert result.exit_code == 2
    assert "needs --polling" in result.output
