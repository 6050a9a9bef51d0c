"""The CRM API's OpenAPI schema: complete enough to integrate from, and schemathesis finds no 500s in it.

Schemathesis drives the app in-process over ASGI (its own lifespan, in its own thread) with a token
carrying every scope. Besides requests it makes up entirely, it aims valid ones at a customer and a
conversation that exist, so merge, resolve, notes and proactive sends run their real paths too. A few
examples per operation keep the run well under a minute.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.wiring import build_stores
from hub.directory import tokens
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.tokens import Scope
from tests.conftest import SettingsFactory

CRM_TAGS = ["customers", "conversations", "proactive messages"]
# Every other check runs (no 5xx, documented status codes, bodies and headers, invalid data refused, auth
# enforced). Not "valid data accepted": some rules OpenAPI cannot state (a phone number must be one, a
# lookup names exactly one identity), so schema-valid requests may rightly get 422.
EXCLUDED = [positive_data_acceptance]
EXAMPLES = 6  # per operation and way of generating: enough to find the usual 500s, quick enough for every run


@dataclass(frozen=True)
class Seeded:
    """What exists before schemathesis starts, and the token it uses."""

    headers: dict[str, str]
    path_parameters: dict[str, str]


async def _seed(make_settings: SettingsFactory) -> Seeded:
    stores = build_stores(make_settings())
    await stores.open()
    try:
        _, full = await tokens.issue(stores.tokens, "schemathesis", list(Scope), rate_per_minute=100_000)
        anna = Customer(name="Анна", identities=[Identity(kind=IdentityKind.API, value="crm:u-1"),
                                                 Identity(kind=IdentityKind.PHONE, value="+79161234567")])
        await stores.customers.create(anna)
        await stores.customers.create(Customer(identities=[Identity(kind=IdentityKind.API, value="crm:u-2")]))
        conversation = Conversation.open(anna.id, Channel.API, "crm", at=anna.created_at)
        await stores.conversations.create(conversation)
        return Seeded({"authorization": f"Bearer {full}"},
                      {"customer_id": anna.id, "conversation_id": conversation.id})
    finally:
        await stores.close()


@pytest.fixture
def crm_schema(make_settings: SettingsFactory) -> tuple[Any, Seeded]:
    """The app's generated schema, narrowed to the CRM API, and what was seeded."""
    seeded = asyncio.run(_seed(make_settings))
    app = create_app(make_settings())
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(tag=CRM_TAGS)
    return schema, seeded


def _fuzz(strategy: Any, headers: dict[str, str]) -> None:
    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case: Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    call()


def test_crm_api_answers_generated_requests_without_server_errors_and_as_documented(
    crm_schema: tuple[Any, Seeded],
) -> None:
    schema, seeded = crm_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11
    for operation in operations:
        for mode in GenerationMode:
            _fuzz(operation.as_strategy(generation_mode=mode), seeded.headers)
        names = {p.name for p in operation.path_parameters}
        if names:
            existing = {k: v for k, v in seeded.path_parameters.items() if k in names}
            _fuzz(operation.as_strategy(path_parameters=existing), seeded.headers)


async def test_every_crm_operation_is_documented_with_summary_examples_and_error_shape(
    make_settings: SettingsFactory, start_app: Any
) -> None:
    async with start_app(make_settings()) as running:
        client: httpx.AsyncClient = running.client
        spec = (await client.get("/openapi.json")).json()

    operations = [(path, op) for path, ops in spec["paths"].items() for op in ops.values()
                  if set(op.get("tags", [])) & set(CRM_TAGS)]
    schemas = spec["components"]["schemas"]
    assert len(operations) == 11
    for path, op in operations:
        assert path.startswith("/api/v1/") and op["summary"] and op["description"]
        ok = [op["responses"][code] for code in op["responses"] if code.startswith("2")]
        for response in ok:
            name = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            assert schemas[name].get("examples"), f"{path}: {name} has no example"
        for code in ("401", "403", "422", "429"):
            assert op["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body is not None:
            assert schemas[body["$ref"].rsplit("/", 1)[-1]].get("examples"), f"{path}: request has no example"
