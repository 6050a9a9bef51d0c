"""`otklik webhooks …` on the store of a running app: subscribe, list, the log, replay, remove."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from typer.testing import CliRunner, Result

from api.cli import app as cli
from hub.settings import Settings
from models.clock import utcnow
from models.webhooks import WebhookStatus
from tests.fakes.webhook_receiver import webhook_receiver
from tests.integration.helpers_webhooks import all_settled, fast_settings, say


async def otklik(settings: Settings, *args: str) -> Result:
    """Run the CLI in a thread on the same SQLite file as the app (the receiver keeps serving on this loop)."""
    env = {"OTKLIK_SECRET_KEY": "test-secret-key-0123456789", "OTKLIK_SQLITE_PATH": settings.sqlite_path,
           "OTKLIK_STORE": "sqlite", "OTKLIK_OUTBOUND_ALLOW": json.dumps(settings.outbound_allow)}
    return await asyncio.to_thread(CliRunner().invoke, cli, ["webhooks", *args], env=env)


async def test_the_cli_manages_subscriptions_shows_the_log_and_replays(make_settings: Any, start_app: Any) -> None:
    settings = fast_settings(make_settings)
    async with webhook_receiver() as crm, start_app(settings) as running:
        added = await otklik(settings, "add", "--url", crm.url, "--event", "message.received",
                             "--event", "message.sent")
        subscription_id, crm.secret = added.stdout.split()
        listed = await otklik(settings, "list")
        secret = await otklik(settings, "secret", subscription_id)
        started = utcnow()
        await say(running, "u-1", "m-1")
        first, second = await all_settled(running, at_least=2)

        log = await otklik(settings, "deliveries", "--subscription", subscription_id)
        failed = await otklik(settings, "deliveries", "--status", "failed")
        one = await otklik(settings, "replay", first.id)
        await crm.wait_until(lambda r: len(r.arrivals) == 3)
        window = await otklik(settings, "replay", "--since", started.isoformat(),
                              "--until", (utcnow() + timedelta(seconds=1)).isoformat())
        await crm.wait_until(lambda r: len(r.arrivals) == 5)
        await all_settled(running, at_least=2)
        removed = await otklik(settings, "remove", subscription_id)
        again = await otklik(settings, "remove", subscription_id)
        usage = await otklik(settings, "replay")
        unknown = await otklik(settings, "replay", "msg_nope")

    assert added.exit_code == 0 and subscription_id.startswith("wh_") and crm.secret.startswith("whsec_")
    assert f"{subscription_id}\tactive\t{crm.url}\tmessage.received,message.sent" in listed.stdout
    assert secret.stdout.strip() == crm.secret
    assert [line.split("\t")[:3] for line in log.stdout.splitlines()] == [
        [second.id, WebhookStatus.DELIVERED, "1"], [first.id, WebhookStatus.DELIVERED, "1"]]
    assert failed.stdout == ""
    assert one.stdout.strip() == first.id and window.stdout.split() == [first.id, second.id]
    assert [a.webhook_id for a in crm.arrivals] == [first.id, second.id, first.id, first.id, second.id]
    assert (removed.exit_code, again.exit_code, usage.exit_code, unknown.exit_code) == (0, 1, 2, 1)
    assert "not found" in unknown.stderr
