"""Rasa NLU training data in YAML (format "3.1"), read with line numbers so every error names file:line.

    version: "3.1"
    nlu:
    - intent: order_status
      examples: |
        - где мой заказ [4512](order_id)?
    - synonym: Москва          # variants map to this canonical value
      examples: |
        - мск
    - regex: order_id
      examples: |
        - \\b\\d{6,10}\\b
    - lookup: city
      examples: |
        - Казань

Keys Rasa keeps in the same files (stories, rules, responses, domain keys) are ignored here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from models.errors import PayloadError
from nlu.annotations import AnnotationError, strip
from nlu.training_data import Example, Lookup, TrainingData

VERSIONS = {"2.0", "3.0", "3.1"}
_OTHER_RASA_KEYS = {"stories", "rules", "responses", "intents", "entities", "slots", "forms", "actions",
                    "session_config", "e2e_actions", "config", "domain"}
_ITEM_KINDS = ("intent", "synonym", "regex", "lookup")
_ITEM_KEYS = {"examples", "metadata"}


class TrainingDataError(PayloadError):
    """A training file that cannot be used; the message starts with `file:line:`."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        super().__init__(f"{file}:{line}: {problem}")
        self.file, self.line, self.problem = file, line, problem


def load_paths(paths: list[Path]) -> TrainingData:
    """Every `*.yml`/`*.yaml` under the given files and folders, merged; TrainingDataError on the first problem."""
    data = TrainingData()
    for file in _files(paths):
        data.merge(load_text(file.read_text(encoding="utf-8"), str(file)))
    _check_conflicts(data)
    return data


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise TrainingDataError(str(path), 0, "no such file or folder")
    return found


def load_text(text: str, file: str = "<text>") -> TrainingData:
    """One file's data; TrainingDataError names `file` and the line of the problem."""
    root = _compose(text, file)
    data = TrainingData(files=[file])
    if root is None:
        return data
    if not isinstance(root, MappingNode):
        raise _error(file, root, "the file must be a mapping with `version` and `nlu` keys")
    for key_node, value in root.value:
        key = _scalar(file, key_node, "a top-level key")
        if key == "version":
            _check_version(file, value)
        elif key == "nlu":
            _read_nlu(file, value, data)
        elif key not in _OTHER_RASA_KEYS:
            raise _error(file, key_node, f"unknown top-level key {key!r} (expected version, nlu)")
    return data


