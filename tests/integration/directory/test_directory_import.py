"""Loading the chain's directory: the CLI importer on files, the REST API with scoped tokens, the users CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from api.cli import app as cli
from hub.directory import tokens
from hub.directory.importer import import_stores, import_users
from hub.settings import Settings
from models.staff import Group, GroupId, GroupKind, Role
from models.tokens import Scope
from tests.conftest import SettingsFactory
from tests.web_login import create_user, sign_in

STORES_CSV = """id,name,region,city,address
101,Тверская,msk,Москва,"ул. Тверская, 1"
102,Невский,spb,Санкт-Петербург,Невский пр. 10
,Без номера,msk,Москва,
103,Казань,kzn,Казань,ул. Баумана 5
"""


def users_json(*, extra: list[dict[str, Any]] | None = None) -> str:
    """Three good users across lines, and `extra` rows after them."""
    rows = [
        {"login": "staff101", "name": "Анна", "roles": ["store_staff"], "store_id": "101"},
        {"login": "QC.Lead", "name": "Борис", "roles": ["specialist", "supervisor"], "groups": ["quality"]},
        {"login": "staff102", "name": "Вера", "roles": "store_staff", "store_id": "102", "capacity": 3},
        *(extra or []),
    ]
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]\n"


async def otklik(settings: Settings, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the CLI in a thread on the test's SQLite file."""
    base = {"OTKLIK_SECRET_KEY": "test-secret-key-0123456789", "OTKLIK_SQLITE_PATH": settings.sqlite_path,
            "OTKLIK_STORE": "sqlite", **(env or {})}
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=base)


async def test_cli_import_reports_bad_rows_by_line_and_imports_the_rest_idempotently(
    make_settings: SettingsFactory, start_app: Callable[..., Any], tmp_path: Path,
) -> None:
    settings = make_settings()
    stores, users = tmp_path / "stores.csv", tmp_path / "users.json"
    stores.write_text(STORES_CSV, encoding="utf-8")
    users.write_text(users_json(extra=[{"login": "ghost", "name": "Нет магазина", "roles": ["store_staff"],
                                        "store_id": "999"},
                                       {"login": "odd", "name": "Роль?", "roles": ["janitor"]},
                                       {"login": "nostore", "name": "Без магазина", "roles": ["store_staff"]}]),
                     encoding="utf-8")
    async with start_app(settings) as running:
        await running.hub.stores.directory.save_group(
            Group(id=GroupId("quality"), name="Quality control", kind=GroupKind.SPECIALIST))
        first = await otklik(settings, "directory", "import", "--stores", str(stores), "--users", str(users))
        second = await otklik(settings, "directory", "import", "--stores", str(stores), "--users", str(users))
        directory = running.hub.stores.directory
        staff = await directory.user_by_login("staff101")
        lead = await directory.user_by_login("qc.lead")
        counts = (await directory.count_stores(), await directory.count_users())
        store_queue = await directory.get_group(GroupId("store:101"))
        members = [u.login for u in await directory.list_users(group=GroupId("store:102"))]
    assert first.exit_code == 1, first.output  # some rows were rejected
    assert "stores.csv:4: id: String should have at least 1 character" in first.stderr
    assert "users.json:5: unknown store '999' (import the stores first)" in first.stderr
    assert "users.json:6:" in first.stderr and "janitor" in first.stderr
    assert "users.json:7: store_staff needs a store_id" in first.stderr
    assert "stores: 3 created, 0 updated, 1 rejected" in first.stderr
    assert "users: 3 created, 0 updated, 3 rejected" in first.stderr
    assert "users: 0 created, 3 updated, 3 rejected" in second.stderr
    assert counts == (3, 3)
    assert staff is not None and staff.groups == ["store:101"] and staff.store_id == "101"
    assert lead is not None and lead.roles == frozenset({Role.SPECIALIST, Role.SUPERVISOR})
    assert (store_queue.kind, store_queue.name, store_queue.region) == (GroupKind.STORE, "101 Тверская", "msk")
    assert members == ["staff102"]


