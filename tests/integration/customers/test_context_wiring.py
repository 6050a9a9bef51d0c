"""Which customer-context provider a process gets, and how it is wired to the CRM and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from pydantic import ValidationError

from api.demo.crm_catalogue import MSK
from api.demo.crm_people import demo_people
from api.wiring import open_context_provider, running_hub
from models.context import CustomerRef
from models.errors import Unavailable
from tests.conftest import SettingsFactory
from tests.fakes.crm_api import CRM_TOKEN, FakeCrm, fake_crm
from tests.redis_keys import REDIS_URL, drop_keys

NOW = datetime(2025, 3, 12, 14, 20, tzinfo=MSK)


@pytest.fixture
async def crm() -> AsyncIterator[FakeCrm]:
    """A fake CRM with the demo's records."""
    async with fake_crm(demo_people(NOW), NOW) as server:
        yield server


async def test_the_embedded_default_shows_demo_context(make_settings: SettingsFactory) -> None:
    async with running_hub(make_settings()) as hub:
        assert (await hub.context.order("4512")).customer_id == "demo-anna"


def test_a_production_store_without_a_crm_has_context_off(make_settings: SettingsFactory) -> None:
    settings = make_settings(store="mongo", mongodb_url="mongodb://127.0.0.1:1/otklik")
    assert settings.context_backend == "none"


def test_a_crm_url_selects_the_http_provider_and_needs_a_token(make_settings: SettingsFactory) -> None:
    assert make_settings(crm_base_url="https://crm.example", crm_token="t").context_backend == "http"
    with pytest.raises(ValidationError, match="OTKLIK_CRM_TOKEN"):
        make_settings(crm_base_url="https://crm.example")


async def test_context_turned_off_is_unavailable(make_settings: SettingsFactory) -> None:
    async with running_hub(make_settings(context_provider="none")) as hub:
        with pytest.raises(Unavailable, match="off"):
            await hub.context.profile(CustomerRef(crm_id="demo-anna"))


async def test_the_http_provider_reads_from_the_configured_crm(make_settings: SettingsFactory, crm: FakeCrm) -> None:
    settings = make_settings(crm_base_url=crm.url, crm_token=CRM_TOKEN)
    async with running_hub(settings) as hub:
        assert (await hub.context.profile(CustomerRef(phone="+79031112233"))).id == "demo-olga"
    assert crm.paths() == ["GET /customers/lookup"]


@pytest.mark.redis
async def test_with_the_redis_bus_every_process_shares_the_crm_cache(
    make_settings: SettingsFactory, crm: FakeCrm
) -> None:
    settings = make_settings(bus="redis", redis_url=REDIS_URL, crm_base_url=crm.url, crm_token=CRM_TOKEN)
    try:
        async with open_context_provider(settings) as api, open_context_provider(settings) as worker:
            first = await api.order("4512")
            assert await worker.order("4512") == first
        assert crm.paths() == ["GET /orders/4512"]
    finally:
        await drop_keys(settings.redis_prefix)
