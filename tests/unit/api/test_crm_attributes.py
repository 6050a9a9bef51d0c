"""Customer attributes from the CRM: plain JSON every store keeps as sent, or a ValueError naming why not."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.crm.attributes import checked

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=70), json_values, max_size=5))
def test_attributes_either_pass_and_serialize_or_fail_with_a_value_error(attributes: dict[str, Any]) -> None:
    try:
        checked(attributes)
    except ValueError:
        return
    json.dumps(attributes, ensure_ascii=False, allow_nan=False).encode("utf-8")


@pytest.mark.parametrize(("attributes", "problem"), [
    ({"a.b": 1}, "attribute name 'a.b'"),
    ({"$set": 1}, "attribute name '$set'"),
    ({"big": 2**63}, "attribute 'big': integers must fit in 64 bits"),
    ({"x": math.inf}, "attribute 'x': numbers must be finite"),
    ({"t": "\ud800"}, "attribute 't': text must be valid Unicode"),
    ({"deep": [[[[[[[[[[1]]]]]]]]]]}, "attribute 'deep': values nest at most 8 levels deep"),
    ({"preferred_channel": ["telegram"]}, "preferred_channel must be one of api, webchat"),
    ({"unsubscribed": "telegram:1"}, "unsubscribed must be a list of identity keys"),
    ({f"k{n}": n for n in range(101)}, "at most 100 attributes"),
])
def test_attributes_that_a_store_or_otklik_could_not_use_are_refused(attributes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("$", r"\$").replace("(", r"\(")):
        checked(attributes)


def test_ordinary_profiles_pass_unchanged() -> None:
    profile = {"loyalty_card": "7001-2002", "orders": [4512, 4513], "address": {"city": "Казань"},
               "preferred_channel": "whatsapp", "unsubscribed": ["telegram:1"], "vip": True, "score": 4.5}
    assert checked(dict(profile)) == profile
