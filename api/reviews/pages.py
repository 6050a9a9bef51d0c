"""The review monitoring page (/reviews) for supervisors and managers: a view-model from hub/reviews/report.py
rendered server-side, trends drawn as inline SVG polylines computed here (no script)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import HubDep
from api.templating import templates
from api.web_auth import require_role
from hub.reviews import runtime_of
from hub.reviews.report import Monitoring, Trend, monitoring
from models.clock import utcnow
from models.reviews import ReplyState
from models.staff import Role, User

router = APIRouter(tags=["review pages"], include_in_schema=False)
MonitorUser = Annotated[User, Depends(require_role(Role.SUPERVISOR, Role.ADMIN, Role.OPERATOR))]
LOOK_BACK = timedelta(days=130)  # the drop test's 30 + 90 days, and a margin


@dataclass(frozen=True)
class TrendRow:
    """One line of a trend table."""

    key: str
    name: str
    region: str | None
    total: int
    average: str
    rating_points: str   # SVG polyline points, 0..100 × 0..20, 5 stars at the top
    volume_points: str
    counts: str          # per week, for screen readers and the test


def _points(values: list[float | None], top: float) -> str:
    step = 100 / max(len(values) - 1, 1)
    return " ".join(f"{n * step:.1f},{20 - 20 * v / top:.1f}" for n, v in enumerate(values) if v is not None)


def row(trend: Trend) -> TrendRow:
    """A trend as the table draws it."""
    counts = [w.count for w in trend.weeks]
    return TrendRow(trend.key, trend.name, trend.region, trend.total,
                    "—" if trend.average is None else f"{trend.average:.2f}",
                    _points([w.average for w in trend.weeks], 5.0), _points([float(c) for c in counts],
                                                                            float(max(counts) or 1)),
                    " ".join(str(c) for c in counts))


async def load(hub: HubDep, region: str | None) -> Monitoring:
    """The numbers, for one region or all."""
    rt, now = runtime_of(hub), utcnow()
    reviews = await rt.store.find(since=now - LOOK_BACK)
    stores = {s.id: (s.name, s.region) for s in await hub.stores.directory.list_stores(limit=100_000)}
    if region:
        reviews = [r for r in reviews if r.region == region]
    return monitoring(reviews, stores, now)


@router.get("/reviews", response_class=HTMLResponse)
async def monitoring_page(request: Request, hub: HubDep, user: MonitorUser, region: str = "") -> HTMLResponse:
    """Rating and volume by store and region, negative topics, responses, drops and bursts."""
    report = await load(hub, region or None)
    waiting = [r for r in await runtime_of(hub).store.find(since=report.since, limit=2000)
               if r.negative and not r.deleted and (r.reply is None or r.reply.state is ReplyState.DRAFT)
               and (not region or r.region == region)][:20]
    view = {"report": report, "stores": [row(t) for t in report.stores], "regions": [row(t) for t in report.regions],
            "region": region, "section": "reviews", "waiting": waiting}
    response = templates.TemplateResponse(request, "reviews/monitor.html", view)
    response.headers["cache-control"] = "no-store"
    return response
