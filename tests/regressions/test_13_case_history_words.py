"""Issue 13, section 4: the case page's history and route map read the system's reasons in words — the request
type by its catalogue title, groups by name, the deadline in local time — never "routed by request type
price_tag_mismatch", "— solved" or "deadline … passed" with raw ids. Before the fix the hub wrote those English
sentences into the history and the page showed them as they were."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.cases import sla
from hub.cases.service import get_case
from models.cases import CaseEvent
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.case_world import browser, build_case_world, shopper_conversation, store_case
from tests.integration.inbox_world import handed_over, inbox_settings

RAW = ("price_tag_mismatch", "routed by", "solved", "deadline", "passed", "SLA breached", "store:118", "nobody works")


def history_and_route(page: str) -> str:
    """The text of the page's route map and history sections (tags dropped, entities read)."""
    start = page.index('class="route') if 'class="route' in page else page.index("<table")
    return html.unescape(re.sub(r"<[^>]+>", " ", page[start:]))


async def test_the_case_page_reads_the_system_s_reasons_in_words_not_ids(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    settings = inbox_settings(make_settings, receiver, case_files_dir=str(tmp_path / "case-files"))
    async with start_app(settings) as running:
        await build_case_world(running.hub)
        hub = running.hub
        conversation = await handed_over(hub, await shopper_conversation(running.client, hub, "s-13", "Ценник"))
        case = await store_case(hub, conversation, "118", "На ценнике 99 ₽, на кассе 149 ₽")
        due = case.sla.due_at
        assert due is not None
        await sla.scan(hub, due + timedelta(minutes=5))  # the deadline passes before anyone takes it
        async with browser(running, "ivan") as (client, csrf):
            taken = await client.post(f"/cases/{case.id}/take", data={"csrf_token": csrf})
            solved = await client.post(f"/cases/{case.id}/solve", data={
                "csrf_token": csrf, "solution": "Ценник исправлен", "key": "solve-13"})
            pages = {}
            for lang in ("ru", "en"):  # the signed-in user's language decides the page's
                await client.post("/language", data={"lang": lang, "csrf_token": csrf, "next": "/cases"})
                pages[lang] = await client.get(f"/cases/{case.id}")
            page, english = pages["ru"], pages["en"]
        stored = await get_case(hub, case.id)

    assert taken.status_code in (200, 303) and solved.status_code in (200, 303)
    assert page.status_code == english.status_code == 200
    shown = history_and_route(page.text)
    assert "Тип заявки: Цена на ценнике не совпадает с кассой" in shown
    assert "взята в работу" in shown and "решение записано" in shown
    assert "прошёл" in shown and "Магазин 118" in shown
    assert [word for word in RAW if word in shown] == []
    in_english = history_and_route(english.text)
    assert "Request type: Price tag mismatch" in in_english and "solution recorded" in in_english
    assert "price_tag_mismatch" not in in_english and "store:118" not in in_english
    assert [(e.kind, e.reason) for e in stored.history if e.reason] == []  # only codes were written
    assert isinstance(stored.history[0], CaseEvent) and stored.history[0].data["request_type"] == "price_tag_mismatch"
