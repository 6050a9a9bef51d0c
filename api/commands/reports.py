"""`otklik reports …`: rebuild the report facts and rollups from history."""

from __future__ import annotations

import asyncio

import typer

from hub.reports import opened_report_store
from hub.reports.backfill import backfill as run_backfill
from hub.reports.backfill import count_history
from hub.runtime import running_hub

app = typer.Typer(help="Reports: facts and rollups built from events.", no_args_is_help=True)


@app.command()
def backfill() -> None:
    """Replace every report fact and rollup with ones derived from the stored conversations and cases."""
    from api.cli import load_settings  # the CLI's own loader: clear messages for bad configuration

    settings = load_settings()

    async def run() -> tuple[int, int]:
        async with running_hub(settings) as hub, opened_report_store(settings) as store:
            total = await count_history(hub)
            with typer.progressbar(length=total, label="Backfilling reports") as bar:
                return await run_backfill(hub, store, progress=bar.update)

    conversations, cases = asyncio.run(run())
    typer.echo(f"{conversations} conversations and {cases} cases in the reports")
