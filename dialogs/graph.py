"""The flows as a graph of steps: where each step can go next, what it fills, which slots it reads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from dialogs.model import (
    SPECIAL_TARGETS,
    ActionStep,
    AnyStep,
    AskStep,
    BranchStep,
    ButtonsStep,
    Flow,
    FlowSet,
    GotoStep,
    HandoverStep,
    Node,
    SayStep,
    Text,
)
from dialogs.templates import variables

StepRef = tuple[str, int]  # (flow id, step index)


@dataclass(frozen=True)
class Edge:
    """A way from one step to another, filling these slots on the way."""

    target: StepRef
    fills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Use:
    """A slot read by a step (in a text, a condition or an action argument), with where it is written."""

    slot: str
    node: Node | Text


@dataclass(frozen=True)
class Jump:
    """A `goto`-like reference from a step, with the element that holds it."""

    target: str
    node: Node


@dataclass
class Graph:
    """Edges out of every step, plus the jumps whose target does not resolve."""

    edges: dict[StepRef, list[Edge]] = field(default_factory=dict)
    broken: list[tuple[Flow, Jump]] = field(default_factory=list)


def resolve(flowset: FlowSet, flow: Flow, target: str) -> StepRef | str | None:
    """A target as a step, "handover"/"end", or None when nothing has that name."""
    if target in SPECIAL_TARGETS:
        return target
    if "." not in target and flow.index(target) is not None:
        return flow.id, flow.index(target) or 0
    flow_id, _, step_id = target.partition(".")
    other = flowset.flow(flow_id)
    if other is None:
        return None
    index = other.index(step_id) if step_id else 0
    return None if index is None else (other.id, index)


def jumps(item: AnyStep) -> list[Jump]:
    """Every target a step names."""
    found: list[Jump] = []
    if isinstance(item, GotoStep):
        found.append(Jump(item.goto, item))
    elif isinstance(item, BranchStep):
        found.extend(Jump(case.goto, case) for case in item.branch)
    elif isinstance(item, AskStep):
        found.extend(Jump(b.goto, b) for b in item.ask.buttons if b.goto)
        if item.ask.on_fail:
            found.append(Jump(item.ask.on_fail, item.ask))
    elif isinstance(item, ButtonsStep):
        found.extend(Jump(b.goto, b) for b in item.buttons.options if b.goto)
        if item.buttons.on_fail:
            found.append(Jump(item.buttons.on_fail, item.buttons))
    elif isinstance(item, ActionStep) and item.action.on_error:
        found.append(Jump(item.action.on_error, item.action))
    return found


def build(flowset: FlowSet) -> Graph:
    """The step graph of every flow."""
    graph = Graph()
    for flow in flowset.flows.values():
        for index, item in enumerate(flow.steps):
            graph.edges[(flow.id, index)] = list(_edges(flowset, flow, index, item, graph))
    return graph


def _edges(flowset: FlowSet, flow: Flow, index: int, item: AnyStep, graph: Graph) -> Iterator[Edge]:
    following = (flow.id, index + 1) if index + 1 < len(flow.steps) else None

    def to(target: str, fills: frozenset[str] = frozenset()) -> Iterator[Edge]:
        where = resolve(flowset, flow, target)
        if isinstance(where, tuple):
            yield Edge(where, fills)

    for jump in jumps(item):
        fills: frozenset[str] = frozenset()
        if isinstance(item, ButtonsStep) and item.buttons.slot and jump.node is not item.buttons:
            fills = frozenset({item.buttons.slot})
        elif isinstance(item, AskStep) and jump.node is not item.ask:
            fills = frozenset({item.ask.slot})  # a quick reply answers the question
        yield from to(jump.target, fills)
        if resolve(flowset, flow, jump.target) is None:
            graph.broken.append((flow, jump))
    if following is None:
        return
    if isinstance(item, SayStep):
        yield Edge(following)
    elif isinstance(item, AskStep):
        yield Edge(following, frozenset({item.ask.slot}))
    elif isinstance(item, ButtonsStep):
        if any(b.goto is None for b in item.buttons.options):
            yield Edge(following, frozenset({item.buttons.slot} if item.buttons.slot else set()))
    elif isinstance(item, BranchStep):
        if all(case.when is not None for case in item.branch):
            yield Edge(following)
    elif isinstance(item, ActionStep):
        saved = set(item.action.save.values()) | ({item.action.save_as} if item.action.save_as else set())
        yield Edge(following, frozenset(saved))


def uses(item: AnyStep) -> list[Use]:
    """The slots a step reads (heads of `{slot.field}`; `customer.*` is not a slot)."""
    found: list[Use] = []
    for text in texts(item):
        found.extend(Use(v.split(".")[0], text) for s in text.all_strings() for v in variables(s)
                     if not v.startswith("customer."))
    if isinstance(item, BranchStep):
        for case in item.branch:
            found.extend(Use(c.slot.split(".")[0], c) for c in case.conditions()
                         if c.slot is not None and c.filled is None)
    if isinstance(item, ActionStep):
        found.extend(Use(v.split(".")[0], item.action) for arg in item.action.args.values()
                     for v in _arg_variables(arg) if not v.startswith("customer."))
    return found


def _arg_variables(value: object) -> list[str]:
    if isinstance(value, str):
        return variables(value)
    if isinstance(value, list):
        return [v for x in value for v in _arg_variables(x)]
    if isinstance(value, dict):
        return [v for x in value.values() for v in _arg_variables(x)]
    return []


def texts(item: AnyStep, *, notes: bool = True) -> list[Text]:
    """Every text of a step (with `notes`: the handover note for the operator, too)."""
    if isinstance(item, SayStep):
        return [item.say]
    if isinstance(item, AskStep):
        found = [item.ask.text, *([item.ask.reprompt] if item.ask.reprompt else [])]
        return found + [b.title for b in item.ask.buttons]
    if isinstance(item, ButtonsStep):
        found = [item.buttons.text, *([item.buttons.reprompt] if item.buttons.reprompt else [])]
        return found + [b.title for b in item.buttons.options]
    if isinstance(item, HandoverStep):
        return [t for t in (item.handover.text, item.handover.note if notes else None) if t is not None]
    return []

