"""Settings for a CLI command, with configuration errors said plainly (the variable's name) instead of a trace."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from hub.settings import Settings


def load_settings() -> Settings:
    """Settings from the environment, or a clear message naming the bad variable and exit 2."""
    try:
        return Settings()  # required fields come from the environment
    except ValidationError as e:
        for problem in e.errors():
            name = "OTKLIK_" + "_".join(str(p) for p in problem["loc"]).upper() if problem["loc"] else "settings"
            typer.echo(f"configuration error: {name}: {problem['msg']}", err=True)
        raise typer.Exit(2) from e
