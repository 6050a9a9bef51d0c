"""E-mail furniture and speech fillers are set aside before classifying; the question stays."""

from __future__ import annotations

import pytest

from nlu.prepare import prepare


@pytest.mark.parametrize(("text", "expected"), [
    ("Тема: не пришли баллы\nЗдравствуйте!\nБаллы за покупку не начислены.\nС уважением, Иван\n\n"
     "> Добрый день, чем можем помочь?", "не пришли баллы\nБаллы за покупку не начислены"),
    ("Re: заказ 123\nгде заказ?\n\nВ пн, 7 дек. 2026 г. в 10:00, Магазин <shop@example.ru> написал:\n"
     "> Ваш заказ принят", "заказ 123\nгде заказ?"),
    ("Hi,\nwhere is my order?\n--\nJohn Smith\nACME Ltd", "where is my order?"),
    ("Subject: refund\nthe refund never arrived\n-----Original Message-----\nFrom: shop",
     "refund\nthe refund never arrived"),
    ("ээ алло да ну вот эм я хотела узнать про баллы", "я хотела узнать про баллы"),
    ("um hi uh my card points are missing", "my card points are missing"),
])
def test_mail_and_fillers_are_set_aside(text: str, expected: str) -> None:
    assert prepare(text) == expected


@pytest.mark.parametrize("text", ["ээ", "> только цитата", "Здравствуйте!"])
def test_nothing_but_furniture_is_kept_as_it_is(text: str) -> None:
    assert prepare(text) == text
