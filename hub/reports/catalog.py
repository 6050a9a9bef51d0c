"""Every report by name, and the dashboards composed of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.reports import case_reports, conversation_reports, voice
from hub.reports.engine import summarize, total
from hub.reports.shapes import Cell, Report, Series, Table, mean, quantile_minutes, share
from hub.stores.reports import Filters, ReportStore
from models.report_cube import CONVERSATIONS

Builder = Callable[[ReportStore, Filters], Awaitable[Report]]

REPORTS: dict[str, Builder] = {
    "volume": conversation_reports.volume,
    "sla": conversation_reports.sla,
    "containment": conversation_reports.containment,
    "nlu": conversation_reports.nlu,
    "repeats": conversation_reports.repeats,
    "csat": conversation_reports.csat,
    "operators": conversation_reports.operators,
    "cases": case_reports.cases,
    "voice": voice.voice,
}


def _kpis(c: dict[str, float]) -> dict[str, Cell]:
    return {
        "conversations": int(c["conversations"]), "settled by the bot, %": share(c["contained"], c["conversations"]),
        "handed over": int(c["handed_over"]), "resolved": int(c["resolved"]),
        "first response p90, min": quantile_minutes(c, "fr_b", 0.9),
        "first response within SLA, %": share(c["fr_met"], c["fr_sla"]),
        "CSAT average": mean(c["csat_sum"], c["csat_n"]), "complaints": int(c["complaints"]),
    }


async def supervisor(store: ReportStore, f: Filters) -> Report:
    """Today (the filters' last day), live: headline numbers, conversations per hour, groups and operators."""
    today = f.but(start=f.end)
    report = Report("supervisor", f"Today, {f.end}", headline=_kpis(await total(store, CONVERSATIONS, today)))
    hours = await summarize(store, CONVERSATIONS, today, ("hour",))
    labels = [f"{h:02d}" for h in range(24)]
    report.series.append(conversation_reports.trend(hours, labels, "conversations", "per_hour",
                                                    "Conversations per hour"))
    groups = Table("by_group", "Groups today", ["group", *_kpis(dict.fromkeys(CONVERSATIONS.measures, 0))])
    for (value,), c in await summarize(store, CONVERSATIONS, today, ("group",)):
        if value:
            groups.rows.append([value, *_kpis(c).values()])
            groups.drill.append({"group": value, "start": f.end})
    report.tables.append(groups)
    report.tables += (await conversation_reports.operators(store, today)).tables
    return report


TABLE_MEASURES = ("conversations", "complaints", "contained", "repeats", "csat_sum", "csat_n")


async def management(store: ReportStore, f: Filters, *, top: int = 30) -> Report:
    """The period by region and by store (the busiest `top`), with the weekly trend."""
    report = Report("management", f"{f.start} – {f.end}", headline=_kpis(await total(store, CONVERSATIONS, f)))
    weeks = await summarize(store, CONVERSATIONS, f, ("week",))
    report.series.append(Series("per_week", "Conversations per week", [k[0] for k, _ in weeks],
                                [c["conversations"] for _, c in weeks]))
    report.series.append(Series("complaints_per_week", "Complaints per week", [k[0] for k, _ in weeks],
                                [c["complaints"] for _, c in weeks]))
    for dim in ("region", "store"):
        table = Table(f"by_{dim}", f"By {dim}", [dim, "conversations", "complaints", "complaints, %",
                                                  "settled by the bot, %", "repeat rate, %", "CSAT average"])
        rows = await summarize(store, CONVERSATIONS, f, (dim,), measures=TABLE_MEASURES,
                               top=("conversations", top + 1 if dim == "store" else 10_000))
        for (value,), c in [r for r in rows if r[0][0]][:top if dim == "store" else None]:
            table.rows.append([value, int(c["conversations"]), int(c["complaints"]),
                               share(c["complaints"], c["conversations"]), share(c["contained"], c["conversations"]),
                               share(c["repeats"], c["conversations"]), mean(c["csat_sum"], c["csat_n"])])
            table.drill.append({dim: value})
        report.tables.append(table)
    return report




async def store_dashboard(store: ReportStore, f: Filters) -> Report:
    """One store's period (the filters name the store): numbers, daily trend, topics and cases."""
    report = Report("store", f"{f.store or ''}: {f.start} – {f.end}",
                    headline=_kpis(await total(store, CONVERSATIONS, f)))
    days = await summarize(store, CONVERSATIONS, f, ("day",))
    report.series.append(conversation_reports.trend(days, conversation_reports.days_between(f), "complaints",
                                                    "complaints_per_day", "Complaints per day"))
    report.tables += (await conversation_reports.volume(store, f)).tables[:1]
    report.tables += (await case_reports.cases(store, f)).tables[:1]
    return report


DASHBOARDS: dict[str, Builder] = {"supervisor": supervisor, "management": management, "store": store_dashboard}


async def build(name: str, store: ReportStore, f: Filters) -> Report:
    """The report or dashboard `name`; KeyError if there is none."""
    builder = REPORTS.get(name) or DASHBOARDS[name]
    return await builder(store, f)
