"""The people and places of the case page tests: two stores with their staff, quality control, the contact
centre (from inbox_world), and shoppers whose api-channel conversations cases are opened from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from hub.cases.service import open_case
from hub.core import Hub
from hub.customers.identity import identity_on
from models.cases import Case, CaseSla, CaseState, WaitingFor
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation, Priority
from models.retail_stores import RetailStore
from models.staff import Group, GroupId, GroupKind, Role, User, store_group_id
from tests.conftest import auth
from tests.integration.helpers import eventually
from tests.integration.inbox_world import PASSWORD, build_world
from tests.web_login import create_user, session_csrf, sign_in

QC = "quality_control"


@dataclass
class CaseWorld:
    """Who works the cases."""

    anna: User   # operator (general line)
    ivan: User   # store staff, store 118
    petr: User   # store staff, store 205
    qc: User     # specialist, quality control
    sam: User    # supervisor


async def build_case_world(hub: Hub) -> CaseWorld:
    """Stores 118 and 205 with their queues, QC, and the people; everyone signs in with PASSWORD."""
    inbox = await build_world(hub)
    directory = hub.stores.directory
    await directory.upsert_stores([RetailStore(id="118", name="Магазин 118", region="central", address="Тверская, 1"),
                                   RetailStore(id="205", name="Магазин 205", region="central")])
    await directory.upsert_groups([
        Group(id=GroupId("store:118"), name="Магазин 118", kind=GroupKind.STORE, store_id="118"),
        Group(id=GroupId("store:205"), name="Магазин 205", kind=GroupKind.STORE, store_id="205"),
        Group(id=GroupId(QC), name="Контроль качества", kind=GroupKind.SPECIALIST)])
    ivan = await create_user(hub, "ivan", PASSWORD, roles=[Role.STORE_STAFF], groups=["store:118"], store_id="118")
    petr = await create_user(hub, "petr", PASSWORD, roles=[Role.STORE_STAFF], groups=["store:205"], store_id="205")
    qc = await create_user(hub, "qc", PASSWORD, roles=[Role.SPECIALIST], groups=[QC])
    return CaseWorld(anna=inbox.anna, ivan=ivan, petr=petr, qc=qc, sam=inbox.sam)


async def shopper_conversation(client: httpx.AsyncClient, hub: Hub, user_id: str, text: str,
                               name: str | None = None) -> Conversation:
    """The shopper writes through the api channel; their conversation once the worker stored the message."""
    response = await client.post("/channels/api/crm/messages", headers=auth(), json={
        "user_id": user_id, "message_id": f"{user_id}-1", "text": text,
        "contact": {"name": name or f"Shopper {user_id}"}})
    assert response.status_code == 202, response.text

    async def probe() -> Conversation | None:
        customer = await hub.stores.customers.find_by_identity(identity_on(Channel.API, "crm", user_id))
        return None if customer is None else await hub.stores.conversations.current_for(customer.id)

    conversation = await eventually(probe, lambda c: c is not None)
    assert conversation is not None
    return conversation


async def store_case(hub: Hub, conversation: Conversation, store_id: str, description: str,
                     request_type: str = "price_tag_mismatch", **extra: Any) -> Case:
    """A case opened by the contact centre (through the case service, as the inbox or a bot would)."""
    case, new = await open_case(hub, conversation_id=conversation.id, request_type=request_type,
                                description=description, store_id=store_id, actor="user:anna",
                                key=f"test:{conversation.id}:{request_type}:{store_id}", **extra)
    assert new
    return case


@asynccontextmanager
async def browser(running: Any, login: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser of its own on the app, signed in as `login`, and its session's CSRF token."""
    transport = httpx.ASGITransport(app=running.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as client:
        await sign_in(client, login, PASSWORD)
        yield client, await session_csrf(client, running.hub)


async def bulk_cases(hub: Hub, conversation: Conversation, store_id: str,
                     specs: list[tuple[Priority, float, CaseState, str]]) -> list[Case]:
    """Cases written straight to the store (priority, hours to the deadline, state, request type each), as an
    import would: numbered after the existing ones, overdue ones marked breached."""
    now, first = utcnow(), await hub.stores.cases.next_number()
    cases = []
    for n, (priority, hours, state, request_type) in enumerate(specs):
        due = now + timedelta(hours=hours)
        case = Case(number=first + n, conversation_id=conversation.id, customer_id=conversation.customer_id,
                    channel=conversation.channel, request_type=request_type, store_id=store_id, priority=priority,
                    description=f"case {n}", group=store_group_id(store_id), created_at=now - timedelta(hours=1),
                    sla=CaseSla(hours=24, started_at=now - timedelta(hours=1), due_at=due, breached=due < now))
        case.record("opened", actor="import", at=case.created_at)
        if state is not CaseState.NEW:
            waiting = WaitingFor.CUSTOMER if state is CaseState.WAITING else None
            case.move(state, actor="import", at=now, reason="imported", waiting_for=waiting)
        cases.append(case)
    await hub.stores.cases.create_many(cases)
    return cases
