"""Names people read instead of ids: topics (`api/locales/topics.json`) and request types (the case
catalogue's titles), in the page's language, as Jinja filters on the one environment (api/templating.py):

    {{ row.topic | topic_name }}    'Статус заказа' for `order_status`
    {{ case.request_type | request_type_name }}

Groups have names in the directory and states have strings per feature; their views carry them. An id
nobody translated yet reads as words ('order_status' -> 'Order status'), never as a raw id.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from api import i18n
from hub.cases import case_config


def humanized(identifier: str) -> str:
    """'price_tag_mismatch' -> 'Price tag mismatch': the last resort for an id with no translation."""
    words = identifier.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def topic_name(topic: str | None, lang: str) -> str:
    """A topic's name in `lang` ('' for none)."""
    if not topic:
        return ""
    key = f"topic.{topic}"
    text = i18n.t(key, lang)
    return humanized(topic) if text == key else text


def _lang_of(context: Context) -> str:
    return str(context.get("lang") or i18n.DEFAULT_LANG)


@pass_context
def topic_filter(context: Context, topic: str | None) -> str:
    """Jinja filter `topic_name`: the topic's name in the page's language."""
    return topic_name(topic, _lang_of(context))


@pass_context
def request_type_filter(context: Context, request_type: str | None) -> str:
    """Jinja filter `request_type_name`: the catalogue's title in the page's language."""
    if not request_type:
        return ""
    request = context.get("request")
    hub = getattr(getattr(getattr(request, "app", None), "state", None), "hub", None)
    found = case_config(hub).catalogue.types.get(request_type) if hub is not None else None
    return humanized(request_type) if found is None else found.name(_lang_of(context))


FILTERS: dict[str, Any] = {"topic_name": topic_filter, "request_type_name": request_type_filter}
