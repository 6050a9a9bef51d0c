"""The README's first command, as a newcomer runs it: `otklik demo` in a fresh directory, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.http_receiver import free_port
from tests.integration import processes


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """`otklik demo` running in an empty directory; yields its base URL and directory."""
    port = free_port()
    env = {k: v for k, v in processes.clean_env().items() if k != "OTKLIK_DIALOGS_DIR"}  # as a newcomer: the bot on
    process = processes.start(["demo", "--host", "127.0.0.1", "--port", str(port)], cwd=tmp_path, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        await processes.wait_ready(base, process, seconds=90)  # a first start trains the NLU model (slow under load)
        yield base, tmp_path
    finally:
        processes.stop(process)


def demo_token(directory: Path) -> str:
    """The API token `otklik demo` generated into .env."""
    line = next(x for x in (directory / ".env").read_text().splitlines() if x.startswith("OTKLIK_API_ACCOUNTS="))
    return str(json.loads(line.split("=", 1)[1].strip("'"))[0]["token"])


def metrics_token(directory: Path) -> str:
    """A token for Prometheus, made as the README says: `otklik tokens create prometheus --scope metrics:read`."""
    command = ["tokens", "create", "prometheus", "--scope", "metrics:read"]
    made = subprocess.run([sys.executable, "-m", "api.cli", *command], cwd=directory, env=processes.clean_env(),
                          check=True, capture_output=True, text=True)
    return made.stdout.strip()


async def test_demo_api_channel_message_is_answered_through_the_outbox(demo: tuple[str, Path]) -> None:
    base, directory = demo
    headers = {"authorization": f"Bearer {demo_token(directory)}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        sent = await client.post("/channels/api/demo/messages",
                                 json={"user_id": "u1", "message_id": "m1", "text": "Где мой заказ?"})
        assert sent.status_code == 202
        for _ in range(100):
            thread = (await client.get("/channels/api/demo/users/u1/messages")).json()["messages"]
            if len(thread) == 3 and thread[2]["status"] == "delivered":  # the bot's welcome, then its question
                break
            await asyncio.sleep(0.05)
        scraper = {"authorization": f"Bearer {metrics_token(directory)}"}  # /metrics is not public
        metrics = (await client.get("/metrics", headers=scraper)).text

    assert [(m["direction"], m["author"]) for m in thread] == [("inbound", "customer"), *[("outbound", "bot")] * 2]
    assert "виртуальный помощник" in thread[1]["text"] and "номер заказа" in thread[2]["text"]
    assert re.search(r'otklik_inbound_messages_total\{channel="api",outcome="stored"\} 1\.0', metrics)
    assert (directory / "var" / "otklik.sqlite3").exists()


async def test_demo_web_chat_receives_the_reply_live_over_sse(demo: tuple[str, Path]) -> None:
    base, _ = demo
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        page = await client.get("/chat")
        assert page.status_code == 200 and "/static/webchat.js" in page.text
        assert "EventSource" in (await client.get("/static/webchat.js")).text
        async with client.stream("GET", "/chat/events") as stream:
            posted = await client.post("/chat/messages", json={"client_id": "client-0001", "text": "Hello there"})
            assert posted.status_code == 202
            async with asyncio.timeout(10):
                event = ""
                async for line in stream.aiter_lines():
                    event = line[7:] if line.startswith("event: ") else event
                    if line.startswith("data: ") and event == "message":
                        reply = json.loads(line[6:])
                        break

    assert reply["author"] == "bot" and reply["text"].startswith("Hello! I'm the store chain's virtual assistant")


async def test_demo_data_is_loaded_once_even_when_started_twice(tmp_path: Path) -> None:
    from hub.settings import Settings
    from hub.stores.sqlite.stores import SqliteStores

    env = processes.clean_env()
    for _ in range(2):  # seed through the demo code path, without serving
        subprocess.run([sys.executable, "-c", "import asyncio; from pathlib import Path; from api.demo.seed import *; "
                        "ensure_demo_env(Path('.env')); from hub.settings import Settings; "
                        "asyncio.run(seed(Settings()))"], cwd=tmp_path, env=env, check=True)
    settings = Settings(_env_file=tmp_path / ".env", sqlite_path=str(tmp_path / "var" / "otklik.sqlite3"))
    stores = SqliteStores(settings.sqlite_path)
    await stores.open()
    try:
        assert await stores.messages.count() == 5
        assert await stores.db.one("SELECT count(*) FROM conversations") == 3
    finally:
        await stores.close()
