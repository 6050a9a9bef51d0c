"""`otklik mail ...`: read the e-mail accounts' mailboxes over IMAP (IDLE or polling)."""

from __future__ import annotations

import asyncio
import signal
import time
from contextlib import suppress
from typing import Annotated

import typer

from api.commands.environment import load_settings
from api.wiring import running_hub
from connectors.mail_poller import RECOVERABLE, poll_once, run_mail_poller
from hub.core import Hub
from hub.inbound import acceptor
from hub.logs import configure_logging
from hub.settings import Settings
from hub.worker import run_worker
from models.channel_events import ChannelEvent
from models.channels import Channel
from models.messages import DeliveryStatus, Direction, InboundMessage

app = typer.Typer(help="E-mail accounts: read their mailboxes over IMAP.", no_args_is_help=True)


@app.callback()
def mail() -> None:
    """E-mail accounts: read their mailboxes over IMAP (IDLE where offered, else polling)."""

SETTLE_SECONDS = 60.0


@app.command()
def poll(
    account: Annotated[str | None, typer.Option(help="Only this e-mail account (default: all of them).")] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass over the mailbox, then exit (for cron).")] = False,
) -> None:
    """Read new mail into Otklik until SIGTERM (on the in-process bus the worker runs here too)."""

    settings = load_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    raise typer.Exit(asyncio.run(_poll(settings, account, once=once)))


async def _poll(settings: Settings, account_id: str | None, *, once: bool) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_hub(settings) as hub:
        accounts = [a for a in hub.accounts if a.channel is Channel.EMAIL and account_id in (None, a.id)]
        if not accounts:
            typer.echo(f"no e-mail account {account_id or ''} in OTKLIK_ACCOUNTS".replace("  ", " "), err=True)
            return 2
        worker = asyncio.create_task(run_worker(hub, stop)) if settings.runs_worker_in_api else None
        try:
            if not once:
                await asyncio.gather(*(run_mail_poller(acceptor(hub), hub.stores.cursors, a, stop) for a in accounts))
                return 0
            accepted: list[ChannelEvent] = []
            failed = 0
            for account in accounts:
                try:
                    count = await poll_once(acceptor(hub), hub.stores.cursors, account, accepted=accepted)
                except RECOVERABLE as e:
                    typer.echo(f"{account.id}: {e}", err=True)
                    failed += 1
                    continue
                typer.echo(f"{account.id}: {count} new mail(s)")
            if worker is not None:  # the worker here must finish what this pass queued before we exit
                await _settle(hub, accepted, stop)
            return 1 if failed else 0
        finally:
            stop.set()
            if worker is not None:
                with suppress(asyncio.CancelledError):
                    await asyncio.wait_for(worker, timeout=10)


async def _settle(hub: Hub, accepted: list[ChannelEvent], stop: asyncio.Event) -> None:
    """Wait until the accepted mails are handled and their conversations have nothing left to send."""
    inbound = [e for e in accepted if isinstance(e, InboundMessage)]
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and not stop.is_set():
        if await _settled(hub, inbound):
            return
        await asyncio.sleep(0.1)
    typer.echo("some mail is still being processed; it resumes on the next start", err=True)


async def _settled(hub: Hub, inbound: list[InboundMessage]) -> bool:
    messages = hub.stores.messages
    for msg in inbound:
        stored = await messages.find_external(msg.channel, msg.account_id, Direction.INBOUND, msg.external_id)
        if stored is None or not stored.handled:
            return False
        thread = await messages.list_for_conversation(stored.conversation_id)
        if any(m.status is DeliveryStatus.PENDING for m in thread):
            return False
    return True
