"""The long-running IMAP reader of one e-mail account: every new mail in, in order, exactly once in effect.

Each pass reads the UIDs above the saved cursor (`stores.cursors`, "email:<account>:<mailbox>" =
{"uidvalidity", "uid"}), parses each mail (`connectors.mail.parse_inbound`, attachments written to
the account's attachments folder), hands its events to `on_event` (the hub's accept: onto the inbound
stream) and only then saves the
cursor: at least once, and a mail re-read after a crash is dropped by ingest's dedupe on its Message-ID.
A changed UIDVALIDITY (RFC 3501 §2.3.1.1: the UIDs were renumbered) restarts from the first mail, which
dedupe makes harmless. Between passes it IDLEs where the server offers it (RFC 2177), else polls every
options "poll_interval" seconds (default 30); errors reconnect with backoff; `stop` ends it promptly.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from connectors.mail import AttachmentFolder, parse_inbound
from connectors.mail_imap import IDLE_LIMIT, ImapError, ImapSession
from models.channel_events import ChannelEvent
from models.channels import ChannelAccount
from models.errors import PayloadError, Unavailable
from models.sending import CursorStore

log = logging.getLogger(__name__)

OnEvent = Callable[[ChannelEvent], Awaitable[None]]  # takes one event into the hub; raises Unavailable when it can't

DEFAULT_POLL_INTERVAL = 30.0
DEFAULT_BATCH = 25
MAX_BACKOFF = 300.0
# Failures a reconnect may cure: the server, the network, the store or the bus coming back.
RECOVERABLE = (ImapError, OSError, TimeoutError, Unavailable)


@dataclass(frozen=True)
class Cursor:
    """Where reading stopped: the mailbox's UIDVALIDITY and the last UID whose mail was accepted."""

    uidvalidity: int
    uid: int

    @staticmethod
    def name(account: ChannelAccount) -> str:
        """The cursor's key in the store."""
        return f"email:{account.id}:{account.options.get('mailbox', 'INBOX')}"

    @classmethod
    async def load(cls, store: CursorStore, account: ChannelAccount) -> Cursor:
        """The saved cursor, or the start of the mailbox when none (or an unreadable one) is saved."""
        saved = await store.get(cls.name(account))
        try:
            data = json.loads(saved) if saved else {}
            return cls(int(data.get("uidvalidity", 0)), int(data.get("uid", 0)))
        except (ValueError, TypeError, AttributeError):
            return cls(0, 0)

    async def save(self, store: CursorStore, account: ChannelAccount) -> None:
        """Persist the cursor."""
        await store.set(self.name(account), json.dumps({"uidvalidity": self.uidvalidity, "uid": self.uid}))


async def run_mail_poller(on_event: OnEvent, cursors: CursorStore, account: ChannelAccount,
                          stop: asyncio.Event) -> None:
    """Read the account's mailbox until `stop` is set: a pass, then IDLE or a pause, and again."""
    delay = 1.0
    while not stop.is_set():
        try:
            session = await _open_unless_stopped(account, stop)
            if session is None:
                return
            try:
                delay = 1.0
                log.info("mail poller connected", extra={"account": account.id, "idle": session.can_idle})
                while not stop.is_set():
                    await _drain(session, on_event, cursors, account, stop)
                    await _wait(session, account, stop)
            finally:
                await session.close()
        except RECOVERABLE as e:
            log.warning("mail poller: reconnecting", extra={"account": account.id, "error": str(e), "pause": delay})
            await _pause(stop, delay)
            delay = min(delay * 2, MAX_BACKOFF)


async def _open_unless_stopped(account: ChannelAccount, stop: asyncio.Event) -> ImapSession | None:
    """Connect and log in; None if `stop` is set first (an unreachable server must not delay shutdown)."""
    opening = asyncio.ensure_future(ImapSession.open(account))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([opening, stopping], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if opening.done():
        return opening.result()
    opening.cancel()
    with suppress(asyncio.CancelledError, *RECOVERABLE):
        await opening
    return None


async def poll_once(on_event: OnEvent, cursors: CursorStore, account: ChannelAccount, *,
                    accepted: list[ChannelEvent] | None = None) -> int:
    """One pass over the mailbox; how many mails were accepted (their events appended to `accepted`)."""
    session = await ImapSession.open(account)
    try:
        return await _drain(session, on_event, cursors, account, None, accepted)
    finally:
        await session.close()


async def _drain(
    session: ImapSession, on_event: OnEvent, cursors: CursorStore, account: ChannelAccount, stop: asyncio.Event | None,
    accepted: list[ChannelEvent] | None = None,
) -> int:
    """Accept every mail above the cursor, saving the cursor after each one."""
    cursor = await Cursor.load(cursors, account)
    if cursor.uidvalidity != session.uidvalidity:
        if cursor.uidvalidity:
            log.warning("mailbox UIDVALIDITY changed: reading it again from the start",
                        extra={"account": account.id, "was": cursor.uidvalidity, "now": session.uidvalidity})
        cursor = Cursor(session.uidvalidity, 0)
    folder = AttachmentFolder.of(account)
    batch = max(1, int(account.options.get("fetch_batch", DEFAULT_BATCH)))
    uids = await session.uids_after(cursor.uid)
    count = 0
    for start in range(0, len(uids), batch):
        for uid, raw in await session.fetch(uids[start:start + batch]):
            if stop is not None and stop.is_set():
                return count
            events = await _read(raw, uid, account, folder)
            for event in events:
                await on_event(event)
            cursor = Cursor(cursor.uidvalidity, uid)
            await cursor.save(cursors, account)
            count += bool(events)
            if accepted is not None:
                accepted.extend(events)
    return count


async def _read(raw: bytes, uid: int, account: ChannelAccount, folder: AttachmentFolder) -> list[ChannelEvent]:
    """Parse off the event loop (big mails, attachment writes); an unreadable mail is logged and skipped."""
    try:
        return await asyncio.to_thread(parse_inbound, raw, account, keep=folder.write)
    except PayloadError as e:
        log.warning("mail skipped: unreadable", extra={"account": account.id, "uid": uid, "reason": e.reason})
        return []


async def _wait(session: ImapSession, account: ChannelAccount, stop: asyncio.Event) -> None:
    """Until there may be new mail: IDLE where offered (and not switched off), else the poll interval."""
    if session.can_idle and account.options.get("imap_idle", True):
        await session.wait_for_news(stop, float(account.options.get("idle_timeout", IDLE_LIMIT)))
        return
    await _pause(stop, float(account.options.get("poll_interval", DEFAULT_POLL_INTERVAL)))
    if not stop.is_set():
        await session.noop()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
