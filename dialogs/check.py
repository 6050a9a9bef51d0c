"""`otklik dialogs check`: every problem of a loaded FlowSet, each with file and line."""

from __future__ import annotations

from collections import deque

from dialogs.graph import Graph, StepRef, build, texts, uses
from dialogs.model import ANY, ActionStep, AskStep, FlowSet, Node, Text
from dialogs.problems import Problem


def check(flowset: FlowSet, *, intents: set[str] | None, actions: set[str] | None,
          entities: set[str] | None = None) -> list[Problem]:
    """Unknown references/actions/intents/entities, slots used before filled, unreachable steps, languages.

    `None` for intents, actions or entities skips that check (nothing known to compare with).
    """
    graph = build(flowset)
    problems = _references(flowset, graph)
    if intents is not None:
        problems += _intents(flowset, intents)
    if actions is not None:
        problems += _actions(flowset, actions)
    if entities is not None:
        problems += _entities(flowset, entities)
    problems += _triggers(flowset)
    problems += _unreachable(flowset, graph)
    problems += _slots(flowset, graph)
    problems += _languages(flowset)
    return sorted(set(problems))


def _at(node: Node | Text, message: str) -> Problem:
    if not node.file:  # the built-in rules (no `rules:` in any file)
        return Problem("<built-in rules>", 0, message)
    return Problem(node.file, node.line, message)


def _references(flowset: FlowSet, graph: Graph) -> list[Problem]:
    problems = [_at(jump.node, f"{jump.target!r} is not a step of flow {flow.id!r}, a flow, handover or end")
                for flow, jump in graph.broken]
    fallback = flowset.rules.fallback_flow
    if fallback and flowset.flow(fallback) is None:
        problems.append(_at(flowset.rules, f"rules.fallback_flow: no flow named {fallback!r}"))
    for flow in flowset.flows.values():
        seen: set[str] = set()
        for item in flow.steps:
            if item.id in seen:
                problems.append(_at(item, f"flow {flow.id!r}: step id {item.id!r} is used twice"))
            seen.add(item.id or "")
        problems += [_at(s, f"step id {s.id!r} is reserved") for s in flow.steps if s.id in {"handover", "end"}]
    return problems


