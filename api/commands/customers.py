"""`otklik customers …`: personal-data requests from the command line (export, erase, the audit log).

Each run is written to the audit log as actor `cli`. An erasure's `customer.erased` event reaches webhook
subscribers through the shared bus (OTKLIK_BUS=redis); on the embedded bus, erase through the API instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from api.commands.environment import load_settings
from api.privacy_export import export_html
from api.wiring import running_hub
from hub import privacy
from hub.settings import Settings
from models.errors import NotFound
from models.ids import CustomerId
from models.privacy import AuditQuery, ReadKind

app = typer.Typer(help="Customers' personal data: export, erase, who read it.", no_args_is_help=True)
ACTOR = "cli"


class ExportFormat(StrEnum):
    """What an export is written as."""

    JSON = "json"
    HTML = "html"


def _settings() -> Settings:
    return load_settings()


@app.command()
def export(
    customer_id: Annotated[str, typer.Argument(help="The customer's id (a merged one's leads to the survivor)")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="json, or a readable html page")] = ExportFormat.JSON,
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output")] = None,
) -> None:
    """Everything about one customer: profile, identities, claims, conversations with messages, cases."""
    async def run() -> str:
        async with running_hub(_settings()) as hub:
            found = await privacy.export_customer(hub, CustomerId(customer_id), actor=ACTOR,
                                                  via=f"otklik customers export {customer_id}")
            return export_html(found) if fmt is ExportFormat.HTML else found.model_dump_json(indent=2)

    text = _or_exit(run)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)


@app.command()
def erase(
    customer_id: Annotated[str, typer.Argument(help="The customer's id")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone")] = False,
) -> None:
    """Anonymise one customer in every store and delete their files (texts read "erased" afterwards)."""
    if not yes:
        typer.echo("erasing cannot be undone: repeat with --yes", err=True)
        raise typer.Exit(2)

    async def run() -> str:
        async with running_hub(_settings()) as hub:
            erased = await privacy.erase_customer(hub, CustomerId(customer_id), actor=ACTOR,
                                                  via=f"otklik customers erase {customer_id}")
            return json.dumps(erased.model_dump(exclude={"files"}), ensure_ascii=False)

    typer.echo(_or_exit(run))


@app.command()
def audit(
    customer_id: Annotated[str | None, typer.Option("--customer", help="Only reads of this customer")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this reader: user:<id>, api:<token name>, cli")] = None,
    kind: Annotated[ReadKind | None, typer.Option(help="Only this kind of read")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this moment (ISO 8601)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Who read which customer's data, newest first, one tab-separated line each."""
    query = AuditQuery(customer_id=customer_id, actor=actor, kind=kind, since=since, limit=limit)

    async def run() -> str:
        async with running_hub(_settings()) as hub:
            entries = await privacy.search_audit(hub, query)
        return "\n".join(f"{e.at.isoformat()}\t{e.actor}\t{e.kind.value}\t{e.customer_id}\t{e.via}" for e in entries)

    text = _or_exit(run)
    if text:
        typer.echo(text)


def _or_exit(run: Callable[[], Coroutine[Any, Any, str]]) -> str:
    """Run the coroutine function; a missing customer is a message and exit 1, not a traceback."""
    try:
        return asyncio.run(run())
    except NotFound as e:
        typer.echo(f"not found: {e.reason}", err=True)
        raise typer.Exit(1) from e
