"""CSAT: after a resolve the shopper rates it 1–5 in the channel of origin; a low score reopens to supervisors.

Public operations: `ask` (a request after a resolve), `take_reply` (a message that answers one),
`answer_by_link` / `comment_by_link` (the e-mail links), `consumers` (the worker's events loop).
Modules: `asking` (the question per channel), `answers` (recording, events, escalation), `replies` (inbound
answers), `links` (signed one-click links), `by_link` (the links' operations), `runner` (events → requests).
"""

from hub.csat.answers import MAX_COMMENT, Recorded, record_comment, record_score
from hub.csat.asking import ask
from hub.csat.by_link import answer_by_link, comment_by_link
from hub.csat.replies import take as take_reply
from hub.csat.runner import consumers

__all__ = [
    "MAX_COMMENT",
    "Recorded",
    "answer_by_link",
    "ask",
    "comment_by_link",
    "consumers",
    "record_comment",
    "record_score",
    "take_reply",
]
