"""Synthetic report facts for bench/reports.py: conversations and cases of a chain over 90 days.

16,000 stores in 80 regions, 500 operators in 12 groups, topics and channels with realistic weights;
about 45 % settled by the bot; in the last complete week a few stores get a burst of complaints, so the
voice-of-the-customer report has something real to find. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from models.report_facts import CaseFact, ConversationFact, week_of

TOPICS = {  # topic: (weight, group, bot settles it with this probability)
    "order_status": (22, "logistics", 0.8), "delivery_problem": (12, "logistics", 0.2),
    "product_quality": (9, "quality", 0.1), "price_mismatch": (6, "stores", 0.2), "staff_complaint": (4, "stores", 0.0),
    "store_info": (10, "general", 0.9), "loyalty_card": (8, "loyalty", 0.6), "return_refund": (8, "returns", 0.3),
    "promo_code": (6, "loyalty", 0.7), "app_problem": (5, "digital", 0.3), "praise": (3, "general", 0.9),
    "human_request": (4, "general", 0.0), "general": (3, "general", 0.5),
}
CHANNELS = {"telegram": 35, "whatsapp": 30, "webchat": 12, "email": 10, "voice": 8, "viber": 5}
REASONS = {"flow": 60, "asked_for_person": 25, "low_confidence": 10, "angry": 5}
REQUEST_TYPES = ["refund", "price", "quality", "delivery", "staff", "other"]
SLA_FIRST, SLA_RESOLVE = 1800.0, 86400.0


def _pick(weights: dict[str, int], rng: random.Random) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def store_id(n: int) -> str:
    """Store number n as the chain writes it."""
    return f"{n:05d}"


def region_of(store: int) -> str:
    """Stores are spread over 80 regions."""
    return f"R{store % 80 + 1:02d}"


def conversations(count: int, *, stores: int, end: date, days: int = 90, seed: int = 17) -> Iterator[ConversationFact]:
    """`count` conversation facts spread over `days` days ending at `end`."""
    rng = random.Random(seed)
    topics = {t: w for t, (w, _, _) in TOPICS.items()}
    last_monday = date.fromisoformat(week_of(end)) - timedelta(days=7)  # the last complete week
    burst = {rng.randrange(stores) for _ in range(5)}
    for n in range(count):
        day = end - timedelta(days=min(int(rng.expovariate(1 / 40)), days - 1) if rng.random() < 0.3
                              else rng.randrange(days))
        store = rng.randrange(stores)
        topic = _pick(topics, rng)
        if day >= last_monday and day < last_monday + timedelta(days=7) and rng.random() < 0.002:
            store, topic = rng.choice(sorted(burst)), "staff_complaint"  # the burst the voice report should find
        yield _conversation(n, day, store, topic, rng)


def _conversation(n: int, day: date, store: int, topic: str, rng: random.Random) -> ConversationFact:
    _, group, bot_share = TOPICS[topic]
    hour = min(23, max(0, int(rng.gauss(14, 4))))
    settled = rng.random() < bot_share
    resolved = settled or rng.random() < 0.9
    first = None if settled else rng.lognormvariate(6.3, 1.1)
    resolution = rng.lognormvariate(4.5, 1.0) if settled else (rng.lognormvariate(9.5, 1.3) if resolved else None)
    rated = resolved and rng.random() < 0.25
    return ConversationFact(
        conversation_id=f"b{n:07d}", customer_id=f"u{rng.randrange(700_000):06d}",
        opened_at=f"{day.isoformat()}T{hour:02d}:{rng.randrange(60):02d}:00+00:00", day=day.isoformat(), hour=hour,
        week=week_of(day), topic=topic, channel=_pick(CHANNELS, rng), group="" if settled else group,
        store=store_id(store), region=region_of(store), operator="" if settled else f"op-{rng.randrange(500):03d}",
        reason="" if settled else _pick(REASONS, rng), state="resolved" if resolved else "assigned",
        handed_over=not settled, resolved=resolved, contained=settled, first_response_s=first,
        first_response_met=None if first is None else first <= SLA_FIRST, resolution_s=resolution,
        resolution_met=None if settled or resolution is None else resolution <= SLA_RESOLVE,
        handle_s=None if settled or not resolved else rng.lognormvariate(6.5, 0.7),
        messages=rng.randint(1, 6), fallbacks=int(rng.random() < 0.08), unsure=int(rng.random() < 0.05),
        repeat=rng.random() < 0.08, csat=rng.choice([1, 2, 3, 4, 4, 5, 5, 5]) if rated else None,
        text=f"{topic.replace('_', ' ')}: shopper message {n}")


def cases(count: int, *, stores: int, end: date, days: int = 90, seed: int = 18) -> Iterator[CaseFact]:
    """`count` case facts over the same period."""
    rng = random.Random(seed)
    for n in range(count):
        day = end - timedelta(days=rng.randrange(days))
        store = rng.randrange(stores)
        solved = rng.random() < 0.85
        yield CaseFact(
            case_id=f"k{n:07d}", conversation_id=f"b{n:07d}", number=n + 1,
            opened_at=f"{day.isoformat()}T10:00:00+00:00", day=day.isoformat(), hour=10, week=week_of(day),
            request_type=rng.choice(REQUEST_TYPES), channel=_pick(CHANNELS, rng), group=f"store:{store_id(store)}",
            store=store_id(store), region=region_of(store), state="solved" if solved else "in_progress",
            solved=solved, solve_s=rng.lognormvariate(11, 0.8) if solved else None, sla_breached=rng.random() < 0.12,
            hops=rng.choice([1, 1, 1, 2, 2, 3, 4]), text=f"case {n}")
