"""Flat review records (imports, the aggregator) and the aggregator's signature."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from connectors.reviews import aggregator
from connectors.reviews.records import parse_record
from models.errors import PayloadError, SignatureError

MSK = ZoneInfo("Europe/Moscow")
BASE = {"platform": "2gis", "review_id": "1", "place_id": "7", "created_at": "2026-11-01 10:00"}


def test_a_record_without_a_zone_is_in_the_chains_zone_and_stars_read_every_way() -> None:
    review = parse_record({**BASE, "rating": "★★★★☆"}, platform=None, zone=MSK)
    assert review.created_at.isoformat() == "2026-11-01T07:00:00+00:00" and review.rating == 4
    assert parse_record({**BASE, "rating": "4,0"}, platform=None, zone=MSK).rating == 4
    assert parse_record({**BASE, "platform": ""}, platform="yandex_maps", zone=MSK).platform == "yandex_maps"


@pytest.mark.parametrize(("change", "reason"), [
    ({"rating": "4.5"}, "rating: '4.5' is not 1 to 5 stars"),
    ({"rating": "много"}, "rating: 'много' is not a number of stars"),
    ({"created_at": "вчера"}, "created_at: 'вчера' is not an ISO 8601"),
    ({"updated_at": "2026-10-01T00:00:00Z"}, "updated_at: before created_at"),
    ({"deleted": "может быть"}, "deleted: 'может быть' is not true or false"),
    ({"review_id": ""}, "missing review_id"),
])
def test_bad_fields_are_named(change: dict[str, str], reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse_record({**BASE, **change}, platform=None, zone=MSK)


def test_author_identity_is_read_only_from_a_trusted_source() -> None:
    row = {**BASE, "author_identity": "phone:+79161234567"}
    assert parse_record(row, platform=None, zone=MSK).author_identity is None
    assert parse_record(row, platform=None, zone=MSK, trusted=True).author_identity == "phone:+79161234567"


def test_signature_window_and_constant_time_check() -> None:
    body, secret = json.dumps({"reviews": [BASE]}).encode(), "s3cret-0123456789"
    headers = {"x-review-timestamp": "1762000000", "x-review-signature": aggregator.sign(body, secret, 1762000000)}
    aggregator.verify(headers, body, secret, now=1762000100, window=300)
    with pytest.raises(SignatureError, match="replay window"):
        aggregator.verify(headers, body, secret, now=1762000301, window=300)
    with pytest.raises(SignatureError, match="does not match"):
        aggregator.verify(headers, body + b" ", secret, now=1762000100, window=300)
    with pytest.raises(SignatureError, match="unix seconds"):
        aggregator.verify({**headers, "x-review-timestamp": "١٢٣"}, body, secret, now=0, window=300)
    assert [r.review_id for r in aggregator.parse_inbound(body, zone=MSK)] == ["1"]


def test_a_platform_without_credentials_stops_the_start() -> None:
    from pydantic import ValidationError

    from api.reviews.settings import ReviewSettings

    with pytest.raises(ValidationError, match="OTKLIK_REVIEWS_GOOGLE_PLAY_TOKEN"):
        ReviewSettings(_env_file=None, google_play_package="ru.chain.delivery")
    ReviewSettings(_env_file=None, google_play_package="ru.chain.delivery", google_client_id="c",
                   google_client_secret="s", google_play_refresh_token="r")
