"""The CRM records of api/demo/seed.py's customers, matching their demo conversations.

Анна (demo-anna) waits for order 4512, due yesterday 18:00–20:00 and still on its way (her conversation
asks where it is); Борис (demo-boris) paid 95 ₽ for milk in store №118 (his price-tag complaint); Ольга
(demo-olga) bought the curd she complained about in Kazan and has an order being assembled.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from api.demo.crm_catalogue import MSK
from api.demo.crm_data import (
    DemoCustomer,
    OrderPlan,
    active_slot,
    as_ordered,
    build_order,
    line,
    missing,
    slot,
    store,
    substituted,
)
from models.context import (
    Courier,
    CustomerProfile,
    LineItem,
    LoyaltyCard,
    OrderEvent,
    OrderReview,
    OrderStatus,
    Purchase,
)

S = OrderStatus


def at(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` Moscow time, `days` from today."""
    midnight = now.astimezone(MSK).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=days, hours=hour, minutes=minute)


def receipt(id_: str, store_number: str, when: datetime, items: list[LineItem]) -> Purchase:
    """A till receipt."""
    return Purchase(id=id_, store=store(store_number), at=when, items=items,
                    total=sum((i.amount for i in items), Decimal(0)))


def demo_people(now: datetime) -> list[DemoCustomer]:
    """Anna, Boris and Olga as the CRM knows them at `now`."""
    return [_anna(now), _boris(now), _olga(now)]


def _anna(now: datetime) -> DemoCustomer:
    home = "Москва, ул. Профсоюзная, д. 56, кв. 112"
    courier = Courier(name="Дмитрий Соколов", phone="+79995550142")
    late = OrderPlan(
        "4512", S.IN_DELIVERY, at(now, -2, 21, 14), slot(at(now, -1, 0), 18), store("118"), home,
        [as_ordered("Молоко 3,2% 1 л", 2), as_ordered("Творог 5% 200 г", 2), as_ordered("Хлеб Бородинский 400 г"),
         as_ordered("Бананы", Decimal("1.5")), substituted("Яйца куриные С1, 10 шт", 1, "нет в наличии"),
         as_ordered("Сыр Российский 200 г")],
        courier=courier, eta=_eta(now),
        extra_events=[
            OrderEvent(at=at(now, -1, 19, 50), status=S.IN_DELIVERY,
                       text="Курьер задерживается: ДТП на маршруте, доставка позже слота"),
            OrderEvent(at=now - timedelta(hours=2), status=S.IN_DELIVERY,
                       text="Доставка перенесена, курьер Дмитрий Соколов назначен повторно"),
        ])
    earlier = OrderPlan(
        "4377", S.DELIVERED, at(now, -9, 20, 5), slot(at(now, -8, 0), 10), store("118"), home,
        [substituted("Творог 5% 200 г", 2, "нет в наличии"), missing("Помидоры черри 250 г", 1,
                                                                      "нет в наличии, замена не найдена"),
         as_ordered("Молоко 3,2% 1 л", 2), as_ordered("Кефир 2,5% 900 г"), as_ordered("Батон нарезной 350 г")],
        courier=Courier(name="Сергей Кузнецов", phone="+79995550177"),
        review=OrderReview(id="V-4377", rating=4, at=at(now, -8, 14, 30),
                           text="Творог заменили на 9% — нормально, а черри так и не привезли, деньги вернули."))
    profile = CustomerProfile(
        id="demo-anna", name="Анна Петрова", phone="+79161234567", email="anna.petrova@example.ru", city="Москва",
        customer_since=date(2019, 4, 12), loyalty_card=LoyaltyCard(number="2775 0145 1200 0317", tier="Золотой",
                                                                   points=1840))
    purchases = [
        receipt("R-118-204517", "118", at(now, -4, 19, 12), [line("Молоко 3,2% 1 л"), line("Творог 5% 200 г", 2),
                                                               line("Яблоки Гала", Decimal("1.5"))]),
        receipt("R-204-198230", "204", at(now, -11, 9, 41), [line("Кофе молотый 250 г"), line("Батон нарезной 350 г"),
                                                               line("Масло сливочное 82,5% 180 г")]),
    ]
    orders = [build_order(p, profile.id, now) for p in (late, earlier)]
    return DemoCustomer(profile, purchases, orders, otklik_id="demo-anna")


