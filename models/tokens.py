"""API tokens for the CRM and other systems: scoped, stored only as a hash."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from models.clock import utcnow
from models.ids import new_id


class Scope(StrEnum):
    """What a token may do."""

    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CONVERSATIONS_READ = "conversations:read"
    CONVERSATIONS_WRITE = "conversations:write"
    MESSAGES_SEND = "messages:send"
    WEBHOOKS_MANAGE = "webhooks:manage"
    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    DIRECTORY_READ = "directory:read"     # stores, groups, users (never password hashes)
    DIRECTORY_WRITE = "directory:write"   # bulk upsert of stores, groups and users up to the operator level
    DIRECTORY_SUPERVISORS = "directory:supervisors"  # with directory:write: make and change supervisors too
    DIRECTORY_STORE_GROUPS = "directory:store-groups"  # with directory:write: PUT /groups may rewrite store:*
    METRICS_READ = "metrics:read"         # Prometheus /metrics on the API's own port
    CUSTOMERS_EXPORT = "customers:export"  # everything about one customer, as JSON or HTML (recorded in the audit)
    CUSTOMERS_ERASE = "customers:erase"   # anonymise one customer everywhere (personal-data requests)
    AUDIT_READ = "audit:read"             # who read which customer's data
    REPORTS_READ = "reports:read"         # /api/v1/reports (personal data only with conversations:read too)
    CAMPAIGNS_READ = "campaigns:read"     # /api/v1/campaigns: campaigns and their reports
    CAMPAIGNS_WRITE = "campaigns:write"   # create, change, remove campaigns and import their code pools
    REDEMPTIONS_WRITE = "redemptions:write"  # POST /api/v1/redemptions: codes used, control-group purchases


class ApiToken(BaseModel):
    """A client's token as stored: the secret itself is never kept, only its SHA-256."""

    id: str = Field(default_factory=lambda: new_id()[:12])
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope]
    secret_hash: str  # hex SHA-256 of the secret part
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    rate_per_minute: int = Field(default=600, ge=1)

    def allows(self, scope: Scope) -> bool:
        """Whether the token carries `scope` and is not revoked."""
        return self.revoked_at is None and scope in self.scopes
