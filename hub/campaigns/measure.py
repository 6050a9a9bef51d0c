"""What a campaign did: offers made, delivered and redeemed, conversion, uplift against the control group with a
95% confidence interval, cost against the budget, and the same by segment and by channel. Pure: records in,
numbers out.

Uplift is the difference of two proportions: offered customers who redeemed, minus held-back customers the
CRM reported buying in the campaign's window. Its interval is Newcombe's hybrid score interval (method 10 of
Newcombe 1998) built from the two Wilson intervals: it stays inside [-1, 1] and behaves with few customers or
none converting, where the normal approximation does not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from models.campaigns import Campaign, OfferRecord, OfferState

Z95 = 1.959963984540054
KOPECK = Decimal("0.01")


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when there is nothing to go on."""
    if n == 0:
        return 0.0, 1.0
    p, z2 = successes / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """Interval of p1 - p2 (Newcombe's hybrid score); (-1, 1) when either group is empty."""
    if n1 == 0 or n2 == 0:
        return -1.0, 1.0
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


@dataclass(frozen=True)
class Tally:
    """The numbers of one slice of a campaign's records."""

    label: str
    made: int
    delivered: int
    redeemed: int
    held_back: int
    held_back_converted: int

    @property
    def conversion(self) -> float | None:
        """Redeemed of made."""
        return self.redeemed / self.made if self.made else None

    @property
    def control_conversion(self) -> float | None:
        """Converted of held back."""
        return self.held_back_converted / self.held_back if self.held_back else None

    @property
    def uplift(self) -> float | None:
        """Conversion minus control conversion."""
        if self.conversion is None or self.control_conversion is None:
            return None
        return self.conversion - self.control_conversion

    @property
    def interval(self) -> tuple[float, float] | None:
        """95% interval of the uplift."""
        if self.uplift is None:
            return None
        return newcombe(self.redeemed, self.made, self.held_back_converted, self.held_back)


@dataclass(frozen=True)
class CampaignReport:
    """The campaign page's numbers."""

    campaign: Campaign
    total: Tally
    by_segment: list[Tally]
    by_channel: list[Tally]
    cost: Decimal  # redemptions × cost per redemption
    budget_cost: Decimal | None  # the budget's offers × cost: what the campaign may cost at most

    @property
    def budget_used(self) -> float | None:
        """Offers made of the budget."""
        return self.total.made / self.campaign.budget if self.campaign.budget else None


def tally(label: str, records: Iterable[OfferRecord]) -> Tally:
    """Count one slice."""
    made = delivered = redeemed = held = converted = 0
    for r in records:
        if r.control:
            held += 1
            converted += r.converted
            continue
        made += 1
        delivered += r.state in (OfferState.DELIVERED, OfferState.REDEEMED)
        redeemed += r.state is OfferState.REDEEMED
    return Tally(label, made, delivered, redeemed, held, converted)


def _by(records: list[OfferRecord], key: Callable[[OfferRecord], str]) -> list[Tally]:
    groups: dict[str, list[OfferRecord]] = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    return [tally(label, rows) for label, rows in sorted(groups.items())]


def report(campaign: Campaign, records: list[OfferRecord]) -> CampaignReport:
    """The campaign's numbers from its records."""
    total = tally("total", records)
    cost = (campaign.offer.cost * total.redeemed).quantize(KOPECK)
    budget_cost = (campaign.offer.cost * campaign.budget).quantize(KOPECK) if campaign.budget else None
    return CampaignReport(campaign, total, _by(records, lambda r: r.segment), _by(records, lambda r: r.channel.value),
                          cost, budget_cost)


COLUMNS = ("slice", "label", "made", "delivered", "redeemed", "conversion", "held_back", "held_back_converted",
           "control_conversion", "uplift", "uplift_low", "uplift_high")


def rows(result: CampaignReport) -> list[list[str | int | float | None]]:
    """The report as table rows (COLUMNS), for the CSV export."""
    out: list[list[str | int | float | None]] = []
    for kind, tallies in (("total", [result.total]), ("segment", result.by_segment), ("channel", result.by_channel)):
        for t in tallies:
            low, high = t.interval or (None, None)
            out.append([kind, t.label, t.made, t.delivered, t.redeemed, _r(t.conversion), t.held_back,
                        t.held_back_converted, _r(t.control_conversion), _r(t.uplift), _r(low), _r(high)])
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
