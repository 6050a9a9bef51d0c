"""What every Twilio channel (WhatsApp now, voice next) shares: webhook signatures and the REST client.

Twilio docs followed:
- "Webhooks security" (https://www.twilio.com/docs/usage/webhooks/webhooks-security): `X-Twilio-Signature` is
  HMAC-SHA1 of the full URL Twilio requested followed by the sorted POST parameters, keyed by the auth token;
  validate it with the SDK's `RequestValidator` against that exact URL (query string kept URL-encoded) and every
  received parameter (never trimmed).
- "Sign webhooks with shared keys" (https://www.twilio.com/docs/usage/webhooks/webhook-shared-keys): when a
  Webhook Rule matches, Twilio adds `X-Twilio-Webhooks-Signature-Settings: key=...,algorithm=HMAC_SHA256` and
  signs with that SharedKey's secret instead of the auth token.
- twilio-python "Custom HTTP clients" / `AsyncTwilioHttpClient`: the client takes any async HTTP client, which is
  where we point it at a configurable base URL and keep the response headers the library drops.

Error mapping (for the outbox's retries): network errors, timeouts, 429 and 5xx -> SendError(retryable=True,
retry_after=Retry-After); any other Twilio error (4xx, e.g. 21211 invalid number) -> SendError(retryable=False).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client

from models.channels import ChannelAccount
from models.errors import PayloadError, SendError, SignatureError

log = logging.getLogger(__name__)

API_BASE = "https://api.twilio.com"
SIGNATURE_HEADER = "x-twilio-signature"
SIGNATURE_SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"
SHARED_KEY_SECRET = "webhook_shared_key"  # account secret: only needed when a Webhook Rule signs with a SharedKey
MAX_FIELDS = 500


class FormParams(dict[str, list[str]]):
    """A form body with every value of every field, in the shape `RequestValidator` signs (it calls getall)."""

    def getall(self, name: str) -> list[str]:
        """Every value sent for `name`."""
        return self[name]

    def first(self, name: str) -> str | None:
        """The first value sent for `name`, or None."""
        values = self.get(name)
        return values[0] if values else None

    def flat(self) -> dict[str, str]:
        """One value per field (the first), e.g. to keep as the raw payload."""
        return {name: values[0] for name, values in self.items()}


def form_params(body: bytes) -> FormParams:
    """An application/x-www-form-urlencoded body, values untrimmed and blanks kept; PayloadError if not one."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as e:
        raise PayloadError(f"not a form-encoded Twilio request: {e}") from e
    params = FormParams()
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def signed_url(public_url: str | None, account: ChannelAccount, path: str, query: str, root: str) -> str:
    """The URL Twilio requested and signed: our public address + path (+ query), not what a proxy passed us.

    `public_url` is OTKLIK_PUBLIC_URL; without it, the account's options.webhook_url stands for `root` (the
    account's webhook path). With neither there is nothing to check the signature against: refuse (fail closed).
    """
    if public_url:
        url = public_url.rstrip("/") + path
    elif account.options.get("webhook_url"):
        url = str(account.options["webhook_url"]).rstrip("/") + path.removeprefix(root)
    else:
        log.error("twilio webhook refused: no public URL", extra={"account": account.id})
        raise SignatureError(f"cannot check X-Twilio-Signature for {account.channel} account {account.id!r}: "
                             "set OTKLIK_PUBLIC_URL or the account's options.webhook_url")
    return f"{url}?{query}" if query else url


def check_signature(headers: Mapping[str, str], params: FormParams, url: str, account: ChannelAccount) -> None:
    """Raise SignatureError unless X-Twilio-Signature signs `url` + `params` (auth token, or the SharedKey)."""
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        raise SignatureError("missing X-Twilio-Signature header")
    settings = headers.get(SIGNATURE_SETTINGS_HEADER)
    if settings:
        if SHARED_KEY_SECRET not in account.secrets:
            raise SignatureError(f"request signed with a SharedKey, but the account has no {SHARED_KEY_SECRET!r}")
        secret = account.secret(SHARED_KEY_SECRET)
    else:
        secret = account.token.get_secret_value()
    # The library compares in constant time and tries the URL with and without the default port.
    if not RequestValidator(secret).validate(url, params, signature, get_signature_algorithm(settings)):
        raise SignatureError("X-Twilio-Signature does not match this request")


