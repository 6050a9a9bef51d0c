"""The HTTP client for destinations third parties choose (webhook URLs, API-channel callbacks).

`GuardedClient` is an aiohttp session whose connector resolves host names through `GuardedResolver`: the
name is resolved here, every address it resolves to is checked against `models.egress` (public, or allowed
by OTKLIK_OUTBOUND_ALLOW), and only checked addresses go back to the connector, which opens the socket to
one of them without a second lookup. A name that resolved to a public address at registration and to
127.0.0.1 at send time (DNS rebinding) is refused. The request keeps the name in its Host header and in TLS
SNI and certificate checks, since aiohttp takes those from the URL, not from the socket.

aiohttp never asks the resolver about a host that looks like an address (digits and dots, or a colon), so
`GuardedClient.post` checks such literals itself before the request, and refuses the ones `ipaddress` does
not read ("127.1", "2130706433": the C library would). The client ignores the environment's proxies (through
a proxy the check would see the proxy), keeps no cookies, never follows redirects, and speaks only http and
https over TCP (no unix sockets).

aiohttp rather than httpx for its cost: about a quarter of httpx's CPU per POST (bench/egress_client.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from models.egress import (
    EgressError,
    EgressPolicy,
    EgressReply,
    EgressTimeout,
    IPAddress,
    RefusedDestination,
    check_address,
    check_url,
    literal_address,
)

RESOLVE_SECONDS = 5.0
BODY_HEAD = 4096  # bytes of a reply's body read for error messages; the rest is not read
MAX_CONNECTIONS = 100  # httpx's default, which this client had before
KEEPALIVE_SECONDS = 5.0  # likewise
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]  # (host, port) -> addresses; tests pass their own DNS


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host name resolves to (a literal resolves to itself); OSError or TimeoutError when it
    does not."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(RESOLVE_SECONDS):
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found = (literal_address(str(info[4][0])) for info in infos)
    return list(dict.fromkeys(a for a in found if a is not None))


async def checked_addresses(
    host: str, port: int, policy: EgressPolicy, resolver: Resolver = resolve
) -> list[IPAddress]:
    """The host's addresses if every one may be reached; RefusedDestination naming the first that may not."""
    addresses = await resolver(host, port)
    if not policy.allows_host(host):
        for address in addresses:
            try:
                check_address(address, policy)
            except RefusedDestination as e:
                raise RefusedDestination(f"{host} resolves to {e}") from e
    return addresses


async def check_destination(url: str, policy: EgressPolicy, resolver: Resolver = resolve) -> str:
    """Registration-time check of a URL: its form, then what its host resolves to now.

    A name that does not resolve yet is accepted: the check at connect time still guards every send.
    """
    check_url(url, policy)
    parts = URL(url)
    with contextlib.suppress(OSError, TimeoutError):  # no DNS answer now
        await checked_addresses(parts.raw_host or "", parts.port or 80, policy, resolver)
    return url


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver with the destination check: answers only addresses the policy lets us reach."""

    def __init__(self, policy: EgressPolicy, resolver: Resolver = resolve) -> None:
        self.policy = policy
        self.resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The checked addresses, or EgressError (not an OSError, so aiohttp passes it on unchanged)."""
        try:
            addresses = await checked_addresses(host, port, self.policy, self.resolver)
        except RefusedDestination as e:
            raise EgressError(f"ConnectError: destination refused: {e}") from e
        except (OSError, TimeoutError) as e:
            raise EgressError(f"ConnectError: cannot resolve {host}: {e}") from e
        if not addresses:
            raise EgressError(f"ConnectError: {host} resolves to no address")
        return [ResolveResult(hostname=host, host=str(a), port=port, proto=0, flags=socket.AI_NUMERICHOST,
                              family=socket.AF_INET6 if a.version == 6 else socket.AF_INET) for a in addresses]

    async def close(self) -> None:
        """Nothing to release."""


