"""`otklik check` as an admin runs it: the demo's configuration checks out, a broken route is named by
file and line, and `otklik serve` refuses to start on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from api.demo.staff import seed_people
from hub.inbox.config import SHIPPED_INBOX_CONFIG
from tests.inbox_fixtures import hub_on
from tests.integration import processes


def otklik(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`otklik <args>` with the shipped configuration and the bot on (as the demo runs), on cwd's store."""
    environment = {k: v for k, v in processes.clean_env().items() if k != "OTKLIK_DIALOGS_DIR"}
    environment.update(OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_BUS_JOURNAL_PATH="",
                       OTKLIK_SQLITE_PATH=str(cwd / "otklik.sqlite3"), **env)
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120)


async def _demo_directory(make_settings: Any, tmp_path: Path) -> None:
    async with hub_on(make_settings(sqlite_path=str(tmp_path / "otklik.sqlite3"))) as hub:
        await seed_people(hub.stores.directory, "demo password")


async def test_the_demo_configuration_checks_out(make_settings: Any, tmp_path: Path) -> None:
    await _demo_directory(make_settings, tmp_path)

    checked = otklik(["check"], tmp_path)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "" and "no problems" in checked.stderr


async def test_a_route_to_a_missing_group_is_named_by_file_and_line_and_stops_serve(
    make_settings: Any, tmp_path: Path,
) -> None:
    await _demo_directory(make_settings, tmp_path)
    lines = SHIPPED_INBOX_CONFIG.read_text(encoding="utf-8").splitlines()
    broken_at = next(n for n, line in enumerate(lines, start=1) if line.strip().startswith("promo_code:"))
    lines[broken_at - 1] = "  promo_code: loyality   # a typo"
    config = tmp_path / "inbox.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    checked = otklik(["check"], tmp_path, OTKLIK_INBOX_CONFIG_PATH=str(config))
    served = otklik(["serve", "--port", "9"], tmp_path, OTKLIK_INBOX_CONFIG_PATH=str(config))

    assert checked.returncode == 1
    assert f"inbox.yml:{broken_at}: route promo_code: no group 'loyality' in the directory" in checked.stdout
    # the flow whose handovers now go nowhere is named too, at its own line
    assert "dialogs/flows/promo.yml:4: handovers of topic 'promo_code' go to group 'loyality'" in checked.stdout
    assert "2 errors" in checked.stderr
    assert served.returncode == 1 and "not starting: 2 configuration error(s)" in served.stderr
    assert f"inbox.yml:{broken_at}: route promo_code" in served.stderr


async def test_a_flow_calling_an_unknown_action_or_case_type_and_an_account_without_its_secret_are_reported(
    make_settings: Any, tmp_path: Path,
) -> None:
    await _demo_directory(make_settings, tmp_path)
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "hello.yml").write_text(
        "flows:\n  - id: hello\n    topic: general\n    triggers: {intents: [greet]}\n    steps:\n"
        "      - action: {name: no_such_action}\n      - action: {name: create_case, args: {request_type: spoilt}}\n"
        "      - end: true\n", encoding="utf-8")
    account = '[{"channel": "telegram", "id": "retail_bot", "token": "123:abc"}]'

    checked = otklik(["check"], tmp_path, OTKLIK_DIALOGS_DIR=str(flows), OTKLIK_ACCOUNTS=account)

    assert checked.returncode == 1
    assert "flows/hello.yml:6: unknown action 'no_such_action'" in checked.stdout
    assert "flows/hello.yml:7: request type 'spoilt' is not in the case catalogue" in checked.stdout
    assert "OTKLIK_ACCOUNTS:1: telegram account 'retail_bot' needs secrets.webhook_secret" in checked.stdout


async def test_a_broken_campaign_file_is_named_by_file_and_line_and_stops_serve(
    make_settings: Any, tmp_path: Path,
) -> None:
    await _demo_directory(make_settings, tmp_path)
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "spring.yml").write_text(
        "id: spring\nname: Весна\nplacements: [praise]\noffer:\n  source: pool\n  text: {ru: 'Код {code}'}\n"
        "control_share: 3\n", encoding="utf-8")

    checked = otklik(["check"], tmp_path, OTKLIK_CAMPAIGNS_DIR=str(folder))
    served = otklik(["serve", "--port", "9"], tmp_path, OTKLIK_CAMPAIGNS_DIR=str(folder))

    assert checked.returncode == 1
    assert "campaigns/spring.yml:6: offer.text: Value error, offer text needs every language: missing en" in (
        checked.stdout)
    assert "campaigns/spring.yml:7: control_share:" in checked.stdout
    assert served.returncode == 1 and "campaigns/spring.yml:6: offer.text" in served.stderr
