"""Generated data for `bench/cases.py`: the chain's stores and its users as CSV files, and one store's cases.

Deterministic for a seed, shaped like the chain's own numbers: 16,000 stores in ~80 regions, every
store with its staff (at least two people, busy stores more), ~20 specialist groups with their
specialists, and the contact centre's operators and supervisors; 45,000 users in all.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from models.cases import Case, CaseSla, CaseState, Reason
from models.conversations import Conversation, Priority
from models.staff import store_group_id

CITIES = ["Москва", "Санкт-Петербург", "Казань", "Екатеринбург", "Новосибирск", "Самара", "Уфа", "Пермь",
          "Воронеж", "Краснодар", "Ростов-на-Дону", "Нижний Новгород", "Челябинск", "Омск", "Тюмень"]
STREETS = ["Ленина", "Мира", "Садовая", "Советская", "Гагарина", "Пушкина", "Лесная", "Центральная"]
FIRST = ["Анна", "Иван", "Мария", "Пётр", "Ольга", "Сергей", "Елена", "Дмитрий", "Наталья", "Алексей"]
LAST = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов"]
SPECIALIST_GROUPS = [
    "quality", "logistics", "pricing", "returns", "loyalty", "delivery", "mobile_app", "legal", "security",
    "supply", "marketing", "hr", "it_support", "finance", "claims", "online_store", "pharmacy", "bakery",
    "fresh", "facilities",
]
STORE_FIELDS = ["id", "name", "region", "city", "address", "phone", "timezone", "opening_hours"]
USER_FIELDS = ["login", "name", "email", "roles", "groups", "store_id", "language"]
OPERATORS, SUPERVISORS, ADMINS = 500, 100, 10


@dataclass(frozen=True)
class Generated:
    """Where the files are and what they hold."""

    stores_csv: Path
    users_csv: Path
    stores: int
    users: int
    first_store: str


def store_number(n: int) -> str:
    """The chain's store number for the n-th store (zero-padded, as printed on receipts)."""
    return f"{n:05d}"


def write_stores(path: Path, count: int, regions: int, rng: random.Random) -> None:
    """`count` stores spread over `regions` regions."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(STORE_FIELDS)
        for n in range(1, count + 1):
            city = rng.choice(CITIES)
            writer.writerow([store_number(n), f"Магазин №{n}", f"region-{n % regions:02d}", city,
                             f"{city}, ул. {rng.choice(STREETS)}, {rng.randint(1, 200)}",
                             f"+7495{n:07d}", "Europe/Moscow", "08:00-23:00"])


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def write_users(path: Path, count: int, stores: int, rng: random.Random) -> None:
    """`count` users: contact centre and specialists first, every remaining seat goes to store staff."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(USER_FIELDS)
        written = 0

        def row(login: str, roles: str, groups: str, store: str = "") -> None:
            nonlocal written
            writer.writerow([login, _person(rng), f"{login}@chain.example", roles, groups, store, "ru"])
            written += 1

        for n in range(ADMINS):
            row(f"admin{n}", "admin;supervisor", "")
        for n in range(SUPERVISORS):
            row(f"supervisor{n}", "supervisor", "cc-main;supervisors")
        for n in range(OPERATORS):
            row(f"operator{n}", "operator", "cc-main")
        specialists = stores // 40  # ~400 for 16,000 stores: ~20 per group
        for n in range(specialists):
            row(f"specialist{n}", "specialist", SPECIALIST_GROUPS[n % len(SPECIALIST_GROUPS)])
        staff = count - written
        # Two people in every store, the rest spread over the busier ones.
        for n in range(staff):
            store = store_number(n % stores + 1)
            row(f"store{store}-{n // stores}", "store_staff", f"store:{store}", store)


def generate(folder: Path, *, stores: int = 16_000, users: int = 45_000, regions: int = 80,
             seed: int = 6) -> Generated:
    """Write stores.csv and users.csv into `folder`."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    stores_csv, users_csv = folder / "stores.csv", folder / "users.csv"
    write_stores(stores_csv, stores, regions, rng)
    write_users(users_csv, users, stores, rng)
    return Generated(stores_csv, users_csv, stores, users, store_number(1))


def store_cases(store_id: str, count: int, *, conversation: Conversation, open_share: float, start_number: int,
                rng: random.Random, now: datetime) -> Iterator[Case]:
    """`count` cases of one store over the last year: `open_share` of them still open (opened in the last four
    days, so some are overdue), the rest solved or closed; price tags, cleanliness and staff complaints."""
    types = [("price_tag_mismatch", 24.0), ("staff_behaviour", 48.0), ("store_cleanliness", 72.0)]
    priorities = [Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
    for n in range(count):
        request_type, hours = rng.choice(types)
        is_open = rng.random() < open_share
        opened = now - timedelta(hours=rng.uniform(1, 24 * 365) if not is_open else rng.uniform(0.1, 96))
        due = opened + timedelta(hours=hours)
        case = Case(
            number=start_number + n, conversation_id=conversation.id, customer_id=conversation.customer_id,
            channel=conversation.channel, request_type=request_type, store_id=store_id, priority=rng.choice(priorities),
            description=f"Обращение {n}: ценник {rng.randint(50, 500)} ₽, на кассе {rng.randint(50, 500)} ₽",
            group=store_group_id(store_id), created_by="bench", created_at=opened, updated_at=opened,
            sla=CaseSla(hours=hours, started_at=opened, due_at=due, check_at=opened),  # the SLA scan settles it
        )
        case.record("opened", actor="bench", at=opened, code=Reason.ROUTED, request_type=request_type)
        if not is_open:
            case.solution = "Ценник исправлен"
            case.move(CaseState.SOLVED, actor="bench", at=opened + timedelta(hours=hours / 2), reason="solved")
            if rng.random() < 0.8:
                case.move(CaseState.CLOSED, actor="bench", at=opened + timedelta(hours=hours), reason="closed")
        yield case
