"""The reference for `MessageStore.inbound_tally`: what conversation_fact used to count from loaded messages."""

from __future__ import annotations

from collections.abc import Sequence

from models.messages import Direction, InboundTally, Message


def tally_as_loaded(messages: Sequence[Message]) -> InboundTally:
    """The old derivation, line for line, over the messages given (the projection gave it the last 200)."""
    inbound = [m for m in messages if m.direction is Direction.INBOUND]
    return InboundTally(
        messages=len(inbound),
        fallbacks=sum(1 for m in inbound if m.nlu is not None and m.nlu.out_of_scope),
        unsure=sum(1 for m in inbound if m.nlu is not None and m.nlu.close_call and not m.nlu.out_of_scope),
        first_text=inbound[0].text if inbound else "")
