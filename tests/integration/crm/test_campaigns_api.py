"""/api/v1/campaigns and /api/v1/redemptions against the running app: scopes, CRUD with versions, code imports,
an offer made at a contact and redeemed by the CRM, and the report that counts it."""

from __future__ import annotations

from typing import Any

from hub import campaigns
from models.campaigns import Moment
from models.channels import Channel
from models.clock import utcnow
from models.staff import Role
from models.tokens import Scope
from tests.integration.crm.conftest import Crm
from tests.integration.helpers import eventually
from tests.web_login import create_user, session_csrf, sign_in


def body(cid: str = "goodwill", **changes: Any) -> dict[str, Any]:
    return {"id": cid, "name": "Извинение за жалобу", "placements": ["complaint_resolved", "operator"],
            "offer": {"source": "pool", "text": {"ru": "Ваш код: {code}", "en": "Your code: {code}"}, "cost": "150"},
            "control_share": 0.0, "budget": 100, **changes}


async def test_campaign_routes_need_their_scopes(crm: Crm) -> None:
    reader = await crm.token(Scope.CAMPAIGNS_READ)
    assert (await crm.client.post("/api/v1/campaigns", json=body(), headers=reader)).status_code == 403
    assert (await crm.client.get("/api/v1/campaigns", headers=reader)).status_code == 200
    writer = await crm.token(Scope.CAMPAIGNS_WRITE)
    assert (await crm.client.post("/api/v1/campaigns", json=body(), headers=writer)).status_code == 201
    redemption = {"redemption_id": "r1", "code": "NOPE1"}
    assert (await crm.client.post("/api/v1/redemptions", json=redemption, headers=writer)).status_code == 403
    assert (await crm.client.get("/api/v1/campaigns")).status_code == 401


async def test_campaigns_are_created_read_replaced_under_version_and_removed(crm: Crm) -> None:
    created = await crm.client.post("/api/v1/campaigns", json=body(), headers=crm.headers)
    assert created.status_code == 201 and created.json()["version"] == 0
    again = await crm.client.post("/api/v1/campaigns", json=body(), headers=crm.headers)
    assert again.status_code == 409
    changed = await crm.client.put("/api/v1/campaigns/goodwill", json=body(name="Новое имя", version=0),
                                   headers=crm.headers)
    assert changed.status_code == 200 and changed.json()["version"] == 1
    stale = await crm.client.put("/api/v1/campaigns/goodwill", json=body(version=0), headers=crm.headers)
    assert stale.status_code == 409
    read = await crm.client.get("/api/v1/campaigns/goodwill", headers=crm.headers)
    assert read.json()["name"] == "Новое имя"
    assert [c["id"] for c in (await crm.client.get("/api/v1/campaigns", headers=crm.headers)).json()["items"]] == [
        "goodwill"]
    assert (await crm.client.delete("/api/v1/campaigns/goodwill", headers=crm.headers)).status_code == 204
    assert (await crm.client.get("/api/v1/campaigns/goodwill", headers=crm.headers)).status_code == 404


async def test_invalid_campaigns_are_refused_with_the_reason(crm: Crm) -> None:
    no_english = body(offer={"source": "pool", "text": {"ru": "Код {code}"}})
    answer = await crm.client.post("/api/v1/campaigns", json=no_english, headers=crm.headers)
    assert answer.status_code == 422 and "missing en" in answer.text
    unknown_rule = body(audience={"loyalty_level": ["gold"]})
    assert (await crm.client.post("/api/v1/campaigns", json=unknown_rule, headers=crm.headers)).status_code == 422
    other_id = await crm.client.put("/api/v1/campaigns/other", json=body(), headers=crm.headers)
    assert other_id.status_code == 422


async def test_a_code_file_fills_the_pool_once_and_a_bad_line_is_named(crm: Crm) -> None:
    await crm.client.post("/api/v1/campaigns", json=body(), headers=crm.headers)
    csv = "code,valid\nGW-0001,2027-01-01\nGW-0002,2027-01-01\nGW-0001,2027-01-01\n"
    first = await crm.client.put("/api/v1/campaigns/goodwill/codes", content=csv.encode(), headers=crm.headers)
    assert first.status_code == 200 and first.json() == {"added": 2, "free": 2}
    again = await crm.client.put("/api/v1/campaigns/goodwill/codes", content=csv.encode(), headers=crm.headers)
    assert again.json() == {"added": 0, "free": 2}
    bad = await crm.client.put("/api/v1/campaigns/goodwill/codes", content=b"GW-3\n=cmd()\n", headers=crm.headers)
    assert bad.status_code == 422 and "line 2" in bad.text
    missing = await crm.client.put("/api/v1/campaigns/nobody/codes", content=b"GW-9\n", headers=crm.headers)
    assert missing.status_code == 404


