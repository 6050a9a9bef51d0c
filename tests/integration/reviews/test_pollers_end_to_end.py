"""Both pollers in the worker against their fakes, end to end: review in -> case -> approved reply -> reply
posted through the platform's API -> case solved; with pagination, edits, deletions, 429s and length limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.cases.service import get_case
from hub.core import Hub
from hub.reviews import approve, draft
from models.cases import Case, CaseState
from models.errors import Forbidden, PayloadError
from models.reviews import ReplyState, Review
from tests.conftest import SettingsFactory
from tests.fakes.google_business_api import running_google_business
from tests.fakes.google_play_api import running_google_play
from tests.integration.helpers import eventually
from tests.integration.reviews.world import LOCATION, T0, build_review_world, configure


def solved(case: Case) -> bool:
    return case.state is CaseState.SOLVED


def posted(review: Review | None) -> bool:
    return review is not None and review.reply is not None and review.reply.state is ReplyState.POSTED


async def stored(hub: Hub, review_id: str) -> Review | None:
    assert hub.reviews is not None
    return await hub.reviews.store.get(review_id)


async def review_with(hub: Hub, review_id: str, check: object) -> Review:
    found = await eventually(lambda: stored(hub, review_id), check, timeout=15)  # type: ignore[arg-type]
    assert found is not None
    return found


async def test_google_business_review_to_solved_case(monkeypatch: pytest.MonkeyPatch,
                                                     make_settings: SettingsFactory, start_app) -> None:  # type: ignore[no-untyped-def]
    async with running_google_business() as google:
        for n in range(55):  # more than a page (50): the bad one is on the second page, oldest
            google.add(LOCATION, f"ok-{n}", 5, f"Отличный магазин, спасибо! #{n}", f"Покупатель {n}",
                       T0 + timedelta(hours=n + 1))
        bad = google.add(LOCATION, "bad-1", 2, "Грязно, огромная очередь, работала одна касса.", "Ирина К.", T0)
        configure(monkeypatch, business_url=google.url)
        async with start_app(make_settings()) as running:
            hub = running.hub
            await build_review_world(hub)
            review = await review_with(hub, "google_business:bad-1", lambda r: r is not None and r.case_id)
            pages = [c for c in google.calls if c.method == "GET"]
            assert any(c.query.get("pageToken") for c in pages), "the second page was read"
            assert review.store_id == "118" and review.region == "central" and review.rating == 2
            assert {"cleanliness", "queues"} <= set(review.topics) and review.sentiment == "negative"
            case = await get_case(hub, review.case_id or "")
            assert (case.group, case.request_type, case.store_id) == ("store:118", "review_store", "118")
            assert case.sla.due_at is not None

            # the author edits it: one review, the earlier version kept, the case told; still one case
            google.edit(bad, 1, "Грязно, очередь, и кассир нагрубил.", T0 + timedelta(days=1))
            review = await review_with(hub, "google_business:bad-1", lambda r: r is not None and r.rating == 1)
            assert [r.rating for r in review.revisions] == [2]
            case = await eventually(lambda: get_case(hub, review.case_id or ""), lambda c: len(c.comments) == 1)
            assert "нагрубил" in case.comments[0].text
            assert hub.reviews is not None
            assert len([r for r in await hub.reviews.store.find() if r.case_id]) == 1

            # a 429 pauses the platform for its Retry-After; nothing is lost
            google.rate_limited.extend([1])
            google.add(LOCATION, "bad-2", 3, "Нет половины товаров, пустые полки.", "Олег", T0 + timedelta(days=2))
            late = await review_with(hub, "google_business:bad-2", lambda r: r is not None and r.case_id)
            assert "assortment" in late.topics

            # draft by the store, approved by someone else, posted by the worker, the case solved
            text = "Ирина, простите! Мы навели порядок и открыли вторую кассу в часы пик."
            await draft(hub, review.id, text, actor="user:ivan")
            with pytest.raises(Forbidden):
                await approve(hub, review.id, actor="user:ivan")
            await approve(hub, review.id, actor="user:sam")
            review = await review_with(hub, review.id, posted)
            assert [c.body for c in google.replies()] == [{"comment": text}]
            case = await eventually(lambda: get_case(hub, review.case_id or ""), solved)
            assert text in (case.solution or "")

            # a deleted review: gone from the complete listing -> marked deleted; its reply refused with 404
            await draft(hub, late.id, "Олег, спасибо, ассортимент пополнили.", actor="user:ivan")
            google.delete(f"{LOCATION}/reviews/bad-2")
            await review_with(hub, late.id, lambda r: r is not None and r.deleted)
            gone = await get_case(hub, late.case_id or "")
            assert any("удалён" in c.text for c in gone.comments)
            await approve(hub, late.id, actor="user:sam")
            late = await review_with(hub, late.id, lambda r: r is not None and r.reply and r.reply.state == "failed")
            assert "deleted" in (late.reply.error or "") if late.reply else False
            assert len(google.replies()) == 2  # the refused call was made once, not retried


async def test_google_play_review_to_solved_case(monkeypatch: pytest.MonkeyPatch,
                                                 make_settings: SettingsFactory, start_app) -> None:  # type: ignore[no-untyped-def]
    async with running_google_play() as play:
        play.add("gp-1", 1, "Приложение вылетает при оплате, заказ так и не оформился.", "Андрей", T0)
        play.add("gp-2", 5, "Great app, fast delivery!", "Kate", T0 + timedelta(minutes=5), language="en")
        configure(monkeypatch, play_url=play.url, second_approver=False)
        async with start_app(make_settings()) as running:
            hub = running.hub
            await build_review_world(hub)
            review = await review_with(hub, "google_play:gp-1", lambda r: r is not None and r.case_id)
            praise = await review_with(hub, "google_play:gp-2", lambda r: r is not None)
            assert praise.case_id is None and praise.sentiment == "positive"
            assert review.text.startswith("Приложение") and "app_problem" in review.topics
            case = await get_case(hub, review.case_id or "")
            assert (case.group, case.request_type) == ("contact_centre", "review_app")

            with pytest.raises(PayloadError, match="350"):
                await draft(hub, review.id, "Я" * 351, actor="user:anna")
            text = "Андрей, простите за сбой оплаты. Исправили в версии 4.12.1, обновите, пожалуйста."
            await draft(hub, review.id, text, actor="user:anna")  # no second approver configured: approved at once
            review = await review_with(hub, review.id, posted)
            assert [(c.path, c.body) for c in play.replies()] == [
                ("/androidpublisher/v3/applications/ru.chain.delivery/reviews/gp-1:reply", {"replyText": text})]
            await eventually(lambda: get_case(hub, review.case_id or ""), solved)
            assert review.reply is not None and review.reply.state is ReplyState.POSTED


async def test_play_poller_renews_its_access_token_from_the_refresh_token(
        monkeypatch: pytest.MonkeyPatch, make_settings: SettingsFactory, start_app) -> None:  # type: ignore[no-untyped-def]
    async with running_google_play() as play:
        play.add("gp-1", 2, "Курьер опоздал на час", "Андрей", T0)
        configure(monkeypatch, play_url=play.url)
        monkeypatch.delenv("OTKLIK_REVIEWS_GOOGLE_PLAY_TOKEN")
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_CLIENT_ID", "client-1.apps.googleusercontent.com")
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_CLIENT_SECRET", "client-secret")
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_PLAY_REFRESH_TOKEN", play.refresh_token)
        monkeypatch.setenv("OTKLIK_REVIEWS_GOOGLE_TOKEN_URL", f"{play.url}/token")
        async with start_app(make_settings()) as running:
            hub = running.hub
            await build_review_world(hub)
            await review_with(hub, "google_play:gp-1", lambda r: r is not None and r.case_id)
            assert play.issued == 1
            play.token = "revoked"  # the access token expires: the API answers 401 until a new one is fetched
            play.add("gp-2", 1, "Заказ потерян", "Олег", T0 + timedelta(hours=1))
            await review_with(hub, "google_play:gp-2", lambda r: r is not None and r.case_id)
            assert play.issued == 2
