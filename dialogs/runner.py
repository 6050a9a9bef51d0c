"""Executing steps within one turn: say, ask, buttons, branch, action, goto, end, handover."""

from __future__ import annotations

import random
import re
from typing import Any

from pydantic import JsonValue

from dialogs import summary as summaries
from dialogs.conditions import Facts, holds
from dialogs.model import (
    ActionStep,
    AnyStep,
    AskStep,
    BranchStep,
    ButtonsStep,
    EndStep,
    Flow,
    FlowSet,
    GotoStep,
    SayStep,
    Text,
)
from dialogs.templates import render, render_value
from dialogs.turns import (
    MAX_REMEMBERED_CHARS,
    ActionContext,
    Actions,
    Button,
    DialogState,
    HandoverRequest,
    Record,
    Reply,
    Said,
    StepResult,
    Turn,
)
from dialogs.validation import Waiting
from models.conversations import Priority
from models.nlu import Entity

MAX_STEPS_PER_TURN = 100  # a goto loop without a question would otherwise spin forever


class Stop(Exception):
    """The turn is over (the bot waits, ended the flow, or handed over)."""


class Runner:
    """The mutable state of one turn: the dialog state, the replies and records so far."""

    def __init__(self, flows: FlowSet, state: DialogState, turn: Turn, actions: Actions,
                 rng: random.Random) -> None:
        self.flows, self.state, self.turn, self.actions, self.rng = flows, state, turn, actions, rng
        self.replies: list[Reply] = []
        self.records: list[Record] = []
        self.handover: HandoverRequest | None = None
        self.facts = Facts(slots=state.slots, customer=turn.customer, channel=turn.channel, language="ru",
                           business_hours=False)
        self.budget = MAX_STEPS_PER_TURN
        self.cause = "flow"  # why a handover step is reached: an on_fail/on_error path passes its reason on

    def result(self) -> StepResult:
        """What the turn produced."""
        return StepResult(replies=self.replies, handover=self.handover, state=self.state, records=self.records)

    def record(self, kind: str, **detail: JsonValue) -> None:
        """Note something for the logs."""
        self.records.append(Record(kind=kind, detail=detail))

    def remember(self, who: str, text: str) -> None:
        """Keep a message for the handover summary (bounded: the last `rules.keep_messages`)."""
        keep = self.flows.rules.keep_messages
        if keep:
            said = Said(who="bot" if who == "bot" else "shopper", text=text[:MAX_REMEMBERED_CHARS])
            self.state.recent = [*self.state.recent, said][-keep:]

    def current_flow(self) -> Flow | None:
        """The running flow, if it still exists."""
        return self.flows.flow(self.state.flow) if self.state.flow else None

    def waiting_step_valid(self) -> bool:
        """Whether the state's waiting step still exists and is a question."""
        return self.state.step is None or self.waiting() is not None

    def waiting(self) -> Waiting | None:
        """The question the conversation waits on, if any."""
        flow = self.current_flow()
        index = flow.index(self.state.step) if flow is not None and self.state.step else None
        if flow is None or index is None:
            return None
        found = flow.steps[index]
        return Waiting(flow, index, found) if isinstance(found, AskStep | ButtonsStep) else None

    def text(self, text: Text) -> str:
        """One variant of the text in the shopper's language, with variables filled in."""
        variants = text.variants(self.state.language or "", self.flows.rules.default_language)
        return render(self.rng.choice(variants), self.state.slots, self.turn.customer)

    def say(self, text: Text, buttons: list[Button] | None = None) -> None:
        """Add a reply."""
        rendered = self.text(text)
        self.replies.append(Reply(text=rendered, buttons=buttons or []))
        self.remember("bot", rendered)

    async def start(self, flow: Flow, *, by: str, intent: str | None = None,
                    entities: list[Entity] | None = None) -> None:
        """Start a flow from its first step; entities of this message (or the given ones) fill the slots they name."""
        self.state.flow, self.state.step, self.state.attempts = flow.id, None, 0
        self.state.intent = intent
        self.record("flow_started", flow=flow.id, by=by)
        self._forget_fresh(flow)
        nlu = self.turn.nlu
        self._prefill(flow, entities if entities is not None else nlu.entities if nlu is not None else [])
        await self.run(flow, 0)

    def _forget_fresh(self, flow: Flow) -> None:
        for item in flow.steps:  # answers the flow wants fresh each time it starts
            if isinstance(item, AskStep) and not item.ask.reuse:
                self.state.slots.pop(item.ask.slot, None)

    def _prefill(self, flow: Flow, entities: list[Entity]) -> None:
        if not entities:
            return
        for entity in entities:  # what the shopper just said replaces what they said before
            self.state.slots[entity.entity] = entity.canonical
        for item in flow.steps:
            if isinstance(item, AskStep) and item.ask.slot not in self.state.slots:
                name = item.ask.entity or item.ask.slot
                found = next((e for e in entities if e.entity == name), None)
                if found is not None and (item.ask.regex is None or _fullmatch(item.ask.regex, found.canonical)):
                    self.state.slots[item.ask.slot] = found.canonical

    async def accept(self, waiting: Waiting, value: str) -> None:
        """A valid answer: fill the slot (or follow the button) and carry on; never returns."""
        self.state.step, self.state.attempts, self.state.unsure = None, 0, 0
        if isinstance(waiting.step, AskStep):
            await self._answered(waiting.flow, waiting.step, value)
        else:
            await self._pressed(waiting.flow, waiting.step, int(value))
        await self.run(waiting.flow, waiting.index + 1)

    async def _answered(self, flow: Flow, item: AskStep, value: str) -> None:
        self.state.slots[item.ask.slot] = value
        self.record("answered", slot=item.ask.slot)
        for button in item.ask.buttons:  # a quick reply that leads somewhere
            if button.goto and (button.value or button.title.all_strings()[0]) == value:
                await self.jump(flow, button.goto, reason="flow")

    async def _pressed(self, flow: Flow, item: ButtonsStep, index: int) -> None:
        option = item.buttons.options[index]
        chosen = option.value if option.value is not None else option.title.all_strings()[0]
        if item.buttons.slot:
            self.state.slots[item.buttons.slot] = chosen
        self.record("button", value=chosen)
        if option.goto:
            await self.jump(flow, option.goto, reason="flow")

    async def wrong_answer(self, waiting: Waiting) -> None:
        """Re-prompt, or after the limit take `on_fail` (default: hand over)."""
        question = waiting.step.ask if isinstance(waiting.step, AskStep) else waiting.step.buttons
        self.state.attempts += 1
        limit = question.max_attempts or self.flows.rules.max_attempts
        if self.state.attempts >= limit:
            self.record("question_failed", flow=waiting.flow.id, step=self.state.step, attempts=self.state.attempts)
            self.state.step, self.state.attempts = None, 0
            await self.jump(waiting.flow, question.on_fail or "handover", reason="failed_question")
        if self.state.unsure >= self.flows.rules.unsure_limit:
            await self.hand_over(reason="unsure", flow=waiting.flow)
        self.say(question.reprompt or self.flows.rules.reprompt, self._buttons(waiting.step))
        raise Stop

    def _buttons(self, item: AskStep | ButtonsStep) -> list[Button]:
        options = item.ask.buttons if isinstance(item, AskStep) else item.buttons.options
        shown = []
        for option in options:
            title = self.text(option.title)
            shown.append(Button(title=title, value=option.value if option.value is not None else title))
        return shown

    async def run(self, flow: Flow, index: int) -> None:
        """Execute steps from `index` until the flow waits, jumps, ends or hands over; never returns."""
        ids = flow.step_ids()
        for at in range(index, len(flow.steps)):
            self.budget -= 1
            if self.budget < 0:
                self.record("loop", flow=flow.id, step=ids[at])
                await self.hand_over(reason="loop", flow=flow)
            await self._execute(flow, ids[at], flow.steps[at])
        await self.finish(flow)

    async def _execute(self, flow: Flow, step_id: str, item: AnyStep) -> None:
        """One step; returns when the flow goes on to the next step."""
        if isinstance(item, SayStep):
            self.say(item.say)
        elif isinstance(item, AskStep | ButtonsStep):
            self._ask(flow, step_id, item)
        elif isinstance(item, BranchStep):
            for case in item.branch:
                if all(holds(c, self.facts) for c in case.conditions()):
                    await self.jump(flow, case.goto, reason="flow")
        elif isinstance(item, ActionStep):
            await self._action(flow, item)
        elif isinstance(item, GotoStep):
            await self.jump(flow, item.goto, reason="flow")
        elif isinstance(item, EndStep):
            await self.finish(flow)
        else:
            spec = item.handover
            await self.hand_over(reason=self.cause, flow=flow, topic=spec.topic, priority=spec.priority,
                                 text=spec.text, note=spec.note)

    def _ask(self, flow: Flow, step_id: str, item: AskStep | ButtonsStep) -> None:
        if isinstance(item, AskStep) and item.ask.slot in self.state.slots:
            return  # given earlier (maybe in another flow): not asked again
        self.state.flow, self.state.step, self.state.attempts = flow.id, step_id, 0
        self.say(item.ask.text if isinstance(item, AskStep) else item.buttons.text, self._buttons(item))
        raise Stop

    async def _action(self, flow: Flow, item: ActionStep) -> None:
        spec = item.action
        args = {k: render_value(v, self.state.slots, self.turn.customer) for k, v in spec.args.items()}
        context = ActionContext(conversation_id=self.turn.conversation_id, channel=self.turn.channel,
                                language=self.state.language or "", customer=dict(self.turn.customer),
                                slots=dict(self.state.slots), now=self.turn.now, flow=flow.id)
        try:
            if spec.name not in self.actions.names():
                raise LookupError(f"no action named {spec.name!r}")
            result = await self.actions.call(spec.name, args, context)
            if not isinstance(result, dict):
                raise TypeError(f"action {spec.name!r} returned {type(result).__name__}, not a dict")
        except Exception as e:  # an action's failure is the flow's business: it says where to go
            self.record("action", name=spec.name, ok=False, error=f"{type(e).__name__}: {e}"[:300])
            await self.jump(flow, spec.on_error or "handover", reason="action_error")
        self.record("action", name=spec.name, ok=True)
        if spec.save_as:
            self.state.slots[spec.save_as] = _json(result)
        for field, slot in spec.save.items():
            if field in result:
                self.state.slots[slot] = _json(result[field])

    async def jump(self, flow: Flow, target: str, *, reason: str) -> None:
        """Go to a step of this flow, another flow (or flow.step), `handover` or `end`; never returns."""
        if reason != "flow":
            self.cause = reason
        if target == "end":
            await self.finish(flow)
        if target == "handover":
            await self.hand_over(reason=reason, flow=flow)
        if "." not in target and flow.index(target) is not None:
            await self.run(flow, flow.index(target) or 0)
        flow_id, _, step_id = target.partition(".")
        other = self.flows.flow(flow_id)
        index = other.index(step_id) if other is not None and step_id else 0
        if other is None or index is None:  # `check` reports these; at run time a person takes over
            self.record("bad_target", flow=flow.id, target=target)
            await self.hand_over(reason="loop", flow=flow)
            return
        self.state.flow = other.id
        self.record("flow_started", flow=other.id, by="goto")
        if not step_id:  # going to a flow starts it: what it wants fresh is asked again (a new code, say)
            self._forget_fresh(other)
        await self.run(other, index)

    async def finish(self, flow: Flow) -> None:
        """The flow is over: end it, or hand over if the flow is `always_human`."""
        if flow.always_human:
            await self.hand_over(reason="always_human", flow=flow)
        self.state.flow, self.state.step, self.state.attempts = None, None, 0
        self.record("flow_ended", flow=flow.id)
        raise Stop

    async def hand_over(self, *, reason: str, flow: Flow | None = None, topic: str | None = None,
                        priority: Priority | None = None, text: Text | None = None, note: Text | None = None) -> None:
        """Tell the shopper, build the operator's note and summary, and end the bot's part."""
        flow = flow or self.current_flow()
        defaults = self.flows.rules.handover
        topic = topic or (flow.handover_topic if flow else None) or defaults.topic
        priority = priority or (flow.priority if flow else None) or defaults.priority
        self.say(text or defaults.text)
        language = self.state.language or self.flows.rules.default_language
        # the bot was unsure: it did not understand, or the shopper left its question or the fallback for a person
        unsure = reason == "unsure" or (flow is not None and flow.id == self.flows.rules.fallback_flow)
        data = summaries.summary(self.state, topic=topic, reason=reason, flow=flow.id if flow else None,
                                 unsure=unsure)
        self.handover = HandoverRequest(topic=topic, priority=priority, reason=reason, summary=data,
                                        note=summaries.note(self.text(note) if note else "", data, language))
        self.record("handover", topic=topic, reason=reason, priority=priority.value)
        self.state.flow, self.state.step, self.state.attempts, self.state.unsure = None, None, 0, 0
        self.state.handed_over = True
        raise Stop


def _fullmatch(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def _json(value: Any) -> JsonValue:
    """Action results as JSON values (anything else becomes its text), so the state stays serialisable."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return str(value)
