"""The steps of a flow: say, ask, buttons, branch, action, goto, end, handover (and their parts)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, JsonValue, Tag, field_validator, model_validator

from dialogs.nodes import Id, Node, SlotPath, Target, Text, check_regex
from models.conversations import Priority


class Button(Node):
    """A quick reply: its title, the value it answers with (default: the title) and where it leads."""

    title: Text = Field(description="what the button shows")
    value: str | None = Field(default=None, description="what pressing it answers (default: the title)")
    goto: Target | None = Field(default=None, description="where it leads (default: the next step)")


class Ask(Node):
    """A question that fills a slot, with validation, a re-prompt and a limit of wrong answers."""

    slot: Id = Field(description="the slot the answer fills; a filled slot is not asked again")
    text: Text = Field(description="the question")
    entity: str | None = Field(default=None, description="an NLU entity name: phone, email, order_id, "
                               "loyalty_card, amount, date, store_id, or a regex/lookup entity of nlu/data")
    regex: str | None = Field(default=None, description="the whole answer must match")
    reprompt: Text | None = Field(default=None, description="said after a wrong answer (default: rules.reprompt)")
    max_attempts: int | None = Field(default=None, ge=1, le=10,
                                     description="wrong answers before on_fail (default: rules.max_attempts)")
    on_fail: Target | None = Field(default=None, description="where to go after max_attempts (default: handover)")
    buttons: list[Button] = Field(default_factory=list, description="quick replies that answer the question")
    reuse: bool = Field(default=True, description="false: ask again each time the flow starts (unless the "
                                                  "message that started it gives the answer)")

    _check_regex = field_validator("regex")(check_regex)

    @model_validator(mode="after")
    def _one_validation(self) -> Ask:
        if self.entity is not None and self.regex is not None:
            raise ValueError("use either entity or regex, not both")
        return self


class Buttons(Node):
    """A question answered by pressing (or typing) one of the options."""

    text: Text = Field(description="the question above the buttons")
    options: list[Button] = Field(min_length=1)
    slot: Id | None = Field(default=None, description="the slot that gets the chosen value")
    reprompt: Text | None = Field(default=None, description="said after a message that is no option")
    max_attempts: int | None = Field(default=None, ge=1, le=10,
                                     description="wrong answers before on_fail (default: rules.max_attempts)")
    on_fail: Target | None = Field(default=None, description="where to go after max_attempts (default: handover)")


class Condition(Node):
    """One test: a subject (slot, customer, channel, language, business_hours) and, for slots, a test."""

    model_config = ConfigDict(populate_by_name=True)

    slot: SlotPath | None = None
    customer: str | None = None
    channel: str | list[str] | None = None
    language: str | list[str] | None = None
    business_hours: bool | None = None
    is_: JsonValue = Field(default=None, alias="is")
    is_not: JsonValue = None
    in_: list[JsonValue] | None = Field(default=None, alias="in")
    filled: bool | None = None
    matches: str | None = None
    above: float | None = None
    below: float | None = None

    _check_matches = field_validator("matches")(check_regex)

    @model_validator(mode="after")
    def _shape(self) -> Condition:
        subjects = [k for k in ("slot", "customer", "channel", "language", "business_hours")
                    if getattr(self, k) is not None]
        if len(subjects) != 1:
            raise ValueError("a condition needs exactly one of slot, customer, channel, language, business_hours")
        tests = self.tests()
        if subjects[0] in {"slot", "customer"} and len(tests) > 1:
            raise ValueError(f"use one test per condition (found {', '.join(tests)}); list conditions to combine")
        if subjects[0] not in {"slot", "customer"} and tests:
            raise ValueError(f"{subjects[0]} takes its value directly, without {tests[0]}")
        return self

    def tests(self) -> list[str]:
        """The tests given (is, is_not, in, filled, matches, above, below)."""
        names = {"is_": "is", "in_": "in"}
        return [names.get(k, k) for k in ("is_", "is_not", "in_", "filled", "matches", "above", "below")
                if k in self.model_fields_set]


class Case(Node):
    """A branch case: when the conditions (all of them) hold, go to the target."""

    when: Condition | list[Condition] | None = None
    goto: Target

    def conditions(self) -> list[Condition]:
        """The conditions as a list (empty: always)."""
        return [] if self.when is None else self.when if isinstance(self.when, list) else [self.when]


class Action(Node):
    """A call of a named Python action with arguments; the result can fill slots."""

    name: Id = Field(description="a registered action (bots/actions)")
    args: dict[str, JsonValue] = Field(default_factory=dict,
                                       description='arguments; "{slot}" passes the slot\'s value as it is')
    save: dict[str, Id] = Field(default_factory=dict, description="result field -> slot")
    save_as: Id | None = Field(default=None, description="the slot that gets the whole result")
    on_error: Target | None = Field(default=None, description="where to go if it fails (default: handover)")


class Handover(Node):
    """Hand the conversation to a person: topic (routing), priority, what the shopper hears, a note."""

    topic: Id | None = Field(default=None, description="routes to that topic's group (default: the flow's topic)")
    priority: Priority | None = Field(default=None, description="default: the flow's, else rules.handover.priority")
    text: Text | None = Field(default=None, description="what the shopper hears (default: rules.handover.text)")
    note: Text | None = Field(default=None, description="for the operator, before the bot's summary")


class SayStep(Node):
    """Say a text."""

    id: Id | None = None
    say: Text


class AskStep(Node):
    """Ask for a slot."""

    id: Id | None = None
    ask: Ask


class ButtonsStep(Node):
    """Offer quick replies."""

    id: Id | None = None
    buttons: Buttons


class BranchStep(Node):
    """Go where the first matching case says."""

    id: Id | None = None
    branch: list[Case] = Field(min_length=1)


class ActionStep(Node):
    """Call an action."""

    id: Id | None = None
    action: Action


class GotoStep(Node):
    """Jump to a step, a flow, `handover` or `end`."""

    id: Id | None = None
    goto: Target


class EndStep(Node):
    """End the flow."""

    id: Id | None = None
    end: Literal[True]


class HandoverStep(Node):
    """Hand over to a person."""

    id: Id | None = None
    handover: Handover


STEP_KINDS = ("say", "ask", "buttons", "branch", "action", "goto", "end", "handover")


def _step_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        found = [k for k in STEP_KINDS if k in value]
        return found[0] if len(found) == 1 else None
    if isinstance(value, BaseModel):
        return next((k for k in STEP_KINDS if hasattr(value, k)), None)
    return None


Step = Annotated[
    Annotated[SayStep, Tag("say")] | Annotated[AskStep, Tag("ask")] | Annotated[ButtonsStep, Tag("buttons")]
    | Annotated[BranchStep, Tag("branch")] | Annotated[ActionStep, Tag("action")]
    | Annotated[GotoStep, Tag("goto")] | Annotated[EndStep, Tag("end")] | Annotated[HandoverStep, Tag("handover")],
    Discriminator(_step_kind, custom_error_type="step_kind",
                  custom_error_message="a step needs exactly one of: " + ", ".join(STEP_KINDS)),
]
AnyStep = SayStep | AskStep | ButtonsStep | BranchStep | ActionStep | GotoStep | EndStep | HandoverStep


def kind_of(step: AnyStep) -> str:
    """The step's kind: say, ask, buttons, branch, action, goto, end or handover."""
    return next(k for k in STEP_KINDS if k in type(step).model_fields)
