"""Retention per data kind (issue 16): message texts past OTKLIK_RETENTION_MESSAGES_DAYS read "erased", files
past OTKLIK_RETENTION_ATTACHMENTS_DAYS leave the messages and the disk, a bounded batch at a time, on both
stores. The clock is injected: `now` is a fixed moment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.wiring import running_hub
from hub.core import Hub
from hub.privacy import RetentionPolicy, enforce_retention
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer
from models.messages import Attachment, AuthorKind, Direction, Message
from models.privacy import ERASED
from tests.integration.model_support import drop_database, with_database

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
AGES = (40, 20, 10, 1)  # days before NOW of the four messages, in the order they arrived


def file_id(n: int) -> str:
    return f"{n:02d}" + "f" * 30


async def four_messages(hub: Hub, files: Path) -> list[Message]:
    """One customer's messages, oldest first, each with a file on disk."""
    customer = Customer(name="Анна", created_at=NOW - timedelta(days=50))
    await hub.stores.customers.create(customer)
    conversation = Conversation.open(customer.id, Channel.TELEGRAM, "tg", at=NOW - timedelta(days=50))
    await hub.stores.conversations.create(conversation)
    stored = []
    for n, age in enumerate(AGES):
        path = files / file_id(n)[:2] / file_id(n)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"receipt")
        message = Message(
            conversation_id=conversation.id, customer_id=customer.id, direction=Direction.INBOUND,
            author=AuthorKind.CUSTOMER, channel=Channel.TELEGRAM, account_id="tg", external_id=f"tg:{n}",
            text=f"сообщение {n}", attachments=[Attachment(kind="image", file_id=file_id(n), name="чек.jpg")],
            created_at=NOW - timedelta(days=age), sent_at=NOW - timedelta(days=age))
        assert await hub.stores.messages.add(message)
        stored.append(message)
    return stored


@pytest.mark.parametrize("store", ["sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
async def test_texts_and_files_expire_by_kind_in_bounded_batches(
    store: str, make_settings: Any, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    files = tmp_path / "reply-files"
    backend: dict[str, Any] = {"store": store}
    database = f"retention_{uuid.uuid4().hex}"
    if store == "mongo":
        backend["mongodb_url"] = with_database(request.getfixturevalue("mongodb_url"), database)
    settings = make_settings(retention_messages_days=30, retention_attachments_days=7, retention_batch=2,
                             reply_files_dir=str(files), **backend)
    policy = RetentionPolicy.of(settings)
    async with running_hub(settings) as hub:
        messages = await four_messages(hub, files)
        first = await enforce_retention(hub, policy, now=NOW)
        second = await enforce_retention(hub, policy, now=NOW)
        third = await enforce_retention(hub, policy, now=NOW)
        after = await hub.stores.messages.list_for_customer(messages[0].customer_id)
    if store == "mongo":
        await drop_database(request.getfixturevalue("mongodb_url"), database)

    assert policy == RetentionPolicy(messages=timedelta(days=30), attachments=timedelta(days=7), batch=2)
    # A batch of two: the 40-day text goes; the 20-day file goes; two looked at, so there may be more.
    assert (first.messages, first.attachments, first.files, first.more) == (1, 1, 2, True)
    assert (second.messages, second.attachments, second.files, second.more) == (0, 1, 1, False)
    assert (third.messages, third.attachments, third.files) == (0, 0, 0)
    assert [m.text for m in after] == [ERASED, "сообщение 1", "сообщение 2", "сообщение 3"]
    assert [len(m.attachments) for m in after] == [0, 0, 0, 1]
    assert [(files / file_id(n)[:2] / file_id(n)).exists() for n in range(4)] == [False, False, False, True]


def test_no_age_set_keeps_everything(make_settings: Any) -> None:
    assert not RetentionPolicy.of(make_settings()).active
    assert RetentionPolicy.of(make_settings(retention_attachments_days=7)).active
