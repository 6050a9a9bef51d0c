"""The chat page in the browser's language, with the strings its script needs and no inline script."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest


@pytest.mark.parametrize(("accept", "lang", "send", "queued"), [
    ("en-US,en;q=0.9", "en", "Send", "You are in the queue for an operator: {ahead} ahead of you."),
    ("ru-RU,ru;q=0.9,en;q=0.8", "ru", "Отправить", "Вы в очереди к оператору: перед вами {ahead}."),
    ("de-DE", "ru", "Отправить", "Вы в очереди к оператору: перед вами {ahead}."),  # the default language
])
async def test_the_chat_page_speaks_the_browsers_language(
    make_settings: Any, start_app: Any, accept: str, lang: str, send: str, queued: str
) -> None:
    async with start_app(make_settings()) as running:
        page = await running.client.get("/chat", headers={"accept-language": accept})

    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert f'<button type="submit">{send}</button>' in page.text
    found = re.search(r"data-strings='([^']*)'", page.text)
    assert found is not None
    strings = json.loads(html.unescape(found.group(1)))
    assert strings["queued_at"] == queued and "{name}" in strings["joined"]
    assert "<script>" not in page.text and '<script src="/static/webchat.js" defer></script>' in page.text
