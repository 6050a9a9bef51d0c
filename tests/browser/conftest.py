"""Browser tests: Playwright drives Debian's chromium (`./run test` installs it; never `playwright install`)
against the real app served by uvicorn on a free 127.0.0.1 port."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("OTKLIK_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artefacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


@pytest.fixture
def chromium_path() -> Path:
    """Debian's chromium; the test is skipped (saying why) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `./run test` installs Debian's chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
async def chromium(chromium_path: Path) -> AsyncIterator[object]:
    """A headless chromium driven by Playwright; skipped (saying why) when Playwright is missing."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the playwright package is missing: `./run test` installs the dev extras")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def screenshots() -> Path:
    """Where the tests leave screenshots of the main pages (gitignored artefacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
