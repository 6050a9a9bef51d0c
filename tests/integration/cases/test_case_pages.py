"""The case pages over HTTP against the real app on SQLite: who sees which cases, the actions on a case,
attachments, opening a case from a conversation, CSRF and escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from hub.cases.service import get_case
from hub.stores.cases import CaseQuery
from models.cases import CaseState
from models.conversations import Priority
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.case_world import (
    QC,
    browser,
    build_case_world,
    bulk_cases,
    shopper_conversation,
    store_case,
)
from tests.integration.helpers import eventually
from tests.integration.inbox_world import handed_over, inbox_settings

C = CaseState


def settings_for(make_settings: Any, receiver: HttpReceiver, tmp_path: Path, **overrides: Any) -> Any:
    """The inbox test settings with attachments under tmp_path."""
    return inbox_settings(make_settings, receiver, case_files_dir=str(tmp_path / "case-files"), **overrides)


async def test_anonymous_visitors_are_sent_to_sign_in_and_refused_every_action(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        await build_case_world(running.hub)
        conversation = await shopper_conversation(running.client, running.hub, "s-anon", "Ценник врёт")
        case = await store_case(running.hub, conversation, "118", "Ценник 99, на кассе 149")
        client = running.client
        pages = [await client.get(path) for path in
                 ("/cases", f"/cases/{case.id}", f"/cases/new?conversation={conversation.id}",
                  f"/cases/{case.id}/attachments/{'0' * 32}")]
        posts = [await client.post(f"/cases/{case.id}/{action}", data={"text": "x", "key": "k" * 8})
                 for action in ("comments", "take", "solve", "close")]
        htmx = await client.get("/cases", headers={"hx-request": "true"})

    assert all(p.status_code == 303 and p.headers["location"].startswith("/login?next=") for p in pages)
    assert all(p.status_code == 401 for p in posts)
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/login")


async def test_store_staff_see_only_their_own_stores_cases(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        await build_case_world(running.hub)
        hub = running.hub
        ours = await store_case(hub, await shopper_conversation(running.client, hub, "s-1", "a"), "118",
                                "Ценник на молоко не совпадает")
        theirs = await store_case(hub, await shopper_conversation(running.client, hub, "s-2", "b"), "205",
                                  "Ценник на хлеб не совпадает")
        quality = await store_case(hub, await shopper_conversation(running.client, hub, "s-3", "c"), "205",
                                   "Прокисший кефир", request_type="spoiled_goods")
        async with browser(running, "ivan") as (client, _):
            listing = await client.get("/cases")
            own_page = await client.get(f"/cases/{ours.id}")
            by_number = await client.get(f"/cases/{ours.number}")
            other_page = await client.get(f"/cases/{theirs.id}")
            other_json = await client.get(f"/cases/{theirs.id}", headers={"accept": "application/json"})
            missing = await client.get("/cases/0123456789abcdef0123456789abcdef")
            bad_filter = await client.get("/cases?state=everything")
            other_store_filter = await client.get("/cases?store=205")
        async with browser(running, "sam") as (client, _):
            supervisor = await client.get("/cases?store=205&state=all")
        async with browser(running, "qc") as (client, _):
            specialist = await client.get("/cases")
            specialist_store_case = await client.get(f"/cases/{ours.id}")
        async with browser(running, "eve") as (client, _):  # a content editor has no case role
            editor = await client.get("/cases")

    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    assert f'href="/cases/{ours.id}"' in listing.text
    assert theirs.id not in listing.text and quality.id not in listing.text
    assert "Магазин 118" not in listing.text or "118" in listing.text
    assert own_page.status_code == 200 and "Ценник на молоко не совпадает" in own_page.text
    assert by_number.status_code == 200 and f'data-case="{ours.id}"' in by_number.text
    assert other_page.status_code == 404 and "Ценник на хлеб" not in other_page.text  # as if it did not exist
    assert other_json.status_code == 404 and other_json.json()["error"]["code"] == "not_found"
    assert missing.status_code == 404
    assert bad_filter.status_code == 422
    assert other_store_filter.status_code == 200 and listed(other_store_filter.text) == []
    assert 'name="store"' not in listing.text and 'name="store"' in supervisor.text
    assert set(listed(supervisor.text)) == {theirs.id, quality.id}
    assert specialist.status_code == 200
    assert quality.id in specialist.text and ours.id not in specialist.text and theirs.id not in specialist.text
    assert specialist_store_case.status_code == 404
    assert editor.status_code == 403


async def test_store_staff_comment_take_wait_and_solve_and_the_shopper_gets_the_solution(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        world = await build_case_world(running.hub)
        hub = running.hub
        conversation = await handed_over(hub, await shopper_conversation(running.client, hub, "s-4", "Ценник"))
        case = await store_case(hub, conversation, "118", "На ценнике 99 ₽, на кассе 149 ₽")
        async with browser(running, "ivan") as (client, csrf):
            commented = await client.post(f"/cases/{case.id}/comments",
                                          data={"csrf_token": csrf, "text": "Проверю ценник", "key": "comment-1"})
            again = await client.post(f"/cases/{case.id}/comments",
                                      data={"csrf_token": csrf, "text": "Проверю ценник", "key": "comment-1"})
            htmx = await client.post(f"/cases/{case.id}/comments", headers={"hx-request": "true", "x-csrf-token": csrf},
                                     data={"text": "Ценник заменён", "key": "comment-2"})
            taken = await client.post(f"/cases/{case.id}/take", data={"csrf_token": csrf})
            waiting = await client.post(f"/cases/{case.id}/wait",
                                        data={"csrf_token": csrf, "waiting_for": "customer", "reason": "чек"})
            paused = await get_case(hub, case.id)
            resumed = await client.post(f"/cases/{case.id}/resume", data={"csrf_token": csrf})
            solved = await client.post(f"/cases/{case.id}/solve", data={
                "csrf_token": csrf, "solution": "Ценник исправлен, разницу вернём на карту", "key": "solve-key-1"})
            page = await client.get(f"/cases/{case.id}")
            solve_again = await client.post(f"/cases/{case.id}/wait",
                                            data={"csrf_token": csrf, "waiting_for": "customer"})

        async def delivered() -> list[str]:
            return [json.loads(r.body).get("text", "") for r in receiver.requests]

        texts = await eventually(delivered, lambda ts: any("разницу вернём" in t for t in ts))
        stored = await get_case(hub, case.id)

    assert commented.status_code == 303 and commented.headers["location"] == f"/cases/{case.id}"
    assert again.status_code == 303
    assert htmx.status_code == 200 and 'id="comments"' in htmx.text and "Ценник заменён" in htmx.text
    assert "<html" not in htmx.text  # only the comments partial
    assert [c.text for c in stored.comments] == ["Проверю ценник", "Ценник заменён"]  # the resent form added none
    assert taken.status_code == 303 and waiting.status_code == 303 and resumed.status_code == 303
    assert paused.state is C.WAITING and paused.sla.paused_at is not None  # price tags pause while waiting
    assert solved.status_code == 303
    assert stored.state is C.SOLVED and stored.assignee == world.ivan.id
    assert stored.solution == "Ценник исправлен, разницу вернём на карту"
    assert [e.actor for e in stored.history][-1] == "user:ivan"
    assert solve_again.status_code == 409
    assert any("#" + str(case.number) in t and "разницу вернём" in t for t in texts)
    assert page.status_code == 200
    assert "Ценник исправлен, разницу вернём на карту" in page.text and "Проверю ценник" in page.text
    assert 'action="/cases/' + case.id + '/reopen"' in page.text and f"/cases/{case.id}/solve" not in page.text
    route = page.text.split('id="route"')[1]
    assert route.count("<tr") == 3  # header, the store's queue, then Ivan
    assert "Ivan" in route


async def test_a_specialist_works_their_groups_cases_and_moves_one_to_the_store(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        world = await build_case_world(running.hub)
        hub = running.hub
        case = await store_case(hub, await shopper_conversation(running.client, hub, "s-5", "кефир"), "118",
                                "Кефир прокис до срока", request_type="spoiled_goods")
        async with browser(running, "qc") as (client, csrf):
            page = await client.get(f"/cases/{case.id}")
            taken = await client.post(f"/cases/{case.id}/take", data={"csrf_token": csrf})
            no_reason = await client.post(f"/cases/{case.id}/move", data={"csrf_token": csrf, "group": "store:118"})
            moved = await client.post(f"/cases/{case.id}/move", data={
                "csrf_token": csrf, "group": "store:118", "reason": "снять партию с полки"})
            after_move = await client.get(f"/cases/{case.id}")
        async with browser(running, "ivan") as (client, csrf):
            store_view = await client.get(f"/cases/{case.id}")
            taken_by_store = await client.post(f"/cases/{case.id}/take", data={"csrf_token": csrf})
        async with browser(running, "petr") as (client, csrf):
            foreign = await client.post(f"/cases/{case.id}/take", data={"csrf_token": csrf})
        stored = await get_case(hub, case.id)

    assert page.status_code == 200 and f'action="/cases/{case.id}/take"' in page.text
    assert 'value="store:118"' in page.text  # the store's queue is offered as a move target
    assert taken.status_code == 303
    assert no_reason.status_code == 422
    assert moved.status_code == 303
    assert after_move.status_code == 404  # no longer in QC: the specialist no longer sees it
    assert store_view.status_code == 200 and "снять партию с полки" in store_view.text
    assert taken_by_store.status_code == 303 and foreign.status_code == 404  # another store: not even there
    assert (stored.group, stored.assignee) == ("store:118", world.ivan.id)
    route = store_view.text.split('id="route"')[1].split("</table>")[0]
    hops = re.findall(r"<tr[^>]*>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", route)
    assert hops == [("Контроль качества", "—"), ("Контроль качества", "Qc"), ("Магазин 118", "—")]


STATE_CHANGES = [("take", {}), ("release", {}), ("wait", {"waiting_for": "customer"}), ("resume", {}),
                 ("solve", {"solution": "x", "key": "solve-k-1"}), ("close", {"reason": "spam"}),
                 ("reopen", {"reason": "again"}), ("move", {"group": QC, "reason": "r"}),
                 ("comments", {"text": "x", "key": "comment-k-1"})]


@pytest.mark.parametrize("how", ["no token", "wrong token"])
async def test_csrf_is_enforced_on_every_state_change(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path, how: str,
) -> None:
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        await build_case_world(running.hub)
        hub = running.hub
        conversation = await handed_over(hub, await shopper_conversation(running.client, hub, "s-6", "ценник"))
        case = await store_case(hub, conversation, "118", "Ценник")
        token = {} if how == "no token" else {"csrf_token": "forged-token-value"}
        async with browser(running, "sam") as (client, _):
            refused = [await client.post(f"/cases/{case.id}/{action}", data={**data, **token})
                       for action, data in STATE_CHANGES]
            upload = await client.post(f"/cases/{case.id}/attachments", data={"key": "upload-k-1", **token},
                                       files={"file": ("a.txt", b"hello", "text/plain")})
            opened = await client.post("/cases/new", data={
                "conversation": conversation.id, "request_type": "price_tag_mismatch", "store_id": "118",
                "description": "d", "key": "open-key-1", **token})
        stored = await get_case(hub, case.id)
        count = await hub.stores.cases.count(CaseQuery())

    assert [r.status_code for r in refused] == [403] * len(STATE_CHANGES)
    assert upload.status_code == 403 and opened.status_code == 403
    assert stored.version == case.version and stored.comments == [] and stored.attachments == []
    assert count == 1


async def test_customer_and_staff_text_is_shown_escaped(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        await build_case_world(running.hub)
        hub = running.hub
        conversation = await shopper_conversation(running.client, hub, "s-7", evil, name=f"<b>{evil}</b>")
        case = await store_case(hub, conversation, "118", f"Описание {evil}")
        async with browser(running, "ivan") as (client, csrf):
            await client.post(f"/cases/{case.id}/comments", data={"csrf_token": csrf, "text": evil, "key": "evil-key"})
            page = await client.get(f"/cases/{case.id}")
            listing = await client.get("/cases")

    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b><script" not in page.text
    assert page.text.count("&lt;script&gt;alert(") >= 3  # description, comment, customer name
    assert "<script>alert" not in listing.text


async def test_attachments_upload_with_limits_and_download_only_for_those_who_see_the_case(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    settings = settings_for(make_settings, receiver, tmp_path, case_file_max_bytes=4096)
    async with start_app(settings) as running:
        await build_case_world(running.hub)
        hub = running.hub
        case = await store_case(hub, await shopper_conversation(running.client, hub, "s-8", "чек"), "118", "Чек")
        async with browser(running, "ivan") as (client, csrf):
            receipt = ("../../чек <&1>.txt", "Чек №5 на 149 ₽".encode(), "text/plain")
            uploaded = await client.post(f"/cases/{case.id}/attachments", data={"csrf_token": csrf, "key": "file-k-1"},
                                         files={"file": receipt})
            resent = await client.post(f"/cases/{case.id}/attachments", data={"csrf_token": csrf, "key": "file-k-1"},
                                       files={"file": ("чек.txt", b"other", "text/plain")})
            html = await client.post(f"/cases/{case.id}/attachments", data={"csrf_token": csrf, "key": "file-k-2"},
                                     files={"file": ("page.html", b"<script>x</script>", "text/html")})
            big = await client.post(f"/cases/{case.id}/attachments", data={"csrf_token": csrf, "key": "file-k-3"},
                                    files={"file": ("big.pdf", b"%PDF" + b"0" * 5000, "application/pdf")})
            stored = await get_case(hub, case.id)
            attachment = stored.attachments[0]
            url = f"/cases/{case.id}/attachments/{attachment.id}"
            page = await client.get(f"/cases/{case.id}")
            own = await client.get(url)
        async with browser(running, "petr") as (client, _):
            foreign = await client.get(url)
        async with browser(running, "sam") as (client, _):
            supervisor = await client.get(url)
            unknown = await client.get(f"/cases/{case.id}/attachments/{'f' * 32}")

    assert uploaded.status_code == 303 and resent.status_code == 303
    assert len(stored.attachments) == 1
    assert attachment.name == "чек &1.txt"  # no folders, no markup characters
    assert attachment.size == len("Чек №5 на 149 ₽".encode())
    assert html.status_code == 422 and big.status_code == 413
    assert f'href="{url}"' in page.text and "чек &amp;1.txt" in page.text
    assert own.status_code == 200 and own.content == "Чек №5 на 149 ₽".encode()
    assert own.headers["content-disposition"].startswith("attachment;")
    assert own.headers["x-content-type-options"] == "nosniff" and own.headers["content-type"].startswith("text/plain")
    assert foreign.status_code == 404 and foreign.content != own.content
    assert supervisor.status_code == 200
    assert unknown.status_code == 404
    on_disk = list((tmp_path / "case-files" / case.id).iterdir())
    assert [p.name for p in on_disk] == [attachment.id]  # refused uploads left nothing behind


async def test_an_operator_opens_a_case_from_the_conversation(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        await build_case_world(running.hub)
        hub = running.hub
        conversation = await handed_over(hub, await shopper_conversation(running.client, hub, "s-9", "ценник"))
        form = {"conversation": conversation.id, "request_type": "price_tag_mismatch", "description": "Ценник 99/149",
                "priority": "high", "key": "open-case-1"}
        async with browser(running, "anna") as (client, csrf):
            page = await client.get(f"/cases/new?conversation={conversation.id}")
            missing_store = await client.post("/cases/new", data={**form, "csrf_token": csrf})
            opened = await client.post("/cases/new", data={**form, "store_id": "118", "csrf_token": csrf})
            repeated = await client.post("/cases/new", data={**form, "store_id": "118", "csrf_token": csrf})
            unknown_type = await client.post("/cases/new", data={
                **form, "request_type": "nonsense", "key": "open-case-2", "csrf_token": csrf})
        async with browser(running, "ivan") as (client, csrf):
            store_staff = await client.get(f"/cases/new?conversation={conversation.id}")
        async with browser(running, "vera") as (client, csrf):  # an operator of another line
            other_line = await client.get(f"/cases/new?conversation={conversation.id}")
            other_post = await client.post("/cases/new", data={**form, "store_id": "118", "key": "open-case-3",
                                                               "csrf_token": csrf})
        cases = await hub.stores.cases.find(CaseQuery())

    assert page.status_code == 200 and 'value="price_tag_mismatch"' in page.text
    assert missing_store.status_code == 422 and "store_id" in missing_store.text
    assert 'value="Ценник 99/149"' in missing_store.text or "Ценник 99/149</textarea>" in missing_store.text
    assert opened.status_code == 303 and repeated.status_code == 303
    assert opened.headers["location"] == repeated.headers["location"] == f"/cases/{cases[0].id}"
    assert unknown_type.status_code == 422
    assert store_staff.status_code == 403
    assert other_line.status_code == 404 and other_post.status_code == 404
    case = cases[0]
    assert (case.group, case.store_id, case.priority.value, case.created_by) == (
        "store:118", "118", "high", "user:anna")
    assert case.conversation_id == conversation.id


def listed(html: str) -> list[str]:
    """The case ids of a list page's rows, top to bottom."""
    return re.findall(r'<td><a href="/cases/([0-9a-f]{32})">', html)


