"""`otklik nlu check` and `otklik nlu test`, and the gate `train --gate` applies: is the data and the model good?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.commands.nlu_common import DataOption, current_model, load_training
from models.errors import PayloadError
from nlu import data_check
from nlu.artefacts import ModelDirectory, NluModel
from nlu.evaluation import cross_validate
from nlu.scorecard import Item, Scorecard, evaluate, load_items
from nlu.training import train as train_model


def per_language(thresholds: dict[str, float]) -> str:
    """Thresholds per language, for the training summary."""
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(thresholds.items())) or "one for all languages"


def gate_refusal(model: NluModel, directory: ModelDirectory, folder: Path) -> str | None:
    """Why the new model must not replace the current one on `folder`'s items, or None if it may."""
    items = _items(folder)
    if directory.current_version() is None:
        return None
    current = evaluate(directory.load(), items)
    new = evaluate(model, items)
    for lang in sorted(current.rows["language"]):
        before, after = current.row("language", lang), new.row("language", lang)
        if after.correct < before.correct:
            return (f"{lang} accuracy on {folder} would drop from {before.correct / before.total:.1%} "
                    f"to {after.correct / after.total:.1%}")
    return None


def _items(path: Path) -> list[Item]:
    try:
        items = load_items(path)
    except PayloadError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e
    if not items:
        typer.echo(f"error: {path}: no evaluation items found", err=True)
        raise typer.Exit(1)
    return items


def check(data: DataOption = None,
          min_examples: Annotated[int, typer.Option(help="Examples per intent and language below which it "
                                                    "is thin.")] = data_check.MIN_EXAMPLES) -> None:
    """Thin intents, near-duplicates, examples colliding across intents, language imbalance (file:line)."""
    training = load_training(data)
    findings = data_check.check(training, min_examples)
    for finding in findings:
        typer.echo(finding.line())
    typer.echo(data_check.summary(findings, training))
    if any(f.level == data_check.ERROR for f in findings):
        raise typer.Exit(1)


def test(data: DataOption = None,
         folds: Annotated[int, typer.Option(min=2, help="k for k-fold cross-validation.")] = 5,
         test_file: Annotated[Path | None, typer.Option(
             help="Evaluate on this file or folder instead (evaluation items or Rasa YAML).")] = None,
         models: Annotated[Path | None, typer.Option(
             "--models", help="With --test-file: evaluate the current model of this folder instead of "
                              "training one from --data.")] = None,
         worst: Annotated[int, typer.Option(help="How many confusion pairs / mistakes to list.")] = 10) -> None:
    """Cross-validation on the training data, or per language and channel style on an evaluation set,
    with the confidently-wrong rate (answered above the threshold with the wrong topic)."""
    if test_file is None:
        report = cross_validate(load_training(data), folds, progress=lambda s: typer.echo(s, err=True))
        for line in report.lines(worst):
            typer.echo(line)
        return
    items = _items(test_file)
    model = current_model(models) if models is not None else train_model(load_training(data))
    card: Scorecard = evaluate(model, items)
    typer.echo(f"examples: {len(items)}  model: {model.metadata.version}")
    for line in card.lines(worst):
        typer.echo(line)


