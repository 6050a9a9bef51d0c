"""Asking when unsure (dialogs/clarify.py): which topics a close call offers, what pressing does, and where
the question never interrupts; the unsure marker and further topics in the handover summary."""

from __future__ import annotations

from dialogs.check import check
from dialogs.engine import Turn
from models.nlu import Entity, IntentScore, ParseResult
from tests.unit.dialogs.helpers import NOON, Chat, flowset

FLOWS = flowset("""
    rules:
      always_human: [app_problem]
      fallback_flow: fallback
      clarify:
        text: {ru: Уточните тему, en: Which topic}
        other: {ru: Другое / оператор, en: Something else / operator}
        topics:
          order_status: {ru: Статус заказа, en: Order status}
          delivery_problem: {ru: Проблема с доставкой, en: Delivery problem}
          app_problem: {ru: Приложение, en: App}
    flows:
      - id: order_status
        triggers: {intents: [order_status]}
        steps:
          - ask:
              slot: order_id
              entity: order_id
              text: {ru: Номер заказа, en: Order number}
          - say: {ru: "Заказ {order_id} в пути", en: "Order {order_id} is on its way"}
      - id: delivery_problem
        triggers: {intents: [delivery_problem]}
        steps:
          - ask:
              slot: details
              text: {ru: Что случилось, en: What happened}
          - say: {ru: Передаю курьерам, en: Passing it on}
      - id: store_info
        triggers: {intents: [store_info]}
        steps:
          - say: {ru: Магазины тут, en: Stores here}
      - id: fallback
        steps:
          - say: {ru: Не понял, en: Didn't get it}
    """)


def close_call(text: str, *names: str, confidence: float = 0.5, language: str = "ru",
               order_id: str | None = None) -> ParseResult:
    """A close call between `names` (best first), rejected as out of scope when `confidence` is middling."""
    entities = [Entity(entity="order_id", value=order_id, start=0, end=len(text), extractor="test",
                       canonical=order_id)] if order_id else []
    ranking = [IntentScore(name=n, confidence=confidence - 0.05 * i) for i, n in enumerate(names)]
    return ParseResult(text=text, intent="out_of_scope", confidence=confidence, engine="test", ranking=ranking,
                       out_of_scope=True, close_call=True, language=language, entities=entities)


async def ask(chat: Chat, reading: ParseResult) -> list[tuple[str, str]]:
    result = await chat.send(Turn(text=reading.text, nlu=reading, now=NOON, language=reading.language))
    return [(b.title, b.value) for r in result.replies for b in r.buttons]


async def test_a_close_call_offers_both_candidates_and_a_person() -> None:
    chat = Chat(FLOWS)
    buttons = await ask(chat, close_call("где заказ, курьер не едет", "order_status", "delivery_problem"))
    assert buttons == [("Статус заказа", "order_status"), ("Проблема с доставкой", "delivery_problem"),
                       ("Другое / оператор", "human")]
    assert chat.state.clarifying == ["order_status", "delivery_problem"]


async def test_pressing_a_candidate_starts_its_flow_with_the_entities_of_the_question() -> None:
    chat = Chat(FLOWS)
    await ask(chat, close_call("заказ 4512 где курьер", "delivery_problem", "order_status", order_id="4512"))
    result = await chat.send(Turn(text="order_status", now=NOON, button_press=True,
                                  nlu=ParseResult(text="order_status", intent="order_status", confidence=0.9,
                                                  engine="test", language="en")))
    assert result.text == "Заказ 4512 в пути"  # the number given with the question is not asked again
    assert chat.state.language == "ru" and chat.state.clarifying == []
    assert [r.kind for r in result.records][:2] == ["clarified", "flow_started"]


async def test_the_other_button_hands_over_as_unsure() -> None:
    chat = Chat(FLOWS)
    await ask(chat, close_call("где заказ, курьер не едет", "order_status", "delivery_problem"))
    result = await chat.say("human", intent="human_request", confidence=0.95)
    assert result.handover is not None and result.handover.reason == "unsure"
    assert result.handover.summary["unsure"] is True and "Бот не уверен в теме" in result.handover.note


async def test_a_topic_without_a_flow_or_route_or_title_is_never_offered() -> None:
    chat = Chat(FLOWS)
    buttons = await ask(chat, close_call("магазин или заказ", "store_info", "order_status"))
    assert buttons == []  # store_info has no title in clarify.topics: no question, the fallback answers
    assert chat.state.clarifying == []
    second = await ask(Chat(FLOWS), close_call("заказ или что", "order_status", "promo_code"))
    assert [v for _, v in second] == ["order_status", "human"]  # promo_code has no flow here


async def test_a_candidate_for_people_is_handed_over_when_chosen() -> None:
    chat = Chat(FLOWS)
    await ask(chat, close_call("приложение и заказ", "app_problem", "order_status"))
    result = await chat.say("Приложение")  # the title typed counts like the button
    assert result.handover is not None and result.handover.topic == "app_problem"


async def test_a_close_call_never_interrupts_a_free_text_answer() -> None:
    chat = Chat(FLOWS)
    await chat.say("курьер не приехал", intent="delivery_problem")
    result = await chat.send(Turn(text="курьер опоздал и заказ не тот", now=NOON,
                                  nlu=close_call("курьер опоздал и заказ не тот", "delivery_problem", "order_status")))
    assert result.text == "Передаю курьерам" and chat.state.clarifying == []


async def test_further_topics_are_kept_for_the_operators_note() -> None:
    chat = Chat(FLOWS)
    reading = ParseResult(text="курьер опоздал, и ещё промокод", intent="delivery_problem", confidence=0.9,
                          engine="test", language="ru", also=[IntentScore(name="promo_code", confidence=0.7)])
    await chat.send(Turn(text=reading.text, nlu=reading, now=NOON))
    result = await chat.say("позовите человека", intent="human_request")
    assert result.handover is not None
    assert result.handover.summary["also"] == ["promo_code"] and result.handover.summary["unsure"] is False
    assert "Также спрашивает о: promo_code" in result.handover.note


def test_check_refuses_a_clarify_topic_with_nowhere_to_go() -> None:
    flows = flowset("""
        rules:
          clarify:
            topics:
              promo_code: {ru: Промокод, en: Promo code}
              bogus: {ru: Что-то, en: Something}
        flows:
          - id: store_info
            triggers: {intents: [store_info]}
            steps:
              - say: {ru: Магазины, en: Stores}
        """)
    found = [p.message for p in check(flows, intents={"promo_code", "store_info"}, actions=None)]
    assert any("'promo_code' is taken by no flow" in m for m in found)
    assert any("'bogus' is not an intent" in m for m in found)


async def test_a_conversation_back_with_the_bot_forgets_the_topics_the_operator_saw() -> None:
    chat = Chat(FLOWS)
    reading = ParseResult(text="курьер опоздал, и ещё промокод", intent="delivery_problem", confidence=0.9,
                          engine="test", language="ru", also=[IntentScore(name="promo_code", confidence=0.7)])
    await chat.send(Turn(text=reading.text, nlu=reading, now=NOON))
    await chat.say("позовите человека", intent="human_request")
    later = await chat.say("снова я, позовите человека", intent="human_request")
    assert later.handover is not None and later.handover.summary["also"] == []
