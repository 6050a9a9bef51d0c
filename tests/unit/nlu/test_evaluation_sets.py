"""The independent evaluation sets: they load, use the training topics, cover every language, style and
topic, and copy nothing from `nlu/data`; the loader names file:line for every bad row."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from nlu.evaluation_sets import (
    STYLES,
    EvalItem,
    EvaluationSetError,
    as_training_data,
    collisions,
    count_table,
    load_set,
    load_sets,
    parse_set,
    squeezed,
    tokens,
)
from nlu.training_data import Example, TrainingData

EVALUATION = Path(__file__).resolve().parents[3] / "nlu" / "evaluation"
MINIMUM = {"ru": 360, "en": 120}
PER_STYLE = {"ru": 60, "en": 20}
PER_TOPIC = {"ru": 22, "en": 7}
PER_TOPIC_AND_STYLE = {"ru": 3, "en": 1}


@pytest.fixture(scope="module")
def items() -> list[EvalItem]:
    """Every shipped evaluation message."""
    return load_sets(EVALUATION)


def test_both_languages_load_with_file_and_line(items: list[EvalItem]) -> None:
    assert {i.language for i in items} == {"ru", "en"}
    for item in items:
        file, line = item.source.rsplit(":", 1)
        assert Path(file).name == f"{item.language}.yml" and int(line) > 0


def test_every_label_is_a_training_intent(items: list[EvalItem], retail_data: TrainingData) -> None:
    known = set(retail_data.intents)
    unknown = [f"{i.source}: {label}" for i in items for label in (i.intent, *i.also) if label not in known]
    assert not unknown, "labels that are not intents of nlu/data:\n" + "\n".join(unknown)


def test_every_training_intent_is_evaluated_in_every_language(items: list[EvalItem],
                                                              retail_data: TrainingData) -> None:
    for language in MINIMUM:
        assert set(retail_data.intents) <= {i.intent for i in items if i.language == language}, language


def test_minimum_counts_per_language_style_and_topic(items: list[EvalItem]) -> None:
    for language, minimum in MINIMUM.items():
        mine = [i for i in items if i.language == language]
        assert len(mine) >= minimum, language
        styles, topics = Counter(i.style for i in mine), Counter(i.intent for i in mine)
        cells = Counter((i.intent, i.style) for i in mine)
        assert all(styles[s] >= PER_STYLE[language] for s in STYLES), (language, styles)
        assert all(n >= PER_TOPIC[language] for n in topics.values()), (language, topics)
        thin = [(t, s, cells[t, s]) for t in topics for s in STYLES if cells[t, s] < PER_TOPIC_AND_STYLE[language]]
        assert not thin, (language, thin)


def test_the_sets_hold_the_hard_forms(items: list[EvalItem]) -> None:
    ru = [i for i in items if i.language == "ru"]
    latin = [i for i in ru if not any("а" <= c <= "я" for c in i.text.casefold())]
    assert len(latin) >= 15, "transliterated Russian"
    assert sum(1 for i in items if i.also) >= 25, "several topics in one message"
    assert sum(1 for i in items if i.note) >= 25, "borderline decisions explained"


def test_no_evaluation_text_copies_a_training_example(items: list[EvalItem], retail_data: TrainingData) -> None:
    found = collisions(items, retail_data.examples)
    assert not found, "evaluation texts that equal or nearly equal nlu/data:\n" + "\n".join(c.line() for c in found)


def test_readme_counts_are_the_files_counts(items: list[EvalItem]) -> None:
    readme = (EVALUATION / "README.md").read_text(encoding="utf-8")
    table = count_table(items)
    assert "\n".join(table) in readme, "README.md counts are stale; paste:\n" + "\n".join(table)


GOOD = '''language: ru
items:
  - text: "где мой заказ 😡"
    intent: order_status
    style: telegram
  - text: |-
      Здравствуйте!

      Верните деньги за прокисший кефир.
      Анна
    intent: return_refund
    style: email
    also: [product_quality]
    note: the refund is asked for
'''


def test_a_good_file_gives_typed_items_with_lines() -> None:
    first, second = parse_set(GOOD, "ru.yml")
    assert first == EvalItem("где мой заказ 😡", "order_status", "telegram", "ru", source="ru.yml:3")
    assert second.text.splitlines() == ["Здравствуйте!", "", "Верните деньги за прокисший кефир.", "Анна"]
    assert (second.also, second.note, second.source) == (("product_quality",), "the refund is asked for", "ru.yml:6")


@pytest.mark.parametrize(("change", "line", "problem"), [
    (("style: telegram", "style: sms"), 5, "unknown style 'sms'"),
    (("    intent: order_status\n", ""), 3, "missing `intent`"),
    (("style: telegram", "style: telegram\n    lang: ru"), 6, "unknown key 'lang'"),
    (("also: [product_quality]", "also: [return_refund]"), 13, "repeats a topic or the main topic"),
    (("also: [product_quality]", "also: product_quality"), 13, "must be a non-empty list"),
    (("intent: order_status", "intent: Order Status"), 4, "is not a topic name"),
    (("language: ru", "language: de"), 1, "unknown language 'de'"),
    (('"где мой заказ 😡"', '""'), 3, "empty text"),
    (("    style: telegram", "   style: telegram"), 5, "invalid YAML"),
    (('"где мой заказ 😡"', '"Здравствуйте! Верните деньги за прокисший кефир. Анна"'), 6,
     "the same message as ru.yml:3"),
])
def test_bad_rows_name_file_and_line(change: tuple[str, str], line: int, problem: str) -> None:
    with pytest.raises(EvaluationSetError) as caught:
        parse_set(GOOD.replace(*change), "ru.yml")
    assert (caught.value.file, caught.value.line) == ("ru.yml", line)
    assert problem in caught.value.problem


def test_a_file_without_items_or_a_folder_without_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvaluationSetError, match="non-empty list"):
        parse_set("language: en\nitems: []\n", "en.yml")
    with pytest.raises(EvaluationSetError, match="no evaluation files"):
        load_sets(tmp_path)
    with pytest.raises(EvaluationSetError, match="no such file"):
        load_set(tmp_path / "ru.yml")


def test_items_become_training_data_for_held_out_scoring() -> None:
    data = as_training_data(parse_set(GOOD, "nlu/evaluation/ru.yml"))
    assert [(e.intent, e.source) for e in data.examples] == [("order_status", "nlu/evaluation/ru.yml:3"),
                                                            ("return_refund", "nlu/evaluation/ru.yml:6")]
    assert data.files == ["nlu/evaluation/ru.yml"]


def test_normalisation_drops_case_punctuation_spaces_and_yo() -> None:
    assert squeezed("Ещё раз: ГДЕ мой заказ?!") == squeezed("еще раз где мойзаказ")
    assert tokens("Ёлки, ёлки!") == frozenset({"елки"})


def test_collisions_catch_copies_and_near_copies_but_not_neighbours() -> None:
    item = parse_set(GOOD, "ru.yml")[0]
    same = Example("Где мой заказ?!", "order_status", source="nlu/data/ru.yml:7")
    near = Example("где же мой заказ", "order_status", source="nlu/data/ru.yml:8")  # Jaccard 3/4
    far = Example("где мой заказ номер 5", "order_status", source="nlu/data/ru.yml:9")  # 3/5
    assert [c.example.source for c in collisions([item], [same, far])] == ["nlu/data/ru.yml:7"]
    assert collisions([item], [far]) == []
    assert collisions([item], [near], near=0.75)[0].similarity == pytest.approx(0.75)
    assert "ru.yml:3: 'где мой заказ 😡' ~ nlu/data/ru.yml:7" in collisions([item], [same])[0].line()


def test_the_count_table_has_a_row_per_topic_and_totals() -> None:
    table = count_table(parse_set(GOOD, "ru.yml"))
    assert table[0].startswith("| topic | ru telegram |")
    assert any(row.startswith("| order_status | 1 |") for row in table)
    assert table[-1].startswith("| **total** |")
