"""A fake Twilio REST API on 127.0.0.1: the Messages resource as the twilio library calls it, over real HTTP.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form-encoded, HTTP Basic auth: account SID and auth
token) answers 201 with a Message resource shaped like Twilio's, or Twilio's error JSON
(`{"code", "message", "more_info", "status"}`). It keeps WhatsApp's rule instead of trusting ours: a free-form
Body to an address whose last inbound message is unknown or older than 24 hours is refused with 63016 unless a
ContentSid (approved template) is used. Real Twilio accepts such a message and fails it afterwards (status
callback `failed`, ErrorCode 63016); refusing at once keeps tests synchronous and the outcome is the same.
Errors can be scripted (429 with Retry-After, 21211, 63003...) for the next requests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.serving import free_port, serving

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class TwilioError:
    """An error answer in Twilio's JSON shape."""

    status: int
    code: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        """The HTTP answer."""
        body = {"code": self.code, "message": self.message,
                "more_info": f"https://www.twilio.com/docs/errors/{self.code}", "status": self.status}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def too_many_requests(retry_after: int = 1) -> TwilioError:
    """429 as Twilio sends it when the account is over its request rate."""
    return TwilioError(429, 20429, "Too Many Requests", {"Retry-After": str(retry_after)})


INVALID_TO = TwilioError(400, 21211, "Invalid 'To' Phone Number")
NOT_ON_WHATSAPP = TwilioError(400, 63003, "Channel could not find To address")
SERVER_ERROR = TwilioError(503, 20500, "Service Unavailable")
AUTHENTICATE = TwilioError(401, 20003, "Authenticate")


@dataclass
class Call:
    """One request the fake received, with its form (every value of every field)."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    answered: int = 0

    def one(self, name: str) -> str | None:
        """The field's first value."""
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeTwilioApi:
    """Records every call; keeps the accepted messages; refuses what Twilio would."""

    account_sid: str
    auth_token: str
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # resources of accepted messages
    script: deque[TwilioError] = field(default_factory=deque)
    last_inbound: dict[str, datetime] = field(default_factory=dict)  # "whatsapp:+7..." -> customer's last message
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        """Base URL to put in options.api_base."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def accepted(self) -> list[Call]:
        """Calls answered 201."""
        return [c for c in self.calls if c.answered == 201]

    def customer_wrote(self, address: str, at: datetime | None = None) -> None:
        """Twilio saw an inbound message from `address` (opens its 24-hour window)."""
        self.last_inbound[address] = at or datetime.now(UTC)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Call]:
        """Wait until `count` calls arrived."""
        async with asyncio.timeout(timeout):
            while len(self.calls) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.calls

    async def create_message(self, request: Request) -> JSONResponse:
        """POST .../Messages.json."""
        form: dict[str, list[str]] = {}
        for name, value in parse_qsl((await request.body()).decode(), keep_blank_values=True):
            form.setdefault(name, []).append(value)
        call = Call(request.method, request.url.path, dict(request.headers), form)
        self.calls.append(call)
        answer = self._answer(call, request.path_params["sid"])
        call.answered = answer.status_code
        self.arrived.set()
        return answer

    def _answer(self, call: Call, sid: str) -> JSONResponse:
        if not self._authorized(call.headers.get("authorization", "")) or sid != self.account_sid:
            return AUTHENTICATE.response()
        if self.script:
            return self.script.popleft().response()
        refusal = self._refusal(call)
        if refusal is not None:
            return refusal.response()
        resource = self._resource(call)
        self.messages.append(resource)
        return JSONResponse(resource, status_code=201)

    def _authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(header, f"Basic {expected}")

    def _refusal(self, call: Call) -> TwilioError | None:
        to, content_sid = call.one("To") or "", call.one("ContentSid")
        if not to:
            return TwilioError(400, 21604, "A 'To' phone number is required.")
        if not (call.one("From") or call.one("MessagingServiceSid")):
            return TwilioError(400, 21603, "A 'From' phone number is required.")
        if not re.fullmatch(r"whatsapp:\+[1-9]\d{6,14}", to):
            return INVALID_TO
        if not (call.one("Body") or call.one("MediaUrl") or content_sid):
            return TwilioError(400, 21619, "A text message body, media URL or ContentSid is required")
        if content_sid is not None:
            return self._bad_content(content_sid, call.one("ContentVariables"))
        last = self.last_inbound.get(to)
        if last is None or datetime.now(UTC) - last >= WINDOW:
            return TwilioError(400, 63016, "Failed to send freeform message because you are outside the allowed "
                                           "window. If you are using WhatsApp, please use a Message Template.")
        return None

    @staticmethod
    def _bad_content(content_sid: str, variables: str | None) -> TwilioError | None:
        if not re.fullmatch(r"HX[0-9a-f]{32}", content_sid):
            return TwilioError(400, 21655, "The ContentSid is Invalid")
        try:
            ok = variables is None or isinstance(json.loads(variables), dict)
        except ValueError:
            ok = False
        return None if ok else TwilioError(400, 21656, "The ContentVariables Parameter is invalid")

    def _resource(self, call: Call) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC))
        service = call.one("MessagingServiceSid")
        return {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": call.one("Body") or "",
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": call.one("From"), "messaging_service_sid": service,
            "num_media": str(len(call.form.get("MediaUrl", []))), "num_segments": "1", "price": None,
            "price_unit": None, "sid": sid, "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": call.one("To"), "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


@asynccontextmanager
async def twilio_api(account_sid: str, auth_token: str) -> AsyncIterator[FakeTwilioApi]:
    """Serve a FakeTwilioApi on a free port for the duration of the context."""
    fake = FakeTwilioApi(account_sid, auth_token, port=free_port())
    app = Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", fake.create_message, methods=["POST"])])
    async with serving(app, fake.port):
        yield fake
