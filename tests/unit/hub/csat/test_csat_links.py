"""The e-mail rating links: bound to conversation, request and score, expiring, refused alike when wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.csat import links
from models.errors import NotFound

SECRET = "test-secret-key-0123456789"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
CONVERSATION = "0123456789abcdef0123456789abcdef"
REQUEST = "89abcdef01234567"


def made(score: int = 4, *, secret: str = SECRET, hours: int = 72) -> str:
    return links.token(secret, CONVERSATION, REQUEST, score, expires=NOW + timedelta(hours=hours))


def test_a_link_records_exactly_its_score_until_it_expires() -> None:
    assert links.check(SECRET, made(), now=NOW + timedelta(hours=71)) == links.LinkClaim(CONVERSATION, REQUEST, 4)
    with pytest.raises(NotFound):
        links.check(SECRET, made(), now=NOW + timedelta(hours=72, seconds=1))


def test_the_absolute_link_lives_under_the_public_url() -> None:
    url = links.link("https://otklik.example.ru/", SECRET, CONVERSATION, REQUEST, 5, expires=NOW)

    assert url == f"https://otklik.example.ru/csat/{links.token(SECRET, CONVERSATION, REQUEST, 5, expires=NOW)}"


@pytest.mark.parametrize("change", ["score", "conversation", "request", "expiry", "secret", "garbage"])
def test_a_changed_link_is_refused_with_the_same_words(change: str) -> None:
    conversation, request, score, exp, sig = made().split(".")
    tampered = {
        "score": f"{conversation}.{request}.5.{exp}.{sig}",
        "conversation": f"{'f' * 32}.{request}.{score}.{exp}.{sig}",
        "request": f"{conversation}.{'0' * 16}.{score}.{exp}.{sig}",
        "expiry": f"{conversation}.{request}.{score}.{int(exp) + 3600}.{sig}",
        "secret": made(secret="another-secret-key-0123456789"),
        "garbage": "../../etc/passwd",
    }[change]

    with pytest.raises(NotFound) as refused:
        links.check(SECRET, tampered, now=NOW)
    assert refused.value.reason == links.NOT_FOUND