async def test_strict_import_writes_nothing_when_a_row_is_bad(
    make_settings: SettingsFactory, start_app: Callable[..., Any], tmp_path: Path,
) -> None:
    settings = make_settings()
    stores, users = tmp_path / "stores.csv", tmp_path / "users.json"
    stores.write_text(STORES_CSV, encoding="utf-8")
    users.write_text(users_json(), encoding="utf-8")
    async with start_app(settings) as running:
        result = await otklik(settings, "directory", "import", "--strict", "--stores", str(stores),
                              "--users", str(users))
        counts = (await running.hub.stores.directory.count_stores(), await running.hub.stores.directory.count_users())
    assert result.exit_code == 1
    assert "stores.csv:4:" in result.stderr and "users.json:3: unknown group quality" in result.stderr
    assert "nothing written (--strict)" in result.stderr
    assert counts == (0, 0)


async def test_importer_from_code_reports_progress_in_chunks(
    make_settings: SettingsFactory, start_app: Callable[..., Any],
) -> None:
    advanced: list[int] = []
    async with start_app(make_settings()) as running:
        report = await import_stores(running.hub, [{"id": str(n), "name": f"S{n}"} for n in range(1, 2501)],
                                     advanced.append, chunk_size=1000)
        users = await import_users(running.hub, [{"login": f"u{n}", "name": "U", "roles": "store_staff",
                                                  "store_id": str(n)} for n in range(1, 11)])
        queue = await running.hub.stores.directory.list_users(group=GroupId("store:7"))
    assert advanced == [1000, 1000, 500]
    assert (report.counts.created, users.counts.created) == (2500, 10)
    assert [u.login for u in queue] == ["u7"]


async def test_directory_api_needs_scoped_tokens_and_upserts_all_or_nothing(
    make_settings: SettingsFactory, start_app: Callable[..., Any],
) -> None:
    async with start_app(make_settings()) as running:
        store = running.hub.stores.tokens
        _, writer = await tokens.issue(store, "hr", [Scope.DIRECTORY_WRITE, Scope.DIRECTORY_READ])
        _, reader = await tokens.issue(store, "bi", [Scope.DIRECTORY_READ])
        write, read = {"authorization": f"Bearer {writer}"}, {"authorization": f"Bearer {reader}"}
        client = running.client
        body = [{"id": "7", "name": "Арбат", "region": "msk"}, {"id": "8", "name": "Сокол", "region": "msk"}]
        anonymous = await client.put("/api/v1/stores", json=body)
        readonly = await client.put("/api/v1/stores", json=body, headers=read)
        created = await client.put("/api/v1/stores", json=body, headers=write)
        repeated = await client.put("/api/v1/stores", json=body, headers=write)
        bad_users = await client.put("/api/v1/users", headers=write, json=[
            {"login": "a", "name": "A", "roles": ["store_staff"], "store_id": "7"},
            {"login": "b", "name": "B", "store_id": "404"}])
        good_users = await client.put("/api/v1/users", headers=write, json=[
            {"login": "a", "name": "A", "roles": ["store_staff"], "store_id": "7"}])
        listed = await client.get("/api/v1/users", params={"group": "store:7"}, headers=read)
        one = await client.get("/api/v1/users/A", headers=read)
        stores = await client.get("/api/v1/stores", params={"limit": 1}, headers=read)
        groups = await client.get("/api/v1/groups", params={"kind": "store"}, headers=read)
        missing = await client.get("/api/v1/stores/999", headers=read)
    assert (anonymous.status_code, readonly.status_code) == (401, 403)
    assert created.json() == {"created": 2, "updated": 0} and repeated.json() == {"created": 0, "updated": 2}
    assert bad_users.status_code == 422 and "items[1]: unknown store '404'" in bad_users.json()["error"]["reason"]
    assert (good_users.json()["created"], good_users.json()["updated"]) == (1, 0)
    assert [i["login"] for i in good_users.json()["invitations"]] == ["a"]
    assert [u["login"] for u in listed.json()["items"]] == ["a"]
    assert one.json()["groups"] == ["store:7"] and "password_hash" not in one.json()
    assert stores.json()["items"][0]["id"] == "7" and stores.json()["next_after"] == "7"
    assert [g["id"] for g in groups.json()["items"]] == ["store:7", "store:8"]
    assert missing.status_code == 404


