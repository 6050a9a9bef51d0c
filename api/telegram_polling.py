"""`otklik bot telegram --polling`: long polling into this process's hub, with the worker on the in-process bus."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any

from api.wiring import running_hub
from connectors import telegram
from connectors.telegram_polling import TelegramPoller, telegram_account
from hub.core import Hub
from hub.inbound import acceptor
from hub.settings import Settings
from hub.worker import run_worker


async def run_polling(hub: Hub, stop: asyncio.Event, *, account_id: str | None = None, poll_timeout: int = 30,
                      pause: float = 1.0) -> None:
    """Poll the account into the hub, with the worker too on the in-process bus, until `stop` (or a fatal error)."""
    account = telegram_account(hub.accounts, account_id)
    bot = telegram.make_bot(account, timeout=poll_timeout + 10)
    poller = TelegramPoller(acceptor(hub), account, bot, poll_timeout=poll_timeout, pause=pause)

    async def until_done(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        finally:
            stop.set()  # either one ending (a fatal polling error, say) ends the other, gracefully

    work = [until_done(poller.run(stop))]
    if hub.settings.runs_worker_in_api:  # only this process can read an in-process bus
        work.append(until_done(run_worker(hub, stop)))
    try:
        outcomes = await asyncio.gather(*work, return_exceptions=True)
    finally:
        await bot.session.close()
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def serve_polling(settings: Settings, account_id: str | None = None) -> None:
    """Open the hub and poll until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_hub(settings) as hub:
        await run_polling(hub, stop, account_id=account_id)
