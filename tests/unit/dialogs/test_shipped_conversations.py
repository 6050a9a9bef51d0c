"""The shipped flows check clean, and every conversation test in dialogs/tests passes (one pytest case each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.check import check
from dialogs.loader import load_flows
from dialogs.model import FlowSet
from dialogs.testing import ConversationTest, load_tests, run_test
from dialogs.vocabulary import nlu_vocabulary

ROOT = Path(__file__).resolve().parents[3]
FLOWS, TESTS = ROOT / "dialogs" / "flows", ROOT / "dialogs" / "tests"
CONVERSATIONS = load_tests(TESTS) if TESTS.is_dir() else []


def _actions() -> set[str]:
    from bots.actions import REGISTRY

    return set(REGISTRY)


@pytest.fixture(scope="module")
def shipped() -> FlowSet:
    """The shipped flows."""
    return load_flows(FLOWS)


@pytest.mark.skipif(not FLOWS.is_dir(), reason="no shipped flows yet")
def test_the_shipped_flows_check_clean(shipped: FlowSet) -> None:
    known = nlu_vocabulary()
    found = check(shipped, intents=set(known.intents), actions=_actions(), entities=set(known.entities))
    assert [str(p) for p in found] == []


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c.name for c in CONVERSATIONS])
async def test_shipped_conversation(shipped: FlowSet, conversation: ConversationTest) -> None:
    outcome = await run_test(shipped, conversation, actions=_actions(), intents=set(nlu_vocabulary().intents))
    assert [str(f) for f in outcome.failures] == []
