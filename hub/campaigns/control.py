"""The control group: a share of each campaign's eligible customers never gets its offer.

Deterministic per (customer, campaign): the same customer is always on the same side of the same campaign, in
every process, so a retried or repeated contact cannot move them; and independent across campaigns.
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(customer_id: str, campaign_id: str) -> int:
    """The customer's fixed place in [0, BUCKETS) for this campaign."""
    digest = hashlib.blake2b(f"{campaign_id}\x00{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def in_control(customer_id: str, campaign_id: str, share: float) -> bool:
    """Whether the customer is held back from this campaign."""
    return bucket(customer_id, campaign_id) < round(share * BUCKETS)
