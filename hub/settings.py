"""Configuration from the environment (prefix OTKLIK_) and an optional `.env` file.

Invalid configuration fails at start and names the variable; secrets never have defaults.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.campaigns import HourRange
from models.clock import known_timezone
from models.egress import EgressPolicy, RefusedDestination, check_url


def proxy_list(value: str) -> str:
    """A comma-separated list of IP addresses or networks, normalised; ValueError names a bad entry."""
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return ",".join(entries)


def hour_range(value: str) -> str:
    """"" or local hours "start-end" (e.g. "21-9"); ValueError says what is wrong."""
    if value.strip():
        HourRange.parse(value)
    return value.strip()


class ApiAccountConfig(BaseModel):
    """One client of the generic JSON channel: its bearer token and where replies are POSTed."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    token: SecretStr = Field(min_length=16)
    callback_url: str | None = None
    # true: the client vouches for its users' phone and e-mail (they link to customers); false: only claims
    trusted: bool = False


class ChannelAccountConfig(BaseModel):
    """A messenger account (bot, number): its channel, main token, other secrets and options.

    Example: {"channel": "telegram", "id": "retail_bot", "token": "123:ABC",
              "secrets": {"webhook_secret": "..."}, "options": {"api_base": "https://api.telegram.org"}}
    """

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    channel: Literal["telegram", "whatsapp", "viber", "email", "voice"]
    token: SecretStr = Field(min_length=1)
    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)


