"""The admin campaign forms over HTTP: a supervisor creates a campaign that then decides offers, edits it, pauses
it; a bad rule is refused with the model's reason and nothing changes; other roles get 403; CSRF is required."""

from __future__ import annotations

from datetime import UTC, datetime

from hub import campaigns
from hub.campaigns import manage
from models.campaigns import Moment
from models.channels import Channel
from models.customers import Customer
from models.staff import Role
from tests.integration.crm.conftest import Crm
from tests.web_login import create_user, session_csrf, sign_in, sign_out

PASSWORD = "s3cret-pass-1"
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # a Tuesday, noon in Moscow
FORM = {"id": "goodwill", "name": "Извинение <b>за жалобу</b>", "text_ru": "Ваш код: {code}",
        "text_en": "Your code: {code}", "source": "pool", "cost": "150", "placements": "complaint_resolved",
        "audience": "complaint_resolved: true\nweekdays: [1, 2, 3, 4, 5]", "budget": "100", "control_share": "0",
        "priority": "5"}


async def _signed_in(crm: Crm, role: Role) -> str:
    await create_user(crm.running.hub, role.value, PASSWORD, roles=[role], groups=["general"])
    await sign_in(crm.client, role.value, PASSWORD)
    return await session_csrf(crm.client, crm.running.hub)


async def _decision(crm: Crm, customer: Customer) -> str | None:
    hub = crm.running.hub
    contact = await campaigns.contact_for(hub, customer, moment=Moment.COMPLAINT_RESOLVED, channel=Channel.API,
                                          now=NOW, complaint_resolved=True)
    decision, _ = await campaigns.best_offer(hub, customer, contact, NOW)
    return decision.campaign_id if decision.offers else decision.reason


async def test_a_supervisor_creates_edits_and_pauses_a_campaign_that_decides_offers(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1", "Спасибо, всё решили", phone="+79161234567")
    csrf = await _signed_in(crm, Role.SUPERVISOR)
    assert "/admin/campaigns/new" in (await crm.client.get("/campaigns")).text
    assert (await crm.client.get("/admin/campaigns/new")).status_code == 200

    created = await crm.client.post("/admin/campaigns", data={"csrf_token": csrf, **FORM})
    assert created.status_code == 303 and created.headers["location"] == "/admin/campaigns/goodwill?done=created"
    listing = await crm.client.get("/campaigns")
    assert 'data-campaign="goodwill"' in listing.text and "Извинение &lt;b&gt;за жалобу&lt;/b&gt;" in listing.text
    assert await _decision(crm, customer) == "goodwill"
    stored = await manage.get(crm.running.hub, "goodwill")
    assert (stored.budget, stored.priority, stored.audience.weekdays) == (100, 5, frozenset({1, 2, 3, 4, 5}))

    page = await crm.client.get("/admin/campaigns/goodwill")
    assert page.status_code == 200 and 'name="version" value="0"' in page.text and "weekdays" in page.text
    assert "<b>за" not in page.text and 'value="Извинение &lt;b&gt;за жалобу&lt;/b&gt;"' in page.text
    edited = await crm.client.post("/admin/campaigns/goodwill", data={
        "csrf_token": csrf, **FORM, "name": "Извинение", "audience": "weekdays: [6, 7]", "version": "0"})
    assert edited.status_code == 303
    assert (await manage.get(crm.running.hub, "goodwill")).name == "Извинение"
    assert await _decision(crm, customer) == "no_campaign"  # Tuesday is no longer a campaign day
    stale = await crm.client.post("/admin/campaigns/goodwill", data={
        "csrf_token": csrf, **FORM, "name": "Late", "version": "0"})
    assert stale.status_code == 409 and "changed meanwhile" in stale.text and 'value="Late"' in stale.text
    assert (await manage.get(crm.running.hub, "goodwill")).name == "Извинение"
    again = await crm.client.post("/admin/campaigns/goodwill", data={
        "csrf_token": csrf, **FORM, "version": "1"})  # back to weekdays
    assert again.status_code == 303 and await _decision(crm, customer) == "goodwill"

    paused = await crm.client.post("/admin/campaigns/goodwill/pause", data={"csrf_token": csrf})
    assert paused.status_code == 303 and not (await manage.get(crm.running.hub, "goodwill")).active
    assert await _decision(crm, customer) == "no_campaign"
    assert "Resume the campaign" in (await crm.client.get("/admin/campaigns/goodwill?done=paused")).text
    await crm.client.post("/admin/campaigns/goodwill/resume", data={"csrf_token": csrf})
    assert await _decision(crm, customer) == "goodwill"


async def test_a_bad_rule_is_refused_with_the_models_reason_and_nothing_changes(crm: Crm) -> None:
    csrf = await _signed_in(crm, Role.ADMIN)
    bad = await crm.client.post("/admin/campaigns", data={"csrf_token": csrf, **FORM, "audience": "weekdays: [8]"})
    assert bad.status_code == 422 and "weekdays are 1 (Monday) to 7 (Sunday)" in bad.text
    assert 'data-error="audience"' in bad.text and await manage.listing(crm.running.hub) == []
    no_english = await crm.client.post("/admin/campaigns", data={"csrf_token": csrf, **FORM, "text_en": ""})
    assert no_english.status_code == 422 and 'data-error="text_en"' in no_english.text
    api = await crm.client.post("/api/v1/campaigns", headers=crm.headers, json={
        "id": "goodwill", "name": "x", "placements": ["praise"], "audience": {"weekdays": [8]},
        "offer": {"source": "pool", "text": {"ru": "a", "en": "b"}}})
    assert api.status_code == 422 and "weekdays are 1 (Monday) to 7 (Sunday)" in api.text  # the same reason

    await crm.client.post("/admin/campaigns", data={"csrf_token": csrf, **FORM})
    before = await manage.get(crm.running.hub, "goodwill")
    for change in ({"audience": "no_such_rule: 1"}, {"control_share": "0.95"}, {"placements": ""},
                   {"starts_at": "2026-12-10T10:00", "ends_at": "2026-12-09T10:00"}, {"audience": "[unclosed"}):
        refused = await crm.client.post("/admin/campaigns/goodwill", data={
            "csrf_token": csrf, **FORM, "version": "0", **change})
        assert refused.status_code == 422, change
    assert await manage.get(crm.running.hub, "goodwill") == before
    taken = await crm.client.post("/admin/campaigns", data={"csrf_token": csrf, **FORM})
    assert taken.status_code == 409 and "exists" in taken.text


async def test_other_roles_get_403_and_a_form_without_csrf_is_refused(crm: Crm) -> None:
    csrf = await _signed_in(crm, Role.OPERATOR)
    assert (await crm.client.get("/admin/campaigns/new")).status_code == 403
    assert (await crm.client.post("/admin/campaigns", data={"csrf_token": csrf, **FORM})).status_code == 403
    assert await manage.listing(crm.running.hub) == []
    await sign_out(crm.client, crm.running.hub)

    csrf = await _signed_in(crm, Role.SUPERVISOR)
    assert (await crm.client.post("/admin/campaigns", data=FORM)).status_code == 403
    wrong = await crm.client.post("/admin/campaigns", data={"csrf_token": "forged", **FORM})
    assert wrong.status_code == 403 and await manage.listing(crm.running.hub) == []
    await crm.client.post("/admin/campaigns", data={"csrf_token": csrf, **FORM})
    assert (await crm.client.post("/admin/campaigns/goodwill/pause")).status_code == 403
    assert (await manage.get(crm.running.hub, "goodwill")).active