async def test_an_offer_made_at_contact_is_redeemed_once_and_reported(crm: Crm) -> None:
    await crm.client.post("/api/v1/campaigns", json=body(), headers=crm.headers)
    await crm.client.put("/api/v1/campaigns/goodwill/codes", content=b"GW-0001\nGW-0002\n", headers=crm.headers)
    customer = await crm.inbound("u-1", "m-1", "Спасибо, всё решили", phone="+79161234567")
    hub, now = crm.running.hub, utcnow()
    async with crm.events() as seen:
        contact = await campaigns.contact_for(hub, customer, moment=Moment.COMPLAINT_RESOLVED, channel=Channel.API,
                                              now=now, complaint_resolved=True)
        made = await campaigns.make_offer(hub, customer, contact, now)
        assert made.offered and made.record is not None and made.text == f"Ваш код: {made.record.code}"
        repeat = await campaigns.make_offer(hub, customer, contact, now)
        assert not repeat.offered and repeat.decision.skipped["goodwill"] == "once_per_customer"
        code = made.record.code
        redemption = {"redemption_id": "till-77", "code": code, "order_total": "2300.50"}
        first = await crm.client.post("/api/v1/redemptions", json=redemption, headers=crm.headers)
        assert first.status_code == 201 and first.json()["offer_id"] == f"goodwill:{customer.id}"
        replay = await crm.client.post("/api/v1/redemptions", json=redemption, headers=crm.headers)
        assert replay.status_code == 200 and replay.json() == first.json()
        other = await crm.client.post("/api/v1/redemptions", json={**redemption, "redemption_id": "till-78"},
                                      headers=crm.headers)
        assert other.status_code == 409
        await eventually(lambda: _types(seen), lambda types: {"offer.made", "offer.redeemed"} <= types)
    unknown = await crm.client.post("/api/v1/redemptions", json={"redemption_id": "x", "code": "GW-9999"},
                                    headers=crm.headers)
    assert unknown.status_code == 404
    report = (await crm.client.get("/api/v1/campaigns/goodwill/report", headers=crm.headers)).json()
    assert report["total"]["made"] == 1 and report["total"]["redeemed"] == 1 and report["cost"] == "150.00"
    assert report["by_channel"][0]["label"] == "api"


async def _types(seen: list[Any]) -> set[str]:
    return {e.type for e in seen}


async def test_the_operator_sends_the_next_best_offer_once_with_one_click(crm: Crm) -> None:
    campaign = body("operator-nbo", placements=["operator"], name="Скидка от оператора")
    await crm.client.post("/api/v1/campaigns", json=campaign, headers=crm.headers)
    await crm.client.put("/api/v1/campaigns/operator-nbo/codes", content=b"OP-0001\nOP-0002\n", headers=crm.headers)
    customer = await crm.inbound("u-9", "m-9", "Подскажите по заказу", phone="+79161230099")
    hub = crm.running.hub
    conversation = await hub.stores.conversations.current_for(customer.id)
    assert conversation is not None
    await create_user(hub, "sup", "s3cret-pass-1", roles=[Role.SUPERVISOR], groups=["general"])
    await sign_in(crm.client, "sup", "s3cret-pass-1")
    panel = await crm.client.get(f"/inbox/conversations/{conversation.id}/offer")
    assert 'data-offer="operator-nbo"' in panel.text and "Скидка от оператора" in panel.text
    csrf = await session_csrf(crm.client, hub)
    sent = await crm.client.post(f"/inbox/conversations/{conversation.id}/offer", data={"csrf_token": csrf},
                                 headers={"hx-request": "true"})
    assert sent.status_code == 200 and 'data-offer="sent"' in sent.text
    again = await crm.client.post(f"/inbox/conversations/{conversation.id}/offer", data={"csrf_token": csrf},
                                  headers={"hx-request": "true"})
    assert 'data-reason="no_campaign"' in again.text  # the customer had their turn
    [record] = await campaigns.manage.offers_of(hub, customer.id)
    assert record.code in sent.text
    callbacks = await crm.sent(2)  # the acknowledgement, then the offer: nothing more
    assert [c["text"] for c in callbacks if record.code in c.get("text", "")] == [f"Ваш код: {record.code}"]

    async def delivered() -> Any:
        return await campaigns.manage.offers_of(hub, customer.id)

    await eventually(delivered, lambda records: records[0].state.value == "delivered")
    assert len(await hub.stores.messages.list_for_customer(customer.id)) == 3


async def test_a_proactive_offer_follows_the_campaigns_rules_and_is_sent_once(crm: Crm) -> None:
    runtime = campaigns.runtime(crm.running.hub)
    runtime.policy = runtime.policy.model_copy(update={"quiet_hours": None})  # OTKLIK_CAMPAIGN_QUIET_HOURS=""
    await crm.client.post("/api/v1/campaigns", json=body("push", placements=["proactive"]), headers=crm.headers)
    await crm.client.post("/api/v1/campaigns", json=body("bot-only"), headers=crm.headers)
    await crm.client.put("/api/v1/campaigns/push/codes", content=b"PUSH-0001\n", headers=crm.headers)
    customer = await crm.inbound("u-7", "m-7", "Добрый день", phone="+79161230077")
    url = "/api/v1/campaigns/push/offers"
    first = await crm.client.post(url, json={"customer_id": customer.id}, headers=crm.headers)
    assert first.status_code == 200 and first.json()["offered"] and first.json()["code"] == "PUSH-0001", first.text
    callbacks = await crm.sent(2)
    assert callbacks[1]["text"] == "Ваш код: PUSH-0001"
    again = await crm.client.post(url, json={"customer_id": customer.id}, headers=crm.headers)
    assert again.json() == {"offered": False, "control": False, "reason": "no_campaign", "offer_id": None,
                            "code": None}
    wrong_place = await crm.client.post("/api/v1/campaigns/bot-only/offers", json={"customer_id": customer.id},
                                        headers=crm.headers)
    assert wrong_place.json()["offered"] is False and wrong_place.json()["reason"] == "no_campaign"
    missing = await crm.client.post("/api/v1/campaigns/nope/offers", json={"customer_id": customer.id},
                                    headers=crm.headers)
    assert missing.status_code == 404
