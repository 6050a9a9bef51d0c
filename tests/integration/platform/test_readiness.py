"""/readyz names the NLU model version and the flows' digest the process serves, and follows a new model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bots.flows import SHIPPED_FLOWS
from dialogs.loader import load_flows
from nlu.artefacts import ModelDirectory
from tests.integration.model_support import small_model


async def test_readyz_names_the_served_model_and_flows_and_follows_a_newly_trained_model(
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    models = ModelDirectory(tmp_path / "nlu")
    models.save(small_model("order_status"))
    first = models.current_version()
    settings = make_settings(nlu_model_dir=str(models.root), dialogs_dir=str(SHIPPED_FLOWS), nlu_reload_seconds=0)
    async with start_app(settings) as running:
        before = (await running.client.get("/readyz")).json()
        models.save(small_model("delivery_status"))
        after = (await running.client.get("/readyz")).json()

    flows = load_flows(SHIPPED_FLOWS).version
    assert before == {"status": "ready", "store": "sqlite", "bus": "memory", "nlu_model": first, "flows": flows}
    assert after["nlu_model"] == models.current_version() != first and after["flows"] == flows


async def test_readyz_without_a_model_or_a_bot_says_so(make_settings: Any, start_app: Any) -> None:
    async with start_app(make_settings()) as running:  # no model trained, the bot off
        answer = await running.client.get("/readyz")

    assert answer.status_code == 200
    assert (answer.json()["nlu_model"], answer.json()["flows"]) == (None, None)
