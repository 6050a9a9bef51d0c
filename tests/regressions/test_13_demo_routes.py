"""Issue 13: in the demo, 12 of 15 topics routed to groups that did not exist (general, delivery, returns,
loyalty), the case catalogue pointed at quality_control, finance and contact_centre while the demo had
`quality`, and /admin/routing showed «нет такой группы». Every topic and request type of the demo must
reach a group with a demo member, with the shipped configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.config_flows import handover_topics
from api.demo.staff import DEMO_STORE, seed_people
from bots.flows import SHIPPED_FLOWS, known_intents
from dialogs.loader import load_flows
from hub.cases.config import case_config
from hub.cases.rules import first_group
from hub.core import Hub
from hub.inbox import routing
from hub.inbox.staffing import UNSTAFFED, case_shortage, conversation_shortage
from models.channels import Channel
from tests.conftest import RunningApp
from tests.web_login import sign_in

PASSWORD = "demo password"


@pytest.fixture
async def demo(make_settings: Any, start_app: Any) -> AsyncIterator[RunningApp]:
    """The app on the shipped configuration (routes, catalogue, calendars, flows) with the demo's people."""
    async with start_app(make_settings(inbox_config_path=None, dialogs_dir=None)) as running:
        await seed_people(running.hub.stores.directory, PASSWORD)
        yield running


def demo_topics() -> set[str]:
    """Every topic a conversation can carry: the NLU's intents and whatever a flow hands over with."""
    return set(known_intents()) | {topic for topic, _ in handover_topics(load_flows(SHIPPED_FLOWS))}


async def test_every_topic_reaches_a_group_with_a_demo_operator(demo: RunningApp) -> None:
    hub: Hub = demo.hub
    topics = demo_topics()
    assert len(topics) >= 15
    unreachable = {topic: (group, shortage) for topic in sorted(topics)
                   if (shortage := await conversation_shortage(hub, group := await routing.group_for(hub, topic)))
                   in UNSTAFFED}
    assert unreachable == {}
    overflow = routing.inbox_config(hub).overflow_group
    assert overflow is not None and await conversation_shortage(hub, overflow) not in UNSTAFFED


async def test_every_request_type_and_rule_reaches_a_group_with_a_demo_member(demo: RunningApp) -> None:
    hub: Hub = demo.hub
    catalogue = case_config(hub).catalogue
    places = [(DEMO_STORE.id, DEMO_STORE.region, channel) for channel in Channel]
    places += [(DEMO_STORE.id, "far_east", Channel.TELEGRAM)]  # the regional rule: far-eastern stores
    groups = {(type_id, first_group(catalogue, type_id, store_id=store, region=region, channel=channel))
              for type_id in catalogue.types for store, region, channel in places}
    assert {group for _, group in groups} >= {"store:118", "quality_control", "quality_control_far_east",
                                               "logistics", "logistics_hotline", "finance", "loyalty", "contact_centre"}
    assert {(t, g): s for t, g in sorted(groups) if (s := await case_shortage(hub, g)) is not None} == {}
    escalation = catalogue.defaults.escalation_group
    assert escalation is not None and await case_shortage(hub, escalation) is None


async def test_the_routing_page_shows_no_missing_group_and_no_configuration_problem(demo: RunningApp) -> None:
    await sign_in(demo.client, "admin", PASSWORD)

    page = await demo.client.get("/admin/routing")

    assert page.status_code == 200
    assert 'class="badge danger"' not in page.text and "нет такой группы" not in page.text
    assert "data-unstaffed" not in page.text  # and every routed group has an operator
    assert "config-problems" not in page.text  # `otklik check` finds nothing either