async def test_the_list_is_in_queue_order_filtered_and_paged(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    P, S = Priority, CaseState
    specs = [(P.NORMAL, float(h), S.NEW, "price_tag_mismatch") for h in range(50, 0, -1)]  # latest deadline first
    specs += [(P.URGENT, 30.0, S.IN_PROGRESS, "staff_behaviour"), (P.HIGH, 5.0, S.NEW, "price_tag_mismatch"),
              (P.LOW, -3.0, S.NEW, "price_tag_mismatch"), (P.NORMAL, -1.0, S.WAITING, "store_cleanliness"),
              (P.NORMAL, 1.0, S.CLOSED, "price_tag_mismatch")]
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        await build_case_world(running.hub)
        conversation = await shopper_conversation(running.client, running.hub, "s-10", "много заявок")
        cases = await bulk_cases(running.hub, conversation, "118", specs)
        await bulk_cases(running.hub, conversation, "205", specs[:3])  # another store's: never listed for Ivan
        async with browser(running, "ivan") as (client, _):
            first = await client.get("/cases")
            more = re.search(r'class="more"><a href="([^"]+)"', first.text)
            assert more is not None
            second = await client.get(more.group(1).replace("&amp;", "&"))
            overdue = await client.get("/cases?overdue=1")
            closed = await client.get("/cases?state=closed")
            by_type = await client.get("/cases?type=staff_behaviour&state=all")
            htmx = await client.get("/cases?state=waiting", headers={"hx-request": "true"})
            bad_cursor = await client.get("/cases?after=nonsense")

    ids = [c.id for c in cases]
    # urgent, high, then normal by deadline (the overdue waiting one first), low last
    open_in_order = [ids[50], ids[51], ids[53], *ids[49::-1], ids[52]]
    assert first.status_code == 200 and second.status_code == 200
    assert listed(first.text) + listed(second.text) == open_in_order
    assert len(listed(first.text)) == 50 and 'class="more"' not in second.text
    assert set(listed(overdue.text)) == {ids[52], ids[53]}
    assert 'class="case-row state-new breached"' in overdue.text
    assert listed(closed.text) == [ids[54]]
    assert listed(by_type.text) == [ids[50]]
    assert htmx.status_code == 200 and "<html" not in htmx.text and listed(htmx.text) == [ids[53]]
    assert bad_cursor.status_code == 422


async def test_a_second_case_of_the_same_kind_is_linked_and_the_page_speaks_russian(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    async with start_app(settings_for(make_settings, receiver, tmp_path)) as running:
        await build_case_world(running.hub)
        hub = running.hub
        conversation = await handed_over(hub, await shopper_conversation(running.client, hub, "s-11", "ценник"))
        first = await store_case(hub, conversation, "118", "Ценник 99/149")
        form = {"conversation": conversation.id, "request_type": "price_tag_mismatch", "store_id": "118",
                "description": "Снова про ценник", "key": "open-again-1"}
        async with browser(running, "anna") as (client, csrf):
            again = await client.post("/cases/new", data={**form, "csrf_token": csrf})
            await client.post("/language", data={"lang": "ru", "csrf_token": csrf, "next": "/cases"})
            page = await client.get(again.headers["location"])
        stored = await get_case(hub, first.id)

    assert again.status_code == 303 and again.headers["location"] == f"/cases/{first.id}?linked=1"
    assert page.status_code == 200 and 'lang="ru"' in page.text
    assert "новая привязана к ней" in page.text and "Маршрут заявки" in page.text
    assert "Снова про ценник" in page.text  # the duplicate's description, left as a comment on the first
    duplicate = stored.links.duplicates[0]
    assert f'<dt>Дубликат</dt><dd><a href="/cases/{duplicate}">#{first.number + 1}</a>' in page.text


async def test_a_photo_larger_than_the_request_limit_is_taken_on_the_attachment_route_only(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    settings = settings_for(make_settings, receiver, tmp_path, max_body_bytes=100_000, case_file_max_bytes=300_000)
    photo = b"\xff\xd8\xff\xe0" + b"0" * 200_000  # bigger than the general limit, within the attachment limit
    async with start_app(settings) as running:
        await build_case_world(running.hub)
        case = await store_case(running.hub, await shopper_conversation(running.client, running.hub, "s-9", "фото"),
                                "118", "Фото ценника")
        async with browser(running, "ivan") as (client, csrf):
            uploaded = await client.post(f"/cases/{case.id}/attachments",
                                         data={"csrf_token": csrf, "key": "photo-key-1"},
                                         files={"file": ("ценник.jpg", photo, "image/jpeg")})
            elsewhere = await client.post(f"/cases/{case.id}/comments",
                                          data={"csrf_token": csrf, "key": "comment-key-9", "text": "x" * 200_000})
        stored = await get_case(running.hub, case.id)

    assert uploaded.status_code == 303, uploaded.text
    assert [a.size for a in stored.attachments] == [len(photo)]
    assert elsewhere.status_code == 413 and stored.comments == []
