"""Independent evaluation sets (`nlu/evaluation/*.yml`): shopper messages written apart from `nlu/data`,
each labelled with its main topic, its channel style and any secondary topics.

    language: ru
    items:
      - text: "где мой заказ 😡"
        intent: order_status
        style: telegram
      - text: |-
          Здравствуйте! ...
        intent: return_refund
        style: email
        also: [product_quality]
        note: the refund is what she asks for; the spoiled milk is why

Every problem is reported as `file:line: ...`. Nothing here trains or scores: the sets are read by
`otklik nlu test --test-file` and bench/nlu.py, and checked against the training data by `collisions`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from models.errors import PayloadError
from nlu.training_data import Example, TrainingData

STYLES = ("telegram", "whatsapp", "viber", "email", "hotline")
LANGUAGES = ("ru", "en")
_REQUIRED = ("text", "intent", "style")
_OPTIONAL = ("note", "also")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)  # everything that is not a letter or digit
NEAR = 0.8  # token Jaccard at or above which an evaluation text counts as a copy of a training example


class EvaluationSetError(PayloadError):
    """An evaluation file that cannot be used; the message starts with `file:line:`."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        super().__init__(f"{file}:{line}: {problem}")
        self.file, self.line, self.problem = file, line, problem


@dataclass(frozen=True)
class EvalItem:
    """One labelled shopper message of an evaluation set."""

    text: str
    intent: str
    style: str
    language: str
    also: tuple[str, ...] = ()
    note: str = ""
    source: str = ""  # "file:line"


@dataclass(frozen=True)
class Collision:
    """An evaluation text that equals or nearly equals a training example."""

    item: EvalItem
    example: Example
    similarity: float

    def line(self) -> str:
        """Both sides with where they were written, for a failing check."""
        return (f"{self.item.source}: {self.item.text!r} ~ {self.example.source}: {self.example.text!r}"
                f" (similarity {self.similarity:.2f})")


def load_sets(folder: Path) -> list[EvalItem]:
    """Every `*.yml` of the folder (sorted), merged; EvaluationSetError on the first bad row."""
    files = sorted(p for p in folder.glob("*.yml") if p.is_file())
    if not files:
        raise EvaluationSetError(str(folder), 0, "no evaluation files (*.yml) in this folder")
    items: list[EvalItem] = []
    for file in files:
        items.extend(load_set(file))
    return items


def load_set(path: Path) -> list[EvalItem]:
    """One evaluation file's items."""
    if not path.is_file():
        raise EvaluationSetError(str(path), 0, "no such file")
    return parse_set(path.read_text(encoding="utf-8"), str(path))


def parse_set(text: str, file: str = "<text>") -> list[EvalItem]:
    """The items of one evaluation file's text; EvaluationSetError names `file` and the line."""
    root = _compose(text, file)
    if not isinstance(root, MappingNode):
        raise EvaluationSetError(file, 1, "the file must be a mapping with `language` and `items`")
    fields = _fields(file, root, ("language", "items"), ())
    language = _scalar(file, fields["language"], "language")
    if language not in LANGUAGES:
        raise _error(file, fields["language"], f"unknown language {language!r} (expected {', '.join(LANGUAGES)})")
    rows = fields["items"]
    if not isinstance(rows, SequenceNode) or not rows.value:
        raise _error(file, rows, "`items` must be a non-empty list of messages")
    items = [_item(file, row, language) for row in rows.value]
    _check_duplicates(file, items)
    return items


def as_training_data(items: list[EvalItem]) -> TrainingData:
    """The items as examples, for scoring code that takes TrainingData (held_out)."""
    examples = [Example(i.text, i.intent, source=i.source) for i in items]
    return TrainingData(examples=examples, files=sorted({i.source.rsplit(":", 1)[0] for i in items}))


def squeezed(text: str) -> str:
    """Casefolded, ё as е, without punctuation or spaces: texts equal here are the same message."""
    return _PUNCTUATION.sub("", text.casefold().replace("ё", "е"))


def tokens(text: str) -> frozenset[str]:
    """The set of casefolded words (ё as е), punctuation dropped."""
    return frozenset(w for w in _PUNCTUATION.split(text.casefold().replace("ё", "е")) if w)


def collisions(items: list[EvalItem], examples: list[Example], near: float = NEAR) -> list[Collision]:
    """Evaluation texts equal to a training example after `squeezed`, or with token Jaccard >= `near`."""
    exact = {squeezed(e.text): e for e in examples}
    index: dict[str, list[int]] = defaultdict(list)
    example_tokens = [tokens(e.text) for e in examples]
    for position, words in enumerate(example_tokens):
        for word in words:
            index[word].append(position)
    found: list[Collision] = []
    for item in items:
        if (same := exact.get(squeezed(item.text))) is not None:
            found.append(Collision(item, same, 1.0))
            continue
        best = _nearest(tokens(item.text), index, example_tokens)
        if best is not None and best[1] >= near:
            found.append(Collision(item, examples[best[0]], best[1]))
    return found


