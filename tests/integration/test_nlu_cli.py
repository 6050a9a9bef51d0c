"""`otklik nlu train | test | parse` on the shipped data and on broken data."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.commands.nlu import app
from nlu.artefacts import ModelDirectory

DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"


def test_train_saves_and_activates_a_version_that_parse_uses(tmp_path: Path) -> None:
    runner = CliRunner()
    trained = runner.invoke(app, ["train", "--data", str(DATA), "--models", str(tmp_path)])
    assert trained.exit_code == 0, trained.output
    version = ModelDirectory(tmp_path).current_version()
    assert version is not None and f"model {version}" in trained.output
    parsed = runner.invoke(app, ["parse", "Промокод SALE20 не работает", "--models", str(tmp_path)])
    result = json.loads(parsed.output)
    assert result["intent"] == "promo_code" and result["model_version"] == version
    assert {"entity": "promo", "canonical": "SALE20"}.items() <= result["entities"][0].items()


def test_test_reports_accuracy_f1_per_intent_confusions_and_out_of_scope() -> None:
    result = CliRunner().invoke(app, ["test", "--data", str(DATA), "--folds", "3"])
    assert result.exit_code == 0, result.output
    for heading in ("accuracy:", "macro-F1:", "out-of-scope precision:", "per intent", "worst confusions"):
        assert heading in result.stdout
    accuracy = float(next(line for line in result.stdout.splitlines() if line.startswith("accuracy:")).split()[1])
    assert accuracy > 0.75


def test_a_held_out_file_is_scored(tmp_path: Path) -> None:
    held = tmp_path / "held.yml"
    held.write_text('version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n    - когда приедет мой заказ\n'
                    "- intent: out_of_scope\n  examples: |\n    - какой фильм посмотреть\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["test", "--data", str(DATA), "--test-file", str(held)])
    assert result.exit_code == 0 and "examples: 2" in result.stdout


def test_broken_data_is_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "--data", str(bad), "--models", str(tmp_path / "m")])
    assert result.exit_code == 1 and f"{bad}:6:" in result.output


def test_parse_without_a_model_says_how_to_make_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["parse", "привет", "--models", str(tmp_path)])
    assert result.exit_code == 1 and "otklik nlu train" in result.output


def test_train_if_changed_trains_once_per_data_and_activate_rolls_back(tmp_path: Path) -> None:
    small = tmp_path / "small.yml"
    small.write_text('version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n    - где мой заказ\n'
                     "    - статус заказа\n- intent: greet\n  examples: |\n    - привет\n    - здравствуйте\n",
                     encoding="utf-8")
    runner, models = CliRunner(), tmp_path / "m"
    first = runner.invoke(app, ["train", "--if-changed", "--data", str(small), "--models", str(models)])
    version = ModelDirectory(models).current_version()
    again = runner.invoke(app, ["train", "--if-changed", "--data", str(small), "--models", str(models)])
    newer = runner.invoke(app, ["train", "--data", str(small), "--models", str(models)])
    rolled = runner.invoke(app, ["activate", str(version), "--models", str(models)])
    unknown = runner.invoke(app, ["activate", "nope", "--models", str(models)])

    assert first.exit_code == again.exit_code == newer.exit_code == rolled.exit_code == 0, first.output
    assert f"model {version} was trained from this data: nothing to train" in again.output
    assert len(ModelDirectory(models).versions()) == 2 and ModelDirectory(models).current_version() == version
    assert unknown.exit_code == 1 and "no model version nope" in unknown.output
