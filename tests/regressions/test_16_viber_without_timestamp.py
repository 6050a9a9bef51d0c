"""Issue 16, low severity: a signed Viber callback without a `timestamp` skipped the replay window, so a
captured body with the field removed (and re-signed by whoever holds the token, or replayed as captured from
a provider bug) was accepted at any time. Every Viber callback carries one; now one without it is refused."""

from __future__ import annotations

import json
from typing import Any

from models.messages import Direction
from tests.conftest import RunningApp
from tests.fakes.viber_api import fake_viber_api
from tests.integration.channels.test_viber_channel import TOKEN, USER, account, callback, messages_of, post
from tests.integration.helpers import eventually


async def test_a_signed_callback_without_a_timestamp_is_refused(make_settings: Any, start_app: Any) -> None:
    async with fake_viber_api(TOKEN) as api, start_app(make_settings(accounts=[account(api)])) as running:
        app: RunningApp = running
        body = callback("message__text")
        del body["timestamp"]
        refused = await post(app, body)
        with_it = await post(app, callback("message__text", message_token=4912661846655238146))
        stored = await eventually(lambda: messages_of(app, USER),
                                  lambda ms: any(m.external_id == "4912661846655238146" for m in ms))

    assert refused.status_code == 401 and "timestamp" in json.dumps(refused.json())
    assert with_it.status_code == 200
    assert [m.external_id for m in stored if m.direction is Direction.INBOUND] == ["4912661846655238146"]
