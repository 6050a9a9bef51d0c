"""The routing admin page end to end: an admin moves a topic, the next handover follows; roles; CSRF; SLA shown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bots.flows import known_intents
from hub.inbox import handover
from models.staff import Group, GroupId, GroupKind, Role
from tests.conftest import RunningApp, SettingsFactory
from tests.inbox_fixtures import bot_conversation
from tests.web_login import create_user, session_csrf, sign_in

PASSWORD = "admin password 1"
CONFIG = """
default_group: general
routes: {return_refund: returns, delivery_problem: delivery}
sla:
  - {topic: staff_complaint, priority: "*", first_response_hours: 0.75, resolution_hours: 6}
"""
ACTIONS = ["/admin/routing", "/admin/routing/default"]


@pytest.fixture
async def running(make_settings: SettingsFactory, start_app: Callable[..., Any],
                  tmp_path: Path) -> AsyncIterator[RunningApp]:
    """The app with an inbox config file, three work groups, one store queue, an admin, an operator, an editor."""
    config = tmp_path / "inbox.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    async with start_app(make_settings(inbox_config_path=str(config))) as app:
        await app.hub.stores.directory.upsert_groups([
            Group(id=GroupId("general"), name="General line"), Group(id=GroupId("returns"), name="Returns"),
            Group(id=GroupId("quality-desk"), name="Quality desk", kind=GroupKind.SPECIALIST),
            Group(id=GroupId("store:118"), name="Store 118", kind=GroupKind.STORE, store_id="118")])
        await create_user(app.hub, "root", PASSWORD, roles=[Role.ADMIN])
        await create_user(app.hub, "op", PASSWORD, roles=[Role.OPERATOR, Role.SUPERVISOR], groups=["general"])
        await create_user(app.hub, "eve", PASSWORD, roles=[Role.CONTENT_EDITOR])
        yield app


async def _as(running: RunningApp, login: str) -> str:
    await sign_in(running.client, login, PASSWORD)
    return await session_csrf(running.client, running.hub)


async def _handed_over_group(running: RunningApp, topic: str) -> str | None:
    conversation = await bot_conversation(running.hub)
    return (await handover.hand_over(running.hub, conversation.id, topic=topic, note="over to people")).group


def _row(page: str, topic: str) -> str:
    return page.split(f'<tr id="topic-{topic}">')[1].split("</tr>")[0]


async def test_an_admin_moves_a_topic_and_the_next_handover_lands_in_the_new_group(running: RunningApp) -> None:
    token = await _as(running, "root")
    assert await _handed_over_group(running, "return_refund") == "returns"
    moved = await running.client.post("/admin/routing", data={
        "csrf_token": token, "topic": "return_refund", "group": "quality-desk"})
    assert moved.status_code == 303 and moved.headers["location"].startswith("/admin/routing?done=saved")
    assert await _handed_over_group(running, "return_refund") == "quality-desk"
    page = await running.client.get("/admin/routing?done=saved")
    row = _row(page.text, "return_refund")
    assert '<option value="quality-desk" selected>' in row and "returns" in row  # the override and its default
    assert "/admin/routing/default" in row

    back = await running.client.post("/admin/routing/default", data={"csrf_token": token, "topic": "return_refund"})
    assert back.status_code == 303
    assert await _handed_over_group(running, "return_refund") == "returns"
    assert await running.hub.stores.inbox.routes() == {}
    assert "/admin/routing/default" not in _row((await running.client.get("/admin/routing")).text, "return_refund")


async def test_the_page_lists_every_intent_its_group_and_the_sla_that_applies(running: RunningApp) -> None:
    await _as(running, "root")
    page = (await running.client.get("/admin/routing")).text
    for intent in known_intents():
        assert f'<tr id="topic-{intent}">' in page, intent
    assert '<option value="general" selected>' in _row(page, "store_info")  # unrouted: the default group
    missing = _row(page, "delivery_problem")  # routed by the config to a group nobody created
    assert "delivery" in missing and '<option value="" selected disabled>' in missing
    assert 'value="store:118"' not in page  # a store's queue is never a topic's target
    assert "data-unstaffed" in _row(page, "return_refund")  # "returns" exists, but no operator works in it
    assert "data-unstaffed" not in _row(page, "store_info") and "data-unstaffed" not in missing
    sla = page.split('<tr><th scope="row">staff_complaint</th>')[1].split("</tr>")[0]
    assert sla.count("0.75 / 6") == 4  # the install's line wins for every priority
    urgent_general = page.split('<tr><th scope="row">greet</th>')[1].split("</tr>")[0]
    assert "0.25 / 4" in urgent_general and "1 / 24" in urgent_general  # the built-in targets back it


async def test_bad_routes_are_refused_with_a_reason_and_change_nothing(running: RunningApp) -> None:
    token = await _as(running, "root")
    for topic, group, reason in [("return_refund", "store:118", "store"), ("return_refund", "nowhere", "nowhere"),
                                 ("bad topic!", "general", "letters"), ("return_refund", "", "choose a group")]:
        response = await running.client.post("/admin/routing", data={"csrf_token": token, "topic": topic,
                                                                     "group": group})
        assert response.status_code == 422 and reason in response.text, (topic, group)
    assert await running.hub.stores.inbox.routes() == {}
    added = await running.client.post("/admin/routing", data={"csrf_token": token, "topic": "rasa.only",
                                                               "group": "quality-desk"})
    assert added.status_code == 303
    row = _row((await running.client.get("/admin/routing")).text, "rasa.only")
    assert "not an NLU topic" in row and '<option value="quality-desk" selected>' in row
    assert await _handed_over_group(running, "rasa.only") == "quality-desk"


async def test_anonymous_is_sent_to_sign_in_and_refused_every_action(running: RunningApp) -> None:
    page = await running.client.get("/admin/routing")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=/admin/routing")
    for action in ACTIONS:
        response = await running.client.post(action, data={"topic": "return_refund", "group": "general"},
                                             headers={"HX-Request": "true"})
        assert response.status_code == 401, action
    assert await running.hub.stores.inbox.routes() == {}


@pytest.mark.parametrize("login", ["op", "eve"])
async def test_other_roles_get_403_on_the_page_and_every_action(running: RunningApp, login: str) -> None:
    token = await _as(running, login)
    assert (await running.client.get("/admin/routing")).status_code == 403
    for action in ACTIONS:
        response = await running.client.post(action, data={"csrf_token": token, "topic": "return_refund",
                                                           "group": "general"})
        assert response.status_code == 403, action
    assert await running.hub.stores.inbox.routes() == {}


async def test_every_routing_action_needs_the_sessions_csrf_token(running: RunningApp) -> None:
    token = await _as(running, "root")
    await running.client.post("/admin/routing", data={"csrf_token": token, "topic": "promo_code", "group": "general"})
    for action in ACTIONS:
        for sent in ({}, {"csrf_token": "not-the-token"}):
            response = await running.client.post(action, data={**sent, "topic": "promo_code", "group": "returns"})
            assert response.status_code == 403 and "CSRF" in response.text, (action, sent)
    assert await running.hub.stores.inbox.routes() == {"promo_code": "general"}
