"""Files attached to an operator's reply, against the real app on SQLite and a local api-channel receiver:
stored once, sent as signed expiring links the shopper's side can fetch, refused when they break the limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from hub.file_links import file_link
from models.conversations import Conversation
from models.messages import Direction, Message
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.inbox_world import PASSWORD, build_world, customer_writes, handed_over, inbox_settings
from tests.web_login import session_csrf, sign_in

PUBLIC = "https://otklik.example.ru"
SECRET = "test-secret-key-0123456789"  # tests/conftest.py's make_settings
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
PDF = b"%PDF-1.4 receipt 4512\n%%EOF"
Files = list[tuple[str, tuple[str, bytes, str]]]


def two_files() -> Files:
    """A photo and a receipt, as a browser posts them from one file input."""
    return [("files", ("фото товара.png", PNG, "image/png")), ("files", ("чек.pdf", PDF, "application/pdf"))]


def stored_files(root: Path) -> list[Path]:
    """Every complete file in the reply-files folder."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".part"))


def sent(receiver: HttpReceiver) -> list[dict[str, Any]]:
    """What the api channel delivered to the shopper's side, as JSON bodies."""
    return [json.loads(r.body) for r in receiver.requests]


async def operator_messages(running: Any, conversation: Conversation) -> list[Message]:
    """Outbound messages the operators wrote in the conversation."""
    found = await running.hub.stores.messages.list_for_conversation(conversation.id)
    return [m for m in found if m.direction is Direction.OUTBOUND and m.author == "operator"]


class Desk:
    """The app with the contact centre, one conversation claimed by anna, and anna's browser."""

    def __init__(self, running: Any, conversation: Conversation, client: httpx.AsyncClient, csrf: str) -> None:
        self.running, self.conversation, self.client, self.csrf = running, conversation, client, csrf
        self.base = f"/inbox/conversations/{conversation.id}"

    async def reply(self, key: str, files: Files, text: str = "Вот фото и чек", **extra: str) -> httpx.Response:
        """Anna's reply box posted with HTMX, as multipart with the files."""
        return await self.client.post(f"{self.base}/reply", headers={"hx-request": "true", "x-csrf-token": self.csrf},
                                      data={"text": text, "key": key, **extra}, files=files)


async def open_desk(running: Any, user_id: str) -> AsyncIterator[Desk]:
    """Anna signed in, holding a fresh handed-over conversation of shopper `user_id`."""
    await build_world(running.hub)
    conversation = await handed_over(running.hub, await customer_writes(
        running.client, running.hub, user_id, "Пришлите, пожалуйста, чек"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app), base_url="https://otklik.test") as c:
        await sign_in(c, "anna", PASSWORD)
        csrf = await session_csrf(c, running.hub)
        claimed = await c.post(f"/inbox/conversations/{conversation.id}/claim", data={"csrf_token": csrf})
        assert claimed.status_code == 303
        yield Desk(running, conversation, c, csrf)


def attach_settings(make_settings: Any, receiver: HttpReceiver, root: Path, **overrides: Any) -> Any:
    """Inbox settings with a public URL, a small size limit and three allowed types."""
    values: dict[str, Any] = {"public_url": PUBLIC, "reply_files_dir": str(root), "reply_file_max_bytes": 2048,
                              "reply_file_types": ["png", "pdf", "txt"], "reply_file_max_count": 3}
    return inbox_settings(make_settings, receiver, **{**values, **overrides})


@pytest.fixture
async def desk(make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path) -> AsyncIterator[Desk]:
    """The app with attachments enabled and anna at her desk."""
    async with start_app(attach_settings(make_settings, receiver, tmp_path / "reply-files")) as running:
        async for ready in open_desk(running, "att-1"):
            yield ready


