"""The directory store contract (hub/stores/directory.py), over every adapter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from hub.directory import invitations
from hub.stores.base import Stores
from models.errors import Conflict, NotFound
from models.retail_stores import RetailStore
from models.staff import Availability, Group, GroupId, GroupKind, Role, User, UserId, store_group_id
from models.web_sessions import WebSession

T0 = datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


def user(login: str, *roles: Role, groups: tuple[str, ...] = (), **fields: object) -> User:
    """A user with these roles and groups."""
    return User.model_validate({"login": login, "name": login.title(), "roles": set(roles),
                                "groups": list(groups), "created_at": T0, **fields})


def session(user_id: str, n: int = 0) -> WebSession:
    """A session of the user."""
    return WebSession(id=f"{n:064x}", user_id=UserId(user_id), csrf_token="c" * 32, created_at=T0, last_seen_at=T0)


async def test_saved_user_reads_back_by_id_and_login(stores: Stores) -> None:
    anna = user("Anna", Role.OPERATOR, groups=("cc-1",), password_hash="$argon2id$x")
    await stores.directory.save_user(anna)
    assert anna.version == 1
    assert await stores.directory.get_user(anna.id) == anna
    assert await stores.directory.user_by_login("ANNA ") == anna
    assert await stores.directory.user_by_login("boris") is None
    with pytest.raises(NotFound):
        await stores.directory.get_user(UserId("missing"))


async def test_save_user_rejects_a_taken_login(stores: Stores) -> None:
    await stores.directory.save_user(user("anna"))
    with pytest.raises(Conflict):
        await stores.directory.save_user(user("anna"))


async def test_save_user_rejects_stale_version(stores: Stores) -> None:
    anna = user("anna")
    await stores.directory.save_user(anna)
    first, second = await stores.directory.get_user(anna.id), await stores.directory.get_user(anna.id)
    first.name = "Anna P."
    await stores.directory.save_user(first, expected_version=1)
    second.name = "Anna Q."
    with pytest.raises(Conflict):
        await stores.directory.save_user(second, expected_version=1)
    assert second.version == 1
    assert (await stores.directory.get_user(anna.id)).name == "Anna P."


async def test_list_users_filters_by_group_role_and_active_in_login_order(stores: Stores) -> None:
    for u in [user("carl", Role.OPERATOR, groups=("cc-1",)), user("anna", Role.OPERATOR, groups=("cc-1", "cc-2")),
              user("boris", Role.SUPERVISOR, groups=("cc-1",)), user("dina", Role.OPERATOR, groups=("cc-2",)),
              user("egor", Role.OPERATOR, groups=("cc-1",), active=False)]:
        await stores.directory.save_user(u)
    d = stores.directory
    assert [u.login for u in await d.list_users(group=GroupId("cc-1"))] == ["anna", "boris", "carl", "egor"]
    assert [u.login for u in await d.list_users(group=GroupId("cc-1"), role=Role.OPERATOR, active=True)] == [
        "anna", "carl"]
    assert [u.login for u in await d.list_users(role=Role.OPERATOR, limit=2)] == ["anna", "carl"]
    assert [u.login for u in await d.list_users(after="carl")] == ["dina", "egor"]
    assert await d.count_users() == 5


async def test_changing_groups_moves_the_user_between_lists(stores: Stores) -> None:
    anna = user("anna", Role.OPERATOR, groups=("cc-1",))
    await stores.directory.save_user(anna)
    anna.groups = [GroupId("cc-2")]
    anna.roles = frozenset({Role.SUPERVISOR})
    await stores.directory.save_user(anna)
    assert await stores.directory.list_users(group=GroupId("cc-1")) == []
    assert [u.login for u in await stores.directory.list_users(group=GroupId("cc-2"), role=Role.SUPERVISOR)] == [
        "anna"]


async def test_set_availability(stores: Stores) -> None:
    anna = user("anna", Role.OPERATOR)
    await stores.directory.save_user(anna)
    changed = await stores.directory.set_availability(anna.id, Availability.AVAILABLE)
    assert changed.availability is Availability.AVAILABLE and changed.version == 2
    assert (await stores.directory.get_user(anna.id)).availability is Availability.AVAILABLE
    with pytest.raises(NotFound):
        await stores.directory.set_availability(UserId("missing"), Availability.AWAY)


async def test_upsert_users_is_idempotent_by_login_and_keeps_id_and_password(stores: Stores) -> None:
    first = await stores.directory.upsert_users([user("anna", Role.STORE_STAFF, groups=("store:1",),
                                                      password_hash="$argon2id$kept"), user("boris")])
    assert (first.created, first.updated) == (2, 0)
    anna = await stores.directory.user_by_login("anna")
    assert anna is not None
    await stores.directory.set_availability(anna.id, Availability.AWAY)
    again = await stores.directory.upsert_users([user("anna", Role.STORE_STAFF, groups=("store:2",),
                                                      name="Anna Petrova"), user("boris")])
    assert (again.created, again.updated) == (0, 2)
    updated = await stores.directory.user_by_login("anna")
    assert updated is not None
    assert (updated.id, updated.password_hash, updated.name) == (anna.id, "$argon2id$kept", "Anna Petrova")
    assert updated.availability is Availability.AWAY
    assert [u.login for u in await stores.directory.list_users(group=GroupId("store:2"))] == ["anna"]
    assert await stores.directory.list_users(group=GroupId("store:1")) == []
    assert await stores.directory.count_users() == 2


async def test_groups_save_upsert_and_list_by_kind(stores: Stores) -> None:
    cc = Group(id=GroupId("cc-1"), name="Contact centre 1", created_at=T0)
    await stores.directory.save_group(cc)
    assert await stores.directory.get_group(GroupId("cc-1")) == cc
    counts = await stores.directory.upsert_groups([
        Group(id=GroupId("cc-1"), name="CC Moscow", created_at=T0 + timedelta(days=1)),
        Group(id=store_group_id("7"), name="Store 7", kind=GroupKind.STORE, store_id="7", created_at=T0)])
    assert (counts.created, counts.updated) == (1, 1)
    renamed = await stores.directory.get_group(GroupId("cc-1"))
    assert renamed.name == "CC Moscow" and renamed.created_at == T0  # the first creation time stays
    assert [g.id for g in await stores.directory.list_groups(kind=GroupKind.STORE)] == ["store:7"]
    assert [g.id for g in await stores.directory.list_groups()] == ["cc-1", "store:7"]
    with pytest.raises(NotFound):
        await stores.directory.get_group(GroupId("nope"))


async def test_stores_upsert_list_and_count(stores: Stores) -> None:
    rows = [RetailStore(id=str(n), name=f"Store {n}", region="north" if n % 2 else "south", updated_at=T0)
            for n in range(10, 15)]
    counts = await stores.directory.upsert_stores(rows)
    assert (counts.created, counts.updated) == (5, 0)
    again = await stores.directory.upsert_stores([rows[0].model_copy(update={"name": "Renamed"})])
    assert (again.created, again.updated) == (0, 1)
    assert (await stores.directory.get_store("10")).name == "Renamed"
    assert [s.id for s in await stores.directory.list_stores(region="north")] == ["11", "13"]
    assert [s.id for s in await stores.directory.list_stores(limit=2, after="11")] == ["12", "13"]
    assert await stores.directory.count_stores() == 5
    with pytest.raises(NotFound):
        await stores.directory.get_store("999")


async def test_store_upsert_keeps_one_queue_group_per_store_with_admin_settings(stores: Stores) -> None:
    await stores.directory.upsert_stores([RetailStore(id="118", name="Tverskaya", region="msk", updated_at=T0)])
    group = await stores.directory.get_group(store_group_id("118"))
    assert (group.kind, group.store_id, group.region) == (GroupKind.STORE, "118", "msk")
    group.calendar = "msk-stores"
    await stores.directory.save_group(group)
    await stores.directory.upsert_stores([RetailStore(id="118", name="Tverskaya 2", region="msk-c", updated_at=T0)])
    again = await stores.directory.get_group(store_group_id("118"))
    assert (again.name, again.region, again.calendar) == ("118 Tverskaya 2", "msk-c", "msk-stores")
    assert [g.id for g in await stores.directory.list_groups(kind=GroupKind.STORE)] == ["store:118"]


async def test_sessions_touch_and_delete(stores: Stores) -> None:
    d = stores.directory
    await d.add_session(session("u1", 1))
    await d.add_session(session("u1", 2))
    await d.add_session(session("u2", 3))
    await d.touch_session(f"{1:064x}", T0 + timedelta(minutes=5))
    touched = await d.get_session(f"{1:064x}")
    assert touched is not None and touched.last_seen_at == T0 + timedelta(minutes=5)
    await d.delete_session(f"{3:064x}")
    assert await d.get_session(f"{3:064x}") is None
    assert await d.delete_user_sessions(UserId("u1")) == 2
    assert await d.get_session(f"{2:064x}") is None


async def test_sign_in_attempts_are_a_token_bucket_that_refills_and_clears(stores: Stores) -> None:
    d, minute = stores.directory, timedelta(minutes=1)
    taken = [await d.reserve_attempt("anna|10.0.0.1", T0, capacity=3, interval=minute) for _ in range(4)]
    assert taken == [True, True, True, False]
    assert await d.reserve_attempt("anna|10.0.0.2", T0, capacity=3, interval=minute)  # another bucket
    assert not await d.reserve_attempt("anna|10.0.0.1", T0 + timedelta(seconds=59), capacity=3, interval=minute)
    assert await d.reserve_attempt("anna|10.0.0.1", T0 + minute, capacity=3, interval=minute)  # one came back
    assert not await d.reserve_attempt("anna|10.0.0.1", T0 + minute, capacity=3, interval=minute)
    await d.release_attempt("anna|10.0.0.1", minute)
    assert await d.reserve_attempt("anna|10.0.0.1", T0 + minute, capacity=3, interval=minute)
    await d.clear_login_failures("anna|10.0.0.1")
    again = [await d.reserve_attempt("anna|10.0.0.1", T0 + minute, capacity=3, interval=minute) for _ in range(4)]
    assert again == [True, True, True, False]
    later = [await d.reserve_attempt("anna|10.0.0.1", T0 + 10 * minute, capacity=3, interval=minute)
             for _ in range(4)]
    assert later == [True, True, True, False]  # a full bucket again, not more


async def test_parallel_attempts_take_no_more_than_the_capacity(stores: Stores) -> None:
    d = stores.directory
    taken = await asyncio.gather(*(d.reserve_attempt("*|10.0.0.9", T0, capacity=5, interval=timedelta(minutes=1))
                                   for _ in range(40)))
    assert sum(taken) == 5


async def test_an_invitation_is_kept_through_an_import_and_works_once(stores: Stores) -> None:
    d = stores.directory
    await d.upsert_users([user("nina", Role.OPERATOR)])
    nina = await d.user_by_login("nina")
    assert nina is not None
    token = await invitations.invite(d, nina.id, T0)
    await d.upsert_users([user("nina", Role.OPERATOR, name="Nina P.")])  # an HR re-import keeps the invitation
    assert (await invitations.invited_user(d, token, T0 + timedelta(days=1))).login == "nina"
    with pytest.raises(invitations.InvitationInvalid, match="expired"):
        await invitations.invited_user(d, token, T0 + invitations.INVITE_TTL)
    await invitations.accept(d, token, "nina's own password", T0 + timedelta(hours=1))
    with pytest.raises(invitations.InvitationInvalid, match="already used"):
        await invitations.accept(d, token, "another password!", T0 + timedelta(hours=2))
    stored = await d.user_by_login("nina")
    assert stored is not None and stored.password_hash is not None and stored.invite_hash is None
