"""Customer-context values: references to a customer, and the rules orders, items and promo codes keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from models.context import CustomerRef, DeliverySlot, ItemOutcome, LineItem, OrderItem, PromoCode
from models.customers import Customer, Identity, IdentityKind
from models.ids import CustomerId

T0 = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


def test_a_reference_of_a_customer_carries_every_key_the_crm_may_know() -> None:
    customer = Customer(id=CustomerId("c-1"), attributes={"crm_id": 1001}, identities=[
        Identity(kind=IdentityKind.TELEGRAM, value="42"), Identity(kind=IdentityKind.WHATSAPP, value="79031112233"),
        Identity(kind=IdentityKind.EMAIL, value="Olga@Example.ru")])
    ref = CustomerRef.of(customer)
    assert ref.lookup_params() == {"crm_id": "1001", "phone": "+79031112233", "email": "olga@example.ru",
                                   "otklik_id": "c-1"}


def test_a_reference_normalizes_phone_and_email() -> None:
    ref = CustomerRef(phone="8 (916) 123-45-67", email=" Anna@Example.RU ")
    assert (ref.phone, ref.email) == ("+79161234567", "anna@example.ru")


def test_a_reference_needs_at_least_one_key() -> None:
    with pytest.raises(ValidationError, match="needs a CRM id"):
        CustomerRef()


def test_a_slot_ends_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="ends after"):
        DeliverySlot(start=T0, end=T0)


def test_a_substitution_names_what_was_delivered_and_nothing_else_does() -> None:
    milk = LineItem(name="Молоко", quantity=Decimal(1), price=Decimal("89.99"), amount=Decimal("89.99"))
    with pytest.raises(ValidationError, match="names what was delivered"):
        OrderItem(ordered=milk, outcome=ItemOutcome.SUBSTITUTED)
    with pytest.raises(ValidationError, match="only a substituted item"):
        OrderItem(ordered=milk, outcome=ItemOutcome.MISSING, delivered=milk)


def test_a_promo_code_gives_a_percentage_or_an_amount_not_both() -> None:
    base = {"code": "X", "customer_id": "c", "terms": "t", "valid_until": T0 + timedelta(days=1)}
    with pytest.raises(ValidationError, match="either a percentage or an amount"):
        PromoCode(**base, discount_percent=10, discount_amount=Decimal(100))
    with pytest.raises(ValidationError, match="either a percentage or an amount"):
        PromoCode(**base)


def test_context_from_the_crm_ignores_fields_it_does_not_know() -> None:
    slot = DeliverySlot.model_validate_json('{"start": "2025-03-12T10:00:00+03:00", '
                                            '"end": "2025-03-12T12:00:00+03:00", "zone": "north"}')
    assert slot.end - slot.start == timedelta(hours=2)
