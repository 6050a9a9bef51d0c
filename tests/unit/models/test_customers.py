"""Identities: one person, however the channel writes their phone or address."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from models.customers import Customer, Identity, IdentityKind, normalize_phone


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+7 (916) 123-45-67", "+79161234567"),
        ("8 916 123 45 67", "+79161234567"),
        ("79161234567", "+79161234567"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_normalized_to_one_form(raw: str, normalized: str) -> None:
    assert normalize_phone(raw) == normalized
    assert Identity(kind=IdentityKind.PHONE, value=raw).key == f"phone:{normalized}"


@pytest.mark.parametrize("raw", ["", "12", "call me", "+1234567890123456789"])
def test_things_that_are_not_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        normalize_phone(raw)


@given(st.text(alphabet="0123456789 +-()", max_size=30))
@example("+49000000")  # libphonenumber drops a German trunk zero: "+490000" would be a second key
def test_normalizing_is_idempotent(raw: str) -> None:
    try:
        once = normalize_phone(raw)
    except ValueError:
        return
    assert normalize_phone(once) == once and once.startswith("+") and once[1:].isdigit()


def test_email_identities_ignore_case_and_spaces() -> None:
    assert Identity(kind=IdentityKind.EMAIL, value=" Anna@Example.RU ").key == "email:anna@example.ru"


def test_viber_ids_are_not_mistaken_for_phones() -> None:
    assert Identity(kind=IdentityKind.VIBER, value="01234567890A=").value == "01234567890A="


def test_a_customer_keeps_each_identity_once() -> None:
    customer = Customer(identities=[Identity(kind=IdentityKind.PHONE, value="89161234567"),
                                    Identity(kind=IdentityKind.PHONE, value="+79161234567")])
    assert len(customer.identities) == 1
    assert customer.has(Identity(kind=IdentityKind.PHONE, value="+7 916 123 45 67"))
