"""Loading flow files: line numbers on every element, and every problem of broken copies with file:line."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.loader import load_flows, load_text
from dialogs.model import AskStep, kind_of
from dialogs.problems import FlowError, Problem
from tests.unit.dialogs.helpers import FIXTURES


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """A copy of the fixture flows to break."""
    return Path(shutil.copytree(FIXTURES / "flows", tmp_path / "flows"))


def problems_of(directory: Path) -> list[Problem]:
    with pytest.raises(FlowError) as caught:
        load_flows(directory)
    return caught.value.problems


def replace(path: Path, old: str, new: str) -> int:
    """Replace text in a file; the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def test_the_fixture_flows_load_with_the_line_of_every_step() -> None:
    flows = load_flows(FIXTURES / "flows")
    assert set(flows.flows) == {"greeting", "fallback", "order_status", "complaint", "praise"}
    order = flows.flows["order_status"]
    assert order.file.endswith("order.yml") and order.line == 2
    text = (FIXTURES / "flows" / "order.yml").read_text(encoding="utf-8").splitlines()
    for item in order.steps:
        assert kind_of(item) in text[item.line - 1] or "id:" in text[item.line - 1]
    ask = order.steps[0]
    assert isinstance(ask, AskStep) and "text:" in text[ask.ask.text.line - 1]
    assert flows.rules.fallback_flow == "fallback" and flows.by_deep_link["order"] is order
    assert flows.version and len(flows.version) == 12


def test_invalid_yaml_names_its_line(flows_dir: Path) -> None:
    line = replace(flows_dir / "order.yml", "      - id: ask_order", "      - id: [ask_order")
    assert problems_of(flows_dir) == [Problem(str(flows_dir / "order.yml"), line + 1,
                                              problems_of(flows_dir)[0].message)]
    assert problems_of(flows_dir)[0].message.startswith("invalid YAML")


def test_an_unknown_key_is_reported_at_its_line(flows_dir: Path) -> None:
    line = replace(flows_dir / "order.yml", "          entity: order_id", "          entiti: order_id")
    [problem] = problems_of(flows_dir)
    assert (problem.file, problem.line) == (str(flows_dir / "order.yml"), line)
    assert "unknown key 'entiti'" in problem.message


def test_a_step_with_two_kinds_and_a_missing_key_in_two_files(flows_dir: Path) -> None:
    first = replace(flows_dir / "complaint.yml", "      - say: {ru:", "      - end: true\n        say: {ru:")
    second = replace(flows_dir / "order.yml", "          slot: order_id\n", "")
    problems = problems_of(flows_dir)
    assert [(Path(p.file).name, p.line) for p in problems] == [("complaint.yml", first), ("order.yml", second - 1)]
    assert "exactly one of: say, ask" in problems[0].message
    assert problems[1].message.endswith("ask.slot: missing required key")


def test_a_bad_regex_a_bad_timezone_and_a_bad_id(flows_dir: Path) -> None:
    regex = replace(flows_dir / "order.yml", "          entity: order_id", "          regex: '[0-9'")
    zone = replace(flows_dir / "_rules.yml", "Europe/Moscow", "Mars/Olympus")
    ident = replace(flows_dir / "greeting.yml", "  - id: fallback", "  - id: Fall-Back")
    messages = {(Path(p.file).name, p.line): p.message for p in problems_of(flows_dir)}
    assert "invalid regex" in messages[("order.yml", regex)]
    assert "unknown timezone 'Mars/Olympus'" in messages[("_rules.yml", zone)]
    assert "should match pattern" in messages[("greeting.yml", ident)]


def test_the_same_flow_twice_rules_twice_and_a_repeated_key(flows_dir: Path) -> None:
    (flows_dir / "copy.yml").write_text((flows_dir / "complaint.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (flows_dir / "more_rules.yml").write_text("rules:\n  keep_messages: 2\n", encoding="utf-8")
    twice = replace(flows_dir / "greeting.yml", "    triggers:\n", "    triggers:\n    triggers:\n")
    messages = [str(p) for p in problems_of(flows_dir)]
    assert any("copy.yml:2: flow 'complaint' is defined twice (first at" in m for m in messages)
    assert any("more_rules.yml:1: rules are given twice" in m for m in messages)
    assert any(f"greeting.yml:{twice + 1}: 'triggers' is given twice" in m for m in messages)


def test_yes_and_no_are_words_not_booleans() -> None:
    parsed = load_text(textwrap.dedent("""
        flows:
          - id: q
            steps:
              - buttons:
                  text: {any: "?"}
                  options:
                    - {title: {any: да}, value: yes}
                    - {title: {any: нет}, value: no}
    """))
    options = parsed.flows[0].steps[0].buttons.options  # type: ignore[union-attr]
    assert [o.value for o in options] == ["yes", "no"]


def test_a_missing_folder_is_a_problem(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope")[0].message == "no such folder"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([
    "flows:", "rules:", "\n", "  ", "- ", "id: a", "steps:", "say:", "goto: a", "end: true", "{", "}", "[", "]",
    "ru: x", "en:", ",", '"', "'", "#", "&a", "*a", "!!str", "!!int", "!!float", "|", ">", "?", ":", " ", "\t",
    "é", "\x00"]), max_size=40).map("".join))
def test_any_text_loads_or_fails_with_file_and_line(text: str) -> None:
    try:
        load_text(text, "x.yml")
    except FlowError as e:
        assert e.problems and all(p.file == "x.yml" and p.line >= 1 for p in e.problems)


def test_a_sentence_cut_into_variants_at_its_comma_is_caught() -> None:
    text = textwrap.dedent("""
        flows:
          - id: bye
            triggers: {intents: [goodbye, greet]}
            steps:
              - say:
                  ru: [Спасибо, что написали!, Рад помочь.]
                  en: ["Thanks, bye!", Bye!]
    """)
    with pytest.raises(FlowError) as caught:
        load_text(text, "bye.yml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("bye.yml", 7)
    assert problem.message.startswith("a comma inside [ … ] separates variants")
    fixed = text.replace("[Спасибо, что написали!, Рад помочь.]", '["Спасибо, что написали!", "Рад помочь."]')
    assert load_text(fixed, "bye.yml").flows[0].id == "bye"


def test_a_question_mark_inside_braces_gets_a_hint() -> None:
    with pytest.raises(FlowError) as caught:
        load_text("flows:\n  - id: a\n    steps:\n      - say: {ru: Чем помочь?, en: How can I help?}\n", "a.yml")
    [problem] = caught.value.problems
    assert problem.line == 4 and 'put a text with "?", ":" or "," in quotes' in problem.message
