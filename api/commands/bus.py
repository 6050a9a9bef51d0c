"""`otklik bus …`: inspect and replay dead letters on the Redis bus."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.commands.environment import load_settings
from api.wiring import build_bus
from hub.bus.base import EVENTS, INBOUND, OUTBOUND
from hub.settings import Settings

app = typer.Typer(help="Dead letters: entries that failed every attempt.", no_args_is_help=True)


def _streams(settings: Settings) -> list[str]:
    parts = range(settings.partitions)
    return [f"{s}.{n}" for s in (INBOUND, OUTBOUND) for n in parts] + [EVENTS]


def _redis_settings() -> Settings:

    settings = load_settings()
    if settings.bus != "redis":
        typer.echo("dead letters of the in-process bus live inside `otklik serve`; this needs OTKLIK_BUS=redis",
                   err=True)
        raise typer.Exit(2)
    return settings


@app.command("dead-letters")
def dead_letters(limit: Annotated[int, typer.Option(help="At most this many per stream.")] = 100) -> None:
    """List dead letters of every stream: entry id, attempts, time, last error."""
    settings = _redis_settings()

    async def show() -> int:
        bus = build_bus(settings)
        await bus.open()
        try:
            total = 0
            for stream in _streams(settings):
                for letter in await bus.dead_letters(stream, limit=limit):
                    total += 1
                    typer.echo(f"{stream}\t{letter.entry_id}\t{letter.attempts}\t{letter.at:%Y-%m-%d %H:%M:%S}"
                               f"\t{letter.error}")
            return total
        finally:
            await bus.close()

    typer.echo(f"{asyncio.run(show())} dead letters", err=True)


@app.command()
def replay(
    stream: Annotated[str, typer.Argument(help="The stream, e.g. inbound.2")],
    entry_ids: Annotated[list[str], typer.Argument(help="Entry ids from `otklik bus dead-letters`")],
) -> None:
    """Publish dead letters again (handlers are idempotent, so a replay is safe) and drop them."""
    settings = _redis_settings()

    async def run() -> list[str]:
        bus = build_bus(settings)
        await bus.open()
        try:
            return [entry for entry in entry_ids if not await bus.replay(stream, entry)]
        finally:
            await bus.close()

    unknown = asyncio.run(run())
    for entry in unknown:
        typer.echo(f"{stream}: no dead letter {entry}", err=True)
    raise typer.Exit(1 if unknown else 0)
