"""The worker rides out a store outage without using up delivery attempts."""

from __future__ import annotations

import asyncio
from typing import Any

from api.wiring import running_hub
from hub.bus.base import INBOUND
from hub.inbound.accept import accept
from hub.worker import run_worker
from models.channels import Channel
from models.messages import InboundMessage


async def test_messages_wait_out_a_store_outage_and_are_stored_after_it(make_settings: Any) -> None:
    settings = make_settings(bus_max_attempts=1, partitions=1)  # one failed attempt would dead-letter
    async with running_hub(settings) as hub:
        await hub.stores.close()  # the store is down
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(hub, stop))
        await accept(InboundMessage(channel=Channel.API, account_id="crm", external_user_id="u",
                                    external_id="m1", text="привет"), hub)
        await asyncio.sleep(0.5)
        assert await hub.bus.dead_letters(f"{INBOUND}.0") == []

        await hub.stores.open()  # the store is back
        async with asyncio.timeout(10):
            while await hub.stores.messages.count() < 2:  # the message and its acknowledgement
                await asyncio.sleep(0.05)
        stop.set()
        await worker
        assert await hub.bus.dead_letters(f"{INBOUND}.0") == []
