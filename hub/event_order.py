"""The order in which this process published its events, so a consumer that derives from stored state can skip
an event whose state it has already read.

Events are published after the change they announce is stored. A consumer that rereads the stored record on
each event (the reports projection) has therefore seen an event's change when its read began after that event
was published: the later event of a burst about one conversation (opened, received, sent, sent...) then needs
no second read. Only events published by this process are known here; any other one (another process's, a
replayed dead letter, one forgotten past `limit`) is simply unknown, and the consumer reads as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(entries: dict[K, V], key: K, value: V, limit: int) -> None:
    """Keep `value` as the newest entry of `entries`, forgetting the oldest beyond `limit` (dicts keep their
    insertion order: a key set again moves to the end)."""
    entries.pop(key, None)
    entries[key] = value
    if len(entries) > limit:
        del entries[next(iter(entries))]


class PublishOrder:
    """A counter of publications and the latest count and moment (`clock`, monotonic) of each event id (the
    newest `limit` ids)."""

    def __init__(self, limit: int = 20_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.count = 0
        self._seq: dict[str, tuple[int, float]] = {}

    def note(self, event_id: str) -> None:
        """The event is about to be published (its change is stored): count it."""
        self.count += 1
        remember(self._seq, event_id, (self.count, self.clock()), self.limit)  # a republished id: its latest place

    def seq_of(self, event_id: str) -> int | None:
        """The count at the event's latest publication here, or None if this process does not know it."""
        found = self._seq.get(event_id)
        return None if found is None else found[0]

    def age(self, event_id: str) -> float | None:
        """Seconds since the event's latest publication here, or None if this process does not know it."""
        found = self._seq.get(event_id)
        return None if found is None else self.clock() - found[1]
