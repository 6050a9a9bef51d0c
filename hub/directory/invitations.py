"""Invitations: a single-use, expiring link by which a new user sets their own password.

Systems that create users (the directory API) never set passwords; they get this link to pass on. Only the
SHA-256 of the secret is stored on the user, and setting the password clears it, so a link works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from hub.directory.users import hash_in_thread
from hub.stores.directory import DirectoryStore
from models.errors import NotFound, PayloadError
from models.staff import User, UserId

INVITE_TTL = timedelta(days=3)
INVITE_PATH = "/invite"


class InvitationInvalid(PayloadError):
    """The link is unknown, used, expired or for a deactivated user."""

    code = "invitation_invalid"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def invite(store: DirectoryStore, user_id: UserId, now: datetime, ttl: timedelta = INVITE_TTL) -> str:
    """A new invitation token for the user (any earlier one stops working); `<user id>.<secret>`."""
    user = await store.get_user(user_id)
    secret = secrets.token_urlsafe(32)
    user.invite_hash, user.invite_expires_at = _digest(secret), now + ttl
    await store.save_user(user, expected_version=user.version)
    return f"{user.id}.{secret}"


def invite_url(token: str, public_url: str | None) -> str:
    """Where the invited person sets a password (the token in the query: the access log omits queries)."""
    return f"{(public_url or '').rstrip('/')}{INVITE_PATH}?token={token}"


async def invited_user(store: DirectoryStore, token: str, now: datetime) -> User:
    """The active user this token invites; InvitationInvalid otherwise."""
    user_id, _, secret = token.partition(".")
    if not user_id or not secret or len(token) > 200:
        raise InvitationInvalid("this invitation link is not valid")
    try:
        user = await store.get_user(UserId(user_id))
    except NotFound as e:
        raise InvitationInvalid("this invitation link is not valid") from e
    if (user.invite_hash is None or user.invite_expires_at is None or not user.active
            or not hmac.compare_digest(user.invite_hash, _digest(secret))):
        raise InvitationInvalid("this invitation link is not valid or was already used")
    if user.invite_expires_at <= now:
        raise InvitationInvalid("this invitation link has expired; ask for a new one")
    return user


async def accept(store: DirectoryStore, token: str, password: str, now: datetime) -> User:
    """Set the invited user's password and spend the invitation (a second use fails)."""
    user = await invited_user(store, token, now)
    hashed = await hash_in_thread(password)  # a weak password is refused before the link is spent
    user.password_hash, user.invite_hash, user.invite_expires_at = hashed, None, None
    await store.save_user(user, expected_version=user.version)  # a parallel use of the same link loses here
    await store.delete_user_sessions(user.id)
    return user
