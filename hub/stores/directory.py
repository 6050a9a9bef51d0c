"""The directory port: users, groups, the chain's stores, web sessions and failed sign-ins.

Adapters: `sqlite_directory.py` (embedded) and `mongo_directory.py`; both pass
`tests/contract/test_directory_store.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from models.retail_stores import RetailStore
from models.staff import Availability, Group, GroupId, GroupKind, Role, User, UserId
from models.web_sessions import WebSession


@dataclass(frozen=True)
class UpsertCounts:
    """What a bulk upsert did."""

    created: int = 0
    updated: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(self.created + other.created, self.updated + other.updated)


def store_group(store: RetailStore) -> Group:
    """The queue group of a retail store."""
    return Group(id=store.group_id, name=f"{store.id} {store.name}"[:200], kind=GroupKind.STORE,
                 store_id=store.id, region=store.region)


def merge_imported(existing: User, incoming: User) -> User:
    """`incoming` as an update of `existing`: keeps id, created_at, availability, a password hash and an
    invitation."""
    return incoming.model_copy(update={
        "id": existing.id, "created_at": existing.created_at, "availability": existing.availability,
        "password_hash": incoming.password_hash or existing.password_hash, "version": existing.version + 1,
        "invite_hash": existing.invite_hash, "invite_expires_at": existing.invite_expires_at,
    })


class DirectoryStore(Protocol):
    """Users (unique login), groups, retail stores, sessions and sign-in failures."""

    async def get_user(self, user_id: UserId) -> User:
        """The user, or NotFound."""
        ...

    async def user_by_login(self, login: str) -> User | None:
        """The user with this login (case-insensitive), if any."""
        ...

    async def save_user(self, user: User, *, expected_version: int | None = None) -> None:
        """Insert or replace by id and bump `version`; Conflict if the login is another user's, or
        (with `expected_version`) if someone saved since."""
        ...

    async def set_availability(self, user_id: UserId, availability: Availability) -> User:
        """Set available/away/offline (bumps version); NotFound if absent."""
        ...

    async def upsert_users(self, users: list[User]) -> UpsertCounts:
        """Create or update by login in one transaction; an update keeps the stored id, availability and
        (when the new one is None) password hash."""
        ...

    async def list_users(
        self, *, group: GroupId | None = None, role: Role | None = None, active: bool | None = None,
        limit: int = 100, after: str | None = None,
    ) -> list[User]:
        """Users ordered by login, after the login `after`, filtered by group / role / active."""
        ...

    async def count_users(self) -> int:
        """How many users exist."""
        ...

    async def get_group(self, group_id: GroupId) -> Group:
        """The group, or NotFound."""
        ...

    async def save_group(self, group: Group) -> None:
        """Insert or replace by id."""
        ...

    async def upsert_groups(self, groups: list[Group]) -> UpsertCounts:
        """Insert or replace by id in one transaction (keeping the first `created_at`)."""
        ...

    async def list_groups(self, *, kind: GroupKind | None = None, limit: int = 1000,
                          after: str | None = None) -> list[Group]:
        """Groups ordered by id, after the id `after`."""
        ...

    async def get_store(self, store_id: str) -> RetailStore:
        """The retail store, or NotFound."""
        ...

    async def upsert_stores(self, stores: list[RetailStore]) -> UpsertCounts:
        """Insert or replace by store number, and create or rename each store's queue group
        (`store:<number>`, keeping its calendar and escalation), in one transaction."""
        ...

    async def list_stores(self, *, region: str | None = None, limit: int = 100,
                          after: str | None = None) -> list[RetailStore]:
        """Stores ordered by number (as text), after `after`, optionally of one region."""
        ...

    async def count_stores(self) -> int:
        """How many retail stores exist."""
        ...

    async def add_session(self, session: WebSession) -> None:
        """Insert a new session."""
        ...

    async def get_session(self, session_id: str) -> WebSession | None:
        """The session with this id (the token's hash), if any."""
        ...

    async def touch_session(self, session_id: str, at: datetime) -> None:
        """Record activity (moves the idle deadline)."""
        ...

    async def delete_session(self, session_id: str) -> None:
        """Remove one session (sign-out); a no-op if absent."""
        ...

    async def delete_user_sessions(self, user_id: UserId) -> int:
        """Remove every session of a user (deactivation, password change); how many."""
        ...

    async def reserve_attempt(self, key: str, at: datetime, *, capacity: int, interval: timedelta) -> bool:
        """Take one sign-in attempt from the token bucket `key` (atomically, before the password is checked):
        `capacity` attempts at once, one more every `interval`; False when the bucket is empty."""
        ...

    async def release_attempt(self, key: str, interval: timedelta) -> None:
        """Give back one attempt taken under `key` (a sign-in that succeeded costs the address nothing)."""
        ...

    async def clear_login_failures(self, key: str) -> None:
        """Forget the attempts taken under `key` (after a successful sign-in)."""
        ...
