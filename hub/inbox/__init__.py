"""The inbox back end: handover, routing and its config, assignment, transfers, SLA, follow-ups,
resolution, operator replies, notes, canned answers, the board, live updates, loops."""

from hub.inbox import (
    assignment,
    board,
    canned,
    follow_ups,
    handover,
    notes,
    replies,
    resolution,
    routing,
    sla,
    transfers,
)
from hub.inbox.board import OperatorRow
from hub.inbox.config import DEFAULT_SLA, SHIPPED_INBOX_CONFIG, InboxConfig, SlaTarget, load_inbox_config
from hub.inbox.live import group_topic, operator_topic
from hub.inbox.notes import add_note
from hub.inbox.routing import TOPIC_PATTERN

__all__ = [
    "DEFAULT_SLA",
    "SHIPPED_INBOX_CONFIG",
    "TOPIC_PATTERN",
    "InboxConfig",
    "OperatorRow",
    "SlaTarget",
    "add_note",
    "assignment",
    "board",
    "canned",
    "follow_ups",
    "group_topic",
    "handover",
    "load_inbox_config",
    "notes",
    "operator_topic",
    "replies",
    "resolution",
    "routing",
    "sla",
    "transfers",
]
