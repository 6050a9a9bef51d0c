"""Demo canned answers and scripts for `otklik demo`: what operators insert with `/shortcut` and the
step-by-step shown beside a conversation of a topic. Seeded once under fixed ids; an editor's later
changes stay."""

from __future__ import annotations

from hub.stores.inbox import InboxStore
from models.canned import CannedKind, CannedResponse
from models.errors import NotFound

R, S = CannedKind.RESPONSE, CannedKind.SCRIPT
# (kind, shortcut, topic, language, title, text)
ITEMS: list[tuple[CannedKind, str, str | None, str, str, str]] = [
    (R, "hello", None, "ru", "Приветствие",
     "Здравствуйте, {name}! Меня зовут {operator}, я помогу вам."),
    (R, "hello", None, "en", "Greeting", "Hello, {name}! I'm {operator} and I'll help you."),
    (R, "where-order", "order_status", "ru", "Где заказ",
     "Проверяю заказ — ответ пришлю в этот чат в течение 15 минут."),
    (R, "where-order", "order_status", "en", "Where is my order",
     "I'm checking your order and will reply in this chat within 15 minutes."),
    (R, "refund-days", "return_refund", "ru", "Срок возврата денег",
     "Деньги вернутся на карту, которой вы платили, в течение 10 рабочих дней."),
    (R, "refund-days", "return_refund", "en", "Refund time",
     "The money returns to the card you paid with within 10 working days."),
    (R, "sorry-quality", "product_quality", "ru", "Извинение за качество",
     "Приносим извинения! Мы передали случай в контроль качества и вернём деньги за товар."),
    (R, "sorry-quality", "product_quality", "en", "Apology for quality",
     "We are sorry! We have passed this to quality control and will refund the product."),
    (S, "delivery-late", "delivery_problem", "ru", "Опоздание доставки",
     "1. Уточните номер заказа.\n2. Проверьте статус в карточке клиента.\n"
     "3. Если курьер опаздывает больше часа — откройте обращение «Опоздание доставки»."),
    (S, "delivery-late", "delivery_problem", "en", "Late delivery",
     "1. Ask for the order number.\n2. Check its status in the customer panel.\n"
     "3. More than an hour late: open a \"Late delivery\" case."),
    (S, "spoiled", "product_quality", "ru", "Испорченный товар",
     "1. Попросите фото товара и чека.\n2. Уточните магазин.\n"
     "3. Откройте обращение «Испорченный товар» — его получит контроль качества."),
    (S, "spoiled", "product_quality", "en", "Spoiled goods",
     "1. Ask for a photo of the product and the receipt.\n2. Ask which store.\n"
     "3. Open a \"Spoiled goods\" case: quality control gets it."),
]


async def seed_canned(inbox: InboxStore) -> int:
    """Save the demo items not saved before; how many were added."""
    added = 0
    for kind, shortcut, topic, language, title, text in ITEMS:
        item_id = f"demo-{kind.value}-{shortcut}-{language}"
        try:
            await inbox.get_canned(item_id)
            continue
        except NotFound:
            pass
        await inbox.save_canned(CannedResponse(id=item_id, kind=kind, shortcut=shortcut, title=title, text=text,
                                               language=language, topic=topic, updated_by="admin"))
        added += 1
    return added
