"""`otklik nlu train | test | parse` on the shipped data and on broken data."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from api.commands.nlu import app
from hub.stores.sqlite.stores import SqliteStores
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer
from models.messages import AuthorKind, Direction, Message
from models.nlu import OUT_OF_SCOPE, IntentScore, ParseResult
from nlu.artefacts import ModelDirectory

DATA = Path(__file__).resolve().parents[3] / "nlu" / "data"


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


def test_check_passes_the_shipped_data_and_fails_a_collision_with_file_and_line(tmp_path: Path) -> None:
    shipped = CliRunner().invoke(app, ["check", "--data", str(DATA)])
    assert shipped.exit_code == 0, shipped.output
    assert "0 errors" in shipped.stdout.splitlines()[-1]
    bad = tmp_path / "bad.yml"
    bad.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - Привет!\n    - hello\n'
                   "- intent: praise\n  examples: |\n    - привет\n    - thanks\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--data", str(bad), "--min-examples", "1"])
    assert result.exit_code == 1
    assert f"{bad}:9: error: 'привет' (praise) is the same text as 'Привет!' (greet) at {bad}:5" in result.stdout


SMALL = ('version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n'
         + "".join(f"    - {t}\n" for t in ["где мой заказ", "когда привезут заказ", "статус заказа", "заказ где",
                                            "where is my order", "order status", "when will my order come"])
         + "- intent: praise\n  examples: |\n"
         + "".join(f"    - {t}\n" for t in ["спасибо большое", "вы молодцы", "отличный магазин", "благодарю вас",
                                            "thank you so much", "great shop", "you are the best"]))
GATE_ITEMS = ("- {text: где же мой заказ, intent: order_status, style: telegram}\n"
              "- {text: спасибо вам большое, intent: praise, style: telegram}\n"
              "- {text: where is my order now, intent: order_status, style: email}\n")


def test_the_gate_refuses_a_model_that_loses_accuracy_and_keeps_the_current_one(tmp_path: Path) -> None:
    good, worse, gate = tmp_path / "good.yml", tmp_path / "worse.yml", tmp_path / "gate.yml"
    good.write_text(SMALL, encoding="utf-8")
    worse.write_text(SMALL.replace("order_status", "tmp").replace("praise", "order_status").replace("tmp", "praise"),
                     encoding="utf-8")
    gate.write_text(GATE_ITEMS, encoding="utf-8")
    models = tmp_path / "models"
    runner = CliRunner()
    first = runner.invoke(app, ["train", "--data", str(good), "--models", str(models), "--gate", str(gate)])
    assert first.exit_code == 0, first.output  # nothing to lose against: activated
    current = ModelDirectory(models).current_version()
    refused = runner.invoke(app, ["train", "--data", str(worse), "--models", str(models), "--gate", str(gate)])
    assert refused.exit_code == 1 and "refused:" in refused.output and "(not activated)" in refused.output
    assert ModelDirectory(models).current_version() == current and len(ModelDirectory(models).versions()) == 2
    report = runner.invoke(app, ["test", "--test-file", str(gate), "--models", str(models)])
    assert report.exit_code == 0, report.output
    for heading in ("by language:", "by style:", "conf.wrong", "telegram", "email"):
        assert heading in report.stdout


def test_review_lists_the_messages_the_bot_handed_over_or_doubted(tmp_path: Path) -> None:
    path = tmp_path / "otklik.sqlite3"
    asyncio.run(_store_readings(str(path)))
    env = {"OTKLIK_SECRET_KEY": "test-secret-key-0123456789", "OTKLIK_STORE": "sqlite",
           "OTKLIK_SQLITE_PATH": str(path)}
    result = CliRunner().invoke(app, ["review", "--limit", "10"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and lines[2].startswith("2 unsure messages") and lines[3].startswith("0 corrected messages")
    assert "asked" in lines[0] and "[delivery_problem 0.55, promo_code 0.40] курьер опоздал и промокод" in lines[0]
    assert "handed over" in lines[1] and "какой фильм посмотреть" in lines[1]


async def _store_readings(path: str) -> None:
    stores = SqliteStores(path)
    await stores.open()
    try:
        anna = Customer(name="Anna")
        await stores.customers.create(anna)
        conv = Conversation.open(anna.id, Channel.TELEGRAM, "tg", at=datetime(2025, 3, 10, 9, tzinfo=UTC))
        await stores.conversations.create(conv)
        readings = [
            ("где мой заказ", ParseResult(text="где мой заказ", intent="order_status", confidence=0.95,
                                          engine="builtin")),
            ("какой фильм посмотреть", ParseResult(text="какой фильм посмотреть", intent=OUT_OF_SCOPE,
                                                   confidence=0.3, engine="builtin", out_of_scope=True)),
            ("курьер опоздал и промокод", ParseResult(
                text="курьер опоздал и промокод", intent="delivery_problem", confidence=0.55, engine="builtin",
                close_call=True, ranking=[IntentScore(name="delivery_problem", confidence=0.55),
                                          IntentScore(name="promo_code", confidence=0.4)]))]
        for minute, (text, reading) in enumerate(readings):
            at = datetime(2025, 3, 10, 9, minute, tzinfo=UTC)
            message = Message(conversation_id=conv.id, customer_id=anna.id, direction=Direction.INBOUND,
                              author=AuthorKind.CUSTOMER, channel=Channel.TELEGRAM, account_id="tg",
                              external_id=f"m{minute}", text=text, sent_at=at, created_at=at)
            await stores.messages.add(message)
            await stores.messages.set_nlu(message.id, reading)
    finally:
        await stores.close()
