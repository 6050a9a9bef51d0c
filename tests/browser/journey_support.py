"""What the newcomer's-journey test shares: the demo's settings, a shopper's chat page, a demo login's browser, and
screenshots of one step at a desk (1366×768) and on a phone (390×844)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page

from hub.settings import Settings

DESK, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
LIVE = 20_000  # ms a live update may take on a loaded 2-core machine (the bot's first answer loads the model)
PASSWORD = "journey demo password"  # `otklik demo` generates one into .env; the test names its own


def demo_settings(make_settings: Any, nlu_model: Path) -> Settings:
    """Settings as `otklik demo` runs: the shipped flows, inbox routes and case catalogue, the demo CRM, and the
    session's model trained from nlu/data (what the demo trains at its first start; the demo-server test does)."""
    return make_settings(  # type: ignore[no-any-return]
        dialogs_dir=None, inbox_config_path=None, context_provider="demo", webchat_keepalive_seconds=5.0,
        nlu_model_dir=str(nlu_model))


async def shopper_chat(browser: Browser, base: str) -> tuple[BrowserContext, Page]:
    """A new shopper on the web chat page, in Russian, at a desk."""
    context = await browser.new_context(base_url=base, locale="ru-RU", viewport=DESK)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto("/chat")
    return context, page


async def signed_in(browser: Browser, base: str, login: str, start: str) -> Page:
    """A demo login signed in through the login form (its own browser context, in Russian), on `start`."""
    context = await browser.new_context(base_url=base, locale="ru-RU", viewport=DESK)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"/login?next={start}")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit].primary")
    await page.wait_for_url(f"**{start}")
    return page


class Shots:
    """Screenshots of the journey's steps, each at a desk and on a phone: journey-<step>-<width>.png."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: list[Path] = []

    async def __call__(self, page: Page, step: str) -> None:
        """The whole page at both sizes, then back to the desk."""
        for size in (DESK, PHONE):
            await page.set_viewport_size(size)  # type: ignore[arg-type]
            path = self.folder / f"journey-{step}-{size['width']}.png"
            if page.url.endswith("/chat"):
                await newest_in_view(page)
            else:
                await signing_out_in_view(page, size["width"])
            await page.screenshot(path=str(path), full_page=True)
            self.paths.append(path)
        await page.set_viewport_size(DESK)  # type: ignore[arg-type]


# The bottom of the log's last entry, minus the bottom of the log's visible box (<= 0: fully in view).
NEWEST_BELOW = """() => { const log = document.getElementById("log");
  return log.lastElementChild.getBoundingClientRect().bottom - log.getBoundingClientRect().bottom; }"""


async def newest_in_view(page: Page) -> None:
    """The chat's newest entry is in view (the log follows a window that shrinks, as a phone's keyboard does)."""
    for _ in range(50):  # the log re-pins on its next resize observation
        if await page.evaluate(NEWEST_BELOW) <= 1:
            return
        await page.wait_for_timeout(20)
    last = await page.evaluate("document.getElementById('log').lastElementChild.textContent")
    raise AssertionError(f"{last!r} is {await page.evaluate(NEWEST_BELOW)} px below the visible chat log")


async def signing_out_in_view(page: Page, width: int) -> None:
    """The top bar's last control (sign out) is inside the window, on a phone too."""
    box = await page.locator(".topbar form[action='/logout'] button").bounding_box()
    assert box is not None and box["x"] + box["width"] <= width, (page.url, box)
