"""Reviews from files (`otklik reviews import`) and from the aggregator's signed webhook: bad rows refused with
file:line, repeats change nothing, edits update in place, a known customer matched only by a proven identity."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.cli import app as cli
from api.wiring import running_hub
from connectors.reviews.aggregator import sign
from hub.cases.service import get_case
from hub.reviews import suggest
from hub.settings import Settings
from models.clock import utcnow
from models.customers import Customer, Identity, IdentityKind
from tests.conftest import SettingsFactory
from tests.integration.reviews.world import build_review_world

HEADER = "platform,review_id,place_id,place_name,place_address,rating,text,author,created_at,updated_at"
ROWS = [
    '2gis,g-1,70000001,Продукты,"Москва, Тверская, 1",2,"Грязный пол, тележки липкие",Ольга,2026-11-01T10:00:00+03:00,',
    "2gis,g-2,70000001,Продукты,,5,Всё отлично,Пётр,2026-11-01 12:00,",
    "2gis,g-3,70000001,,,7,Семь звёзд?,Кто-то,2026-11-01T12:00:00Z,",
    "2gis,,70000001,,,3,Без номера отзыва,Кто-то,2026-11-01T12:00:00Z,",
    "2gis,g-5,70000001,,,4,Дата не та,Кто-то,вчера,",
]


async def otklik(settings: Settings, *args: str) -> Result:
    """The CLI in a thread, on the test's SQLite file."""
    env = {"OTKLIK_SECRET_KEY": "test-secret-key-0123456789", "OTKLIK_SQLITE_PATH": settings.sqlite_path,
           "OTKLIK_STORE": "sqlite", "OTKLIK_BUS_JOURNAL_PATH": "", "OTKLIK_DIALOGS_DIR": ""}
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)


async def test_import_refuses_bad_rows_by_line_and_is_idempotent(make_settings: SettingsFactory,
                                                                  tmp_path: Path) -> None:
    settings = make_settings()
    async with running_hub(settings) as hub:
        await build_review_world(hub)
    path = tmp_path / "2gis.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")

    first = await otklik(settings, "reviews", "import", str(path))
    assert first.exit_code == 1, first.output
    assert f"{path}:4: rating: '7' is not 1 to 5 stars" in first.output
    assert f"{path}:5: missing review_id" in first.output
    assert f"{path}:6: created_at: 'вчера' is not an ISO 8601 date and time" in first.output
    assert "reviews: 2 new, 3 refused" in first.output

    again = await otklik(settings, "reviews", "import", str(path))
    assert "reviews: 2 same, 3 refused" in again.output

    edited = ROWS[0].replace(",2,", ",1,").removesuffix(",") + ",2026-11-03T09:00:00+03:00"
    path.write_text("\n".join([HEADER, edited, ROWS[1]]) + "\n", encoding="utf-8")
    third = await otklik(settings, "reviews", "import", str(path))
    assert third.exit_code == 0 and "reviews: 1 edited, 1 same, 0 refused" in third.output

    async with running_hub(settings) as hub:
        assert hub.reviews is not None
        review = await hub.reviews.store.get("2gis:g-1")
        assert review is not None and review.rating == 1 and [r.rating for r in review.revisions] == [2]
        assert review.created_at.isoformat() == "2026-11-01T07:00:00+00:00" and "cleanliness" in review.topics
        case = await get_case(hub, review.case_id or "")
        assert case.request_type == "review_app"  # the place is not mapped to a store yet: the contact centre
        place = await hub.reviews.store.get_place("2gis", "70000001")
        assert place is not None and place.store_id is None
        assert [s.store_id for s in await suggest(hub, place)][:1] == ["118"]
        assert len([r for r in await hub.reviews.store.find() if r.case_id]) == 1


