"""Personal-data requests end to end (issue 16): a shopper's whole record exported as JSON and HTML, then
erased (the CRM told by `customer.erased`), and every read of it (inbox panel, API, export, erasure) found
in the audit log by an admin's token."""

from __future__ import annotations

import json
from typing import Any

from hub.directory import tokens
from hub.inbox import notes
from models.staff import Role
from models.tokens import Scope
from tests.fakes.webhook_receiver import webhook_receiver
from tests.integration.helpers_webhooks import FAST, subscribe
from tests.integration.inbox.test_inbox_pages import signed_in
from tests.integration.inbox_world import PASSWORD, build_world, customer_writes, handed_over, inbox_settings
from tests.web_login import create_user

TEXT = "Мой телефон +7 916 123-45-67, верните деньги <script>alert(1)</script>"
NOTE = "Клиентка Анна Петрова, звонила дважды"


async def bearer(running: Any, name: str, *scopes: Scope) -> dict[str, str]:
    """Headers with a fresh token of these scopes."""
    _, full = await tokens.issue(running.hub.stores.tokens, name, list(scopes))
    return {"authorization": f"Bearer {full}"}


async def test_export_erase_and_audit_of_one_customer(make_settings: Any, start_app: Any) -> None:
    settings = inbox_settings(make_settings, **FAST)
    async with webhook_receiver() as crm, start_app(settings) as running:
        hub = running.hub
        world = await build_world(hub)
        await subscribe(running, await bearer(running, "hooks", Scope.WEBHOOKS_MANAGE), crm, ["customer.erased"])
        conversation = await handed_over(hub, await customer_writes(running.client, hub, "u-1", TEXT))
        await notes.add_note(hub, conversation.id, NOTE, actor=world.anna.id, author_name="Анна")
        customer_id = conversation.customer_id
        async with signed_in(running, "anna") as (client, _):
            page = await client.get(f"/inbox/conversations/{conversation.id}")
        reader = await bearer(running, "crm-reader", Scope.CUSTOMERS_READ)
        exporter = await bearer(running, "dpo", Scope.CUSTOMERS_EXPORT)
        eraser = await bearer(running, "dpo-erase", Scope.CUSTOMERS_ERASE)
        auditor = await bearer(running, "auditor", Scope.AUDIT_READ)
        read = await running.client.get(f"/api/v1/customers/{customer_id}", headers=reader)
        refused = await running.client.get(f"/api/v1/customers/{customer_id}/export", headers=reader)
        as_json = await running.client.get(f"/api/v1/customers/{customer_id}/export", headers=exporter)
        as_html = await running.client.get(f"/api/v1/customers/{customer_id}/export?format=html", headers=exporter)
        missing = await running.client.get("/api/v1/customers/nobody/export", headers=exporter)
        erased = await running.client.post(f"/api/v1/customers/{customer_id}/erase", headers=eraser)
        again = await running.client.post(f"/api/v1/customers/{customer_id}/erase", headers=eraser)
        await crm.wait_until(lambda r: len(r.accepted) >= 1)
        after = await running.client.get(f"/api/v1/customers/{customer_id}/export", headers=exporter)
        trail = await running.client.get(f"/api/v1/privacy/audit?customer_id={customer_id}", headers=auditor)
        by_anna = await running.client.get(f"/api/v1/privacy/audit?actor=user:{world.anna.id}", headers=auditor)
        not_auditor = await running.client.get("/api/v1/privacy/audit", headers=exporter)

    assert page.status_code == 200 and read.status_code == 200
    assert (refused.status_code, missing.status_code, not_auditor.status_code) == (403, 404, 403)
    exported = as_json.json()
    assert as_json.status_code == 200 and "attachment" in as_json.headers["content-disposition"]
    assert exported["customer"]["id"] == customer_id
    assert [i["value"] for i in exported["customer"]["identities"]] == ["crm:u-1"]
    [record] = exported["conversations"]
    assert [m["text"] for m in record["messages"]][:1] == [TEXT] and NOTE in [m["text"] for m in record["messages"]]
    assert as_html.status_code == 200 and as_html.headers["content-type"].startswith("text/html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in as_html.text and "<script>" not in as_html.text
    assert NOTE in as_html.text
    assert erased.status_code == 200 and erased.json()["messages"] >= 2 and erased.json()["identities"] == 1
    assert again.status_code == 200 and again.json()["messages"] == 0
    [event] = [a.payload for a in crm.accepted]
    assert (event["type"], event["data"]["customer_id"]) == ("customer.erased", customer_id)
    gone = after.json()
    assert gone["customer"]["name"] is None and gone["customer"]["identities"] == []
    texts = {m["text"] for m in gone["conversations"][0]["messages"]}
    assert texts == {"erased"} and len(gone["conversations"][0]["messages"]) == len(record["messages"])
    kinds = [(e["actor"], e["kind"]) for e in trail.json()["entries"]]
    assert (f"user:{world.anna.id}", "panel_view") in kinds
    assert ("api:crm-reader", "api_read") in kinds
    assert kinds.count(("api:dpo", "export")) == 3 and kinds.count(("api:dpo-erase", "erase")) == 2
    assert [e["via"] for e in by_anna.json()["entries"]] == [f"/inbox/conversations/{conversation.id}"]
    assert json.dumps(trail.json()).count(TEXT) == 0  # the log says who and when, never what


async def test_admins_search_the_access_log_on_a_page_and_operators_may_not(make_settings: Any, start_app: Any) -> None:
    async with start_app(inbox_settings(make_settings)) as running:
        hub = running.hub
        world = await build_world(hub)
        await create_user(hub, "root", PASSWORD, roles=[Role.ADMIN])
        conversation = await handed_over(hub, await customer_writes(running.client, hub, "u-2", "<b>Привет</b>"))
        async with signed_in(running, "anna") as (client, _):
            await client.get(f"/inbox/conversations/{conversation.id}")
            refused = await client.get("/admin/audit", headers={"accept": "application/json"})
        async with signed_in(running, "root") as (client, _):
            everything = await client.get("/admin/audit")
            by_anna = await client.get(f"/admin/audit?actor=user:{world.anna.id}&kind=panel_view")
            exports = await client.get("/admin/audit?kind=export")
            bad_day = await client.get("/admin/audit?day=yesterday", headers={"accept": "application/json"})

    assert refused.status_code == 403
    assert everything.status_code == 200 and conversation.customer_id in everything.text
    assert by_anna.text.count('data-kind="panel_view"') == 1
    assert f"/inbox/conversations/{conversation.id}" in by_anna.text
    assert 'data-kind="panel_view"' not in exports.text
    assert bad_day.status_code == 422 and "YYYY-MM-DD" in bad_day.text
