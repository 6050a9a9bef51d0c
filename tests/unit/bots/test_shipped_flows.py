"""The shipped retail flows (dialogs/flows) check clean and pass their conversation tests (dialogs/tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.actions import REGISTRY
from bots.flows import SHIPPED_FLOWS, known_intents
from dialogs.check import check
from dialogs.loader import load_flows
from dialogs.model import FlowSet
from dialogs.testing import ConversationTest, load_tests, run_test
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine

TESTS = SHIPPED_FLOWS.parent / "tests"
FLOWS: FlowSet = load_flows(SHIPPED_FLOWS)
CONVERSATIONS = load_tests(TESTS)


def test_shipped_flows_check_clean_against_our_intents_and_actions() -> None:
    assert check(FLOWS, intents=set(known_intents()), actions=set(REGISTRY)) == []


def test_every_flow_has_a_conversation_test_in_each_language() -> None:
    texts = "\n".join(p.read_text(encoding="utf-8") for p in Path(TESTS).glob("*.yml"))
    languages = {(t.name.rsplit("(", 1)[-1].rstrip(")")) for t in CONVERSATIONS}
    assert {"ru", "en"} <= languages
    for flow in FLOWS.flows:
        if flow not in {"welcome"}:  # the welcome is the conversation_started event in the greeting tests
            assert flow in texts or any(t in texts for t in _triggers(flow)), f"flow {flow} has no test"


def _triggers(flow_id: str) -> list[str]:
    flow = FLOWS.flows[flow_id]
    return [f"intent: {t.intent}" for t in flow.triggers.intent_triggers()] + \
        [f"deep_link: {c}" for c in flow.triggers.deep_links]


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[f"{Path(t.file).stem}: {t.name}" for t in CONVERSATIONS])
async def test_conversation(conversation: ConversationTest) -> None:
    outcome = await run_test(FLOWS, conversation, actions=set(REGISTRY))
    assert outcome.passed, "\n".join(str(f) for f in outcome.failures)


async def test_every_conversation_passes_with_the_trained_model_reading_the_untagged_turns(nlu_model: Path) -> None:
    engine = BuiltinEngine(ModelDirectory(nlu_model))  # answers like "118" or "Нет, спасибо" read for real
    failures = [str(f) for t in CONVERSATIONS
                for f in (await run_test(FLOWS, t, actions=set(REGISTRY), parse=engine.parse)).failures]
    assert failures == []
