"""Signed file links: what they cover, when they stop working, and that every failure looks the same."""

from __future__ import annotations

import pytest

from hub.file_links import check_link, file_link, signature
from models.errors import NotFound

SECRET = "unit-secret-key-0123456789"
FILE_ID = "0123456789abcdef0123456789abcdef"


def parts(url: str) -> tuple[str, str, str, str]:
    """(file id, encoded name, exp, sig) of a link."""
    path, _, query = url.partition("?")
    _, _, file_id, name = path.rsplit("/", 3)
    fields = dict(p.split("=", 1) for p in query.split("&"))
    return file_id, name, fields["exp"], fields["sig"]


def test_a_link_names_the_file_and_carries_expiry_and_signature() -> None:
    url = file_link("https://otklik.example.ru/", SECRET, FILE_ID, "чек 1.pdf", expires=2_000_000_000)

    file_id, name, exp, sig = parts(url)
    assert file_id == FILE_ID and url.startswith(f"https://otklik.example.ru/files/{FILE_ID}/")
    assert name == "%D1%87%D0%B5%D0%BA%201.pdf" and exp == "2000000000"
    assert sig == signature(SECRET, FILE_ID, "чек 1.pdf", 2_000_000_000) and len(sig) == 64
    check_link(SECRET, FILE_ID, "чек 1.pdf", exp, sig, now=1_999_999_999)  # valid: no exception


@pytest.mark.parametrize(("file_id", "name", "exp", "sig_of", "now"), [
    ("f" * 32, "a.pdf", "2000000000", (FILE_ID, "a.pdf", 2_000_000_000), 1.0),  # another file
    (FILE_ID, "b.pdf", "2000000000", (FILE_ID, "a.pdf", 2_000_000_000), 1.0),  # another name
    (FILE_ID, "a.pdf", "2000000001", (FILE_ID, "a.pdf", 2_000_000_000), 1.0),  # a later expiry
    (FILE_ID, "a.pdf", "2000000000", (FILE_ID, "a.pdf", 2_000_000_000), 2_000_000_001.0),  # expired
    (FILE_ID, "a.pdf", "-5", (FILE_ID, "a.pdf", -5), 1.0),  # not a unix time
])
def test_any_change_or_expiry_is_refused_as_not_found(
    file_id: str, name: str, exp: str, sig_of: tuple[str, str, int], now: float,
) -> None:
    with pytest.raises(NotFound, match="no such file"):
        check_link(SECRET, file_id, name, exp, signature(SECRET, *sig_of), now=now)


FOREIGN = signature("another-secret-key-0123", FILE_ID, "a.pdf", 9)


@pytest.mark.parametrize("sig", ["", "zz", "A" * 64, "é" * 64, FOREIGN])
def test_malformed_or_foreign_signatures_are_refused(sig: str) -> None:
    with pytest.raises(NotFound):
        check_link(SECRET, FILE_ID, "a.pdf", "9", sig, now=1.0)


def test_the_link_key_is_not_the_secret_itself() -> None:
    import hashlib
    import hmac

    plain = hmac.new(SECRET.encode(), f"{FILE_ID}\na.pdf\n9".encode(), hashlib.sha256).hexdigest()
    assert signature(SECRET, FILE_ID, "a.pdf", 9) != plain  # a purpose-bound key: other HMACs cannot pass
