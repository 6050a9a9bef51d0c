"""Store fixtures: every contract test runs once per adapter, MongoDB always (MONGODB_URL or a secantusdb server)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hub.stores.base import Stores
from hub.stores.mongo.db import MongoDatabase
from hub.stores.mongo.stores import MongoStores
from hub.stores.sqlite.stores import SqliteStores

StoresFactory = Callable[[], Stores]


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> StoresFactory:
    """New SqliteStores on one file per test (opening a second one reopens the same data)."""
    path = str(tmp_path / "otklik.db")
    return lambda: SqliteStores(path)


@pytest.fixture
async def mongo_backend(mongodb_url: str) -> AsyncIterator[StoresFactory]:
    """New MongoStores on a database of its own per test, dropped afterwards."""
    name = f"otklik_test_{uuid.uuid4().hex}"
    yield lambda: MongoStores(mongodb_url, database=name)
    cleanup = MongoDatabase(mongodb_url, name)
    await cleanup.open()
    try:
        await cleanup.client.drop_database(name)
    finally:
        await cleanup.close()


@pytest.fixture(
    params=["sqlite_backend", pytest.param("mongo_backend", marks=pytest.mark.mongo)], ids=["sqlite", "mongo"]
)
def stores_factory(request: pytest.FixtureRequest) -> StoresFactory:
    """The backend under test, as a factory of not-yet-opened Stores on the same data."""
    factory: StoresFactory = request.getfixturevalue(request.param)
    return factory


@pytest.fixture
async def stores(stores_factory: StoresFactory) -> AsyncIterator[Stores]:
    """Opened stores of the backend under test, closed afterwards."""
    opened = stores_factory()
    await opened.open()
    yield opened
    await opened.close()
