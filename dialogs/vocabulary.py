"""What the NLU knows, for `check`: intent names and entity names (built-in, regex, lookup, annotated)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nlu
from dialogs.validation import BUILTIN_ENTITIES
from nlu.rasa_yaml import load_paths

NLU_DATA = Path(nlu.__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Vocabulary:
    """Intents and entities flows may name."""

    intents: frozenset[str]
    entities: frozenset[str]


def nlu_vocabulary(data_dir: Path = NLU_DATA) -> Vocabulary:
    """The vocabulary of the NLU training data (raises the NLU's TrainingDataError if it is broken)."""
    data = load_paths([data_dir])
    entities = set(BUILTIN_ENTITIES) | {r.name for r in data.regexes} | {lk.name for lk in data.lookups}
    entities |= {a.entity for example in data.examples for a in example.entities}
    return Vocabulary(frozenset(data.intents), frozenset(entities))
