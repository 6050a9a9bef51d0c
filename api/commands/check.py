"""`otklik check`: validate the whole configuration against the directory before anything serves."""

from __future__ import annotations

import asyncio

import typer

from api.config_check import check_install
from api.config_problems import Report
from hub.settings import Settings


def run_check(settings: Settings) -> Report:
    """Check the configuration these settings name (opens and closes the store)."""
    return asyncio.run(check_install(settings))


def print_report(report: Report) -> None:
    """Every problem as a `file:line: problem` line on stdout, the totals on stderr."""
    for line in report.lines():
        typer.echo(line)
    errors, warnings = len(report.errors), len(report.warnings)
    if errors or warnings:
        typer.echo(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}", err=True)
    else:
        typer.echo("configuration: no problems", err=True)


def check(settings: Settings) -> None:
    """Print every problem; exit code 1 if any is an error."""
    report = run_check(settings)
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)
