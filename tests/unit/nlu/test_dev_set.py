"""The development set (nlu/dev/) stays apart from the training data, and covers both languages and all
five channel styles."""

from __future__ import annotations

from pathlib import Path

from nlu.data_check import key
from nlu.rasa_yaml import load_paths
from nlu.scorecard import load_items

ROOT = Path(__file__).resolve().parents[3]


def test_no_development_text_is_in_the_training_data() -> None:
    trained = {key(e.text) for e in load_paths([ROOT / "nlu" / "data"]).examples}
    shared = [i.source for i in load_items(ROOT / "nlu" / "dev") if key(i.text) in trained]
    assert shared == []


def test_the_development_set_covers_both_languages_and_every_channel_style() -> None:
    items = load_items(ROOT / "nlu" / "dev")
    assert {i.language for i in items} == {"ru", "en"}
    assert {i.style for i in items} == {"telegram", "whatsapp", "viber", "email", "hotline"}
    assert any(i.also for i in items), "messages with several topics"
