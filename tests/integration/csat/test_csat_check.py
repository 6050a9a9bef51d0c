"""`otklik check` proves a low CSAT score lands with people: `csat.low_score_group` must name a group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from api.config_check import check_configuration
from models.staff import Group, GroupId
from tests.inbox_fixtures import hub_on


def inbox_file(tmp_path: Path, group: str, *, enabled: bool = True) -> tuple[str, int]:
    """An inbox config whose CSAT low scores go to `group`, and the line that names it."""
    path = tmp_path / f"inbox-{group}-{enabled}.yml"
    text = yaml.safe_dump({"default_group": "general", "csat": {
        "enabled": enabled, "low_score": 2, "low_score_group": group}}, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return str(path), next(n for n, line in enumerate(text.splitlines(), start=1) if "low_score_group" in line)


async def problems(make_settings: Any, path: str) -> list[str]:
    """The check's errors for this inbox config, with the general line and the supervisors in the directory."""
    async with hub_on(make_settings(inbox_config_path=path)) as hub:
        await hub.stores.directory.upsert_groups([Group(id=GroupId("general"), name="Общая линия"),
                                                  Group(id=GroupId("supervisors"), name="Старшие смены")])
        report = await check_configuration(hub.settings, hub.stores)
    return [f"{p.file}:{p.line}: {p.message}" for p in report.errors]


async def test_a_low_score_group_missing_from_the_directory_is_an_error_at_its_line(
    make_settings: Any, tmp_path: Path
) -> None:
    path, line = inbox_file(tmp_path, "supervisers")

    found = await problems(make_settings, path)

    assert [p for p in found if "csat" in p] == [
        f"{path}:{line}: csat.low_score_group: no group 'supervisers' in the directory"]


async def test_an_existing_group_or_csat_switched_off_checks_out(make_settings: Any, tmp_path: Path) -> None:
    assert [p for p in await problems(make_settings, inbox_file(tmp_path, "supervisors")[0]) if "csat" in p] == []
    assert [p for p in await problems(make_settings, inbox_file(tmp_path, "nobody", enabled=False)[0])
            if "csat" in p] == []
