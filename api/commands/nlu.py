"""`otklik nlu …`: train a model from Rasa-format YAML, test it, parse a text with the current one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from api.commands.nlu_review import review
from models.errors import NotFound, PayloadError
from nlu import data_check
from nlu.artefacts import ModelDirectory, NluModel
from nlu.engine import BuiltinEngine
from nlu.evaluation import cross_validate
from nlu.rasa_yaml import load_paths
from nlu.scorecard import Item, Scorecard, evaluate, load_items
from nlu.training import train as train_model
from nlu.training_data import TrainingData

app = typer.Typer(help="NLU: train, check, test, parse, review.", no_args_is_help=True)
app.command()(review)
STEPS = ["loading data", "sentence vectors", "calibrating", "fitting", "entities", "saving"]

DataOption = Annotated[list[Path] | None, typer.Option(
    "--data", help="Training files or folders (repeatable; default nlu/data).")]
ModelsOption = Annotated[Path, typer.Option(
    "--models", envvar="OTKLIK_NLU_MODEL_DIR", help="Folder of model versions (OTKLIK_NLU_MODEL_DIR).")]


def _load(paths: list[Path] | None) -> TrainingData:
    try:
        return load_paths(paths or [Path("nlu/data")])
    except PayloadError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e


@app.command()
def train(data: DataOption = None, models: ModelsOption = Path("var/nlu"),
          activate: Annotated[bool, typer.Option(help="Make it the model running services use.")] = True,
          gate: Annotated[Path | None, typer.Option(
              help="Evaluation file or folder: activate only if the new model loses no accuracy on it, "
                   "in any language, against the current one.")] = None) -> None:
    """Train a new model version; running services pick it up within seconds."""
    with typer.progressbar(length=len(STEPS), label="training") as bar:
        done = {"loading data"}
        training = _load(data)
        bar.update(1)

        def step(name: str) -> None:
            if name in STEPS and name not in done:
                done.add(name)
                bar.update(1)

        model = train_model(training, progress=step)
        step("entities")
        directory = ModelDirectory(models)
        refusal = _gate(model, directory, gate) if activate and gate is not None else None
        folder = directory.save(model, activate=activate and refusal is None)
        step("saving")
    meta = model.metadata
    typer.echo(f"model {meta.version}: {meta.examples} examples, {len(meta.intents)} intents, "
               f"threshold {meta.threshold:.2f} ({_per_language(meta.thresholds)}), "
               f"{meta.training_seconds:.1f} s -> {folder}"
               + ("" if activate and refusal is None else " (not activated)"))
    if refusal is not None:
        typer.echo(f"refused: {refusal}; the current model stays active "
                   f"(activate it anyway: otklik nlu activate {meta.version})", err=True)
        raise typer.Exit(1)


def _per_language(thresholds: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in sorted(thresholds.items())) or "one for all languages"


def _gate(model: NluModel, directory: ModelDirectory, folder: Path) -> str | None:
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


@app.command()
def activate(version: Annotated[str, typer.Argument(help="A saved model version.")],
             models: ModelsOption = Path("var/nlu")) -> None:
    """Make a saved model version the current one (e.g. one the gate refused, after review)."""
    try:
        ModelDirectory(models).activate(version)
    except NotFound as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"model {version} is now current")


@app.command()
def check(data: DataOption = None,
          min_examples: Annotated[int, typer.Option(help="Examples per intent and language below which it "
                                                    "is thin.")] = data_check.MIN_EXAMPLES) -> None:
    """Thin intents, near-duplicates, examples colliding across intents, language imbalance (file:line)."""
    training = _load(data)
    findings = data_check.check(training, min_examples)
    for finding in findings:
        typer.echo(finding.line())
    typer.echo(data_check.summary(findings, training))
    if any(f.level == data_check.ERROR for f in findings):
        raise typer.Exit(1)


@app.command()
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
        report = cross_validate(_load(data), folds, progress=lambda s: typer.echo(s, err=True))
        for line in report.lines(worst):
            typer.echo(line)
        return
    items = _items(test_file)
    model = _current(models) if models is not None else train_model(_load(data))
    card: Scorecard = evaluate(model, items)
    typer.echo(f"examples: {len(items)}  model: {model.metadata.version}")
    for line in card.lines(worst):
        typer.echo(line)


def _current(models: Path) -> NluModel:
    try:
        return ModelDirectory(models).load()
    except NotFound as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e


@app.command()
def parse(text: Annotated[str, typer.Argument(help="What a customer wrote.")],
          models: ModelsOption = Path("var/nlu")) -> None:
    """Parse one text with the current model and print the result as JSON."""
    engine = BuiltinEngine(ModelDirectory(models), check_every=0)
    try:
        asyncio.run(engine.reload_if_changed(force=True))
        if engine.model is None:
            raise NotFound(f"no trained model in {models} (run `otklik nlu train`)")
    except NotFound as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e
    typer.echo(engine.parse_now(text).model_dump_json(indent=2))
