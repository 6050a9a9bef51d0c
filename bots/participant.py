"""The dialog bot as a participant: a customer message in a `bot` conversation → one engine turn.

Per message it reads only the conversation's compact dialog state (never the message history), runs
the flows, queues the replies in the outbox, hands over when the flow says so, and saves the new state
named after the message. Redelivery-safe: replies and side effects are keyed on the message id, random
variants are seeded by it, and a message whose turn is already saved is not answered again.
"""

from __future__ import annotations

import logging
import random
import re
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Histogram
from pydantic_core import to_jsonable_python

from bots.hub_actions import HubActions
from dialogs.engine import DialogState, HandoverRequest, Reply, StepResult, Turn, step
from dialogs.registry import FlowRegistry
from hub.inbox import handover
from hub.outbound import outbox
from hub.stores.dialog_state import SavedDialogState
from models.clock import utcnow
from models.conversations import Conversation
from models.customers import Customer
from models.errors import InvalidTransition
from models.messages import AuthorKind, Button, InboundMessage, Message, OutboundMessage
from nlu.language import UNKNOWN as UNKNOWN_LANGUAGE
from nlu.language import detect as detect_language

if TYPE_CHECKING:
    from dialogs.model import FlowSet
    from hub.core import Hub

log = logging.getLogger(__name__)
TURN_SECONDS = Histogram("otklik_bot_turn_seconds", "Time of one dialog-bot turn (state, flows, replies, save)")
HANDOVERS = Counter("otklik_bot_handovers_total", "Conversations the bot handed to people, by reason", ["reason"])
_START_COMMAND = re.compile(r"^/start(?:\s|$)", re.IGNORECASE)  # Telegram's deep-link message: not a question
KEPT_TURNS = 16  # answered message ids remembered besides the last: a redelivery is rarely further behind
_BOT_ERROR_NOTE = "Бот не смог обработать сообщение (ошибка в сценарии); нужен оператор."


class DialogBot:
    """The dialog bot behind the hub's participant port: serves the flows of `registry`, hot-reloaded."""

    def __init__(self, hub: Hub, registry: FlowRegistry) -> None:
        self.hub = hub
        self.registry = registry

    async def answer(self, msg: InboundMessage, stored: Message, conversation: Conversation) -> None:
        """Take the bot's turn for customer message `stored`."""
        await answer(msg, stored, conversation, self.hub, self.registry)

    async def serving(self) -> str | None:
        """The flows version a message arriving now is answered with (edited flows picked up first)."""
        self.registry.reload_if_changed()
        return self.registry.current().version


async def answer(msg: InboundMessage, stored: Message, conversation: Conversation, hub: Hub,
                 registry: FlowRegistry) -> None:
    """Take the bot's turn for customer message `stored` with the flows of `registry`."""
    started = time.perf_counter()
    saved = await hub.stores.dialog_states.get(conversation.id)
    if saved is not None and stored.id in (saved.turn_key, *saved.earlier_turns):
        return  # this message was answered before a crash or redelivery: never twice
    registry.reload_if_changed()
    customer = await hub.stores.customers.get(conversation.customer_id)
    state = DialogState() if saved is None else DialogState.model_validate(saved.data)
    actions = HubActions(hub, conversation, customer, stored.id, stored.nlu)
    turns = turns_for(msg, stored, customer, saved, timezone=hub.settings.timezone)
    replies, wanted, state = await _run(registry.current(), state, turns, actions, random.Random(stored.id))
    if actions.called:  # a verified claim merges the shopper into a known customer: replies are theirs now
        conversation = await hub.stores.conversations.get(conversation.id)
    for n, reply in enumerate(replies):
        await outbox.enqueue(_outbound(msg, stored, conversation, reply, n), hub)
    if wanted is not None:
        await _hand_over(hub, conversation, wanted)
    await _save(hub, conversation, saved, state, stored.id)
    TURN_SECONDS.observe(time.perf_counter() - started)


async def _run(flows: FlowSet, state: DialogState, turns: list[Turn], actions: HubActions,
               rng: random.Random) -> tuple[list[Reply], HandoverRequest | None, DialogState]:
    """Step each turn (an event, then the text); a broken flow hands over rather than leave the shopper hanging."""
    replies: list[Reply] = []
    for turn in turns:
        try:
            result: StepResult = await step(flows, state, turn, actions, rng=rng)
        except Exception:  # a flow or engine bug must not silence the conversation: people take it
            log.exception("dialog step failed", extra={"conversation_id": actions.conversation.id})
            return replies, HandoverRequest(topic="general", note=_BOT_ERROR_NOTE, reason="bot_error"), state
        replies += result.replies
        state = result.state
        for record in result.records:
            # detail nested: its keys ("name", "message"...) may not overwrite LogRecord's own attributes
            log.info("bot %s", record.kind, extra={"conversation_id": actions.conversation.id, "detail": record.detail})
        if result.handover is not None:
            return replies, result.handover, state
    return replies, None, state


