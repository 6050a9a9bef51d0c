"""`otklik customers export|erase|audit` on the store of a running app (issue 16: personal data)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from api.cli import app as cli
from hub.settings import Settings
from tests.integration.inbox_world import customer_writes

TEXT = "Заказ 4512 не пришёл, мой e-mail anna@example.ru"


async def otklik(settings: Settings, *args: str) -> Result:
    """Run the CLI in a thread on the same SQLite file as the app."""
    env = {"OTKLIK_SECRET_KEY": "test-secret-key-0123456789", "OTKLIK_SQLITE_PATH": settings.sqlite_path,
           "OTKLIK_STORE": "sqlite", "OTKLIK_NLU_MODEL_DIR": settings.nlu_model_dir, "OTKLIK_DIALOGS_DIR": ""}
    return await asyncio.to_thread(CliRunner().invoke, cli, ["customers", *args], env=env)


async def test_export_erase_and_audit_from_the_command_line(
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    settings = make_settings()
    async with start_app(settings) as running:
        conversation = await customer_writes(running.client, running.hub, "u-7", TEXT)
        customer_id = conversation.customer_id
        as_json = await otklik(settings, "export", customer_id)
        page = tmp_path / "export.html"
        as_html = await otklik(settings, "export", customer_id, "--format", "html", "--out", str(page))
        unconfirmed = await otklik(settings, "erase", customer_id)
        erased = await otklik(settings, "erase", customer_id, "--yes")
        missing = await otklik(settings, "export", "no-such-customer")
        audit = await otklik(settings, "audit", "--customer", customer_id)
        stored = await running.hub.stores.messages.list_for_customer(customer_id)

    assert as_json.exit_code == 0, as_json.output
    exported = json.loads(as_json.stdout)
    assert exported["customer"]["id"] == customer_id
    assert TEXT in [m["text"] for m in exported["conversations"][0]["messages"]]
    assert as_html.exit_code == 0 and TEXT in page.read_text(encoding="utf-8")
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.output
    assert erased.exit_code == 0 and json.loads(erased.stdout)["identities"] == 1
    assert missing.exit_code == 1 and "not found" in missing.output
    assert {m.text for m in stored if m.direction.value == "inbound"} == {"erased"}
    lines = [line.split("\t") for line in audit.stdout.splitlines()]
    assert [(line[1], line[2]) for line in lines] == [("cli", "erase"), ("cli", "export"), ("cli", "export")]