def _nearest(words: frozenset[str], index: dict[str, list[int]],
             example_tokens: list[frozenset[str]]) -> tuple[int, float] | None:
    candidates = {position for word in words for position in index.get(word, ())}
    scored = [(p, len(words & example_tokens[p]) / len(words | example_tokens[p])) for p in candidates]
    return max(scored, key=lambda pair: pair[1], default=None)


def _compose(text: str, file: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise EvaluationSetError(file, mark.line + 1 if mark else 0, f"invalid YAML: {e.problem or e.context}") from e
    except yaml.YAMLError as e:  # reader errors (bad characters) carry no line mark
        raise EvaluationSetError(file, 1, f"invalid YAML: {e}") from e


def _error(file: str, node: Node, problem: str) -> EvaluationSetError:
    return EvaluationSetError(file, node.start_mark.line + 1, problem)


def _scalar(file: str, node: Node, what: str) -> str:
    if not isinstance(node, ScalarNode):
        raise _error(file, node, f"{what} must be a plain value")
    return str(node.value).strip()


def _fields(file: str, node: MappingNode, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Node]:
    fields: dict[str, Node] = {}
    for key_node, value in node.value:
        key = _scalar(file, key_node, "a key")
        if key not in required and key not in optional:
            raise _error(file, key_node, f"unknown key {key!r} (expected {', '.join(required + optional)})")
        if key in fields:
            raise _error(file, key_node, f"key {key!r} given twice")
        fields[key] = value
    for key in required:
        if key not in fields:
            raise _error(file, node, f"missing `{key}`")
    return fields


def _item(file: str, row: Node, language: str) -> EvalItem:
    if not isinstance(row, MappingNode):
        raise _error(file, row, "each item must be a mapping with text, intent and style")
    fields = _fields(file, row, _REQUIRED, _OPTIONAL)
    text = _scalar(file, fields["text"], "text")
    if not text:
        raise _error(file, fields["text"], "empty text")
    intent = _name(file, fields["intent"], "intent")
    style = _scalar(file, fields["style"], "style")
    if style not in STYLES:
        raise _error(file, fields["style"], f"unknown style {style!r} (expected {', '.join(STYLES)})")
    also = _also(file, fields["also"], intent) if "also" in fields else ()
    note = _scalar(file, fields["note"], "note") if "note" in fields else ""
    return EvalItem(text, intent, style, language, also, note, f"{file}:{row.start_mark.line + 1}")


def _name(file: str, node: Node, what: str) -> str:
    name = _scalar(file, node, what)
    if not _NAME.fullmatch(name):
        raise _error(file, node, f"{what} {name!r} is not a topic name (lowercase letters, digits, _)")
    return name


def _also(file: str, node: Node, intent: str) -> tuple[str, ...]:
    if not isinstance(node, SequenceNode) or not node.value:
        raise _error(file, node, "`also` must be a non-empty list of secondary topics")
    names = tuple(_name(file, entry, "a topic in `also`") for entry in node.value)
    if intent in names or len(set(names)) != len(names):
        raise _error(file, node, "`also` repeats a topic or the main topic")
    return names


def _check_duplicates(file: str, items: list[EvalItem]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        key = squeezed(item.text)
        if key in seen:
            raise EvaluationSetError(file, int(item.source.rsplit(":", 1)[1]),
                                     f"the same message as {seen[key]}: {item.text[:60]!r}")
        seen[key] = item.source


def count_table(items: list[EvalItem]) -> list[str]:
    """Messages per topic x style x language as Markdown table rows (README.md shows this table)."""
    languages = [lang for lang in LANGUAGES if any(i.language == lang for i in items)]
    columns = [(lang, style) for lang in languages for style in (*STYLES, "all")]
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for item in items:
        for style in (item.style, "all"):
            counts[item.intent, item.language, style] += 1
            counts["**total**", item.language, style] += 1
    header = "| topic | " + " | ".join(f"{lang} {style}" for lang, style in columns) + " |"
    rows = [header, "|---" * (len(columns) + 1) + "|"]
    for topic in [*sorted({i.intent for i in items}), "**total**"]:
        rows.append(f"| {topic} | " + " | ".join(str(counts[topic, lang, s]) for lang, s in columns) + " |")
    return rows
