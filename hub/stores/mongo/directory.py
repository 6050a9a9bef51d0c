"""The directory on MongoDB: users (unique login), groups, retail stores, web sessions, sign-in failures.

Users keep `groups` and `roles` as arrays with multikey indexes, so "the operators of group X" is an
index scan. Sessions and failures expire by TTL index as a clean-up; expiry itself is checked in code.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ASCENDING, IndexModel, ReplaceOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from hub.stores.directory import UpsertCounts, merge_imported, store_group
from hub.stores.mongo.db import Doc, MongoDatabase, dump_model, load_model
from models.errors import Conflict, NotFound
from models.retail_stores import RetailStore
from models.staff import Availability, Group, GroupId, GroupKind, Role, User, UserId
from models.web_sessions import WebSession

USERS, GROUPS, STORES, SESSIONS, THROTTLE = (
    "directory_users", "directory_groups", "retail_stores", "web_sessions", "login_throttle")

INDEXES: dict[str, list[IndexModel]] = {
    USERS: [
        IndexModel([("login", ASCENDING)], name="login_unique", unique=True),
        IndexModel([("groups", ASCENDING), ("login", ASCENDING)], name="group_login"),
        IndexModel([("roles", ASCENDING), ("login", ASCENDING)], name="role_login"),
        IndexModel([("store_id", ASCENDING)], name="store"),
    ],
    GROUPS: [IndexModel([("kind", ASCENDING), ("_id", ASCENDING)], name="kind_id"),
             IndexModel([("store_id", ASCENDING)], name="store")],
    STORES: [IndexModel([("region", ASCENDING), ("_id", ASCENDING)], name="region_id")],
    SESSIONS: [IndexModel([("user_id", ASCENDING)], name="user"),
               IndexModel([("last_seen_at", ASCENDING)], name="idle_cleanup", expireAfterSeconds=30 * 86400)],
    THROTTLE: [IndexModel([("expires", ASCENDING)], name="cleanup", expireAfterSeconds=86400)],
}


def _user_doc(user: User) -> Doc:
    doc = dump_model(user)
    doc["roles"] = sorted(role.value for role in user.roles)  # BSON has no sets
    return doc


class MongoDirectoryStore:
    """DirectoryStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    def _c(self, name: str) -> AsyncCollection[Doc]:
        return self.db.collection(name)

    async def open(self) -> None:
        """Create the indexes."""
        for name, indexes in INDEXES.items():
            await self._c(name).create_indexes(indexes)

    async def get_user(self, user_id: UserId) -> User:
        """The user, or NotFound."""
        doc = await self._c(USERS).find_one({"_id": user_id})
        if doc is None:
            raise NotFound(f"user {user_id} not found")
        return load_model(User, doc)

    async def user_by_login(self, login: str) -> User | None:
        """The user with this login, if any."""
        doc = await self._c(USERS).find_one({"login": login.strip().lower()})
        return None if doc is None else load_model(User, doc)

    async def save_user(self, user: User, *, expected_version: int | None = None) -> None:
        """Insert or replace by id; Conflict on a taken login or a stale version."""
        previous = user.version
        user.version = (user.version if expected_version is None else expected_version) + 1
        query: Doc = {"_id": user.id}
        try:
            if expected_version is None:
                await self._c(USERS).replace_one(query, _user_doc(user), upsert=True)
            elif (await self._c(USERS).replace_one({**query, "version": expected_version}, _user_doc(user))
                  ).matched_count == 0:
                if await self._c(USERS).count_documents(query, limit=1):
                    raise Conflict(f"user {user.login} changed since version {expected_version}")
                await self._c(USERS).insert_one(_user_doc(user))
        except DuplicateKeyError as e:
            user.version = previous
            raise Conflict(f"login {user.login!r} is taken") from e
        except Conflict:
            user.version = previous
            raise

    async def set_availability(self, user_id: UserId, availability: Availability) -> User:
        """Set availability atomically."""
        doc = await self._c(USERS).find_one_and_update(
            {"_id": user_id}, {"$set": {"availability": availability.value}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER)
        if doc is None:
            raise NotFound(f"user {user_id} not found")
        return load_model(User, doc)

    async def upsert_users(self, users: list[User]) -> UpsertCounts:
        """Create or update by login (one unordered bulk write)."""
        if not users:
            return UpsertCounts()
        by_login = {u.login: u for u in users}
        existing = {d["login"]: load_model(User, d)
                    async for d in self._c(USERS).find({"login": {"$in": list(by_login)}})}
        merged = [merge_imported(existing[u.login], u) if u.login in existing else u for u in by_login.values()]
        try:
            await self._c(USERS).bulk_write(
                [ReplaceOne({"_id": u.id}, _user_doc(u), upsert=True) for u in merged], ordered=False)
        except BulkWriteError as e:
            raise Conflict(f"users import: {len(e.details.get('writeErrors', []))} rows clash on login or id") from e
        return UpsertCounts(created=len(merged) - len(existing), updated=len(existing))

    async def list_users(
        self, *, group: GroupId | None = None, role: Role | None = None, active: bool | None = None,
        limit: int = 100, after: str | None = None,
    ) -> list[User]:
        """Users by login, filtered."""
        query: Doc = {"login": {"$gt": after or ""}}
        if group is not None:
            query["groups"] = group
        if role is not None:
            query["roles"] = role.value
        if active is not None:
            query["active"] = active
        cursor = self._c(USERS).find(query).sort("login", ASCENDING).limit(limit)
        return [load_model(User, d) async for d in cursor]

    async def count_users(self) -> int:
        """How many users exist."""
        return await self._c(USERS).count_documents({})

    async def get_group(self, group_id: GroupId) -> Group:
        """The group, or NotFound."""
        doc = await self._c(GROUPS).find_one({"_id": group_id})
        if doc is None:
            raise NotFound(f"group {group_id} not found")
        return load_model(Group, doc)

    async def save_group(self, group: Group) -> None:
        """Insert or replace by id."""
        await self.upsert_groups([group])

    async def upsert_groups(self, groups: list[Group]) -> UpsertCounts:
        """Insert or replace by id, keeping the first created_at."""
        if not groups:
            return UpsertCounts()
        by_id = {g.id: g for g in groups}
        stored = {d["_id"]: d["created_at"]
                  async for d in self._c(GROUPS).find({"_id": {"$in": list(by_id)}}, {"created_at": 1})}
        writes = [ReplaceOne({"_id": g.id}, {**dump_model(g), "created_at": stored.get(g.id, g.created_at)},
                             upsert=True) for g in by_id.values()]
        await self._c(GROUPS).bulk_write(writes, ordered=False)
        return UpsertCounts(created=len(by_id) - len(stored), updated=len(stored))

    async def list_groups(self, *, kind: GroupKind | None = None, limit: int = 1000,
                          after: str | None = None) -> list[Group]:
        """Groups by id."""
        query: Doc = {"_id": {"$gt": after or ""}}
        if kind is not None:
            query["kind"] = kind.value
        return [load_model(Group, d) async for d in self._c(GROUPS).find(query).sort("_id", ASCENDING).limit(limit)]

    async def get_store(self, store_id: str) -> RetailStore:
        """The retail store, or NotFound."""
        doc = await self._c(STORES).find_one({"_id": store_id})
        if doc is None:
            raise NotFound(f"store {store_id} not found")
        return load_model(RetailStore, doc)

    async def upsert_stores(self, stores: list[RetailStore]) -> UpsertCounts:
        """Insert or replace by number, with each store's queue group."""
        if not stores:
            return UpsertCounts()
        by_id = {s.id: s for s in stores}
        result = await self._c(STORES).bulk_write(
            [ReplaceOne({"_id": s.id}, dump_model(s), upsert=True) for s in by_id.values()], ordered=False)
        groups = [store_group(s) for s in by_id.values()]
        await self._c(GROUPS).bulk_write([UpdateOne(
            {"_id": g.id},
            {"$set": {"name": g.name, "region": g.region, "kind": g.kind.value, "store_id": g.store_id},
             "$setOnInsert": {"calendar": None, "escalation_group": None, "created_at": g.created_at}},
            upsert=True) for g in groups], ordered=False)
        return UpsertCounts(created=result.upserted_count, updated=len(by_id) - result.upserted_count)

    async def list_stores(self, *, region: str | None = None, limit: int = 100,
                          after: str | None = None) -> list[RetailStore]:
        """Stores by number."""
        query: Doc = {"_id": {"$gt": after or ""}}
        if region is not None:
            query["region"] = region
        cursor = self._c(STORES).find(query).sort("_id", ASCENDING).limit(limit)
        return [load_model(RetailStore, d) async for d in cursor]

    async def count_stores(self) -> int:
        """How many retail stores exist."""
        return await self._c(STORES).count_documents({})

    async def add_session(self, session: WebSession) -> None:
        """Insert a new session."""
        await self._c(SESSIONS).insert_one(dump_model(session))

    async def get_session(self, session_id: str) -> WebSession | None:
        """The session, if any."""
        doc = await self._c(SESSIONS).find_one({"_id": session_id})
        return None if doc is None else load_model(WebSession, doc)

    async def touch_session(self, session_id: str, at: datetime) -> None:
        """Move last_seen_at."""
        await self._c(SESSIONS).update_one({"_id": session_id}, {"$set": {"last_seen_at": at}})

    async def delete_session(self, session_id: str) -> None:
        """Remove one session."""
        await self._c(SESSIONS).delete_one({"_id": session_id})

    async def delete_user_sessions(self, user_id: UserId) -> int:
        """Remove every session of the user."""
        return (await self._c(SESSIONS).delete_many({"user_id": user_id})).deleted_count

    async def reserve_attempt(self, key: str, at: datetime, *, capacity: int, interval: timedelta) -> bool:
        """Take one attempt with conditional single-document updates, so parallel guesses cannot all pass."""
        now, step = at.timestamp(), interval.total_seconds()
        # GCRA: `tat` is when the bucket is full again; an attempt fits while it stays within capacity.
        for _ in range(3):  # a lost race to insert the first attempt is retried as an update
            refilled = await self._c(THROTTLE).update_one(
                {"_id": key, "tat": {"$lt": now}}, {"$set": {"tat": now + step, "expires": at + interval}})
            if refilled.matched_count:
                return True
            taken = await self._c(THROTTLE).update_one(
                {"_id": key, "tat": {"$gte": now, "$lte": now + (capacity - 1) * step}},
                {"$inc": {"tat": step}, "$max": {"expires": at + interval * capacity}})
            if taken.matched_count:
                return True
            if await self._c(THROTTLE).count_documents({"_id": key}, limit=1):
                return False
            try:
                await self._c(THROTTLE).insert_one({"_id": key, "tat": now + step, "expires": at + interval})
                return True
            except DuplicateKeyError:
                continue
        return False

    async def release_attempt(self, key: str, interval: timedelta) -> None:
        """Give one attempt back."""
        await self._c(THROTTLE).update_one({"_id": key}, {"$inc": {"tat": -interval.total_seconds()}})

    async def clear_login_failures(self, key: str) -> None:
        """Forget the attempts under key."""
        await self._c(THROTTLE).delete_one({"_id": key})
