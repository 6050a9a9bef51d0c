"""Standard Webhooks signatures, checked by the receiver-side code of the `standardwebhooks` library."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from hub.webhooks import signing
from models.errors import PayloadError
from models.webhooks import delivery_id

BODY = '{"type":"message.received","version":1,"id":"message.received:42","data":{"text":"Где заказ?"}}'


def test_signed_headers_verify_with_the_reference_library() -> None:
    secret = signing.generate_secret()
    webhook_id = delivery_id("wh_1", "message.received:42")
    headers = signing.headers(secret, webhook_id, datetime.now(UTC), BODY)

    assert Webhook(secret).verify(BODY.encode(), headers)["id"] == "message.received:42"
    assert headers["webhook-id"] == webhook_id and headers["webhook-signature"].startswith("v1,")


def test_a_changed_body_or_another_secret_does_not_verify() -> None:
    secret = signing.generate_secret()
    headers = signing.headers(secret, "msg_1", datetime.now(UTC), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("42", "43"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify(BODY, headers)


def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body_in_base64() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the spec's reference test vector
    headers = signing.headers(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(1614265330, UTC),
                              '{"test": 2432232314}')
    assert headers == {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                       "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}


def test_generated_secrets_are_whsec_base64_of_32_random_bytes() -> None:
    secrets = {signing.generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
        assert signing.check_secret(secret) == secret


@pytest.mark.parametrize("secret", ["whsec_" + base64.b64encode(b"x" * 23).decode(),
                                    "whsec_" + base64.b64encode(b"x" * 65).decode(), "whsec_not base64!",
                                    base64.b64encode(b"x" * 32).decode(), ""])
def test_secrets_outside_the_spec_are_refused(secret: str) -> None:
    with pytest.raises(PayloadError):
        signing.check_secret(secret)


@given(st.text(max_size=120))
def test_check_secret_accepts_or_refuses_any_text_without_echoing_it(secret: str) -> None:
    try:
        assert signing.check_secret(secret) == secret
    except PayloadError as e:
        assert secret not in e.reason or len(secret) < 6


def test_webhook_ids_are_stable_per_subscription_and_event_and_free_of_dots() -> None:
    first = delivery_id("wh_1", "message.received:42")
    assert first == delivery_id("wh_1", "message.received:42")
    assert first != delivery_id("wh_2", "message.received:42")
    assert first.startswith("msg_") and "." not in first
