"""The Rasa engine against a local Rasa server: answers, timeouts, 5xx, and the configured degraded mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.wiring import build_nlu
from hub.settings import Settings
from models.nlu import OUT_OF_SCOPE
from nlu.artefacts import ModelDirectory
from nlu.rasa_yaml import load_text
from nlu.training import train
from tests.conftest import SettingsFactory
from tests.fakes.http_receiver import free_port
from tests.fakes.rasa_api import FakeRasa, entity, fake_rasa

TEXT = "где мой заказ 4512"
SMALL = ('version: "3.1"\nnlu:\n- intent: order_status\n  examples: |\n    - где мой заказ\n    - статус заказа\n'
         "    - когда привезут заказ\n- intent: greet\n  examples: |\n    - привет\n    - здравствуйте\n"
         "    - добрый день\n")


@pytest.fixture
async def rasa() -> AsyncIterator[FakeRasa]:
    async with fake_rasa() as server:
        server.intents[TEXT] = ("order_status", 0.93)
        server.entities[TEXT] = [entity("order_id", "4512", TEXT)]
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def rasa_settings(make_settings: SettingsFactory, url: str, tmp_path: Path, **extra: object) -> Settings:
    models = tmp_path / "models"
    ModelDirectory(models).save(train(load_text(SMALL)))
    return make_settings(nlu_engine="rasa", rasa_url=url, rasa_timeout=0.3, nlu_model_dir=str(models), **extra)


async def test_rasa_answers_become_our_parse_result(
        rasa: FakeRasa, http: httpx.AsyncClient, make_settings: SettingsFactory, tmp_path: Path) -> None:
    nlu = build_nlu(rasa_settings(make_settings, rasa.url, tmp_path), http)
    result = await nlu.parse(TEXT)
    assert (result.intent, result.confidence, result.engine, result.degraded) == ("order_status", 0.93, "rasa", None)
    assert [(e.entity, e.value, e.start, e.end, e.extractor) for e in result.entities] == [
        ("order_id", "4512", 14, 18, "DIETClassifier")]
    assert [r.name for r in result.ranking] == ["order_status", "greet"] and result.language == "ru"
    assert rasa.requests == [{"text": TEXT}]


async def test_rasas_fallback_intent_is_out_of_scope(
        rasa: FakeRasa, http: httpx.AsyncClient, make_settings: SettingsFactory, tmp_path: Path) -> None:
    nlu = build_nlu(rasa_settings(make_settings, rasa.url, tmp_path), http)
    result = await nlu.parse("что-то непонятное")
    assert result.out_of_scope and result.intent == OUT_OF_SCOPE and result.degraded is None


async def test_a_slow_rasa_falls_back_to_the_builtin_engine(
        rasa: FakeRasa, http: httpx.AsyncClient, make_settings: SettingsFactory, tmp_path: Path) -> None:
    rasa.delay = 1.0
    nlu = build_nlu(rasa_settings(make_settings, rasa.url, tmp_path), http)
    result = await nlu.parse("где мой заказ")
    assert result.engine == "builtin" and result.intent == "order_status"
    assert result.degraded == "rasa: no answer within 0.3 s"


async def test_a_failing_rasa_hands_over_when_configured(
        rasa: FakeRasa, http: httpx.AsyncClient, make_settings: SettingsFactory, tmp_path: Path) -> None:
    rasa.status = 500
    nlu = build_nlu(rasa_settings(make_settings, rasa.url, tmp_path, rasa_fallback="handover"), http)
    result = await nlu.parse(TEXT)
    assert result.out_of_scope and result.engine == "rasa" and result.degraded == "rasa: HTTP 500"


async def test_a_5xx_falls_back_to_the_builtin_engine_by_default(
        rasa: FakeRasa, http: httpx.AsyncClient, make_settings: SettingsFactory, tmp_path: Path) -> None:
    rasa.status = 503
    nlu = build_nlu(rasa_settings(make_settings, rasa.url, tmp_path), http)
    result = await nlu.parse("привет")
    assert (result.engine, result.intent, result.degraded) == ("builtin", "greet", "rasa: HTTP 503")


async def test_an_unreachable_rasa_is_degraded_not_an_error(
        http: httpx.AsyncClient, make_settings: SettingsFactory, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    nlu = build_nlu(rasa_settings(make_settings, url, tmp_path, rasa_fallback="handover"), http)
    result = await nlu.parse(TEXT)
    assert result.out_of_scope and result.degraded == "rasa: unreachable (ConnectError)"


async def test_the_token_is_sent_as_rasa_expects(
        rasa: FakeRasa, http: httpx.AsyncClient, make_settings: SettingsFactory, tmp_path: Path) -> None:
    rasa.token = "rasa-secret"
    wrong = build_nlu(rasa_settings(make_settings, rasa.url, tmp_path / "a", rasa_fallback="handover"), http)
    assert (await wrong.parse(TEXT)).degraded == "rasa: HTTP 401"
    right = build_nlu(rasa_settings(make_settings, rasa.url, tmp_path / "b", rasa_token="rasa-secret"), http)
    assert (await right.parse(TEXT)).intent == "order_status"