def _compose(text: str, file: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise TrainingDataError(file, line, f"invalid YAML: {e.problem or e.context}") from e
    except yaml.YAMLError as e:  # reader errors: bad characters, no line marks
        raise TrainingDataError(file, _line_of(text, getattr(e, "position", 0)), f"invalid YAML: {e}") from e
    except RecursionError as e:  # PyYAML's composer recurses once per nesting level
        raise TrainingDataError(file, 1, "invalid YAML: nested too deeply") from e


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


def _error(file: str, node: Node, problem: str) -> TrainingDataError:
    return TrainingDataError(file, node.start_mark.line + 1, problem)


def _scalar(file: str, node: Node, what: str) -> str:
    if not isinstance(node, ScalarNode):
        raise _error(file, node, f"{what} must be a plain value")
    return str(node.value)


def _check_version(file: str, node: Node) -> None:
    if not isinstance(node, ScalarNode) or node.style not in {"'", '"'}:
        raise _error(file, node, 'version must be a quoted string, e.g. version: "3.1"')
    if node.value not in VERSIONS:
        raise _error(file, node, f"unsupported version {node.value!r} (supported: {', '.join(sorted(VERSIONS))})")


def _read_nlu(file: str, node: Node, data: TrainingData) -> None:
    if isinstance(node, ScalarNode) and node.value in {"", "~", "null"}:
        return
    if not isinstance(node, SequenceNode):
        raise _error(file, node, "`nlu` must be a list of items (- intent: ..., - synonym: ...)")
    for item in node.value:
        _read_item(file, item, data)


def _read_item(file: str, item: Node, data: TrainingData) -> None:
    if not isinstance(item, MappingNode):
        raise _error(file, item, "each `nlu` item must be a mapping like `intent: name` with `examples`")
    fields = {_scalar(file, k, "a key"): (k, v) for k, v in item.value}
    kinds = [k for k in _ITEM_KINDS if k in fields]
    if len(kinds) != 1:
        raise _error(file, item, "each `nlu` item needs exactly one of intent, synonym, regex, lookup")
    kind = kinds[0]
    for key, (key_node, _) in fields.items():
        if key != kind and key not in _ITEM_KEYS:
            raise _error(file, key_node, f"unknown key {key!r} in a {kind} item (expected examples, metadata)")
    name = _scalar(file, fields[kind][1], f"the {kind} name").strip()
    if not name:
        raise _error(file, fields[kind][1], f"the {kind} name is empty")
    if "examples" not in fields:
        raise _error(file, item, f"{kind} {name!r} has no `examples`")
    lines = _example_lines(file, fields["examples"][1], f"{kind} {name!r}")
    _add(kind, name, lines, file, data)


def _example_lines(file: str, node: Node, owner: str) -> list[tuple[str, int]]:
    """(text, line) of each `- ` line of an examples block (or each `text:` of the list form)."""
    if isinstance(node, SequenceNode):
        return [_listed_example(file, entry, owner) for entry in node.value]
    if not isinstance(node, ScalarNode):
        raise _error(file, node, f"examples of {owner} must be a `|` block of `- ` lines")
    first = node.start_mark.line + 1 + (1 if node.style in {"|", ">"} else 0)
    found: list[tuple[str, int]] = []
    for offset, raw in enumerate(str(node.value).splitlines()):
        line = first + offset if node.style == "|" else first
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("-"):
            raise TrainingDataError(file, line, f"example of {owner} must start with '- ': {stripped[:60]!r}")
        text = stripped[1:].strip()
        if not text:
            raise TrainingDataError(file, line, f"empty example in {owner}")
        found.append((text, line))
    if not found:
        raise _error(file, node, f"{owner} has no examples")
    return found


def _listed_example(file: str, entry: Node, owner: str) -> tuple[str, int]:
    if isinstance(entry, MappingNode):
        fields = {_scalar(file, k, "a key"): v for k, v in entry.value}
        if "text" in fields:
            return _scalar(file, fields["text"], "text").strip(), fields["text"].start_mark.line + 1
    raise _error(file, entry, f"each listed example of {owner} must be a mapping with `text`")


def _add(kind: str, name: str, lines: list[tuple[str, int]], file: str, data: TrainingData) -> None:
    if kind == "intent":
        for text, line in lines:
            data.examples.append(_example(text, name, file, line, data))
    elif kind == "synonym":
        for text, _ in lines:
            data.synonyms[text.casefold()] = name
    elif kind == "regex":
        for pattern, line in lines:
            try:
                re.compile(pattern)
            except re.error as e:
                raise TrainingDataError(file, line, f"regex {name!r}: {pattern!r} does not compile: {e}") from e
        data.regexes.append(Lookup(name, tuple(p for p, _ in lines), f"{file}:{lines[0][1]}"))
    else:
        data.lookups.append(Lookup(name, tuple(t for t, _ in lines), f"{file}:{lines[0][1]}"))


def _example(text: str, intent: str, file: str, line: int, data: TrainingData) -> Example:
    try:
        plain, annotations = strip(text)
    except AnnotationError as e:
        raise TrainingDataError(file, line, f"intent {intent!r}: {e}") from e
    for a in annotations:
        if a.value != a.text:  # an annotated value is a synonym, as in Rasa
            data.synonyms[a.text.casefold()] = a.value
    return Example(plain, intent, tuple(annotations), f"{file}:{line}")


def _check_conflicts(data: TrainingData) -> None:
    """The same text under two intents teaches the model nothing but confusion: name both places."""
    seen: dict[str, Example] = {}
    for example in data.examples:
        key = " ".join(example.text.casefold().split())
        earlier = seen.setdefault(key, example)
        if earlier.intent != example.intent:
            file, _, line = example.source.rpartition(":")
            raise TrainingDataError(file, int(line), f"example {example.text!r} is also in intent "
                                    f"{earlier.intent!r} at {earlier.source}")