def _boris(now: datetime) -> DemoCustomer:
    profile = CustomerProfile(
        id="demo-boris", name="Борис Смирнов", phone="+79037654321", email="boris@example.ru", city="Москва",
        customer_since=date(2021, 9, 3), loyalty_card=LoyaltyCard(number="2775 0388 9021 4410", tier="Серебряный",
                                                                  points=620))
    purchases = [  # the milk rang up at 95 ₽ though the shelf said 79 ₽
        receipt("R-118-215044", "118", now - timedelta(hours=3), [
            line("Молоко 3,2% 1 л", price=Decimal("95.00")), line("Батон нарезной 350 г"), line("Сметана 20% 300 г")]),
        receipt("R-527-190872", "527", at(now, -6, 18, 25), [
            line("Куриное филе охлаждённое", Decimal("0.5")), line("Гречка ядрица 900 г"),
            line("Огурцы среднеплодные")]),
    ]
    plan = OrderPlan(
        "4490", S.DELIVERED, at(now, -13, 22, 40), slot(at(now, -12, 0), 8), store("204"),
        "Москва, ул. Бутырская, д. 9, кв. 31",
        [as_ordered("Вода минеральная 1,5 л", 6), as_ordered("Макароны спагетти 450 г", 2),
         as_ordered("Чай чёрный, 100 пакетиков"), as_ordered("Сыр Гауда 200 г")],
        courier=Courier(name="Иван Новиков", phone="+79995550119"), method="sbp",
        review=OrderReview(id="V-4490", rating=5, at=at(now, -12, 11, 15),
                           text="Всё привезли вовремя, курьер вежливый."))
    return DemoCustomer(profile, purchases, [build_order(plan, profile.id, now)], otklik_id="demo-boris")


def _olga(now: datetime) -> DemoCustomer:
    home = "Казань, ул. Чистопольская, д. 27, кв. 45"
    profile = CustomerProfile(
        id="demo-olga", name="Ольга Иванова", phone="+79031112233", city="Казань", customer_since=date(2023, 2, 20),
        loyalty_card=LoyaltyCard(number="2775 0912 3356 0081", tier="Базовый", points=310))
    purchases = [  # the curd she found out of date
        receipt("R-1622-088315", "1622", at(now, -2, 18, 3), [line("Творог 9% 200 г"), line("Кефир 1% 900 г"),
                                                                line("Хлеб Дарницкий 700 г")]),
    ]
    status, window = active_slot(now, S.ASSEMBLING)
    assembling = OrderPlan(
        "4521", status, now - timedelta(hours=6), window, store("1640"), home,
        [as_ordered("Йогурт питьевой клубника 290 г", 4), as_ordered("Яблоки Голден", 1),
         as_ordered("Гречка ядрица 900 г"), as_ordered("Сметана 15% 300 г")])
    cancelled = OrderPlan(
        "4433", S.CANCELLED, at(now, -20, 12, 30), slot(at(now, -19, 0), 16), store("1640"), home,
        [as_ordered("Куриное филе охлаждённое", 1), as_ordered("Огурцы среднеплодные", Decimal("0.5"))],
        method="card")
    orders = [build_order(p, profile.id, now) for p in (assembling, cancelled)]
    return DemoCustomer(profile, purchases, orders, otklik_id="demo-olga")


def _eta(now: datetime) -> datetime:
    """Within the hour by day, nine in the morning by night; on a five-minute mark, as an ETA is told."""
    local = now.astimezone(MSK)
    if not 8 <= local.hour < 21:
        return at(now, 1 if local.hour >= 21 else 0, 9)
    soon = local + timedelta(minutes=50)
    return (soon + timedelta(minutes=(-soon.minute) % 5)).replace(second=0, microsecond=0)
