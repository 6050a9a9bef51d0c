"""Report pages and the reports API end to end: who sees what, drill-down, exports, masking, bad input."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest

from hub.directory import tokens
from hub.reports import ReportStore
from models.report_facts import ConversationFact
from models.staff import Role
from models.tokens import Scope
from tests.conftest import RunningApp, SettingsFactory
from tests.web_login import create_user, sign_in

PASSWORD = "reports password 1"
BASE = ConversationFact(conversation_id="", customer_id="", opened_at="", day="2026-03-02", hour=10,
                        week="2026-03-02", channel="telegram", topic="staff_complaint", store="118", region="msk")
PERIOD = "start=2026-03-01&end=2026-03-31"


def conv(n: int, **changes: Any) -> ConversationFact:
    return replace(BASE, conversation_id=f"c{n}", customer_id=f"cust-{n}", opened_at=f"2026-03-02T07:0{n}:00+00:00",
                   text=f"<b>кассир {n}</b>", **changes)


@pytest.fixture
async def running(make_settings: SettingsFactory, start_app: Callable[..., Any]) -> AsyncIterator[RunningApp]:
    """The app with report facts loaded, a supervisor, store staff of store 118 and an operator."""
    async with start_app(make_settings()) as app:
        store: ReportStore = app.app.state.reports
        await store.load([conv(1, csat=1), conv(2, store="7", region="spb"), conv(3, topic="order_status")], [])
        await create_user(app.hub, "boss", PASSWORD, roles=[Role.SUPERVISOR])
        await create_user(app.hub, "shop", PASSWORD, roles=[Role.STORE_STAFF], store_id="118")
        await create_user(app.hub, "op", PASSWORD, roles=[Role.OPERATOR])
        yield app


async def test_a_supervisor_sees_the_management_dashboard_and_drills_down(running: RunningApp) -> None:
    await sign_in(running.client, "boss", PASSWORD)
    page = await running.client.get(f"/reports/management?{PERIOD}")
    assert page.status_code == 200, page.text
    assert 'data-table="by_region"' in page.text and "<svg" in page.text
    assert "/reports/drill?" in page.text and "region=msk" in page.text
    drill = await running.client.get(f"/reports/drill?{PERIOD}&region=msk&cube=conversations")
    assert drill.status_code == 200
    assert "/inbox/conversations/c1" in drill.text and "/inbox/conversations/c3" in drill.text
    assert "c2" not in drill.text  # store 7 is in spb
    assert "&lt;b&gt;кассир 1&lt;/b&gt;" in drill.text and "<b>кассир" not in drill.text  # customer text escaped
    rows = list(csv.reader(io.StringIO((await running.client.get(f"/reports/drill.csv?{PERIOD}&region=msk")).text)))
    assert rows[0][:3] == ["opened_at", "conversation_id", "customer_id"]
    assert sorted(r[2] for r in rows[1:]) == ["cust-1", "cust-3"]  # a supervisor sees customer ids


async def test_store_staff_see_their_store_only_with_personal_data_masked(running: RunningApp) -> None:
    await sign_in(running.client, "shop", PASSWORD)
    home = await running.client.get("/reports")
    assert home.status_code == 303 and home.headers["location"] == "/reports/store"
    page = await running.client.get(f"/reports/store?{PERIOD}")
    assert page.status_code == 200 and "118" in page.text
    assert (await running.client.get(f"/reports/store?{PERIOD}&store=7")).status_code == 403
    assert (await running.client.get(f"/reports/management?{PERIOD}")).status_code == 403
    rows = list(csv.reader(io.StringIO((await running.client.get(f"/reports/drill.csv?{PERIOD}")).text)))
    assert {r[1] for r in rows[1:]} == {"c1", "c3"}
    assert {r[2] for r in rows[1:]} == {"•••"} and "кассир" not in str(rows)


async def test_operators_and_anonymous_get_no_reports(running: RunningApp) -> None:
    assert (await running.client.get("/reports/volume")).status_code in (303, 401)
    await sign_in(running.client, "op", PASSWORD)
    assert (await running.client.get("/reports/volume")).status_code == 403


async def test_bad_filters_are_refused_with_the_reason(running: RunningApp) -> None:
    await sign_in(running.client, "boss", PASSWORD)
    bad = await running.client.get("/reports/volume?start=2026-13-01")
    assert bad.status_code == 422 and "not a date" in bad.text
    backwards = await running.client.get("/reports/volume?start=2026-03-05&end=2026-03-01")
    assert backwards.status_code == 422 and "after end" in backwards.text
    assert (await running.client.get("/reports/nonsense")).status_code == 404
    assert (await running.client.get(f"/reports/drill?{PERIOD}&condition=drop")).status_code == 422


async def test_the_api_needs_reports_read_and_masks_without_conversations_read(running: RunningApp) -> None:
    _, plain = await tokens.issue(running.hub.stores.tokens, "bi", [Scope.REPORTS_READ])
    _, full = await tokens.issue(running.hub.stores.tokens, "bi-full", [Scope.REPORTS_READ, Scope.CONVERSATIONS_READ])
    _, other = await tokens.issue(running.hub.stores.tokens, "crm", [Scope.CASES_READ])
    assert (await running.client.get("/api/v1/reports/volume", headers=_bearer(other))).status_code == 403
    volume = (await running.client.get(f"/api/v1/reports/volume?{PERIOD}", headers=_bearer(plain))).json()
    assert volume["headline"]["conversations"] == 3 and volume["headline"]["complaints"] == 2
    by_topic = next(t for t in volume["tables"] if t["name"] == "by_topic")
    assert by_topic["rows"][0][:2] == ["staff_complaint", 2] and by_topic["drill"][0] == {"topic": "staff_complaint"}
    masked = (await running.client.get(f"/api/v1/reports/facts/conversations?{PERIOD}&condition=csat_low",
                                       headers=_bearer(plain))).json()
    assert [r[1] for r in masked["rows"]] == ["c1"] and masked["rows"][0][2] == "•••"
    shown = (await running.client.get(f"/api/v1/reports/facts/conversations?{PERIOD}&condition=csat_low",
                                      headers=_bearer(full))).json()
    assert shown["rows"][0][2] == "cust-1"
    book = await running.client.get(f"/api/v1/reports/csat?{PERIOD}&format=xlsx", headers=_bearer(plain))
    assert book.status_code == 200
    with zipfile.ZipFile(io.BytesIO(book.content)) as z:
        assert "xl/worksheets/sheet2.xml" in z.namelist()
        assert "staff_complaint" in z.read("xl/worksheets/sheet2.xml").decode()


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
