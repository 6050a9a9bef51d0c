"""Where Otklik may send HTTP requests that a third party chose: webhook subscriptions, API-channel callbacks.

A destination named by an API caller must not reach our own network (SSRF): loopback, private ranges,
link-local (the cloud metadata service at 169.254.169.254), carrier-grade NAT, multicast, reserved. The
check runs twice: on the URL when it is registered (`check_url`, pure: no DNS here) and on every address
its host name resolves to when a connection is opened (`check_address`, called by hub/egress.py), so a
name that turns private after registration (DNS rebinding) is refused too.

`EgressPolicy.allow` (OTKLIK_OUTBOUND_ALLOW) lists networks and host names an operator trusts, for a CRM on
the intranet: "10.20.0.0/16", "crm.corp.example", ".corp.example" (that domain and its subdomains).

`EgressClient` is what a sender of such requests is given (hub/egress.py builds the one that checks every
connection): one POST, an `EgressReply` for any HTTP answer, `EgressError` (`EgressTimeout`) for none.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Names that are loopback by definition (RFC 6761), refused before any resolver is asked.
_LOOPBACK_NAMES = re.compile(r"(^|\.)localhost\.?$", re.IGNORECASE)
# A host made only of numbers, hex and dots is an address to the C resolver ("2130706433", "0x7f000001",
# "127.1"), though not to `ipaddress`.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+))*\.?$", re.IGNORECASE)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


class RefusedDestination(ValueError):
    """A URL or address Otklik will not send to; the message says why."""


class EgressError(Exception):
    """The destination gave no HTTP answer (refused by the policy, unresolvable, unreachable, cut off); the
    message starts with the kind of failure: "ConnectError: destination refused: ..."."""


class EgressTimeout(EgressError):
    """No answer in time; the message names the phase ("ConnectTimeout", "ReadTimeout")."""


@dataclass(frozen=True)
class EgressReply:
    """The destination's HTTP answer: its status, Retry-After, and the start of its body for error messages."""

    status: int
    retry_after: str | None = None
    text: str = ""


class EgressClient(Protocol):
    """POSTs to a destination a third party chose; never follows redirects."""

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *,
        timeout: float | None = None,  # noqa: ASYNC109 - per phase (connect, each read), not a total limit
    ) -> EgressReply:
        """Send one request; EgressError when no HTTP answer came (`timeout` per phase, else the client's)."""
        ...


class EgressPolicy(BaseModel):
    """The operator's exceptions to "public addresses only"."""

    model_config = ConfigDict(frozen=True)

    allow: tuple[str, ...] = Field(default=())

    @field_validator("allow")
    @classmethod
    def _entries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if not entry or ("/" in entry and _network(entry) is None):
                raise ValueError(f"{entry!r} is neither a network (10.0.0.0/8) nor a host name")
        return tuple(e.strip().lower() for e in value)

    @property
    def networks(self) -> list[Network]:
        """The allowed networks (plain addresses count as one-address networks)."""
        return [n for n in (_network(e) for e in self.allow) if n is not None]

    def allows_host(self, host: str) -> bool:
        """Whether the operator trusts this host name whatever it resolves to."""
        host = host.lower().rstrip(".")
        for entry in self.allow:
            if _network(entry) is not None:
                continue
            if host == entry or (entry.startswith(".") and (host.endswith(entry) or host == entry[1:])):
                return True
        return False

    def allows_address(self, address: IPAddress) -> bool:
        """Whether the address is in a network the operator allowed."""
        return any(address in network for network in self.networks if network.version == address.version)


def check_url(url: str, policy: EgressPolicy) -> str:
    """The URL if it is http(s), carries no credentials and does not name a non-public address; else
    RefusedDestination. Host names are resolved and checked when connecting (hub/egress.py)."""
    parts = _split(url)
    host = parts.hostname or ""
    if policy.allows_host(host):
        return url
    if _LOOPBACK_NAMES.search(host):
        raise RefusedDestination(f"the host {host!r} is this machine (loopback)")
    address = literal_address(host)
    if address is not None:
        check_address(address, policy)
    elif _NUMERIC_HOST.match(host):
        raise RefusedDestination(_numeric_reason(host))
    return url


def check_address(address: IPAddress, policy: EgressPolicy) -> None:
    """RefusedDestination unless the address is public or allowed by the policy."""
    if policy.allows_address(address):
        return
    problem = non_public(address)
    if problem:
        raise RefusedDestination(f"{address} is {problem}; add it to OTKLIK_OUTBOUND_ALLOW if it is trusted")


def non_public(address: IPAddress) -> str | None:
    """Why the address is not a public unicast one (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            why = non_public(embedded)
            return f"{why} ({embedded} inside an IPv6 address)" if why else None
    checks = (("loopback", address.is_loopback), ("unspecified", address.is_unspecified),
              ("link-local (cloud metadata lives here)", address.is_link_local),
              ("multicast", address.is_multicast), ("private", address.is_private),
              ("shared carrier NAT", address in _CGNAT if address.version == 4 else False),
              ("reserved", address.is_reserved), ("not globally routable", not address.is_global))
    return next((what for what, hit in checks if hit), None)


def literal_address(host: str) -> IPAddress | None:
    """The address when the host is an IP literal ("10.0.0.1", "::1" from "[::1]"), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError as e:
        raise RefusedDestination(f"not a valid URL: {e}") from e
    if parts.scheme not in ("http", "https"):
        raise RefusedDestination("the URL must be http:// or https://")
    if not parts.hostname:
        raise RefusedDestination("the URL has no host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise RefusedDestination("the URL must not carry credentials (user:password@); the signature proves "
                                 "who sends")
    return parts


def _numeric_reason(host: str) -> str:
    try:  # pure parsing of the C resolver's number forms, no lookup
        reads_as = ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
    except (OSError, ValueError):
        return f"the host {host!r} is a malformed address"
    why = non_public(reads_as)
    suffix = f", {why}" if why else ""
    return f"the host {host!r} is the address {reads_as} written in an unusual form{suffix}; write it as {reads_as}"


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _network(entry: str) -> Network | None:
    try:
        return ipaddress.ip_network(entry.strip().strip("[]"), strict=False)
    except ValueError:
        return None
