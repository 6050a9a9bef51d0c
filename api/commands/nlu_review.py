"""`otklik nlu review`: the messages the bot handed over or doubted, for the content team to label and add to
the training data (nothing is retrained from them automatically)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hub.runtime import build_stores
from hub.settings import Settings
from models.messages import Message


def _settings() -> Settings:
    from api.cli import load_settings

    return load_settings()


async def unsure_messages(settings: Settings, limit: int) -> list[Message]:
    """The stored inbound messages read as out of scope or as a close call, newest first."""
    stores = build_stores(settings)
    await stores.open()
    try:
        return await stores.messages.list_unsure(limit=limit)
    finally:
        await stores.close()


def describe(message: Message) -> str:
    """One line: when, where, how it was read, and the text (on one line)."""
    reading = message.nlu
    assert reading is not None
    verdict = "asked" if reading.close_call and not reading.out_of_scope else (
        "handed over, could ask" if reading.close_call else "handed over")
    candidates = ", ".join(f"{r.name} {r.confidence:.2f}" for r in reading.ranking[:2]) or "no ranking"
    text = " ".join(message.text.split())
    return (f"{message.sent_at:%Y-%m-%d %H:%M} {message.channel.value:<9} {reading.language:<7} "
            f"{verdict:<22} [{candidates}] {text[:160]}")


def review(limit: Annotated[int, typer.Option(min=1, help="How many messages, newest first.")] = 100) -> None:
    """List messages the bot handed over (out of scope) or doubted (close calls), newest first."""
    messages = asyncio.run(unsure_messages(_settings(), limit))
    for message in messages:
        typer.echo(describe(message))
    typer.echo(f"{len(messages)} messages; label them and add them to nlu/data (then `otklik nlu check`)")
