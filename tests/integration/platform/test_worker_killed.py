"""A worker process killed (SIGKILL) in the middle of a message: after reclaim, every message is processed
exactly once — one stored inbound message, one stored acknowledgement — and nothing stays pending.

Real parts only: two `otklik worker` processes, the real Redis, a SQLite file, and a local HTTP server
as the API client's callback endpoint. The kill lands while the worker waits on a callback it sent,
so it dies mid-message by construction, not by luck.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from api.wiring import running_hub
from hub.inbound.accept import accept
from hub.settings import Settings
from hub.stores.sqlite.stores import SqliteStores
from hub.worker import INGEST_GROUP, OUTBOX_GROUP
from models.channels import Channel
from models.messages import DeliveryStatus, InboundMessage
from tests.conftest import API_TOKEN, LOCAL_RECEIVERS, REDIS_URL
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.helpers import eventually
from tests.redis_keys import drop_keys

pytestmark = pytest.mark.redis

MESSAGES = 40
KILL_AT = 8  # the callback during which the first worker dies


def worker_env(settings: Settings, receiver: HttpReceiver) -> dict[str, str]:
    """The environment a worker process is configured by."""
    account = [{"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/cb"}]
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")},
        "OTKLIK_SECRET_KEY": "test-secret-key-0123456789",
        "OTKLIK_DIALOGS_DIR": "",  # the plain acknowledgement: one reply per message, which this test counts
        "OTKLIK_BUS": "redis", "OTKLIK_REDIS_URL": REDIS_URL, "OTKLIK_REDIS_PREFIX": settings.redis_prefix,
        "OTKLIK_SQLITE_PATH": settings.sqlite_path, "OTKLIK_API_ACCOUNTS": json.dumps(account),
        "OTKLIK_OUTBOUND_ALLOW": json.dumps(LOCAL_RECEIVERS),
        "OTKLIK_BUS_RETRY_AFTER": "1", "OTKLIK_OUTBOX_BASE_DELAY": "0", "OTKLIK_LOG_LEVEL": "WARNING",
    }


def start_worker(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """`otklik worker` as its own process."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def pending(settings: Settings) -> int:
    """Entries delivered but not acknowledged, over every partition and group."""
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        total = 0
        for stream in ("inbound", "outbound"):
            group = INGEST_GROUP if stream == "inbound" else OUTBOX_GROUP
            for n in range(settings.partitions):
                info: Any = await redis.xpending(f"{settings.redis_prefix}{stream}.{n}", group)
                total += int(info["pending"])
        return total
    finally:
        await redis.aclose()



async def test_killed_worker_messages_are_reclaimed_and_processed_exactly_once(
    make_settings: Any, receiver: HttpReceiver, tmp_path: Path
) -> None:
    settings: Settings = make_settings(bus="redis", redis_url=REDIS_URL)
    env = worker_env(settings, receiver)
    try:
        async with running_hub(settings) as hub:
            for n in range(MESSAGES):
                await accept(InboundMessage(channel=Channel.API, account_id="crm", external_user_id=f"user-{n % 10}",
                                            external_id=f"msg-{n}", text=f"сообщение {n}"), hub)

        receiver.delay = 0.01
        hung = asyncio.Event()
        first = start_worker(env, tmp_path)
        await receiver.wait_for(KILL_AT - 1, timeout=30)
        receiver.gate = hung  # the next callbacks hang: the worker is now inside messages
        gated_from = len(receiver.requests)
        await receiver.wait_for(gated_from + 1, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        at_kill = len(receiver.requests)
        receiver.delay, receiver.gate = 0.0, None
        hung.set()

        second = start_worker(env, tmp_path)
        try:
            stores = SqliteStores(settings.sqlite_path)
            await stores.open()
            try:
                async def outbound_sent() -> int:
                    found = await stores.db.column("SELECT doc FROM messages WHERE direction = 'outbound'")
                    return sum(json.loads(d)["status"] == DeliveryStatus.SENT for d in found)

                await eventually(outbound_sent, lambda sent: sent == MESSAGES, timeout=60)
                inbound = await stores.db.column("SELECT external_id FROM messages WHERE direction = 'inbound'")
                outbound = await stores.db.column("SELECT idempotency_key FROM messages WHERE direction = 'outbound'")
            finally:
                await stores.close()
            left = await eventually(lambda: pending(settings), lambda p: p == 0, timeout=30)
        finally:
            second.send_signal(signal.SIGTERM)
            _, errors = second.communicate(timeout=20)
    finally:
        await drop_keys(settings.redis_prefix)

    assert sorted(inbound) == sorted(f"msg-{n}" for n in range(MESSAGES))
    assert len(outbound) == len(set(outbound)) == MESSAGES
    keys = [r.headers["idempotency-key"] for r in receiver.requests]
    assert set(keys) == set(outbound)
    # at-least-once at the edge: a reply comes twice only if the killed worker had already sent it
    repeated = {key for key in keys if keys.count(key) > 1}
    assert all(keys.index(key) < at_kill for key in repeated), (repeated, at_kill)
    assert all(keys.count(key) == 2 for key in repeated)
    assert keys.count(keys[gated_from]) == 2  # the message the worker died in was finished by the other
    assert left == 0
    assert second.returncode == 0, errors.decode()[-2000:]
