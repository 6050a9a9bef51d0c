"""What `otklik check` reports (api/config_check.py) and the directory it looks groups up in, once each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hub.stores.directory import DirectoryStore
from models.errors import NotFound
from models.problems import Problem
from models.staff import Group, GroupId, Role


@dataclass
class Report:
    """What `otklik check` found: errors stop `serve`, warnings do not."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing stops the system from serving."""
        return not self.errors

    def lines(self) -> list[str]:
        """Every problem as `file:line: message`, errors first, each part sorted."""
        return [*map(str, sorted(set(self.errors))),
                *(f"{p.file}:{p.line}: warning: {p.message}" for p in sorted(set(self.warnings)))]


def shown(path: str | Path) -> str:
    """A path as people read it: relative to the working directory when inside it."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


class Directory:
    """The directory's groups and who works in them, each looked up once per check."""

    def __init__(self, directory: DirectoryStore) -> None:
        self.store = directory
        self._groups: dict[str, Group | None] = {}
        self._people: dict[tuple[str, Role | None], bool] = {}

    async def group(self, group_id: str) -> Group | None:
        """The group, or None when the directory has none of that id."""
        if group_id not in self._groups:
            try:
                self._groups[group_id] = await self.store.get_group(GroupId(group_id))
            except NotFound:
                self._groups[group_id] = None
        return self._groups[group_id]

    async def staffed(self, group_id: str, role: Role | None) -> bool:
        """Whether an active user (of `role`, when given) belongs to the group."""
        key = (group_id, role)
        if key not in self._people:
            found = await self.store.list_users(group=GroupId(group_id), role=role, active=True, limit=1)
            self._people[key] = bool(found)
        return self._people[key]

    async def all_groups(self) -> list[Group]:
        """Every group, page by page (16,000 store queues included)."""
        groups: list[Group] = []
        after: str | None = None
        while page := await self.store.list_groups(limit=1000, after=after):
            groups += page
            after = page[-1].id
            if len(page) < 1000:
                break
        return groups
