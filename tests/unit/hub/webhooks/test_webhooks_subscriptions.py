"""Subscriptions: event patterns, the catalogue of event types, creating one with a generated secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.stores.sqlite.stores import SqliteStores
from hub.webhooks import subscriptions
from models.errors import PayloadError
from models.webhooks import Subscription, matches


@pytest.mark.parametrize(("pattern", "kind", "expected"), [
    ("*", "message.received", True),
    ("message.*", "message.received", True),
    ("message.*", "messages.received", False),
    ("message.received", "message.received", True),
    ("message.received", "message.sent", False),
    ("conversation.*", "message.received", False),
])
def test_patterns_match_one_type_a_family_or_everything(pattern: str, kind: str, expected: bool) -> None:
    assert matches(pattern, kind) is expected


def test_the_catalogue_has_every_event_the_crm_issue_names() -> None:
    catalogue = subscriptions.catalogue()
    assert {"message.received", "conversation.opened", "customer.created"} <= subscriptions.published()
    named = {"conversation.assigned", "conversation.handed_over", "conversation.sla_breached", "case.opened",
             "case.updated", "customer.merged"}
    assert named <= subscriptions.published() and set(catalogue) == subscriptions.published()
    assert subscriptions.check_events(["conversation.assigned", "case.*", "*"]) == [
        "conversation.assigned", "case.*", "*"]


@pytest.mark.parametrize("patterns", [["message.recieved"], ["orders.*"], ["Message.Received"], ["message."], []])
def test_unknown_or_malformed_event_types_are_refused(patterns: list[str]) -> None:
    with pytest.raises(PayloadError):
        subscriptions.check_events(patterns)


async def test_create_generates_a_secret_and_keeps_it_out_of_repr(tmp_path: Path) -> None:
    stores = SqliteStores(str(tmp_path / "db.sqlite3"))
    await stores.open()
    try:
        created = await subscriptions.create(stores.webhooks, "https://crm.example.ru/hooks", ["message.*"])
        stored = await stores.webhooks.get_subscription(created.id)
    finally:
        await stores.close()
    secret = created.secret.get_secret_value()
    assert secret.startswith("whsec_") and stored.secret.get_secret_value() == secret
    assert secret not in repr(created) and secret not in str(created) and secret not in created.model_dump_json()


@pytest.mark.parametrize(("url", "secret"), [("ftp://crm.example.ru/x", None), ("https://", None),
                                             ("https://crm.example.ru/hooks", "whsec_short")])
async def test_create_refuses_bad_urls_and_secrets(tmp_path: Path, url: str, secret: str | None) -> None:
    stores = SqliteStores(str(tmp_path / "db.sqlite3"))
    await stores.open()
    try:
        with pytest.raises(PayloadError):
            await subscriptions.create(stores.webhooks, url, ["*"], secret=secret)
        assert await stores.webhooks.list_subscriptions() == []
    finally:
        await stores.close()


def test_a_subscription_wants_the_types_its_patterns_cover() -> None:
    subscription = Subscription.model_validate({"url": "https://crm.example.ru/h", "secret": "whsec_x",
                                                "events": ["message.received", "conversation.*", "message.received"]})
    assert subscription.events == ["message.received", "conversation.*"]
    assert subscription.wants("conversation.closed") and not subscription.wants("message.sent")
