"""The YAML conversation-test runner: passing tests pass, a wrong expectation fails at its turn's line."""

from __future__ import annotations

import shutil
from pathlib import Path

from dialogs.loader import load_flows
from dialogs.testing import run_tests
from tests.unit.dialogs.helpers import FIXTURES

ACTIONS = {"order_lookup", "create_case", "record_praise"}


async def test_the_fixture_conversations_pass() -> None:
    outcomes = await run_tests(load_flows(FIXTURES / "flows"), FIXTURES / "tests", actions=ACTIONS)
    assert len(outcomes) == 4
    assert [f for o in outcomes for f in o.failures] == []


async def test_a_wrong_expectation_fails_with_the_turns_line(tmp_path: Path) -> None:
    tests = Path(shutil.copytree(FIXTURES / "tests", tmp_path / "tests"))
    path = tests / "conversations.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('bot: "Заказ 104512: в пути"', 'bot: "Заказ 104512: доставлен"')
    text = text.replace("handover: {topic: complaints, priority: high", "handover: {topic: orders, priority: high")
    path.write_text(text, encoding="utf-8")
    outcomes = await run_tests(load_flows(FIXTURES / "flows"), tests, actions=ACTIONS)
    failures = [str(f).split("/")[-1] for o in outcomes for f in o.failures]
    assert failures == [
        "conversations.yml:14: greeting then order status from the menu: expected the bot to say "
        "'Заказ 104512: доставлен'; it said 'Заказ 104512: в пути.'",
        "conversations.yml:55: complaint collects everything, then a person: expected handover topic orders; "
        "it is complaints",
    ]


async def test_turns_without_an_intent_get_entities_from_the_nlu_data(tmp_path: Path) -> None:
    (tmp_path / "t.yml").write_text(
        "tests:\n  - name: unknown text\n    turns:\n      - user: магазин 118 в Казани\n"
        "        bot_regex: (Не совсем понял|Простите, не понял)\n"
        "        slots: {store_id: '118', city: Казань}\n", encoding="utf-8")
    [outcome] = await run_tests(load_flows(FIXTURES / "flows"), tmp_path, actions=ACTIONS)
    assert outcome.passed, outcome.failures


async def test_unknown_actions_and_intents_in_a_test_fail_it_at_once(tmp_path: Path) -> None:
    (tmp_path / "t.yml").write_text(
        "tests:\n  - name: typos\n    actions: {order_lokup: {status: x}}\n    turns:\n"
        "      - user: где заказ\n        intent: oder_status\n", encoding="utf-8")
    [outcome] = await run_tests(load_flows(FIXTURES / "flows"), tmp_path, actions=ACTIONS, intents={"order_status"})
    assert [(f.line, f.message) for f in outcome.failures] == [
        (2, "typos: unknown action 'order_lokup' in actions:"), (5, "typos: unknown intent 'oder_status'")]
