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
