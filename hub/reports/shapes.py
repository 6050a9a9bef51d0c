"""What a report returns: headline numbers, tables whose rows drill down, and series to chart.

Plain data: pages render it, the API serialises it, exports write its tables. A row's `drill` names the
filter values (and condition) that list the conversations or cases behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.report_cube import BUCKETS, percentile

Cell = str | int | float | None


@dataclass
class Table:
    """Rows under named columns; `drill[i]` narrows the report's filters to row i's facts."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    drill: list[dict[str, str]] = field(default_factory=list)
    cube: str = "conversations"  # whose facts a drill-down lists


@dataclass
class Series:
    """Values over labels (days, hours, weeks) for a line or bar chart."""

    name: str
    title: str
    labels: list[str]
    values: list[float]


@dataclass
class Report:
    """One report for one set of filters."""

    name: str
    title: str
    headline: dict[str, Cell] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)


def share(part: float, whole: float) -> float | None:
    """part/whole in percent, one decimal; None when there is no whole."""
    return round(100.0 * part / whole, 1) if whole else None


def minutes(seconds: float | None) -> float | None:
    """Seconds as minutes, one decimal (an open-ended bucket stays None: 'over the last edge')."""
    if seconds is None or seconds == float("inf"):
        return None
    return round(seconds / 60.0, 1)


def quantile_minutes(counts: dict[str, float], prefix: str, q: float) -> float | None:
    """The q-quantile of a histogram counter family (e.g. 'fr_b'), in minutes."""
    return minutes(percentile([int(counts.get(f"{prefix}{n}", 0)) for n in range(BUCKETS)], q))


def mean(total: float, n: float, digits: int = 2) -> float | None:
    """total/n rounded; None without data."""
    return round(total / n, digits) if n else None
