"""Answering a review in the browser's forms: the store's staff drafts from a template, a second person
approves, the worker's round posts it (here: a platform without an API, so "post by hand") and solves the case;
another store's staff cannot see it; the review's text is escaped."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from hub.cases.service import get_case
from hub.reviews import post_approved, take
from models.cases import CaseState
from models.reviews import PlatformReview, ReplyState
from tests.conftest import SettingsFactory
from tests.integration.case_world import build_case_world
from tests.integration.inbox_world import PASSWORD
from tests.integration.reviews.world import T0, build_review_world
from tests.web_login import session_csrf, sign_in


async def test_store_staff_drafts_a_second_person_approves_and_the_case_is_solved(
    make_settings: SettingsFactory, start_app: Callable[..., Any],
) -> None:
    async with start_app(make_settings()) as running:
        hub = running.hub
        await build_case_world(hub)
        await build_review_world(hub)
        assert hub.reviews is not None
        from models.reviews import PlaceMapping

        await hub.reviews.store.save_place(PlaceMapping(platform="2gis", place_id="70000001", store_id="118"))
        review, _ = await take(hub, PlatformReview(
            platform="2gis", review_id="g-1", place_id="70000001", rating=2, author_name="Ирина Карпова",
            text="Грязно, пол липкий, тележки грязные <script>alert(1)</script>", created_at=T0, updated_at=T0))
        page = f"/reviews/r/{review.id}"
        transport = httpx.ASGITransport(app=running.app)
        async with (httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as ivan,
                    httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as petr,
                    httpx.AsyncClient(transport=transport, base_url="http://otklik.test") as sam):
            for client, login in ((ivan, "ivan"), (petr, "petr"), (sam, "sam")):
                await sign_in(client, login, PASSWORD)
            shown = await ivan.get(page)
            assert shown.status_code == 200
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text and "<script>alert" not in shown.text
            assert "И*** К***" in shown.text and "Карпова" not in shown.text
            assert "Ирина, простите за этот опыт" in shown.text  # the first template, filled in
            assert (await petr.get(page)).status_code == 404  # another store's staff

            csrf = await session_csrf(ivan, hub)
            text = "Ирина, простите! Пол вымыли, уборку теперь проверяет директор."
            drafted = await ivan.post(f"{page}/reply", data={"text": text, "csrf_token": csrf})
            assert drafted.status_code == 303
            own = await ivan.post(f"{page}/approve", data={"csrf_token": csrf}, headers={"accept": "text/html"})
            assert own.status_code == 403  # the author of a draft does not approve it
            approved = await sam.post(f"{page}/approve", data={"csrf_token": await session_csrf(sam, hub)})
            assert approved.status_code == 303

        await post_approved(hub)
        stored = await hub.reviews.store.get(review.id)
        assert stored is not None and stored.reply is not None and stored.reply.state is ReplyState.MANUAL
        case = await get_case(hub, stored.case_id or "")
        assert case.state is CaseState.SOLVED and re.search("вручную", case.solution or "")
