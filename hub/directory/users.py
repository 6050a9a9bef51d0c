"""Users: create, change, deactivate, set passwords, and authenticate a sign-in.

Hashing is CPU work (tens of milliseconds), so it runs in a worker thread and the event loop keeps
serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from hub.passwords import DEFAULT, Passwords
from hub.stores.directory_base import DirectoryStore
from models.clock import utcnow
from models.errors import Conflict, NotFound, PayloadError, RateLimited, SignatureError
from models.staff import GroupId, Role, User, UserId

ADDRESS_FACTOR = 10  # an office behind one NAT address has many people who mistype


class SignInFailed(SignatureError):
    """Wrong login or password (deliberately not saying which)."""

    code = "sign_in_failed"


async def hash_in_thread(password: str, passwords: Passwords = DEFAULT) -> str:
    """The argon2 hash, computed off the event loop; PayloadError for a weak password."""
    try:
        return await asyncio.to_thread(passwords.hash, password)
    except ValueError as e:
        raise PayloadError(str(e)) from e


async def create_user(
    store: DirectoryStore, *, login: str, name: str, password: str | None = None,
    roles: frozenset[Role] = frozenset(), groups: list[GroupId] | None = None, **fields: Any,
) -> User:
    """A new user (Conflict if the login is taken); a password is optional (no sign-in until set)."""
    if await store.user_by_login(login) is not None:
        raise Conflict(f"login {login.strip().lower()!r} is taken")
    user = User(login=login, name=name, roles=roles, groups=list(groups or []), **fields)
    if password is not None:
        user.password_hash = await hash_in_thread(password)
    await store.save_user(user)
    return user


async def set_password(store: DirectoryStore, user_id: UserId, password: str) -> User:
    """Replace the password and sign the user out everywhere."""
    user = await store.get_user(user_id)
    user.password_hash = await hash_in_thread(password)
    await store.save_user(user, expected_version=user.version)
    await store.delete_user_sessions(user.id)
    return user


async def set_active(store: DirectoryStore, user_id: UserId, active: bool) -> User:
    """Deactivate (signing the user out everywhere) or reactivate a user."""
    user = await store.get_user(user_id)
    user.active = active
    await store.save_user(user, expected_version=user.version)
    if not active:
        await store.delete_user_sessions(user.id)
    return user


async def update_user(store: DirectoryStore, user_id: UserId, **changes: Any) -> User:
    """Change name, e-mail, roles, groups, store, language or capacity (validated like a new user)."""
    user = await store.get_user(user_id)
    allowed = {"name", "email", "roles", "groups", "store_id", "language", "capacity"}
    unknown = set(changes) - allowed
    if unknown:
        raise PayloadError(f"cannot change {', '.join(sorted(unknown))}")
    updated = User.model_validate({**user.model_dump(), **changes})
    await store.save_user(updated, expected_version=user.version)
    return updated


async def authenticate(
    store: DirectoryStore, login: str, password: str, *, address: str, max_failures: int,
    window: timedelta, passwords: Passwords = DEFAULT,
) -> User:
    """The active user with this login and password; SignInFailed otherwise, RateLimited after
    `max_failures` failures for this login from this address within `window` (or ten times as many for
    any logins from this address)."""
    key, address_key = f"{login.strip().lower()}|{address}", f"*|{address}"
    now = utcnow()
    # One login from one address, and (against password spraying) any logins from one address, more loosely.
    if (await store.count_login_failures(key, now - window) >= max_failures
            or await store.count_login_failures(address_key, now - window) >= max_failures * ADDRESS_FACTOR):
        raise RateLimited("too many failed sign-ins; try again later", retry_after=int(window.total_seconds()))
    user = await store.user_by_login(login) if login.strip() else None
    stored = user.password_hash if user is not None and user.active else None
    ok, rehashed = await asyncio.to_thread(passwords.verify, stored, password)
    if not ok or user is None:
        await store.record_login_failure(key, now)
        await store.record_login_failure(address_key, now)
        raise SignInFailed("wrong login or password")
    await store.clear_login_failures(key)
    if rehashed is not None:  # parameters changed since this hash was made: upgrade it now we know the password
        user.password_hash = rehashed
        await store.save_user(user, expected_version=user.version)
    return user


async def get_by_login(store: DirectoryStore, login: str) -> User:
    """The user with this login, or NotFound."""
    user = await store.user_by_login(login)
    if user is None:
        raise NotFound(f"no user {login.strip().lower()!r}")
    return user
