"""Read `dialogs/flows/*.yml` into a FlowSet, keeping line numbers so every problem names file:line.

YAML is composed into nodes (PyYAML keeps each node's line), turned into plain data with a map from the
data's paths to lines, validated by the pydantic models, and the lines are stamped onto the models.
Only `true`/`false` are booleans (YAML 1.2): `value: yes` and `value: no` stay text for the content team.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, RootModel, ValidationError
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dialogs.model import Flow, FlowFile, FlowSet, Rules, Text
from dialogs.model import Node as FlowNode
from dialogs.problems import FlowError, Problem

__all__ = ["FlowError", "Problem", "flow_files", "load_flows", "load_text", "parse_yaml"]

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
_FLOW_HINT = ' (inside { … } or [ … ], put a text with "?", ":" or "," in quotes: {ru: "Чем помочь?"})'
_STRING_TAGS = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}


def flow_files(directory: Path) -> list[Path]:
    """The YAML files under `directory`, sorted (subfolders included)."""
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())


def load_flows(directory: Path) -> FlowSet:
    """Every flow file under `directory`; FlowError lists every problem (file, line, message)."""
    if not directory.is_dir():
        raise FlowError([Problem(str(directory), 0, "no such folder")])
    files = flow_files(directory)
    problems: list[Problem] = []
    loaded: list[FlowFile] = []
    digest = hashlib.sha256()
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        digest.update(f"{path.relative_to(directory)}\0{text}\0".encode())
        try:
            loaded.append(load_text(text, str(path)))
        except FlowError as e:
            problems.extend(e.problems)
    flowset = _merge(loaded, problems, digest.hexdigest()[:12])
    if problems:
        raise FlowError(problems)
    return flowset


def load_text(text: str, file: str = "<text>") -> FlowFile:
    """One file's flows and rules; FlowError names `file` and the line of each problem."""
    return parse_yaml(text, file, FlowFile)


def parse_yaml(text: str, file: str, model: type[M]) -> M:
    """A YAML document as `model`, every element stamped with its line; FlowError names file:line."""
    root = _compose(text, file)
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    data = {} if root is None else _data(root, (), lines, problems, file)
    if problems:
        raise FlowError(problems)
    try:
        parsed = model.model_validate(data)
    except ValidationError as e:
        raise FlowError(_problems(e, data, lines, file)) from e
    _stamp(parsed, (), lines, file)
    suspicious: dict[Path_, int] = {}
    if root is not None:
        _suspicious_lists(root, (), suspicious)
    if suspicious and (split := _split_variants(parsed, suspicious, file)):
        raise FlowError(split)
    return parsed


