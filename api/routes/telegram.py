"""Telegram webhook: verify the secret-token header, read the Update, queue its events, answer at once.

A callback query is answered in the webhook's response itself (Bot API, "Making requests when getting
updates"): `{"method": "answerCallbackQuery", ...}` costs no extra request and stops the button's spinner.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import HubDep, read_body
from connectors import telegram
from hub.inbound import accept
from models.channels import Channel

router = APIRouter(prefix="/webhooks/telegram", tags=["telegram"])


@router.post("/{account_id}", response_model=None)
async def telegram_webhook(account_id: str, request: Request, hub: HubDep) -> Response:
    """Accept one Update for the bot `account_id`; 401 without the right secret token, 422 if not an Update."""
    account = hub.account(Channel.TELEGRAM, account_id)
    telegram.verify(request.headers, account)
    update = telegram.read_update(await read_body(request, hub.settings.max_body_bytes), account)
    for event in update.events:
        await accept(event, hub)
    answer = update.webhook_answer()
    return Response(status_code=200) if answer is None else JSONResponse(answer)
