"""The connect-time check: every resolved address is checked, the socket goes to a checked one."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from hub.egress import Resolver, check_destination, checked_addresses, guarded_client
from models.egress import EgressPolicy, IPAddress, RefusedDestination
from tests.fakes.http_receiver import HttpReceiver


def dns(*answers: str) -> Resolver:
    """A resolver that answers these addresses for every name."""
    async def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in answers]
    return resolve


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
        response = await client.get(f"http://crm.corp:{receiver.port}/x")
    assert response.status_code == 200 and len(receiver.requests) == 1


async def test_redirects_are_not_followed_to_wherever_they_point(receiver: HttpReceiver) -> None:
    receiver.script.append((302, {"location": "http://169.254.169.254/latest/meta-data/"}))
    async with guarded_client(EgressPolicy(allow=("127.0.0.1",)), timeout=2.0) as client:
        response = await client.post(f"http://127.0.0.1:{receiver.port}/hooks", content=b"{}")
    assert response.status_code == 302 and len(receiver.requests) == 1


async def test_a_literal_address_is_checked_without_dns() -> None:
    async with guarded_client(EgressPolicy(), timeout=2.0) as client:
        with pytest.raises(httpx.ConnectError, match=r"169\.254\.169\.254 is link-local"):
            await client.get("http://169.254.169.254/latest/meta-data/")
