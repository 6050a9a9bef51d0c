"""Long polling for development: getUpdates from the fake Bot API into the same pipeline as the webhook,
with the worker in the same process on the in-process bus; a clean stop on a signal."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import TelegramUnauthorizedError

from api.telegram_polling import run_polling
from api.wiring import running_hub
from hub.core import Hub
from hub.settings import Settings
from models.customers import Identity, IdentityKind
from models.messages import DeliveryStatus, Message
from tests.fakes.telegram_api import BOT_TOKEN, FakeTelegramApi, fake_telegram_api
from tests.integration.helpers import eventually
from tests.integration.processes import clean_env

FIXTURES = Path(__file__).parents[2] / "fixtures" / "telegram"
SECRET = "whsec_0123456789-abcdef"
ANNA = Identity(kind=IdentityKind.TELEGRAM, value="5551234567")


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API server."""
    async with fake_telegram_api() as server:
        yield server


def account(api: FakeTelegramApi, account_id: str = "retail_bot", token: str = BOT_TOKEN) -> dict[str, Any]:
    """An OTKLIK_ACCOUNTS entry for a bot on the fake."""
    return {"channel": "telegram", "id": account_id, "token": token, "secrets": {"webhook_secret": SECRET},
            "options": {"api_base": api.url}}


def update(name: str) -> dict[str, Any]:
    """A fixture Update."""
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


async def messages_of(hub: Hub) -> list[Message]:
    """Everything stored for the fixtures' user."""
    customer = await hub.stores.customers.find_by_identity(ANNA)
    return [] if customer is None else await hub.stores.messages.list_for_customer(customer.id)


async def test_polling_removes_the_webhook_then_feeds_updates_through_the_pipeline(
    make_settings: Any, bot_api: FakeTelegramApi
) -> None:
    bot_api.webhook_url = "https://otklik.example.ru/webhooks/telegram/retail_bot"  # getUpdates is refused meanwhile
    bot_api.push_update(update("message__text"))
    bot_api.push_update(update("callback_query__button"))
    stop = asyncio.Event()
    async with running_hub(make_settings(accounts=[account(bot_api)])) as hub:
        polling = asyncio.create_task(run_polling(hub, stop, poll_timeout=1))
        await bot_api.wait_for("answerCallbackQuery")
        stored = await eventually(lambda: messages_of(hub),
                                  lambda ms: len(ms) == 4 and all(m.status is not DeliveryStatus.PENDING for m in ms))
        await bot_api.wait_for("getUpdates", 2)
        stop.set()
        await asyncio.wait_for(polling, timeout=5)

    methods = [c.method for c in bot_api.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert [m.text for m in stored if m.direction == "inbound"] == ["Здравствуйте! Где мой заказ 4512?",
                                                                     "topic:return"]
    assert [c.params["chat_id"] for c in bot_api.of("sendMessage")] == ["5551234567", "5551234567"]
    assert bot_api.of("answerCallbackQuery")[0].params["callback_query_id"] == "4382bfdwdsb323b2d9"
    first, *later = bot_api.of("getUpdates")
    assert json.loads(json.dumps(first.params["allowed_updates"])) == ["message", "edited_message", "callback_query",
                                                                       "my_chat_member"]
    assert later[-1].params["offset"] == "700000016"  # both updates confirmed
    assert bot_api.updates == []


async def test_polling_stops_at_once_while_a_long_poll_is_waiting(make_settings: Any, bot_api: FakeTelegramApi) -> None:
    stop = asyncio.Event()
    async with running_hub(make_settings(accounts=[account(bot_api)])) as hub:
        polling = asyncio.create_task(run_polling(hub, stop, poll_timeout=30))
        await bot_api.wait_for("getUpdates")
        stop.set()
        await asyncio.wait_for(polling, timeout=2)
    assert len(bot_api.of("getUpdates")) == 1


async def test_polling_asks_again_after_a_server_error_or_flood_control(
    make_settings: Any, bot_api: FakeTelegramApi
) -> None:
    bot_api.fail("getUpdates", 502, "Bad Gateway")
    bot_api.fail("getUpdates", 429, "Too Many Requests: retry after 1", retry_after=1)
    bot_api.push_update(update("message__text"))
    stop = asyncio.Event()
    async with running_hub(make_settings(accounts=[account(bot_api)])) as hub:
        polling = asyncio.create_task(run_polling(hub, stop, poll_timeout=1, pause=0.05))
        await bot_api.wait_for("sendMessage", timeout=10)
        stop.set()
        await asyncio.wait_for(polling, timeout=5)
    assert len(bot_api.of("getUpdates")) >= 3


async def test_a_wrong_token_ends_polling_with_the_error(make_settings: Any, bot_api: FakeTelegramApi) -> None:
    stop = asyncio.Event()
    config = make_settings(accounts=[account(bot_api, token="42:wrong-token")])
    async with running_hub(config) as hub:
        with pytest.raises(TelegramUnauthorizedError):
            await asyncio.wait_for(run_polling(hub, stop, poll_timeout=1), timeout=5)
    assert stop.is_set()  # the worker was told to stop too


async def test_several_bots_need_the_account_named(make_settings: Any, bot_api: FakeTelegramApi) -> None:
    config = make_settings(accounts=[account(bot_api), account(bot_api, "second_bot")])
    async with running_hub(config) as hub:
        with pytest.raises(ValueError, match="--account"):
            await run_polling(hub, asyncio.Event())
        with pytest.raises(ValueError, match="no Telegram account 'third'"):
            await run_polling(hub, asyncio.Event(), account_id="third")
    assert bot_api.calls == []


def polling_env(settings: Settings, api: FakeTelegramApi) -> dict[str, str]:
    """The environment of a process polling the fake with these settings' files."""
    return clean_env(OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_SQLITE_PATH=settings.sqlite_path,
                     OTKLIK_BUS_JOURNAL_PATH=settings.bus_journal_path, OTKLIK_LOG_JSON="false",
                     OTKLIK_ACCOUNTS=json.dumps([account(api)]))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_the_polling_process_stops_cleanly_on_a_signal(
    make_settings: Any, bot_api: FakeTelegramApi, tmp_path: Path, sig: signal.Signals
) -> None:
    code = "import asyncio; from api.telegram_polling import serve_polling; from hub.settings import Settings; " \
           "asyncio.run(serve_polling(Settings()))"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, env=polling_env(make_settings(), bot_api),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await bot_api.wait_for("getUpdates", timeout=20)
    finally:
        process.send_signal(sig)
        for _ in range(100):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        _, errors = process.communicate(timeout=5)
    assert process.returncode == 0, errors.decode()[-2000:]
    assert "Traceback" not in errors.decode()