def _compose(text: str, file: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        hint = _FLOW_HINT if "flow" in str(e.context or "") else ""
        raise FlowError([Problem(file, mark.line + 1 if mark else 1,
                                 f"invalid YAML: {e.problem or e.context}{hint}")]) from e
    except yaml.YAMLError as e:
        raise FlowError([Problem(file, 1, f"invalid YAML: {e}")]) from e
    except RecursionError as e:
        raise FlowError([Problem(file, 1, "invalid YAML: nested too deeply")]) from e


def _data(node: Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], file: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                problems.append(Problem(file, line, "a key must be a plain word"))
                continue
            key = str(key_node.value)
            if key in out:
                problems.append(Problem(file, line, f"{key!r} is given twice"))
                continue
            lines[(*path, key)] = line
            out[key] = _data(value_node, (*path, key), lines, problems, file)
        return out
    if isinstance(node, SequenceNode):
        return [_data(item, (*path, i), lines, problems, file) for i, item in enumerate(node.value)]
    try:
        return _scalar(node)
    except Exception as e:  # PyYAML constructors raise whatever a bad tagged value (`!!int x`, `!!foo`) triggers
        problems.append(Problem(file, node.start_mark.line + 1, f"invalid value: {getattr(e, 'problem', e)}"))
        return None


def _scalar(node: Node) -> Any:
    if node.tag == "tag:yaml.org,2002:bool" and str(node.value).lower() not in {"true", "false"}:
        return str(node.value)  # yes/no/on/off are words here
    if node.tag in _STRING_TAGS:
        return str(node.value)
    return SafeConstructor().construct_object(node, deep=True)


def _problems(error: ValidationError, data: Any, lines: dict[Path_, int], file: str) -> list[Problem]:
    seen: dict[Path_, Problem] = {}
    for item in error.errors():
        path, rest = _resolve(item["loc"], data)
        if path in seen:
            continue  # one problem per place: a union reports each alternative it tried
        where = ".".join(str(p) for p in path)
        field = f"{where}.{rest}" if rest and item["type"] == "missing" else where
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "missing required key"
        elif item["type"] == "extra_forbidden":
            message = f"unknown key {path[-1]!r}" if path else "unknown key"
        seen[path] = Problem(file, lines.get(path, 1), f"{field or 'file'}: {message}")
    return list(seen.values())


def _resolve(loc: tuple[str | int, ...], data: Any) -> tuple[Path_, str]:
    """The longest prefix of `loc` that exists in the data (skipping union tags), and the missing name."""
    path: Path_ = ()
    current = data
    last = ""
    for element in loc:
        if _has(current, element):
            current, path = current[element], (*path, element)
        else:
            last = str(element)
    return path, last


def _has(container: Any, key: str | int) -> bool:
    if isinstance(container, dict):
        return isinstance(key, str) and key in container
    return isinstance(container, list) and isinstance(key, int) and 0 <= key < len(container)


def _walk(model: BaseModel, path: Path_, visit: Callable[[BaseModel, Path_], None]) -> None:
    """Call `visit` on every model in the tree with its path in the data."""
    visit(model, path)
    if isinstance(model, RootModel):
        return
    for name, info in type(model).model_fields.items():
        _walk_value(getattr(model, name), (*path, info.alias or name), visit)


def _walk_value(value: Any, path: Path_, visit: Callable[[BaseModel, Path_], None]) -> None:
    if isinstance(value, BaseModel):
        _walk(value, path, visit)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk_value(item, (*path, i), visit)


def _stamp(model: BaseModel, path: Path_, lines: dict[Path_, int], file: str) -> None:
    """Give every element of the tree its file and line."""

    def place(element: BaseModel, where: Path_) -> None:
        if isinstance(element, FlowNode | Text):
            element.place(file, lines.get(where) or _nearest(where, lines))

    _walk(model, path, place)


def _split_variants(model: BaseModel, suspicious: dict[Path_, int], file: str) -> list[Problem]:
    """Texts whose `[a, b]` variants look like one sentence cut at its commas (`[Спасибо, что написали!]`)."""
    found: list[Problem] = []

    def check(element: BaseModel, where: Path_) -> None:
        if isinstance(element, Text):
            keys = [(*where, k) for k in element.root] if isinstance(element.root, dict) else [where]
            found.extend(Problem(file, suspicious[k], "a comma inside [ … ] separates variants: put each variant "
                                                      'in quotes, e.g. ["Спасибо, что написали!", "Рад помочь!"]')
                         for k in keys if k in suspicious)

    _walk(model, (), check)
    return found


def _suspicious_lists(node: Node, path: Path_, found: dict[Path_, int]) -> None:
    """Flow lists of unquoted words where a later item starts in lower case: a sentence split at a comma."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                _suspicious_lists(value, (*path, str(key.value)), found)
    elif isinstance(node, SequenceNode):
        items = node.value
        if node.flow_style and all(isinstance(i, ScalarNode) and i.style is None for i in items) \
                and any(str(i.value)[:1].islower() for i in items[1:]):
            found[path] = node.start_mark.line + 1
        for index, item in enumerate(items):
            _suspicious_lists(item, (*path, index), found)


def _nearest(path: Path_, lines: dict[Path_, int]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _merge(files: list[FlowFile], problems: list[Problem], version: str) -> FlowSet:
    flows: dict[str, Flow] = {}
    rules: Rules | None = None
    for parsed in files:
        for flow in parsed.flows:
            if flow.id in flows:
                first = flows[flow.id]
                problems.append(Problem(flow.file, flow.line,
                                        f"flow {flow.id!r} is defined twice (first at {first.file}:{first.line})"))
                continue
            flows[flow.id] = flow
        if parsed.rules is not None:
            if rules is not None:
                problems.append(Problem(parsed.rules.file, parsed.rules.line,
                                        f"rules are given twice (first at {rules.file}:{rules.line})"))
                continue
            rules = parsed.rules
    return FlowSet(list(flows.values()), rules, version=version)
