"""Issue 16, low severity: the content security policy lacked default-src, style-src and form-action, and the
public web chat under /chat sent none. Now every page states all three, and no page of ours carries an inline
style attribute the policy would block."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from models.staff import Role
from tests.web_login import create_user, sign_in

PASSWORD = "correct horse battery"
WANTED = ("default-src 'self'", "style-src 'self'", "form-action 'self'", "script-src 'self'", "object-src 'none'")
TEMPLATES = Path(__file__).parents[2] / "api" / "templates"


def _directives(header: str) -> set[str]:
    return {d.strip() for d in header.split(";") if d.strip()}


async def test_staff_pages_and_the_web_chat_state_every_directive(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings(webchat_enabled=True)) as running:
        chat = await running.client.get("/chat")
        await create_user(running.hub, "adm", PASSWORD, roles=[Role.ADMIN])
        await sign_in(running.client, "adm", PASSWORD)
        admin = await running.client.get("/admin/groups/new")

    assert chat.status_code == 200 and admin.status_code == 200
    staff, public = (_directives(r.headers.get("content-security-policy", "")) for r in (admin, chat))
    assert set(WANTED) <= staff and "frame-ancestors 'none'" in staff
    assert set(WANTED) <= public
    assert not any(d.startswith("frame-ancestors") for d in public)  # the chain's site still frames the chat
    assert ' style="' not in admin.text and ' style="' not in chat.text


def test_no_template_carries_an_inline_style() -> None:
    inline = [f"{path.relative_to(TEMPLATES)}:{n}" for path in TEMPLATES.rglob("*.html")
              for n, line in enumerate(path.read_text().splitlines(), 1) if re.search(r"\sstyle=|<style", line)]
    assert inline == []
