"""The building blocks of the flow language: ids and targets, elements that know their line, texts."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, RootModel, field_validator

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower-case letters, digits and _")]
Target = Annotated[str, Field(
    pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$",
    description="a step of this flow, a flow, flow.step, `handover` or `end`")]
SlotPath = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)*$",
                                description="a slot, or slot.field for a field of an action's result")]
SPECIAL_TARGETS = {"handover", "end"}
ANY = "any"  # the text key meaning "the same in every language"


class Node(BaseModel):
    """Base of every flow element: forbids unknown keys and remembers where it was written."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _file: str = PrivateAttr(default="")
    _line: int = PrivateAttr(default=0)

    @property
    def file(self) -> str:
        """The file this element was read from ("" when built in code)."""
        return self._file

    @property
    def line(self) -> int:
        """The 1-based line this element starts on (0 when built in code)."""
        return self._line

    def place(self, file: str, line: int) -> None:
        """Record where the element was written (the loader calls this)."""
        self._file, self._line = file, line


Variants = str | list[str]


def _text_schema(schema: dict[str, Any]) -> None:
    """Name the usual language keys so editors offer them."""
    for option in schema.get("anyOf", []):
        if option.get("type") == "object":
            variant = option.get("additionalProperties", {})
            option["properties"] = {
                "ru": {**variant, "description": "Russian (a string, or a list of random variants)"},
                "en": {**variant, "description": "English (a string, or a list of random variants)"},
                "any": {**variant, "description": "the same in every language"},
            }


class Text(RootModel[str | list[str] | dict[str, Variants]]):
    """A text: one string, random variants, or per language (`ru`, `en`, `any`), each one or a list."""

    model_config = ConfigDict(frozen=True, json_schema_extra=_text_schema)
    _file: str = PrivateAttr(default="")
    _line: int = PrivateAttr(default=0)

    @field_validator("root")
    @classmethod
    def _not_empty(cls, value: str | list[str] | dict[str, Variants]) -> str | list[str] | dict[str, Variants]:
        if isinstance(value, list | dict) and not value:
            raise ValueError("a text needs at least one variant")
        if isinstance(value, dict):
            for lang, variants in value.items():
                if isinstance(variants, list) and not variants:
                    raise ValueError(f"the {lang} text needs at least one variant")
        return value

    @property
    def file(self) -> str:
        """The file this text was read from."""
        return self._file

    @property
    def line(self) -> int:
        """The line this text starts on."""
        return self._line

    def place(self, file: str, line: int) -> None:
        """Record where the text was written."""
        self._file, self._line = file, line

    def languages(self) -> set[str]:
        """Languages with their own variant (`any` when the text is the same for all)."""
        return set(self.root) if isinstance(self.root, dict) else {ANY}

    def variants(self, language: str, default_language: str) -> list[str]:
        """The variants for `language`, else `any`, else the default language, else the first given."""
        if not isinstance(self.root, dict):
            return [self.root] if isinstance(self.root, str) else list(self.root)
        for key in (language, ANY, default_language):
            if key in self.root:
                found = self.root[key]
                return [found] if isinstance(found, str) else list(found)
        first = next(iter(self.root.values()))
        return [first] if isinstance(first, str) else list(first)

    def all_strings(self) -> list[str]:
        """Every variant in every language (for variable checks)."""
        values = self.root.values() if isinstance(self.root, dict) else [self.root]
        return [s for v in values for s in ([v] if isinstance(v, str) else v)]


def check_regex(value: str | None) -> str | None:
    """The value, if it is a valid regular expression (a field validator)."""
    if value is not None:
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"invalid regex: {e}") from e
    return value
