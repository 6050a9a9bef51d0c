"""Who sees which reports: filters read from the query, narrowed to what the viewer may see.

Supervisors and admins see everything, personal data included; store staff see their own store only,
with customer ids and words masked; API tokens need `reports:read`, and see personal data only when they
also carry `conversations:read`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import Request

from hub.reports import Filters
from models.clock import local_date, utcnow
from models.errors import Forbidden, PayloadError
from models.staff import Role, User
from models.tokens import ApiToken, Scope

MAX_DAYS = 400
DEFAULT_DAYS = 30
DIMENSIONS = ("topic", "channel", "group", "store", "region", "operator", "reason", "request_type")


@dataclass(frozen=True)
class Viewer:
    """What the viewer may see: a store they are held to, and whether personal data shows."""

    store: str | None
    personal: bool
    management: bool  # region and store tables of the whole chain


def person_viewer(user: User) -> Viewer:
    """A signed-in person's view; Forbidden for roles reports are not for."""
    if user.has(Role.SUPERVISOR, Role.ADMIN):
        return Viewer(store=None, personal=True, management=True)
    if user.has(Role.STORE_STAFF) and user.store_id:
        return Viewer(store=user.store_id, personal=False, management=False)
    raise Forbidden("reports are for supervisors, admins and store staff")


def token_viewer(token: ApiToken) -> Viewer:
    """An API client's view (it already holds reports:read)."""
    return Viewer(store=None, personal=token.allows(Scope.CONVERSATIONS_READ), management=True)


def today(request: Request) -> date:
    """Today in the chain's configured zone (never the server's)."""
    return local_date(utcnow(), request.app.state.hub.settings.timezone)


def read_filters(query: Mapping[str, str], viewer: Viewer, now: date) -> Filters:
    """Filters from query parameters (start, end as YYYY-MM-DD; dimension values), held to the viewer's store."""
    end = _day(query, "end", now)
    start = _day(query, "start", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise PayloadError(f"start {start} is after end {end}")
    if (end - start).days >= MAX_DAYS:
        raise PayloadError(f"the period is longer than {MAX_DAYS} days")
    values = {}
    for name in DIMENSIONS:
        value = query.get(name)
        if value:
            if len(value) > 100:
                raise PayloadError(f"{name} is longer than 100 characters")
            values[name] = value
    if viewer.store is not None:
        if values.get("store", viewer.store) != viewer.store:
            raise Forbidden("store staff see their own store's reports only")
        values["store"] = viewer.store
    return Filters(start=start.isoformat(), end=end.isoformat(), **values)


def _day(query: Mapping[str, str], name: str, default: date) -> date:
    raw = query.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as e:
        raise PayloadError(f"{name}: {raw[:40]!r} is not a date (YYYY-MM-DD)") from e
