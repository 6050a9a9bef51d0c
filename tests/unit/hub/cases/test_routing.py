"""Routing a new case: by request type, store, region and channel; validation of what a type requires."""

from __future__ import annotations

import pytest

from hub.cases.catalogue import Catalogue, load_catalogue
from hub.cases.rules import first_group
from hub.cases.service import open_case
from hub.stores.cases import CaseQuery
from models.cases import CaseSource, CaseState
from models.channels import Channel
from models.errors import NotFound, PayloadError
from tests.unit.hub.cases.conftest import T0, World, make_conversation

CATALOGUE = load_catalogue()


def route(request_type: str, store: str | None = None, region: str | None = None,
          channel: Channel = Channel.TELEGRAM, catalogue: Catalogue = CATALOGUE) -> str:
    """The first group the shipped catalogue gives."""
    return first_group(catalogue, request_type, store_id=store, region=region, channel=channel)


def test_store_types_go_to_the_queue_of_the_store() -> None:
    assert route("price_tag_mismatch", "118") == "store:118"
    assert route("staff_behaviour", "205", "central") == "store:205"


def test_specialist_types_go_to_their_group() -> None:
    assert route("spoiled_goods", "118", "central") == "quality_control"
    assert route("lost_delivery") == "logistics"
    assert route("refund") == "finance"


def test_rules_by_region_and_channel_come_before_the_type() -> None:
    assert route("spoiled_goods", "901", "far_east") == "quality_control_far_east"
    assert route("late_delivery", channel=Channel.VOICE) == "logistics_hotline"
    assert route("late_delivery", channel=Channel.WHATSAPP) == "logistics"


def test_a_rule_by_store_decides_for_that_store_only() -> None:
    raw = CATALOGUE.model_dump()
    raw["rules"] = [{"store_id": "118", "request_type": "staff_behaviour", "group": "regional_hr"}]
    catalogue = Catalogue.model_validate(raw)
    assert route("staff_behaviour", "118", catalogue=catalogue) == "regional_hr"
    assert route("staff_behaviour", "205", catalogue=catalogue) == "store:205"


def test_a_rule_naming_an_unknown_type_is_refused() -> None:
    raw = CATALOGUE.model_dump()
    raw["rules"] = [{"request_type": "alien_abduction", "group": "x"}]
    with pytest.raises(ValueError, match="alien_abduction"):
        Catalogue.model_validate(raw)


async def test_opening_routes_by_the_conversation_store_and_channel(world: World) -> None:
    case, new = await open_case(world.hub, conversation_id=world.conversation.id, request_type="price_tag_mismatch",
                                description="Ценник 89 ₽, на кассе 129 ₽", store_id="118", actor="user:olga",
                                key="k1", at=T0)
    assert new and case.group == "store:118" and case.state is CaseState.NEW and case.region == "central"
    assert case.number >= 1 and case.customer_id == world.customer.id and case.channel is Channel.API
    assert case.history[0].kind == "opened" and case.history[0].actor == "user:olga"
    _, voice = await make_conversation(world.hub, Channel.VOICE, "hotline", "caller-1")
    delivery, _ = await open_case(world.hub, conversation_id=voice.id, request_type="late_delivery",
                                  description="Курьер опаздывает на 3 часа", fields={"order_id": "A-77"},
                                  actor="bot", key="k2", source=CaseSource.BOT, at=T0)
    assert delivery.group == "logistics_hotline" and delivery.order_id == "A-77" and delivery.source is CaseSource.BOT


async def test_the_store_of_a_deep_link_is_used_when_none_is_given(world: World) -> None:
    conversation = await world.hub.stores.conversations.get(world.conversation.id)
    conversation.deep_link = "store_205"
    await world.hub.stores.conversations.save(conversation, expected_version=conversation.version)
    case, _ = await open_case(world.hub, conversation_id=conversation.id, request_type="staff_behaviour",
                              description="Кассир нагрубил", actor="user:olga", key="k", at=T0)
    assert case.store_id == "205" and case.group == "store:205"


async def test_bad_input_is_refused_with_a_reason(world: World) -> None:
    base = {"conversation_id": world.conversation.id, "description": "x", "actor": "api:crm", "key": None}
    with pytest.raises(PayloadError, match="unknown 'teleport'"):
        await open_case(world.hub, request_type="teleport", **base)
    with pytest.raises(PayloadError, match="needs store_id"):
        await open_case(world.hub, request_type="spoiled_goods", **base)
    with pytest.raises(PayloadError, match="needs order_id"):
        await open_case(world.hub, request_type="refund", **base)
    with pytest.raises(PayloadError, match="no store '999'"):
        await open_case(world.hub, request_type="spoiled_goods", store_id="999", **base)
    with pytest.raises(NotFound):
        await open_case(world.hub, request_type="other", **{**base, "conversation_id": "missing"})
    assert await world.hub.stores.cases.count(CaseQuery()) == 0
