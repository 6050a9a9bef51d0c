"""`otklik directory import`: load the chain's stores and users from CSV/JSON files, with a progress bar."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.commands.environment import load_settings
from api.wiring import build_stores
from hub.directory import ImportReport, ImportRow, import_stores, import_users, parse_stores, parse_users, read_rows
from hub.settings import Settings
from hub.stores.base import Stores
from models.errors import PayloadError


@dataclass
class OpenStores:
    """The stores alone: an import needs no bus, channels or NLU."""

    stores: Stores


app = typer.Typer(help="The chain's stores and users: bulk import.", no_args_is_help=True)
MAX_SHOWN_ERRORS = 50


def _settings() -> Settings:

    return load_settings()


def _load(path: Path | None) -> list[ImportRow]:
    if path is None:
        return []
    try:
        return list(read_rows(path))
    except (OSError, PayloadError) as e:
        typer.echo(f"{path}: {getattr(e, 'reason', e)}", err=True)
        raise typer.Exit(2) from e


def _print_report(console: Console, what: str, report: ImportReport) -> None:
    for error in report.errors[:MAX_SHOWN_ERRORS]:
        console.print(str(error), style="red", highlight=False, markup=False)
    if len(report.errors) > MAX_SHOWN_ERRORS:
        console.print(f"... and {len(report.errors) - MAX_SHOWN_ERRORS} more errors", style="red")
    state = "" if report.written else " (nothing written: --strict)"
    console.print(f"{what}: {report.counts.created} created, {report.counts.updated} updated, "
                  f"{len(report.errors)} rejected{state}", highlight=False)


def _strict_problems(stores: list[ImportRow], stores_name: str, users: list[ImportRow], users_name: str,
                     known_stores: set[str], known_groups: set[str]) -> list[str]:
    valid, store_errors = parse_stores(stores, stores_name)
    numbers = known_stores | {s.id for s in valid}
    groups = known_groups | {f"store:{n}" for n in numbers}
    _, user_errors = parse_users(users, users_name, known_stores=numbers, known_groups=groups)
    return [str(e) for e in [*store_errors, *user_errors]]


async def _run(settings: Settings, stores_file: Path | None, users_file: Path | None, strict: bool,
               chunk: int) -> int:
    console = Console(stderr=True)
    stores, users = _load(stores_file), _load(users_file)
    hub = OpenStores(build_stores(settings))
    await hub.stores.open()
    try:
        return await _import(hub, console, stores_file, stores, users_file, users, strict, chunk)
    finally:
        await hub.stores.close()


async def _strict_check(hub: OpenStores, console: Console, stores_file: Path | None, stores: list[ImportRow],
                        users_file: Path | None, users: list[ImportRow]) -> bool:
    """Validate everything before writing anything; print the problems; whether all rows are valid."""
    directory = hub.stores.directory
    known_stores = {s.id for s in await directory.list_stores(limit=1_000_000)}
    known_groups: set[str] = {g.id for g in await directory.list_groups(limit=1_000_000)}
    problems = _strict_problems(stores, stores_file.name if stores_file else "", users,
                                users_file.name if users_file else "", known_stores, known_groups)
    for line in problems[:MAX_SHOWN_ERRORS]:
        console.print(line, style="red", highlight=False, markup=False)
    if problems:
        console.print(f"{len(problems)} invalid rows; nothing written (--strict)")
    return not problems


async def _import(hub: OpenStores, console: Console, stores_file: Path | None, stores: list[ImportRow],
                  users_file: Path | None, users: list[ImportRow], strict: bool, chunk: int) -> int:
    if strict and not await _strict_check(hub, console, stores_file, stores, users_file, users):
        return 1
    failed = False
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        if stores_file is not None:
            task = bar.add_task(f"stores ({stores_file.name})", total=len(stores))
            report = await import_stores(hub, stores, lambda n: bar.advance(task, n), source=stores_file.name,
                                         chunk_size=chunk)
            _print_report(console, "stores", report)
            failed |= bool(report.errors)
        if users_file is not None:
            task = bar.add_task(f"users ({users_file.name})", total=len(users))
            report = await import_users(hub, users, lambda n: bar.advance(task, n), source=users_file.name,
                                        chunk_size=chunk)
            _print_report(console, "users", report)
            failed |= bool(report.errors)
    return 1 if failed else 0


@app.command("import")
def import_files(
    stores: Annotated[Path | None, typer.Option("--stores", help="Stores: .csv, .json or .jsonl.", exists=True,
                                                dir_okay=False)] = None,
    users: Annotated[Path | None, typer.Option("--users", help="Users: .csv, .json or .jsonl.", exists=True,
                                               dir_okay=False)] = None,
    strict: Annotated[bool, typer.Option(help="Write nothing if any row is invalid.")] = False,
    chunk: Annotated[int, typer.Option(help="Rows per transaction.", min=1, max=50_000)] = 1000,
) -> None:
    """Upsert stores (and their queue groups) and users; re-running updates, never duplicates.

    Exit code 1 when any row was rejected (the valid ones are imported unless --strict)."""
    if stores is None and users is None:
        typer.echo("give --stores and/or --users", err=True)
        raise typer.Exit(2)
    started = time.perf_counter()
    code = asyncio.run(_run(_settings(), stores, users, strict, chunk))
    typer.echo(f"done in {time.perf_counter() - started:.1f} s", err=True)
    raise typer.Exit(code)
