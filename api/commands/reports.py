"""`otklik reports …`: rebuild the report facts and rollups from history."""

from __future__ import annotations

import asyncio

import typer

from api.wiring import running_hub
from hub.reports.backfill import backfill as run_backfill
from hub.reports.backfill import count_history

app = typer.Typer(help="Reports: facts and rollups built from events.", no_args_is_help=True)


@app.command()
def backfill() -> None:
    """Replace every report fact and rollup with ones derived from the stored conversations and cases."""
    from api.commands.environment import load_settings

    settings = load_settings()

    async def run() -> tuple[int, int]:
        async with running_hub(settings) as hub:
            store = hub.report_store
            assert store is not None  # the wiring opens it with the hub
            total = await count_history(hub)
            with typer.progressbar(length=total, label="Backfilling reports") as bar:
                return await run_backfill(hub, store, progress=bar.update)

    conversations, cases = asyncio.run(run())
    typer.echo(f"{conversations} conversations and {cases} cases in the reports")
