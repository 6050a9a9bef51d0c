"""Bulk import of the chain's stores and users: chunked upserts (one transaction per chunk), idempotent by
store number and login, with row errors reported as `file:line: reason`.

    report = await import_stores(hub, rows, progress=bar.advance)
    report = await import_users(hub, rows, progress=bar.advance)

Rows are mappings (numbered 1..n) or `ImportRow`s from `rows.read_rows()`. Without `strict`, valid rows
are written and bad ones reported; with it, any bad row means nothing is written. Each store gets its
queue group `store:<number>`; store staff are put into their store's group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from hub.directory.rows import ImportRow, split_list
from hub.stores.base import Stores
from hub.stores.directory import DirectoryStore, UpsertCounts
from models.problems import Problem
from models.retail_stores import RetailStore
from models.staff import Role, User, store_group_id


class HasStores(Protocol):
    """A Hub, or anything else carrying opened stores (the CLI needs no bus for an import)."""

    @property
    def stores(self) -> Stores:
        """The opened stores."""
        ...

Progress = Callable[[int], object]
CHUNK = 1000


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    errors: list[Problem] = field(default_factory=list)
    written: bool = True

    @property
    def imported(self) -> int:
        """Rows created or updated."""
        return self.counts.created + self.counts.updated


def _numbered(rows: Iterable[Mapping[str, Any] | ImportRow]) -> Iterable[ImportRow]:
    for number, row in enumerate(rows, start=1):
        yield row if isinstance(row, ImportRow) else ImportRow(number, row)


def _reason(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in error.errors()[:3])


def parse_stores(rows: Iterable[Mapping[str, Any] | ImportRow], source: str) -> tuple[list[RetailStore],
                                                                                        list[Problem]]:
    """Valid stores (a repeated number: the last row wins) and the errors of the others."""
    stores: dict[str, RetailStore] = {}
    errors: list[Problem] = []
    for row in _numbered(rows):
        data = {("id" if k in ("store_id", "number") else k): v for k, v in row.data.items()}
        if isinstance(data.get("active"), str):
            data["active"] = data["active"].lower() not in ("0", "false", "no", "нет")
        try:
            store = RetailStore.model_validate({**data, "id": str(data.get("id", "")).strip()})
        except ValidationError as e:
            errors.append(Problem(source, row.line, _reason(e)))
            continue
        stores[store.id] = store
    return list(stores.values()), errors


def _user_from(data: Mapping[str, Any], known_stores: set[str], known_groups: set[str]) -> User:
    """A User from an import row; ValueError with the reason when it cannot be one."""
    values: dict[str, Any] = {k: v for k, v in data.items() if k in User.model_fields and k != "id"}
    values["roles"] = [Role(r.lower()) for r in split_list(data.get("roles"))]
    groups = split_list(data.get("groups"))
    store_id = str(data["store_id"]).strip() if data.get("store_id") is not None else None
    if Role.STORE_STAFF in values["roles"] and store_id is None:
        raise ValueError("store_staff needs a store_id")
    if store_id is not None:
        if store_id not in known_stores:
            raise ValueError(f"unknown store {store_id!r} (import the stores first)")
        if Role.STORE_STAFF in values["roles"] and store_group_id(store_id) not in groups:
            groups.append(store_group_id(store_id))
    unknown = [g for g in groups if g not in known_groups]
    if unknown:
        raise ValueError(f"unknown group {', '.join(unknown)}")
    hashed = data.get("password_hash")
    if hashed is not None and not str(hashed).startswith("$argon2"):
        raise ValueError("password_hash must be an argon2 hash ($argon2id$...)")
    if isinstance(values.get("active"), str):
        values["active"] = values["active"].lower() not in ("0", "false", "no", "нет")
    return User.model_validate({**values, "groups": groups, "store_id": store_id})


def parse_users(rows: Iterable[Mapping[str, Any] | ImportRow], source: str, *, known_stores: set[str],
                known_groups: set[str]) -> tuple[list[User], list[Problem]]:
    """Valid users (a repeated login: the last row wins) and the errors of the others."""
    users: dict[str, User] = {}
    errors: list[Problem] = []
    for row in _numbered(rows):
        try:
            user = _user_from(row.data, known_stores, known_groups)
        except ValidationError as e:
            errors.append(Problem(source, row.line, _reason(e)))
            continue
        except ValueError as e:  # Role() of an unknown name, or our own checks
            errors.append(Problem(source, row.line, str(e)))
            continue
        users[user.login] = user
    return list(users.values()), errors


async def write_chunks(items: list[BaseModel], upsert: Callable[[list[Any]], Any], progress: Progress | None,
                       chunk_size: int = CHUNK) -> UpsertCounts:
    """Upsert `items` chunk by chunk (each chunk one transaction), advancing `progress` per chunk."""
    counts = UpsertCounts()
    for start in range(0, len(items), chunk_size):
        part = items[start:start + chunk_size]
        counts += await upsert(part)
        if progress is not None:
            progress(len(part))
    return counts


async def _all_ids(directory: DirectoryStore, kind: str) -> set[str]:
    """Every store number or group id (paged)."""
    found: set[str] = set()
    after: str | None = None
    while True:
        page = [s.id for s in await directory.list_stores(limit=5000, after=after)] if kind == "stores" else [
            g.id for g in await directory.list_groups(limit=5000, after=after)]
        if not page:
            return found
        found.update(page)
        after = page[-1]


async def import_stores(
    hub: HasStores, rows: Iterable[Mapping[str, Any] | ImportRow], progress: Progress | None = None, *,
    source: str = "stores", strict: bool = False, chunk_size: int = CHUNK,
) -> ImportReport:
    """Upsert retail stores (and their queue groups); see the module docstring."""
    stores, errors = parse_stores(rows, source)
    report = ImportReport(rows=len(stores) + len(errors), errors=errors)
    if progress is not None and errors:
        progress(len(errors))  # bad rows count as done, so the bar reaches its end
    if strict and errors:
        report.written = False
        return report
    report.counts = await write_chunks(list(stores), hub.stores.directory.upsert_stores, progress, chunk_size)
    return report


async def import_users(
    hub: HasStores, rows: Iterable[Mapping[str, Any] | ImportRow], progress: Progress | None = None, *,
    source: str = "users", strict: bool = False, chunk_size: int = CHUNK, extra_stores: Iterable[str] = (),
) -> ImportReport:
    """Upsert users by login; see the module docstring. `extra_stores`: numbers a strict run will create."""
    directory = hub.stores.directory
    known_stores = await _all_ids(directory, "stores") | set(extra_stores)
    known_groups = await _all_ids(directory, "groups") | {store_group_id(s) for s in extra_stores}
    users, errors = parse_users(rows, source, known_stores=known_stores, known_groups=known_groups)
    report = ImportReport(rows=len(users) + len(errors), errors=errors)
    if progress is not None and errors:
        progress(len(errors))
    if strict and errors:
        report.written = False
        return report
    report.counts = await write_chunks(list(users), directory.upsert_users, progress, chunk_size)
    return report
