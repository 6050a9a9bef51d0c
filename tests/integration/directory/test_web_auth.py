"""Web sign-in end to end: the login form, sessions, CSRF, roles, expiry, lockout, sign-out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI

from api.demo.staff import PASSWORD_VAR, ensure_demo_password, seed_people
from api.signin import LOGIN_CSRF_COOKIE
from api.web_auth import SESSION_COOKIE, CurrentUser, require_role
from hub.directory import users
from hub.directory.passwords import Passwords
from hub.directory.sessions import token_hash
from models.clock import utcnow
from models.errors import RateLimited
from models.staff import Role, User
from tests.conftest import RunningApp, SettingsFactory
from tests.web_login import create_user, session_csrf, sign_in, sign_out

PASSWORD = "correct horse battery"


@pytest.fixture
async def running(make_settings: SettingsFactory, start_app: Callable[..., Any]) -> AsyncIterator[RunningApp]:
    """The app with a test-only page per guard, so the guards are tested as routes use them."""
    settings = make_settings(login_max_failures=3)
    async with start_app(settings) as app:
        routes: FastAPI = app.app

        @routes.get("/_test/me")
        async def me(user: CurrentUser) -> dict[str, str]:
            return {"login": user.login}

        @routes.post("/_test/change")
        async def change(user: Annotated[User, Depends(require_role(Role.SUPERVISOR))]) -> dict[str, str]:
            return {"changed_by": user.login}

        yield app


async def test_sign_in_sets_a_safe_session_cookie_and_lands_on_the_role_home(running: RunningApp) -> None:
    await create_user(running.hub, "Anna", PASSWORD, roles=[Role.OPERATOR])
    form = await running.client.get("/login")
    token = running.client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    response = await running.client.post("/login", data={"login": "anna", "password": PASSWORD,
                                                         "csrf_token": token})
    assert response.status_code == 303, form.text
    assert response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    me = await running.client.get("/_test/me")
    assert me.status_code == 200, (me.status_code, me.headers, me.text)
    assert me.json() == {"login": "anna"}


async def test_session_cookie_is_secure_behind_https(make_settings: SettingsFactory,
                                                     start_app: Callable[..., Any]) -> None:
    async with start_app(make_settings(public_url="https://otklik.example.ru")) as app:
        await create_user(app.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
        transport = httpx.ASGITransport(app=app.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://otklik.test") as client:
            await sign_in(client, "anna", PASSWORD)
        cookies = [c for c in client.cookies.jar if c.name == SESSION_COOKIE]
        assert cookies and cookies[0].secure and cookies[0].has_nonstandard_attr("HttpOnly")


async def test_wrong_password_and_unknown_login_fail_alike(running: RunningApp) -> None:
    await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
    for login in ("anna", "nobody"):
        await running.client.get("/login")
        token = running.client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
        response = await running.client.post("/login", data={"login": login, "password": "wrong-password",
                                                             "csrf_token": token})
        assert response.status_code == 401
        assert "Wrong login or password" in response.text or "Неверный логин" in response.text
        assert not running.client.cookies.get(SESSION_COOKIE)


async def test_login_form_without_its_csrf_cookie_is_refused(running: RunningApp) -> None:
    await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
    response = await running.client.post("/login", data={"login": "anna", "password": PASSWORD,
                                                         "csrf_token": "forged"})
    assert response.status_code == 403
    assert "forged" in response.text or "expired" in response.text


async def test_repeated_failures_lock_the_login_from_that_address(running: RunningApp) -> None:
    await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
    await running.client.get("/login")
    token = running.client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    for _ in range(3):
        await running.client.post("/login", data={"login": "anna", "password": "nope-nope", "csrf_token": token})
    locked = await running.client.post("/login", data={"login": "anna", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429  # even the right password waits out the window
    assert not running.client.cookies.get(SESSION_COOKIE)


async def test_anonymous_page_redirects_to_login_with_next_and_htmx_gets_401(running: RunningApp) -> None:
    page = await running.client.get("/_test/me?x=1")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/_test/me%3Fx%3D1"
    htmx = await running.client.get("/_test/me", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/login?next=")
    api = await running.client.get("/_test/me", headers={"accept": "application/json"})
    assert api.status_code == 401 and api.json()["error"]["code"] == "sign_in_required"


async def test_next_only_goes_to_local_paths(running: RunningApp) -> None:
    await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        await running.client.get("/login")
        token = running.client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
        response = await running.client.post("/login", data={"login": "anna", "password": PASSWORD,
                                                             "csrf_token": token, "next": evil})
        assert response.headers["location"] == "/inbox"
        await sign_out(running.client, running.hub)


async def test_state_change_needs_the_session_csrf_token(running: RunningApp) -> None:
    await create_user(running.hub, "sv", PASSWORD, roles=[Role.SUPERVISOR])
    await sign_in(running.client, "sv", PASSWORD)
    missing = await running.client.post("/_test/change", headers={"accept": "application/json"})
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf_failed"
    wrong = await running.client.post("/_test/change", headers={"X-CSRF-Token": "nope",
                                                                "accept": "application/json"})
    assert wrong.status_code == 403 and "does not match" in wrong.json()["error"]["reason"]
    token = await session_csrf(running.client, running.hub)
    by_header = await running.client.post("/_test/change", headers={"X-CSRF-Token": token})
    assert by_header.json() == {"changed_by": "sv"}
    by_form = await running.client.post("/_test/change", data={"csrf_token": token})
    assert by_form.json() == {"changed_by": "sv"}


async def test_wrong_role_gets_403(running: RunningApp) -> None:
    await create_user(running.hub, "op", PASSWORD, roles=[Role.OPERATOR])
    await sign_in(running.client, "op", PASSWORD)
    token = await session_csrf(running.client, running.hub)
    response = await running.client.post("/_test/change", headers={"X-CSRF-Token": token,
                                                                    "accept": "application/json"})
    assert response.status_code == 403 and "supervisor" in response.json()["error"]["reason"]
    page = await running.client.post("/_test/change", data={"csrf_token": token})
    assert page.status_code == 403 and "<html" in page.text


async def test_sign_out_ends_the_session_server_side(running: RunningApp) -> None:
    await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
    await sign_in(running.client, "anna", PASSWORD)
    stolen = running.client.cookies.get(SESSION_COOKIE)
    assert stolen
    await sign_out(running.client, running.hub)
    running.client.cookies.set(SESSION_COOKIE, stolen)  # a copied cookie is dead too
    assert (await running.client.get("/_test/me")).status_code == 303


async def test_deactivation_and_password_change_end_sessions(running: RunningApp) -> None:
    user = await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
    await sign_in(running.client, "anna", PASSWORD)
    await users.set_password(running.hub.stores.directory, user.id, "another long password")
    assert (await running.client.get("/_test/me")).status_code == 303
    await sign_in(running.client, "anna", "another long password")
    await users.set_active(running.hub.stores.directory, user.id, False)
    assert (await running.client.get("/_test/me")).status_code == 303
    await running.client.get("/login")
    token = running.client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    refused = await running.client.post("/login", data={"login": "anna", "password": "another long password",
                                                        "csrf_token": token})
    assert refused.status_code == 401


async def test_idle_session_expires(running: RunningApp) -> None:
    await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR])
    await sign_in(running.client, "anna", PASSWORD)
    cookie = running.client.cookies.get(SESSION_COOKIE)
    assert cookie
    store = running.hub.stores.directory
    session = await store.get_session(token_hash(cookie))
    assert session is not None
    await store.touch_session(session.id, utcnow() - timedelta(hours=3))  # idle limit is 2 hours
    assert (await running.client.get("/_test/me")).status_code == 303
    assert await store.get_session(session.id) is None


async def test_language_switch_is_saved_on_the_user(running: RunningApp) -> None:
    user = await create_user(running.hub, "anna", PASSWORD, roles=[Role.OPERATOR], language="en")
    await sign_in(running.client, "anna", PASSWORD)
    token = await session_csrf(running.client, running.hub)
    response = await running.client.post("/language", data={"lang": "ru", "next": "/login",
                                                            "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert (await running.hub.stores.directory.get_user(user.id)).language == "ru"


async def test_user_names_are_escaped_in_the_top_bar(running: RunningApp) -> None:
    await create_user(running.hub, "mallory", PASSWORD, roles=[Role.OPERATOR],
                      name='<script>alert("x")</script>')
    await sign_in(running.client, "mallory", PASSWORD)
    page = await running.client.get("/login", follow_redirects=False)
    assert page.status_code == 303  # signed in: the form sends you on
    await running.client.post("/language", data={"lang": "en", "next": "/",
                                                 "csrf_token": await session_csrf(running.client, running.hub)})
    # any page with the top bar shows the name; the 403 page is one every role can reach
    token = await session_csrf(running.client, running.hub)
    forbidden = await running.client.post("/_test/change", data={"csrf_token": token})
    assert "<script>alert" not in forbidden.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in forbidden.text


async def test_demo_people_are_seeded_once_and_can_sign_in(running: RunningApp, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    password = ensure_demo_password(env)
    assert ensure_demo_password(env) == password and f"{PASSWORD_VAR}={password}" in env.read_text()
    created = await seed_people(running.hub.stores.directory, password)
    assert created == ["admin", "operator1", "operator2", "supervisor", "store118", "specialist", "editor"]
    assert await seed_people(running.hub.stores.directory, password) == []
    for login, home in [("operator1", "/inbox"), ("admin", "/admin/users"), ("store118", "/cases"),
                        ("specialist", "/cases"), ("editor", "/dialogs")]:
        await sign_in(running.client, login, password)
        assert (await running.client.get("/")).headers["location"] == home
        await sign_out(running.client, running.hub)
    staff = await running.hub.stores.directory.user_by_login("store118")
    assert staff is not None and staff.groups == ["store:118"] and staff.store_id == "118"


async def test_many_logins_failing_from_one_address_are_throttled_too(running: RunningApp) -> None:
    fast = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    store = running.hub.stores.directory
    window = timedelta(minutes=15)
    for n in range(20):  # two tries each for ten logins: under the per-login limit, at the address limit
        with pytest.raises(users.SignInFailed):
            await users.authenticate(store, f"guess{n // 2}", "wrong-password", address="203.0.113.9",
                                     max_failures=2, window=window, passwords=fast)
    with pytest.raises(RateLimited):
        await users.authenticate(store, "someone-else", "wrong-password", address="203.0.113.9", max_failures=2,
                                 window=window, passwords=fast)
    with pytest.raises(users.SignInFailed):  # another address is not affected
        await users.authenticate(store, "someone-else", "wrong-password", address="198.51.100.1", max_failures=2,
                                 window=window, passwords=fast)
