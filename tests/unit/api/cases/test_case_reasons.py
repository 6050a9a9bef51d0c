"""The system's reasons on the case page: each code in Russian and English, with names, never raw ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from api.cases.reasons import Wording, groups_named, reason_text
from api.i18n import t
from api.local_time import zone_named
from models.cases import Reason

TITLES = {"price_tag_mismatch": {"ru": "Цена на ценнике не совпала с чеком", "en": "Price tag does not match"}}
GROUPS = {"store:118": "Магазин 118", "finance": "Финансы", "loyalty": "Лояльность"}
DUE = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # 17:00 in Moscow


def words(lang: str) -> Wording:
    """The page's wording in `lang`, in the Moscow zone."""
    return Wording(t=lambda key, **params: t(key, lang, **params),
                   type_title=lambda rtype: TITLES.get(rtype, {}).get(lang, rtype), groups=GROUPS,
                   zone=zone_named("Europe/Moscow"))


CASES: list[tuple[Reason, dict[str, Any], str, str]] = [
    (Reason.ROUTED, {"request_type": "price_tag_mismatch"},
     "Тип заявки: Цена на ценнике не совпала с чеком", "Request type: Price tag does not match"),
    (Reason.OVERFLOW, {"overflow_from": "loyalty", "shortage": "nobody_on_shift"},
     "в группе «Лояльность» сейчас никто не работает", "nobody works in “Лояльность” now"),
    (Reason.DUPLICATE_OF, {"case_label": "#41", "duplicate_of": "c-41"},
     "дубликат заявки #41", "duplicate of case #41"),
    (Reason.DUPLICATE_LINKED, {"case_label": "#42", "duplicate": "c-42"}, "дубликат #42", "duplicate #42"),
    (Reason.MERGED_INTO, {"case_label": "#7", "merged_into": "c-7"},
     "объединена с заявкой #7", "merged into case #7"),
    (Reason.MERGED_FROM, {"case_label": "#8", "merged": "c-8"}, "присоединена заявка #8", "case #8 merged in"),
    (Reason.SOLVED, {}, "решение записано", "solution recorded"),
    (Reason.ASSIGNED, {}, "взята в работу", "taken into work"),
    (Reason.TAKEN, {}, "взял(а) сам(а)", "took it"),
    (Reason.RELEASED, {}, "вернул(а) в очередь", "put it back in the queue"),
    (Reason.REQUEUED, {"group": "store:118"}, "в очереди группы «Магазин 118»", "in the queue of “Магазин 118”"),
    (Reason.DEADLINE_PASSED, {"due_at": DUE.isoformat()}, "срок 03.03.2026 17:00 прошёл",
     "deadline 03.03.2026 17:00 passed"),
    (Reason.SLA_BREACHED, {"to_group": "finance"}, "срок нарушен, эскалация в группу «Финансы»",
     "deadline breached, escalated to “Финансы”"),
]


@pytest.mark.parametrize(("code", "data", "ru", "en"), CASES, ids=[c[0].value for c in CASES])
def test_each_code_reads_in_russian_and_english(code: Reason, data: dict[str, Any], ru: str, en: str) -> None:
    assert reason_text(code, None, data, words("ru")) == ru
    assert reason_text(code, None, data, words("en")) == en


def test_every_code_has_a_sentence_in_both_languages() -> None:
    assert {c[0] for c in CASES} == set(Reason)
    for code in Reason:
        for lang in ("ru", "en"):
            assert t(f"cases.reason.{code.value}", lang) != f"cases.reason.{code.value}"


def test_names_come_from_lookups_and_unknown_ids_stay_readable() -> None:
    gone = reason_text(Reason.ROUTED, None, {"request_type": "retired_type"}, words("ru"))
    assert gone == "Тип заявки: retired_type"  # the catalogue dropped it: its id is all there is
    assert reason_text(Reason.REQUEUED, None, {"group": "store:999"}, words("en")) == "in the queue of “store:999”"
    named = groups_named([(Reason.REQUEUED, {"group": "store:118"}), (Reason.SLA_BREACHED, {"to_group": "finance"}),
                          (Reason.OVERFLOW, {"overflow_from": "loyalty"}), (None, {"group": "x"}),
                          (Reason.ROUTED, {"request_type": "price_tag_mismatch"})])
    assert named == {"store:118", "finance", "loyalty"}


def test_a_person_s_words_and_old_english_entries_show_as_they_are() -> None:
    assert reason_text(None, "снять партию с полки", {}, words("en")) == "снять партию с полки"
    old = "routed by request type price_tag_mismatch"  # stored before reasons had codes
    assert reason_text(None, old, {}, words("ru")) == old
    assert reason_text(None, None, {}, words("ru")) == ""
    assert reason_text(Reason.MERGED_INTO, None, {"case_label": "#7"}, words("ru")) == "объединена с заявкой #7"


def test_a_deadline_reads_in_the_configured_zone_whatever_form_it_was_stored_in() -> None:
    for stored in (DUE, DUE.isoformat(), DUE.replace(tzinfo=None).isoformat()):
        shown = reason_text(Reason.DEADLINE_PASSED, None, {"due_at": stored}, words("ru"))
        assert shown == "срок 03.03.2026 17:00 прошёл"
