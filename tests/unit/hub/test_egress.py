"""The connect-time check: every resolved address is checked, the socket goes to a checked one, and no other
road (an address literal, a redirect, a unix socket, the environment's proxy) leads around the check."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path
from urllib.parse import quote

import pytest

from hub.egress import Resolver, check_destination, checked_addresses, guarded_client
from models.egress import EgressError, EgressPolicy, EgressTimeout, IPAddress, RefusedDestination
from tests.fakes.http_receiver import HttpReceiver, free_port, http_receiver

JSON = {"content-type": "application/json"}


def dns(*answers: str) -> Resolver:
    """A resolver that answers these addresses for every name."""
    async def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in answers]
    return resolve


async def no_dns(host: str, port: int) -> list[IPAddress]:
    """A resolver that must not be asked: the host is an address."""
    raise AssertionError(f"asked DNS about {host}")


async def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(RefusedDestination, match=r"crm\.example resolves to 10\.1\.2\.3 is private"):
        await checked_addresses("crm.example", 443, EgressPolicy(), dns("93.184.216.34", "10.1.2.3"))


async def test_an_allowed_host_name_may_resolve_anywhere() -> None:
    found = await checked_addresses("crm.corp", 80, EgressPolicy(allow=("crm.corp",)), dns("10.1.2.3"))
    assert found == [ipaddress.ip_address("10.1.2.3")]


async def test_a_name_without_an_answer_yet_is_accepted_at_registration() -> None:
    async def nothing(host: str, port: int) -> list[IPAddress]:
        raise OSError("Name or service not known")

    assert await check_destination("https://not-yet.example/h", EgressPolicy(), nothing) == "https://not-yet.example/h"


async def test_the_connection_falls_back_to_the_next_checked_address(receiver: HttpReceiver) -> None:
    # 127.0.0.2 answers nothing on this port: the next address, also allowed, takes the request.
    policy = EgressPolicy(allow=("127.0.0.0/8",))
    async with guarded_client(policy, timeout=2.0, resolver=dns("127.0.0.2", "127.0.0.1")) as client:
        reply = await client.post(f"http://crm.corp:{receiver.port}/x", b"{}", JSON)
    assert reply.status == 200 and len(receiver.requests) == 1


async def test_a_name_resolving_to_one_private_address_is_refused_before_any_connection(
    receiver: HttpReceiver,
) -> None:
    async with guarded_client(EgressPolicy(), timeout=2.0, resolver=dns("93.184.216.34", "127.0.0.1")) as client:
        with pytest.raises(EgressError, match=r"^ConnectError: destination refused: crm\.example resolves to "
                                              r"127\.0\.0\.1 is loopback"):
            await client.post(f"http://crm.example:{receiver.port}/x", b"{}", JSON)
    assert receiver.requests == []


async def test_redirects_are_not_followed_to_wherever_they_point(receiver: HttpReceiver) -> None:
    receiver.script.append((302, {"location": "http://169.254.169.254/latest/meta-data/"}))
    async with guarded_client(EgressPolicy(allow=("127.0.0.1",)), timeout=2.0) as client:
        reply = await client.post(f"http://127.0.0.1:{receiver.port}/hooks", b"{}", JSON)
    assert reply.status == 302 and len(receiver.requests) == 1


@pytest.mark.parametrize(("host", "reason"), [
    ("169.254.169.254", r"169\.254\.169\.254 is link-local"),
    ("127.0.0.1", r"127\.0\.0\.1 is loopback"),
    ("[::1]", r"::1 is loopback"),
    ("[::ffff:169.254.169.254]", r"is link-local .*169\.254\.169\.254 inside an IPv6 address"),
    ("[::ffff:127.0.0.1]", r"is loopback \(127\.0\.0\.1 inside an IPv6 address\)"),
    ("[fe80::1%25eth0]", r"fe80::1 is link-local"),
    ("127.1", r"'127\.1' is not an address written the usual way"),
    ("2130706433", r"'2130706433' is not an address written the usual way"),
    ("127.0.0.1.", r"'127\.0\.0\.1\.' is not an address written the usual way"),
])
async def test_a_literal_address_is_checked_without_dns(receiver: HttpReceiver, host: str, reason: str) -> None:
    # aiohttp connects to an address literal without asking the resolver: the client checks it first.
    async with guarded_client(EgressPolicy(), timeout=2.0, resolver=no_dns) as client:
        with pytest.raises(EgressError, match=r"^ConnectError: destination refused: .*" + reason):
            await client.post(f"http://{host}:{receiver.port}/hooks", b"{}", JSON)
    assert receiver.requests == []


async def test_a_unix_socket_is_never_a_destination(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    connections: list[str] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append("connected")
        writer.close()

    server = await asyncio.start_unix_server(record, path=str(path))
    async with server, guarded_client(EgressPolicy(allow=("127.0.0.0/8", "localhost")), timeout=2.0) as client:
        for url in (f"http+unix://{quote(str(path), safe='')}/containers/json", f"unix://{path}",
                    f"unix:{path}"):
            with pytest.raises(EgressError, match="UnsupportedProtocol"):
                await client.post(url, b"{}", JSON)
    assert connections == []


async def test_the_environments_proxy_is_not_used(receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    async with http_receiver() as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url)
        async with guarded_client(EgressPolicy(allow=("127.0.0.1",)), timeout=2.0) as allowed:
            reply = await allowed.post(f"{receiver.url}/hooks", b"{}", JSON)
        async with guarded_client(EgressPolicy(), timeout=2.0, resolver=dns("10.0.0.1")) as refusing:
            with pytest.raises(EgressError, match="destination refused"):
                await refusing.post("http://crm.example/hooks", b"{}", JSON)

    assert reply.status == 200 and len(receiver.requests) == 1 and proxy.requests == []


async def test_the_request_keeps_the_name_and_the_senders_headers(receiver: HttpReceiver) -> None:
    asked: list[str] = []

    async def local(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    async with guarded_client(EgressPolicy(allow=("127.0.0.0/8",)), timeout=2.0, resolver=local) as client:
        for _ in range(2):
            await client.post(f"http://crm.corp.example:{receiver.port}/hooks", b'{"a": 1}',
                              {**JSON, "idempotency-key": "k1"})

    first, second = receiver.requests
    assert first.headers["host"] == f"crm.corp.example:{receiver.port}" and first.headers["idempotency-key"] == "k1"
    assert first.body == second.body == b'{"a": 1}' and asked == ["crm.corp.example"]


async def test_no_cookie_of_one_destination_travels_with_the_next_request(receiver: HttpReceiver) -> None:
    receiver.script.append((200, {"set-cookie": "session=tenant-a; Path=/"}))
    async with guarded_client(EgressPolicy(allow=("127.0.0.1",)), timeout=2.0, resolver=dns("127.0.0.1")) as client:
        for _ in range(2):
            await client.post(f"http://crm.example:{receiver.port}/hooks", b"{}", JSON)

    assert ["cookie" in r.headers or "accept-encoding" in r.headers for r in receiver.requests] == [False, False]


async def test_an_answer_is_a_reply_whatever_its_status(receiver: HttpReceiver) -> None:
    receiver.script.append((503, {"retry-after": "7"}))
    async with guarded_client(EgressPolicy(allow=("127.0.0.1",)), timeout=2.0) as client:
        reply = await client.post(f"{receiver.url}/hooks", b"{}", JSON)
    assert (reply.status, reply.retry_after) == (503, "7")


async def test_no_answer_is_an_egress_error_naming_what_failed(receiver: HttpReceiver) -> None:
    receiver.delay = 1.0
    async with guarded_client(EgressPolicy(allow=("127.0.0.1",)), timeout=2.0) as client:
        with pytest.raises(EgressTimeout, match="ReadTimeout"):
            await client.post(f"{receiver.url}/slow", b"{}", JSON, timeout=0.2)
        with pytest.raises(EgressError, match=r"^ConnectError: "):
            await client.post(f"http://127.0.0.1:{free_port()}/closed", b"{}", JSON)
