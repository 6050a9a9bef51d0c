"""Report pages and the reports REST API (issue 17)."""

from __future__ import annotations

from collections.abc import Callable

from api.reports import pages, rest
from api.templating import templates


def rlabel(text: str, t: Callable[..., str]) -> str:
    """A report label in the page's language when there is a translation, else as the report named it."""
    key = text if text.startswith("reports.") else f"reports.label.{text}"
    found = t(key)
    if found != key:
        return found
    return text.rsplit(".", 1)[-1] if text.startswith("reports.") else text


templates.env.filters["rlabel"] = rlabel

routers = [rest.router, pages.router]
