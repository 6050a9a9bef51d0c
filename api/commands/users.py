"""`otklik users …` and `otklik groups …`: the people who sign in and the groups they work in.

Passwords are prompted for (hidden, typed twice) or read from OTKLIK_ADMIN_PASSWORD / OTKLIK_USER_PASSWORD,
so scripts and a fresh install can create the first admin without a terminal.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from api.commands.environment import load_settings
from api.wiring import build_stores
from hub.directory import users as user_service
from hub.stores.base import Stores
from models.errors import OtklikError
from models.staff import Group, GroupId, GroupKind, Role

app = typer.Typer(help="Users: create the first admin, add, list, set passwords, deactivate.",
                  no_args_is_help=True)
groups_app = typer.Typer(help="Groups: queues of work (contact-centre lines, specialists, stores).",
                         no_args_is_help=True)
T = TypeVar("T")


def _run(action: Callable[[Stores], Awaitable[T]]) -> T:
    """Open the configured stores, run `action`, close; OtklikError → message and exit 1."""

    async def go() -> T:
        stores = build_stores(load_settings())
        await stores.open()
        try:
            return await action(stores)
        finally:
            await stores.close()

    try:
        return asyncio.run(go())
    except OtklikError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e


def _password(env: str) -> str:
    """From the environment variable, else prompted twice without echo."""
    value = os.environ.get(env)
    if value:
        return value
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


LoginOpt = Annotated[str, typer.Option("--login", help="Sign-in name (stored lower-case).")]
NameOpt = Annotated[str, typer.Option("--name", help="Full name shown to colleagues.")]


@app.command("create-admin")
def create_admin(login: LoginOpt, name: NameOpt,
                 email: Annotated[str | None, typer.Option(help="E-mail address.")] = None) -> None:
    """Create an admin (password from OTKLIK_ADMIN_PASSWORD or a prompt)."""
    password = _password("OTKLIK_ADMIN_PASSWORD")
    user = _run(lambda s: user_service.create_user(s.directory, login=login, name=name, password=password,
                                                   roles=frozenset({Role.ADMIN}), email=email))
    typer.echo(f"admin {user.login} created")


@app.command("add")
def add(
    login: LoginOpt, name: NameOpt,
    role: Annotated[list[Role], typer.Option("--role", help="Repeat for each role.")],
    group: Annotated[list[str] | None, typer.Option("--group", help="Repeat for each group id.")] = None,
    store: Annotated[str | None, typer.Option("--store", help="Store number (store staff).")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    language: Annotated[str, typer.Option(help="Interface language: ru or en.")] = "ru",
    password: Annotated[bool, typer.Option(help="Set a password now (else the user cannot sign in yet).")] = True,
) -> None:
    """Add a user with roles and groups (password from OTKLIK_USER_PASSWORD or a prompt)."""
    secret = _password("OTKLIK_USER_PASSWORD") if password else None
    groups = [GroupId(g) for g in group or []]

    async def go(stores: Stores) -> str:
        for g in groups:
            await stores.directory.get_group(g)  # NotFound names the missing group
        user = await user_service.create_user(
            stores.directory, login=login, name=name, password=secret, roles=frozenset(role), groups=groups,
            store_id=store, email=email, language=language)
        return user.login

    typer.echo(f"user {_run(go)} created")


@app.command("list")
def list_users(
    group: Annotated[str | None, typer.Option(help="Only members of this group.")] = None,
    role: Annotated[Role | None, typer.Option(help="Only holders of this role.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 1000,
) -> None:
    """Login, name, roles, groups and state of users (by login)."""
    found = _run(lambda s: s.directory.list_users(group=GroupId(group) if group else None, role=role, limit=limit))
    for u in found:
        state = "active" if u.active else "inactive"
        roles = ",".join(sorted(r.value for r in u.roles))
        typer.echo(f"{u.login}\t{u.name}\t{roles}\t{','.join(u.groups)}\t{state}")


@app.command("set-password")
def set_password(login: Annotated[str, typer.Argument(help="The user's login.")]) -> None:
    """Set a new password (signs the user out everywhere)."""
    secret = _password("OTKLIK_USER_PASSWORD")

    async def go(stores: Stores) -> None:
        user = await user_service.get_by_login(stores.directory, login)
        await user_service.set_password(stores.directory, user.id, secret)

    _run(go)
    typer.echo("password changed")


@app.command("deactivate")
def deactivate(login: Annotated[str, typer.Argument(help="The user's login.")]) -> None:
    """Deactivate a user: no more sign-ins, current sessions end."""
    async def go(stores: Stores) -> None:
        user = await user_service.get_by_login(stores.directory, login)
        await user_service.set_active(stores.directory, user.id, False)

    _run(go)
    typer.echo(f"{login} deactivated")


@groups_app.command("add")
def add_group(
    group_id: Annotated[str, typer.Argument(help="Slug, e.g. cc-moscow or quality.")],
    name: NameOpt,
    kind: Annotated[GroupKind, typer.Option(help="What sort of work.")] = GroupKind.CONTACT_CENTRE,
    region: Annotated[str | None, typer.Option(help="Region.")] = None,
    calendar: Annotated[str | None, typer.Option(help="Working-hours calendar name.")] = None,
    escalation: Annotated[str | None, typer.Option(help="Group that gets SLA breaches.")] = None,
) -> None:
    """Add or update a group."""
    try:
        group = Group(id=GroupId(group_id), name=name, kind=kind, region=region, calendar=calendar,
                      escalation_group=GroupId(escalation) if escalation else None)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    _run(lambda s: s.directory.save_group(group))
    typer.echo(f"group {group.id} saved")


@groups_app.command("list")
def list_groups(kind: Annotated[GroupKind | None, typer.Option(help="Only groups of this kind.")] = None) -> None:
    """Id, kind and name of groups (by id)."""
    for g in _run(lambda s: s.directory.list_groups(kind=kind, limit=100_000)):
        typer.echo(f"{g.id}\t{g.kind.value}\t{g.name}")
