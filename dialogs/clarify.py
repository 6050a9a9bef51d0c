"""Asking when unsure: a close call gets a question with the two candidate topics and «Другое / оператор».

The NLU marks a reading a close call when its first two topics are close or its confidence is middling
(models.nlu.ParseResult.close_call). Rather than guess, the bot offers the candidates as buttons; pressing
one starts that topic's flow (with the entities of the message asked about), or hands over for a topic
people answer; «Другое / оператор» hands over. Only topics with a title in `rules.clarify.topics` and a
flow or a handover route (`rules.always_human`) are ever offered.
"""

from __future__ import annotations

from dialogs.model import Clarify, Flow, FlowSet
from dialogs.nodes import Text
from dialogs.runner import Runner, Stop
from dialogs.turns import Button
from models.nlu import OUT_OF_SCOPE

OTHER = "human"  # the value of «Другое / оператор»: the same payload as every "Operator" button
MAX_CANDIDATES = 2


def route(flows: FlowSet, intent: str) -> Flow | None:
    """The flow an intent starts, whatever its confidence (the shopper chose it)."""
    found = flows.by_intent.get(intent, [])
    return found[0][0] if found else None


def offerable(flows: FlowSet, intent: str) -> bool:
    """Whether the question may name this topic: it has a title, and a flow or a handover route."""
    rules = flows.rules
    if rules.clarify is None or intent not in rules.clarify.topics:
        return False
    if intent in (OUT_OF_SCOPE, rules.human_intent):
        return False
    return intent in rules.always_human or route(flows, intent) is not None


def candidates(run: Runner) -> list[str]:
    """The topics to offer for this turn's reading (empty: do not ask)."""
    nlu = run.turn.nlu
    if nlu is None or not nlu.close_call or run.flows.rules.clarify is None:
        return []
    offered = [s.name for s in nlu.ranking[:MAX_CANDIDATES] if offerable(run.flows, s.name)]
    return offered if offered and offerable(run.flows, nlu.ranking[0].name) else []


def ask(run: Runner, offered: list[str]) -> None:
    """Ask which topic the shopper means; the turn ends here."""
    spec = run.flows.rules.clarify
    assert spec is not None  # candidates() offers nothing without it
    buttons = [Button(title=run.text(spec.topics[name]), value=name) for name in offered]
    buttons.append(Button(title=run.text(spec.other), value=OTHER))
    run.state.clarifying = offered
    run.state.clarify_entities = list(run.turn.nlu.entities) if run.turn.nlu is not None else []
    run.record("clarify", candidates=list(offered))
    run.say(spec.text, buttons)
    raise Stop


async def answered(run: Runner) -> None:
    """Follow the shopper's choice (a candidate's flow, or a person); anything else is an ordinary message."""
    offered, entities = run.state.clarifying, run.state.clarify_entities
    run.state.clarifying, run.state.clarify_entities = [], []
    spec = run.flows.rules.clarify
    choice = _choice(run.turn.text, offered, spec) if spec is not None else None
    if choice is None:
        run.record("clarify_skipped")  # the shopper typed something else: read it as usual
        return
    run.record("clarified", choice=choice)
    if choice == OTHER:
        await run.hand_over(reason="unsure")
    run.state.unsure = 0
    flow = route(run.flows, choice)
    if flow is None or choice in run.flows.rules.always_human:
        await run.hand_over(reason="always_human", topic=flow.handover_topic if flow else choice, flow=flow)
        return
    await run.start(flow, by="clarify", intent=choice, entities=entities)


def _choice(text: str, offered: list[str], spec: Clarify) -> str | None:
    """The offered topic (or OTHER) the text names: a button's value or any of its titles."""
    said = text.strip().casefold()
    for name in offered:
        if said == name.casefold() or said in _titles(spec.topics[name]):
            return name
    return OTHER if said == OTHER or said in _titles(spec.other) else None


def _titles(text: Text) -> set[str]:
    return {t.strip().casefold() for t in text.all_strings()}
