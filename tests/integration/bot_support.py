"""What the dialog-bot integration tests share: a model trained once from nlu/data, settings serving the shipped
flows, and readers of a customer's thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api import wiring
from bots.flows import SHIPPED_FLOWS
from dialogs.registry import FlowRegistry
from hub.core import Hub
from hub.settings import Settings
from models.conversations import Conversation
from models.customers import Identity, IdentityKind
from models.messages import Direction, Message
from tests.conftest import API_TOKEN
from tests.integration.helpers import eventually

ANNA_PHONE = "+79161234567"  # the demo CRM's Анна Петрова: order 4512 late, gold loyalty card


def bot_settings(make_settings: Any, nlu_model: Path, **overrides: Any) -> Settings:
    """Settings serving the shipped flows with the trained model and the demo CRM."""
    values: dict[str, Any] = {"dialogs_dir": str(SHIPPED_FLOWS), "nlu_model_dir": str(nlu_model),
                              "context_provider": "demo", **overrides}
    # the api account "crm" stands for the chain's own app here: it vouches for its users' contacts
    values.setdefault("api_accounts", [{"id": "crm", "token": API_TOKEN, "trusted": True}])
    return make_settings(**values)  # type: ignore[no-any-return]


async def thread_of(hub: Hub, identity: Identity) -> list[Message]:
    """The customer's messages, oldest first (internal notes included)."""
    customer = await hub.stores.customers.find_by_identity(identity)
    return [] if customer is None else await hub.stores.messages.list_for_customer(customer.id)


def api_user(user_id: str, account: str = "crm") -> Identity:
    """The identity of an api-channel user."""
    return Identity(kind=IdentityKind.API, value=f"{account}:{user_id}")


def bot_texts(messages: list[Message]) -> list[str]:
    """The bot's replies, in order."""
    return [m.text for m in messages if m.direction is Direction.OUTBOUND]


async def replies_after(hub: Hub, identity: Identity, inbound: int, at_least: int) -> list[Message]:
    """Wait until `inbound` customer messages are handled and at least `at_least` replies are stored."""

    def done(messages: list[Message]) -> bool:
        received = [m for m in messages if m.direction is Direction.INBOUND]
        return len(received) == inbound and all(m.handled for m in received) and len(bot_texts(messages)) >= at_least

    return await eventually(lambda: thread_of(hub, identity), done)


async def conversation_of(hub: Hub, identity: Identity) -> Conversation:
    """The customer's current conversation."""
    customer = await hub.stores.customers.find_by_identity(identity)
    assert customer is not None
    conversation = await hub.stores.conversations.current_for(customer.id)
    assert conversation is not None
    return conversation


def served_flows(hub: Hub) -> FlowRegistry:
    """The flow registry the hub's dialog bot serves (the test runs with flows)."""
    registry = wiring.served_flows(hub)
    assert registry is not None, "this hub's participant is not the dialog bot"
    return registry
