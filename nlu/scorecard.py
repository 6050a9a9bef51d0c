"""Scoring a model on an evaluation set the way the bot uses it: per language and per channel style, with
the rate of confidently wrong answers (answered at or above the threshold, with the wrong topic).

Evaluation files are YAML, either items (a list, or a mapping holding one under `items`, `messages` or
`examples`, whose other keys such as `style` or `language` are defaults for its items):

    - text: "Здравствуйте, какой у меня баланс бонусов?"
      intent: loyalty_card
      style: telegram          # telegram, whatsapp, viber, email, hotline...
      language: ru             # optional: detected from the text
      also: [promo_code]       # optional: further topics of the message

or Rasa training YAML (style "rasa"). Every problem names file:line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models.errors import PayloadError
from models.nlu import OUT_OF_SCOPE
from nlu import language
from nlu.artefacts import NluModel
from nlu.rasa_yaml import load_text
from nlu.reading import Reading, read

LIST_KEYS = ("items", "messages", "examples")
RASA_STYLE = "rasa"


@dataclass(frozen=True)
class Item:
    """One evaluation message and what it is about."""

    text: str
    intent: str
    style: str = "unknown"
    language: str = "unknown"
    also: tuple[str, ...] = ()
    source: str = ""  # file:line


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line (1-based) under the key "__line__"."""


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    found = loader.construct_mapping(node, deep=True)
    found["__line__"] = node.start_mark.line + 1
    return found


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_items(path: Path) -> list[Item]:
    """Every item of the YAML files at `path` (a file or a folder); PayloadError naming file:line otherwise."""
    if not path.exists():
        raise PayloadError(f"{path}:0: no such file or folder")
    files = sorted(p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"}) if path.is_dir() else [path]
    items: list[Item] = []
    for file in files:
        items.extend(_load_file(file))
    return items


def _load_file(file: Path) -> list[Item]:
    text = file.read_text(encoding="utf-8")
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise PayloadError(f"{file}:{mark.line + 1 if mark else 0}: not YAML: {e}") from e
    if isinstance(doc, dict) and "nlu" in doc:
        data = load_text(text, str(file))
        return [Item(e.text, e.intent, RASA_STYLE, language.detect(e.text), (), e.source) for e in data.examples]
    defaults: dict[str, Any] = {}
    if isinstance(doc, dict):
        key = next((k for k in LIST_KEYS if isinstance(doc.get(k), list)), None)
        if key is None:
            return []  # a YAML file of something else (a README's front matter, a config): not an evaluation set
        defaults, doc = {k: v for k, v in doc.items() if k not in LIST_KEYS}, doc[key]
    if not isinstance(doc, list):
        return []
    return [_item(file, entry, defaults) for entry in doc]


def _item(file: Path, entry: Any, defaults: dict[str, Any]) -> Item:
    line = entry.get("__line__", 0) if isinstance(entry, dict) else 0
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("text", "intent")):
        raise PayloadError(f"{file}:{line}: an item needs `text` and `intent` strings")
    also = entry.get("also") or []
    if isinstance(also, str):
        also = [also]
    text = entry["text"]
    return Item(text=text, intent=entry["intent"], style=str(entry.get("style", defaults.get("style", "unknown"))),
                language=str(entry.get("language", defaults.get("language", language.detect(text)))),
                also=tuple(str(a) for a in also), source=f"{file}:{line}")


@dataclass
class Row:
    """Counts for one slice of the set."""

    name: str
    total: int = 0
    correct: int = 0  # the decision (a rejection is right only for out_of_scope items)
    top1: int = 0  # the best-ranked topic, threshold ignored
    confidently_wrong: int = 0
    asked: int = 0  # close calls: the bot would ask
    rejected: int = 0  # handed to a person (out_of_scope decided for an in-scope item)

    def add(self, item: Item, reading: Reading) -> None:
        """Count one item."""
        self.total += 1
        self.correct += reading.intent == item.intent
        self.top1 += reading.top == item.intent
        # Answering with another topic the message really raises (its `also`) is not a wrong answer.
        self.confidently_wrong += reading.intent not in (OUT_OF_SCOPE, item.intent, *item.also)
        self.asked += reading.close_call
        self.rejected += reading.intent == OUT_OF_SCOPE != item.intent

    def line(self) -> str:
        """One table row."""
        n = max(self.total, 1)
        return (f"  {self.name:<22} {self.total:>5}  {self.top1 / n:10.1%}  {self.correct / n:10.1%}  "
                f"{self.confidently_wrong / n:10.1%}  {self.asked / n:10.1%}  {self.rejected / n:10.1%}")


# topic: the best-ranked topic is right; decided ok: what the bot acts on is right (a handover is right
# only for out-of-scope items); conf.wrong: answered with a topic the message does not raise; asks: close
# calls.
HEADER = (f"  {'':<22} {'n':>5}  {'topic':>10}  {'decided ok':>10}  {'conf.wrong':>10}  {'asks':>10}  "
          f"{'handover':>10}")


@dataclass
class Scorecard:
    """Per-language, per-style and per-language-and-style rows, the mistakes, and multi-topic recall."""

    rows: dict[str, dict[str, Row]] = field(default_factory=lambda: defaultdict(dict))
    mistakes: list[tuple[Item, Reading]] = field(default_factory=list)
    also_expected: int = 0
    also_found: int = 0

    def add(self, item: Item, reading: Reading) -> None:
        """Count one item in every slice it belongs to."""
        for table, key in (("all", "all"), ("language", item.language), ("style", item.style),
                           ("language x style", f"{item.language} / {item.style}")):
            self.rows[table].setdefault(key, Row(key)).add(item, reading)
        if reading.intent != item.intent:
            self.mistakes.append((item, reading))
        found = {reading.top, *(name for name, _ in reading.also)}
        self.also_expected += len(item.also)
        self.also_found += sum(a in found for a in item.also)

    def row(self, table: str, key: str) -> Row:
        """One row (an empty one if the slice has no items)."""
        return self.rows[table].get(key, Row(key))

    def lines(self, worst: int = 15) -> list[str]:
        """The report for the terminal."""
        out = []
        for table in ("all", "language", "style", "language x style"):
            out.append(f"by {table}:" if table != "all" else "overall:")
            out.append(HEADER)
            out.extend(r.line() for _, r in sorted(self.rows[table].items()))
        if self.also_expected:
            out.append(f"further topics named (also): {self.also_found}/{self.also_expected}")
        out.append(f"mistakes (first {min(worst, len(self.mistakes))} of {len(self.mistakes)}):")
        for item, reading in self.mistakes[:worst]:
            out.append(f"  {item.source}: {item.intent} -> {reading.intent} ({reading.confidence:.2f}) "
                       f"{item.text[:70]!r}")
        return out


def evaluate(model: NluModel, items: Iterable[Item], progress: Callable[[int], None] | None = None) -> Scorecard:
    """Read every item with the model (its per-language thresholds) and score it."""
    card = Scorecard()
    for n, item in enumerate(items, start=1):
        threshold = model.metadata.threshold_for(language.detect(item.text))
        card.add(item, read(model.classifier, item.text, threshold))
        if progress is not None:
            progress(n)
    return card
