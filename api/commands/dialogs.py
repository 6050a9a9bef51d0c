"""`otklik dialogs check | test`: the content team's tools for the YAML flows (problems as file:line)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, NoReturn

import typer

import dialogs
from dialogs.check import check as check_flows
from dialogs.loader import load_flows
from dialogs.model import FlowSet
from dialogs.problems import FlowError, Problem
from dialogs.testing import Outcome, Parse, run_tests
from dialogs.vocabulary import NLU_DATA, nlu_vocabulary
from models.errors import PayloadError

app = typer.Typer(help="Dialog flows: check and test the YAML the content team writes.", no_args_is_help=True)
FLOWS = Path(dialogs.__file__).resolve().parent / "flows"
TESTS = Path(dialogs.__file__).resolve().parent / "tests"

DirOption = Annotated[Path, typer.Option("--dir", help="The flows folder (default: the shipped dialogs/flows).")]
ActionsOption = Annotated[str | None, typer.Option(
    "--actions", help="Known action names, comma-separated (default: the bot's registry, bots.actions).")]
DataOption = Annotated[Path, typer.Option("--nlu-data", help="NLU training data: the known intents and entities.")]


@app.command()
def check(directory: DirOption = FLOWS, actions: ActionsOption = None, nlu_data: DataOption = NLU_DATA) -> None:
    """Report every problem of the flows as file:line: message; exit code 1 if there is any."""
    _load_and_check(directory, actions, nlu_data)
    typer.echo(f"{directory}: no problems")


@app.command()
def test(
    directory: DirOption = FLOWS,
    tests: Annotated[Path, typer.Option("--tests", help="The conversation tests (default: dialogs/tests).")] = TESTS,
    actions: ActionsOption = None,
    nlu_data: DataOption = NLU_DATA,
    nlu_model: Annotated[Path | None, typer.Option(
        "--nlu-model", help="Parse turns without `intent:` with this model folder (default: no model).")] = None,
    only: Annotated[str, typer.Option("-k", "--only", help="Run only the tests whose name contains this.")] = "",
) -> None:
    """Check the flows, then run the conversation tests; exit code 1 if a test fails."""
    flows, known, intents = _load_and_check(directory, actions, nlu_data)
    try:
        outcomes = asyncio.run(run_tests(flows, tests, actions=known, intents=intents, parse=_parser(nlu_model),
                                          only=only))
    except FlowError as e:
        _fail(e.problems)
    if not outcomes:
        typer.echo(f"no conversation tests in {tests}" + (f" named *{only}*" if only else ""), err=True)
        raise typer.Exit(1)
    _report(outcomes)


def _report(outcomes: list[Outcome]) -> None:
    """PASS/FAIL lines and the totals; exit code 1 if any failed."""
    for outcome in outcomes:
        if outcome.passed:
            typer.echo(f"PASS {outcome.name}")
        for failure in outcome.failures:
            typer.echo(f"FAIL {failure}")
    failed = sum(not o.passed for o in outcomes)
    typer.echo(f"{len(outcomes) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


def _load_and_check(directory: Path, actions: str | None, nlu_data: Path) -> tuple[FlowSet, set[str], set[str]]:
    intents, entities = _vocabulary(nlu_data)
    known = _actions(actions)
    try:
        flows = load_flows(directory)
    except FlowError as e:
        _fail(e.problems)
    problems = check_flows(flows, intents=intents, actions=known, entities=entities)
    if problems:
        _fail(problems)
    return flows, known, intents


def _vocabulary(nlu_data: Path) -> tuple[set[str], set[str]]:
    """The intents and entity names the NLU knows."""
    try:
        vocabulary = nlu_vocabulary(nlu_data)
    except PayloadError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(2) from e
    return set(vocabulary.intents), set(vocabulary.entities)


def _actions(listed: str | None) -> set[str]:
    if listed is not None:
        return {name.strip() for name in listed.split(",") if name.strip()}
    from bots.actions import REGISTRY  # the bot's actions; imported late so `--actions` works without them

    return set(REGISTRY)


def _parser(model: Path | None) -> Parse | None:
    if model is None:
        return None
    from nlu.artefacts import ModelDirectory
    from nlu.engine import BuiltinEngine

    engine = BuiltinEngine(ModelDirectory(model))
    return engine.parse


def _fail(problems: list[Problem]) -> NoReturn:
    for problem in problems:
        typer.echo(str(problem))
    typer.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}", err=True)
    raise typer.Exit(1)
