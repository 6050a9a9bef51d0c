"""Issue 16, "start-up without Redis is fatal": `otklik worker` exited 1 and `otklik serve` exited 3 when Redis
did not answer at start, so workers restarted during a 5 s cut died and left none. Both now start, report
not-ready on /readyz while Redis is away, get ready once it is back, and still stop on SIGTERM.

Real processes; Redis behind a TCP proxy that is down at start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import API_TOKEN, REDIS_URL
from tests.fakes.http_receiver import free_port
from tests.fakes.tcp_proxy import TcpProxy
from tests.integration import processes
from tests.redis_keys import drop_keys

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("command", ["worker", "serve"])
async def test_a_process_started_while_redis_is_away_waits_for_it(
        command: str, make_settings: Any, tmp_path: Path) -> None:
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    await proxy.cut()  # Redis is unreachable when the process starts
    port = free_port()
    prefix = make_settings().redis_prefix
    env = processes.clean_env(
        OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_BUS="redis", OTKLIK_EMBEDDED_WORKER="false",
        OTKLIK_REDIS_URL=f"redis://127.0.0.1:{proxy.port}{target.path}", OTKLIK_REDIS_PREFIX=prefix,
        OTKLIK_SQLITE_PATH=str(tmp_path / "otklik.sqlite3"), OTKLIK_LOG_LEVEL="WARNING",
        OTKLIK_API_ACCOUNTS=json.dumps([{"id": "crm", "token": API_TOKEN}]),
        OTKLIK_WORKER_HEALTH_PORT=str(port), OTKLIK_PORT=str(port))
    args = ["worker"] if command == "worker" else ["serve", "--skip-checks"]
    process = processes.start(args, cwd=tmp_path, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        away = await _readyz_when_up(base, process)
        await proxy.start()
        await processes.wait_ready(base, process, seconds=30)
    finally:
        errors = processes.stop(process)
        await proxy.cut()
        await drop_keys(prefix)
    assert away.status_code == 503 and "bus" in away.json()["error"]["reason"], away.text
    assert "redis unreachable" in errors


async def _readyz_when_up(base: str, process: Any) -> httpx.Response:
    """The first /readyz answer of a process that must stay alive meanwhile."""
    import asyncio

    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert process.poll() is None, process.communicate()[1].decode()[-3000:]
            try:
                return await client.get(f"{base}/readyz")
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"{base} never answered")