class RebasedHttpClient:
    """twilio's AsyncTwilioHttpClient (aiohttp), sending every request to `api_base` instead of *.twilio.com.

    The Client accepts any object with `is_async` and an async `request`: this wrapper is the supported seam.
    Rewriting here rather than a domain's `base_url` covers every Twilio host the client may call (one fake
    serves them all in tests), and it sees the response headers, which the library's exceptions drop: that is
    where Retry-After of a 429 is read.
    """

    is_async = True

    def __init__(self, api_base: str, timeout: float) -> None:
        self.base = urlsplit(api_base.rstrip("/"))
        self.timeout = timeout
        self.inner = AsyncTwilioHttpClient(timeout=timeout)  # no max_retries: retries live in the outbox

    def rebase(self, url: str) -> str:
        """`url` on our configured host, path kept."""
        parts = urlsplit(url)
        return urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))

    async def request(self, method: str, url: str, params: Any = None, data: Any = None, headers: Any = None,
                      auth: Any = None, timeout: float | None = None,  # noqa: ASYNC109 (the Client's interface)
                      allow_redirects: bool = False) -> Any:
        """Send one request; raise the retryable SendErrors (network, 429, 5xx) with their Retry-After."""
        if auth is not None:  # as a header: the inner client's aiohttp.BasicAuth is deprecated (a warning per call)
            user, password = auth
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers, auth = {**(headers or {}), "Authorization": f"Basic {token}"}, None
        try:
            response = await self.inner.request(method, self.rebase(url), params=params, data=data, headers=headers,
                                                auth=auth, timeout=timeout or self.timeout,
                                                allow_redirects=allow_redirects)
        except (aiohttp.ClientError, TimeoutError) as e:
            raise SendError(f"twilio unreachable: {type(e).__name__}: {e}", retryable=True) from e
        status = int(response.status_code)
        if status == 429 or status >= 500:
            raise SendError(f"twilio answered {status}: {str(response.text)[:200]}", retryable=True,
                            retry_after=retry_after(response.headers))
        return response

    async def close(self) -> None:
        """Close the aiohttp session."""
        await self.inner.close()


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form), if any."""
    value = (headers or {}).get("Retry-After")  # aiohttp's headers are case-insensitive
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def build_client(account_sid: str, token: str, api_base: str, timeout: float, stack: AsyncExitStack) -> Any:
    """A twilio Client on the async HTTP client, pointed at `api_base`; its session closes with `stack`."""
    http = RebasedHttpClient(api_base, timeout)
    stack.push_async_callback(http.close)
    # Credentials are passed explicitly, so the Client reads nothing from TWILIO_* environment variables that
    # matters: an edge or region there only renames the host, which RebasedHttpClient replaces anyway.
    return Client(account_sid, token, account_sid=account_sid, http_client=http)


def twilio_error(error: Exception) -> tuple[int | None, int | None, str]:
    """(HTTP status, Twilio error code, message) of a library exception; str() of it carries ANSI colours."""
    if isinstance(error, TwilioRestException):
        return error.status, error.code, str(error.msg)
    if isinstance(error, TwilioServiceException):
        return error.status, error.code, str(error.detail or error.title)
    return None, None, f"{type(error).__name__}: {error}"


def permanent(error: Exception) -> SendError:
    """A Twilio refusal that sending again will not change (retryable ones never reach the library)."""
    status, code, message = twilio_error(error)
    return SendError(f"twilio error {code} (HTTP {status}): {message}"[:1000], retryable=False)
