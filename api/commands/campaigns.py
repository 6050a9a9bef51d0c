"""`otklik campaigns check [DIR]`: the campaign YAML files' problems as `file:line: problem` (exit 1), without
starting anything; `otklik campaigns import-codes CAMPAIGN FILE`: a promo-code file into the campaign's pool."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from api.wiring import running_hub
from hub.campaigns import CampaignFileError, load_campaign_dir, manage
from hub.settings import Settings
from models.errors import OtklikError

app = typer.Typer(help="Targeted promotions: campaign files and code pools.", no_args_is_help=True)


def _settings() -> Settings:
    from api.commands.environment import load_settings

    return load_settings()


@app.command("check")
def check(folder: Annotated[Path | None, typer.Argument(help="Default: OTKLIK_CAMPAIGNS_DIR")] = None) -> None:
    """Validate every *.yml of the folder; each problem as file:line (exit 1 when there is one)."""
    chosen = folder or (Path(d) if (d := _settings().campaigns_dir) else None)
    if chosen is None:
        typer.echo("no folder given and OTKLIK_CAMPAIGNS_DIR is not set", err=True)
        raise typer.Exit(2)
    try:
        found = load_campaign_dir(chosen)
    except CampaignFileError as e:
        for problem in e.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from e
    typer.echo(f"{len(found)} campaigns, no problems: {', '.join(c.id for c in found)}")


@app.command("import-codes")
def import_codes(campaign: str, file: Path) -> None:
    """Add the file's codes (one per line, or the first CSV column) to the campaign's pool."""
    text = file.read_text(encoding="utf-8-sig")

    async def run() -> tuple[int, int]:
        async with running_hub(_settings()) as hub:
            return await manage.import_codes(hub, campaign, text)

    try:
        added, free = asyncio.run(run())
    except OtklikError as e:
        typer.echo(f"{file}: {e.reason}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"{added} codes added; {free} free in {campaign}")
