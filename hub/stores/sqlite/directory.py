"""The directory on SQLite (feature "directory"): users, groups, retail stores, sessions, sign-in failures.

Group and role membership get their own tables so "the operators of group X" is an index lookup even
with 45,000 users. Bulk upserts run one transaction per call; the importer calls them per chunk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from hub.stores.directory import UpsertCounts, merge_imported, store_group
from hub.stores.sqlite.db import Connection, execute, execute_many, fetch_all, fetch_one
from hub.stores.sqlite.sessions import SqliteSessionRecords
from models.errors import Conflict, NotFound
from models.retail_stores import RetailStore
from models.staff import Availability, Group, GroupId, GroupKind, Role, User, UserId

MIGRATIONS = [
    """
    CREATE TABLE directory_users (
        id TEXT PRIMARY KEY,
        login TEXT NOT NULL UNIQUE,
        active INTEGER NOT NULL,
        store_id TEXT,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX directory_users_store ON directory_users (store_id);
    CREATE TABLE directory_user_groups (
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX directory_user_groups_user ON directory_user_groups (user_id);
    CREATE TABLE directory_user_roles (
        role TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
        PRIMARY KEY (role, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX directory_user_roles_user ON directory_user_roles (user_id);
    CREATE TABLE directory_groups (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        store_id TEXT,
        doc TEXT NOT NULL
    );
    CREATE INDEX directory_groups_kind ON directory_groups (kind, id);
    CREATE TABLE retail_stores (
        id TEXT PRIMARY KEY,
        region TEXT,
        doc TEXT NOT NULL
    );
    CREATE INDEX retail_stores_region ON retail_stores (region, id);
    CREATE TABLE web_sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX web_sessions_user ON web_sessions (user_id);
    CREATE TABLE login_failures (
        key TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX login_failures_key ON login_failures (key, at);
    """,
    """
    CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);
    CREATE INDEX login_failures_at ON login_failures (at);
    """,
    # Sign-in attempts became token buckets, taken atomically before the password is checked (issue 16).
    """
    DROP TABLE login_failures;
    CREATE TABLE login_throttle (
        key TEXT PRIMARY KEY,
        tat REAL NOT NULL
    );
    CREATE INDEX login_throttle_tat ON login_throttle (tat);
    """,
]


def _user_row(user: User) -> tuple[Any, ...]:
    return (user.id, user.login, int(user.active), user.store_id, user.version, user.model_dump_json())


async def _write_memberships(conn: Connection, users: Sequence[User]) -> None:
    """Replace the group and role rows of `users`."""
    ids = [(u.id,) for u in users]
    await execute_many(conn, "DELETE FROM directory_user_groups WHERE user_id = ?", ids)
    await execute_many(conn, "DELETE FROM directory_user_roles WHERE user_id = ?", ids)
    await execute_many(conn, "INSERT OR IGNORE INTO directory_user_groups (group_id, user_id) VALUES (?, ?)",
                       [(g, u.id) for u in users for g in u.groups])
    await execute_many(conn, "INSERT OR IGNORE INTO directory_user_roles (role, user_id) VALUES (?, ?)",
                       [(r.value, u.id) for u in users for r in u.roles])


_UPSERT_USER = (
    "INSERT INTO directory_users (id, login, active, store_id, version, doc) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(id) DO UPDATE SET login = excluded.login, active = excluded.active,"
    " store_id = excluded.store_id, version = excluded.version, doc = excluded.doc"
)


# A store's queue follows the store's name and region; what an admin set on it (calendar, escalation) stays.
_UPSERT_STORE_GROUP = (
    "INSERT INTO directory_groups (id, kind, store_id, doc) VALUES (?, 'store', ?, ?)"
    " ON CONFLICT(id) DO UPDATE SET kind = 'store', store_id = excluded.store_id,"
    " doc = json_set(directory_groups.doc, '$.name', json_extract(excluded.doc, '$.name'),"
    " '$.region', json_extract(excluded.doc, '$.region'), '$.kind', 'store', '$.store_id', excluded.store_id)"
)


class SqliteDirectoryStore(SqliteSessionRecords):
    """DirectoryStore on SQLite (sessions and sign-in failures: `SqliteSessionRecords`)."""

    async def get_user(self, user_id: UserId) -> User:
        """The user, or NotFound."""
        doc = await self.db.one("SELECT doc FROM directory_users WHERE id = ?", (user_id,))
        if doc is None:
            raise NotFound(f"user {user_id} not found")
        return User.model_validate_json(doc)

    async def user_by_login(self, login: str) -> User | None:
        """The user with this login, if any."""
        doc = await self.db.one("SELECT doc FROM directory_users WHERE login = ?", (login.strip().lower(),))
        return None if doc is None else User.model_validate_json(doc)

    async def save_user(self, user: User, *, expected_version: int | None = None) -> None:
        """Insert or replace by id; Conflict on a taken login or a stale version."""
        previous = user.version
        user.version = (user.version if expected_version is None else expected_version) + 1
        try:
            async with self.db.transaction() as conn:
                if expected_version is not None:
                    row = await fetch_one(conn, "SELECT version FROM directory_users WHERE id = ?", (user.id,))
                    if row is not None and row[0] != expected_version:
                        raise Conflict(f"user {user.login} changed since version {expected_version}")
                await execute(conn, _UPSERT_USER, _user_row(user))
                await _write_memberships(conn, [user])
        except sqlite3.IntegrityError as e:
            user.version = previous
            raise Conflict(f"login {user.login!r} is taken") from e
        except Conflict:
            user.version = previous
            raise

    async def set_availability(self, user_id: UserId, availability: Availability) -> User:
        """Set availability atomically."""
        async with self.db.transaction() as conn:
            row = await fetch_one(conn, "SELECT doc FROM directory_users WHERE id = ?", (user_id,))
            if row is None:
                raise NotFound(f"user {user_id} not found")
            user = User.model_validate_json(row[0])
            user.availability = availability
            user.version += 1
            await execute(conn, "UPDATE directory_users SET doc = ?, version = ? WHERE id = ?",
                          (user.model_dump_json(), user.version, user.id))
        return user

    async def upsert_users(self, users: list[User]) -> UpsertCounts:
        """Create or update by login, in one transaction."""
        if not users:
            return UpsertCounts()
        by_login = {u.login: u for u in users}  # the last row of a login wins
        logins = list(by_login)
        async with self.db.transaction() as conn:
            existing: dict[str, User] = {}
            for start in range(0, len(logins), 500):
                part = logins[start:start + 500]
                sql = f"SELECT doc FROM directory_users WHERE login IN ({','.join('?' * len(part))})"
                for (doc,) in await fetch_all(conn, sql, tuple(part)):
                    user = User.model_validate_json(doc)
                    existing[user.login] = user
            merged = [merge_imported(existing[u.login], u) if u.login in existing else u
                      for u in by_login.values()]
            try:
                await execute_many(conn, _UPSERT_USER, [_user_row(u) for u in merged])
            except sqlite3.IntegrityError as e:
                raise Conflict("a user's id is already used by another login") from e
            await _write_memberships(conn, merged)
        return UpsertCounts(created=len(merged) - len(existing), updated=len(existing))

    async def list_users(
        self, *, group: GroupId | None = None, role: Role | None = None, active: bool | None = None,
        limit: int = 100, after: str | None = None,
    ) -> list[User]:
        """Users by login, filtered."""
        sql, params = ["SELECT u.doc FROM directory_users u"], list[Any]()
        if group is not None:
            sql.append("JOIN directory_user_groups g ON g.user_id = u.id AND g.group_id = ?")
            params.append(group)
        if role is not None:
            sql.append("JOIN directory_user_roles r ON r.user_id = u.id AND r.role = ?")
            params.append(role.value)
        sql.append("WHERE u.login > ?")
        params.append(after or "")
        if active is not None:
            sql.append("AND u.active = ?")
            params.append(int(active))
        sql.append("ORDER BY u.login LIMIT ?")
        params.append(limit)
        docs = await self.db.column(" ".join(sql), tuple(params), offloop=True)
        return [User.model_validate_json(d) for d in docs]

    async def count_users(self) -> int:
        """How many users exist."""
        return int(await self.db.one("SELECT count(*) FROM directory_users", offloop=True))

    async def get_group(self, group_id: GroupId) -> Group:
        """The group, or NotFound."""
        doc = await self.db.one("SELECT doc FROM directory_groups WHERE id = ?", (group_id,))
        if doc is None:
            raise NotFound(f"group {group_id} not found")
        return Group.model_validate_json(doc)

    async def save_group(self, group: Group) -> None:
        """Insert or replace by id."""
        await self.upsert_groups([group])

    async def upsert_groups(self, groups: list[Group]) -> UpsertCounts:
        """Insert or replace by id, keeping the first created_at."""
        if not groups:
            return UpsertCounts()
        async with self.db.transaction() as conn:
            ids = [g.id for g in groups]
            created = {row[0]: row[1] for row in await fetch_all(
                conn, f"SELECT id, json_extract(doc, '$.created_at') FROM directory_groups"
                      f" WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))}
            rows = []
            for g in groups:
                doc = g.model_dump(mode="json")
                if g.id in created:
                    doc["created_at"] = created[g.id]
                rows.append((g.id, g.kind.value, g.store_id, Group.model_validate(doc).model_dump_json()))
            await execute_many(
                conn, "INSERT INTO directory_groups (id, kind, store_id, doc) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, store_id = excluded.store_id,"
                " doc = excluded.doc", rows,
            )
        updated = len({g.id for g in groups} & set(created))
        return UpsertCounts(created=len({g.id for g in groups}) - updated, updated=updated)

    async def list_groups(self, *, kind: GroupKind | None = None, limit: int = 1000,
                          after: str | None = None) -> list[Group]:
        """Groups by id."""
        if kind is None:
            docs = await self.db.column("SELECT doc FROM directory_groups WHERE id > ? ORDER BY id LIMIT ?",
                                        (after or "", limit))
        else:
            docs = await self.db.column(
                "SELECT doc FROM directory_groups WHERE kind = ? AND id > ? ORDER BY id LIMIT ?",
                (kind.value, after or "", limit))
        return [Group.model_validate_json(d) for d in docs]

    async def get_store(self, store_id: str) -> RetailStore:
        """The retail store, or NotFound."""
        doc = await self.db.one("SELECT doc FROM retail_stores WHERE id = ?", (store_id,))
        if doc is None:
            raise NotFound(f"store {store_id} not found")
        return RetailStore.model_validate_json(doc)

    async def upsert_stores(self, stores: list[RetailStore]) -> UpsertCounts:
        """Insert or replace by number, with each store's queue group, in one transaction."""
        if not stores:
            return UpsertCounts()
        by_id = {s.id: s for s in stores}
        ids = list(by_id)
        async with self.db.transaction() as conn:
            known: set[str] = set()
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                known.update(row[0] for row in await fetch_all(
                    conn, f"SELECT id FROM retail_stores WHERE id IN ({','.join('?' * len(part))})", tuple(part)))
            await execute_many(
                conn, "INSERT INTO retail_stores (id, region, doc) VALUES (?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET region = excluded.region, doc = excluded.doc",
                [(s.id, s.region, s.model_dump_json()) for s in by_id.values()],
            )
            await execute_many(conn, _UPSERT_STORE_GROUP,
                               [(g.id, g.store_id, g.model_dump_json()) for g in map(store_group, by_id.values())])
        return UpsertCounts(created=len(by_id) - len(known), updated=len(known))

    async def list_stores(self, *, region: str | None = None, limit: int = 100,
                          after: str | None = None) -> list[RetailStore]:
        """Stores by number."""
        if region is None:
            docs = await self.db.column("SELECT doc FROM retail_stores WHERE id > ? ORDER BY id LIMIT ?",
                                        (after or "", limit))
        else:
            docs = await self.db.column(
                "SELECT doc FROM retail_stores WHERE region = ? AND id > ? ORDER BY id LIMIT ?",
                (region, after or "", limit))
        return [RetailStore.model_validate_json(d) for d in docs]

    async def count_stores(self) -> int:
        """How many retail stores exist."""
        return int(await self.db.one("SELECT count(*) FROM retail_stores", offloop=True))
