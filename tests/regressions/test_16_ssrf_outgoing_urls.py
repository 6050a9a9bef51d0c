"""Issue 16, finding 1: a `webhooks:manage` token registered loopback, private, metadata and credential URLs,
and the dispatcher POSTed signed events to loopback. Such URLs are refused at registration (422 with a
reason), and every connection is checked again after DNS resolution, so a name that turns private later
(DNS rebinding) is refused too. OTKLIK_OUTBOUND_ALLOW lets an operator reach a trusted intranet CRM."""

from __future__ import annotations

import ipaddress
from typing import Any

import httpx
import pytest

from connectors import SenderContext, build_senders
from hub.egress import check_destination, guarded_client
from models.channels import Channel, ChannelAccount
from models.egress import EgressError, EgressPolicy, IPAddress
from models.errors import SendError
from models.messages import OutboundMessage
from models.webhooks import Subscription
from tests.fakes.http_receiver import HttpReceiver
from tests.fakes.webhook_receiver import webhook_receiver
from tests.integration.helpers import eventually
from tests.integration.helpers_webhooks import fast_settings, manage_token, say

# The URLs the audit registered, with the receiver's port where it had one.
AUDIT_URLS = [
    "http://127.0.0.1:{port}/otklik/webhooks", "http://localhost:{port}/otklik/webhooks",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hooks", "http://[::ffff:169.254.169.254]/hooks",
    "http://0x7f000001:{port}/otklik/webhooks", "http://2130706433:{port}/otklik/webhooks",
    "https://user:pass@crm.example.ru/hooks",
]


class FlippingDns:
    """A resolver that answers a public address first and then loopback: DNS rebinding."""

    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(a) for a in answers]
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return [self.answers[min(len(self.asked), len(self.answers)) - 1]]


@pytest.mark.parametrize("template", AUDIT_URLS)
async def test_a_non_public_webhook_url_is_refused_at_registration_with_a_reason(
    make_settings: Any, start_app: Any, template: str
) -> None:
    async with start_app(fast_settings(make_settings, outbound_allow=[])) as running, webhook_receiver() as crm:
        url = template.format(port=crm.port)
        response = await running.client.post("/api/v1/webhooks", json={"url": url, "events": ["*"]},
                                             headers=await manage_token(running))
        stored = await running.hub.stores.webhooks.list_subscriptions()

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_payload" and error["reason"].startswith("url: ")
    assert stored == []


async def test_the_dispatcher_does_not_post_to_loopback_even_for_a_subscription_stored_earlier(
    make_settings: Any, start_app: Any
) -> None:
    async with start_app(fast_settings(make_settings, webhook_max_attempts=1, outbound_allow=[])) as running, \
            webhook_receiver() as crm:
        # Registered before registration checked anything: the connect-time check still holds.
        old = Subscription(url=crm.url, secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", events=["*"])
        await running.hub.stores.webhooks.add_subscription(old)
        crm.secret = old.secret.get_secret_value()
        await say(running, "u-1", "m-1")
        deliveries = await eventually(lambda: running.hub.stores.webhooks.list_deliveries(limit=100),
                                      lambda ds: bool(ds) and not any(d.is_open for d in ds))

    assert crm.arrivals == [] and crm.forged == 0
    assert all("destination refused" in (d.last_error or "") and "loopback" in (d.last_error or "")
               for d in deliveries)


async def test_a_name_that_resolves_private_at_send_time_is_refused_though_it_was_public_at_registration(
    receiver: HttpReceiver,
) -> None:
    dns = FlippingDns("93.184.216.34", "127.0.0.1")
    url = f"http://crm.rebinding.example:{receiver.port}/hooks"

    assert await check_destination(url, EgressPolicy(), dns) == url  # public when registered
    async with guarded_client(EgressPolicy(), timeout=2.0, resolver=dns) as client:
        with pytest.raises(EgressError, match=r"destination refused: crm\.rebinding\.example resolves to "
                                              r"127\.0\.0\.1 is loopback"):
            await client.post(url, b"{}", {"content-type": "application/json"})

    assert receiver.requests == []


async def test_an_allowed_intranet_host_is_reached_at_the_checked_address_under_its_own_name(
    receiver: HttpReceiver,
) -> None:
    dns = FlippingDns("127.0.0.1")
    allow = EgressPolicy(allow=("127.0.0.0/8",))
    async with guarded_client(allow, timeout=2.0, resolver=dns) as client:
        reply = await client.post(f"http://crm.corp.example:{receiver.port}/hooks", b"{}", {})

    [request] = receiver.requests
    assert reply.status == 200 and dns.asked == ["crm.corp.example"]
    assert request.headers["host"] == f"crm.corp.example:{receiver.port}"


def test_an_api_account_callback_to_the_metadata_service_stops_start_up(make_settings: Any) -> None:
    account = {"id": "crm", "token": "t" * 20, "callback_url": "http://169.254.169.254/latest/meta-data/"}
    with pytest.raises(ValueError, match=r"OTKLIK_API_ACCOUNTS: account 'crm' callback_url: 169\.254\.169\.254 "
                                         r"is link-local"):
        make_settings(api_accounts=[account], outbound_allow=[])


async def test_api_channel_callbacks_go_through_the_checked_client(receiver: HttpReceiver) -> None:
    plain = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    guarded = guarded_client(EgressPolicy(), timeout=2.0, resolver=FlippingDns("127.0.0.1"))
    account = ChannelAccount(id="crm", channel=Channel.API, token="t" * 20,  # type: ignore[arg-type]
                             callback_url=f"http://crm.rebinding.example:{receiver.port}/otklik")
    async with plain, guarded:
        ctx = SenderContext(http=plain, bus=None, exit_stack=None, messages=None,  # type: ignore[arg-type]
                            outbound_http=guarded)
        sender = build_senders([account], ctx)[(Channel.API, "crm")]
        reply = OutboundMessage(conversation_id="c1", customer_id="k1", channel=Channel.API, account_id="crm",
                                recipient="u-1", text="Здравствуйте", idempotency_key="k1")
        with pytest.raises(SendError, match="destination refused"):
            await sender.send(reply)

    assert receiver.requests == []


async def test_the_webhook_tests_reach_their_receiver_only_through_the_allow_list(
    make_settings: Any, start_app: Any
) -> None:
    settings = fast_settings(make_settings, outbound_allow=["127.0.0.1"])
    async with start_app(settings) as running, webhook_receiver() as crm:
        response = await running.client.post("/api/v1/webhooks", json={"url": crm.url, "events": ["*"]},
                                             headers=await manage_token(running))
        crm.secret = response.json()["secret"]
        await say(running, "u-1", "m-1")
        await crm.wait_until(lambda received: len(received.accepted) >= 1)

    assert response.status_code == 201 and "message.received" in [a.payload["type"] for a in crm.accepted]
