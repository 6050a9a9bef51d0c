"""Review monitoring's settings, from the environment (prefix OTKLIK_REVIEWS_): platforms' OAuth tokens and
what to read, the aggregator webhook's secret, and how replies are approved."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReviewSettings(BaseSettings):
    """OTKLIK_REVIEWS_* variables; a platform is polled only when its token is set."""

    model_config = SettingsConfigDict(env_prefix="OTKLIK_REVIEWS_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    google_business_token: SecretStr | None = None   # OAuth access token, scope business.manage
    google_business_locations: list[str] = Field(default_factory=list)  # ["accounts/1/locations/2", ...]
    google_business_url: str = "https://mybusiness.googleapis.com"
    google_play_token: SecretStr | None = None        # OAuth access token, scope androidpublisher
    google_play_package: str | None = None            # the delivery app, e.g. "ru.chain.delivery"
    google_play_url: str = "https://androidpublisher.googleapis.com"
    # Instead of a fixed access token: an OAuth client and a refresh token per platform (offline access)
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_business_refresh_token: SecretStr | None = None
    google_play_refresh_token: SecretStr | None = None
    google_token_url: str = "https://oauth2.googleapis.com/token"
    webhook_secret: SecretStr | None = None           # HMAC key of the aggregator's webhook (unset: route off)
    webhook_window_seconds: int = Field(default=300, ge=30, le=3600)
    second_approver: bool = True
    poll_seconds: float = Field(default=300.0, ge=0.05)

    @model_validator(mode="after")
    def _credentials_for_what_is_polled(self) -> ReviewSettings:
        """Fail at start, naming the variable, when a platform is configured without a way to sign in."""
        refresh = self.google_client_id and self.google_client_secret is not None
        for what, name, token, refresh_token in (
                (self.google_business_locations, "GOOGLE_BUSINESS", self.google_business_token,
                 self.google_business_refresh_token),
                (self.google_play_package, "GOOGLE_PLAY", self.google_play_token, self.google_play_refresh_token)):
            if what and token is None and not (refresh and refresh_token is not None):
                raise ValueError(f"OTKLIK_REVIEWS_{name}_TOKEN (or an OAuth client and OTKLIK_REVIEWS_{name}_"
                                 "REFRESH_TOKEN) is required when that platform is configured")
        return self
