"""One IMAP connection for the mail poller, over aioimaplib: connect, log in, select, fetch by UID, IDLE.

Followed: RFC 3501 (IMAP4rev1: SELECT's UIDVALIDITY response code §7.1, UID SEARCH and UID FETCH §6.4.8,
BODY.PEEK[] which leaves \\Seen alone §6.4.5, mailbox names in modified UTF-7 §5.1.3), RFC 2595 (STARTTLS,
then capabilities are asked again), RFC 2177 (IDLE: wake on EXISTS, re-issue at most every 29 minutes).
aioimaplib has no STARTTLS command, so the upgrade is done here with asyncio's `loop.start_tls`.
"""

from __future__ import annotations

import asyncio
import base64
import re
import ssl
from typing import Any

from aioimaplib import aioimaplib

from models.channels import ChannelAccount

IDLE_LIMIT = 29 * 60.0  # RFC 2177: servers may drop an IDLE after 30 minutes
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCH_HEAD = re.compile(rb"^\d+ FETCH \(.*\{(\d+)\}$")
_UID = re.compile(rb"UID (\d+)")


class ImapError(Exception):
    """The IMAP server refused a command, or the connection failed."""


def mailbox_name(name: str) -> str:
    """A mailbox name as an IMAP quoted string, non-ASCII in modified UTF-7 ("Входящие" works)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return '"' + "".join(out).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ssl_context(ca_file: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


class ImapSession:
    """A logged-in connection with the account's mailbox selected; `uidvalidity` as the server reported it."""

    def __init__(self, client: Any, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        self.uidvalidity = 0
        self.lost = asyncio.Event()
        self.plain_transport: Any = None  # the TCP transport under STARTTLS
        # The server reported EXISTS since the last search: mail may have arrived after it.
        self.news = False

    @classmethod
    async def open(cls, account: ChannelAccount, *, seconds: float = 30.0) -> ImapSession:
        """Connect (ssl, starttls or none per options "imap_tls"), LOGIN and SELECT options "mailbox";
        `seconds` bounds every command."""
        options = account.options
        tls = options.get("imap_tls", "ssl")
        host = str(options["imap_host"])
        port = int(options.get("imap_port") or (993 if tls == "ssl" else 143))
        context = _ssl_context(options.get("ca_file")) if tls != "none" else None
        session = cls(None, seconds)
        try:
            session.client = aioimaplib.IMAP4(host, port, timeout=seconds, conn_lost_cb=lambda _e: session.lost.set(),
                                              ssl_context=context if tls == "ssl" else None)
            await session._call("connect", session.client.wait_hello_from_server())
            if tls == "starttls":
                assert context is not None
                await session._starttls(context, host)
            user = str(options.get("imap_user") or options["address"])
            await session._ok("LOGIN", session.client.login(user, account.token.get_secret_value()))
            selected = await session._ok("SELECT", session.client.select(mailbox_name(options.get("mailbox", "INBOX"))))
        except BaseException:
            await session.close()
            raise
        found = next((m for m in map(_UIDVALIDITY.search, _lines(selected)) if m), None)
        session.uidvalidity = int(found.group(1)) if found else 0
        session._watch_for_exists()
        return session

    def _watch_for_exists(self) -> None:
        """Note every untagged EXISTS, wherever it arrives.

        aioimaplib drops an EXISTS that comes between commands or beside a SEARCH ("ignored untagged
        response"): mail delivered while we searched would then wait for the next IDLE timeout. This
        instance-level hook on its line handler is the one seam the library leaves for it.
        """
        protocol = self.client.protocol
        original = protocol._untagged_response

        def observe(line: bytes) -> Any:
            if _EXISTS.match(line.removeprefix(b"* ")):
                self.news = True
            return original(line)

        protocol._untagged_response = observe

    @property
    def can_idle(self) -> bool:
        """Whether the server's CAPABILITY lists IDLE."""
        return bool(self.client.has_capability("IDLE"))

    async def uids_after(self, uid: int) -> list[int]:
        """UIDs of the mailbox's messages above `uid`, ascending."""
        self.news = False
        response = await self._ok("UID SEARCH", self.client.uid_search("UID", f"{uid + 1}:*", charset=None))
        # aioimaplib hands "* SEARCH 4 5" over as b"4 5" (and an empty result as b"")
        found = [int(n) for line in _lines(response)[:-1] for n in line.removeprefix(b"SEARCH").split() if n.isdigit()]
        return sorted(n for n in found if n > uid)  # "n:*" always matches the highest UID, even below n

    async def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        """(uid, raw mail) for these UIDs, without marking them seen."""
        response = await self._ok("UID FETCH", self.client.uid("fetch", ",".join(map(str, uids)), "(UID BODY.PEEK[])"))
        lines: list[Any] = list(response.lines)
        mails: list[tuple[int, bytes]] = []
        for i, line in enumerate(lines[:-1]):
            nxt = lines[i + 1]
            if isinstance(line, bytes) and _FETCH_HEAD.match(line) and isinstance(nxt, bytearray | bytes):
                closing = lines[i + 2] if i + 2 < len(lines) and isinstance(lines[i + 2], bytes) else b""
                uid = _UID.search(line) or _UID.search(closing)
                if uid:
                    mails.append((int(uid.group(1)), bytes(nxt)))
        return sorted(mails)

    async def wait_for_news(self, stop: asyncio.Event, seconds: float) -> None:
        """IDLE until the server reports new mail (EXISTS), `seconds` pass or `stop` is set."""
        queue = self.client.protocol.idle_queue
        leftovers = []
        while not queue.empty():  # pushed after the previous IDLE ended, perhaps after the last search
            leftovers.append(queue.get_nowait())
        if self.news or any(_reports_exists(x) for x in leftovers if x != aioimaplib.STOP_WAIT_SERVER_PUSH):
            return  # mail came in while we were reading: read again before idling
        idle = await self._call("IDLE", self.client.idle_start(timeout=min(seconds, IDLE_LIMIT)))
        try:
            while not stop.is_set():
                push = asyncio.ensure_future(self.client.wait_server_push(timeout=IDLE_LIMIT + 60))
                waits = [push, asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.lost.wait())]
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                for task in waits:
                    task.cancel()
                if self.lost.is_set():
                    raise ImapError("connection lost while idling")
                if not push.done() or push.cancelled() or push.exception() is not None:
                    continue
                pushed = push.result()
                if pushed == aioimaplib.STOP_WAIT_SERVER_PUSH or _reports_exists(pushed):
                    return
        finally:
            if not self.lost.is_set() and self.client.has_pending_idle():
                self.client.idle_done()
            if self.lost.is_set():
                idle.cancel()
            else:
                await self._call("DONE", asyncio.wait_for(idle, self.timeout))

    async def noop(self) -> None:
        """Keep the connection alive and let the server report new mail."""
        await self._ok("NOOP", self.client.noop())

    async def close(self) -> None:
        """LOGOUT when possible; always release the socket."""
        client = self.client
        if client is None:
            return
        try:
            if not self.lost.is_set() and client.protocol.state in (aioimaplib.AUTH, aioimaplib.SELECTED):
                await asyncio.wait_for(client.logout(), 5)
        except (aioimaplib.AioImapException, OSError, TimeoutError):
            pass  # closing anyway
        finally:
            if not client._client_task.done():  # still connecting: stop trying
                client._client_task.cancel()
            for transport in (client.protocol.transport, self.plain_transport):
                if transport is not None:  # the TLS layer's close would need the loop to close the socket under it
                    transport.close()

    async def _starttls(self, context: ssl.SSLContext, host: str) -> None:
        protocol = self.client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapError("the server does not offer STARTTLS")
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        await self._ok("STARTTLS", asyncio.wait_for(protocol.execute(command), self.timeout))
        loop = asyncio.get_running_loop()
        self.plain_transport = protocol.transport
        protocol.transport = await asyncio.wait_for(
            loop.start_tls(protocol.transport, protocol, context, server_hostname=host), self.timeout)
        await self._call("CAPABILITY", asyncio.wait_for(protocol.capability(), self.timeout))

    async def _call(self, what: str, pending: Any) -> Any:
        try:
            return await pending
        except (aioimaplib.AioImapException, TimeoutError, OSError) as e:
            raise ImapError(f"{what}: {type(e).__name__}: {e}") from e

    async def _ok(self, what: str, pending: Any) -> Any:
        response = await self._call(what, pending)
        if response.result != "OK":
            raise ImapError(f"{what} refused: {b' '.join(_lines(response)).decode(errors='replace')[:300]}")
        return response


_EXISTS = re.compile(rb"^\d+ EXISTS\r?\n?$")


def _reports_exists(pushed: Any) -> bool:
    """Whether a server push (a list of lines) announces a new message count."""
    return any(b"EXISTS" in bytes(x) for x in pushed)


def _lines(response: Any) -> list[bytes]:
    return [bytes(line) for line in response.lines if isinstance(line, bytes | bytearray)]
