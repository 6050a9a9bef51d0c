"""Entities of a text: built-ins first, then the data's regexes and lookups; synonyms give canonical values.

Lookups match on stems, so "в Казани" finds the lookup value "Казань". Where two spans overlap, the
earlier extractor wins (built-ins, then regexes, then lookups), then the longer span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from models.nlu import Entity
from nlu import builtin_entities
from nlu.text import normalize, stem, words
from nlu.training_data import TrainingData

Stems = tuple[str, ...]


def _stems(text: str) -> Stems:
    return tuple(stem(w) for w, _, _ in words(text))


@dataclass
class EntityExtractor:
    """Extracts entities with the regexes, lookups and synonyms of one training set (picklable)."""

    regexes: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    lookups: dict[Stems, tuple[str, str]] = field(default_factory=dict)  # stems -> (entity, value)
    synonyms: dict[str, str] = field(default_factory=dict)  # normalised variant -> canonical
    stem_synonyms: dict[Stems, str] = field(default_factory=dict)
    longest_lookup: int = 0

    @classmethod
    def from_data(cls, data: TrainingData) -> EntityExtractor:
        """Build from the regexes, lookups and synonyms of the data."""
        extractor = cls()
        for regex in data.regexes:
            extractor.regexes.extend((regex.name, re.compile(p, re.IGNORECASE)) for p in regex.values)
        for variant, canonical in data.synonyms.items():
            extractor.synonyms[normalize(variant)] = canonical
            extractor.stem_synonyms[_stems(variant)] = canonical
        for lookup in data.lookups:
            values = set(lookup.values)
            values |= {v for v, c in data.synonyms.items() if c in values}  # a synonym of a listed value
            for value in values:
                key = _stems(value)
                if key:
                    extractor.lookups.setdefault(key, (lookup.name, value))
        extractor.longest_lookup = max((len(k) for k in extractor.lookups), default=0)
        return extractor

    def extract(self, text: str, today: date) -> list[Entity]:
        """Entities of `text`, ordered by position, without overlaps."""
        candidates: list[Entity] = [
            Entity(entity=e, value=v, start=s, end=end, extractor="builtin", canonical=self.canonical(c))
            for e, v, s, end, c in builtin_entities.extract_all(text, today)
        ]
        candidates.extend(self._regex(text))
        candidates.extend(self._lookup(text))
        return _without_overlaps(candidates)

    def canonical(self, value: str) -> str:
        """The synonym's canonical value, or the value itself."""
        found = self.synonyms.get(normalize(value))
        return found if found is not None else self.stem_synonyms.get(_stems(value), value)

    def _regex(self, text: str) -> list[Entity]:
        return [
            Entity(entity=name, value=m.group(), start=m.start(), end=m.end(), extractor="regex",
                   canonical=self.canonical(m.group()))
            for name, pattern in self.regexes for m in pattern.finditer(text) if m.end() > m.start()
        ]

    def _lookup(self, text: str) -> list[Entity]:
        tokens = words(text)
        stems = [stem(w) for w, _, _ in tokens]
        starts = self._first_stems()
        found: list[Entity] = []
        for i in range(len(tokens)):
            if stems[i] not in starts:  # no lookup value begins with this word: skip its n look-ups
                continue
            for n in range(min(self.longest_lookup, len(tokens) - i), 0, -1):
                hit = self.lookups.get(tuple(stems[i:i + n]))
                if hit is None:
                    continue
                start, end = tokens[i][1], tokens[i + n - 1][2]
                found.append(Entity(entity=hit[0], value=text[start:end], start=start, end=end, extractor="lookup",
                                    canonical=self.canonical(hit[1])))
                break
        return found


    def _first_stems(self) -> frozenset[str]:
        """The first stem of every lookup value (worked out on first use: models pickled before kept none)."""
        starts: frozenset[str] | None = self.__dict__.get("_starts")
        if starts is None:
            starts = self.__dict__["_starts"] = frozenset(key[0] for key in self.lookups)
        return starts


def _without_overlaps(candidates: list[Entity]) -> list[Entity]:
    kept: list[Entity] = []
    for entity in candidates:  # already in priority order; within a kind prefer longer spans
        if all(entity.end <= k.start or entity.start >= k.end for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)
