"""The configuration's problems (`otklik check`, api/config_check.py) at the top of every admin page.

Checked on the first admin page a process serves, again when the last check is older than
REFRESH_SECONDS, and on the page after any admin form was sent (a new group or a route may fix or
cause a problem), so a fix shows up at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request

from api.config_check import check_configuration
from api.config_problems import Report
from hub.core import Hub

REFRESH_SECONDS = 30.0


@dataclass(frozen=True)
class ConfigProblems:
    """The last check's problems as the page shows them."""

    errors: int
    warnings: int
    lines: list[str]

    @classmethod
    def of(cls, report: Report) -> ConfigProblems:
        """The view of a report."""
        return cls(len(report.errors), len(report.warnings), report.lines())


@dataclass(frozen=True)
class _Checked:
    at: float  # time.monotonic(): only ever compared with itself
    problems: ConfigProblems


async def config_problems(request: Request) -> None:
    """Router dependency: put the current problems on `request.state.config_problems` for the admin layout."""
    if request.method != "GET":
        request.app.state.config_checked = None  # this request changes something: check again on the next page
        return
    checked: _Checked | None = getattr(request.app.state, "config_checked", None)
    now = time.monotonic()
    if checked is None or now - checked.at > REFRESH_SECONDS:
        hub: Hub = request.app.state.hub
        checked = _Checked(now, ConfigProblems.of(await check_configuration(hub.settings, hub.stores)))
        request.app.state.config_checked = checked
    request.state.config_problems = checked.problems