def turns_for(
    msg: InboundMessage, stored: Message, customer: Customer, saved: SavedDialogState | None, *,
    timezone: str = "Europe/Moscow",
) -> list[Turn]:
    """The engine's inputs for this message: `conversation_started` first in a new conversation, a deep
    link's code, then the text itself (not Telegram's `/start <code>`, which only carries the link)."""
    command = bool(msg.deep_link) or bool(_START_COMMAND.match(stored.text.strip()))
    common: dict[str, Any] = {
        # "/start" is no sign of English, nor a pressed button's payload ("human"): the conversation's stays
        "language": None if command or msg.button_press else language_of(stored),
        "channel": msg.channel.value, "customer": customer_attributes(customer), "now": utcnow(),
        "timezone": timezone, "conversation_id": stored.conversation_id,
    }
    turns = []
    if saved is None:
        turns.append(Turn(event="conversation_started", **common))
    if msg.deep_link:
        turns.append(Turn(event="deep_link", deep_link=msg.deep_link, **common))
    if not command and stored.text.strip():
        turns.append(Turn(text=stored.text, nlu=stored.nlu, button_press=msg.button_press, **common))
    return turns


def language_of(stored: Message) -> str | None:
    """ru/en from the NLU reading, else from the letters; None (keep the conversation's) for "104512"."""
    if stored.nlu is not None and stored.nlu.language in ("ru", "en"):
        return stored.nlu.language
    guessed = detect_language(stored.text)  # the one guesser (nlu/language.py), as the NLU itself reads it
    return None if guessed == UNKNOWN_LANGUAGE else guessed


def customer_attributes(customer: Customer) -> dict[str, Any]:
    """What flows may read as `{customer.…}`: the name and the attributes, as JSON values."""
    values = {k: v for k, v in customer.attributes.items() if isinstance(v, str | int | float | bool)}
    return to_jsonable_python({**values, "name": customer.name or ""})  # type: ignore[no-any-return]


def _outbound(
    msg: InboundMessage, stored: Message, conversation: Conversation, reply: Reply, n: int
) -> OutboundMessage:
    """Reply `n` to `stored`, keyed on both: a redelivered message's replies are stored once."""
    buttons = [Button(title=b.title[:64], payload=(b.value or b.title)[:256]) for b in reply.buttons if b.title]
    return OutboundMessage(
        conversation_id=conversation.id, customer_id=conversation.customer_id, channel=msg.channel,
        account_id=msg.account_id, recipient=msg.external_user_id, text=reply.text, author=AuthorKind.BOT,
        buttons=buttons, idempotency_key=f"bot:{stored.id}:{n}", reply_to=msg.external_id,
    )


async def _hand_over(hub: Hub, conversation: Conversation, wanted: HandoverRequest) -> None:
    """Queue the conversation for people with the bot's note and summary."""
    try:
        await handover.hand_over(hub, conversation.id, topic=wanted.topic, priority=wanted.priority,
                                 note=wanted.note, summary=dict(wanted.summary))
    except InvalidTransition as e:  # an operator took or closed it meanwhile: nothing left to hand over
        log.info("handover skipped: %s", e, extra={"conversation_id": conversation.id})
        return
    HANDOVERS.labels(wanted.reason or "flow").inc()


async def _save(hub: Hub, conversation: Conversation, saved: SavedDialogState | None, state: DialogState,
                turn_key: str) -> None:
    """Save the new state named after this turn; a concurrent turn that saved first wins (logged)."""
    version = 0 if saved is None else saved.version
    earlier = [] if saved is None else [*saved.earlier_turns, saved.turn_key][-KEPT_TURNS:]
    new = SavedDialogState(conversation_id=conversation.id, version=version + 1, turn_key=turn_key,
                           earlier_turns=earlier, data=state.model_dump(mode="json"), updated_at=utcnow())
    if not await hub.stores.dialog_states.save(new, expected_version=version):
        log.warning("dialog state changed under this turn; kept the other", extra={"conversation_id": conversation.id})
