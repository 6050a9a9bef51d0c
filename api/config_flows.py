"""The flows part of `otklik check` (api/config_check.py): the bot's flows against the NLU's intents and
entities, the bot's actions, the catalogue's request types their cases name, and the groups their handover
topics reach."""

from __future__ import annotations

from collections.abc import Iterator

from api.config_problems import Directory, Report, shown
from bots.actions import REGISTRY
from bots.flows import NLU_DATA, flows_dir
from dialogs.check import check
from dialogs.loader import load_flows
from dialogs.model import ActionStep, FlowSet, HandoverStep, Node
from dialogs.problems import FlowError
from dialogs.vocabulary import nlu_vocabulary
from hub.inbox import InboxConfig
from hub.settings import Settings
from models.errors import PayloadError
from models.problems import Problem

CREATE_CASE = "create_case"  # the bot action that opens a case (bots/actions)


async def check_flows(settings: Settings, inbox: InboxConfig, overrides: dict[str, str], directory: Directory,
                      report: Report, request_types: set[str] | None = None) -> None:
    """The flows' own problems, cases of request types the catalogue lacks (when given), then every handover
    topic whose group is not in the directory."""
    folder = flows_dir(settings)
    if folder is None:
        return  # the bot is off: no flows to check
    try:
        vocabulary = nlu_vocabulary(NLU_DATA)
        flowset = load_flows(folder)
    except FlowError as e:
        report.errors += [_shown(p) for p in e.problems]
        return
    except PayloadError as e:
        report.errors.append(Problem(_path(str(NLU_DATA)), 1, e.reason))
        return
    found = check(flowset, intents=set(vocabulary.intents), actions=set(REGISTRY), entities=set(vocabulary.entities))
    report.errors += [_shown(p) for p in found]
    if request_types is not None:
        report.errors += _request_types(flowset, request_types)
    places: dict[str, list[Node]] = {}
    for topic, node in handover_topics(flowset):
        places.setdefault(topic, []).append(node)
    for topic, nodes in sorted(places.items()):
        group = overrides.get(topic) or inbox.routes.get(topic) or inbox.default_group
        if await directory.group(group) is not None:
            continue
        first = min(nodes, key=lambda n: (n.file, n.line))
        more = f" (and {len(nodes) - 1} more handovers)" if len(nodes) > 1 else ""
        report.errors.append(Problem(_path(first.file), first.line,
                                     f"handovers of topic {topic!r} go to group {group!r}: no such group{more}"))

def _request_types(flowset: FlowSet, known: set[str]) -> list[Problem]:
    """`create_case` calls naming a request type (not a "{slot}") the catalogue does not have."""
    problems = []
    for flow in flowset.flows.values():
        for step in flow.steps:
            if isinstance(step, ActionStep) and step.action.name == CREATE_CASE:
                wanted = step.action.args.get("request_type")
                if isinstance(wanted, str) and not wanted.startswith("{") and wanted not in known:
                    problems.append(Problem(_path(step.action.file), step.action.line,
                                            f"request type {wanted!r} is not in the case catalogue "
                                            f"(known: {', '.join(sorted(known))})"))
    return problems


def handover_topics(flowset: FlowSet) -> Iterator[tuple[str, Node]]:
    """Every topic a handover from these flows can carry, with where it is written."""
    rules = flowset.rules
    yield rules.handover.topic, rules.handover
    for flow in flowset.flows.values():
        yield flow.handover_topic, flow  # a wrong answer, a failed action or "operator" mid-flow
        for step in flow.steps:
            if isinstance(step, HandoverStep):
                yield step.handover.topic or flow.handover_topic, step.handover
    for intent in rules.always_human:  # the intent itself, unless a flow it triggers names another topic
        triggered = flowset.by_intent.get(intent)
        yield (triggered[0][0].handover_topic if triggered else intent), rules


def _path(file: str) -> str:
    return shown(file) if file and not file.startswith("<") else file or "<built-in rules>"


def _shown(problem: Problem) -> Problem:
    return Problem(_path(problem.file), problem.line, problem.message)
