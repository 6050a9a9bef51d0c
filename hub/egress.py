"""The HTTP client for destinations third parties choose (webhook URLs, API-channel callbacks).

Its connections go through `GuardedBackend`: the host name is resolved here, every address it resolves to
is checked against `models.egress` (public, or allowed by OTKLIK_OUTBOUND_ALLOW), and the socket is opened
to an address that was checked. The request keeps the name in its Host header and in TLS SNI and certificate
checks, since httpcore takes those from the URL, not from the socket. So a name that resolved to a public
address at registration and to 127.0.0.1 at send time (DNS rebinding) is refused, and there is no second
lookup between the check and the connect for an attacker's DNS to answer differently.

The client ignores proxy settings of the environment: through a proxy the check would see the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import typing
from collections.abc import Awaitable, Callable

import httpcore
import httpx

from models.egress import EgressPolicy, IPAddress, RefusedDestination, check_address, check_url, literal_address

RESOLVE_SECONDS = 5.0
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
    parts = httpx.URL(url)
    with contextlib.suppress(OSError, TimeoutError):  # no DNS answer now
        await checked_addresses(parts.host, parts.port or (443 if parts.scheme == "https" else 80), policy,
                                resolver)
    return url


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the destination check between resolving and connecting."""

    def __init__(self, policy: EgressPolicy, inner: httpcore.AsyncNetworkBackend | None = None,
                 resolver: Resolver = resolve) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve, check every address, connect to the first checked one that answers."""
        try:
            addresses = await checked_addresses(host, port, self.policy, self.resolver)
        except RefusedDestination as e:
            raise httpcore.ConnectError(f"destination refused: {e}") from e
        except (OSError, TimeoutError) as e:
            raise httpcore.ConnectError(f"cannot resolve {host}: {e}") from e
        failure: Exception = httpcore.ConnectError(f"{host} resolves to no address")
        for address in addresses:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                failure = e
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are local by nature: never for a third party's destination."""
        raise httpcore.ConnectError("destination refused: unix sockets are not an outbound destination")

    async def sleep(self, seconds: float) -> None:
        """As the wrapped backend sleeps."""
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that connects through `GuardedBackend`."""

    def __init__(self, policy: EgressPolicy, *, limits: httpx.Limits | None = None,
                 inner: httpcore.AsyncNetworkBackend | None = None, resolver: Resolver = resolve) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own
        super().__init__(trust_env=False, limits=limits)
        # httpx builds its pool without a way to name the network backend: build the same pool with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections, max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=GuardedBackend(policy, inner, resolver))


def guarded_client(policy: EgressPolicy, *, timeout: float, resolver: Resolver = resolve) -> httpx.AsyncClient:
    """An HTTP client that reaches only public addresses (or those the policy allows), never following
    redirects."""
    return httpx.AsyncClient(transport=GuardedTransport(policy, resolver=resolver), timeout=timeout, trust_env=False,
                             follow_redirects=False)
