"""`otklik viber ...`: account administration against the Viber API — being written for issue 3."""

from __future__ import annotations

import typer

app = typer.Typer(help="Viber accounts: register the webhook and more.", no_args_is_help=True)
