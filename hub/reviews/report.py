"""What the monitoring page shows, computed from the stored reviews: rating and volume by week per store and
per region, the topics of negative reviews, how many negative reviews were answered and how fast, the stores
whose rating dropped significantly, and the stores with a burst of negative reviews.

A drop is significant when the last `recent_days` average is at least `min_drop` stars below the
`baseline_days` before them and Welch's t statistic exceeds 2 (about 95 % for the sample sizes we see),
with at least 3 recent and 5 earlier reviews.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.reviews import ReplyState, Review

ANSWERED = (ReplyState.POSTED, ReplyState.MANUAL)


@dataclass(frozen=True)
class Week:
    """One week of one store or region."""

    start: datetime
    count: int
    average: float | None


@dataclass
class Trend:
    """A store's or region's weeks, oldest first."""

    key: str
    name: str
    region: str | None
    weeks: list[Week] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Reviews in the period."""
        return sum(w.count for w in self.weeks)

    @property
    def average(self) -> float | None:
        """Average stars over the period."""
        rated = [(w.average, w.count) for w in self.weeks if w.average is not None]
        count = sum(c for _, c in rated)
        return None if not count else sum(a * c for a, c in rated) / count


@dataclass(frozen=True)
class Drop:
    """A store whose rating fell significantly."""

    store_id: str
    name: str
    before: float
    recent: float
    before_n: int
    recent_n: int
    t: float


@dataclass(frozen=True)
class Responses:
    """How negative reviews were answered in the period."""

    negative: int
    answered: int
    median_hours: float | None

    @property
    def rate(self) -> float | None:
        """Answered share of negative reviews."""
        return None if not self.negative else self.answered / self.negative


@dataclass
class Monitoring:
    """The whole page's numbers."""

    since: datetime
    stores: list[Trend]
    regions: list[Trend]
    negative_topics: list[tuple[str, int]]
    responses: Responses
    drops: list[Drop]
    bursts: list[tuple[str, int]]


def week_of(at: datetime, now: datetime) -> datetime:
    """The start of the 7-day window (counted back from `now`) that `at` falls in."""
    return now - timedelta(days=7 * (int((now - at).total_seconds() // (7 * 86400)) + 1))


def _trend(key: str, name: str, region: str | None, reviews: list[Review], now: datetime, weeks: int) -> Trend:
    buckets: dict[datetime, list[int | None]] = defaultdict(list)
    for review in reviews:
        buckets[week_of(review.created_at, now)].append(review.rating)
    trend = Trend(key, name, region)
    for n in range(weeks, 0, -1):
        start = now - timedelta(days=7 * n)
        rated = [r for r in buckets.get(start, []) if r is not None]
        trend.weeks.append(Week(start, len(buckets.get(start, [])), statistics.fmean(rated) if rated else None))
    return trend


def _welch(a: list[int], b: list[int]) -> float:
    """Welch's t of mean(a) - mean(b)."""
    va, vb = statistics.variance(a) if len(a) > 1 else 0.0, statistics.variance(b) if len(b) > 1 else 0.0
    spread = math.sqrt(va / len(a) + vb / len(b))
    diff = statistics.fmean(a) - statistics.fmean(b)
    return math.inf if spread == 0 and diff > 0 else (diff / spread if spread else 0.0)


def drops(reviews: list[Review], names: dict[str, str], now: datetime, *, recent_days: int = 30,
          baseline_days: int = 90, min_drop: float = 0.5) -> list[Drop]:
    """Stores whose recent rating is significantly below their baseline, biggest drop first."""
    recent_from, baseline_from = now - timedelta(days=recent_days), now - timedelta(days=recent_days + baseline_days)
    by_store: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for review in reviews:
        if review.store_id is None or review.rating is None or review.deleted or review.created_at < baseline_from:
            continue
        before, recent = by_store[review.store_id]
        (recent if review.created_at >= recent_from else before).append(review.rating)
    found = []
    for store_id, (before, recent) in by_store.items():
        if len(before) < 5 or len(recent) < 3:
            continue
        gap, t = statistics.fmean(before) - statistics.fmean(recent), _welch(before, recent)
        if gap >= min_drop and t > 2:
            found.append(Drop(store_id, names.get(store_id, store_id), round(statistics.fmean(before), 2),
                              round(statistics.fmean(recent), 2), len(before), len(recent), round(t, 1)))
    return sorted(found, key=lambda d: d.recent - d.before)


def bursts(reviews: list[Review], now: datetime, *, hours: int = 24, threshold: int = 3) -> list[tuple[str, int]]:
    """Stores with at least `threshold` negative reviews in the last `hours`, most first."""
    since = now - timedelta(hours=hours)
    counts = Counter(r.store_id for r in reviews if r.store_id and r.negative and not r.deleted
                     and r.created_at >= since)
    return [(store, n) for store, n in counts.most_common() if n >= threshold]


def responses(reviews: list[Review]) -> Responses:
    """Answered negative reviews and the median time to the posted reply."""
    negative = [r for r in reviews if r.negative and not r.deleted]
    answered = [r for r in negative if r.reply is not None and r.reply.state in ANSWERED]
    hours = [(r.reply.posted_at - r.created_at).total_seconds() / 3600 for r in answered
             if r.reply is not None and r.reply.posted_at is not None]
    return Responses(len(negative), len(answered), round(statistics.median(hours), 1) if hours else None)


def monitoring(reviews: list[Review], stores: dict[str, tuple[str, str | None]], now: datetime, *,
               weeks: int = 8) -> Monitoring:
    """Every number of the page over the last `weeks` weeks (drops look further back: their own windows)."""
    since = now - timedelta(days=7 * weeks)
    period = [r for r in reviews if r.created_at >= since and not r.deleted]
    by_store: dict[str, list[Review]] = defaultdict(list)
    by_region: dict[str, list[Review]] = defaultdict(list)
    for review in period:
        if review.store_id is not None:
            by_store[review.store_id].append(review)
            by_region[review.region or "—"].append(review)
    store_trends = [_trend(s, stores.get(s, (s, None))[0], stores.get(s, (s, None))[1], rs, now, weeks)
                    for s, rs in by_store.items()]
    region_trends = [_trend(r, r, r, rs, now, weeks) for r, rs in by_region.items()]
    topics = Counter(t for r in period if r.negative for t in r.topics)
    return Monitoring(since=since, stores=sorted(store_trends, key=lambda t: (t.average or 0, -t.total)),
                      regions=sorted(region_trends, key=lambda t: t.key), negative_topics=topics.most_common(),
                      responses=responses(period), drops=drops(reviews, {k: v[0] for k, v in stores.items()}, now),
                      bursts=bursts(reviews, now))