async def test_a_reply_with_files_reaches_the_shopper_with_links_that_serve_the_bytes(
    desk: Desk, receiver: HttpReceiver, tmp_path: Path,
) -> None:
    before = len(receiver.requests)
    replied = await desk.reply("attach-key-0001", two_files())
    await receiver.wait_for(before + 1)
    body = sent(receiver)[before]
    links = [a["url"] for a in body["attachments"]]
    fetched = [await desk.running.client.get(urlsplit(u).path + "?" + urlsplit(u).query) for u in links]
    head = await desk.running.client.head(urlsplit(links[0]).path + "?" + urlsplit(links[0]).query)
    own = [await desk.client.get(f"{desk.base}/files/{urlsplit(u).path.split('/')[2]}") for u in links]

    assert replied.status_code == 200 and "фото товара.png" in replied.text and "чек.pdf" in replied.text
    assert f'href="{desk.base}/files/' in replied.text  # operators' links go through the signed-in route
    assert body["text"] == "Вот фото и чек"
    assert [(a["kind"], a["name"], a["mime_type"], a["size"]) for a in body["attachments"]] == [
        ("image", "фото товара.png", "image/png", len(PNG)), ("file", "чек.pdf", "application/pdf", len(PDF))]
    assert all(u.startswith(f"{PUBLIC}/files/") and "exp=" in u and "sig=" in u for u in links)
    assert [r.status_code for r in fetched] == [200, 200] and [r.content for r in fetched] == [PNG, PDF]
    assert fetched[0].headers["content-type"] == "image/png"
    assert fetched[1].headers["content-disposition"] == "attachment; filename*=UTF-8''%D1%87%D0%B5%D0%BA.pdf"
    assert all(r.headers["x-content-type-options"] == "nosniff" for r in fetched)
    assert head.status_code == 200 and head.content == b""
    assert [r.content for r in own] == [PNG, PDF] and own[0].headers["cache-control"] == "private, no-store"
    assert len(stored_files(tmp_path / "reply-files")) == 2


async def test_tampered_expired_or_unknown_links_all_answer_404_alike(desk: Desk, receiver: HttpReceiver) -> None:
    before = len(receiver.requests)
    await desk.reply("attach-key-0002", two_files()[:1])
    await receiver.wait_for(before + 1)
    good = urlsplit(sent(receiver)[before]["attachments"][0]["url"])
    file_id, name = good.path.split("/")[2], good.path.split("/")[3]
    query = dict(part.split("=", 1) for part in good.query.split("&"))
    flipped = query["sig"][:-1] + ("0" if query["sig"][-1] != "0" else "1")
    expired = urlsplit(file_link(PUBLIC, SECRET, file_id, "фото товара.png", expires=1_000_000_000))
    forged = urlsplit(file_link(PUBLIC, "another-secret-key-0123", file_id, "фото товара.png", expires=4_000_000_000))
    unknown = urlsplit(file_link(PUBLIC, SECRET, "0" * 32, "x.png", expires=4_000_000_000))
    attempts = {
        "signature": f"{good.path}?exp={query['exp']}&sig={flipped}",
        "name": f"/files/{file_id}/other.png?{good.query}",
        "expiry": f"{good.path}?exp={int(query['exp']) + 1}&sig={query['sig']}",
        "expired": f"{expired.path}?{expired.query}",
        "other key": f"{forged.path}?{forged.query}",
        "no signature": good.path,
        "junk": f"{good.path}?exp=soon&sig=%F0%9F%94%91",
        "unknown file": f"{unknown.path}?{unknown.query}",
    }
    answers = {why: await desk.running.client.get(url) for why, url in attempts.items()}

    assert (await desk.running.client.get(f"{good.path}?{good.query}")).content == PNG
    assert {why: r.status_code for why, r in answers.items()} == dict.fromkeys(attempts, 404)
    assert len({r.content for r in answers.values()}) == 1  # nothing tells a missing file from a bad link
    assert name == "%D1%84%D0%BE%D1%82%D0%BE%20%D1%82%D0%BE%D0%B2%D0%B0%D1%80%D0%B0.png"


async def test_a_resubmitted_reply_stores_and_sends_once(desk: Desk, receiver: HttpReceiver, tmp_path: Path) -> None:
    before = len(receiver.requests)
    first = await desk.reply("attach-key-0003", two_files())
    await receiver.wait_for(before + 1)
    again = await desk.reply("attach-key-0003", two_files())
    messages = await operator_messages(desk.running, desk.conversation)

    assert first.status_code == 200 and again.status_code == 200
    assert len(messages) == 1 and len(messages[0].attachments) == 2
    assert len(stored_files(tmp_path / "reply-files")) == 2
    assert len(receiver.requests) == before + 1


