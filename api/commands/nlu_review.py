"""`otklik nlu review`: the messages the bot handed over or doubted, and those whose topic an operator corrected,
for the content team to label and add to the training data (nothing is retrained from them automatically)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from api.commands.environment import load_settings
from api.wiring import build_stores
from hub.settings import Settings
from models.messages import Message


def _settings() -> Settings:

    return load_settings()


async def review_messages(settings: Settings, limit: int) -> tuple[list[Message], list[Message]]:
    """The stored inbound messages read as out of scope or as a close call, and those operators corrected,
    each newest first."""
    stores = build_stores(settings)
    await stores.open()
    try:
        return await stores.messages.list_unsure(limit=limit), await stores.messages.list_corrected(limit=limit)
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


def describe_correction(message: Message) -> str:
    """One line: when, where, what the NLU read, what the operator corrected it to, and the text."""
    read_as = message.nlu.intent if message.nlu is not None else "unread"
    text = " ".join(message.text.split())
    return (f"{message.sent_at:%Y-%m-%d %H:%M} {message.channel.value:<9} "
            f"read as {read_as} -> corrected to {message.corrected_topic}: {text[:160]}")


def review(limit: Annotated[int, typer.Option(min=1, help="How many messages of each kind, newest first.")] = 100,
           ) -> None:
    """List messages the bot handed over (out of scope) or doubted (close calls), then the ones operators
    corrected, newest first."""
    unsure, corrected = asyncio.run(review_messages(_settings(), limit))
    for message in unsure:
        typer.echo(describe(message))
    typer.echo(f"{len(unsure)} unsure messages")
    for message in corrected:
        typer.echo(describe_correction(message))
    typer.echo(f"{len(corrected)} corrected messages; label them and add them to nlu/data (then `otklik nlu check`)")
