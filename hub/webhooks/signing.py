"""Standard Webhooks signatures: `webhook-id`, `webhook-timestamp`, `webhook-signature` = v1,<base64 HMAC>.

The HMAC is computed by the `standardwebhooks` library (the spec's reference implementation), over
"{webhook-id}.{timestamp}.{body}" keyed with the secret's decoded bytes; receivers verify with the same
library or any other implementation of the spec. https://www.standardwebhooks.com/ ("Signature scheme").
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

from models.errors import PayloadError

PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes


def generate_secret() -> str:
    """A new signing secret: 'whsec_' and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str) -> str:
    """The secret if it is 'whsec_' + base64 of 24 to 64 bytes; PayloadError (never echoing it) otherwise."""
    if not secret.startswith(PREFIX):
        raise PayloadError("secret: must start with 'whsec_'")
    try:
        key = base64.b64decode(secret[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError) as e:
        raise PayloadError("secret: not base64 after 'whsec_'") from e
    if not 24 <= len(key) <= 64:
        raise PayloadError("secret: must encode 24 to 64 bytes")
    return secret


def headers(secret: str, webhook_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for sending `body` at `at` (whole seconds)."""
    seconds = int(at.timestamp())
    signature = Webhook(secret).sign(webhook_id, datetime.fromtimestamp(seconds, UTC), body)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(seconds), "webhook-signature": signature}
