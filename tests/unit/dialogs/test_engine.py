"""The engine's steps and global rules, through the real step function with flows written in YAML."""

from __future__ import annotations

import random

from dialogs.engine import DialogState, Turn, step
from models.conversations import Priority
from tests.unit.dialogs.helpers import NIGHT, Chat, flowset, parse

FLOWS = flowset("""
    rules:
      always_human: [staff_complaint]
      fallback_flow: fallback
      keep_messages: 4
    flows:
      - id: welcome
        triggers: {events: [conversation_started], deep_links: [hello]}
        steps:
          - say: {ru: "Здравствуйте, {customer.name}!", en: "Hello, {customer.name}!"}
          - buttons:
              text: {ru: Чем помочь, en: How can I help}
              slot: choice
              options:
                - title: {ru: Заказ, en: Order}
                  value: order
                  goto: order_status
                - title: {ru: Магазин, en: Store}
                  goto: store
      - id: order_status
        topic: orders
        triggers: {intents: [order_status]}
        steps:
          - id: ask_order
            ask:
              slot: order_id
              entity: order_id
              text: {ru: Номер заказа, en: Order number}
              reprompt: {ru: Нужны цифры, en: Digits please}
          - action:
              name: order_lookup
              args: {order_id: "{order_id}", note: "заказ {order_id}"}
              save_as: order
              on_error: broken
          - branch:
              - when: {slot: order.status, is: delivered}
                goto: delivered
              - when: [{business_hours: false}, {channel: telegram}]
                goto: night
          - say: {ru: "Заказ {order_id}: {order.status}", en: "Order {order_id}: {order.status}"}
          - end: true
          - id: delivered
            say: {ru: "Заказ {order_id} доставлен", en: "Order {order_id} delivered"}
          - end: true
          - id: night
            say: {ru: "Ночью: {order.status}", en: "At night: {order.status}"}
          - end: true
          - id: broken
            handover:
              priority: high
              note: {any: "Не смог проверить заказ {order_id}"}
      - id: store
        triggers: {intents: [store_info]}
        steps:
          - ask:
              slot: store_id
              entity: store_id
              text: {ru: Номер магазина, en: Store number}
              max_attempts: 3
              on_fail: store_unknown
          - say: {ru: "Магазин {store_id}", en: "Store {store_id}"}
          - branch:
              - when: {customer: segment, in: [gold]}
                goto: order_status.ask_order
          - end: true
          - id: store_unknown
            say: {ru: Не нашёл магазин, en: No such store}
      - id: complaint
        topic: complaints
        priority: high
        always_human: true
        triggers: {intents: [product_quality]}
        steps:
          - ask:
              slot: details
              text: {ru: Что случилось, en: What happened}
          - say: {ru: Записал, en: Noted}
      - id: fallback
        steps:
          - say: {ru: [Не понял, Не понял вас], en: [Sorry, Pardon]}
""")


async def test_an_ask_takes_a_bare_answer_of_the_entity_shape_and_calls_the_action() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "в пути"}})
    first = await chat.say("где мой заказ", "order_status")
    assert first.text == "Номер заказа" and chat.state.step == "ask_order"
    done = await chat.say("104512")
    assert done.text == "Заказ 104512: в пути"
    assert chat.actions.calls == [("order_lookup", {"order_id": "104512", "note": "заказ 104512"})]
    assert chat.state.flow is None and chat.state.slots["order"] == {"status": "в пути"}
    assert done.handover is None


async def test_a_wrong_answer_is_reprompted_and_the_second_hands_over_with_the_summary() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "в пути"}})
    await chat.say("где мой заказ", "order_status")
    again = await chat.say("не помню", "out_of_scope", 0.0)
    assert again.text == "Нужны цифры" and again.handover is None
    out = await chat.say("правда не помню", "out_of_scope", 0.0)
    assert out.handover is not None
    assert (out.handover.topic, out.handover.reason, out.handover.priority) == ("orders", "failed_question",
                                                                                Priority.NORMAL)
    assert "Клиент: правда не помню" in out.handover.note and "Тема: orders" in out.handover.note
    assert chat.state.handed_over and chat.state.flow is None


async def test_max_attempts_and_on_fail_jump_to_a_step() -> None:
    chat = Chat(FLOWS)
    await chat.say("магазин", "store_info")
    for _ in range(2):
        again = await chat.say("там где-то", "store_info", 0.9)
        assert again.text == "Не понял ответ. Попробуйте, пожалуйста, ещё раз."
    result = await chat.say("не знаю", "store_info", 0.9)
    assert result.text == "Не нашёл магазин" and result.handover is None


async def test_an_entity_in_the_first_message_fills_the_slot_and_is_not_asked() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "delivered"}})
    result = await chat.say("где заказ 104512", "order_status", order_id="104512")
    assert result.text == "Заказ 104512 доставлен"


