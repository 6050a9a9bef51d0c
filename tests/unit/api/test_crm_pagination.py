"""Page cursors: what we hand out comes back as the same position; anything else is a 422, never a 500."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.crm import pagination
from models.channels import Channel
from models.conversations import Conversation
from models.errors import PayloadError
from models.ids import ConversationId, CustomerId

MOSCOW = timezone(timedelta(hours=3))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.sampled_from([UTC, MOSCOW]))
garbage = st.text(max_size=200) | st.binary(max_size=150).map(lambda b: base64.urlsafe_b64encode(b).decode())


def _conversation(at: datetime, conversation_id: str) -> Conversation:
    conversation = Conversation.open(CustomerId("c1"), Channel.TELEGRAM, "tg", at=at)
    conversation.id = ConversationId(conversation_id)
    return conversation


@given(at=moments, conversation_id=st.text(min_size=1, max_size=64))
def test_a_cursor_decodes_to_the_position_it_was_made_from(at: datetime, conversation_id: str) -> None:
    decoded_at, decoded_id = pagination.decode(pagination.encode(_conversation(at, conversation_id)))
    assert (decoded_at, decoded_id) == (at, conversation_id)


@given(cursor=garbage)
def test_any_other_text_is_refused_as_a_payload_error_or_is_a_real_position(cursor: str) -> None:
    try:
        at, conversation_id = pagination.decode(cursor)
    except PayloadError:
        return
    assert at.tzinfo is not None and isinstance(conversation_id, str)


# empty, {}, a number for the time, a time without a zone
NOT_OURS = ["", "e30", "eyJ1IjogMSwgImkiOiAieCJ9", "eyJ1IjoiMjAyNS0wMS0wMVQwMDowMDowMCIsImkiOiJ4In0"]


@pytest.mark.parametrize("raw", NOT_OURS)
def test_cursors_we_never_made_are_refused(raw: str) -> None:
    with pytest.raises(PayloadError, match="not a cursor"):
        pagination.decode(raw)


def test_a_page_has_a_next_cursor_only_when_more_was_found() -> None:
    at = datetime(2025, 3, 1, tzinfo=UTC)
    found = [_conversation(at + timedelta(minutes=n), f"id-{n}") for n in range(4)]
    page, cursor = pagination.split_page(found, 3)
    last, none = pagination.split_page(found[:3], 3)
    assert [c.id for c in page] == ["id-0", "id-1", "id-2"] and cursor == pagination.encode(found[2])
    assert len(last) == 3 and none is None
