"""The cheap pre-checks in `prepare` and `language.detect` change no answer: each pattern is skipped only for
texts it cannot match, and one-script texts are settled without counting letters."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from nlu import language, prepare
from nlu.rasa_yaml import load_paths
from nlu.reading import clauses
from nlu.scorecard import load_items
from nlu.translit import looks_translit

ROOT = Path(__file__).resolve().parents[3]


def _furniture_unchecked(text: str) -> str:
    """`without_mail_furniture` as it was: every pattern on every text."""
    body = prepare._REPLY_HEADER.sub("", prepare._QUOTED.sub("", text))
    body = prepare._FILLERS.sub(" ", prepare._SUBJECT.sub("", body))
    body = "\n".join(" ".join(line.split()) for line in body.splitlines() if line.strip())
    return body if re.search(r"\w", body) else text


def _detect_unchecked(text: str) -> str:
    """`language.detect` as it was: both scripts' letters counted for every text."""
    cyrillic = sum(map(len, re.findall("[а-яА-ЯёЁ]+", text)))
    latin = sum(map(len, re.findall("[a-zA-Z]+", text)))
    if cyrillic == latin == 0:
        return language.UNKNOWN
    if cyrillic >= latin:
        return language.RUSSIAN
    return language.RUSSIAN if looks_translit(text) else language.ENGLISH


def _shipped_texts() -> list[str]:
    texts = [e.text for e in load_paths([ROOT / "nlu" / "data"]).examples]
    for folder in ("dev", "evaluation"):
        texts.extend(item.text for item in load_items(ROOT / "nlu" / folder))
    texts.extend(part for text in list(texts) for part in clauses(prepare.prepare(text)))
    return texts


def test_the_pre_checks_change_nothing_on_the_shipped_texts_and_their_clauses() -> None:
    for text in _shipped_texts():
        assert prepare.without_mail_furniture(text) == _furniture_unchecked(text), text
        assert language.detect.__wrapped__(text) == _detect_unchecked(text), text


PIECES = ["wrote:", "WROTE :", "НАПИСАЛ(А):", "пишет:", "Написала:", "--", "\n-- \n", "-----Original Message-----",
          "Subject:", "RE:", "Тема:", "> ", ">", "\n", " ", "эм", "um", "hi", "Привет", "order", "заказ", "kurer",
          "opozdal", "ɑ", "ᲃ", ":", "-", "1"]


@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=14).map("".join))
def test_the_pre_checks_change_nothing_on_mail_like_text(text: str) -> None:
    assert prepare.without_mail_furniture(text) == _furniture_unchecked(text)
    assert language.detect.__wrapped__(text) == _detect_unchecked(text)


def test_the_reply_header_check_sees_every_spelling_the_pattern_ignorecase_matches() -> None:
    for letter in set("wroteнаписалпишет"):
        same = re.compile(re.escape(letter), re.IGNORECASE)
        assert all(chr(point).casefold() == letter for point in range(sys.maxunicode + 1)
                   if same.fullmatch(chr(point))), letter
