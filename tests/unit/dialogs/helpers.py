"""Building flows, NLU results and turns for the dialog tests."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dialogs.engine import DialogState, StepResult, Turn, step
from dialogs.loader import load_text
from dialogs.model import FlowSet
from dialogs.testing import StubActions
from models.nlu import Entity, ParseResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dialogs"
NOON = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 12:00 in Moscow: business hours
NIGHT = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # midnight in Moscow


def flowset(text: str, file: str = "flows.yml") -> FlowSet:
    """A FlowSet from one YAML document (dedented)."""
    parsed = load_text(textwrap.dedent(text), file)
    return FlowSet(parsed.flows, parsed.rules)


def parse(text: str, intent: str = "out_of_scope", confidence: float = 0.95, language: str = "ru",
          **entities: str) -> ParseResult:
    """What the NLU would say: an intent with a confidence, entities spanning the text."""
    found = [Entity(entity=k, value=v, start=0, end=len(text), extractor="test", canonical=v)
             for k, v in entities.items()]
    return ParseResult(text=text, intent=intent, confidence=confidence, engine="test", entities=found,
                       language=language, out_of_scope=intent == "out_of_scope")


class Chat:
    """A conversation with the engine: say things, keep the state, look at the last result."""

    def __init__(self, flows: FlowSet, answers: dict[str, Any] | None = None, **turn: Any) -> None:
        self.flows = flows
        self.actions = StubActions(set(answers or {}), answers or {})
        self.state = DialogState()
        self.turn = {"now": NOON, "channel": "telegram", **turn}

    async def say(self, text: str, intent: str = "out_of_scope", confidence: float = 0.95, language: str = "ru",
                  **entities: str) -> StepResult:
        """One shopper message."""
        nlu = parse(text, intent, confidence, language, **entities)
        return await self.send(Turn(text=text, nlu=nlu, **self.turn))

    async def send(self, turn: Turn) -> StepResult:
        """One turn as given; the state carries over (through JSON, as the bot stores it)."""
        result = await step(self.flows, self.state, turn, self.actions)
        self.state = DialogState.model_validate_json(result.state.model_dump_json())
        return result
