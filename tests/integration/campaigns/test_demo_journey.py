"""The demo campaign end to end through HTTP (issue 19): created by marketing through the API, offered by the bot
when it settles a late-delivery complaint, redeemed by the CRM, and shown on the campaign page with its uplift
against the control group, a timeline line in the inbox and a CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from api.demo.campaign_history import codes, demo_campaign, seed_history
from hub import campaigns
from hub.directory import tokens
from models.campaigns import OfferState
from models.clock import utcnow
from models.staff import Role
from models.tokens import Scope
from tests.conftest import auth
from tests.integration.bot_support import ANNA_PHONE, api_user, bot_settings, bot_texts, conversation_of, replies_after
from tests.integration.helpers import eventually
from tests.web_login import create_user, sign_in


async def test_the_goodwill_campaign_runs_from_creation_to_measured_uplift(
    make_settings: Any, start_app: Any, nlu_model: Path,
) -> None:
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        hub, client = running.hub, running.client
        _, secret = await tokens.issue(hub.stores.tokens, "marketing", [Scope.CAMPAIGNS_WRITE, Scope.CAMPAIGNS_READ,
                                                                       Scope.REDEMPTIONS_WRITE])
        crm = {"authorization": f"Bearer {secret}"}
        # marketing creates the campaign and imports its code pool
        created = await client.post("/api/v1/campaigns", json=demo_campaign().model_dump(mode="json"), headers=crm)
        assert created.status_code == 201, created.text
        pool = await client.put("/api/v1/campaigns/goodwill/codes", content=codes().encode(), headers=crm)
        assert pool.json() == {"added": 1000, "free": 1000}
        campaign = await campaigns.manage.get(hub, "goodwill")
        await seed_history(hub, campaign, utcnow())  # the demo's two weeks of earlier contacts, control group too
        before = (await client.get("/api/v1/campaigns/goodwill/report", headers=crm)).json()["total"]

        # Анна (gold card, CRM id demo-anna, not in the fifth held back) complains that her order is late
        assert not campaigns.in_control("demo-anna", "goodwill", campaign.control_share)
        await client.post("/channels/api/crm/messages", headers=auth(), json={
            "user_id": "anna", "message_id": "m1", "text": "The courier never came, order 4512",
            "contact": {"phone": ANNA_PHONE}})
        anna = api_user("anna")
        thread = await replies_after(hub, anna, inbound=1, at_least=5)
        conversation = await conversation_of(hub, anna)
        [offer] = await campaigns.manage.offers_of(hub, conversation.customer_id)
        assert offer.code is not None and offer.campaign_id == "goodwill" and offer.segment == "Золотой"
        assert any(f"As an apology: code {offer.code}" in text for text in bot_texts(thread))

        async def anna_offer() -> Any:
            return (await campaigns.manage.offers_of(hub, conversation.customer_id))[0]

        await eventually(anna_offer, lambda o: o.state is OfferState.DELIVERED)  # the bot's reply was sent

        # the CRM reports the code used at the till
        redeemed = await client.post("/api/v1/redemptions", headers=crm, json={
            "redemption_id": "till-2026-12-07-0042", "code": offer.code, "order_total": "2480.00"})
        assert redeemed.status_code == 201 and redeemed.json()["offer_id"] == offer.id

        after = (await client.get("/api/v1/campaigns/goodwill/report", headers=crm)).json()["total"]
        assert after["made"] == before["made"] + 1 and after["redeemed"] == before["redeemed"] + 1
        assert after["held_back"] > 40 and after["uplift"] is not None
        low, high = after["uplift_interval"]
        assert low < after["uplift"] < high and after["uplift"] > 0

        # the campaign page, its export, and the operator's timeline line
        await create_user(hub, "marketing", "s3cret-pass-1", roles=[Role.SUPERVISOR], groups=["delivery"])
        await sign_in(client, "marketing", "s3cret-pass-1")
        page = await client.get("/campaigns/goodwill")
        assert page.status_code == 200
        assert f'data-kpi="redeemed"><span class="value">{after["redeemed"]}<' in page.text
        assert f'{after["uplift"] * 100:+.1f}' in page.text and 'data-table="segment"' in page.text
        listing = await client.get("/campaigns")
        assert 'data-campaign="goodwill"' in listing.text
        export = await client.get("/campaigns/goodwill/export.csv")
        rows = list(csv.DictReader(io.StringIO(export.text)))
        total = next(r for r in rows if r["slice"] == "total")
        assert int(total["redeemed"]) == after["redeemed"]
        assert {r["label"] for r in rows if r["slice"] == "channel"} >= {"api", "telegram"}
        timeline = await client.get(f"/inbox/conversations/{conversation.id}")
        assert 'data-offer="offer_made"' in timeline.text and 'data-offer="offer_redeemed"' in timeline.text
