"""The directory API under generated requests: no 5xx, answers as documented, invalid data refused."""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.wiring import build_stores
from hub.directory import tokens
from models.retail_stores import RetailStore
from models.tokens import Scope
from tests.conftest import SettingsFactory

EXAMPLES = 8


async def _seed(make_settings: SettingsFactory) -> dict[str, str]:
    stores = build_stores(make_settings())
    await stores.open()
    try:
        _, full = await tokens.issue(stores.tokens, "fuzz", [Scope.DIRECTORY_READ, Scope.DIRECTORY_WRITE],
                                     rate_per_minute=100_000)
        await stores.directory.upsert_stores([RetailStore(id="118", name="Тверская")])
        return {"authorization": f"Bearer {full}"}
    finally:
        await stores.close()


def test_directory_api_answers_generated_requests_as_documented(make_settings: SettingsFactory) -> None:
    headers = asyncio.run(_seed(make_settings))
    schema: Any = schemathesis.openapi.from_asgi("/openapi.json", create_app(make_settings())).include(tag="directory")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    for operation in operations:
        for mode in GenerationMode:
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def call(case: Case[Any]) -> None:
                # schema-valid users may still name groups or stores that do not exist: a rightful 422
                response = case.call(headers=headers)
                if response.status_code == 413:  # over OTKLIK_MAX_BODY_BYTES: refused before it is read, rightly
                    return
                case.validate_response(response, headers=headers, excluded_checks=[positive_data_acceptance])

            call()
