"""The embedded default killed with SIGKILL while a reply is on its way: after a restart the reply is
delivered from the bus journal, and the store still holds exactly one message each way."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx

from hub.stores.sqlite.stores import SqliteStores
from tests.conftest import API_TOKEN, LOCAL_RECEIVERS, auth
from tests.fakes.http_receiver import HttpReceiver, free_port
from tests.integration import processes
from tests.integration.helpers import eventually


async def test_reply_in_flight_at_a_crash_is_delivered_after_restart(receiver: HttpReceiver, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    account = [{"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/cb"}]
    env = processes.clean_env(OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_API_ACCOUNTS=json.dumps(account),
                              OTKLIK_OUTBOUND_ALLOW=json.dumps(LOCAL_RECEIVERS), OTKLIK_LOG_LEVEL="WARNING")
    receiver.gate = asyncio.Event()  # the first callback hangs: the server is mid-send when it dies

    # --skip-checks: an empty directory has none of the groups the shipped routes name; this test is about the journal
    server = processes.start(["serve", "--port", str(port), "--skip-checks"], cwd=tmp_path, env=env)
    await processes.wait_ready(base, server)
    async with httpx.AsyncClient(base_url=base) as client:
        sent = await client.post("/channels/api/crm/messages", headers=auth(),
                                 json={"user_id": "u1", "message_id": "m1", "text": "Где заказ?"})
    assert sent.status_code == 202
    await receiver.wait_for(1)
    server.send_signal(signal.SIGKILL)
    server.communicate(timeout=10)
    receiver.gate.set()
    receiver.gate = None

    restarted = processes.start(["serve", "--port", str(port), "--skip-checks"], cwd=tmp_path, env=env)
    try:
        await processes.wait_ready(base, restarted)
        await receiver.wait_for(2)
        stores = SqliteStores(str(tmp_path / "var" / "otklik.sqlite3"))
        await stores.open()
        try:
            async def statuses() -> list[tuple[str, str]]:
                rows = await stores.db.column("SELECT doc FROM messages ORDER BY seq")
                return [(json.loads(r)["direction"], json.loads(r)["status"]) for r in rows]

            found = await eventually(statuses, lambda s: s == [("inbound", "received"), ("outbound", "sent")])
        finally:
            await stores.close()
    finally:
        processes.stop(restarted)

    keys = {r.headers["idempotency-key"] for r in receiver.requests}
    assert len(keys) == 1 and len(receiver.requests) == 2  # the same reply, re-sent once after the crash
    assert found == [("inbound", "received"), ("outbound", "sent")]
