"""Evaluation sets: items YAML (a list, or a mapping holding one) and Rasa YAML, problems with file:line,
and the per-language / per-style counts with the confidently-wrong rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import PayloadError
from models.nlu import OUT_OF_SCOPE
from nlu.reading import Reading
from nlu.scorecard import Item, Scorecard, load_items


def test_items_a_mapping_of_items_and_rasa_files_load_from_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text('- {text: "где мой заказ", intent: order_status, style: telegram}\n'
                                    "- text: where is my order\n  intent: order_status\n  also: promo_code\n",
                                    encoding="utf-8")
    (tmp_path / "b.yaml").write_text("style: email\nlanguage: ru\nitems:\n- {text: Добрый день, intent: greet}\n",
                                     encoding="utf-8")
    (tmp_path / "c.yml").write_text('version: "3.1"\nnlu:\n- intent: praise\n  examples: |\n    - спасибо\n',
                                    encoding="utf-8")
    (tmp_path / "README.md").write_text("not yaml", encoding="utf-8")
    items = load_items(tmp_path)
    assert [(i.text, i.style, i.language, i.also) for i in items] == [
        ("где мой заказ", "telegram", "ru", ()), ("where is my order", "unknown", "en", ("promo_code",)),
        ("Добрый день", "email", "ru", ()), ("спасибо", "rasa", "ru", ())]
    assert items[1].source == f"{tmp_path / 'a.yml'}:2"


def test_an_item_without_an_intent_is_named_by_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- {text: a, intent: greet}\n- text: no intent here\n", encoding="utf-8")
    with pytest.raises(PayloadError, match=f"{bad}:2: an item needs"):
        load_items(bad)


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(PayloadError, match="no such file"):
        load_items(tmp_path / "nope")


def reading(intent: str, top: str, close: bool = False) -> Reading:
    return Reading(intent=intent, top=top, confidence=0.7, ranking=[(top, 0.7)], close_call=close)


def test_rows_count_accuracy_top1_confidently_wrong_asks_and_handovers_per_slice() -> None:
    card = Scorecard()
    card.add(Item("a", "order_status", "telegram", "ru"), reading("order_status", "order_status"))
    card.add(Item("b", "order_status", "telegram", "ru"), reading("promo_code", "promo_code"))
    card.add(Item("c", "praise", "email", "ru"), reading(OUT_OF_SCOPE, "praise", close=True))
    card.add(Item("d", OUT_OF_SCOPE, "email", "en"), reading(OUT_OF_SCOPE, "greet"))
    card.add(Item("e", "praise", "email", "en", also=("store_info",)), reading("store_info", "store_info"))
    ru = card.row("language", "ru")
    assert (ru.total, ru.correct, ru.top1, ru.confidently_wrong, ru.asked, ru.rejected) == (3, 1, 2, 1, 1, 1)
    assert card.row("style", "email").correct == 1 and card.row("language x style", "ru / telegram").total == 2
    en = card.row("language", "en")
    assert (en.total, en.correct, en.confidently_wrong) == (2, 1, 0), "a topic the message also raises"
    assert card.row("all", "all").total == 5 and len(card.mistakes) == 3
    text = "\n".join(card.lines())
    assert "by language:" in text and "by style:" in text and "conf.wrong" in text
