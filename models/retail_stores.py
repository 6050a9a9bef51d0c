"""The chain's stores (shops): loaded by import or API, 16,000 of them as ordinary data.

Called `RetailStore` so it is never confused with the persistence "stores" in `hub/stores/`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from models.clock import utcnow
from models.staff import GroupId, store_group_id


class RetailStore(BaseModel):
    """One shop of the chain."""

    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")  # the chain's store number
    name: str = Field(min_length=1, max_length=200)
    region: str | None = None
    city: str | None = None
    address: str | None = None
    phone: str | None = None
    timezone: str = "Europe/Moscow"
    opening_hours: str | None = None  # as shown to shoppers, e.g. "08:00-23:00"
    latitude: float | None = None
    longitude: float | None = None
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def group_id(self) -> GroupId:
        """The store's own queue."""
        return store_group_id(self.id)
