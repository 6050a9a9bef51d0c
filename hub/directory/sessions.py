"""Server-side web sessions: a random token in the cookie, its SHA-256 in the store.

A session ends when idle too long, when too old whatever the activity, on sign-out, and when its user
is deactivated or changes password (those delete every session of the user).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.settings import Settings
from hub.stores.directory import DirectoryStore
from models.errors import NotFound
from models.staff import User
from models.web_sessions import WebSession

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen_at at most once a minute: pages poll and stream


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SessionPolicy:
        """The policy the settings configure."""
        return cls(timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_absolute_hours))

    def expired(self, session: WebSession, now: datetime) -> bool:
        """Whether the session is past its idle or absolute deadline."""
        return now - session.last_seen_at > self.idle or now - session.created_at > self.absolute


def token_hash(token: str) -> str:
    """The stored id of a cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def start(store: DirectoryStore, user: User, *, now: datetime, ip: str | None = None,
                user_agent: str | None = None) -> tuple[str, WebSession]:
    """A new session for `user`: the cookie token (shown only here) and the stored record."""
    token = secrets.token_urlsafe(32)
    session = WebSession(id=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                         created_at=now, last_seen_at=now, ip=ip, user_agent=(user_agent or "")[:300] or None)
    await store.add_session(session)
    return token, session


async def resume(store: DirectoryStore, token: str, policy: SessionPolicy,
                 now: datetime) -> tuple[WebSession, User] | None:
    """The live session behind a cookie token and its active user; None (and the session deleted when it
    has expired or its user is gone or inactive) otherwise."""
    if not token or len(token) > 100:
        return None
    return await live(store, token_hash(token), policy, now)


async def live(store: DirectoryStore, session_id: str, policy: SessionPolicy, now: datetime, *,
               touch: bool = True) -> tuple[WebSession, User] | None:
    """The session (by its stored id) and its active user while it lives; None, and the session deleted,
    once it has expired or its user is gone or inactive. `touch=False` for a check that is not the user's
    own doing (a live stream's redraw must not keep an idle session alive)."""
    session = await store.get_session(session_id)
    if session is None:
        return None
    try:
        user = await store.get_user(session.user_id)
    except NotFound:
        user = None
    if user is None or not user.active or policy.expired(session, now):
        await store.delete_session(session.id)
        return None
    if touch and now - session.last_seen_at >= TOUCH_EVERY:
        await store.touch_session(session.id, now)
    return session, user


async def end(store: DirectoryStore, token: str) -> None:
    """Sign out: delete the session behind the token."""
    await store.delete_session(token_hash(token))
