"""The step function: one turn in, replies/handover/new state out. Cost depends on the flow, not the history.

    result = await step(flowset, state, Turn(text=..., nlu=parse_result, channel="telegram"), actions)
    send(result.replies); if result.handover: hand_over(...); save(result.state)

Order of decisions for a message (see dialogs/README.md): the answer to a clarifying question; a
request for a person; a structured answer to the waiting question (entity, regex, button); a close call
(ask which of two topics, see dialogs/clarify.py); an "always to a person" intent; a confident intent that
starts another flow (topic change, slots kept); a free-text answer; otherwise a wrong answer (re-prompt,
then `on_fail`) or, outside a question, the fallback and the unsure streak.
"""

from __future__ import annotations

import contextlib
import random

from dialogs import clarify
from dialogs.conditions import Facts, in_business_hours
from dialogs.model import ButtonsStep, Flow, FlowSet
from dialogs.runner import Runner, Stop
from dialogs.turns import ActionContext, Actions, Button, DialogState, HandoverRequest, Record, Reply, StepResult, Turn
from models.nlu import OUT_OF_SCOPE

MAX_ALSO = 5  # further topics kept for the operator

__all__ = ["ActionContext", "Actions", "Button", "DialogState", "HandoverRequest", "Record", "Reply",
           "StepResult", "Turn", "step"]


async def step(flows: FlowSet, state: DialogState, turn: Turn, actions: Actions,
               *, rng: random.Random | None = None) -> StepResult:
    """Run one turn of the conversation through the flows; `state` is not modified (the new one is returned)."""
    new = state.model_copy(deep=True)
    run = Runner(flows, new, turn, actions, rng or random.Random())
    _begin(run)
    with contextlib.suppress(Stop):  # Stop: the turn is over (the bot waits, ended or handed over)
        await _dispatch(run)
    return run.result()


def _begin(run: Runner) -> None:
    state, turn, rules = run.state, run.turn, run.flows.rules
    state.turns += 1
    if state.handed_over:  # the conversation came back to the bot: start afresh, keep what we know
        state.handed_over, state.flow, state.step = False, None, None
        state.clarifying, state.clarify_entities, state.also = [], [], []  # the operator has seen those
    detected = turn.language or (turn.nlu.language if turn.nlu is not None else None)
    pressed = turn.button_press or _pressed(run) or turn.text.strip() in (*state.clarifying, clarify.OTHER)
    if pressed:  # a button's payload ("human", "order_status") says nothing of the shopper's language
        detected = None
    if detected in rules.languages:
        state.language = detected
    elif state.language not in rules.languages:
        state.language = rules.default_language
    if state.flow is not None and (run.current_flow() is None or not run.waiting_step_valid()):
        run.record("state_reset", flow=state.flow, step=state.step)  # the flows changed under this conversation
        state.flow, state.step, state.attempts = None, None, 0
    if turn.text.strip():
        run.remember("shopper", turn.text)
    if turn.nlu is not None:  # further topics of one message: the main one drives, the operator sees the rest
        state.also = list(dict.fromkeys([*state.also, *(s.name for s in turn.nlu.also)]))[-MAX_ALSO:]
    run.facts = Facts(slots=state.slots, customer=turn.customer, channel=turn.channel, language=state.language,
                      business_hours=turn.business_hours if turn.business_hours is not None
                      else in_business_hours(rules.business_hours, turn.now))


def _pressed(run: Runner) -> bool:
    """Whether the text is the value of one of the buttons the conversation is waiting on."""
    waiting = run.waiting()
    if waiting is None or not isinstance(waiting.step, ButtonsStep):
        return False
    return run.turn.text.strip() in {b.value for b in waiting.step.buttons.options if b.value}


async def _dispatch(run: Runner) -> None:
    turn = run.turn
    if turn.event == "deep_link":
        flow = run.flows.by_deep_link.get(turn.deep_link or "")
        if flow is not None:
            await run.start(flow, by="deep_link")
        run.record("unknown_deep_link", code=turn.deep_link)  # an old or mistyped link: carry on as usual
    if turn.text.strip():
        await _message(run)
        return
    if turn.event == "conversation_started":
        flow = run.flows.by_event.get("conversation_started")
        if flow is not None:
            await run.start(flow, by="conversation_started")


async def _message(run: Runner) -> None:
    state, rules = run.state, run.flows.rules
    intent, confidence = _intent(run)
    if state.clarifying:  # first: «Другое / оператор» reads as a request for a person, but it says "unsure"
        await clarify.answered(run)
    if intent is not None and intent == rules.human_intent and confidence >= rules.min_confidence:
        await run.hand_over(reason="human_request")
    waiting = run.waiting()
    if waiting is not None and waiting.structured:
        value = waiting.answer(run.turn.text, run.turn.nlu, run.turn.today)
        if value is not None:
            await run.accept(waiting, value)
    offered = clarify.candidates(run)
    if offered and (waiting is None or isinstance(waiting.step, ButtonsStep)):  # never over a free-text answer
        clarify.ask(run, offered)
    if intent is not None and intent in rules.always_human and confidence >= rules.min_confidence:
        triggered = _triggered(run, intent, 0.0)
        await run.hand_over(reason="always_human", topic=triggered.handover_topic if triggered else intent,
                            priority=triggered.priority if triggered else None)
    started = _triggered(run, intent, confidence) if intent is not None else None
    menu = waiting is not None and isinstance(waiting.step, ButtonsStep)  # a menu invites any topic
    if started is not None and (state.flow is None or (
            started.id != state.flow and (menu or confidence >= rules.switch_confidence))):
        if state.flow is not None:
            run.record("topic_changed", old=state.flow, new=started.id)
        state.unsure = 0
        await run.start(started, by="intent", intent=intent)
    if waiting is not None:
        if not waiting.structured:
            value = waiting.answer(run.turn.text, run.turn.nlu, run.turn.today)
            if value is not None:
                await run.accept(waiting, value)
        _count_unsure(run, intent, confidence)
        await run.wrong_answer(waiting)
    await _not_understood(run, intent, confidence)


def _count_unsure(run: Runner, intent: str | None, confidence: float) -> None:
    """Extend or end the streak of messages the NLU was unsure of."""
    unsure = intent is None or intent == OUT_OF_SCOPE or confidence < run.flows.rules.unsure_below
    run.state.unsure = run.state.unsure + 1 if unsure else 0
    run.record("not_understood", intent=intent, confidence=round(confidence, 3), streak=run.state.unsure)


async def _not_understood(run: Runner, intent: str | None, confidence: float) -> None:
    rules = run.flows.rules
    welcome = run.flows.by_event.get("conversation_started") if run.turn.event == "conversation_started" else None
    if welcome is not None:  # a first message no flow takes still gets the welcome, not "I didn't get that"
        await run.start(welcome, by="conversation_started")
    _count_unsure(run, intent, confidence)
    if run.state.unsure >= rules.unsure_limit:
        await run.hand_over(reason="unsure")
    fallback = run.flows.flow(rules.fallback_flow) if rules.fallback_flow else None
    if fallback is not None:
        await run.start(fallback, by="fallback")
    run.say(rules.reprompt)


def _intent(run: Runner) -> tuple[str | None, float]:
    nlu = run.turn.nlu
    if nlu is None or nlu.out_of_scope:
        return None, 0.0 if nlu is None else nlu.confidence
    return nlu.intent, nlu.confidence


def _triggered(run: Runner, intent: str | None, confidence: float) -> Flow | None:
    for flow, minimum in run.flows.by_intent.get(intent or "", []):
        if confidence >= minimum:
            return flow
    return None

