"""Built-in entity extractors: e-mail, phone, order and loyalty card numbers, money, dates, store numbers.

Each returns (entity, matched text, start, end, canonical value); `entities.py` resolves overlaps.
Numbers that only mean something in context (order, card, store) need their keyword nearby:
"заказ № 4512", "order #4512", "карта 2000 1234 5678", "магазин 118", "store #118".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import phonenumbers

Found = tuple[str, str, int, int, str]  # entity, text, start, end, canonical
MIN_PHONE_DIGITS = 7
_DIGIT = re.compile(r"\d")  # the same digits (any script) the patterns below match
# Where a valid phone number could stand: the matcher (phonenumbers' PhoneNumberMatcher) reads a number only
# from digits, their punctuation ("x" and "ー" are its only word characters) and a leading "+" or bracket,
# so a number's digits share a run free of other letters. With RU as the default region a number needs a
# "+" and 6 digits (the shortest in phonenumbers' metadata: +43 and four), or 9 without one ("8~10", RU's
# international prefix, and those 6) and 10 for RU's own. A cheap search for such a run spares the matcher
# most texts: order numbers and dates are shorter, or stand apart in words.
_PHONE_LIKE = re.compile(r"[+＋](?:[\W_xXー]*\d){6}|\d(?:[\W_xXー]*\d){8}")

_NUMBER_SIGN = r"(?:\s*(?:№|#|no\.?|n|номер|number|num\.?)\s*)?\s*"
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Zа-яА-Я]{2,}(?![\w-])")
_ORDER = re.compile(r"(?:заказ\w*|order|ордер\w*)" + _NUMBER_SIGN + r"(?P<v>[A-ZА-Я]{0,3}-?\d{4,12})\b", re.I)
_CARD = re.compile(
    r"(?:карт\w*(?:\s+лояльности)?|loyalty\s+card|card|бонусн\w+\s+карт\w*)" + _NUMBER_SIGN
    + r"(?P<v>\d{4}(?:[ -]?\d{2,4}){2,4})\b", re.I)
_STORE = re.compile(r"(?:магазин\w*|супермаркет\w*|store|shop|branch)" + _NUMBER_SIGN + r"(?P<v>\d{1,6})\b", re.I)
_AMOUNT = r"(?P<v>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_RUB = re.compile(_AMOUNT + r"\s?(?:₽|руб(?:\.|л\w*|\b)|р\.|rub\b|rubles?\b|roubles?\b)", re.I)
_AMOUNT_W = _AMOUNT.replace("?P<v>", "?P<w>")  # the amount when it stands before the currency
_USD = re.compile(r"\$\s?" + _AMOUNT + r"|" + _AMOUNT_W + r"\s?(?:\$|usd\b|dollars?\b|доллар\w*)", re.I)
_EUR = re.compile(r"€\s?" + _AMOUNT + r"|" + _AMOUNT_W + r"\s?(?:€|eur\b|euros?\b|евро\b)", re.I)
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")
_DMY_DATE = re.compile(r"\b(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4}|\d{2})\b")
_RELATIVE = {"сегодня": 0, "today": 0, "вчера": -1, "yesterday": -1, "позавчера": -2, "завтра": 1, "tomorrow": 1}
_RELATIVE_DATE = re.compile(r"\b(?:" + "|".join(_RELATIVE) + r")\b", re.I)
_MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8, "сентябр": 9,
    "октябр": 10, "ноябр": 11, "декабр": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_RU_MONTH = r"(?P<mon>января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
_EN_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY_MONTH = re.compile(
    r"\b(?P<d>\d{1,2})\s+" + _RU_MONTH
    + r"|\b(?P<d2>\d{1,2})\s+" + _EN_MONTH.replace("?P<mon>", "?P<mon2>")
    + r"|\b" + _EN_MONTH.replace("?P<mon>", "?P<mon3>") + r"\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)?\b", re.I)


def extract_all(text: str, today: date) -> list[Found]:
    """Every built-in entity found, in priority order (earlier ones win overlaps)."""
    digits = len(_DIGIT.findall(text))
    folded = text.casefold()
    found: list[Found] = []
    for extractor, needs_digits, needs_words in _EXTRACTORS:
        if digits >= needs_digits and (not needs_words or any(w in folded for w in needs_words)):
            found.extend(extractor(text, today))
    return found


def _emails(text: str, today: date) -> Iterator[Found]:
    if "@" not in text:  # most messages hold none, and the pattern would try each word
        return
    for m in _EMAIL.finditer(text):
        yield "email", m.group(), m.start(), m.end(), m.group().lower()


def _keyed(entity: str, pattern: re.Pattern[str]) -> Callable[[str, date], Iterator[Found]]:
    def extract(text: str, today: date) -> Iterator[Found]:
        for m in pattern.finditer(text):
            value = m.group("v")
            canonical = re.sub(r"[\s-]", "", value).upper()
            yield entity, value, m.start("v"), m.end("v"), canonical
    return extract


def _money(pattern: re.Pattern[str], currency: str) -> Callable[[str, date], Iterator[Found]]:
    def extract(text: str, today: date) -> Iterator[Found]:
        for m in pattern.finditer(text):
            amount = m.group("v") or m.group("w")
            number = float(re.sub(r"[\s\u00a0\u202f]", "", amount).replace(",", "."))
            yield "amount", m.group(), m.start(), m.end(), f"{number:.2f} {currency}"
    return extract


def _iso_dates(text: str, today: date) -> Iterator[Found]:
    for m in _ISO_DATE.finditer(text):
        yield from _date(m.group(), m.start(), m.end(), int(m["y"]), int(m["m"]), int(m["d"]))


def _numeric_dates(text: str, today: date) -> Iterator[Found]:
    for m in _DMY_DATE.finditer(text):
        year = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
        yield from _date(m.group(), m.start(), m.end(), year, int(m["m"]), int(m["d"]))


def _month_dates(text: str, today: date) -> Iterator[Found]:
    for m in _DAY_MONTH.finditer(text):
        day = int(m["d"] or m["d2"] or m["d3"])
        word = (m["mon"] or m["mon2"] or m["mon3"]).lower()
        month = next(n for stem, n in _MONTHS.items() if word.startswith(stem))
        yield from _date(m.group(), m.start(), m.end(), today.year, month, day)


def _date(text: str, start: int, end: int, year: int, month: int, day: int) -> Iterator[Found]:
    try:
        yield "date", text, start, end, date(year, month, day).isoformat()
    except ValueError:  # 31.02.2025 is not a date
        return


def _phones(text: str, today: date) -> Iterator[Found]:
    if not _PHONE_LIKE.search(text):  # the matcher costs up to 0.1 ms on a long e-mail, found or not
        return
    for match in phonenumbers.PhoneNumberMatcher(text, "RU", leniency=phonenumbers.Leniency.VALID):
        canonical = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        yield "phone", match.raw_string, match.start, match.end, canonical


def _relative_dates(text: str, today: date) -> Iterator[Found]:
    for m in _RELATIVE_DATE.finditer(text):
        when = today + timedelta(days=_RELATIVE[m.group().lower()])
        yield "date", m.group(), m.start(), m.end(), when.isoformat()


# Each extractor with what a text needs before it can match: at least so many digits (most entities are
# numbers, and most messages hold none), and, for the patterns that start with a keyword or a currency, one
# of these in its casefolded text (a pattern over the whole text costs 5-20 µs on a long e-mail; a substring
# test, a tenth of one). Casefolding keeps the test a superset of the patterns' IGNORECASE: every character
# that matches a letter below under IGNORECASE casefolds to that letter (tests/unit/nlu/test_entities.py).
_MONTH_WORDS = tuple(_MONTHS)
_EXTRACTORS: list[tuple[Callable[[str, date], Iterator[Found]], int, tuple[str, ...]]] = [
    (_emails, 0, ()),
    (_keyed("order_id", _ORDER), 4, ("заказ", "order", "ордер")),
    (_keyed("loyalty_card", _CARD), 8, ("карт", "card")),
    (_keyed("store_id", _STORE), 1, ("магазин", "супермаркет", "store", "shop", "branch")),
    (_money(_RUB, "RUB"), 1, ("₽", "руб", "р.", "rub", "roub")),
    (_money(_USD, "USD"), 1, ("$", "usd", "dollar", "доллар")),
    (_money(_EUR, "EUR"), 1, ("€", "eur", "евро")),
    (_iso_dates, 8, ("-",)),
    (_numeric_dates, 4, (".", "/")),
    (_month_dates, 1, _MONTH_WORDS),
    (_relative_dates, 0, tuple(_RELATIVE)),
    (_phones, MIN_PHONE_DIGITS, ()),
]
