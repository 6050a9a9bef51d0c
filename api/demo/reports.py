"""Demo history for the reports: three weeks of conversations and cases across a few stores, stored as real
conversations, messages and cases, then turned into report facts by the same backfill as
`otklik reports backfill`; ratings arrive as the CSAT answers' events would put them.

Deterministic (a fixed seed), idempotent (skipped when its first conversation exists). The last complete
week has a burst of staff complaints at store 23, which the voice-of-the-customer report should flag.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hub.core import Hub
from hub.reports import ReportStore
from hub.reports.backfill import backfill
from hub.reports.projection import record_csat
from models.cases import Case, CaseSla, CaseState
from models.channels import Channel
from models.clock import local_date, utcnow
from models.conversations import Conversation, ConversationEvent, ConversationState
from models.customers import Customer, Identity, IdentityKind
from models.errors import NotFound
from models.ids import ConversationId, CustomerId
from models.messages import AuthorKind, DeliveryStatus, Direction, Message
from models.nlu import ParseResult
from models.report_facts import week_of
from models.retail_stores import RetailStore
from models.staff import store_group_id

S = ConversationState
PREFIX = "demo-hist"
STORES = [RetailStore(id="7", name="Невский, 28", region="spb", city="Санкт-Петербург"),
          RetailStore(id="23", name="Арбат, 12", region="msk", city="Москва"),
          RetailStore(id="56", name="Баумана, 44", region="kazan", city="Казань")]
TOPICS = {  # topic: (group, share the bot settles, what shoppers write)
    "order_status": ("logistics", 0.8, "Где мой заказ {n}? Обещали привезти вчера."),
    "delivery_problem": ("logistics", 0.2, "Курьер опоздал на три часа, заказ {n} привезли помятым."),
    "product_quality": ("quality_control", 0.1, "Купил молоко, а оно кислое. Чек {n}."),
    "price_mismatch": ("stores", 0.2, "На ценнике 79 ₽, а на кассе пробили 95 ₽, чек {n}."),
    "staff_complaint": ("stores", 0.0, "Кассир нагрубил мне сегодня утром, чек {n}."),
    "store_info": ("general", 0.9, "До скольки работает магазин? ({n})"),
    "loyalty_card": ("general", 0.6, "Не начислились бонусы за покупку {n}."),
}
CHANNELS = [Channel.TELEGRAM, Channel.TELEGRAM, Channel.WHATSAPP, Channel.WHATSAPP, Channel.EMAIL, Channel.WEBCHAT]
OPERATORS = ["operator1", "operator2"]


async def seed_report_history(
    hub: Hub, store: ReportStore, *, now: datetime | None = None, days: int = 21, count: int = 360,
) -> int:
    """Store the demo history up to `now` and build the report facts from it; how many conversations were added."""
    try:
        await hub.stores.conversations.get(ConversationId(f"{PREFIX}-0"))
        return 0  # seeded before
    except NotFound:
        pass
    await hub.stores.directory.upsert_stores(STORES)
    rng, now = random.Random(17), now or utcnow()
    burst_from = _last_complete_week(now, hub.settings.timezone)
    ratings: list[tuple[str, int, str]] = []
    for n in range(count):
        opened = now - timedelta(days=rng.uniform(0, days), minutes=30)
        topic, store_id = rng.choice(list(TOPICS)), rng.choice(["118", "7", "23", "56"])
        if burst_from <= opened < burst_from + timedelta(days=7) and rng.random() < 0.4:
            topic, store_id = "staff_complaint", "23"
        conversation = await _conversation(hub, rng, n, opened, topic, store_id, now)
        if conversation.state is S.RESOLVED and conversation.group and rng.random() < 0.45:
            score, comment = rng.choice([1, 2, 3, 4, 4, 5, 5, 5]), rng.choice(["", "Спасибо!", "Долго"])
            ratings.append((conversation.id, score, comment))
        if conversation.group == "stores" and rng.random() < 0.6:
            await _case(hub, rng, conversation, store_id, topic, now)
    await backfill(hub, store)
    for conversation_id, score, comment in ratings:  # what csat.answered events put on the facts
        await record_csat(store, conversation_id, {"score": score, "comment": comment})
    return count


def _last_complete_week(now: datetime, zone: str) -> datetime:
    today = local_date(now, zone)
    monday = datetime.fromisoformat(week_of(today)).replace(tzinfo=now.tzinfo) - timedelta(days=7)
    return monday


async def _conversation(hub: Hub, rng: random.Random, n: int, opened: datetime, topic: str, store_id: str,
                        now: datetime) -> Conversation:
    group, bot_share, words = TOPICS[topic]
    channel = rng.choice(CHANNELS)
    customer = Customer(id=CustomerId(f"{PREFIX}-u{rng.randrange(240)}"), name="Покупатель",
                        identities=[Identity(kind=IdentityKind.API, value=f"demo:{PREFIX}-{n}")])
    try:
        await hub.stores.customers.get(customer.id)
        customer = Customer(id=CustomerId(f"{PREFIX}-u{n}-b"), name="Покупатель",
                            identities=[Identity(kind=IdentityKind.API, value=f"demo:{PREFIX}-{n}")])
    except NotFound:
        pass
    await hub.stores.customers.create(customer)
    c = Conversation.open(customer.id, channel, "demo", at=opened)
    c.id, c.topic, c.deep_link = ConversationId(f"{PREFIX}-{n}"), topic, f"store_{store_id}"
    recent = now - opened < timedelta(hours=3)
    if rng.random() < bot_share:
        if not recent:
            c.transition(S.RESOLVED, actor="bot", note="answered by the bot", at=opened + timedelta(minutes=2))
    else:
        _handed_over(c, rng, opened, group, now)
    await hub.stores.conversations.create(c)
    reading = _reading(rng, topic, words.format(n=4500 + n))
    await hub.stores.messages.add(Message(
        conversation_id=c.id, customer_id=c.customer_id, direction=Direction.INBOUND, author=AuthorKind.CUSTOMER,
        channel=channel, account_id="demo", external_id=f"{c.id}-0", text=reading.text,
        status=DeliveryStatus.RECEIVED, handled=True, sent_at=opened, created_at=opened, nlu=reading))
    return c


def _handed_over(c: Conversation, rng: random.Random, opened: datetime, group: str, now: datetime) -> None:
    """Queued with its group, answered, then resolved (unless it is still too fresh)."""
    queued = opened + timedelta(minutes=1)
    c.history.append(ConversationEvent(at=queued, kind="handed_over", actor="bot", note="demo handover"))
    c.transition(S.QUEUED, group=group, at=queued)
    c.queued_at, c.sla_first_response_due = queued, queued + timedelta(minutes=30)
    c.sla_resolution_due = queued + timedelta(hours=24)
    first = queued + timedelta(minutes=rng.lognormvariate(2.3, 1.0))
    if first > now:
        return
    operator = rng.choice(OPERATORS)
    c.transition(S.ASSIGNED, assignee=operator, at=first)
    c.first_response_at = first
    if first > c.sla_first_response_due:
        c.sla_breached.append("first_response")
    done = first + timedelta(minutes=rng.lognormvariate(4.0, 1.2))
    if done < now:
        c.transition(S.RESOLVED, actor=operator, note="resolved", at=done)
        if done > c.sla_resolution_due:
            c.sla_breached.append("resolution")


def _reading(rng: random.Random, topic: str, text: str) -> ParseResult:
    """The NLU's reading: sometimes unsure (a close call), sometimes out of scope (a fallback)."""
    roll = rng.random()
    if roll < 0.08:
        return ParseResult(text=text, intent="out_of_scope", confidence=0.2, engine="builtin", out_of_scope=True)
    return ParseResult(text=text, intent=topic, confidence=0.55 if roll < 0.14 else 0.9, engine="builtin",
                       close_call=roll < 0.14)


async def _case(hub: Hub, rng: random.Random, c: Conversation, store_id: str, topic: str, now: datetime) -> None:
    opened = c.created_at + timedelta(minutes=10)
    hours = 24.0
    kind = "staff_behaviour" if topic == "staff_complaint" else "price_tag_mismatch"
    case = Case(number=await hub.stores.cases.next_number(), conversation_id=c.id, customer_id=c.customer_id,
                channel=c.channel, request_type=kind,
                store_id=store_id, description=f"Из обращения {c.id}", group=store_group_id(store_id),
                created_by="demo", created_at=opened, updated_at=opened,
                sla=CaseSla(hours=hours, started_at=opened, due_at=opened + timedelta(hours=hours)))
    case.record("opened", actor="demo", at=opened)
    solved = opened + timedelta(hours=rng.uniform(2, 40))
    if solved < now:
        case.solution = "Разобрались с сотрудником магазина"
        case.move(CaseState.SOLVED, actor="demo", at=solved, reason="solved")
        case.sla.breached = solved > opened + timedelta(hours=hours)
    await hub.stores.cases.create(case)
