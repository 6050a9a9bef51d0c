"""Unicode digits ('²', '٣') pass str.isdigit() but not int(): a case reference made of them is not found, not a 500."""

from __future__ import annotations

import pytest

from hub.cases.service import get_case
from models.errors import NotFound
from tests.unit.hub.cases.conftest import World, world

__all__ = ["world"]


@pytest.mark.parametrize("ref", ["²", "#١٠٤٢", "1²"])
async def test_a_case_reference_of_unicode_digits_is_not_found(world: World, ref: str) -> None:
    with pytest.raises(NotFound):
        await get_case(world.hub, ref)
