"""The cases API's OpenAPI schema: documented like the rest of the CRM API, and schemathesis finds no 500s.

Generated requests hit a seeded case (by id) and a conversation whose store exists, so transitions,
comments, merges and route maps run their real paths, besides the requests schemathesis makes up.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.app import create_app
from api.wiring import running_hub
from hub.cases.service import open_case
from hub.directory import tokens
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.retail_stores import RetailStore
from models.tokens import Scope
from tests.conftest import SettingsFactory

EXAMPLES = 5
OPERATIONS = 10


async def _seed(make_settings: SettingsFactory) -> tuple[dict[str, str], dict[str, str]]:
    async with running_hub(make_settings()) as hub:
        _, full = await tokens.issue(hub.stores.tokens, "schemathesis", list(Scope), rate_per_minute=100_000)
        await hub.stores.directory.upsert_stores([RetailStore(id="118", name="Store 118")])
        anna = Customer(name="Анна", identities=[Identity(kind=IdentityKind.API, value="crm:u-1")])
        await hub.stores.customers.create(anna)
        conversation = Conversation.open(anna.id, Channel.API, "crm", at=anna.created_at)
        await hub.stores.conversations.create(conversation)
        case, _ = await open_case(hub, conversation_id=conversation.id, request_type="price_tag_mismatch",
                                  description="seed", store_id="118", actor="test", key="seed")
        return {"authorization": f"Bearer {full}"}, {"case_ref": case.id}


def _fuzz(strategy: Any, headers: dict[str, str], excluded: list[Any]) -> None:
    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case: Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    call()


def _excluded(operation: Any) -> list[Any]:
    """Not "valid data accepted" (a schema cannot say a store must exist); for the list, not "invalid data
    rejected" either: a scalar query parameter given twice is taken once (Starlette keeps the last), which
    schemathesis counts as schema-violating, though nothing about it is wrong."""
    if operation.method.upper() == "GET" and operation.path == "/api/v1/cases":
        return [positive_data_acceptance, negative_data_rejection]
    return [positive_data_acceptance]


def test_cases_api_answers_generated_requests_without_server_errors(make_settings: SettingsFactory) -> None:
    headers, existing = asyncio.run(_seed(make_settings))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(make_settings())).include(tag="cases")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == OPERATIONS
    for operation in operations:
        for mode in GenerationMode:
            _fuzz(operation.as_strategy(generation_mode=mode), headers, _excluded(operation))
        if operation.path_parameters:
            _fuzz(operation.as_strategy(path_parameters=existing), headers, _excluded(operation))


async def test_every_cases_operation_is_documented_with_summary_examples_and_error_shape(
    make_settings: SettingsFactory, start_app: Any
) -> None:
    async with start_app(make_settings()) as running:
        client: httpx.AsyncClient = running.client
        spec = (await client.get("/openapi.json")).json()
    operations = [(path, op) for path, ops in spec["paths"].items() for op in ops.values()
                  if "cases" in op.get("tags", [])]
    schemas = spec["components"]["schemas"]
    assert len(operations) == OPERATIONS
    for path, op in operations:
        assert path.startswith("/api/v1/cases") and op["summary"] and op["description"]
        for code in [c for c in op["responses"] if c.startswith("2")]:
            name = op["responses"][code]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            assert schemas[name].get("examples"), f"{path}: {name} has no example"
        for code in ("401", "403", "422", "429"):
            assert op["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body is not None:
            assert schemas[body["$ref"].rsplit("/", 1)[-1]].get("examples"), f"{path}: request has no example"
