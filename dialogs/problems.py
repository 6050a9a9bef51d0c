"""A problem in the flow files, with where it is: what `check` and the loader report."""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import PayloadError


@dataclass(frozen=True, order=True)
class Problem:
    """One problem: file, 1-based line, message."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FlowError(PayloadError):
    """The flow files cannot be loaded; `problems` lists every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        first = str(self.problems[0]) if self.problems else "invalid flows"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)
