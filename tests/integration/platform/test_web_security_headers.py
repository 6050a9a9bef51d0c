"""Hardening headers: staff pages (sign-in, inbox, cases, admin) refuse framing and sniffing and send no
referrer to other sites; the public web chat stays embeddable on the chain's site."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hub.file_links import file_link
from models.staff import Role
from tests.web_login import create_user, sign_in

PASSWORD = "correct horse battery"
STAFF_PAGES = ["/login", "/inbox", "/cases", "/admin/users", "/inbox/board", "/no-such-page"]


def _hardened(headers: Any) -> bool:
    return (headers.get("x-content-type-options") == "nosniff" and headers.get("referrer-policy") == "same-origin"
            and headers.get("x-frame-options") == "DENY"
            and "frame-ancestors 'none'" in headers.get("content-security-policy", "")
            and "script-src 'self'" in headers.get("content-security-policy", ""))


async def test_staff_pages_cannot_be_framed_or_sniffed(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        anonymous = {path: await running.client.get(path, headers={"accept": "text/html"}) for path in STAFF_PAGES}
        await create_user(running.hub, "adm", PASSWORD, roles=[Role.ADMIN])
        await sign_in(running.client, "adm", PASSWORD)
        signed = {path: await running.client.get(path, headers={"accept": "text/html"}) for path in STAFF_PAGES}

    assert anonymous["/login"].status_code == 200 and signed["/admin/users"].status_code == 200
    for path in STAFF_PAGES:
        assert _hardened(anonymous[path].headers), (path, dict(anonymous[path].headers))
        assert _hardened(signed[path].headers), (path, dict(signed[path].headers))
        if signed[path].headers.get("content-type", "").startswith("text/html"):
            assert "no-store" in signed[path].headers.get("cache-control", ""), path
    assert signed["/admin/users"].headers["cache-control"] == "no-store"  # set by no route of its own


async def test_the_public_web_chat_stays_embeddable(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings(webchat_enabled=True)) as running:
        page = await running.client.get("/chat")

    assert page.status_code == 200 and '<script src="/static/webchat.js"' in page.text  # its own site's script
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in page.headers
    assert "frame-ancestors" not in page.headers.get("content-security-policy", "")


async def test_a_downloads_own_referrer_policy_is_kept(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        settings = running.hub.settings
        file_id = "ab" + "0" * 30
        folder = Path(settings.reply_files_dir) / file_id[:2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / file_id).write_bytes(b"receipt")
        link = file_link("http://otklik.test", settings.secret_key.get_secret_value(), file_id, "receipt.txt",
                         expires=int(time.time()) + 60)
        download = await running.client.get(link)
        static = await running.client.get("/static/htmx.min.js")

    assert download.status_code == 200 and download.content == b"receipt"
    assert download.headers["referrer-policy"] == "no-referrer"  # stricter than the default, and kept
    assert download.headers["x-frame-options"] == "DENY" and download.headers["x-content-type-options"] == "nosniff"
    assert static.status_code == 200 and _hardened(static.headers)
    assert "no-store" not in static.headers.get("cache-control", "")  # scripts and styles stay cacheable


async def test_the_api_docs_keep_their_scripts_but_refuse_framing(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:
        docs = await running.client.get("/docs")

    assert docs.status_code == 200 and "<script>" in docs.text  # swagger ui starts from an inline script
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert docs.headers["x-frame-options"] == "DENY"