async def test_an_import_token_can_neither_make_an_admin_nor_change_one(
    make_settings: SettingsFactory, start_app: Callable[..., Any],
) -> None:
    async with start_app(make_settings()) as running:
        _, writer = await tokens.issue(running.hub.stores.tokens, "hr", [Scope.DIRECTORY_WRITE])
        write = {"authorization": f"Bearer {writer}"}
        await create_user(running.hub, "root", "the admin's own password", roles=[Role.ADMIN])
        minted = await running.client.put("/api/v1/users", headers=write, json=[
            {"login": "mallory", "name": "M", "roles": ["admin"]}])
        taken_over = await running.client.put("/api/v1/users", headers=write, json=[
            {"login": "Root", "name": "Root", "roles": ["operator"]}])
        root = await running.hub.stores.directory.user_by_login("root")
        mallory = await running.hub.stores.directory.user_by_login("mallory")

    assert minted.status_code == 403 and "items[0].roles" in minted.json()["error"]["reason"]
    assert taken_over.status_code == 403 and "holds admin" in taken_over.json()["error"]["reason"]
    assert mallory is None and root is not None and root.roles == frozenset({Role.ADMIN})


async def test_first_admin_by_cli_signs_in_and_users_cli_manages_people(
    make_settings: SettingsFactory, start_app: Callable[..., Any],
) -> None:
    settings = make_settings()
    async with start_app(settings) as running:
        admin = await otklik(settings, "users", "create-admin", "--login", "Boss", "--name", "Главный",
                             env={"OTKLIK_ADMIN_PASSWORD": "first admin password"})
        group = await otklik(settings, "groups", "add", "cc-msk", "--name", "КЦ Москва")
        bad_group = await otklik(settings, "groups", "add", "Bad Id", "--name", "x")
        added = await otklik(settings, "users", "add", "--login", "op1", "--name", "Оператор", "--role", "operator",
                             "--group", "cc-msk", env={"OTKLIK_USER_PASSWORD": "operator password"})
        unknown_group = await otklik(settings, "users", "add", "--login", "op2", "--name", "X", "--role",
                                     "operator", "--group", "nope", "--no-password")
        listed = await otklik(settings, "users", "list", "--group", "cc-msk")
        groups = await otklik(settings, "groups", "list")
        await sign_in(running.client, "boss", "first admin password")
        page = await running.client.get("/admin/users")
        changed = await otklik(settings, "users", "set-password", "op1",
                               env={"OTKLIK_USER_PASSWORD": "new op password"})
        off = await otklik(settings, "users", "deactivate", "op1")
        op1 = await running.hub.stores.directory.user_by_login("op1")
    assert admin.exit_code == 0 and "admin boss created" in admin.stdout
    assert group.exit_code == 0 and bad_group.exit_code == 2
    assert added.exit_code == 0 and unknown_group.exit_code == 1 and "group nope not found" in unknown_group.stderr
    assert listed.stdout.strip() == "op1\tОператор\toperator\tcc-msk\tactive"
    assert "cc-msk\tcontact_centre\tКЦ Москва" in groups.stdout
    assert page.status_code == 200 and "Оператор" in page.text
    assert changed.exit_code == 0 and off.exit_code == 0
    assert op1 is not None and not op1.active
