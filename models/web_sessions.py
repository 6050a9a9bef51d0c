"""A signed-in browser: the server-side half of the session cookie.

The cookie carries a random token; the store keeps only its SHA-256 (`id`), so a copy of the database
cannot be replayed as live sessions.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.clock import utcnow
from models.staff import UserId


class WebSession(BaseModel):
    """One browser's sign-in: who, since when, last seen, and its CSRF token."""

    id: str = Field(min_length=64, max_length=64)  # hex SHA-256 of the cookie's token
    user_id: UserId
    csrf_token: str = Field(min_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ip: str | None = None
    user_agent: str | None = Field(default=None, max_length=300)
