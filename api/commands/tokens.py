"""`otklik tokens …`: API tokens for the CRM and other systems (the secret is shown once)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.commands.environment import load_settings
from api.wiring import build_stores
from hub.directory import tokens
from hub.settings import Settings
from models.tokens import Scope

app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


def _settings() -> Settings:

    return load_settings()


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Who uses it, e.g. crm")],
    scope: Annotated[list[Scope], typer.Option(help="Repeat for each scope.")],
    rate: Annotated[int, typer.Option(help="Requests per minute allowed.")] = 600,
) -> None:
    """Create a token and print it (only this once: Otklik keeps a hash)."""
    async def run() -> str:
        stores = build_stores(_settings())
        await stores.open()
        try:
            _, full = await tokens.issue(stores.tokens, name, scope, rate_per_minute=rate)
            return full
        finally:
            await stores.close()

    typer.echo(asyncio.run(run()))


@app.command("list")
def list_tokens() -> None:
    """Id, name, scopes and state of every token."""
    async def run() -> None:
        stores = build_stores(_settings())
        await stores.open()
        try:
            for t in await stores.tokens.list():
                state = "revoked" if t.revoked_at else "active"
                typer.echo(f"{t.id}\t{t.name}\t{','.join(t.scopes)}\t{state}\t{t.created_at:%Y-%m-%d}")
        finally:
            await stores.close()

    asyncio.run(run())


@app.command()
def revoke(token_id: Annotated[str, typer.Argument(help="The id shown by `otklik tokens list`")]) -> None:
    """Revoke a token at once."""
    async def run() -> bool:
        stores = build_stores(_settings())
        await stores.open()
        try:
            return await tokens.revoke(stores.tokens, token_id)
        finally:
            await stores.close()

    if not asyncio.run(run()):
        typer.echo(f"no token {token_id}", err=True)
        raise typer.Exit(1)
