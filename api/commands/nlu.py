"""`otklik nlu …`: train a model from Rasa-format YAML, activate, check, test, parse, review."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pymongo.errors import PyMongoError

from api.commands.nlu_common import DataOption, ModelsOption, load_training
from api.commands.nlu_quality import check, gate_refusal, per_language, test
from api.commands.nlu_review import review
from models.errors import NotFound
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine
from nlu.model_store import MongoModelStore
from nlu.training import train as train_model
from nlu.training_data import TrainingData

app = typer.Typer(help="NLU: train, activate, check, test, parse, review.", no_args_is_help=True)
for command in (check, test, review):
    app.command()(command)
T = TypeVar("T")
STEPS = ["loading data", "sentence vectors", "calibrating", "fitting", "entities", "saving"]

StoreOption = Annotated[str, typer.Option(
    "--store", envvar="OTKLIK_STORE", help="'mongo': publish to MongoDB (MONGODB_URL), which every process serves.")]
MongoOption = Annotated[str | None, typer.Option("--mongodb-url", envvar="MONGODB_URL", help="MongoDB to publish to.")]


@app.command()
def train(data: DataOption = None, models: ModelsOption = Path("var/nlu"),
          activate: Annotated[bool, typer.Option(help="Make it the model running services use.")] = True,
          if_changed: Annotated[bool, typer.Option(
              help="Train only when the active model was trained from other data (a deployment's start).")] = False,
          gate: Annotated[Path | None, typer.Option(
              help="Evaluation file or folder: activate only if the new model loses no accuracy on it, "
                   "in any language, against the current one.")] = None,
          store: StoreOption = "sqlite", mongodb_url: MongoOption = None) -> None:
    """Train a new model version; running services pick it up within seconds (on MongoDB: every process)."""
    shared = _model_store(store, mongodb_url)
    if if_changed and _unchanged(load_training(data), ModelDirectory(models), shared):
        return
    with typer.progressbar(length=len(STEPS), label="training") as bar:
        done = {"loading data"}
        training = load_training(data)
        bar.update(1)

        def step(name: str) -> None:
            if name in STEPS and name not in done:
                done.add(name)
                bar.update(1)

        model = train_model(training, progress=step)
        step("entities")
        directory = ModelDirectory(models)
        refusal = gate_refusal(model, directory, gate) if activate and gate is not None else None
        activate = activate and refusal is None
        folder = directory.save(model, activate=activate)
        if shared is not None:
            asyncio.run(_publish(shared, directory, model.metadata.version, activate))
        step("saving")
    meta = model.metadata
    typer.echo(f"model {meta.version}: {meta.examples} examples, {len(meta.intents)} intents, "
               f"threshold {meta.threshold:.2f} ({per_language(meta.thresholds)}), "
               f"{meta.training_seconds:.1f} s -> {folder}" + ("" if activate else " (not activated)"))
    if refusal is not None:
        typer.echo(f"refused: {refusal}; the current model stays active "
                   f"(activate it anyway: otklik nlu activate {meta.version})", err=True)
        raise typer.Exit(1)


@app.command("activate")
def activate_version(version: Annotated[str, typer.Argument(help="A version `otklik nlu train` printed.")],
                     models: ModelsOption = Path("var/nlu"), store: StoreOption = "sqlite",
                     mongodb_url: MongoOption = None) -> None:
    """Serve another trained version (a rollback); running services switch within seconds."""
    shared = _model_store(store, mongodb_url)
    try:
        if shared is None:
            ModelDirectory(models).activate(version)
        else:
            asyncio.run(_run(shared, lambda: shared.activate(version)))
    except NotFound as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"model {version} is active")


def _model_store(store: str, mongodb_url: str | None) -> MongoModelStore | None:
    """The shared model store on the MongoDB store; None: the local folder is where services look."""
    if store != "mongo":
        return None
    if not mongodb_url:
        typer.echo("error: OTKLIK_STORE=mongo needs MONGODB_URL", err=True)
        raise typer.Exit(2)
    return MongoModelStore(mongodb_url)


def _unchanged(data: TrainingData, models: ModelDirectory, shared: MongoModelStore | None) -> bool:
    """Whether the active model was trained from exactly this data (then there is nothing to train)."""
    if shared is None:
        current = models.current_version()
        active = None if current is None else next((m for m in models.versions() if m.version == current), None)
    else:
        active = asyncio.run(_run(shared, shared.active_metadata))
    if active is None or active.data_hash != data.fingerprint():
        return False
    typer.echo(f"model {active.version} was trained from this data: nothing to train")
    return True


async def _publish(shared: MongoModelStore, models: ModelDirectory, version: str, activate: bool) -> None:
    await _run(shared, lambda: shared.publish(models, version, activate=activate))


async def _run(shared: MongoModelStore, work: Callable[[], Awaitable[T]]) -> T:
    """Open the store, do `work`, close it; a MongoDB that does not answer is a message and exit 1."""
    await shared.open()
    try:
        return await work()
    except PyMongoError as e:
        typer.echo(f"error: the model store (MongoDB) did not answer: {e}", err=True)
        raise typer.Exit(1) from e
    finally:
        await shared.close()


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
