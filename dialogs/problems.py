"""Flow-file problems: `Problem` (models/problems.py: file, line, message) and the error that carries them."""

from __future__ import annotations

from models.errors import PayloadError
from models.problems import Problem

__all__ = ["FlowError", "Problem"]


class FlowError(PayloadError):
    """The flow files cannot be loaded; `problems` lists every one found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        first = str(self.problems[0]) if self.problems else "invalid flows"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)
