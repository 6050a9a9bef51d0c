"""Is a shopper's message a valid answer to an `ask`? The slot's value if so (canonical), else None."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dialogs.model import Ask, AskStep, Button, ButtonsStep, Flow
from models.nlu import ParseResult
from nlu import builtin_entities

MAX_FREE_TEXT = 4000  # a free-text answer kept in a slot: the state stays bounded; the transcript has it all
BUILTIN_ENTITIES = frozenset({"email", "phone", "order_id", "loyalty_card", "store_id", "amount", "date"})

# A bare answer to "what is your order number?" has no keyword for the NLU to anchor on: accept the shape.
_BARE = {
    "order_id": re.compile(r"(?:№|#|n|no\.?)?\s*([A-ZА-Я]{0,3}-?\d{4,12})", re.I),
    "store_id": re.compile(r"(?:№|#|n|no\.?)?\s*(\d{1,6})", re.I),
    "loyalty_card": re.compile(r"(\d{4}(?:[ -]?\d{2,4}){2,4})"),
}


def answer(ask: Ask, text: str, nlu: ParseResult | None, today: date) -> str | None:
    """The value for the ask's slot from this message, or None when it is not a valid answer."""
    text = text.strip()
    if not text:
        return None
    chosen = pressed(ask.buttons, text, by_number=False)  # "1" may be the answer itself (a store number)
    if chosen is not None:
        return chosen
    if ask.regex is not None:
        return text if re.fullmatch(ask.regex, text) else None
    if ask.entity is not None:
        return entity_value(ask.entity, text, nlu, today)
    return text[:MAX_FREE_TEXT]


def entity_value(entity: str, text: str, nlu: ParseResult | None, today: date) -> str | None:
    """The canonical value of `entity` in the text: the NLU's, a built-in extractor's, or a bare shape."""
    if nlu is not None and nlu.text.strip() == text:
        found = nlu.entity(entity)
        if found is not None:
            return found.canonical
    if entity in BUILTIN_ENTITIES:
        for name, _, _, _, canonical in builtin_entities.extract_all(text, today):
            if name == entity:
                return canonical
    bare = _BARE.get(entity)
    if bare is not None:
        match = bare.fullmatch(text)
        if match:
            return re.sub(r"[\s-]", "", match.group(1)).upper()
    return None


def pressed(buttons: list[Button], text: str, *, by_number: bool = True) -> str | None:
    """The value of the button the text names (its value, a title in any language, or its number)."""
    folded = text.strip().casefold()
    for number, button in enumerate(buttons, start=1):
        value = button.value if button.value is not None else button.title.all_strings()[0]
        titles = {t.strip().casefold() for t in button.title.all_strings()}
        if folded in titles or folded == value.casefold() or (by_number and folded == str(number)):
            return value
    return None


def pressed_index(buttons: list[Button], text: str) -> int | None:
    """The position of the button the text names, or None."""
    value = pressed(buttons, text)
    if value is None:
        return None
    return next(i for i, b in enumerate(buttons)
                if (b.value if b.value is not None else b.title.all_strings()[0]) == value)


@dataclass(frozen=True)
class Waiting:
    """The question the conversation is waiting on."""

    flow: Flow
    index: int
    step: AskStep | ButtonsStep

    @property
    def structured(self) -> bool:
        """Whether only a specific shape answers it (buttons, an entity, a regex)."""
        return isinstance(self.step, ButtonsStep) or self.step.ask.entity is not None or self.step.ask.regex is not None

    def answer(self, text: str, nlu: ParseResult | None, today: date) -> str | None:
        """The value this message gives the question (for buttons: the option's position), or None."""
        if isinstance(self.step, ButtonsStep):
            index = pressed_index(self.step.buttons.options, text)
            return None if index is None else str(index)
        return answer(self.step.ask, text, nlu, today)
