"""Configuration from the environment (prefix OTKLIK_) and an optional `.env` file.

Invalid configuration fails at start and names the variable; secrets never have defaults.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiAccountConfig(BaseModel):
    """One client of the generic JSON channel: its bearer token and where replies are POSTed."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    token: SecretStr = Field(min_length=16)
    callback_url: str | None = None


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
    partitions: int = Field(default=4, ge=1, le=64)  # per-customer ordering, parallel across customers
    bus_max_attempts: int = Field(default=5, ge=1)
    bus_retry_after: float = Field(default=30.0, gt=0)
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
    reopen_window_hours: float = Field(default=72.0, ge=0)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)

    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_base_delay: float = Field(default=0.5, ge=0)
    outbox_max_delay: float = Field(default=30.0, ge=0)
    outbox_timeout: float = Field(default=10.0, gt=0)

    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = 8000

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

    @property
    def runs_worker_in_api(self) -> bool:
        """Whether `otklik serve` also consumes the streams."""
        return self.bus == "memory" if self.embedded_worker is None else self.embedded_worker
