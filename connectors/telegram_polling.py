"""Development long polling for a Telegram bot: no public URL needed (`otklik bot telegram --polling`).

Bot API (https://core.telegram.org/bots/api), "getUpdates": an update is confirmed by asking again with an
`offset` above its `update_id`; "deleteWebhook" comes first, because getUpdates is refused (409) while a
webhook is set. Each raw update goes through `connectors.telegram.read_update` and the `on_event` callback
(the hub's accept),
exactly like a webhook body; a callback query is answered with "answerCallbackQuery". An update is
confirmed only once its events are on the bus, so a bus outage loses nothing: Telegram hands it out again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import TelegramMethod

from connectors import telegram
from models.channel_events import ChannelEvent
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError, Unavailable

log = logging.getLogger(__name__)


class _GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, with the updates left as Telegram sent them, so they are read exactly like a webhook body."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


OnEvent = Callable[[ChannelEvent], Awaitable[None]]  # takes one event into the hub; raises Unavailable when it can't


def telegram_account(accounts: Sequence[ChannelAccount], account_id: str | None) -> ChannelAccount:
    """The account to poll: the one named, or the only Telegram account; ValueError otherwise."""
    telegram_accounts = {a.id: a for a in accounts if a.channel is Channel.TELEGRAM}
    ids = list(telegram_accounts)
    if account_id is None and len(ids) != 1:
        raise ValueError(f"name the Telegram account with --account (configured: {', '.join(ids) or 'none'})")
    chosen = account_id or ids[0]
    if chosen not in ids:
        raise ValueError(f"no Telegram account {chosen!r} in OTKLIK_ACCOUNTS (configured: {', '.join(ids) or 'none'})")
    return telegram_accounts[chosen]


class TelegramPoller:
    """Long-polls one account's updates into `on_event` until `stop` is set."""

    def __init__(self, on_event: OnEvent, account: ChannelAccount, bot: Bot, *, poll_timeout: int = 30,
                 pause: float = 1.0) -> None:
        self.on_event, self.account, self.bot = on_event, account, bot
        self.poll_timeout = poll_timeout
        self.pause = pause  # after a network error or an outage, before asking again

    async def run(self, stop: asyncio.Event) -> None:
        """Remove the webhook, then fetch, accept and confirm updates until `stop`."""
        await self.bot.delete_webhook()
        log.info("telegram polling started", extra={"account": self.account.id})
        offset: int | None = None
        while not stop.is_set():
            for raw in await self._next_batch(offset, stop):
                if not await self._feed(raw, stop):
                    break  # not accepted: ask again from this update
                offset = _next_offset(raw, offset)
        log.info("telegram polling stopped", extra={"account": self.account.id})

    async def _next_batch(self, offset: int | None, stop: asyncio.Event) -> list[dict[str, Any]]:
        method = _GetRawUpdates(offset=offset, timeout=self.poll_timeout, allowed_updates=telegram.ALLOWED_UPDATES)
        call = asyncio.ensure_future(self.bot(method, request_timeout=self.poll_timeout + 10))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({call, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (call, stopped):
            task.cancel()
            with suppress(asyncio.CancelledError, AiogramError):
                await task
        if stop.is_set() or call.cancelled():
            return []
        try:
            return call.result()
        except TelegramRetryAfter as e:
            await _sleep(float(e.retry_after), stop)
        except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as e:
            log.warning("telegram getUpdates failed; asking again", extra={"reason": str(e)[:300]})
            await _sleep(self.pause, stop)
        return []  # 401 (bad token) and 409 (another poller, a webhook) propagate: they need a person

    async def _feed(self, raw: dict[str, Any], stop: asyncio.Event) -> bool:
        """Accept one update's events; False if the bus is down (the update stays unconfirmed)."""
        try:
            update = telegram.read_update(json.dumps(raw).encode(), self.account)
        except PayloadError as e:
            log.warning("telegram update skipped", extra={"reason": e.reason, "update_id": raw.get("update_id")})
            return True
        try:
            for event in update.events:
                await self.on_event(event)
        except Unavailable as e:
            log.warning("bus unavailable; the update will be fetched again", extra={"reason": e.reason})
            await _sleep(self.pause, stop)
            return False
        if update.callback_query_id is not None:
            await self._answer(update.callback_query_id)
        return True

    async def _answer(self, callback_query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except (TelegramBadRequest, TelegramNetworkError, TelegramServerError) as e:  # too old, or a blip
            log.info("callback query not answered", extra={"reason": str(e)[:300]})


def _next_offset(raw: dict[str, Any], offset: int | None) -> int | None:
    update_id = raw.get("update_id")
    return update_id + 1 if isinstance(update_id, int) else offset


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
