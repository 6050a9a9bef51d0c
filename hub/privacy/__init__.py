"""Personal data under control (152-FZ / GDPR): export and erase one customer, the audit log of who read
whose data, and retention per data kind. Its store port is hub/stores/privacy.py, with adapters in
hub/stores/sqlite/ and hub/stores/mongo/."""

from hub.privacy.audit import record_read, search_audit
from hub.privacy.erase import erase_customer
from hub.privacy.export import current_customer, export_customer
from hub.privacy.retention import RetentionPolicy, RetentionStep, enforce_retention, run_retention

__all__ = ["RetentionPolicy", "RetentionStep", "current_customer", "enforce_retention", "erase_customer",
           "export_customer", "record_read", "run_retention", "search_audit"]