async def test_branch_on_business_hours_and_channel() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "собирается"}}, now=NIGHT)
    result = await chat.say("где заказ 104512", "order_status", order_id="104512")
    assert result.text == "Ночью: собирается"
    web = Chat(FLOWS, {"order_lookup": {"status": "собирается"}}, now=NIGHT, channel="webchat")
    assert (await web.say("где заказ 104512", "order_status", order_id="104512")).text == "Заказ 104512: собирается"


async def test_branch_on_a_customer_attribute_jumps_into_another_flows_step() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "в пути"}}, customer={"segment": "gold"})
    result = await chat.say("магазин 118", "store_info", store_id="118")
    assert result.text == "Магазин 118\nНомер заказа"
    assert chat.state.flow == "order_status" and chat.state.step == "ask_order"


async def test_a_failing_action_takes_on_error_to_a_handover_with_the_note() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"error": "CRM down"}})
    result = await chat.say("где заказ 104512", "order_status", order_id="104512")
    assert result.handover is not None and result.handover.priority == Priority.HIGH
    assert result.handover.note.startswith("Не смог проверить заказ 104512\n")
    assert any(r.kind == "action" and r.detail["ok"] is False for r in result.records)


async def test_conversation_started_and_buttons_by_title_number_or_value() -> None:
    chat = Chat(FLOWS, customer={"name": "Анна"})
    hello = await chat.send(Turn(event="conversation_started", customer={"name": "Анна"}))
    assert hello.replies[0].text == "Здравствуйте, Анна!"
    assert [b.title for b in hello.replies[1].buttons] == ["Заказ", "Магазин"]
    assert [b.value for b in hello.replies[1].buttons] == ["order", "Магазин"]
    assert (await chat.say("2")).text == "Номер магазина"
    assert chat.state.slots["choice"] == "Магазин"
    again = Chat(FLOWS)
    await again.send(Turn(event="deep_link", deep_link="hello"))
    assert (await again.say("заказ")).text == "Номер заказа"


async def test_a_message_with_the_event_goes_to_its_intent_rather_than_the_greeting() -> None:
    chat = Chat(FLOWS)
    result = await chat.send(Turn(event="conversation_started", text="где заказ",
                                  nlu=parse("где заказ", "order_status")))
    assert result.text == "Номер заказа"


async def test_asking_for_a_person_hands_over_at_once_with_the_flows_topic() -> None:
    chat = Chat(FLOWS)
    await chat.say("где мой заказ", "order_status")
    result = await chat.say("позовите человека", "human_request", 0.9)
    assert result.handover is not None and (result.handover.topic, result.handover.reason) == ("orders",
                                                                                               "human_request")
    assert result.text == "Соединяю с оператором, он ответит в этом чате."


async def test_an_always_human_intent_goes_straight_to_a_person() -> None:
    result = await Chat(FLOWS).say("продавец нахамил", "staff_complaint", 0.9)
    assert result.handover is not None and result.handover.reason == "always_human"
    assert result.handover.topic == "staff_complaint"


async def test_an_always_human_flow_hands_over_when_it_finishes_with_everything_filled() -> None:
    chat = Chat(FLOWS)
    assert (await chat.say("молоко кислое", "product_quality")).text == "Что случилось"
    result = await chat.say("купила вчера, открыла сегодня")
    assert result.replies[0].text == "Записал"
    assert result.handover is not None and (result.handover.topic, result.handover.priority) == (
        "complaints", Priority.HIGH)
    assert result.handover.summary["slots"] == {"details": "купила вчера, открыла сегодня"}


async def test_two_unsure_messages_in_a_row_hand_over_and_one_gets_the_fallback() -> None:
    chat = Chat(FLOWS)
    first = await chat.say("ыва", "out_of_scope", 0.1)
    assert first.text in {"Не понял", "Не понял вас"} and first.handover is None
    second = await chat.say("ну это", "out_of_scope", 0.2)
    assert second.handover is not None and second.handover.reason == "unsure"


async def test_an_understood_message_ends_the_unsure_streak() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "в пути"}})
    await chat.say("ыва", "out_of_scope", 0.1)
    await chat.say("где заказ 104512", "order_status", order_id="104512")
    assert chat.state.unsure == 0
    assert (await chat.say("ыва", "out_of_scope", 0.1)).handover is None


async def test_a_topic_change_mid_question_switches_flows_and_keeps_slots() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "в пути"}})
    await chat.say("магазин 118", "store_info", store_id="118")
    assert chat.state.slots["store_id"] == "118"
    await chat.say("где заказ", "order_status")
    switched = await chat.say("а вообще магазин какой", "store_info", 0.9)
    assert switched.text == "Магазин 118"  # not asked again
    assert any(r.kind == "topic_changed" for r in switched.records)


async def test_an_unsure_intent_mid_question_does_not_switch() -> None:
    chat = Chat(FLOWS)
    await chat.say("где заказ", "order_status")
    result = await chat.say("магазин что ли", "store_info", 0.65)
    assert result.text == "Нужны цифры" and chat.state.flow == "order_status"


