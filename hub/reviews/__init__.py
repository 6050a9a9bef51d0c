"""Review monitoring: public reviews of the stores and the app, taken in from every source, read, routed to
cases when negative, answered in public, and measured (hub/reviews/report.py).

The facade: what api/ and the worker may do with reviews.
"""

from hub.reviews.ingest import Outcome, review_key, runtime_of, take
from hub.reviews.places import Suggestion, map_place, suggest
from hub.reviews.poller import poll_once, run_review_pollers
from hub.reviews.replies import approve, draft, post_approved
from hub.reviews.runtime import ReviewRules, ReviewsRuntime

__all__ = [
    "Outcome", "ReviewRules", "ReviewsRuntime", "Suggestion", "approve", "draft", "map_place", "poll_once",
    "post_approved", "review_key", "run_review_pollers", "runtime_of", "suggest", "take",
]
