"""The people who work in Otklik and the groups they work in: operators, supervisors, admins, content
editors, specialists and store staff.

A `Group` is where work lands (a contact-centre line, a specialist group such as quality control, or one
store's queue); a `User` belongs to groups and holds roles. Store groups are ordinary data created by the
store import (`store:<number>`), so 16,000 stores need no configuration by hand.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal, NewType

from pydantic import BaseModel, Field, field_validator

from models.clock import utcnow
from models.ids import new_id

UserId = NewType("UserId", str)
GroupId = NewType("GroupId", str)

GROUP_ID_PATTERN = r"^[a-z0-9][a-z0-9_.:-]{0,63}$"


class Role(StrEnum):
    """What a user may do; a user may hold several."""

    OPERATOR = "operator"              # works conversations in the inbox
    SUPERVISOR = "supervisor"          # live board, reassignment, reports
    ADMIN = "admin"                    # users, groups, routing
    CONTENT_EDITOR = "content_editor"  # dialog flows, NLU examples, canned responses
    SPECIALIST = "specialist"          # works cases of a specialist group
    STORE_STAFF = "store_staff"        # works the cases of their own store only


class Availability(StrEnum):
    """Whether automatic assignment may give an operator new conversations."""

    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class GroupKind(StrEnum):
    """What sort of work a group does."""

    CONTACT_CENTRE = "contact_centre"
    SPECIALIST = "specialist"
    STORE = "store"
    SUPERVISORS = "supervisors"


def store_group_id(store_id: str) -> GroupId:
    """The queue of one store: every store has exactly one."""
    return GroupId(f"store:{store_id.lower()}")  # group ids are lower-case; store numbers may not be


class Group(BaseModel):
    """A queue of work and the people who serve it."""

    id: GroupId = Field(pattern=GROUP_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    kind: GroupKind = GroupKind.CONTACT_CENTRE
    store_id: str | None = None       # for kind=store
    region: str | None = None
    calendar: str | None = None       # working-hours calendar name (None: the default calendar)
    escalation_group: GroupId | None = None  # where SLA breaches are raised
    created_at: datetime = Field(default_factory=utcnow)


class User(BaseModel):
    """A person who signs in; the password is kept only as an argon2 hash."""

    id: UserId = Field(default_factory=lambda: UserId(new_id()))
    login: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    password_hash: str | None = None  # None: cannot sign in until a password is set
    # A pending invitation (hub/directory/invitations.py): the SHA-256 of its one-time secret, and its end.
    invite_hash: str | None = None
    invite_expires_at: datetime | None = None
    roles: frozenset[Role] = frozenset()
    groups: list[GroupId] = Field(default_factory=list)
    store_id: str | None = None       # store staff: the one store whose cases they see
    language: Literal["ru", "en"] = "ru"
    availability: Availability = Availability.OFFLINE
    capacity: int = Field(default=5, ge=0, le=100)  # conversations at once under automatic assignment
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 0

    @field_validator("login")
    @classmethod
    def _lower_login(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("login must not be blank")
        return value.strip().lower()

    def has(self, *roles: Role) -> bool:
        """Whether the user holds any of `roles` (and is active)."""
        return self.active and any(role in self.roles for role in roles)

    @property
    def oversees(self) -> bool:
        """Supervisors and admins may act on anyone's conversations and cases."""
        return self.has(Role.SUPERVISOR, Role.ADMIN)
