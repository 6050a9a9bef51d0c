"""The worker's inbox loop on the embedded app: SLA breaches are marked and follow-ups come back by themselves."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.inbox import follow_ups, handover
from models.clock import utcnow
from models.conversations import Priority
from tests.inbox_fixtures import bot_conversation, operator
from tests.integration.helpers import eventually


async def test_background_loop_raises_breaches_and_brings_back_follow_ups(
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    calendars = tmp_path / "calendars.yml"
    calendars.write_text('calendars:\n  default: {timezone: UTC, hours: {daily: "00:00-24:00"}}\n')
    config = tmp_path / "inbox.yml"
    config.write_text("default_group: general\n"
                      "sla:\n  - {priority: urgent, first_response_hours: 0.0003, resolution_hours: 1}\n")
    settings = make_settings(calendars_path=str(calendars), inbox_config_path=str(config), inbox_scan_interval=0.1)
    async with start_app(settings) as running:
        hub = running.hub
        anna = await operator(hub, "anna", ["general"])
        urgent = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="",
                                          priority=Priority.URGENT)
        breached = await eventually(lambda: hub.stores.conversations.get(urgent.id), lambda c: bool(c.sla_breached))
        assert breached.sla_breached == ["first_response"]

        await follow_ups.resolve(hub, urgent.id, "done", key="r-1", actor=anna, notify=False,
                                 follow_up_at=utcnow() + timedelta(seconds=0.3), follow_up_note="call back")
        [back] = await eventually(lambda: hub.stores.inbox.reminders_for(anna.id), lambda found: len(found) == 1)
        assert (back.id, back.follow_up_note) == (urgent.id, "call back")
