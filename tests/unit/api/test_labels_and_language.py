"""Names instead of ids (topics) and the sign-in page's language (Accept-Language by q-value, then the
configured default)."""

from __future__ import annotations

import pytest

from api.i18n import from_accept_language
from api.labels import humanized, topic_name
from api.templating import templates


def test_topics_read_as_their_names_in_the_pages_language() -> None:
    assert topic_name("order_status", "ru") == "Статус заказа"
    assert topic_name("order_status", "en") == "Order status"
    assert templates.env.from_string("{{ 'return_refund' | topic_name }}").render(lang="en") == "Returns and refunds"


def test_a_topic_nobody_translated_reads_as_words_not_an_id() -> None:
    assert topic_name("warranty_repair", "ru") == "Warranty repair"
    assert humanized("store-opening_hours") == "Store opening hours"
    assert topic_name(None, "ru") == ""


@pytest.mark.parametrize(("header", "default", "chosen"), [
    ("en-US,en;q=0.9", "ru", "en"),
    ("ru-RU,ru;q=0.9,en;q=0.8", "en", "ru"),
    ("de-DE,de;q=0.9,en;q=0.8", "ru", "en"),         # the first language we have
    ("en;q=0.3, ru;q=0.8", "en", "ru"),              # by q-value, not by position
    ("de-DE,fr;q=0.9", "ru", "ru"),                  # neither: the configured default
    ("de-DE,fr;q=0.9", "en", "en"),
    ("en;q=0", "ru", "ru"),                          # q=0 means "not this one"
    ("en;q=abc", "ru", "ru"),                        # a malformed weight is ignored
    (None, "ru", "ru"),
])
def test_accept_language_picks_the_preferred_language_we_have_else_the_default(
    header: str | None, default: str, chosen: str,
) -> None:
    assert from_accept_language(header, default) == chosen  # type: ignore[arg-type]