async def test_english_variants_and_the_language_sticks_for_short_answers() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "on its way"}})
    assert (await chat.say("where is my order", "order_status", language="en")).text == "Order number"
    assert (await chat.say("104512", language="unknown")).text == "Order 104512: on its way"
    assert chat.state.language == "en"


async def test_random_variants_come_from_the_list() -> None:
    seen = {(await step(FLOWS, DialogState(), Turn(text="ыва", nlu=parse("ыва")), Chat(FLOWS).actions,
                        rng=random.Random(seed))).text for seed in range(20)}
    assert seen == {"Не понял", "Не понял вас"}


async def test_the_state_stays_small_in_a_long_conversation() -> None:
    chat = Chat(FLOWS, {"order_lookup": {"status": "в пути"}})
    for i in range(300):
        await chat.say(f"где заказ {100000 + i}", "order_status", order_id=str(100000 + i))
    assert len(chat.state.recent) == 4 and chat.state.turns == 300
    assert len(chat.state.model_dump_json()) < 1000


async def test_a_state_from_removed_flows_starts_afresh() -> None:
    state = DialogState(flow="gone", step="nowhere", slots={"store_id": "118"})
    result = await step(FLOWS, state, Turn(text="где заказ", nlu=parse("где заказ", "order_status")),
                        Chat(FLOWS).actions)
    assert result.text == "Номер заказа" and result.state.slots == {"store_id": "118"}
    assert result.records[0].kind == "state_reset"
    assert state.flow == "gone"  # the input is not modified


async def test_a_goto_loop_ends_in_a_handover_instead_of_spinning() -> None:
    loop = flowset("""
        flows:
          - id: spin
            triggers: {intents: [greet]}
            steps:
              - id: a
                goto: b
              - id: b
                goto: a
    """)
    result = await Chat(loop).say("привет", "greet")
    assert result.handover is not None and result.handover.reason == "loop"


async def test_a_first_message_no_flow_takes_gets_the_welcome() -> None:
    chat = Chat(FLOWS, customer={"name": "Анна"})
    result = await chat.send(Turn(event="conversation_started", text="ыва", nlu=parse("ыва"),
                                  customer={"name": "Анна"}))
    assert result.replies[0].text == "Здравствуйте, Анна!" and result.handover is None


async def test_a_quick_reply_of_an_ask_fills_the_slot_and_follows_its_goto() -> None:
    flows = flowset("""
        flows:
          - id: card
            triggers: {intents: [loyalty_card]}
            steps:
              - ask:
                  slot: card
                  entity: loyalty_card
                  text: {any: Номер карты}
                  buttons:
                    - {title: {ru: Нет карты, en: No card}, value: none, goto: no_card}
              - say: {any: "Карта {card}"}
              - end: true
              - id: no_card
                say: {any: Оформите карту в приложении}
    """)
    chat = Chat(flows)
    asked = await chat.say("баланс карты", "loyalty_card")
    assert [b.title for b in asked.replies[0].buttons] == ["Нет карты"]
    assert (await chat.say("No card", language="en")).text == "Оформите карту в приложении"
    assert chat.state.slots["card"] == "none"
    again = Chat(flows)
    await again.say("баланс карты", "loyalty_card")
    assert (await again.say("2000 1234 5678")).text == "Карта 200012345678"


async def test_an_action_that_does_not_answer_a_dict_takes_on_error() -> None:
    class Odd:
        def names(self) -> set[str]:
            return {"order_lookup"}

        async def call(self, name: str, args: dict[str, object], context: object) -> dict[str, object]:
            return "delivered"  # type: ignore[return-value]  # a careless action

    result = await step(FLOWS, DialogState(), Turn(text="заказ 104512", nlu=parse("заказ 104512", "order_status",
                                                                                  order_id="104512")), Odd())
    assert result.handover is not None and result.handover.reason == "action_error"
    assert "returned str, not a dict" in str(next(r for r in result.records if r.kind == "action").detail["error"])


async def test_an_ask_that_is_not_reused_is_asked_again_when_its_flow_starts_again() -> None:
    flows = flowset("""
        flows:
          - id: order
            triggers: {intents: [order_status]}
            steps:
              - ask: {slot: order_id, entity: order_id, text: {any: "Номер?"}, reuse: false}
              - say: {any: "Заказ {order_id}"}
    """)
    chat = Chat(flows)
    await chat.say("где заказ", "order_status")
    assert (await chat.say("104512")).text == "Заказ 104512"
    assert (await chat.say("где заказ", "order_status")).text == "Номер?"
    assert (await chat.say("а заказ 200300", "order_status", order_id="200300")).text == "Заказ 200300"


async def test_a_menu_takes_any_intent_that_starts_a_flow() -> None:
    chat = Chat(FLOWS)
    await chat.send(Turn(event="conversation_started"))
    assert chat.state.step == "step2"  # the menu
    result = await chat.say("а магазин какой", "store_info", 0.65)  # below switch_confidence, above the minimum
    assert result.text == "Номер магазина" and chat.state.flow == "store"
