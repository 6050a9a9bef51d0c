"""The canned-responses page end to end: an editor creates, edits and deletes; search; roles; CSRF; escaping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from hub.inbox import canned
from models.canned import CannedKind, CannedResponse
from tests.conftest import RunningApp
from tests.integration.inbox_world import PASSWORD, build_world, customer_writes, handed_over, inbox_settings
from tests.web_login import create_user, session_csrf, sign_in

Form = dict[str, str]
NEW: Form = {"shortcut": "/where-order", "title": "Where is my order", "language": "en", "kind": "response",
             "text": "Hello {customer}, your order is on its way."}


@pytest.fixture
async def running(make_settings: Any, start_app: Callable[..., Any]) -> AsyncIterator[RunningApp]:
    """The inbox world (anna operates, eve edits content) plus an admin."""
    async with start_app(inbox_settings(make_settings)) as app:
        await build_world(app.hub)
        await create_user(app.hub, "root", PASSWORD, roles=["admin"])
        yield app


async def _as(client: httpx.AsyncClient, running: RunningApp, login: str) -> str:
    await sign_in(client, login, PASSWORD)
    return await session_csrf(client, running.hub)


async def _create(running: RunningApp, token: str, form: Form) -> str:
    response = await running.client.post("/admin/canned", data={"csrf_token": token, **form})
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/admin/canned/")[1].split("?")[0]


async def _found(running: RunningApp, prefix: str, language: str = "en") -> list[CannedResponse]:
    return await canned.search(running.hub, prefix, language=language, kind=None)


async def test_an_editor_creates_edits_and_deletes_and_operators_find_it(running: RunningApp) -> None:
    token = await _as(running.client, running, "eve")
    item_id = await _create(running, token, NEW)
    [item] = await _found(running, "/where")
    eve = await running.hub.stores.directory.user_by_login("eve")
    assert eve is not None
    assert (item.id, item.shortcut, item.kind, item.updated_by) == (item_id, "where-order", CannedKind.RESPONSE, eve.id)
    form = await running.client.get(f"/admin/canned/{item_id}?done=created")
    assert form.status_code == 200 and 'name="version" value="1"' in form.text and "Created." in form.text

    edited = await running.client.post(f"/admin/canned/{item_id}", data={
        "csrf_token": token, **NEW, "text": "Your order {customer} arrives tomorrow.", "version": "1"})
    assert edited.status_code == 303
    [item] = await _found(running, "where")
    assert (item.text, item.version) == ("Your order {customer} arrives tomorrow.", 2)
    stale = await running.client.post(f"/admin/canned/{item_id}", data={
        "csrf_token": token, **NEW, "text": "Late edit", "version": "1"})
    assert stale.status_code == 422 and "changed since" in stale.text
    assert (await _found(running, "where"))[0].text == "Your order {customer} arrives tomorrow."

    gone = await running.client.post(f"/admin/canned/{item_id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303 and await _found(running, "where") == []
    again = await running.client.post(f"/admin/canned/{item_id}/delete", data={"csrf_token": token})
    assert again.status_code == 303  # a double click lands on the list again


async def test_a_created_answer_and_topic_script_are_offered_on_the_conversation_page(running: RunningApp) -> None:
    token = await _as(running.client, running, "eve")
    await _create(running, token, NEW)
    await _create(running, token, {"shortcut": "gq", "title": "General question", "language": "en",
                                   "kind": "script", "topic": "general_question", "text": "1. Ask what happened"})
    conversation = await handed_over(running.hub, await customer_writes(running.client, running.hub, "u-7", "?"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app), base_url="http://otklik.test") as c:
        csrf = await _as(c, running, "anna")
        await c.post(f"/inbox/conversations/{conversation.id}/claim", data={"csrf_token": csrf})
        page = await c.get(f"/inbox/conversations/{conversation.id}")
    assert 'data-canned-text="Hello Shopper u-7, your order is on its way."' in page.text
    assert 'data-canned-text="1. Ask what happened" data-kind="script"' in page.text


async def test_the_list_searches_text_and_filters_language_and_kind(running: RunningApp) -> None:
    token = await _as(running.client, running, "root")  # admins edit content too
    await _create(running, token, NEW)
    await _create(running, token, {**NEW, "language": "ru", "title": "Где заказ", "text": "Заказ уже в пути"})
    await _create(running, token, {"shortcut": "refund-steps", "title": "Refund", "language": "en", "kind": "script",
                                   "topic": "return_refund", "text": "Check the receipt first"})

    def shortcuts(page: httpx.Response) -> list[str]:
        body = page.text.split("<tbody>")[1]
        return [part.split("<")[0] for part in body.split('">/')[1:]]

    async def listed(**params: str) -> list[str]:
        page = await running.client.get("/admin/canned", params=params)
        assert page.status_code == 200
        return shortcuts(page)

    assert await listed() == ["refund-steps", "where-order", "where-order"]
    assert await listed(q="RECEIPT") == ["refund-steps"]  # text, case-insensitive
    assert await listed(q="в пути") == ["where-order"]
    assert await listed(q="where", language="en") == ["where-order"]
    assert await listed(q="/ref") == ["refund-steps"]  # a shortcut prefix
    assert await listed(kind="script") == ["refund-steps"]
    assert await listed(q="return_refund") == ["refund-steps"]  # the topic
    bad = await running.client.get("/admin/canned", params={"kind": "poem"}, headers={"accept": "application/json"})
    assert bad.status_code == 422 and "response" in bad.json()["error"]["reason"]


async def test_invalid_forms_come_back_with_reasons(running: RunningApp) -> None:
    token = await _as(running.client, running, "eve")
    await _create(running, token, NEW)
    for form, reason in [({**NEW}, "already used"), ({**NEW, "shortcut": "two words"}, "shortcut"),
                         ({**NEW, "shortcut": "s", "kind": "script"}, "needs the topic"),
                         ({**NEW, "shortcut": "t", "text": ""}, "text"), ({**NEW, "shortcut": "u", "language": "de"},
                                                                         "language")]:
        response = await running.client.post("/admin/canned", data={"csrf_token": token, **form})
        assert response.status_code == 422 and reason in response.text, form
    assert len(await _found(running, "")) == 1


async def test_html_in_canned_text_is_shown_as_text(running: RunningApp) -> None:
    token = await _as(running.client, running, "eve")
    item_id = await _create(running, token, {**NEW, "title": "<b>bold</b>", "text": "<script>alert(1)</script>"})
    for page in (await running.client.get("/admin/canned"), await running.client.get(f"/admin/canned/{item_id}")):
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
        assert "<b>bold</b>" not in page.text and "&lt;b&gt;bold&lt;/b&gt;" in page.text


async def test_anonymous_and_operators_are_refused_everywhere(running: RunningApp) -> None:
    editor = await create_user(running.hub, "ed", PASSWORD, roles=["content_editor"])
    item = await canned.save(running.hub, CannedResponse(shortcut="keep", title="Keep", text="Kept", language="en"),
                             actor=editor)
    pages = ["/admin/canned", "/admin/canned/new", f"/admin/canned/{item.id}"]
    actions = ["/admin/canned", f"/admin/canned/{item.id}", f"/admin/canned/{item.id}/delete"]
    for page in pages:
        response = await running.client.get(page)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/admin/canned")
    for action in actions:
        response = await running.client.post(action, data={**NEW, "version": "1"}, headers={"HX-Request": "true"})
        assert response.status_code == 401, action
    token = await _as(running.client, running, "anna")
    for page in pages:
        assert (await running.client.get(page)).status_code == 403, page
    for action in actions:
        response = await running.client.post(action, data={"csrf_token": token, **NEW, "version": "1"})
        assert response.status_code == 403, action
    assert [(c.id, c.text) for c in await _found(running, "")] == [(item.id, "Kept")]


async def test_every_canned_action_needs_the_sessions_csrf_token(running: RunningApp) -> None:
    token = await _as(running.client, running, "eve")
    item_id = await _create(running, token, NEW)
    actions = ["/admin/canned", f"/admin/canned/{item_id}", f"/admin/canned/{item_id}/delete"]
    for action in actions:
        for sent in ({}, {"csrf_token": "not-the-token"}):
            form = {**sent, **NEW, "shortcut": "other", "text": "Changed", "version": "1"}
            response = await running.client.post(action, data=form)
            assert response.status_code == 403 and "CSRF" in response.text, (action, sent)
    assert [(c.id, c.text) for c in await _found(running, "")] == [(item_id, NEW["text"])]


async def test_translate_opens_a_prefilled_form_for_the_other_language(running: RunningApp) -> None:
    token = await _as(running.client, running, "eve")
    item_id = await _create(running, token, {**NEW, "kind": "script", "topic": "order_status"})
    edit = await running.client.get(f"/admin/canned/{item_id}")
    link = edit.text.split('<a href="/admin/canned/new?')[1].split('"')[0].replace("&amp;", "&")
    form = await running.client.get(f"/admin/canned/new?{link}")
    assert 'value="where-order"' in form.text and '<option value="ru" selected>' in form.text
    assert 'value="order_status"' in form.text and '<option value="script" selected>' in form.text
    await _create(running, token, {**NEW, "language": "ru", "kind": "script", "topic": "order_status",
                                   "text": "Спросите номер заказа"})
    ru = await canned.scripts_for(running.hub, "order_status", language="ru")
    assert [(c.shortcut, c.text) for c in ru] == [("where-order", "Спросите номер заказа")]
