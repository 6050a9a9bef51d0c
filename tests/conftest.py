"""Shared fixtures: settings for a throwaway install, a running app, a callback receiver."""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from api.app import create_app
from bots.flows import NLU_DATA
from hub.core import Hub
from hub.settings import Settings
from nlu.artefacts import ModelDirectory
from nlu.rasa_yaml import load_paths
from nlu.training import train
from tests.fakes.http_receiver import HttpReceiver, http_receiver
from tests.servers.mongo import secantus_server

API_TOKEN = "test-token-0123456789abcdef"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_INBOX_CONFIG = Path(__file__).parent / "fixtures" / "inbox.yml"
# The fake receivers (CRM webhooks, api-channel callbacks) listen on loopback: the tests allow it as an operator
# allows an intranet CRM (OTKLIK_OUTBOUND_ALLOW); tests of the refusal itself pass outbound_allow=[].
LOCAL_RECEIVERS = ["127.0.0.1"]

SettingsFactory = Callable[..., Settings]


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage_after_module() -> Iterator[None]:
    """A socket or file a module leaves open is reported (filterwarnings = error) by the module that leaked it,
    not by whichever later test the garbage collector happens to run in."""
    yield
    gc.collect()


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """Settings for an isolated install under tmp_path; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "secret_key": "test-secret-key-0123456789",
            "sqlite_path": str(tmp_path / "otklik.sqlite3"),
            "bus_journal_path": str(tmp_path / "otklik-bus.sqlite3"),
            "nlu_model_dir": str(tmp_path / "nlu"),  # no model unless a test trains one
            "api_accounts": [{"id": "crm", "token": API_TOKEN}],
            "redis_prefix": f"otklik-test-{uuid.uuid4().hex}:",
            "outbox_base_delay": 0.0,
            "bus_retry_after": 0.5,
            "log_json": False,
            "dialogs_dir": "",  # the dialog bot is off (plain acknowledgements) unless a test serves flows
            "inbox_config_path": str(TEST_INBOX_CONFIG),  # the tests' contact centre: general, delivery, ...
            "outbound_allow": LOCAL_RECEIVERS,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB server for the session: MONGODB_URL when set, else a secantusdb server started here."""
    url = os.environ.get("MONGODB_URL")
    if url:
        yield url
        return
    with secantus_server(tmp_path_factory.mktemp("mongodb")) as started:
        yield started


@pytest.fixture(scope="session")
def nlu_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained once per test session from the shipped nlu/data (read-only for the tests that use it:
    training takes half a minute, so no module trains its own copy)."""
    directory = tmp_path_factory.mktemp("bot-nlu")
    ModelDirectory(directory).save(train(load_paths([NLU_DATA])))
    return directory


@pytest.fixture
async def receiver() -> AsyncIterator[HttpReceiver]:
    """A local HTTP server standing in for an API client's callback endpoint."""
    async with http_receiver() as server:
        yield server


class RunningApp:
    """An app started through its lifespan, with a client that talks to it over ASGI."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    @property
    def hub(self) -> Hub:
        """The app's wiring."""
        hub: Hub = self.app.state.hub
        return hub


@pytest.fixture
def start_app() -> Callable[[Settings], Any]:
    """`async with start_app(settings) as running:` runs the app until the block ends."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start(settings: Settings) -> AsyncIterator[RunningApp]:
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as client:
                yield RunningApp(app, client)

    return start


def auth(token: str = API_TOKEN) -> dict[str, str]:
    """The API channel's auth header."""
    return {"authorization": f"Bearer {token}"}