@pytest.mark.parametrize(("files", "status", "reason"), [
    ([("files", ("page.html", b"<script>alert(1)</script>", "text/html"))], 422, "file type .html is not accepted"),
    ([("files", ("note.txt", b"ok", "text/plain")), ("files", ("big.pdf", b"%" * 3000, "application/pdf"))],
     413, "'big.pdf' is over 2048 bytes"),
    ([("files", ("empty.txt", b"", "text/plain"))], 422, "is empty"),
    ([("files", (f"{n}.txt", b"x", "text/plain")) for n in range(4)], 422, "at most 3 files per reply"),
])
async def test_files_breaking_the_limits_are_refused_with_a_reason_and_nothing_is_sent(
    desk: Desk, receiver: HttpReceiver, tmp_path: Path, files: Files, status: int, reason: str,
) -> None:
    before = len(receiver.requests)
    refused = await desk.reply("attach-key-0004", files)
    messages = await operator_messages(desk.running, desk.conversation)

    assert refused.status_code == status and reason in refused.json()["error"]["reason"]
    assert messages == [] and len(receiver.requests) == before
    assert stored_files(tmp_path / "reply-files") == []  # the small file before the big one was removed again


async def test_without_a_public_url_attaching_is_refused_but_text_replies_still_work(
    make_settings: Any, receiver: HttpReceiver, start_app: Any, tmp_path: Path,
) -> None:
    root = tmp_path / "reply-files"
    async with start_app(attach_settings(make_settings, receiver, root, public_url=None)) as running:
        async for desk in open_desk(running, "att-2"):
            page = await desk.client.get(desk.base)
            before = len(receiver.requests)
            refused = await desk.reply("attach-key-0005", two_files())
            plain = await desk.reply("attach-key-0006", [], text="Только текст")
            await receiver.wait_for(before + 1)

    assert "OTKLIK_PUBLIC_URL" in page.text and 'name="files"' not in page.text
    assert refused.status_code == 409 and "OTKLIK_PUBLIC_URL" in refused.json()["error"]["reason"]
    assert plain.status_code == 200 and [b["text"] for b in sent(receiver)[before:]] == ["Только текст"]
    assert stored_files(root) == []


async def test_the_reply_box_offers_files_with_their_limits(desk: Desk) -> None:
    page = await desk.client.get(desk.base)

    assert 'enctype="multipart/form-data"' in page.text
    assert 'name="files"' in page.text and 'accept=".png,.pdf,.txt"' in page.text and "png, pdf, txt" in page.text


async def test_anonymous_wrong_group_and_forged_requests_store_and_send_nothing(
    desk: Desk, receiver: HttpReceiver, tmp_path: Path,
) -> None:
    url, before = f"{desk.base}/reply", len(receiver.requests)
    await desk.reply("attach-key-0007", two_files()[:1])
    await receiver.wait_for(before + 1)
    file_id = urlsplit(sent(receiver)[before]["attachments"][0]["url"]).path.split("/")[2]
    form = {"text": "x", "key": "attach-key-0008"}
    app = httpx.ASGITransport(app=desk.running.app)
    async with httpx.AsyncClient(transport=app, base_url="https://otklik.test") as anonymous:
        anon_post = await anonymous.post(url, data=form, files=two_files())
        anon_get = await anonymous.get(f"{desk.base}/files/{file_id}")
    async with httpx.AsyncClient(transport=app, base_url="https://otklik.test") as vera:
        await sign_in(vera, "vera", PASSWORD)  # an operator of the delivery group; the conversation is general's
        vera_csrf = await session_csrf(vera, desk.running.hub)
        vera_post = await vera.post(url, data={**form, "csrf_token": vera_csrf}, files=two_files(),
                                    headers={"accept": "application/json"})
        vera_get = await vera.get(f"{desk.base}/files/{file_id}")
    no_token = await desk.client.post(url, data=form, files=two_files())
    wrong_token = await desk.client.post(url, data={**form, "csrf_token": "nope"}, files=two_files())
    other_conversation = await desk.client.get(f"{desk.base}/files/{'0' * 32}")

    assert anon_post.status_code == 401 and anon_get.status_code in (303, 401)
    assert vera_post.status_code == 404 and vera_get.status_code == 404  # not hers to see: as if absent
    assert no_token.status_code == 403 and wrong_token.status_code == 403
    assert other_conversation.status_code == 404
    assert len(await operator_messages(desk.running, desk.conversation)) == 1
    assert len(receiver.requests) == before + 1 and len(stored_files(tmp_path / "reply-files")) == 1


async def test_files_of_a_reply_the_hub_refuses_are_removed_again(
    desk: Desk, receiver: HttpReceiver, tmp_path: Path,
) -> None:
    before = len(receiver.requests)
    refused = await desk.reply("attach-key-0009", two_files(), channel="telegram:nobody")

    assert refused.status_code == 409 and "cannot be reached" in refused.json()["error"]["reason"]
    assert await operator_messages(desk.running, desk.conversation) == []
    assert stored_files(tmp_path / "reply-files") == [] and len(receiver.requests) == before
