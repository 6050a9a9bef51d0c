"""Users: create, change, deactivate, set passwords, and authenticate a sign-in.

Hashing is CPU work (tens of milliseconds), so it runs in a worker thread and the event loop keeps
serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from hub.directory.passwords import DEFAULT, Passwords
from hub.stores.directory import DirectoryStore
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
    window: timedelta, passwords: Passwords = DEFAULT, now: datetime | None = None,
) -> User:
    """The active user with this login and password; SignInFailed otherwise, RateLimited once this login
    from this address has failed `max_failures` times (one more try per `window`), or this address has
    used up its ten-times-larger budget, which refills evenly over `window`."""
    key, address_key = f"{login.strip().lower()}|{address}", f"*|{address}"
    per_address = max_failures * ADDRESS_FACTOR
    address_step = window / per_address  # an office behind one NAT gets a try back every few seconds
    now = now or utcnow()
    # The attempt is reserved before the (slow) hash, so parallel guesses cannot all slip past the count.
    if not await store.reserve_attempt(key, now, capacity=max_failures, interval=window):
        raise RateLimited("too many failed sign-ins; try again later", retry_after=int(window.total_seconds()))
    if not await store.reserve_attempt(address_key, now, capacity=per_address, interval=address_step):
        await store.release_attempt(key, window)
        raise RateLimited("too many failed sign-ins from this address; try again later",
                          retry_after=max(1, int(address_step.total_seconds())))
    user = await store.user_by_login(login) if login.strip() else None
    stored = user.password_hash if user is not None and user.active else None
    ok, rehashed = await asyncio.to_thread(passwords.verify, stored, password)
    if not ok or user is None:
        raise SignInFailed("wrong login or password")  # both reservations stay as the failure
    await store.clear_login_failures(key)
    await store.release_attempt(address_key, address_step)
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
