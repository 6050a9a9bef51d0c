"""Demo people for `otklik demo`: a contact centre, specialists, a store, a supervisor, a content editor and
an admin, so the inbox, the case pages and the editors' pages can be tried at once. The groups are the
ones the shipped configuration routes to (hub/inbox/inbox.yml, hub/cases/catalogue.yml), each with someone in
it: `otklik check` passes on the demo. One generated password, kept in `.env` like the other demo
secrets; existing demo users are left as they are (an admin may have changed them)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from hub.directory import create_user
from hub.stores.directory import DirectoryStore
from models.errors import NotFound
from models.retail_stores import RetailStore
from models.staff import Group, GroupId, GroupKind, Role, UserId, store_group_id

PASSWORD_VAR = "OTKLIK_DEMO_PASSWORD"
DEMO_STORE = RetailStore(id="118", name="Тверская, 8", region="msk", city="Москва", address="ул. Тверская, 8",
                         opening_hours="08:00-23:00")
SUPERVISORS = GroupId("supervisors")
DEMO_STORE_GROUP = store_group_id("118")


def _group(group_id: str, name: str, kind: GroupKind, calendar: str | None = None, region: str | None = None) -> Group:
    return Group(id=GroupId(group_id), name=name, kind=kind, calendar=calendar, region=region,
                 escalation_group=SUPERVISORS)


GROUPS = [
    _group("contact_centre", "Контакт-центр", GroupKind.CONTACT_CENTRE),
    _group("logistics", "Логистика", GroupKind.SPECIALIST),
    _group("logistics_hotline", "Логистика горячей линии", GroupKind.SPECIALIST),
    _group("loyalty", "Программа лояльности", GroupKind.SPECIALIST),
    _group("quality_control", "Контроль качества", GroupKind.SPECIALIST, calendar="office"),
    _group("quality_control_far_east", "Контроль качества, Дальний Восток", GroupKind.SPECIALIST,
           region="far_east"),
    _group("finance", "Финансы", GroupKind.SPECIALIST, calendar="office"),
    Group(id=SUPERVISORS, name="Супервайзеры", kind=GroupKind.SUPERVISORS),
    Group(id=DEMO_STORE_GROUP, name="Магазин 118", kind=GroupKind.STORE, store_id="118", calendar="stores"),
]
_LINES = ["contact_centre", "logistics", "logistics_hotline", "loyalty", "quality_control"]
# (login, name, roles, groups, store)
PEOPLE: list[tuple[str, str, set[Role], list[str], str | None]] = [
    ("admin", "Администратор", {Role.ADMIN}, [], None),
    ("operator1", "Ирина Оператор", {Role.OPERATOR}, _LINES, None),
    ("operator2", "Павел Оператор", {Role.OPERATOR}, _LINES, None),
    ("supervisor", "Светлана Супервайзер", {Role.SUPERVISOR, Role.OPERATOR}, ["supervisors", "contact_centre"], None),
    ("store118", "Магазин 118", {Role.STORE_STAFF}, [DEMO_STORE_GROUP], "118"),
    ("specialist", "Дмитрий Специалист", {Role.SPECIALIST},
     ["quality_control", "quality_control_far_east", "finance"], None),
    ("editor", "Елена Редактор", {Role.CONTENT_EDITOR}, [], None),
]
# What each role does, for the banner (in the order a newcomer meets them).
ROLE_WORK = {
    Role.ADMIN: "users, groups, routing (/admin/users, /admin/routing)",
    Role.SUPERVISOR: "live board, reassigning (/inbox/board)",
    Role.OPERATOR: "conversations in the inbox (/inbox)",
    Role.SPECIALIST: "cases of their groups (/cases)",
    Role.STORE_STAFF: "their store's cases (/cases)",
    Role.CONTENT_EDITOR: "flows, canned answers and scripts (/dialogs, /admin/canned)",
}


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
    """What `otklik demo` prints about signing in: every login, its roles and groups, and what it may do."""
    lines = [f"  sign in:   {base}/login  (password {password} for everyone, kept in .env as {PASSWORD_VAR})\n"]
    for login, name, roles, groups, _store in PEOPLE:
        ordered = [role for role in ROLE_WORK if role in roles]
        work = "; ".join(f"{role.value}: {ROLE_WORK[role]}" for role in ordered)
        where = f" [{', '.join(groups)}]" if groups else ""
        lines.append(f"    {login:<11} {name}{where}\n{'':16}{work}\n")
    return "".join(lines)
