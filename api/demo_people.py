"""Demo people for `otklik demo`: an admin, two operators, a supervisor and a store's staff member, so the
inbox and the case pages can be tried at once. One generated password, kept in `.env` like the other
demo secrets; existing demo users are left as they are (an admin may have changed them)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from hub.directory.users import create_user
from hub.stores.directory_base import DirectoryStore
from models.errors import NotFound
from models.retail_stores import RetailStore
from models.staff import Group, GroupId, GroupKind, Role, UserId, store_group_id

PASSWORD_VAR = "OTKLIK_DEMO_PASSWORD"
DEMO_STORE = RetailStore(id="118", name="Тверская, 8", region="msk", city="Москва", address="ул. Тверская, 8",
                         opening_hours="08:00-23:00")
GROUPS = [
    Group(id=GroupId("cc-msk"), name="Контакт-центр Москва", kind=GroupKind.CONTACT_CENTRE, region="msk",
          escalation_group=GroupId("supervisors")),
    Group(id=GroupId("logistics"), name="Логистика", kind=GroupKind.SPECIALIST,
          escalation_group=GroupId("supervisors")),
    Group(id=GroupId("quality"), name="Контроль качества", kind=GroupKind.SPECIALIST,
          escalation_group=GroupId("supervisors")),
    Group(id=GroupId("supervisors"), name="Супервайзеры", kind=GroupKind.SUPERVISORS),
]
# (login, name, roles, groups, store)
PEOPLE: list[tuple[str, str, set[Role], list[str], str | None]] = [
    ("admin", "Администратор", {Role.ADMIN}, [], None),
    ("operator1", "Ирина Оператор", {Role.OPERATOR}, ["cc-msk", "logistics", "quality"], None),
    ("operator2", "Павел Оператор", {Role.OPERATOR}, ["cc-msk", "logistics", "quality"], None),
    ("supervisor", "Светлана Супервайзер", {Role.SUPERVISOR, Role.OPERATOR}, ["supervisors", "cc-msk"], None),
    ("store118", "Магазин 118", {Role.STORE_STAFF}, [store_group_id("118")], "118"),
]


def ensure_demo_password(path: Path) -> str:
    """The demo users' password: from the environment or `path`, else generated and appended to `path`."""
    if os.environ.get(PASSWORD_VAR):
        return os.environ[PASSWORD_VAR]
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    for line in text.splitlines():
        if line.startswith(f"{PASSWORD_VAR}="):
            return line.split("=", 1)[1].strip()
    password = secrets.token_urlsafe(12)
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{PASSWORD_VAR}={password}\n")
    return password


async def seed_people(directory: DirectoryStore, password: str) -> list[str]:
    """Create the demo store, groups and users that do not exist yet; the logins created."""
    await directory.upsert_stores([DEMO_STORE])
    for group in GROUPS:
        try:
            await directory.get_group(group.id)
        except NotFound:
            await directory.save_group(group)
    created = []
    for login, name, roles, groups, store in PEOPLE:
        if await directory.user_by_login(login) is None:
            await create_user(directory, login=login, name=name, password=password, roles=frozenset(roles),
                              groups=[GroupId(g) for g in groups], store_id=store, id=UserId(login))
            created.append(login)
    return created


def banner(base: str, password: str) -> str:
    """What `otklik demo` prints about signing in."""
    logins = ", ".join(login for login, *_ in PEOPLE)
    return f"  sign in:   {base}/login as {logins} (password {password}, kept in .env as {PASSWORD_VAR})\n"
