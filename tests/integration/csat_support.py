"""What the CSAT tests share: an inbox config with CSAT on, the staff, an operator's resolve, the question."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from hub.core import Hub
from hub.inbox import resolution
from hub.inbox.handover import hand_over
from models.conversations import Conversation
from models.ids import ConversationId
from models.messages import Direction, Message
from models.staff import Availability, Group, GroupId, Role, User, UserId
from tests.integration.helpers import eventually


def csat_inbox(tmp_path: Path, **csat: Any) -> str:
    """An inbox config (general line, supervisors) with CSAT on; `csat` overrides its settings."""
    text = yaml.safe_dump({"default_group": "general", "csat": {
        "enabled": True, "low_score": 2, "low_score_group": "supervisors", **csat}})
    path = tmp_path / f"inbox-csat-{hashlib.sha256(text.encode()).hexdigest()[:8]}.yml"  # configs are cached by path
    path.write_text(text, encoding="utf-8")
    return str(path)


async def staff(hub: Hub) -> User:
    """The general line with one operator (returned), and the supervisors with one supervisor."""
    await hub.stores.directory.upsert_groups([Group(id=GroupId("general"), name="Общая линия"),
                                              Group(id=GroupId("supervisors"), name="Старшие смены")])
    for login, role, group in (("olga", Role.OPERATOR, "general"), ("sveta", Role.SUPERVISOR, "supervisors")):
        await hub.stores.directory.save_user(User(id=UserId(f"u-{login}"), login=login, name=login.title(),
                                                  roles=frozenset({role}), groups=[GroupId(group)],
                                                  availability=Availability.AVAILABLE))
    return await hub.stores.directory.get_user(UserId("u-olga"))


async def resolved_by_operator(hub: Hub, conversation_id: ConversationId, key: str = "resolve-1") -> Conversation:
    """The bot hands over, Olga takes it (auto-assignment) and resolves it with an outcome."""
    await hand_over(hub, conversation_id, topic="delivery_problem", note="Клиент ждёт заказ 4512")
    held = await hub.stores.conversations.get(conversation_id)
    assert held.assignee == "u-olga", held
    conversation, _ = await resolution.resolve(hub, conversation_id, "Заказ 4512 доставлен.", key=key,
                                               actor="u-olga")
    return conversation


async def outbound(hub: Hub, conversation_id: ConversationId) -> list[Message]:
    """The conversation's outbound messages, oldest first."""
    return [m for m in await hub.stores.messages.list_for_conversation(conversation_id)
            if m.direction is Direction.OUTBOUND]


async def question(hub: Hub, conversation_id: ConversationId) -> Message:
    """The rating question, once the worker queued it."""
    found = await eventually(lambda: outbound(hub, conversation_id),
                             lambda ms: any(_is_question(m) for m in ms))
    return next(m for m in found if _is_question(m))


def _is_question(message: Message) -> bool:
    key = message.idempotency_key or ""
    return key.startswith("csat:") and key.count(":") == 1


def csat_kinds(conversation: Conversation) -> list[str]:
    """The CSAT entries of the conversation's history, in order."""
    return [e.kind for e in conversation.history if e.kind.startswith("csat_")]
