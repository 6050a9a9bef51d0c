"""Mail text: charsets that lie, HTML to text, and the reply cut from quotes and signatures (conservatively)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.mail_text import decode_bytes, header_text, html_to_text, reply_part

RUSSIAN = "Здравствуйте, заказ не пришёл"


@pytest.mark.parametrize("declared", [None, "us-ascii", "iso-8859-1", "utf-8", "x-unknown", "koi8-r"])
def test_windows_1251_bytes_decode_whatever_is_declared(declared: str | None) -> None:
    assert decode_bytes(RUSSIAN.encode("cp1251"), declared) == RUSSIAN


@pytest.mark.parametrize("declared", [None, "windows-1251", "latin-1", "koi8-r", "KOI8-R"])
def test_koi8_r_bytes_decode_whatever_is_declared(declared: str | None) -> None:
    assert decode_bytes(RUSSIAN.encode("koi8-r"), declared) == RUSSIAN


def test_declared_charsets_are_trusted_when_they_fit() -> None:
    assert decode_bytes("Grüße".encode("latin-1"), "iso-8859-1") == "Grüße"
    assert decode_bytes("Привет".encode(), "utf-8") == "Привет"
    assert decode_bytes("Привет".encode(), None) == "Привет"
    assert decode_bytes("Привет".encode("cp1251"), "win-1251") == "Привет"


@settings(deadline=None)
@given(st.binary(max_size=200), st.sampled_from([None, "utf-8", "koi8-r", "bogus", "windows-1251", "ascii"]))
def test_any_bytes_decode_to_some_text(data: bytes, declared: str | None) -> None:
    assert isinstance(decode_bytes(data, declared), str)


def test_header_text_decodes_encoded_words_and_raw_8bit() -> None:
    assert header_text("=?koi8-r?B?8MXU0s/X?= =?utf-8?q?_=D0=98=D0=B2=D0=B0=D0=BD?=") == "Петров Иван"
    raw = "Возврат".encode("cp1251").decode("ascii", "surrogateescape")  # how the parser keeps 8-bit headers
    assert header_text(raw) == "Возврат"
    assert header_text("=?x-unknown?B?8MXU0s/X?=") == "Петров"  # unknown charset: guessed
    assert header_text("plain\r\n folded") == "plain folded"


def test_html_to_text_keeps_blocks_lists_entities_and_quotes_and_drops_the_rest() -> None:
    html = ("<style>x{}</style><p>Один&nbsp;&amp; два</p><div>три<br>четыре</div><ol><li>а</li><li>б</li></ol>"
            "<table><tr><td>Товар</td><td>Цена</td></tr></table><blockquote>старое</blockquote><script>x()</script>")
    assert html_to_text(html) == "Один & два\n\nтри\nчетыре\n- а\n- б\nТовар Цена\n> старое"


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>текст<div><b>жирный</p></i><!-- x") == "текст\nжирный"


def test_reply_part_cuts_an_english_attribution_even_when_wrapped() -> None:
    text = "Thanks!\n\nOn Fri, Apr 5, 2024 at 12:00 PM Shop <support@shop.example>\nwrote:\n> old text\n"
    assert reply_part(text) == "Thanks!"


@pytest.mark.parametrize("attribution", [
    "05.04.2024 12:00, Иван Петров пишет:",
    "Пятница, 5 апреля 2024, 12:00 +03:00 от Магазин <support@shop.example>:",
    "05.04.2024, 12:00, \"Магазин\" <support@shop.example>:",
    "5 апреля 2024 г. Магазин написал(а):",
])
def test_reply_part_cuts_russian_attributions(attribution: str) -> None:
    assert reply_part(f"Получила, спасибо.\n\n{attribution}\n> Ваш заказ готов\n") == "Получила, спасибо."


def test_reply_part_cuts_an_outlook_header_block_with_its_separator() -> None:
    text = ("Да.\n\n________________________________\nОт: Магазин <support@shop.example>\n"
            "Отправлено: 5 апреля 2024 г. 12:00\nКому: ivan@example.ru\nТема: Заказ\n\nТекст\n")
    assert reply_part(text) == "Да."


def test_reply_part_drops_signatures_and_mobile_footers() -> None:
    assert reply_part("Где заказ?\n\n-- \nИван Петров\nООО Ромашка\n") == "Где заказ?"
    assert reply_part("Где заказ?\n\nSent from my iPhone") == "Где заказ?"
    assert reply_part("Где заказ?\n\nС уважением, Иван Петров\n+7 916 000-00-00") == "Где заказ?"
    assert reply_part("Где заказ?\nBest regards,\nJohn") == "Где заказ?"


def test_reply_part_is_conservative_about_closings_and_lines_that_only_look_like_quotes() -> None:
    long_tail = "Где заказ?\nС уважением,\n" + "\n".join(f"строка {n}" for n in range(6))
    assert reply_part(long_tail) == long_tail  # too much after the "closing": it is content
    assert reply_part("С уважением, прошу вернуть деньги.") == "С уважением, прошу вернуть деньги."
    assert reply_part("Мой друг написал мне: привет") == "Мой друг написал мне: привет"
    assert reply_part("Цена:\n- 100 руб.") == "Цена:\n- 100 руб."


def test_reply_part_keeps_answers_written_below_or_between_the_quotes() -> None:
    assert reply_part("On Fri, Apr 5, 2024 Shop <s@shop.example> wrote:\n> Адрес?\n\nЛенина, 1") == "Ленина, 1"
    assert reply_part("> Адрес?\nЛенина, 1\n> Телефон?\n+7 916 000-00-00") == "Ленина, 1\n+7 916 000-00-00"


def test_reply_part_of_a_mail_that_is_all_quote_keeps_the_text() -> None:
    assert reply_part("> только цитата") == "> только цитата"
