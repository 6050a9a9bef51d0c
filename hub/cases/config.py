"""The cases configuration a process works with: the catalogue and the calendars, loaded once per path."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from hub.cases.catalogue import Catalogue, RequestType, load_catalogue
from hub.working_hours import CalendarBook, load_calendars
from models.errors import PayloadError

if TYPE_CHECKING:
    from hub.core import Hub


@dataclass(frozen=True)
class CaseConfig:
    """Request types, routing rules and calendars."""

    catalogue: Catalogue
    calendars: CalendarBook

    def request_type(self, type_id: str) -> RequestType:
        """The request type, or PayloadError naming the known ones."""
        found = self.catalogue.types.get(type_id)
        if found is None:
            raise PayloadError(f"request_type: unknown {type_id!r}; known: {', '.join(sorted(self.catalogue.types))}")
        return found


    def type_of(self, case_type: str) -> RequestType | None:
        """A case's request type, if the catalogue still has it (a case outlives catalogue edits)."""
        return self.catalogue.types.get(case_type)

    def reminders_of(self, case_type: str) -> list[float]:
        """The reminder fractions of a case's type (the catalogue's default for a type since removed)."""
        found = self.type_of(case_type)
        return self.catalogue.reminders(found) if found else list(self.catalogue.defaults.reminders)


@lru_cache(maxsize=8)
def _load(catalogue_path: str | None, calendars_path: str | None) -> CaseConfig:
    return CaseConfig(load_catalogue(catalogue_path), load_calendars(calendars_path))


def case_config(hub: Hub) -> CaseConfig:
    """The configuration named by the hub's settings (ValueError naming the file if it is invalid)."""
    return _load(hub.settings.cases_catalogue_path, hub.settings.calendars_path)