def _intents(flowset: FlowSet, intents: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for flow in flowset.flows.values():
        for trigger in flow.triggers.intent_triggers():
            if trigger.intent not in intents:
                problems.append(_at(flow.triggers, f"flow {flow.id!r}: unknown intent {trigger.intent!r}"))
    rules = flowset.rules
    named = [rules.human_intent] if rules.human_intent else []
    problems += [_at(rules, f"rules: unknown intent {i!r}") for i in [*named, *rules.always_human] if i not in intents]
    return problems + _clarify_topics(flowset, intents)


def _clarify_topics(flowset: FlowSet, intents: set[str]) -> list[Problem]:
    """A clarifying question may only name topics the NLU knows and a flow or a handover route takes."""
    rules = flowset.rules
    if rules.clarify is None:
        return []
    routed = set(flowset.by_intent) | set(rules.always_human)
    return [_at(title, f"rules.clarify: topic {name!r} is " + ("not an intent" if name not in intents else
                "taken by no flow and not in always_human: it would be offered with nowhere to go"))
            for name, title in rules.clarify.topics.items() if name not in intents or name not in routed]


def _actions(flowset: FlowSet, actions: set[str]) -> list[Problem]:
    return [_at(item.action, f"unknown action {item.action.name!r} (known: {', '.join(sorted(actions)) or 'none'})")
            for flow in flowset.flows.values() for item in flow.steps
            if isinstance(item, ActionStep) and item.action.name not in actions]


def _entities(flowset: FlowSet, entities: set[str]) -> list[Problem]:
    return [_at(item.ask, f"unknown entity {item.ask.entity!r} (known: {', '.join(sorted(entities))})")
            for flow in flowset.flows.values() for item in flow.steps
            if isinstance(item, AskStep) and item.ask.entity is not None and item.ask.entity not in entities]


def _triggers(flowset: FlowSet) -> list[Problem]:
    problems: list[Problem] = []
    for intent, flows in flowset.by_intent.items():
        if len({f.id for f, _ in flows}) > 1:
            names = ", ".join(sorted({f.id for f, _ in flows}))
            problems += [_at(f.triggers, f"intent {intent!r} starts several flows ({names})") for f, _ in flows]
    owners: dict[str, str] = {}
    for flow in flowset.flows.values():
        for key in [f"event {e}" for e in flow.triggers.events] + [f"deep link {d}" for d in flow.triggers.deep_links]:
            if key in owners and owners[key] != flow.id:
                problems.append(_at(flow.triggers, f"{key} already starts flow {owners[key]!r}"))
            owners.setdefault(key, flow.id)
    return problems


def _unreachable(flowset: FlowSet, graph: Graph) -> list[Problem]:
    seen = _reach(graph, [(f.id, 0) for f in flowset.flows.values()])
    problems = []
    for flow in flowset.flows.values():
        ids = flow.step_ids()
        problems += [_at(s, f"flow {flow.id!r}: step {ids[i]!r} can never be reached")
                     for i, s in enumerate(flow.steps) if (flow.id, i) not in seen]
    entered = {t.target[0] for (source, _), edges in graph.edges.items() for t in edges if t.target[0] != source}
    for flow in flowset.flows.values():
        t = flow.triggers
        if not (t.intents or t.events or t.deep_links) and flow.id not in entered \
                and flow.id != flowset.rules.fallback_flow:
            problems.append(_at(flow, f"flow {flow.id!r} never starts: no trigger and no goto leads to it"))
    return problems


def _reach(graph: Graph, seeds: list[StepRef]) -> set[StepRef]:
    seen = set(seeds)
    queue = deque(seeds)
    while queue:
        for edge in graph.edges.get(queue.popleft(), []):
            if edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    return seen


def _slots(flowset: FlowSet, graph: Graph) -> list[Problem]:
    """A slot read where some path to the step has not filled it (must-be-filled data flow)."""
    filled: dict[StepRef, frozenset[str]] = {(f.id, 0): frozenset() for f in flowset.flows.values()}
    queue = deque(filled)
    while queue:
        here = queue.popleft()
        for edge in graph.edges.get(here, []):
            out = filled[here] | edge.fills
            before = filled.get(edge.target)
            now = out if before is None else before & out
            if now != before:
                filled[edge.target] = now
                queue.append(edge.target)
    problems = []
    for flow in flowset.flows.values():
        for i, item in enumerate(flow.steps):
            known = filled.get((flow.id, i))
            if known is None:
                continue  # unreachable: reported as such
            problems += [_at(use.node, f"slot {use.slot!r} may be used before it is filled "
                                       f"(no ask, button or action fills it on every way here)")
                         for use in uses(item) if use.slot not in known]
    return problems


def _languages(flowset: FlowSet) -> list[Problem]:
    problems: list[Problem] = []
    rules = flowset.rules
    clarify = [rules.clarify.text, rules.clarify.other, *rules.clarify.topics.values()] if rules.clarify else []
    for text in (rules.handover.text, rules.reprompt, *clarify):
        problems += _missing(text, rules.languages, "rules")
    for flow in flowset.flows.values():
        required = flowset.languages(flow)
        for item in flow.steps:
            for text in texts(item, notes=False):  # the operator's note needs one language
                problems += _missing(text, required, f"flow {flow.id!r}")
    return problems


def _missing(text: Text, required: list[str], where: str) -> list[Problem]:
    if not isinstance(text.root, dict):
        if len(required) < 2:
            return []
        return [_at(text, f"{where}: give the text per language ({', '.join(required)}), "
                          f"or under `any:` if it is the same in every language")]
    have = text.languages()
    found = [_at(text, f"{where}: {lang!r} is not a language of the flow ({', '.join(required)})")
             for lang in sorted(have - {ANY} - set(required))]
    missing = [lang for lang in required if lang not in have]
    if missing and ANY not in have:
        found.append(_at(text, f"{where}: the text has no {', '.join(missing)} variant"))
    return found
