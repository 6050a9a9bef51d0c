"""The directory by API: the chain's stores, groups and users, upserted in bulk and read back.

PUT is idempotent (stores by number, groups by id, users by login) and all-or-nothing per request: any
invalid item means a 422 naming it, and nothing is written. Password hashes never leave the server, and
none come in: new users get a single-use invitation link to set their own password. A token reaches only
up to its scope's ceiling (403 above it): operators and other staff with `directory:write`, supervisors
with `directory:supervisors` too, admins never; store queue groups only with `directory:store-groups`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, Field, model_validator

from api.auth import require
from api.crm.schemas import ErrorBody
from api.deps import HubDep
from hub.core import Hub
from hub.directory import INVITE_TTL, ImportReport, get_by_login, import_stores, import_users, invite, invite_url
from models.clock import utcnow
from models.errors import Forbidden, PayloadError
from models.retail_stores import RetailStore
from models.staff import GROUP_ID_PATTERN, Availability, Group, GroupId, GroupKind, Role, User
from models.tokens import ApiToken, Scope

router = APIRouter(tags=["directory"])
DirectoryRead = Annotated[ApiToken, Depends(require(Scope.DIRECTORY_READ))]
DirectoryWrite = Annotated[ApiToken, Depends(require(Scope.DIRECTORY_WRITE))]
MAX_BATCH = 5000
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such store or user"}}
CEILING: dict[int | str, dict[str, Any]] = {403: {"model": ErrorBody, "description": "Above the token's ceiling"}}
# What directory:write alone may grant or change; DIRECTORY_SUPERVISORS adds supervisors; admins never.
STAFF_ROLES = frozenset({Role.OPERATOR, Role.SPECIALIST, Role.STORE_STAFF, Role.CONTENT_EDITOR})


class UpsertResult(BaseModel):
    """What a bulk upsert did."""

    created: int
    updated: int


class StoreUpsert(BaseModel):
    """A store as clients send it (types strict: `true` is no latitude, "1" no flag)."""

    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", examples=["118"])
    name: str = Field(min_length=1, max_length=200, examples=["Тверская, 8"])
    region: str | None = None
    city: str | None = None
    address: str | None = None
    phone: str | None = None
    timezone: str = "Europe/Moscow"
    opening_hours: str | None = Field(default=None, examples=["08:00-23:00"])
    latitude: float | None = Field(default=None, strict=True, ge=-90, le=90)
    longitude: float | None = Field(default=None, strict=True, ge=-180, le=180)
    active: bool = Field(default=True, strict=True)


class GroupUpsert(BaseModel):
    """A group as clients send it."""

    id: GroupId = Field(pattern=GROUP_ID_PATTERN, examples=["quality"])
    name: str = Field(min_length=1, max_length=200, examples=["Контроль качества"])
    kind: GroupKind = GroupKind.SPECIALIST
    store_id: str | None = None
    region: str | None = None
    calendar: str | None = None
    escalation_group: GroupId | None = Field(default=None, pattern=GROUP_ID_PATTERN)


class UserUpsert(BaseModel):
    """A user as the directory import takes it (store staff join their store's group automatically)."""

    login: str = Field(min_length=1, max_length=200, examples=["ivanova.a"])
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    roles: list[Role] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    store_id: str | None = None
    language: str = "ru"
    capacity: int = Field(default=5, ge=0, le=100, strict=True)
    active: bool = Field(default=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_passwords(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"password", "password_hash"} & set(data):
            raise ValueError("the directory API never sets passwords; new users get an invitation link")
        return data


class Invitation(BaseModel):
    """A new user's single-use link to set a password: pass it on to them (it is shown only once)."""

    login: str
    url: str
    expires_at: datetime


class UserUpsertResult(UpsertResult):
    """What a user upsert did, with an invitation for each new user."""

    invitations: list[Invitation] = Field(default_factory=list)


class UserPublic(BaseModel):
    """A user as the API shows it."""

    id: str
    login: str
    name: str
    email: str | None
    roles: list[Role]
    groups: list[str]
    store_id: str | None
    language: str
    capacity: int
    availability: Availability
    active: bool


class StorePage(BaseModel):
    """A page of stores; `next_after` is the `after` of the next page (None on the last)."""

    items: list[RetailStore]
    next_after: str | None


class GroupPage(BaseModel):
    """A page of groups."""

    items: list[Group]
    next_after: str | None


class UserPage(BaseModel):
    """A page of users."""

    items: list[UserPublic]
    next_after: str | None


def _result(report: ImportReport) -> UpsertResult:
    if report.errors:
        shown = "; ".join(f"items[{e.line - 1}]: {e.message}" for e in report.errors[:5])
        raise PayloadError(f"{len(report.errors)} invalid items, nothing written: {shown}")
    return UpsertResult(created=report.counts.created, updated=report.counts.updated)


@router.put("/stores", response_model=UpsertResult, summary="Create or update stores (and their queue groups)")
async def put_stores(hub: HubDep, _: DirectoryWrite,
                     stores: Annotated[list[StoreUpsert], Body(max_length=MAX_BATCH)]) -> UpsertResult:
    """Upsert by store number; each store gets its queue group `store:<number>`."""
    return _result(await import_stores(hub, [s.model_dump() for s in stores], strict=True))


@router.get("/stores", response_model=StorePage, summary="List stores by number")
async def get_stores(hub: HubDep, _: DirectoryRead, region: str | None = None, after: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> StorePage:
    """Stores ordered by number (as text), optionally of one region."""
    found = await hub.stores.directory.list_stores(region=region, limit=limit + 1, after=after)
    return StorePage(items=found[:limit], next_after=found[limit - 1].id if len(found) > limit else None)


@router.get("/stores/{store_id}", response_model=RetailStore, responses=NOT_FOUND, summary="One store")
async def get_store(hub: HubDep, _: DirectoryRead,
                    store_id: Annotated[str, Path(min_length=1, max_length=32)]) -> RetailStore:
    """The store, or 404."""
    return await hub.stores.directory.get_store(store_id)


@router.put("/groups", response_model=UpsertResult, responses=CEILING, summary="Create or update groups")
async def put_groups(hub: HubDep, token: DirectoryWrite,
                     groups: Annotated[list[GroupUpsert], Body(max_length=MAX_BATCH)]) -> UpsertResult:
    """Upsert by id (keeping the first creation time); store queue groups need directory:store-groups."""
    if not token.allows(Scope.DIRECTORY_STORE_GROUPS):
        for n, group in enumerate(groups):
            if group.id.startswith("store:") or group.kind is GroupKind.STORE:
                raise Forbidden(f"items[{n}]: store groups follow PUT /stores; rewriting {group.id!r} needs "
                                f"the scope {Scope.DIRECTORY_STORE_GROUPS.value}")
    counts = await hub.stores.directory.upsert_groups([Group.model_validate(g.model_dump()) for g in groups])
    return UpsertResult(created=counts.created, updated=counts.updated)


@router.get("/groups", response_model=GroupPage, summary="List groups by id")
async def get_groups(hub: HubDep, _: DirectoryRead, kind: GroupKind | None = None, after: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> GroupPage:
    """Groups ordered by id, optionally of one kind."""
    found = await hub.stores.directory.list_groups(kind=kind, limit=limit + 1, after=after)
    return GroupPage(items=found[:limit], next_after=found[limit - 1].id if len(found) > limit else None)


@router.put("/users", response_model=UserUpsertResult, responses=CEILING, summary="Create or update users")
async def put_users(hub: HubDep, token: DirectoryWrite,
                    users: Annotated[list[UserUpsert], Body(max_length=MAX_BATCH)]) -> UserUpsertResult:
    """Upsert by login; groups and stores must exist; passwords are never set here (each new user gets an
    invitation link instead, in the answer).

    A token reaches users only up to its ceiling, both the roles asked for and the roles a user holds now,
    so a leaked token of the HR system can neither mint a supervisor or admin nor take one over.
    """
    new_logins = await _check_ceiling(hub, token, users)
    rows: list[dict[str, Any]] = [u.model_dump(exclude_none=True) for u in users]
    result = _result(await import_users(hub, rows, strict=True))
    now, invitations = utcnow(), []
    for login in new_logins:
        created = await hub.stores.directory.user_by_login(login)
        if created is not None and created.password_hash is None:
            link = invite_url(await invite(hub.stores.directory, created.id, now), hub.settings.public_url)
            invitations.append(Invitation(login=login, url=link, expires_at=now + INVITE_TTL))
    return UserUpsertResult(created=result.created, updated=result.updated, invitations=invitations)


async def _check_ceiling(hub: Hub, token: ApiToken, users: list[UserUpsert]) -> list[str]:
    """Forbidden for any role above the token's ceiling, asked for or held; the logins that are new."""
    allowed = STAFF_ROLES | ({Role.SUPERVISOR} if token.allows(Scope.DIRECTORY_SUPERVISORS) else set())
    new: list[str] = []
    for n, user in enumerate(users):
        above = sorted(set(user.roles) - allowed)
        if above:
            raise Forbidden(f"items[{n}].roles: {', '.join(above)} is above this token's ceiling (admins are made "
                            "in the web admin or with otklik users create-admin)")
        login = user.login.strip().lower()
        existing = await hub.stores.directory.user_by_login(login)
        if existing is None:
            new.append(login)
        elif held := sorted(existing.roles - allowed):
            raise Forbidden(f"items[{n}].login: {user.login!r} holds {', '.join(held)}, above this token's "
                            "ceiling; change them in the web admin")
    return list(dict.fromkeys(new))


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate({**user.model_dump(exclude={"password_hash"}),
                                      "roles": sorted(user.roles)})


@router.get("/users", response_model=UserPage, summary="List users by login")
async def get_users(hub: HubDep, _: DirectoryRead, group: str | None = None, role: Role | None = None,
                    after: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> UserPage:
    """Users ordered by login, optionally of one group and/or role."""
    found = await hub.stores.directory.list_users(group=GroupId(group) if group else None, role=role,
                                                  limit=limit + 1, after=after)
    return UserPage(items=[_public(u) for u in found[:limit]],
                next_after=found[limit - 1].login if len(found) > limit else None)


@router.get("/users/{login}", response_model=UserPublic, responses=NOT_FOUND, summary="One user by login")
async def get_user(hub: HubDep, _: DirectoryRead,
                   login: Annotated[str, Path(min_length=1, max_length=200)]) -> UserPublic:
    """The user, or 404."""
    return _public(await get_by_login(hub.stores.directory, login))
