"""The Google review connectors' pure parts: list pages (fixtures shaped from the API references), reply
limits, and how Google's error answers become our errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.reviews import google_business, google_play
from connectors.reviews.common import check
from models.errors import NotFound, PayloadError, SendError

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


def fixture(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def test_business_page_maps_stars_reply_anonymity_and_the_next_token() -> None:
    reviews, token = google_business.parse_page(fixture("google_business/reviews_list__page.json"),
                                                "accounts/7001/locations/118")
    assert token == "CiAKGjBpNDd2Nm"
    first, anonymous = reviews
    assert (first.review_id, first.rating, first.author_name, first.reply_text) == (
        "AbFvOqnA", 2, "Ирина К.", "Ирина, простите!")
    assert first.updated_at > first.created_at == datetime(2026, 11, 2, 9, 30, 0, 123456, tzinfo=UTC)
    assert (anonymous.rating, anonymous.author_name, anonymous.text) == (None, None, "")


def test_play_page_takes_the_user_comment_and_skips_reviews_without_one() -> None:
    reviews, token = google_play.parse_page(fixture("google_play/reviews_list__page.json"), "ru.chain.delivery")
    assert token == "AOqpTOE"
    [review] = reviews
    assert (review.review_id, review.rating, review.language, review.text, review.reply_text) == (
        "gp:AOqpTOG", 1, "ru", "Приложение вылетает при оплате", "Исправили в 4.12.1")
    assert review.created_at == datetime(2025, 11, 2, 9, 40, 0, 713000, tzinfo=UTC)


def test_last_pages_have_no_token() -> None:
    assert google_business.parse_page({"reviews": []}, "l")[1] is None
    assert google_play.parse_page({}, "p") == ([], None)


def test_reply_limits_are_the_platforms() -> None:
    google_play.check_reply("я" * 350)
    with pytest.raises(PayloadError, match="350"):
        google_play.check_reply("я" * 351)
    google_business.check_reply("я" * 2048)  # 4096 bytes of UTF-8
    with pytest.raises(PayloadError, match="4096 bytes"):
        google_business.check_reply("я" * 2049)
    with pytest.raises(PayloadError, match="empty"):
        google_business.check_reply("  ")


def answer(status: int, **headers: str) -> httpx.Response:
    body = {"error": {"code": status, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}}
    return httpx.Response(status, json=body, headers=headers)


def test_google_errors_become_ours() -> None:
    with pytest.raises(SendError) as limited:
        check(answer(429, **{"Retry-After": "30"}), "reviews.list")
    assert limited.value.retryable and limited.value.retry_after == 30.0 and "Quota exceeded" in limited.value.reason
    with pytest.raises(SendError) as outage:
        check(answer(503), "reviews.list")
    assert outage.value.retryable and outage.value.retry_after is None
    with pytest.raises(NotFound):
        check(answer(404), "reviews.reply")
    with pytest.raises(PayloadError):
        check(answer(400), "reviews.reply")
    with pytest.raises(SendError) as denied:
        check(answer(403), "reviews.reply")
    assert not denied.value.retryable
