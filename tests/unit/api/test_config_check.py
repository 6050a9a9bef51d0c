"""`otklik check`'s findings, each at its file and line (api/config_check.py), on a real SQLite directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.config_check import ADMIN_ROUTES, DIRECTORY, check_configuration, shown
from hub.yaml_lines import YamlLines
from models.staff import GroupId, Role
from tests.inbox_fixtures import group, hub_on, operator

INBOX = """\
default_group: front
overflow_group: spare
routes:
  promo_code: loyalty
"""
CATALOGUE = """\
defaults: {escalation_group: bosses}
types:
  refund:
    title: {ru: Возврат, en: Refund}
    group: finance
  price:
    group: store
rules:
  - {request_type: refund, region: far_east, group: finance_east}
"""
CALENDARS = """\
calendars:
  default: {timezone: Europe/Moscow, hours: {daily: "09:00-21:00"}}
"""


def test_yaml_lines_find_keys_and_list_items(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(CATALOGUE, encoding="utf-8")
    lines = YamlLines(path)
    assert (lines.line("types", "refund", "group"), lines.line("rules", 0), lines.line("types", "nope")) == (5, 9, 2)
    assert YamlLines(tmp_path / "missing.yml").line("types") == 1


async def test_every_reference_to_a_missing_or_unstaffed_group_is_reported_where_it_is_written(
    make_settings: Any, tmp_path: Path,
) -> None:
    files = {name: tmp_path / f"{name}.yml" for name in ("inbox", "catalogue", "calendars")}
    for name, text in (("inbox", INBOX), ("catalogue", CATALOGUE), ("calendars", CALENDARS)):
        files[name].write_text(text, encoding="utf-8")
    settings = make_settings(inbox_config_path=str(files["inbox"]), cases_catalogue_path=str(files["catalogue"]),
                             calendars_path=str(files["calendars"]))
    async with hub_on(settings) as hub:
        await group(hub, "front")
        await operator(hub, "anna", ["front"])
        await group(hub, "spare")  # exists, but no operator: a warning, not an error
        await group(hub, "finance", calendar="office", escalation_group=GroupId("gone"))
        await operator(hub, "fin", ["finance"], roles=[Role.SPECIALIST])
        await hub.stores.inbox.set_route("order_status", "vanished")

        report = await check_configuration(hub.settings, hub.stores)

    inbox, catalogue, calendars = (shown(files[n]) for n in ("inbox", "catalogue", "calendars"))
    assert [str(p) for p in sorted(report.errors)] == sorted([
        f"{ADMIN_ROUTES}:0: route order_status (set on /admin/routing): no group 'vanished' in the directory",
        f"{DIRECTORY}:0: group 'finance' escalates to 'gone', which is not in the directory",
        f"{calendars}:1: group 'finance' works by calendar 'office', which is not defined here (known: default)",
        f"{catalogue}:1: defaults.escalation_group: no group 'bosses' in the directory",
        f"{catalogue}:9: rule 1: no group 'finance_east' in the directory",
        f"{inbox}:4: route promo_code: no group 'loyalty' in the directory",
    ])
    assert [str(p) for p in report.warnings] == [
        f"{inbox}:2: overflow_group: nobody works in group 'spare' (no active operator); its handovers go to the "
        "overflow group"]
    assert not report.ok and report.lines()[-1].startswith(f"{inbox}:2: warning: ")


async def test_a_broken_file_is_one_problem_at_its_name(make_settings: Any, tmp_path: Path) -> None:
    broken = tmp_path / "inbox.yml"
    broken.write_text("routes: [1, 2]\n", encoding="utf-8")
    async with hub_on(make_settings(inbox_config_path=str(broken))) as hub:
        report = await check_configuration(hub.settings, hub.stores)
    [problem] = [p for p in report.errors if p.file == shown(broken)]
    assert problem.line == 1 and "routes" in problem.message
