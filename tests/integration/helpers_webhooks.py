"""Shared steps of the webhook end-to-end tests: fast settings, a managing token, a subscription, messages."""

from __future__ import annotations

from typing import Any

from hub.directory import tokens
from hub.settings import Settings
from models.tokens import Scope
from models.webhooks import Delivery, WebhookStatus
from tests.conftest import RunningApp, auth
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.helpers import eventually

FAST = {"webhook_backoff_base": 0.02, "webhook_backoff_max": 0.2, "webhook_dispatch_interval": 0.05,
        "webhook_timeout": 2.0}


def fast_settings(make_settings: Any, **overrides: Any) -> Settings:
    """Settings whose webhook retries take milliseconds instead of minutes."""
    return make_settings(**{**FAST, **overrides})  # type: ignore[no-any-return]


async def manage_token(running: RunningApp, *scopes: Scope) -> dict[str, str]:
    """Headers with a fresh API token (webhooks:manage unless other scopes are named)."""
    _, full = await tokens.issue(running.hub.stores.tokens, "crm", list(scopes or [Scope.WEBHOOKS_MANAGE]))
    return {"authorization": f"Bearer {full}"}


async def subscribe(running: RunningApp, headers: dict[str, str], crm: WebhookReceiver,
                    events: list[str] | None = None) -> dict[str, Any]:
    """Subscribe the receiver through the API; it verifies with the secret the API returned."""
    response = await running.client.post("/api/v1/webhooks", json={"url": crm.url, "events": events or ["*"]},
                                         headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    crm.secret = created["secret"]
    return created


async def say(running: RunningApp, user: str, message_id: str, text: str = "Где мой заказ?") -> None:
    """A customer's message through the api channel."""
    response = await running.client.post("/channels/api/crm/messages", headers=auth(),
                                         json={"user_id": user, "message_id": message_id, "text": text})
    assert response.status_code == 202, response.text


async def all_settled(running: RunningApp, at_least: int, timeout: float = 15.0) -> list[Delivery]:
    """Wait until at least `at_least` deliveries exist and none is still open; oldest first."""
    deliveries = await eventually(
        lambda: running.hub.stores.webhooks.list_deliveries(limit=1000),
        lambda ds: len(ds) >= at_least and not any(d.is_open for d in ds), timeout=timeout)
    return deliveries[::-1]


def delivered(deliveries: list[Delivery]) -> bool:
    """Every delivery was delivered."""
    return all(d.status is WebhookStatus.DELIVERED for d in deliveries)
