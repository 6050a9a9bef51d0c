"""Retention: how long message texts and attached files are kept, enforced by the worker in bounded batches.

Each kind walks every message in stored order from its own cursor (the CursorStore), one batch of
`OTKLIK_RETENTION_BATCH` per step: a message older than the kind's age is changed (texts become "erased" as an
erasure does; files are removed and deleted from disk), and the walk stops at the first message that is not old
enough, since stored order is the order they arrived in. Unset ages keep everything. Several workers may run it
at once: every change is idempotent, and the cursor only moves forward over what is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.privacy.files import remove_files
from hub.stores import anonymise
from models.clock import utcnow
from models.messages import Message

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.settings import Settings

log = logging.getLogger(__name__)
CURSOR = "privacy:retention:{kind}"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of data is kept (None: for ever) and how many messages one step looks at."""

    messages: timedelta | None = None
    attachments: timedelta | None = None
    batch: int = 500

    @classmethod
    def of(cls, settings: Settings) -> RetentionPolicy:
        """From OTKLIK_RETENTION_MESSAGES_DAYS, OTKLIK_RETENTION_ATTACHMENTS_DAYS, OTKLIK_RETENTION_BATCH."""
        def days(value: float | None) -> timedelta | None:
            return None if value is None else timedelta(days=value)

        return cls(days(settings.retention_messages_days), days(settings.retention_attachments_days),
                   settings.retention_batch)

    @property
    def active(self) -> bool:
        """Whether anything expires at all."""
        return self.messages is not None or self.attachments is not None


@dataclass
class RetentionStep:
    """What one step did."""

    messages: int = 0  # texts erased
    attachments: int = 0  # messages whose files were removed
    files: int = 0  # files deleted from disk
    more: bool = False  # a full batch was due: call again without waiting


async def enforce_retention(hub: Hub, policy: RetentionPolicy, *, now: datetime) -> RetentionStep:
    """One bounded step of every kind that has an age."""
    step = RetentionStep()
    kinds: list[tuple[str, timedelta | None, Callable[[Message], Message]]] = [
        ("messages", policy.messages, anonymise.message), ("attachments", policy.attachments, anonymise.without_files)]
    for kind, age, change in kinds:
        if age is None:
            continue
        changed, files, more = await _expire(hub, kind, now - age, change, policy.batch)
        step.files += await asyncio.to_thread(remove_files, hub, files)
        setattr(step, kind, getattr(step, kind) + changed)
        step.more = step.more or more
    return step


async def _expire(hub: Hub, kind: str, before: datetime, change: Callable[[Message], Message],
                  batch: int) -> tuple[int, list[str], bool]:
    """Change the messages of one batch created before `before`; (changed, files they named, whether more)."""
    cursor = CURSOR.format(kind=kind)
    after = int(await hub.stores.cursors.get(cursor) or 0)
    page = await hub.stores.privacy.messages_after(after, limit=batch)
    done, changed, files = after, [], []
    for seq, message in page:
        if message.created_at >= before:
            break  # stored order is arrival order: the rest are younger still
        new = change(message)
        if new != message:
            changed.append(new)
            files += anonymise.message_files(message)
        done = seq
    await hub.stores.privacy.replace_messages(changed)
    if done != after:
        await hub.stores.cursors.set(cursor, str(done))
    return len(changed), files, len(page) == batch and done == page[-1][0]


async def run_retention(hub: Hub, stop: asyncio.Event) -> None:
    """Enforce the configured policy until `stop` is set: batch after batch while some are due, then every
    OTKLIK_RETENTION_INTERVAL_MINUTES. A failing step is logged and tried again next time."""
    policy = RetentionPolicy.of(hub.settings)
    if not policy.active:
        return
    while not stop.is_set():
        more = False
        try:
            step = await enforce_retention(hub, policy, now=utcnow())
            more = step.more
            if step.messages or step.attachments:
                log.info("retention step", extra={"messages": step.messages, "attachments": step.attachments,
                                                  "files": step.files})
        except Exception:  # a dead loop would silently keep data past its time: log and go on
            log.exception("retention step failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0 if more else hub.settings.retention_interval_minutes * 60)
