"""Viber webhook: verify the signature, parse, queue, answer 200 (with the welcome message, if any).

Viber signs every callback with `X-Viber-Content-Signature` (see connectors/viber.py). A conversation_started
callback may be answered with a welcome message in the response body ("Sending a welcome message");
nothing is stored for it, as the shopper has not written yet.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import HubDep, read_body
from connectors import viber
from hub.inbound import accept
from models.channels import Channel

router = APIRouter(prefix="/webhooks/viber", tags=["viber"])


@router.post("/{account_id}", response_model=None)
async def viber_webhook(account_id: str, request: Request, hub: HubDep) -> Response:
    """Take one Viber callback; 401 if unsigned, 422 if malformed, else 200 fast (the worker does the rest)."""
    account = hub.account(Channel.VIBER, account_id)
    body = await read_body(request, hub.settings.max_body_bytes)
    viber.verify(request.headers, body, account.token.get_secret_value(), window=viber.replay_window(account))
    for event in viber.parse_inbound(body, account):
        await accept(event, hub)
    welcome = viber.welcome_message(body, account)
    return Response(status_code=200) if welcome is None else JSONResponse(welcome)