class GuardedClient:
    """POSTs to destinations a third party chose, reaching only addresses the policy allows (`EgressClient`)."""

    def __init__(self, policy: EgressPolicy, *, timeout: float, resolver: Resolver = resolve) -> None:
        self.policy = policy
        self.resolver = GuardedResolver(policy, resolver)
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None  # opened on first use: it needs the running loop

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *,
        timeout: float | None = None,  # noqa: ASYNC109 - per phase (connect, each read), not a total limit
    ) -> EgressReply:
        """One POST; EgressError (EgressTimeout) when no HTTP answer came, whatever the status when one did."""
        target = self._target(url)
        try:
            async with self._opened().post(target, data=body, headers=headers, allow_redirects=False,
                                           timeout=_timeouts(timeout or self.timeout)) as response:
                return EgressReply(response.status, response.headers.get("retry-after"), await _head(response))
        except EgressError:
            raise
        except aiohttp.ConnectionTimeoutError as e:
            raise EgressTimeout("ConnectTimeout") from e
        except aiohttp.SocketTimeoutError as e:
            raise EgressTimeout("ReadTimeout") from e
        except TimeoutError as e:
            raise EgressTimeout("Timeout") from e
        except (aiohttp.ClientError, OSError, ValueError) as e:
            raise EgressError(f"{_kind(e)}: {e}" if str(e) else _kind(e)) from e

    def _target(self, url: str) -> URL:
        """The URL, its scheme and (when the host is an address) its address checked before any socket."""
        try:
            target = URL(url)
        except (ValueError, TypeError) as e:
            raise EgressError(f"InvalidURL: {e}") from e
        if target.scheme not in ("http", "https") or not target.raw_host:
            raise EgressError(f"UnsupportedProtocol: only http:// and https:// URLs with a host, not {url!r}")
        host = target.raw_host
        if self.policy.allows_host(host):
            return target
        literal = literal_address(host)
        try:
            if literal is not None:
                check_address(literal, self.policy)
            elif ":" in host or host.replace(".", "").isdigit():  # aiohttp would skip the resolver for it
                raise RefusedDestination(f"the host {host!r} is not an address written the usual way")
        except RefusedDestination as e:
            raise EgressError(f"ConnectError: destination refused: {e}") from e
        return target

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=self.resolver, limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS,
                ssl=httpx.create_ssl_context(trust_env=False))  # the same CA bundle (certifi) as before
            # No compressed answers: only the start of an error's body is read, and a small one cannot unpack
            # into a large one. No cookie jar: one destination's cookies never travel to the next request.
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                skip_auto_headers=("Accept-Encoding",), timeout=_timeouts(self.timeout))
        return self._session

    async def aclose(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> GuardedClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def guarded_client(policy: EgressPolicy, *, timeout: float, resolver: Resolver = resolve) -> GuardedClient:
    """An HTTP client that reaches only public addresses (or those the policy allows), never following
    redirects."""
    return GuardedClient(policy, timeout=timeout, resolver=resolver)


def _timeouts(seconds: float) -> aiohttp.ClientTimeout:
    """Each phase within `seconds`, as httpx's single timeout meant (pool and connect, then each read)."""
    return aiohttp.ClientTimeout(total=None, connect=seconds, sock_connect=seconds, sock_read=seconds)


async def _head(response: aiohttp.ClientResponse) -> str:
    """The start of the body, read whole when short, so the connection can serve the next request."""
    head = bytearray()
    while len(head) < BODY_HEAD and not response.content.at_eof():
        chunk = await response.content.readany()
        if not chunk:
            break
        head += chunk
    try:
        return bytes(head[:BODY_HEAD]).decode(response.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return bytes(head[:BODY_HEAD]).decode("utf-8", errors="replace")


def _kind(error: BaseException) -> str:
    """httpx's name for the failure, so messages read as they did: ConnectError, RemoteProtocolError, ..."""
    if isinstance(error, aiohttp.ClientConnectorError):
        return "ConnectError"
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return "RemoteProtocolError"
    if isinstance(error, aiohttp.InvalidURL | ValueError):
        return "InvalidURL"
    if isinstance(error, aiohttp.ClientOSError | OSError):
        return "NetworkError"
    return type(error).__name__
