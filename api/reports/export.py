"""Report tables and conversation-level rows as CSV and XLSX, personal data masked unless the viewer may see it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from api.reports import xlsx
from hub.reports.shapes import Cell, Report, Table

# Columns holding a shopper's personal data: ids that lead to them and their own words.
PERSONAL = frozenset({"customer_id", "text", "examples", "csat_comment"})
MASK = "•••"
CONVERSATION_COLUMNS = (
    "opened_at", "conversation_id", "customer_id", "topic", "channel", "group", "store", "region", "operator",
    "state", "handed_over", "reason", "contained", "first_response_s", "first_response_met", "resolution_s",
    "resolution_met", "handle_s", "fallbacks", "unsure", "repeat", "csat", "csat_comment", "text")
CASE_COLUMNS = ("opened_at", "number", "case_id", "conversation_id", "request_type", "group", "store", "region",
                "state", "solved", "solve_s", "sla_breached", "hops", "text")


def _csv_safe(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def masked_table(table: Table, personal: bool) -> list[list[Cell]]:
    """The table's rows, personal columns masked unless `personal`."""
    hide = [not personal and column in PERSONAL for column in table.columns]
    return [[MASK if h and v not in (None, "") else v for h, v in zip(hide, row, strict=True)] for row in table.rows]


def fact_rows(facts: Sequence[dict[str, Any]], columns: Sequence[str], personal: bool) -> list[list[Cell]]:
    """Conversation- or case-level rows in `columns` order, masked unless `personal`."""
    out = []
    for fact in facts:
        row: list[Cell] = []
        for column in columns:
            value = fact.get(column)
            if isinstance(value, bool):
                value = int(value)
            row.append(MASK if not personal and column in PERSONAL and value not in (None, "") else value)
        out.append(row)
    return out


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([[_csv_safe(v) for v in row] for row in rows])
    return buffer.getvalue()


def report_csv(report: Report, personal: bool) -> str:
    """Every table of the report, one after another, each headed by its name."""
    parts = []
    for table in report.tables:
        parts.append(f"# {table.title}\n" + csv_text(table.columns, masked_table(table, personal)))
    return "\n".join(parts)


def report_xlsx(report: Report, personal: bool) -> bytes:
    """Every table of the report as a sheet, with a first sheet of the headline numbers."""
    sheets: list[xlsx.Sheet] = [("Summary", ["measure", "value"], [[k, v] for k, v in report.headline.items()])]
    sheets += [(t.title, t.columns, masked_table(t, personal)) for t in report.tables]
    return xlsx.workbook(sheets)