async def test_known_customer_is_matched_by_a_proven_identity_never_by_name(make_settings: SettingsFactory,
                                                                            tmp_path: Path) -> None:
    settings = make_settings()
    async with running_hub(settings) as hub:
        await build_review_world(hub)
        known = Customer(name="Ольга Смирнова", identities=[Identity(kind=IdentityKind.PHONE, value="+79161234567")])
        await hub.stores.customers.create(known)
    rows = ["app,a-1,ru.chain.delivery,,,1,Курьер опоздал на два часа,Ольга Смирнова,2026-11-01T10:00:00Z,,"
            "phone:8 916 123-45-67",
            "app,a-2,ru.chain.delivery,,,1,Курьер нагрубил,Ольга Смирнова,2026-11-01T11:00:00Z,,"]
    path = tmp_path / "app.csv"
    path.write_text("\n".join([HEADER + ",author_identity", *rows]) + "\n", encoding="utf-8")
    untrusted = await otklik(settings, "reviews", "import", str(path))
    assert untrusted.exit_code == 0, untrusted.output
    path.write_text("\n".join([HEADER + ",author_identity", rows[0].replace("a-1", "a-3")]) + "\n", encoding="utf-8")
    trusted = await otklik(settings, "reviews", "import", str(path), "--trusted-identities")
    assert trusted.exit_code == 0, trusted.output
    async with running_hub(settings) as hub:
        assert hub.reviews is not None
        by_id = {r.review_id: r for r in await hub.reviews.store.find()}
        assert by_id["a-1"].customer_id is None and by_id["a-2"].customer_id is None  # same name, not proven
        assert by_id["a-3"].customer_id == known.id
        case = await get_case(hub, by_id["a-3"].case_id or "")
        assert case.customer_id == known.id  # the case page shows the customer's history
        stranger = await get_case(hub, by_id["a-2"].case_id or "")
        assert stranger.customer_id != known.id


def signed(body: bytes, secret: str, *, skew: int = 0) -> dict[str, str]:
    stamp = int(utcnow().timestamp()) + skew
    return {"x-review-timestamp": str(stamp), "x-review-signature": sign(body, secret, stamp),
            "content-type": "application/json"}


async def test_aggregator_webhook_is_signed_fresh_and_idempotent(monkeypatch: pytest.MonkeyPatch,
                                                                 make_settings: SettingsFactory,
                                                                 start_app: Callable[..., Any]) -> None:
    secret = "aggregator-secret-0123456789"
    monkeypatch.setenv("OTKLIK_REVIEWS_WEBHOOK_SECRET", secret)
    body = json.dumps({"reviews": [
        {"platform": "yandex_maps", "review_id": "y-1", "place_id": "1124715036", "rating": 1,
         "text": "Просрочка на полке с молочкой", "author": "Анна", "created_at": "2026-11-02T08:00:00Z"},
        {"platform": "yandex_maps", "review_id": "y-2", "place_id": "1124715036", "rating": 5,
         "text": "Хороший магазин", "created_at": "2026-11-02T09:00:00Z"}]}, ensure_ascii=False).encode()
    async with start_app(make_settings()) as running:
        client = running.client
        await build_review_world(running.hub)
        url = "/webhooks/reviews/aggregator"
        first = await client.post(url, content=body, headers=signed(body, secret))
        assert first.status_code == 200 and first.json() == {"taken": {"new": 2}}
        again = await client.post(url, content=body, headers=signed(body, secret))
        assert again.json() == {"taken": {"same": 2}}
        forged = await client.post(url, content=body, headers=signed(body, "another-secret-0123456789"))
        assert forged.status_code == 401
        stale = await client.post(url, content=body, headers=signed(body, secret, skew=-3600))
        assert stale.status_code == 401 and "replay window" in stale.text
        bad = json.dumps({"reviews": [{"platform": "yandex_maps", "place_id": "1", "created_at": "x"}]}).encode()
        malformed = await client.post(url, content=bad, headers=signed(bad, secret))
        assert malformed.status_code == 422 and "reviews[0]: missing review_id" in malformed.text
        assert running.hub.reviews is not None
        review = await running.hub.reviews.store.get("yandex_maps:y-1")
        assert review is not None and review.case_id is not None and "product_quality" in review.topics


async def test_aggregator_webhook_is_off_without_a_secret(make_settings: SettingsFactory,
                                                          start_app: Callable[..., Any]) -> None:
    async with start_app(make_settings()) as running:
        body = b'{"reviews": []}'
        response = await running.client.post("/webhooks/reviews/aggregator", content=body,
                                              headers=signed(body, "whatever-secret-0123456789"))
        assert response.status_code == 404
