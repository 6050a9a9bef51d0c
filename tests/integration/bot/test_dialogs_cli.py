"""`otklik dialogs check | test`: exit codes and file:line output on the shipped flows and on broken copies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "dialogs"
FIXTURE_ACTIONS = "order_lookup,create_case,record_praise"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["dialogs", *args])
    return result.exit_code, result.output


def test_check_passes_on_the_shipped_flows_as_a_real_process() -> None:
    done = subprocess.run([sys.executable, "-m", "api.cli", "dialogs", "check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("dialogs/flows: no problems")


def test_check_fails_on_a_broken_copy_with_file_and_line(tmp_path: Path) -> None:
    flows = Path(shutil.copytree(FIXTURES / "flows", tmp_path / "flows"))
    order = flows / "order.yml"
    order.write_text(order.read_text(encoding="utf-8").replace("goto: delivered", "goto: delivred"), encoding="utf-8")
    (flows / "extra.yml").write_text("flows:\n  - id: x\n    stepz: []\n", encoding="utf-8")
    code, output = run("check", "--dir", str(flows), "--actions", FIXTURE_ACTIONS)
    assert code == 1
    assert f"{flows / 'extra.yml'}:2: flows.0.steps: missing required key" in output
    assert f"{flows / 'extra.yml'}:3: flows.0.stepz: unknown key 'stepz'" in output
    (flows / "extra.yml").unlink()
    code, output = run("check", "--dir", str(flows), "--actions", FIXTURE_ACTIONS)
    assert code == 1
    assert f"{order}:23: 'delivred' is not a step of flow 'order_status', a flow, handover or end" in output


def test_check_uses_the_bots_action_registry_by_default() -> None:
    code, output = run("check", "--dir", str(FIXTURES / "flows"))
    assert code == 1 and "unknown action 'order_lookup'" in output  # the fixtures' stand-in name
    assert run("check", "--dir", str(FIXTURES / "flows"), "--actions", FIXTURE_ACTIONS) == (
        0, f"{FIXTURES / 'flows'}: no problems\n")


def test_test_runs_the_conversations_and_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    code, output = run("test", "--dir", str(FIXTURES / "flows"), "--tests", str(FIXTURES / "tests"),
                       "--actions", FIXTURE_ACTIONS)
    assert code == 0, output
    assert "PASS two wrong answers hand over" in output and output.endswith("4 passed, 0 failed\n")
    tests = Path(shutil.copytree(FIXTURES / "tests", tmp_path / "tests"))
    path = tests / "conversations.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("reason: failed_question", "reason: unsure"),
                    encoding="utf-8")
    code, output = run("test", "--dir", str(FIXTURES / "flows"), "--tests", str(tests), "--actions", FIXTURE_ACTIONS)
    assert code == 1
    assert f"FAIL {path}:41: two wrong answers hand over: expected handover reason unsure; it is failed_question" \
        in output
    assert output.endswith("3 passed, 1 failed\n")
    only = run("test", "--dir", str(FIXTURES / "flows"), "--tests", str(tests), "--actions", FIXTURE_ACTIONS,
               "-k", "ENGLISH")
    assert only == (0, "PASS order number in the first message, English\n1 passed, 0 failed\n")


def test_test_on_the_shipped_flows_and_conversations() -> None:
    code, output = run("test")
    assert code == 0, output
    assert " passed, 0 failed" in output


def test_test_parses_turns_without_an_intent_with_a_trained_model(tmp_path: Path) -> None:
    from api.commands.nlu import app as nlu_app

    trained = CliRunner().invoke(nlu_app, ["train", "--models", str(tmp_path / "nlu")])
    assert trained.exit_code == 0, trained.output
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "model.yml").write_text(
        "tests:\n  - name: the model reads the question\n    actions: {order_lookup: {status: в пути}}\n"
        "    turns:\n      - user: где мой заказ 104512?\n        bot: 'Заказ 104512: в пути'\n"
        "        calls: {order_lookup: {order_id: '104512'}}\n", encoding="utf-8")
    args = ["test", "--dir", str(FIXTURES / "flows"), "--tests", str(tmp_path / "tests"), "--actions", FIXTURE_ACTIONS]
    assert run(*args, "--nlu-model", str(tmp_path / "nlu")) == (0, "PASS the model reads the question\n"
                                                                "1 passed, 0 failed\n")
    code, output = run(*args)  # without the model the text is out of scope: the fallback answers
    assert code == 1 and "expected the bot to say 'Заказ 104512: в пути'" in output
