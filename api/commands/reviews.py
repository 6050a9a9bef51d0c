"""`otklik reviews import FILE`: reviews from sources without an API (Yandex Maps and 2GIS exports, an agency's
feed), CSV or JSON, with a progress bar. Bad rows are refused with `file:line: reason`; the rest are taken in.
Re-running the same file changes nothing; a row with a later updated_at is an edit."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.wiring import running_hub
from connectors.reviews.records import parse_record
from hub.directory import ImportRow, read_rows
from hub.reviews import COLUMNS, export_rows, map_place, runtime_of, suggest, take
from hub.settings import Settings
from models.errors import OtklikError, PayloadError

app = typer.Typer(help="Public reviews: import from files.", no_args_is_help=True)
MAX_SHOWN_ERRORS = 50


def _settings() -> Settings:
    from api.commands.environment import load_settings

    return load_settings()


async def import_reviews(settings: Settings, path: Path, rows: list[ImportRow], platform: str | None,
                         console: Console, *, trusted: bool = False) -> tuple[dict[str, int], list[str]]:
    """Take every valid row in; the counts by outcome and the refused rows as `file:line: reason`."""
    zone, counts, errors = ZoneInfo(settings.timezone), dict[str, int](), list[str]()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    async with running_hub(settings) as hub:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(f"reviews ({path.name})", total=len(rows))
            for row in rows:
                try:
                    _, outcome = await take(hub, parse_record(row.data, platform=platform, zone=zone,
                                                                trusted=trusted))
                    counts[outcome.value] = counts.get(outcome.value, 0) + 1
                except OtklikError as e:
                    errors.append(f"{path}:{row.line}: {e.reason}")
                bar.advance(task)
    return counts, errors


async def _export(settings: Settings, out: Path, platform: str | None) -> int:
    async with running_hub(settings) as hub:
        reviews = await runtime_of(hub).store.find(platform=platform, limit=10_000_000)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(export_rows(reviews))
    return len(reviews)


@app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="CSV file to write.", dir_okay=False)],
    platform: Annotated[str | None, typer.Option(help="Only this platform's reviews.")] = None,
) -> None:
    """Write reviews to CSV (authors' names masked: personal data)."""
    count = asyncio.run(_export(_settings(), out, platform))
    typer.echo(f"{count} reviews written to {out}", err=True)


async def _places(settings: Settings) -> list[str]:
    async with running_hub(settings) as hub:
        lines = []
        for place in await runtime_of(hub).store.places(unmapped_only=True):
            hints = ", ".join(f"{s.store_id} {s.name} ({s.score:.0%})" for s in await suggest(hub, place))
            label = " · ".join(x for x in (place.place_name, place.place_address) if x)
            lines.append(f"{place.platform} {place.place_id}  {label}  -> {hints or 'no suggestion'}")
        return lines


@app.command("places")
def places() -> None:
    """Places nobody mapped to a store yet, with the stores they most look like."""
    for line in asyncio.run(_places(_settings())):
        typer.echo(line)


async def _map(settings: Settings, platform: str, place_id: str, store_id: str) -> None:
    async with running_hub(settings) as hub:
        await map_place(hub, runtime_of(hub).store, platform, place_id, store_id, actor="cli")


@app.command("map")
def map_command(platform: str, place_id: str, store_id: str) -> None:
    """Say which store a platform's place is (its next reviews go to that store's queue)."""
    try:
        asyncio.run(_map(_settings(), platform, place_id, store_id))
    except OtklikError as e:
        typer.echo(e.reason, err=True)
        raise typer.Exit(1) from e
    typer.echo(f"{platform} {place_id} -> store {store_id}")


@app.command("evaluate")
def evaluate() -> None:
    """Score the review reader on the independent labelled reviews (nlu/reviews/evaluation/)."""
    from nlu.reviews.evaluation import load_all, report, score

    for line in report(score(load_all())):
        typer.echo(line)


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="Reviews: .csv, .json or .jsonl.", exists=True, dir_okay=False)],
    platform: Annotated[str | None, typer.Option(help="Platform of rows without one, e.g. yandex_maps, 2gis.")] = None,
    trusted_identities: Annotated[bool, typer.Option(
        help="Read author_identity (phone:/email:...) as proven: only for the chain's own app's exports.")] = False,
) -> None:
    """Take reviews in from a file; exit code 1 when any row was refused (the valid ones are taken in)."""
    console = Console(stderr=True)
    try:
        rows = list(read_rows(path))
    except (OSError, PayloadError) as e:
        typer.echo(f"{path}: {getattr(e, 'reason', e)}", err=True)
        raise typer.Exit(2) from e
    counts, errors = asyncio.run(import_reviews(_settings(), path, rows, platform, console,
                                                   trusted=trusted_identities))
    for line in errors[:MAX_SHOWN_ERRORS]:
        console.print(line, style="red", highlight=False, markup=False, soft_wrap=True)
    if len(errors) > MAX_SHOWN_ERRORS:
        console.print(f"... and {len(errors) - MAX_SHOWN_ERRORS} more refused rows", style="red")
    summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing taken"
    console.print(f"reviews: {summary}, {len(errors)} refused", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if errors else 0)
