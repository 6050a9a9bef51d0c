"""`check`: each kind of problem on broken copies of the fixture flows, always with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dialogs.check import check
from dialogs.loader import load_flows
from dialogs.problems import Problem
from tests.unit.dialogs.helpers import FIXTURES

INTENTS = {"greet", "order_status", "delivery_problem", "human_request", "staff_complaint", "product_quality",
           "price_mismatch", "praise"}
ACTIONS = {"order_lookup", "create_case", "record_praise"}
ENTITIES = {"order_id", "store_id", "date", "phone"}


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """A copy of the fixture flows to break."""
    return Path(shutil.copytree(FIXTURES / "flows", tmp_path / "flows"))


def edit(path: Path, old: str, new: str) -> int:
    """Replace text in a file; the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def problems(directory: Path) -> list[Problem]:
    return check(load_flows(directory), intents=INTENTS, actions=ACTIONS, entities=ENTITIES)


def where(found: list[Problem]) -> list[tuple[str, int]]:
    return [(Path(p.file).name, p.line) for p in found]


def test_the_fixture_flows_have_no_problems() -> None:
    assert problems(FIXTURES / "flows") == []


def test_unknown_step_and_flow_references(flows_dir: Path) -> None:
    line = edit(flows_dir / "order.yml", "          on_error: sorry", "          on_error: sorrry")
    branch = edit(flows_dir / "order.yml", "            goto: delivered", "            goto: nowhere.step")
    found = problems(flows_dir)
    assert ("order.yml", line - 4) in where(found)  # the action (on_error belongs to it)
    assert ("order.yml", branch - 1) in where(found)  # the branch case
    assert any("'sorrry' is not a step of flow 'order_status'" in p.message for p in found)
    assert any("'nowhere.step' is not a step" in p.message for p in found)


def test_unknown_actions_intents_and_entities(flows_dir: Path) -> None:
    action = edit(flows_dir / "complaint.yml", "name: create_case", "name: create_kase")
    intent = edit(flows_dir / "greeting.yml", "intents: [greet]", "intents: [greeting]")
    entity = edit(flows_dir / "complaint.yml", "entity: store_id", "entity: shop")
    messages = {(Path(p.file).name, p.line): p.message for p in problems(flows_dir)}
    assert messages[("complaint.yml", action - 1)].startswith("unknown action 'create_kase' (known: create_case")
    assert messages[("greeting.yml", intent - 1)] == "flow 'greeting': unknown intent 'greeting'"
    assert messages[("complaint.yml", entity - 2)].startswith("unknown entity 'shop'")


def test_unknown_intents_in_the_rules(flows_dir: Path) -> None:
    edit(flows_dir / "_rules.yml", "human_intent: human_request", "human_intent: operator")
    assert [str(p).split("/")[-1] for p in problems(flows_dir)] == ["_rules.yml:1: rules: unknown intent 'operator'"]


def test_a_slot_used_before_it_is_filled_on_some_path(flows_dir: Path) -> None:
    # a branch that skips the question reaches the action that reads the slot
    edit(flows_dir / "complaint.yml", "    steps:\n      - ask:\n          slot: store_id",
         "    steps:\n      - branch:\n          - when: {channel: voice}\n            goto: ask_date\n"
         "      - ask:\n          slot: store_id")
    edit(flows_dir / "complaint.yml", "      - ask:\n          slot: date", "      - id: ask_date\n        ask:\n"
         "          slot: date")
    found = [p for p in problems(flows_dir) if "may be used before it is filled" in p.message]
    assert [p.message.split(" may")[0] for p in found] == ["slot 'store_id'"]
    text = (flows_dir / "complaint.yml").read_text(encoding="utf-8").splitlines()
    assert "action:" in text[found[0].line - 1]


def test_a_slot_in_a_text_that_nothing_fills(flows_dir: Path) -> None:
    line = edit(flows_dir / "complaint.yml", '"Спасибо за добрые слова!"', '"Спасибо, {name}!"')
    [found] = problems(flows_dir)
    assert (Path(found.file).name, found.line) == ("complaint.yml", line)
    assert found.message.startswith("slot 'name' may be used before it is filled")


def test_unreachable_steps_and_flows_that_never_start(flows_dir: Path) -> None:
    line = edit(flows_dir / "order.yml", "      - id: delivered\n", "      - say: {any: lost}\n      - id: delivered\n")
    edit(flows_dir / "complaint.yml", "    triggers:\n      intents: [praise]\n", "")
    found = {(Path(p.file).name, p.line): p.message for p in problems(flows_dir)}
    assert found[("order.yml", line)] == "flow 'order_status': step 'step6' can never be reached"
    assert found[("complaint.yml", 25)] == "flow 'praise' never starts: no trigger and no goto leads to it"


def test_missing_language_variants(flows_dir: Path) -> None:
    line = edit(flows_dir / "order.yml", ', en: "What is your order number?"', "")
    praise = '- say: {ru: "Спасибо за добрые слова!", en: "Thank you for the kind words!"}'
    plain = edit(flows_dir / "complaint.yml", praise, "- say: Спасибо!")
    found = {(Path(p.file).name, p.line): p.message for p in problems(flows_dir)}
    assert found[("order.yml", line)] == "flow 'order_status': the text has no en variant"
    assert found[("complaint.yml", plain)].startswith("flow 'praise': give the text per language (ru, en)")


def test_a_misspelt_language(flows_dir: Path) -> None:
    line = edit(flows_dir / "order.yml", 'en: "What is your order number?"', 'eng: "What is your order number?"')
    assert [p.message for p in problems(flows_dir) if p.line == line] == [
        "flow 'order_status': 'eng' is not a language of the flow (ru, en)",
        "flow 'order_status': the text has no en variant"]


def test_a_flow_may_need_only_russian(flows_dir: Path) -> None:
    edit(flows_dir / "complaint.yml", "  - id: praise\n", "  - id: praise\n    languages: [ru]\n")
    edit(flows_dir / "complaint.yml", '- say: {ru: "Спасибо за добрые слова!", en: "Thank you for the kind words!"}',
         "- say: Спасибо!")
    assert problems(flows_dir) == []


def test_one_intent_starting_two_flows(flows_dir: Path) -> None:
    edit(flows_dir / "complaint.yml", "intents: [praise]", "intents: [praise, greet]")
    found = [p for p in problems(flows_dir) if "starts several flows" in p.message]
    assert where(found) == [("complaint.yml", 26), ("greeting.yml", 3)]


def test_checks_without_a_vocabulary_are_skipped() -> None:
    flows = load_flows(FIXTURES / "flows")
    assert check(flows, intents=None, actions=None) == []
    assert check(flows, intents=set(), actions=None)  # nothing known: every intent is unknown


def test_a_step_id_used_twice_and_a_reserved_one(flows_dir: Path) -> None:
    twice = edit(flows_dir / "order.yml", "      - id: after_hours\n", "      - id: delivered\n")
    case_said = '      - say: {ru: "Обращение'
    reserved = edit(flows_dir / "complaint.yml", case_said, "      - id: end\n        " + case_said.lstrip("- "))
    found = {(Path(p.file).name, p.line): p.message for p in problems(flows_dir)}
    assert found[("order.yml", twice)] == "flow 'order_status': step id 'delivered' is used twice"
    assert found[("complaint.yml", reserved)] == "step id 'end' is reserved"
