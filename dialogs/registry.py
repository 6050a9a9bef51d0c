"""Serve the current flows and swap in changed files only when they load and check cleanly (hot reload).

    registry = FlowRegistry(Path("dialogs/flows"), intents=..., actions=...)   # FlowError if invalid
    registry.reload_if_changed()      # once per turn: a stat of the tree at most every `check_every` s
    result = await step(registry.current(), state, turn, actions)
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from dialogs.check import check
from dialogs.loader import flow_files, load_flows
from dialogs.model import FlowSet
from dialogs.problems import FlowError, Problem

log = logging.getLogger("otklik.dialogs")

Signature = tuple[tuple[str, int, int], ...]  # (path, mtime_ns, size) of every file


class FlowRegistry:
    """`current()` is the FlowSet to use for a new turn; `reload_if_changed()` is cheap and rate-limited."""

    def __init__(self, directory: Path, *, intents: set[str] | None = None, actions: set[str] | None = None,
                 entities: set[str] | None = None, check_every: float = 2.0) -> None:
        self.directory = directory
        self.intents, self.actions, self.entities = intents, actions, entities
        self.check_every = check_every
        self._errors: list[Problem] = []
        self._signature = self._scan()
        self._flows = self._load()  # invalid flows at start-up: FlowError, nothing to fall back on
        self._checked_at = time.monotonic()

    def current(self) -> FlowSet:
        """The flows being served."""
        return self._flows

    @property
    def last_error(self) -> list[Problem]:
        """The problems of the last rejected change (empty once a valid version loads)."""
        return list(self._errors)

    def reload_if_changed(self, *, force: bool = False) -> bool:
        """Reload if a file changed (stat at most every `check_every` s); True if new flows were swapped in."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_every:
            return False
        self._checked_at = now
        signature = self._scan()
        if signature == self._signature:
            return False
        self._signature = signature  # a rejected version is not re-checked until the files change again
        try:
            flows = self._load()
        except FlowError as e:
            self._errors = e.problems
            for problem in e.problems:
                log.error("dialog flows not reloaded: %s", problem,
                          extra={"file": problem.file, "line": problem.line, "version": self._flows.version})
            return False
        self._flows, self._errors = flows, []
        log.info("dialog flows reloaded", extra={"version": flows.version, "flows": len(flows.flows)})
        return True

    def _load(self) -> FlowSet:
        flows = load_flows(self.directory)
        problems = check(flows, intents=self.intents, actions=self.actions, entities=self.entities)
        if problems:
            raise FlowError(problems)
        return flows

    def _scan(self) -> Signature:
        if not self.directory.is_dir():
            return ()
        found = []
        for path in flow_files(self.directory):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed while we looked
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(found)
