"""Training data as the engine sees it, whatever files it came from."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from nlu.annotations import Annotation


@dataclass(frozen=True)
class Example:
    """One training text (markup stripped) with its intent, entities and where it was written."""

    text: str
    intent: str
    entities: tuple[Annotation, ...] = ()
    source: str = ""  # "file:line"


@dataclass(frozen=True)
class Lookup:
    """A named list (lookup) or pattern set (regex) from the data, with where it was written."""

    name: str
    values: tuple[str, ...]
    source: str = ""


@dataclass
class TrainingData:
    """Examples, synonyms, regexes and lookups merged from every file."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant (casefolded) -> canonical value
    regexes: list[Lookup] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        """Intent names, sorted."""
        return sorted({e.intent for e in self.examples})

    def counts(self) -> Counter[str]:
        """Examples per intent."""
        return Counter(e.intent for e in self.examples)

    def texts_and_labels(self) -> tuple[list[str], list[str]]:
        """Parallel lists for a classifier."""
        return [e.text for e in self.examples], [e.intent for e in self.examples]

    def fingerprint(self) -> str:
        """A hash of everything that changes the trained model (not of file names or layout)."""
        content = {
            "examples": sorted((e.intent, e.text, [(a.entity, a.value, a.start, a.end) for a in e.entities])
                               for e in self.examples),
            "synonyms": sorted(self.synonyms.items()),
            "regexes": sorted((r.name, r.values) for r in self.regexes),
            "lookups": sorted((lk.name, lk.values) for lk in self.lookups),
        }
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    def merge(self, other: TrainingData) -> None:
        """Add another file's data to this one."""
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        self.regexes.extend(other.regexes)
        self.lookups.extend(other.lookups)
        self.files.extend(other.files)
