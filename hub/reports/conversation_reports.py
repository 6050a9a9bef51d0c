"""Reports on conversations: volume, SLA, bot containment, NLU, repeat contacts, CSAT, operators."""

from __future__ import annotations

from datetime import date, timedelta

from hub.reports.engine import summarize, total
from hub.reports.shapes import Cell, Report, Series, Table, mean, quantile_minutes, share
from hub.stores.reports import Filters, ReportStore, Row
from models.report_cube import CONVERSATIONS


def days_between(filters: Filters) -> list[str]:
    """Every day of the filters' period."""
    start, end = date.fromisoformat(filters.start), date.fromisoformat(filters.end)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def earlier(filters: Filters) -> Filters:
    """The period of the same length just before."""
    start, end = date.fromisoformat(filters.start), date.fromisoformat(filters.end)
    length = (end - start).days + 1
    return filters.but(start=(start - timedelta(days=length)).isoformat(),
                       end=(start - timedelta(days=1)).isoformat())


def ranked(rows: list[Row], measure: str) -> list[Row]:
    """Rows with the largest `measure` first."""
    return sorted(rows, key=lambda r: -r[1][measure])


def trend(rows: list[Row], labels: list[str], measure: str, name: str, title: str) -> Series:
    """A series of one counter over labels (zero where no row)."""
    found = {key[0]: counts[measure] for key, counts in rows}
    return Series(name, title, labels, [found.get(label, 0) for label in labels])


async def volume(store: ReportStore, f: Filters) -> Report:
    """How many conversations, the trend by day, and the split by topic and channel against the period before."""
    now = await total(store, CONVERSATIONS, f)
    before = await total(store, CONVERSATIONS, earlier(f))
    days = await summarize(store, CONVERSATIONS, f, ("day",))
    report = Report("volume", "Volume and trend", headline={
        "conversations": int(now["conversations"]), "previous period": int(before["conversations"]),
        "change, %": share(now["conversations"] - before["conversations"], before["conversations"]),
        "complaints": int(now["complaints"])})
    report.series.append(trend(days, days_between(f), "conversations", "per_day", "Conversations per day"))
    for dim in ("topic", "channel"):
        table = Table(f"by_{dim}", f"By {dim}", [dim, "conversations", "share, %", "complaints"])
        for (value,), c in ranked(await summarize(store, CONVERSATIONS, f, (dim,)), "conversations"):
            table.rows.append([value or "—", int(c["conversations"]), share(c["conversations"], now["conversations"]),
                               int(c["complaints"])])
            table.drill.append({dim: value})
        report.tables.append(table)
    return report


async def sla(store: ReportStore, f: Filters) -> Report:
    """First-response and resolution times (p50/p90) against their SLA, by group."""
    now = await total(store, CONVERSATIONS, f)
    report = Report("sla", "Response and resolution times against SLA", headline=_sla_cells(now))
    table = Table("by_group", "By group", ["group", *report.headline])
    for (value,), c in await summarize(store, CONVERSATIONS, f, ("group",)):
        if value:
            table.rows.append([value, *_sla_cells(c).values()])
            table.drill.append({"group": value, "condition": "fr_missed"})
    report.tables.append(table)
    days = await summarize(store, CONVERSATIONS, f, ("day",))
    labels = days_between(f)
    met = {k[0]: share(c["fr_met"], c["fr_sla"]) or 0.0 for k, c in days}
    report.series.append(Series("fr_compliance", "First response within SLA, % per day", labels,
                                [met.get(day, 0.0) for day in labels]))
    return report


def _sla_cells(c: dict[str, float]) -> dict[str, Cell]:
    return {
        "first response p50, min": quantile_minutes(c, "fr_b", 0.5),
        "first response p90, min": quantile_minutes(c, "fr_b", 0.9),
        "first response within SLA, %": share(c["fr_met"], c["fr_sla"]),
        "resolution p50, min": quantile_minutes(c, "res_b", 0.5),
        "resolution p90, min": quantile_minutes(c, "res_b", 0.9),
        "resolved within SLA, %": share(c["res_met"], c["res_sla"]),
        "missed first response": int(c["fr_sla"] - c["fr_met"]),
    }


async def containment(store: ReportStore, f: Filters) -> Report:
    """Settled without a person, by topic; and why the bot handed over."""
    now = await total(store, CONVERSATIONS, f)
    report = Report("containment", "Bot containment", headline={
        "conversations": int(now["conversations"]), "settled by the bot": int(now["contained"]),
        "containment, %": share(now["contained"], now["conversations"]), "handed over": int(now["handed_over"])})
    by_topic = Table("by_topic", "By topic", ["topic", "conversations", "settled by the bot", "containment, %",
                                              "handed over"])
    for (value,), c in ranked(await summarize(store, CONVERSATIONS, f, ("topic",)), "conversations"):
        by_topic.rows.append([value or "—", int(c["conversations"]), int(c["contained"]),
                              share(c["contained"], c["conversations"]), int(c["handed_over"])])
        by_topic.drill.append({"topic": value, "condition": "handed_over"})
    reasons = Table("reasons", "Handover reasons", ["reason", "handovers", "share, %"])
    for (value,), c in ranked(await summarize(store, CONVERSATIONS, f, ("reason",)), "handed_over"):
        if c["handed_over"]:
            reasons.rows.append([value or "—", int(c["handed_over"]), share(c["handed_over"], now["handed_over"])])
            reasons.drill.append({"reason": value, "condition": "handed_over"})
    report.tables += [by_topic, reasons]
    return report


