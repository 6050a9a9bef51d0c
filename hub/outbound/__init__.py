"""Outbound: the outbox with retries, and proactive messages."""

from hub.outbound import outbox, proactive
from hub.outbound.codes import send_code

__all__ = ["outbox", "proactive", "send_code"]
