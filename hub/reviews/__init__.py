"""Review monitoring: public reviews of the stores and the app, taken in from every source, read, routed to
cases when negative, answered in public, and measured (hub/reviews/report.py).

The facade: what api/ and the worker may do with reviews.
"""

from hub.ports import ReviewRules, ReviewsRuntime
from hub.reviews import report
from hub.reviews.canned import reply_templates
from hub.reviews.export import COLUMNS, mask
from hub.reviews.export import rows as export_rows
from hub.reviews.ingest import Outcome, review_key, runtime_of, take
from hub.reviews.places import Suggestion, map_place, suggest
from hub.reviews.poller import poll_once, run_review_pollers
from hub.reviews.replies import approve, draft, post_approved

__all__ = [
    "COLUMNS",
    "Outcome",
    "ReviewRules",
    "ReviewsRuntime",
    "Suggestion",
    "approve",
    "draft",
    "export_rows",
    "map_place",
    "mask",
    "poll_once",
    "post_approved",
    "reply_templates",
    "report",
    "review_key",
    "run_review_pollers",
    "runtime_of",
    "suggest",
    "take",
]
