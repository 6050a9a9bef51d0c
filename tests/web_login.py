"""Signing in from tests the way a browser does: GET the form, POST it with the login CSRF cookie.

    user = await create_user(running.hub, "anna", "s3cret-pass", roles=[Role.OPERATOR], groups=["cc-1"])
    await sign_in(running.client, "anna", "s3cret-pass")
    token = await session_csrf(running.client, running.hub)
    await running.client.post("/inbox/...", data={"csrf_token": token, ...})
    # or headers={"X-CSRF-Token": token} for HTMX-style calls
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from api.signin import LOGIN_CSRF_COOKIE
from api.web_auth import SESSION_COOKIE
from hub.core import Hub
from hub.directory import users
from hub.directory.sessions import token_hash
from models.staff import GroupId, Role, User


async def create_user(
    hub: Hub, login: str, password: str, roles: Iterable[Role | str] = (), groups: Iterable[str] = (),
    store_id: str | None = None, *, name: str | None = None, language: str = "en",
) -> User:
    """A new active user with this password (argon2-hashed, as in production)."""
    return await users.create_user(
        hub.stores.directory, login=login, name=name or login.title(), password=password,
        roles=frozenset(Role(r) for r in roles), groups=[GroupId(g) for g in groups], store_id=store_id,
        language=language)


async def sign_in(client: httpx.AsyncClient, login: str, password: str) -> None:
    """Sign the client in through the login form; AssertionError with the page when it fails."""
    form = await client.get("/login")
    assert form.status_code == 200, form.text
    token = client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    assert token, "the login page set no CSRF cookie"
    response = await client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    assert response.status_code == 303, f"sign-in as {login} failed: {response.status_code} {response.text[:500]}"
    assert client.cookies.get(SESSION_COOKIE), "no session cookie after sign-in"


async def session_csrf(client: httpx.AsyncClient, hub: Hub) -> str:
    """The CSRF token of the client's current session (what base.html puts into `hx-headers`)."""
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie, "the client is not signed in"
    session = await hub.stores.directory.get_session(token_hash(cookie))
    assert session is not None, "the client's session has ended"
    return session.csrf_token


async def sign_out(client: httpx.AsyncClient, hub: Hub) -> None:
    """Sign out through the form, as the top bar's button does."""
    response = await client.post("/logout", data={"csrf_token": await session_csrf(client, hub)})
    assert response.status_code == 303, response.text
