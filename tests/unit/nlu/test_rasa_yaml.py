"""Reading Rasa NLU YAML: structure, annotations, and errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.rasa_yaml import TrainingDataError, load_paths, load_text

GOOD = '''version: "3.1"
nlu:
- intent: order_status
  examples: |
    - где мой заказ [4512](order_id)?
    - where is [order 77]{"entity": "order_id", "value": "77"}
- synonym: Москва
  examples: |
    - мск
- regex: promo
  examples: |
    - \\b[A-Z]{3}\\d{2}\\b
- lookup: city
  examples: |
    - Казань
'''


def error_of(text: str) -> TrainingDataError:
    with pytest.raises(TrainingDataError) as caught:
        load_text(text, "nlu/data/broken.yml")
    return caught.value


def test_examples_synonyms_regexes_and_lookups_are_read() -> None:
    data = load_text(GOOD, "good.yml")
    assert [e.text for e in data.examples] == ["где мой заказ 4512?", "where is order 77"]
    assert data.synonyms == {"мск": "Москва", "order 77": "77"}
    assert data.regexes[0].name == "promo" and data.lookups[0].values == ("Казань",)


def test_annotations_are_stripped_and_located_in_the_plain_text() -> None:
    first = load_text(GOOD, "good.yml").examples[0]
    annotation = first.entities[0]
    assert (annotation.entity, annotation.value) == ("order_id", "4512")
    assert first.text[annotation.start:annotation.end] == "4512"


def test_each_example_knows_its_line() -> None:
    examples = load_text(GOOD, "good.yml").examples
    assert [e.source for e in examples] == ["good.yml:5", "good.yml:6"]


def test_invalid_yaml_names_file_and_line() -> None:
    error = error_of('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n   bad: [unclosed\n')
    assert str(error).startswith("nlu/data/broken.yml:6:")


def test_an_example_line_without_a_dash_names_its_line() -> None:
    error = error_of('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n')
    assert (error.file, error.line) == ("nlu/data/broken.yml", 6)
    assert "must start with '- '" in error.problem


def test_an_intent_without_examples_is_reported_at_its_item() -> None:
    error = error_of('version: "3.1"\nnlu:\n- intent: greet\n- intent: bye\n  examples: |\n    - bye\n')
    assert error.line == 3 and "has no `examples`" in error.problem


def test_an_unquoted_version_is_reported() -> None:
    error = error_of("version: 3.1\nnlu: []\n")
    assert error.line == 1 and "quoted string" in error.problem


def test_an_unknown_item_key_is_reported_at_that_key() -> None:
    error = error_of('version: "3.1"\nnlu:\n- intent: greet\n  exmples: |\n    - hi\n')
    assert error.line == 4 and "exmples" in error.problem


def test_a_regex_that_does_not_compile_names_its_line() -> None:
    error = error_of('version: "3.1"\nnlu:\n- regex: bad\n  examples: |\n    - ok\n    - (unclosed\n')
    assert error.line == 6 and "does not compile" in error.problem


def test_broken_annotation_json_names_its_line() -> None:
    error = error_of('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi [x]{"entity": }\n')
    assert error.line == 5 and "not valid JSON" in error.problem


def test_the_same_text_under_two_intents_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hello\n')
    (tmp_path / "b.yml").write_text('version: "3.1"\nnlu:\n- intent: praise\n  examples: |\n    - Hello\n')
    with pytest.raises(TrainingDataError) as caught:
        load_paths([tmp_path])
    assert caught.value.file.endswith("b.yml") and caught.value.line == 5
    assert "a.yml:5" in caught.value.problem


def test_rasa_keys_of_other_files_are_ignored() -> None:
    data = load_text('version: "3.1"\nstories: []\nrules: []\nnlu:\n- intent: greet\n  examples: |\n    - hi\n')
    assert [e.intent for e in data.examples] == ["greet"]


def test_the_listed_example_form_is_read() -> None:
    data = load_text('version: "3.1"\nnlu:\n- intent: greet\n  examples:\n  - text: |\n      hi there\n')
    assert [e.text for e in data.examples] == ["hi there"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_fails_only_with_the_loaders_error(text: str) -> None:
    try:
        load_text(text, "random.yml")
    except TrainingDataError as e:
        assert e.file == "random.yml" and e.line >= 0


yaml_tokens = st.sampled_from(["version: \"3.1\"\n", "nlu:\n", "- intent: x\n", "  examples: |\n", "    - hi\n",
                               "- synonym: y\n", "- regex: r\n", "    - [a](b)\n", "    - (\n", "  - text: t\n",
                               ": ", "- ", "  ", "\t", "|\n", "[", "{", "\"", "&a ", "*a ", "!!int ", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(yaml_tokens, max_size=40).map("".join))
def test_yaml_like_text_fails_only_with_the_loaders_error(text: str) -> None:
    try:
        load_text(text, "near.yml")
    except TrainingDataError as e:
        assert e.file == "near.yml"


def test_the_shipped_retail_data_loads_with_every_topic_in_both_languages() -> None:
    data = load_paths([Path(__file__).resolve().parents[3] / "nlu" / "data"])
    assert {"order_status", "delivery_problem", "product_quality", "price_mismatch", "staff_complaint",
            "store_info", "loyalty_card", "return_refund", "promo_code", "app_problem", "praise",
            "human_request", "greet", "goodbye", "out_of_scope"} <= set(data.intents)
    assert min(data.counts().values()) >= 30
