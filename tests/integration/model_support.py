"""What the shared-model and production-topology tests share: a database of their own, a small NLU model."""

from __future__ import annotations

from urllib.parse import urlsplit

from hub.stores.mongo.db import MongoDatabase
from nlu.artefacts import NluModel
from nlu.rasa_yaml import load_text
from nlu.training import train


def with_database(url: str, name: str) -> str:
    """`url` naming database `name` (its hosts and options kept)."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


async def drop_database(url: str, name: str) -> None:
    """Drop a test's database."""
    cleanup = MongoDatabase(url, name)
    await cleanup.open()
    try:
        await cleanup.client.drop_database(name)
    finally:
        await cleanup.close()


def small_model(first_intent: str) -> NluModel:
    """A model of two intents, trained in about a second (the first one's name varies its version)."""
    return train(load_text(f'version: "3.1"\nnlu:\n- intent: {first_intent}\n  examples: |\n    - где мой заказ\n'
                           "    - статус заказа\n    - когда привезут заказ\n"
                           "- intent: greet\n  examples: |\n    - привет\n    - здравствуйте\n    - добрый день\n"))
