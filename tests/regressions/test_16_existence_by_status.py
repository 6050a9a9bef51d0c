"""Issue 16, low severity: 403 for someone else's case or conversation, 404 for none, told which sequential
numbers exist. Now both are the same 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fakes.http_receiver import HttpReceiver
from tests.integration.case_world import browser, build_case_world, shopper_conversation, store_case
from tests.integration.inbox_world import inbox_settings

JSON = {"accept": "application/json"}


async def test_a_case_or_conversation_one_may_not_see_answers_as_if_it_did_not_exist(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    settings = inbox_settings(make_settings, receiver, case_files_dir=str(tmp_path / "case-files"))
    async with start_app(settings) as running:
        await build_case_world(running.hub)
        conversation = await shopper_conversation(running.client, running.hub, "s-9", "Ценник врёт")
        case = await store_case(running.hub, conversation, "118", "Ценник 99, на кассе 149")
        absent_number, absent_id = case.number + 1000, "0" * 32
        async with browser(running, "petr") as (client, _):  # store 205's staff
            theirs = await client.get(f"/cases/{case.number}", headers=JSON)
            nothing = await client.get(f"/cases/{absent_number}", headers=JSON)
            theirs_page = await client.get(f"/cases/{case.number}")
        async with browser(running, "vera") as (client, csrf):  # an operator of delivery; this is general's
            other = await client.get(f"/inbox/conversations/{conversation.id}", headers=JSON)
            missing = await client.get(f"/inbox/conversations/{absent_id}", headers=JSON)
            claim = await client.post(f"/inbox/conversations/{conversation.id}/claim", data={"csrf_token": csrf},
                                      headers=JSON)
            claim_missing = await client.post(f"/inbox/conversations/{absent_id}/claim",
                                              data={"csrf_token": csrf}, headers=JSON)

    assert (theirs.status_code, nothing.status_code, theirs_page.status_code) == (404, 404, 404)
    assert theirs.json()["error"]["reason"] == nothing.json()["error"]["reason"].replace(
        str(absent_number), str(case.number))
    assert "Ценник" not in theirs_page.text
    assert (other.status_code, missing.status_code, claim.status_code, claim_missing.status_code) == (404,) * 4
    assert other.json()["error"]["reason"] == missing.json()["error"]["reason"].replace(absent_id, conversation.id)
    assert claim.json() == {"error": {**claim_missing.json()["error"],
                                      "reason": claim_missing.json()["error"]["reason"].replace(
                                          absent_id, conversation.id)}}
