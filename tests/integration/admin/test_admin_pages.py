"""Admin pages end to end: users and groups managed by an admin; everyone else refused; CSRF; escaping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from models.retail_stores import RetailStore
from models.staff import Group, GroupId, GroupKind, Role, User
from tests.conftest import RunningApp, SettingsFactory
from tests.web_login import create_user, session_csrf, sign_in

PASSWORD = "admin password 1"
PAGES = ["/admin/users", "/admin/users/new", "/admin/groups", "/admin/groups/new", "/admin/stores"]
ACTIONS = ["/admin/users", "/admin/users/{user}", "/admin/users/{user}/password", "/admin/users/{user}/active",
           "/admin/groups", "/admin/groups/cc-1"]


@pytest.fixture
async def running(make_settings: SettingsFactory, start_app: Callable[..., Any]) -> AsyncIterator[RunningApp]:
    """The app with an admin, an operator, a contact-centre group and a store."""
    async with start_app(make_settings()) as app:
        await app.hub.stores.directory.save_group(Group(id=GroupId("cc-1"), name="Contact centre 1"))
        await app.hub.stores.directory.upsert_stores([RetailStore(id="118", name="Tverskaya", region="msk")])
        await create_user(app.hub, "root", PASSWORD, roles=[Role.ADMIN])
        await create_user(app.hub, "op", PASSWORD, roles=[Role.OPERATOR, Role.SUPERVISOR], groups=["cc-1"])
        yield app


async def _admin(running: RunningApp) -> str:
    await sign_in(running.client, "root", PASSWORD)
    return await session_csrf(running.client, running.hub)


async def _user(running: RunningApp, login: str) -> User:
    user = await running.hub.stores.directory.user_by_login(login)
    assert user is not None
    return user


async def test_anonymous_is_sent_to_login_from_every_page_and_refused_every_action(running: RunningApp) -> None:
    op = await _user(running, "op")
    for page in [*PAGES, f"/admin/users/{op.id}", "/admin/groups/cc-1"]:
        response = await running.client.get(page)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/admin/")
    for action in ACTIONS:
        response = await running.client.post(action.format(user=op.id), data={"name": "x"},
                                             headers={"HX-Request": "true"})
        assert response.status_code == 401, action


async def test_other_roles_get_403_everywhere(running: RunningApp) -> None:
    await sign_in(running.client, "op", PASSWORD)
    token = await session_csrf(running.client, running.hub)
    op = await _user(running, "op")
    for page in [*PAGES, f"/admin/users/{op.id}", "/admin/groups/cc-1"]:
        assert (await running.client.get(page)).status_code == 403, page
    for action in ACTIONS:
        response = await running.client.post(action.format(user=op.id), data={"csrf_token": token, "name": "x",
                                                                              "active": "false"})
        assert response.status_code == 403, action
    assert (await _user(running, "op")).active


async def test_every_admin_action_needs_the_csrf_token(running: RunningApp) -> None:
    await _admin(running)
    op = await _user(running, "op")
    for action in ACTIONS:
        response = await running.client.post(action.format(user=op.id),
                                             data={"name": "x", "active": "false", "password": "p" * 12})
        assert response.status_code == 403 and "CSRF" in response.text, action
    assert (await _user(running, "op")).active


async def test_admin_creates_a_user_who_can_then_sign_in(running: RunningApp) -> None:
    token = await _admin(running)
    response = await running.client.post("/admin/users", data={
        "csrf_token": token, "login": "Dina", "name": "Dina K.", "email": "dina@example.ru",
        "roles": ["operator"], "groups": "cc-1", "language": "ru", "capacity": "7", "password": "dina password 1"})
    assert response.status_code == 303, response.text
    dina = await _user(running, "dina")
    assert (dina.roles, dina.groups, dina.capacity) == (frozenset({Role.OPERATOR}), ["cc-1"], 7)
    listed = await running.client.get("/admin/users", params={"group": "cc-1", "role": "operator"})
    assert "Dina K." in listed.text and "root" not in listed.text.split("<tbody>")[1]
    unfiltered = await running.client.get("/admin/users", params={"group": "", "role": ""})  # the form's "any"
    assert unfiltered.status_code == 200 and "root" in unfiltered.text.split("<tbody>")[1]
    wrong = await running.client.get("/admin/users", params={"role": "king"}, headers={"accept": "application/json"})
    assert wrong.status_code == 422 and "operator" in wrong.json()["error"]["reason"]
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app), base_url="http://otklik.test")
    async with other:
        await sign_in(other, "dina", "dina password 1")


async def test_invalid_user_form_comes_back_with_reasons(running: RunningApp) -> None:
    token = await _admin(running)
    response = await running.client.post("/admin/users", data={
        "csrf_token": token, "login": "op", "name": "Again", "groups": "nope", "password": "short"})
    assert response.status_code == 422
    assert "nope" in response.text or "password" in response.text
    taken = await running.client.post("/admin/users", data={
        "csrf_token": token, "login": "op", "name": "Again", "password": "long enough 1"})
    assert taken.status_code == 422 and "taken" in taken.text
    assert await running.hub.stores.directory.count_users() == 2


async def test_admin_edits_roles_groups_capacity_with_a_stale_form_refused(running: RunningApp) -> None:
    token = await _admin(running)
    op = await _user(running, "op")
    await running.hub.stores.directory.save_group(Group(id=GroupId("quality"), name="QC", kind=GroupKind.SPECIALIST))
    form = {"csrf_token": token, "name": "Oleg", "roles": ["specialist"], "groups": "quality, cc-1",
            "capacity": "3", "language": "en", "store_id": "118", "version": str(op.version)}
    saved = await running.client.post(f"/admin/users/{op.id}", data=form)
    assert saved.status_code == 303
    changed = await _user(running, "op")
    assert (changed.name, changed.roles, changed.groups, changed.capacity, changed.store_id) == (
        "Oleg", frozenset({Role.SPECIALIST}), ["quality", "cc-1"], 3, "118")
    stale = await running.client.post(f"/admin/users/{op.id}", data={**form, "name": "Late"})
    assert stale.status_code == 422 and (await _user(running, "op")).name == "Oleg"


async def test_reset_password_and_deactivate_end_the_users_sessions(running: RunningApp) -> None:
    token = await _admin(running)
    op = await _user(running, "op")
    transport = httpx.ASGITransport(app=running.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as op_client:
        await sign_in(op_client, "op", PASSWORD)
        reset = await running.client.post(f"/admin/users/{op.id}/password",
                                          data={"csrf_token": token, "password": "brand new secret"})
        assert reset.status_code == 303
        assert (await op_client.get("/")).headers["location"].startswith("/login")
        await sign_in(op_client, "op", "brand new secret")
        off = await running.client.post(f"/admin/users/{op.id}/active", data={"csrf_token": token, "active": "false"})
        assert off.status_code == 303 and not (await _user(running, "op")).active
        assert (await op_client.get("/")).headers["location"].startswith("/login")
    root = await _user(running, "root")
    myself = await running.client.post(f"/admin/users/{root.id}/active", data={"csrf_token": token, "active": "false"})
    assert myself.status_code == 409 and (await _user(running, "root")).active


async def test_admin_creates_and_edits_groups(running: RunningApp) -> None:
    token = await _admin(running)
    created = await running.client.post("/admin/groups", data={
        "csrf_token": token, "id": "logistics", "name": "Logistics", "kind": "specialist", "calendar": "msk"})
    assert created.status_code == 303
    again = await running.client.post("/admin/groups", data={"csrf_token": token, "id": "logistics", "name": "L2"})
    assert again.status_code == 422
    bad = await running.client.post("/admin/groups", data={"csrf_token": token, "id": "Bad Id!", "name": "x"})
    assert bad.status_code == 422
    edited = await running.client.post("/admin/groups/logistics", data={
        "csrf_token": token, "name": "Logistics NW", "kind": "specialist", "escalation_group": "cc-1"})
    assert edited.status_code == 303
    group = await running.hub.stores.directory.get_group(GroupId("logistics"))
    assert (group.name, group.escalation_group, group.calendar) == ("Logistics NW", "cc-1", None)
    page = await running.client.get("/admin/groups", params={"kind": "specialist"})
    assert "Logistics NW" in page.text and "Contact centre 1" not in page.text
    every = await running.client.get("/admin/groups", params={"kind": ""})
    assert "Logistics NW" in every.text and "Contact centre 1" in every.text
    stores = await running.client.get("/admin/stores")
    assert "Tverskaya" in stores.text and "store:118" in stores.text


async def test_html_in_names_is_shown_as_text(running: RunningApp) -> None:
    token = await _admin(running)
    evil = '<img src=x onerror="alert(1)">'
    await running.client.post("/admin/users", data={
        "csrf_token": token, "login": "evil", "name": evil, "password": "evil password 1"})
    await running.hub.stores.directory.save_group(Group(id=GroupId("g-evil"), name=evil))
    for page in ["/admin/users", f"/admin/users/{(await _user(running, 'evil')).id}", "/admin/groups",
                 "/admin/groups/g-evil"]:
        text = (await running.client.get(page)).text
        assert evil not in text and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in text, page


async def test_browsers_get_pages_for_missing_records_and_expired_forms(running: RunningApp) -> None:
    token = await _admin(running)
    html = {"accept": "text/html,application/xhtml+xml"}
    missing = await running.client.get("/admin/users/nobody", headers=html)
    assert missing.status_code == 404 and "<html" in missing.text and "user nobody not found" in missing.text
    api = await running.client.get("/admin/users/nobody")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    op = await _user(running, "op")
    running.client.cookies.clear()  # the session is gone: the form posted later sends the browser to sign in
    expired = await running.client.post(f"/admin/users/{op.id}/active", data={"csrf_token": token, "active": "false"},
                                        headers={**html, "referer": f"http://otklik.test/admin/users/{op.id}"})
    assert expired.status_code == 303 and expired.headers["location"] == f"/login?next=/admin/users/{op.id}"
    assert (await _user(running, "op")).active