class Settings(BaseSettings):
    """Everything Otklik reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="OTKLIK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    secret_key: SecretStr = Field(min_length=16)  # signs web chat cookies
    store: Literal["sqlite", "mongo"] = "sqlite"
    sqlite_path: str = "var/otklik.sqlite3"
    mongodb_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OTKLIK_MONGODB_URL", "MONGODB_URL")
    )
    bus: Literal["memory", "redis"] = "memory"
    # The in-process bus writes entries here until handled, so a crash loses nothing; "" turns it off.
    bus_journal_path: str = "var/otklik-bus.sqlite3"
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0", validation_alias=AliasChoices("OTKLIK_REDIS_URL", "REDIS_URL")
    )
    redis_prefix: str = "otklik:"
    # The chain's clock for people: "today"/"вчера" in messages and the times pages show (never the server's zone).
    timezone: Annotated[str, AfterValidator(known_timezone)] = "Europe/Moscow"
    partitions: int = Field(default=4, ge=1, le=64)  # per-customer ordering, parallel across customers
    bus_max_attempts: int = Field(default=5, ge=1)
    bus_retry_after: float = Field(default=30.0, gt=0)
    # Redis: how long a killed worker's partitions wait before the others take them over (heartbeats renew it).
    bus_lease_seconds: float = Field(default=5.0, gt=0)
    # Run the worker inside the API process; None means "when the bus is in-process" (it must be then).
    embedded_worker: bool | None = None
    # With the embedded worker, `otklik serve` also reads the e-mail accounts' mailboxes (else `otklik mail poll`).
    read_mail_in_api: bool = True

    api_accounts: list[ApiAccountConfig] = Field(default_factory=list)
    accounts: list[ChannelAccountConfig] = Field(default_factory=list)  # Telegram, WhatsApp, Viber
    # The address the outside world reaches us by (https://otklik.example.ru): Twilio signs the exact URL
    # it called, which behind a proxy is not the one we see.
    public_url: str | None = None
    webchat_enabled: bool = True
    webchat_keepalive_seconds: float = Field(default=15.0, gt=0)  # an idle /chat/events sends a comment this often
    # Anonymous web chat messages a minute: per visitor session, and per client address (a new session is one
    # GET away, so the address bounds a flood; generous, as one shop's NAT may hold many shoppers).
    webchat_visitor_per_minute: int = Field(default=20, ge=1)
    webchat_address_per_minute: int = Field(default=300, ge=1)

    # Personal data (hub/privacy/retention.py): message texts and attached files older than these many days are
    # erased by the worker, a batch at a time, every interval; unset keeps them for ever.
    retention_messages_days: float | None = Field(default=None, gt=0)
    retention_attachments_days: float | None = Field(default=None, gt=0)
    retention_batch: int = Field(default=500, ge=1, le=10_000)
    retention_interval_minutes: float = Field(default=60.0, gt=0)
    reopen_window_hours: float = Field(default=72.0, ge=0)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # Requests to destinations third parties choose (webhook URLs, API-channel callbacks) reach public
    # addresses only, save these networks and host names (models/egress.py): '["10.20.0.0/16", "crm.corp"]'.
    outbound_allow: list[str] = Field(default_factory=list)

    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_base_delay: float = Field(default=0.5, ge=0)
    outbox_max_delay: float = Field(default=30.0, ge=0)
    outbox_timeout: float = Field(default=10.0, gt=0)

    # Outbound webhooks (hub/webhooks): backoff with full jitter, capped; dead after the budget (attempts or age).
    webhook_max_attempts: int = Field(default=300, ge=1)
    webhook_budget_hours: float = Field(default=24.0, gt=0)
    webhook_backoff_base: float = Field(default=1.0, ge=0)
    webhook_backoff_max: float = Field(default=600.0, ge=0)
    webhook_timeout: float = Field(default=15.0, gt=0)
    webhook_dispatch_interval: float = Field(default=1.0, gt=0)
    # A fresh event's delivery waits this long after the event, so an earlier event of the same conversation
    # that another worker is still fanning out goes first; None: 0 on the in-process bus, 1 s on Redis.
    webhook_order_hold: float | None = Field(default=None, ge=0)

    # Customer context (hub/context): "demo" (generated data), "http" (the CRM's REST API) or "none". Unset:
    # "http" when crm_base_url is set, else "demo" on the embedded default (SQLite store), else "none".
    context_provider: Literal["demo", "http", "none"] | None = None
    crm_base_url: str | None = Field(default=None, pattern=r"^https?://")
    crm_token: SecretStr | None = None
    crm_timeout: float = Field(default=3.0, gt=0)  # seconds for a whole call
    crm_cache_seconds: float = Field(default=30.0, ge=0)  # reads only; 0 turns the cache off
    crm_breaker_failures: int = Field(default=5, ge=1)  # consecutive failures that open the circuit
    crm_breaker_reset_seconds: float = Field(default=30.0, gt=0)  # open this long before one trial call

    # NLU (nlu/): our in-process engine or a Rasa server; below the threshold a text is out of scope.
    nlu_engine: Literal["builtin", "rasa"] = "builtin"
    nlu_model_dir: str = "var/nlu"
    nlu_threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # None: the one tuned at training
    nlu_reload_seconds: float = Field(default=2.0, ge=0.0)  # how often the service looks for a new model
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None
    rasa_timeout: float = Field(default=1.0, gt=0.0)
    rasa_fallback: Literal["builtin", "handover"] = "builtin"  # when Rasa is down, slow or failing

    # Dialog bot (bots/, dialogs/): the YAML flows it serves (None: the shipped dialogs/flows; "" turns the
    # bot off, leaving the plain acknowledgement); changed files are picked up within this many seconds.
    dialogs_dir: str | None = None
    dialogs_reload_seconds: float = Field(default=2.0, ge=0.0)
    # Dialog states not saved for this long are purged by the worker's inbox loop (well past the reopen window).
    dialog_state_retention_days: float = Field(default=30.0, gt=0)

    # Web sign-in (api/web_auth.py): server-side sessions with idle and absolute expiry; failed sign-ins per
    # login and address are limited within a window.
    session_idle_minutes: float = Field(default=120.0, gt=0)
    session_absolute_hours: float = Field(default=12.0, gt=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_minutes: float = Field(default=15.0, gt=0)
    # Addresses or networks of reverse proxies whose X-Forwarded-For is believed ("10.0.0.5,10.1.0.0/16");
    # none by default, so the address sign-ins are throttled by is the peer's own.
    trusted_proxies: Annotated[str, AfterValidator(proxy_list)] = ""

    # Operator inbox (hub/inbox/routing.py, conversation_sla.py, follow_ups.py): routes and SLA targets from a YAML
    # file (None: built-in defaults); the worker's SLA / follow-up / assignment sweep runs this often.
    inbox_config_path: str | None = None
    inbox_scan_interval: float = Field(default=15.0, gt=0)

    # The interface language of pages nobody chose one for (the sign-in page) when the browser asks for
    # neither of ours.
    default_language: Literal["ru", "en"] = "ru"

    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = 8000
    # Prometheus: /metrics on the API's port needs a metrics:read token; with a port here `otklik serve` also
    # serves it there without one (bind it where only the scraper reaches).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"

    # Targeted promotions (hub/campaigns/): campaigns written in YAML (every *.yml of the folder, loaded into the
    # store at start; None: only those made through the API), offers per customer per week across campaigns,
    # and the local hours no proactive offer is sent ("21-9"; "" for none).
    campaigns_dir: str | None = None
    campaign_weekly_limit: int = Field(default=2, ge=0, le=100)
    campaign_quiet_hours: Annotated[str, AfterValidator(hour_range)] = "21-9"

    # Cases (hub/cases): request-type catalogue and working-hours calendars (None: the shipped YAML files),
    # how often the worker scans SLA deadlines (reminders, breaches, escalation).
    cases_catalogue_path: str | None = None
    calendars_path: str | None = None
    cases_scan_interval: float = Field(default=30.0, gt=0)
    # Case attachments uploaded on the case page (api/cases/files.py): where, how large, which file types.
    case_files_dir: str = "var/case-files"
    case_file_max_bytes: int = Field(default=10_000_000, ge=1024)
    case_file_types: list[str] = Field(default_factory=lambda: [
        "jpg", "jpeg", "png", "gif", "webp", "heic", "pdf", "txt", "csv", "doc", "docx", "xls", "xlsx", "mp4",
        "mp3", "ogg", "zip"])
    # Files an operator attaches to a reply (api/inbox/reply_files.py): messengers fetch them by a signed,
    # expiring link under OTKLIK_PUBLIC_URL (hub/file_links.py), so attaching needs public_url set.
    reply_files_dir: str = "var/reply-files"
    reply_file_max_bytes: int = Field(default=10_000_000, ge=1024)
    reply_file_max_count: int = Field(default=5, ge=1, le=20)
    reply_file_types: list[str] = Field(default_factory=lambda: [
        "jpg", "jpeg", "png", "gif", "webp", "pdf", "txt", "csv", "doc", "docx", "xls", "xlsx", "mp4", "mp3",
        "ogg", "zip"])
    file_link_ttl_hours: float = Field(default=168.0, gt=0, le=24 * 366)  # how long a sent file's link works

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.store == "mongo" and not self.mongodb_url:
            raise ValueError("OTKLIK_STORE=mongo needs MONGODB_URL (or OTKLIK_MONGODB_URL)")
        if self.bus == "memory" and self.embedded_worker is False:
            raise ValueError("OTKLIK_EMBEDDED_WORKER=false needs OTKLIK_BUS=redis: only this process can read its bus")
        ids = [a.id for a in self.api_accounts]
        if len(ids) != len(set(ids)):
            raise ValueError("OTKLIK_API_ACCOUNTS: account ids must be unique")
        keys = [(a.channel, a.id) for a in self.accounts]
        if len(keys) != len(set(keys)):
            raise ValueError("OTKLIK_ACCOUNTS: account ids must be unique per channel")
        return self

    @model_validator(mode="after")
    def _outbound_consistent(self) -> Settings:
        try:
            policy = EgressPolicy(allow=tuple(self.outbound_allow))
        except ValueError as e:
            raise ValueError(f"OTKLIK_OUTBOUND_ALLOW: {e}") from e
        for account in self.api_accounts:
            try:
                if account.callback_url:
                    check_url(account.callback_url, policy)
            except RefusedDestination as e:
                raise ValueError(f"OTKLIK_API_ACCOUNTS: account {account.id!r} callback_url: {e}") from e
        return self

    @property
    def egress(self) -> EgressPolicy:
        """Where requests to third parties' URLs may go (OTKLIK_OUTBOUND_ALLOW)."""
        return EgressPolicy(allow=tuple(self.outbound_allow))

    @property
    def runs_worker_in_api(self) -> bool:
        """Whether `otklik serve` also consumes the streams."""
        return self.bus == "memory" if self.embedded_worker is None else self.embedded_worker

    @model_validator(mode="after")
    def _crm_consistent(self) -> Settings:
        if self.context_backend == "http" and not (self.crm_base_url and self.crm_token):
            raise ValueError("OTKLIK_CONTEXT_PROVIDER=http needs OTKLIK_CRM_BASE_URL and OTKLIK_CRM_TOKEN")
        return self

    @property
    def context_backend(self) -> Literal["demo", "http", "none"]:
        """The customer-context provider to build (context_provider, or its default)."""
        if self.context_provider is not None:
            return self.context_provider
        if self.crm_base_url:
            return "http"
        return "demo" if self.store == "sqlite" else "none"
