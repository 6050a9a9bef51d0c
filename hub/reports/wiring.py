"""The configured report store: SQLite beside the main file, or the main MongoDB database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hub.reports.port import ReportStore
from hub.reports.sqlite import SqliteReportStore, reports_path
from hub.settings import Settings


def build_report_store(settings: Settings) -> ReportStore:
    """The report store the settings name (not yet opened)."""
    if settings.store == "mongo":
        from hub.reports.mongo import MongoReportStore  # the embedded default never needs pymongo

        assert settings.mongodb_url is not None  # checked by Settings
        return MongoReportStore(settings.mongodb_url)
    return SqliteReportStore(reports_path(settings.sqlite_path))


@asynccontextmanager
async def opened_report_store(settings: Settings) -> AsyncIterator[ReportStore]:
    """The report store, open for the duration."""
    store = build_report_store(settings)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
