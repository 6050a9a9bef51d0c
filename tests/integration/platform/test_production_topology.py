"""The production shape, end to end: `otklik serve` and two `otklik worker` processes on MongoDB and Redis Streams.

As docker-compose.yml runs it, minus the containers: a one-shot `otklik nlu train` publishes the model to
MongoDB, and each process (with a model folder of its own, as a container has) serves what the store names.
A shopper writes through the api channel; the bot answers and hands over; an operator signed in to the inbox
replies and resolves; every answer reaches the api account's callback (a local HTTP server). Both workers
answer shoppers, with the same model version and the same flows as the api shows on /readyz.

MongoDB is MONGODB_URL or the secantusdb server the session starts; Redis is the local one (own key prefix).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.demo.staff import seed_people
from api.wiring import running_hub
from bots.flows import SHIPPED_FLOWS
from dialogs.loader import load_flows
from hub.core import Hub
from hub.inbox.routing import group_for
from hub.settings import Settings
from models.customers import Identity, IdentityKind
from models.ids import ConversationId
from models.messages import Direction, Message
from models.staff import Role
from tests.conftest import API_TOKEN, LOCAL_RECEIVERS, REDIS_URL, auth
from tests.fakes.http_receiver import HttpReceiver, free_port
from tests.integration import processes
from tests.integration.helpers import eventually
from tests.integration.model_support import drop_database, with_database
from tests.redis_keys import drop_keys
from tests.web_login import create_user, session_csrf, sign_in

pytestmark = [pytest.mark.redis, pytest.mark.mongo]

HANDOVER_TEXT = "Соединяю с оператором"  # the shipped flows' handover line (dialogs/flows/_rules.yml)
PASSWORD = "operator-pass-0123"
WORKERS = 2


def production_env(mongodb_url: str, prefix: str, receiver: HttpReceiver, **extra: str) -> dict[str, str]:
    """What every process of the stack is configured by (docker-compose.yml's x-otklik-env, for the test)."""
    account = [{"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/otklik"}]
    return processes.clean_env(
        OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_STORE="mongo", MONGODB_URL=mongodb_url,
        OTKLIK_BUS="redis", OTKLIK_REDIS_URL=REDIS_URL, OTKLIK_REDIS_PREFIX=prefix,
        OTKLIK_EMBEDDED_WORKER="false", OTKLIK_API_ACCOUNTS=json.dumps(account),
        OTKLIK_OUTBOUND_ALLOW=json.dumps(LOCAL_RECEIVERS),
        OTKLIK_DIALOGS_DIR=str(SHIPPED_FLOWS), OTKLIK_CONTEXT_PROVIDER="none", OTKLIK_OUTBOX_BASE_DELAY="0",
        OTKLIK_LOG_LEVEL="WARNING", **extra)


def train_into_store(env: dict[str, str], home: Path) -> str:
    """Run the one-shot `otklik nlu train` (as compose's nlu-train service does); the version it published."""
    home.mkdir()
    done = subprocess.run([sys.executable, "-m", "api.cli", "nlu", "train", "--if-changed"], cwd=home,
                          env={**env, "OTKLIK_NLU_MODEL_DIR": str(home / "nlu")}, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return (home / "nlu" / "current").read_text().strip()


def own_home(env: dict[str, str], home: Path) -> dict[str, str]:
    """A process's private disk, as a container's: its model cache and var/ are nobody else's."""
    home.mkdir()
    return {**env, "OTKLIK_NLU_MODEL_DIR": str(home / "var" / "nlu")}


async def readiness(base: str) -> dict[str, Any]:
    """The process's /readyz once it names a model (it loads the store's active version on the way)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        async def probe() -> dict[str, Any]:
            answer: dict[str, Any] = (await client.get("/readyz")).json()
            return answer

        return await eventually(probe, lambda ready: ready.get("nlu_model") is not None, timeout=60)


def logged_errors(stderr: str) -> list[str]:
    """The JSON log lines of level error (or worse) a process wrote."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line["message"] for line in lines if line.get("level") in {"error", "critical"}]


async def bot_turns(base: str) -> float:
    """How many bot turns this worker took (its own /metrics)."""
    async with httpx.AsyncClient(base_url=base) as client:
        text = (await client.get("/metrics")).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == "otklik_bot_turn_seconds_count")


async def thread(hub: Hub, user: str) -> list[Message]:
    """An api-channel user's messages, oldest first."""
    customer = await hub.stores.customers.find_by_identity(Identity(kind=IdentityKind.API, value=f"crm:{user}"))
    return [] if customer is None else await hub.stores.messages.list_for_customer(customer.id)


async def callbacks_to(receiver: HttpReceiver, user: str) -> list[dict[str, Any]]:
    """The api channel's callbacks for `user`, in arrival order."""
    bodies = [json.loads(r.body) for r in receiver.requests if r.path == "/otklik"]
    return [b for b in bodies if b["user_id"] == user]


async def said(receiver: HttpReceiver, user: str, text: str, timeout: float = 30) -> dict[str, Any]:
    """Wait for the callback to `user` whose text contains `text`."""
    found = await eventually(lambda: callbacks_to(receiver, user),
                             lambda bodies: any(text in b["text"] for b in bodies), timeout=timeout)
    return next(b for b in found if text in b["text"])


async def test_serve_and_two_workers_on_mongodb_and_redis_carry_a_shopper_from_bot_to_outcome(
    mongodb_url: str, receiver: HttpReceiver, tmp_path: Path,
) -> None:
    database, prefix = f"otklik_e2e_{uuid.uuid4().hex[:12]}", f"otklik-test-{uuid.uuid4().hex}:"
    url = with_database(mongodb_url, database)
    env = production_env(url, prefix, receiver)
    api_port, health_ports = free_port(), [free_port() for _ in range(WORKERS)]
    started: list[subprocess.Popen[bytes]] = []
    try:
        version = train_into_store(env, tmp_path / "nlu-train")
        settings = Settings(_env_file=None, secret_key="test-secret-key-0123456789", store="mongo", mongodb_url=url,
                            bus="redis", redis_url=REDIS_URL, redis_prefix=prefix, dialogs_dir="",
                            nlu_model_dir=str(tmp_path / "test-view" / "nlu"), context_provider="none")
        async with running_hub(settings) as hub:  # the test's own view of the same MongoDB (set-up, reading)
            group = await _operator_group(hub)
            await create_user(hub, "olga", PASSWORD, roles=[Role.OPERATOR], groups=[group])
            started.append(processes.start(["serve", "--port", str(api_port)], cwd=tmp_path,
                                           env=own_home(env, tmp_path / "api")))
            for n, port in enumerate(health_ports):
                started.append(processes.start(["worker", "--health-port", str(port)], cwd=tmp_path,
                                               env=own_home(env, tmp_path / f"worker-{n}")))
            bases = [f"http://127.0.0.1:{api_port}", *(f"http://127.0.0.1:{p}" for p in health_ports)]
            for base, process in zip(bases, started, strict=True):
                await processes.wait_ready(base, process, seconds=90)
            ready = [await readiness(base) for base in bases]

            api = httpx.AsyncClient(base_url=bases[0], timeout=30)
            try:
                posted = await api.post("/channels/api/crm/messages", headers=auth(), json={
                    "user_id": "shopper", "message_id": "m-1", "text": "позовите оператора"})
                assert posted.status_code == 202, posted.text
                handover = await said(receiver, "shopper", HANDOVER_TEXT)
                customer_thread = await eventually(lambda: thread(hub, "shopper"),
                                                   lambda ms: any(m.conversation_id for m in ms))
                conversation_id = customer_thread[0].conversation_id
                await _operator_replies_and_resolves(api, hub, conversation_id)
                reply = await said(receiver, "shopper", "это Ольга")
                outcome = await said(receiver, "shopper", "передан курьеру повторно")

                shoppers = await _until_every_worker_answered(api, receiver, bases[1:])
                readings = [m.nlu for user in ["shopper", *shoppers] for m in await thread(hub, user)
                            if m.direction is Direction.INBOUND]
                final = await hub.stores.conversations.get(conversation_id)
            finally:
                await api.aclose()
    finally:
        errors = [processes.stop(p) for p in started]
        await drop_keys(prefix)
        await drop_database(mongodb_url, database)

    flows = load_flows(SHIPPED_FLOWS).version
    served = [(r["store"], r["bus"], r["nlu_model"], r["flows"]) for r in ready]
    assert served == [("mongo", "redis", version, flows)] * (1 + WORKERS)
    assert handover["author"] == "bot"
    assert (reply["author"], outcome["author"]) == ("operator", "operator")
    assert final.state == "resolved"
    assert readings and all(r is not None and r.model_version == version for r in readings)
    assert [line for e in errors for line in logged_errors(e)] == []


async def _operator_replies_and_resolves(api: httpx.AsyncClient, hub: Hub, conversation_id: ConversationId) -> None:
    """Olga signs in to the inbox, takes the handed-over conversation (unless it was assigned to her), replies,
    and resolves it with an outcome: form posts with the session's CSRF token, as her browser sends them."""
    await sign_in(api, "olga", PASSWORD)
    csrf = await session_csrf(api, hub)
    conversation = await eventually(lambda: hub.stores.conversations.get(conversation_id),
                                    lambda c: c.state in {"queued", "assigned"})
    path = f"/inbox/conversations/{conversation_id}"
    if conversation.assignee is None:
        claimed = await api.post(f"{path}/claim", data={"csrf_token": csrf})
        assert claimed.status_code == 303, claimed.text
    replied = await api.post(f"{path}/reply", data={
        "csrf_token": csrf, "key": "reply-0001", "text": "Здравствуйте, это Ольга. Чем помочь?"})
    assert replied.status_code == 303, replied.text
    resolved = await api.post(f"{path}/resolve", data={
        "csrf_token": csrf, "key": "resolve-0001", "outcome": "Заказ 4512 передан курьеру повторно."})
    assert resolved.status_code == 303, resolved.text


async def _operator_group(hub: Hub) -> str:
    """The group a plain handover (topic "general") lands in, in a directory that passes `otklik check` (the
    demo's staff: every routed and catalogue group exists and has people), as `serve` demands."""
    await seed_people(hub.stores.directory, PASSWORD)
    return await group_for(hub, "general")


async def _until_every_worker_answered(api: httpx.AsyncClient, receiver: HttpReceiver, workers: list[str]) -> list[str]:
    """More shoppers greet the bot until each worker has taken bot turns; the shoppers who wrote."""
    shoppers: list[str] = []
    for n in range(24):
        if all([await bot_turns(w) > 0 for w in workers]):
            return shoppers
        user = f"greeter-{n}"
        shoppers.append(user)
        answer = await api.post("/channels/api/crm/messages", headers=auth(),
                                json={"user_id": user, "message_id": f"g-{n}", "text": "Здравствуйте"})
        assert answer.status_code == 202, answer.text
        await said(receiver, user, "")  # any answer: the bot's greeting
    raise AssertionError(f"after {len(shoppers)} shoppers a worker had still taken no bot turn")