async def nlu(store: ReportStore, f: Filters) -> Report:
    """NLU fallbacks and close calls by topic, and the latest such messages: the content team's to-do list."""
    now = await total(store, CONVERSATIONS, f)
    report = Report("nlu", "NLU fallbacks and unsure messages", headline={
        "customer messages": int(now["messages"]), "fallbacks": int(now["fallbacks"]),
        "fallback rate, %": share(now["fallbacks"], now["messages"]), "unsure": int(now["unsure"])})
    table = Table("by_topic", "By topic", ["topic", "messages", "fallbacks", "unsure"])
    for (value,), c in ranked(await summarize(store, CONVERSATIONS, f, ("topic",)), "fallbacks"):
        if c["fallbacks"] or c["unsure"]:
            table.rows.append([value or "—", int(c["messages"]), int(c["fallbacks"]), int(c["unsure"])])
            table.drill.append({"topic": value, "condition": "fallbacks"})
    todo = Table("todo", "Latest conversations the bot did not understand", ["opened", "topic", "channel", "text"])
    for cond in ("fallbacks", "unsure"):
        for row in await store.facts(CONVERSATIONS, f, condition=cond, limit=10):
            todo.rows.append([row["opened_at"][:16], row["topic"] or "—", row["channel"], row["text"]])
            todo.drill.append({"conversation": row["conversation_id"]})
    report.tables += [table, todo]
    return report


async def repeats(store: ReportStore, f: Filters) -> Report:
    """The same customer again within 7 days: by topic and channel."""
    now = await total(store, CONVERSATIONS, f)
    report = Report("repeats", "Repeat contacts within 7 days", headline={
        "conversations": int(now["conversations"]), "repeat contacts": int(now["repeats"]),
        "repeat rate, %": share(now["repeats"], now["conversations"])})
    for dim in ("topic", "channel"):
        table = Table(f"by_{dim}", f"By {dim}", [dim, "conversations", "repeats", "repeat rate, %"])
        for (value,), c in ranked(await summarize(store, CONVERSATIONS, f, (dim,)), "repeats"):
            table.rows.append([value or "—", int(c["conversations"]), int(c["repeats"]),
                               share(c["repeats"], c["conversations"])])
            table.drill.append({dim: value, "condition": "repeat"})
        report.tables.append(table)
    return report


async def csat(store: ReportStore, f: Filters) -> Report:
    """Shopper ratings by topic, group and operator."""
    now = await total(store, CONVERSATIONS, f)
    report = Report("csat", "Customer satisfaction (CSAT)", headline={
        "answers": int(now["csat_n"]), "average (1-5)": mean(now["csat_sum"], now["csat_n"]),
        "unhappy (1-2), %": share(now["csat_low"], now["csat_n"])})
    for dim in ("topic", "group", "operator"):
        table = Table(f"by_{dim}", f"By {dim}", [dim, "answers", "average", "unhappy, %"])
        for (value,), c in ranked(await summarize(store, CONVERSATIONS, f, (dim,)), "csat_n"):
            if c["csat_n"]:
                table.rows.append([value or "—", int(c["csat_n"]), mean(c["csat_sum"], c["csat_n"]),
                                   share(c["csat_low"], c["csat_n"])])
                table.drill.append({dim: value, "condition": "csat"})
        report.tables.append(table)
    return report


async def operators(store: ReportStore, f: Filters) -> Report:
    """Each operator's load, handle time and rating."""
    report = Report("operators", "Operator load and handle time")
    table = Table("by_operator", "By operator", ["operator", "conversations", "resolved", "handle time avg, min",
                                                 "CSAT average"])
    rows = await summarize(store, CONVERSATIONS, f, ("operator",))
    for (value,), c in sorted(rows, key=lambda r: -r[1]["conversations"]):
        if value:
            handle = mean(c["handle_sum"], c["handle_n"], 0)
            table.rows.append([value, int(c["conversations"]), int(c["resolved"]),
                               None if handle is None else round(handle / 60, 1), mean(c["csat_sum"], c["csat_n"])])
            table.drill.append({"operator": value})
    report.headline = {"operators": len(table.rows),
                       "conversations handled": sum(int(r[1] or 0) for r in table.rows)}
    report.tables.append(table)
    return report
