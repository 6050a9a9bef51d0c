"""Issue 13, section 4, tried at a real desk: the inbox showed UTC and the case pages Moscow time for the same
moment; a case opened from a conversation was nowhere in its timeline; a queue row showed the bot's handover
note instead of what the customer wrote; topics and groups showed as raw ids; the sign-in page ignored the
configured default language; /docs loaded Swagger UI from a CDN (a blank page offline)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from api.local_time import when
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.case_world import browser, build_case_world, shopper_conversation, store_case
from tests.integration.inbox_world import build_world, customer_writes, handed_over, inbox_settings

ZONE = "Asia/Vladivostok"  # not the default and not UTC: the pages must use the configured zone


async def test_the_inbox_and_the_case_page_show_one_moment_in_the_configured_zone_and_the_case_in_the_timeline(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver, timezone=ZONE)) as running:
        await build_case_world(running.hub)
        conversation = await handed_over(running.hub, await shopper_conversation(
            running.client, running.hub, "u-tz", "Ценник 79, на кассе 95"))
        case = await store_case(running.hub, conversation, "118", "Ценник 79, на кассе 95")
        async with browser(running, "anna") as (client, _):
            inbox = await client.get(f"/inbox/conversations/{conversation.id}")
            case_page = await client.get(f"/cases/{case.id}")

    shown = when(case.created_at, ZoneInfo(ZONE))
    assert shown != case.created_at.strftime("%d.%m.%Y %H:%M")  # Vladivostok is not UTC
    assert f"{shown} · " in case_page.text  # "opened: <moment> · <who>"
    item = re.search(r'<li class="item event case"[^>]*data-case="(\w+)">(.*?)</li>', inbox.text, re.S)
    assert item is not None and item.group(1) == case.id
    assert f'title="{shown}"' in item.group(2)  # the timeline line: the same moment, the same zone
    assert f'href="/cases/{case.id}"' in item.group(2) and case.label in item.group(2)
    assert "Price tag mismatch" in item.group(2)  # the request type's title (anna reads English), not its id
    assert "price_tag_mismatch" not in item.group(2)


async def test_a_queue_row_shows_the_customers_last_words_and_names_not_ids(
    make_settings: Any, receiver: HttpReceiver, start_app: Any,
) -> None:
    note = "Бот: клиент спрашивал про заказ, " + "подробности " * 60
    async with start_app(inbox_settings(make_settings, receiver)) as running:
        await build_world(running.hub)
        first = await customer_writes(running.client, running.hub, "u-row", "Где мой заказ 4512?")
        await customer_writes(running.client, running.hub, "u-row", "Уже неделю жду, позовите человека", n=2)
        await handed_over(running.hub, first, note=note)
        async with browser(running, "anna") as (client, _):
            queue = (await client.get("/inbox")).text

    row = re.search(r'<li class="row[^"]*" data-row data-conversation="\w+">(.*?)</li>', queue, re.S)
    assert row is not None
    preview = re.search(r'<span class="preview" title="([^"]*)">([^<]*)</span>', row.group(1))
    assert preview is not None and preview.groups() == ("Уже неделю жду, позовите человека",) * 2
    assert "подробности подробности" not in preview.group(2)  # the bot's note is on hover only
    assert "Общая линия" in row.group(1) and ">general<" not in row.group(1)  # the group's name
    assert ">General question<" in row.group(1) and ">general_question<" not in row.group(1)  # the topic


async def test_the_sign_in_page_follows_the_browser_then_the_configured_default(
    make_settings: Any, start_app: Any,
) -> None:
    async def heading(client: httpx.AsyncClient, accept: str) -> str:
        page = await client.get("/login", headers={"accept-language": accept})
        found = re.search(r'<html lang="(\w+)">', page.text)
        assert found is not None
        return found.group(1)

    async with start_app(make_settings()) as running:
        assert await heading(running.client, "en-GB,en;q=0.9") == "en"
        assert await heading(running.client, "de-DE,de;q=0.9") == "ru"  # the demo's default
        assert await heading(running.client, "en;q=0.2,ru;q=0.9") == "ru"
    async with start_app(make_settings(default_language="en")) as running:
        assert await heading(running.client, "de-DE,de;q=0.9") == "en"


async def test_the_api_docs_need_nothing_from_other_sites(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        docs = await running.client.get("/docs")
        assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
        fetched = {url: await running.client.get(url) for url in assets}
        redoc = await running.client.get("/redoc")

    assert docs.status_code == 200 and "SwaggerUIBundle" in docs.text
    assert not re.search(r"https?://", docs.text)  # no CDN, no favicon from elsewhere
    assert len(fetched) == 3 and all(r.status_code == 200 for r in fetched.values())
    bundle = next(r for url, r in fetched.items() if url.endswith("swagger-ui-bundle.js"))
    assert 'PACKAGE_VERSION:"5.' in bundle.text  # Swagger UI 5: it reads FastAPI's OpenAPI 3.1
    assert redoc.status_code == 404  # ReDoc exists only on a CDN: off
