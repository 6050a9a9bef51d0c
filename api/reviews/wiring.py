"""The one place that names review monitoring's adapters: the store beside hub/reviews, the Google connectors
and the NLU's review reader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from pydantic import SecretStr

from api.reviews.settings import ReviewSettings
from connectors.reviews.common import Credentials, RefreshingToken, StaticToken
from connectors.reviews.google_business import GoogleBusinessSource
from connectors.reviews.google_play import GooglePlaySource
from hub.reviews.ports import ReviewSource, ReviewStore
from hub.reviews.runtime import ReviewRules, ReviewsRuntime
from hub.settings import Settings
from nlu.reviews.reader import LexiconReviewReader


def build_review_store(settings: Settings) -> ReviewStore:
    """The review store on the configured backend (not yet opened)."""
    if settings.store == "mongo":
        from hub.reviews.mongo_store import MongoReviewStore  # the embedded default never needs pymongo

        assert settings.mongodb_url is not None  # checked by Settings
        return MongoReviewStore(settings.mongodb_url)
    from hub.reviews.sqlite_store import SqliteReviewStore

    return SqliteReviewStore(settings.sqlite_path)


def credentials(config: ReviewSettings, token: SecretStr | None, refresh: SecretStr | None) -> Credentials | None:
    """A refreshing token when the OAuth client and a refresh token are set, else the fixed token, else None."""
    if refresh is not None and config.google_client_id and config.google_client_secret is not None:
        return RefreshingToken(config.google_client_id, config.google_client_secret.get_secret_value(),
                               refresh.get_secret_value(), url=config.google_token_url)
    return None if token is None else StaticToken(token.get_secret_value())


def build_sources(config: ReviewSettings, http: httpx.AsyncClient) -> dict[str, ReviewSource]:
    """A source per platform whose credentials are configured."""
    sources: dict[str, ReviewSource] = {}
    business = credentials(config, config.google_business_token, config.google_business_refresh_token)
    if business is not None and config.google_business_locations:
        sources["google_business"] = GoogleBusinessSource(http, business, config.google_business_locations,
                                                          base=config.google_business_url)
    play = credentials(config, config.google_play_token, config.google_play_refresh_token)
    if play is not None and config.google_play_package:
        sources["google_play"] = GooglePlaySource(http, play, config.google_play_package, base=config.google_play_url)
    return sources


@asynccontextmanager
async def open_reviews(settings: Settings, http: httpx.AsyncClient,
                       config: ReviewSettings | None = None) -> AsyncIterator[ReviewsRuntime]:
    """Review monitoring for one process: its store opened, sources built, closed on exit."""
    config = config or ReviewSettings()
    store = build_review_store(settings)
    await store.open()
    try:
        rules = ReviewRules(second_approver=config.second_approver, poll_seconds=config.poll_seconds)
        yield ReviewsRuntime(store=store, reader=LexiconReviewReader(), sources=build_sources(config, http),
                             rules=rules, webhook_window=config.webhook_window_seconds,
                             webhook_secret=config.webhook_secret.get_secret_value() if config.webhook_secret else None)
    finally:
        await store.close()
