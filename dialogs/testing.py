"""Conversation tests in YAML (`dialogs/tests/*.yml`): run by `otklik dialogs test` and by pytest.

Each test is a conversation through the real engine with stand-in actions: an action answers what the
test's `actions:` says (or `{}`) and every call is recorded so the test can assert on it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, JsonValue, ValidationInfo, field_validator

import nlu
from dialogs.engine import step
from dialogs.loader import flow_files, parse_yaml
from dialogs.model import FlowSet, Node
from dialogs.problems import FlowError, Problem
from dialogs.turns import ActionContext, DialogState, StepResult, Turn
from models.clock import known_timezone, local_date, utcnow
from models.conversations import Priority
from models.nlu import Entity, IntentScore, ParseResult
from nlu.entities import EntityExtractor
from nlu.language import detect
from nlu.rasa_yaml import load_paths

NLU_DATA = Path(nlu.__file__).resolve().parent / "data"


class Parse(Protocol):
    """An NLU engine's parse: relative dates in `text` count from `today`, the conversation's date."""

    def __call__(self, text: str, *, today: date | None = None) -> Awaitable[ParseResult]: ...


def _as_text(value: Any) -> Any:
    """`user: 104512` is what the shopper typed, not a number."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Typed = Annotated[str, BeforeValidator(_as_text)]


class ExpectedHandover(Node):
    """The handover a turn must produce (fields left out are not compared)."""

    topic: str | None = None
    priority: Priority | None = None
    reason: str | None = None


