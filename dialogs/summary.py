"""The bot's summary for the operator: topic, flow, reason, slots and the last messages."""

from __future__ import annotations

import json
from typing import Any

from pydantic import JsonValue

from dialogs.templates import as_text
from dialogs.turns import DialogState

_LABELS = {
    "ru": {"topic": "Тема", "reason": "Причина", "flow": "Сценарий", "slots": "Данные",
           "messages": "Последние сообщения", "shopper": "Клиент", "bot": "Бот", "also": "Также спрашивает о",
           "unsure": "Бот не уверен в теме"},
    "en": {"topic": "Topic", "reason": "Reason", "flow": "Flow", "slots": "Details", "messages": "Last messages",
           "shopper": "Shopper", "bot": "Bot", "also": "Also asks about", "unsure": "The bot was unsure of the topic"},
}
REASONS = {
    "ru": {"human_request": "клиент просит оператора", "failed_question": "не удалось получить ответ на вопрос",
           "unsure": "бот не понимает клиента", "always_human": "тема только для оператора",
           "flow": "по сценарию", "action_error": "ошибка действия бота", "loop": "ошибка сценария"},
    "en": {"human_request": "the shopper asked for a person", "failed_question": "the question failed twice",
           "unsure": "the bot did not understand", "always_human": "a topic for people only",
           "flow": "as the flow says", "action_error": "a bot action failed", "loop": "a flow error"},
}


def summary(state: DialogState, *, topic: str, reason: str, flow: str | None,
            unsure: bool = False) -> dict[str, JsonValue]:
    """The machine-readable summary stored with the handover (`unsure`: the inbox marks it)."""
    return {
        "topic": topic, "reason": reason, "flow": flow, "intent": state.intent, "language": state.language,
        "slots": dict(state.slots), "also": list(state.also), "unsure": unsure,
        "last_messages": [{"who": s.who, "text": s.text} for s in state.recent],
    }


def note(flow_note: str, data: dict[str, Any], language: str) -> str:
    """The operator's note: the flow's own note, then the summary as readable lines."""
    labels = _LABELS.get(language, _LABELS["ru"])
    reasons = REASONS.get(language, REASONS["ru"])
    lines = [flow_note.strip()] if flow_note.strip() else []
    lines.append(f"{labels['topic']}: {data['topic']}")
    lines.append(f"{labels['reason']}: {reasons.get(str(data['reason']), str(data['reason']))}")
    if data.get("flow"):
        lines.append(f"{labels['flow']}: {data['flow']}")
    if data.get("unsure"):
        lines.append(labels["unsure"])
    if data.get("also"):
        lines.append(f"{labels['also']}: {', '.join(str(t) for t in data['also'])}")
    slots = data.get("slots") or {}
    if slots:
        lines.append(f"{labels['slots']}:")
        lines.extend(f"  {name}: {_value(value)}" for name, value in slots.items())
    messages = data.get("last_messages") or []
    if messages:
        lines.append(f"{labels['messages']}:")
        lines.extend(f"  {labels.get(m['who'], m['who'])}: {m['text']}" for m in messages)
    return "\n".join(lines)


_SHOWN_KEYS = ("name", "store_name", "title", "number", "status", "address")  # what a person reads in a lookup


def _value(value: Any) -> str:
    """A slot as a person reads it: an action's result by its telling fields, not as JSON."""
    if not isinstance(value, dict):
        return as_text(value)
    shown = [as_text(value[k]) for k in _SHOWN_KEYS if isinstance(value.get(k), str | int) and value[k] != ""]
    return ", ".join(shown) if shown else json.dumps(value, ensure_ascii=False)
