"""The flow language as pydantic models: what `dialogs/flows/*.yml` may contain (see dialogs/README.md).

The parts live in `dialogs/nodes.py` (ids, texts) and `dialogs/steps.py` (the steps); everything is
importable from here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from dialogs.nodes import ANY, SPECIAL_TARGETS, Id, Node, SlotPath, Target, Text, Variants
from dialogs.steps import (
    STEP_KINDS,
    Action,
    ActionStep,
    AnyStep,
    Ask,
    AskStep,
    BranchStep,
    Button,
    Buttons,
    ButtonsStep,
    Case,
    Condition,
    EndStep,
    GotoStep,
    Handover,
    HandoverStep,
    SayStep,
    Step,
    kind_of,
)
from models.clock import known_timezone
from models.conversations import Priority

__all__ = [
    "ANY", "SPECIAL_TARGETS", "STEP_KINDS", "WEEKDAYS", "Action", "ActionStep", "AnyStep", "Ask",
    "AskStep", "BranchStep", "BusinessHours", "Button", "Buttons", "ButtonsStep", "Case", "Clarify", "Condition",
    "EndStep",
    "Flow", "FlowFile", "FlowSet", "GotoStep", "Handover", "HandoverDefaults", "HandoverStep", "Id",
    "IntentTrigger", "Node", "Rules", "SayStep", "SlotPath", "Step", "Target", "Text", "Triggers", "Variants",
    "kind_of",
]


class IntentTrigger(Node):
    """An intent that starts the flow, with its own minimum confidence."""

    intent: str
    min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class Triggers(Node):
    """What starts a flow: intents, events, deep-link codes."""

    intents: list[str | IntentTrigger] = Field(default_factory=list)
    events: list[Literal["conversation_started"]] = Field(default_factory=list)
    deep_links: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]] = Field(default_factory=list)

    def intent_triggers(self) -> list[IntentTrigger]:
        """Intents as IntentTrigger (a bare name has no own minimum)."""
        return [IntentTrigger(intent=t) if isinstance(t, str) else t for t in self.intents]


class Flow(Node):
    """A named list of steps with its triggers."""

    id: Id
    topic: Id | None = Field(default=None, description="the handover topic (routing to a group); default: the id")
    languages: list[str] | None = Field(default=None, description="languages every text needs (rules.languages)")
    priority: Priority | None = Field(default=None, description="the priority of handovers from this flow")
    always_human: bool = Field(default=False, description="hand over instead of ending (with everything filled)")
    triggers: Triggers = Field(default_factory=Triggers, description="what starts the flow")
    steps: list[Step] = Field(min_length=1, description="run top to bottom until one waits, jumps or ends")

    def step_ids(self) -> list[str]:
        """Each step's id; unnamed steps are `step<N>` (1-based)."""
        return [s.id or f"step{i + 1}" for i, s in enumerate(self.steps)]

    def index(self, step_id: str) -> int | None:
        """The position of a step by id, or None."""
        ids = self.step_ids()
        return ids.index(step_id) if step_id in ids else None

    @property
    def handover_topic(self) -> str:
        """The topic a handover from this flow carries by default."""
        return self.topic or self.id


class HandoverDefaults(Node):
    """Defaults for every handover."""

    topic: Id = "general"
    priority: Priority = Priority.NORMAL
    text: Text = Text({"ru": "Соединяю с оператором, он ответит в этом чате.",
                       "en": "Connecting you to an operator who will answer in this chat."})


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class BusinessHours(Node):
    """When people are at work, for `business_hours` conditions."""

    timezone: str = "Europe/Moscow"
    open: Clock = "09:00"
    close: Clock = "21:00"
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_timezone(value)


class Clarify(Node):
    """The question the bot asks when the NLU's reading is a close call: the two candidates, or a person."""

    text: Text = Field(default=Text({"ru": "Уточните, пожалуйста, о чём ваш вопрос:",
                                     "en": "Just to be sure, what is your question about?"}))
    other: Text = Field(default=Text({"ru": "Другое / оператор", "en": "Something else / operator"}),
                        description="the button that hands over instead")
    topics: dict[str, Text] = Field(default_factory=dict, description="each topic's title on its button; "
                                    "a topic without a title (or without a flow or handover route) is never offered")


class Rules(Node):
    """Global rules: thresholds, when to hand over, defaults."""

    languages: list[str] = Field(default_factory=lambda: ["ru", "en"], description="languages every text needs")
    default_language: str = Field(default="ru", description="for a shopper whose language is not known yet")
    min_confidence: float = Field(default=0.6, ge=0.0, le=1.0, description="for intent triggers without their own")
    switch_confidence: float = Field(default=0.75, ge=0.0, le=1.0,
                                     description="how sure a different intent must be to switch flows mid-flow")
    human_intent: str | None = Field(default="human_request", description="the intent of asking for a person")
    unsure_below: float = Field(default=0.45, ge=0.0, le=1.0, description="NLU confidence below this is unsure")
    unsure_limit: int = Field(default=2, ge=1, le=20, description="unsure messages in a row before a handover")
    max_attempts: int = Field(default=2, ge=1, le=10, description="wrong answers to one question before on_fail")
    always_human: list[str] = Field(default_factory=list, description="intents that go straight to a person")
    fallback_flow: Id | None = Field(default=None, description="the flow for a message no flow takes")
    keep_messages: int = Field(default=6, ge=0, le=50, description="last messages kept for the handover summary")
    handover: HandoverDefaults = Field(default_factory=HandoverDefaults)
    reprompt: Text = Field(default=Text({"ru": "Не понял ответ. Попробуйте, пожалуйста, ещё раз.",
                                         "en": "Sorry, I didn't get that. Please try again."}),
                           description="said after a wrong answer when the question has no reprompt")
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    clarify: Clarify | None = Field(default=None, description="ask on a close call (none: act on the top topic)")


class FlowFile(Node):
    """One YAML file: flows and/or the global rules."""

    flows: list[Flow] = Field(default_factory=list)
    rules: Rules | None = None


class FlowSet:
    """Every flow and the rules, indexed for the engine (built once per load, read-only afterwards)."""

    def __init__(self, flows: list[Flow], rules: Rules | None = None, version: str = "") -> None:
        self.flows: dict[str, Flow] = {f.id: f for f in flows}
        self.rules = rules or Rules()
        self.version = version  # a fingerprint of the files, for logs
        self.by_intent: dict[str, list[tuple[Flow, float]]] = {}
        self.by_event: dict[str, Flow] = {}
        self.by_deep_link: dict[str, Flow] = {}
        for flow in flows:
            for trigger in flow.triggers.intent_triggers():
                minimum = trigger.min_confidence if trigger.min_confidence is not None else self.rules.min_confidence
                self.by_intent.setdefault(trigger.intent, []).append((flow, minimum))
            for event in flow.triggers.events:
                self.by_event.setdefault(event, flow)
            for code in flow.triggers.deep_links:
                self.by_deep_link.setdefault(code, flow)

    def flow(self, flow_id: str) -> Flow | None:
        """The flow with this id, or None."""
        return self.flows.get(flow_id)

    def languages(self, flow: Flow) -> list[str]:
        """The languages the flow's texts must have."""
        return flow.languages if flow.languages is not None else self.rules.languages