class ConversationTurn(Node):
    """What the shopper does in one turn and what must happen."""

    user: Typed | None = None
    event: Literal["conversation_started"] | None = None
    deep_link: str | None = None
    intent: str | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    # The NLU's reading is a close call between these topics (best first), the first being `intent` unless given.
    close_call: list[str] | None = Field(default=None, min_length=1, max_length=3)
    also: list[str] = Field(default_factory=list)  # further topics the message raises
    button: bool = False  # `user:` is a pressed button's payload (as connectors mark it), not typed text
    entities: dict[str, Typed] = Field(default_factory=dict)
    language: str | None = None
    bot: Typed | list[Typed] | None = None
    bot_regex: str | None = None
    not_bot: Typed | list[Typed] | None = None
    buttons: list[str] | None = None
    calls: dict[str, dict[str, JsonValue]] | list[str] | None = None
    handover: bool | ExpectedHandover | None = None
    no_handover: bool = False
    slots: dict[str, JsonValue] | None = None

    @field_validator("bot_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class ConversationTest(Node):
    """One scripted conversation."""

    name: str
    language: str | None = None
    channel: str = "api"
    customer: dict[str, JsonValue] = Field(default_factory=dict)
    timezone: Annotated[str, AfterValidator(known_timezone)] = "Europe/Moscow"
    now: datetime | None = None  # the conversation's clock; without it, relative dates count from the real today
    business_hours: bool | None = None
    actions: dict[str, dict[str, JsonValue] | list[dict[str, JsonValue]]] = Field(default_factory=dict)
    turns: list[ConversationTurn] = Field(min_length=1)

    @field_validator("now")
    @classmethod
    def _now_in_zone(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        # a `now` without an offset is wall time in the test's zone, never in the machine's
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(info.data.get("timezone", "Europe/Moscow")))
        return value


class ConversationFile(Node):
    """A file of conversation tests."""

    tests: list[ConversationTest] = Field(default_factory=list)


@dataclass
class Outcome:
    """One conversation test: its name, where it is, and the failures (empty: passed)."""

    name: str
    file: str
    line: int
    failures: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No failures."""
        return not self.failures


class StubActions:
    """Actions that answer from the test's `actions:` (a list: one answer per call) and record each call."""

    def __init__(self, known: set[str], answers: dict[str, dict[str, Any] | list[dict[str, Any]]]) -> None:
        self.known = set(known) | set(answers)
        self.answers = {k: list(v) if isinstance(v, list) else [v] for k, v in answers.items()}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def names(self) -> set[str]:
        """The known action names."""
        return self.known

    async def call(self, name: str, args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        """Record the call; answer the next scripted result (`{"error": ...}` raises)."""
        self.calls.append((name, args))
        queue = self.answers.get(name) or [{}]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if "error" in answer and len(answer) == 1:
            raise RuntimeError(str(answer["error"]))
        return dict(answer)


def load_tests(test_dir: Path) -> list[ConversationTest]:
    """Every conversation test under `test_dir`; FlowError names file:line of each problem."""
    found: list[ConversationTest] = []
    problems: list[Problem] = []
    for path in flow_files(test_dir) if test_dir.is_dir() else []:
        try:
            found.extend(parse_yaml(path.read_text(encoding="utf-8"), str(path), ConversationFile).tests)
        except FlowError as e:
            problems.extend(e.problems)
    if problems:
        raise FlowError(problems)
    return found


async def run_tests(flows: FlowSet, test_dir: Path, *, actions: set[str] | None = None,
                    intents: set[str] | None = None, parse: Parse | None = None, only: str = "") -> list[Outcome]:
    """Run the tests in `test_dir` (whose name contains `only`) with stand-in actions (each test's `actions:`)."""
    chosen = [t for t in load_tests(test_dir) if only.casefold() in t.name.casefold()]
    return [await run_test(flows, test, actions=actions or set(), intents=intents, parse=parse) for test in chosen]


async def run_test(flows: FlowSet, test: ConversationTest, *, actions: set[str], intents: set[str] | None = None,
                   parse: Parse | None = None) -> Outcome:
    """Run one conversation; every turn's expectations are compared, failures name the turn's line.

    With `actions` (and `intents`) known, a test that names others fails at once: a typo there would
    otherwise make it test something else.
    """
    outcome = Outcome(test.name, test.file, test.line)
    outcome.failures = _unknown_names(test, actions, intents)
    if outcome.failures:
        return outcome
    stub = StubActions(actions, test.actions)
    state = DialogState(language=test.language)
    rng = random.Random(test.name)  # random variants, but the same ones on every run of this test
    now = test.now or utcnow()  # one clock for the whole conversation: "вчера" is the day before it
    for turn_spec in test.turns:
        calls_before = len(stub.calls)
        turn = await _turn(test, turn_spec, parse, now)
        result = await step(flows, state, turn, stub, rng=rng)
        state = result.state
        for message in _compare(turn_spec, result, stub.calls[calls_before:]):
            outcome.failures.append(Problem(turn_spec.file, turn_spec.line, f"{test.name}: {message}"))
        if outcome.failures:
            break  # later turns depend on this one: their failures would only be noise
    return outcome


def _unknown_names(test: ConversationTest, actions: set[str], intents: set[str] | None) -> list[Problem]:
    found = [Problem(test.file, test.line, f"{test.name}: unknown action {name!r} in actions:")
             for name in test.actions if actions and name not in actions]
    return found + [Problem(t.file, t.line, f"{test.name}: unknown intent {name!r}") for t in test.turns
                    for name in [t.intent or "", *(t.close_call or []), *t.also]
                    if intents is not None and name and name not in intents]


async def _turn(test: ConversationTest, spec: ConversationTurn, parse: Parse | None, now: datetime) -> Turn:
    text = spec.user or ""
    nlu: ParseResult | None = None
    today = local_date(now, test.timezone)
    if text:
        explicit = spec.intent or spec.close_call
        nlu = _explicit(text, spec, test) if explicit else await (parse or no_model_parse)(text, today=today)
    event = "deep_link" if spec.deep_link else spec.event
    return Turn(text=text, language=spec.language or test.language, nlu=nlu, event=event, deep_link=spec.deep_link,
                channel=test.channel, customer=test.customer, business_hours=test.business_hours,
                conversation_id=f"test:{test.name}", now=now, timezone=test.timezone, button_press=spec.button)


def _explicit(text: str, spec: ConversationTurn, test: ConversationTest) -> ParseResult:
    entities = [Entity(entity=name, value=value, start=0, end=len(text), extractor="test", canonical=value)
                for name, value in spec.entities.items()]
    intent = spec.intent or (spec.close_call or [""])[0]
    named = spec.close_call or [intent]
    # a close call's candidates rank just apart, best first
    ranking = [IntentScore(name=n, confidence=max(0.0, spec.confidence - 0.05 * i)) for i, n in enumerate(named)]
    return ParseResult(text=text, intent=intent, confidence=spec.confidence, engine="test", ranking=ranking,
                       close_call=spec.close_call is not None, also=[IntentScore(name=n, confidence=spec.confidence)
                                                                     for n in spec.also],
                       entities=entities, language=spec.language or test.language or detect(text))


@lru_cache(maxsize=1)
def _extractor() -> EntityExtractor:
    return EntityExtractor.from_data(load_paths([NLU_DATA]))


async def no_model_parse(text: str, *, today: date | None = None) -> ParseResult:
    """Without a model: no intent (out of scope); entities as nlu/data's extractors find them."""
    entities = _extractor().extract(text, today or utcnow().date())
    return ParseResult(text=text, intent="out_of_scope", confidence=0.0, engine="test", out_of_scope=True,
                       entities=entities, language=detect(text))


def _compare(spec: ConversationTurn, result: StepResult, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    said = result.text
    folded = said.casefold()
    failures = [f"expected the bot to say {want!r}; it said {said!r}" for want in _list(spec.bot)
                if want.casefold() not in folded]
    if spec.bot_regex and not re.search(spec.bot_regex, said, re.I):
        failures.append(f"expected a reply matching /{spec.bot_regex}/; the bot said {said!r}")
    failures += [f"the bot must not say {bad!r}; it said {said!r}" for bad in _list(spec.not_bot)
                 if bad.casefold() in folded]
    if spec.buttons is not None:
        shown = [b.title for r in result.replies for b in r.buttons]
        failures += [f"expected a button {b!r}; shown: {shown}" for b in spec.buttons if b not in shown]
    failures += _compare_calls(spec, calls)
    failures += _compare_handover(spec, result)
    for slot, value in (spec.slots or {}).items():
        if result.state.slots.get(slot) != value:
            failures.append(f"expected slot {slot} = {value!r}; it is {result.state.slots.get(slot)!r}")
    return failures


def _compare_calls(spec: ConversationTurn, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    if spec.calls is None:
        return []
    wanted = {name: {} for name in spec.calls} if isinstance(spec.calls, list) else spec.calls
    failures = []
    for name, args in wanted.items():
        made = [a for n, a in calls if n == name]
        if not made:
            failures.append(f"expected a call of {name}; calls: {[n for n, _ in calls] or 'none'}")
        elif not any(all(a.get(k) == v for k, v in args.items()) for a in made):
            failures.append(f"expected {name} with {args}; it got {made}")
    return failures


def _compare_handover(spec: ConversationTurn, result: StepResult) -> list[str]:
    got = result.handover
    if spec.no_handover and got is not None:
        return [f"expected no handover; the bot handed over ({got.topic}, {got.reason})"]
    if spec.handover is None or spec.handover is False:
        return [] if spec.handover is None or got is None else ["expected no handover"]
    if got is None:
        return ["expected a handover; the bot did not hand over"]
    if isinstance(spec.handover, ExpectedHandover):
        want = spec.handover
        for name, value, actual in (("topic", want.topic, got.topic), ("priority", want.priority, got.priority),
                                    ("reason", want.reason, got.reason)):
            if value is not None and value != actual:
                return [f"expected handover {name} {value}; it is {actual}"]
    return []


def _list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else value
