"""The campaign form: raw fields in, the same `models.campaigns.Campaign` the REST API and the YAML files validate
(or its errors, keyed by form field) out. No I/O here.

The audience is written as YAML, in the campaign files' shape (`loyalty_tiers: [gold]`, `weekdays: [6, 7]`...):
its rules are many and change as the CRM grows, and marketing already writes them so in the files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.admin.forms import FormResult
from models.campaigns import Campaign

# Where the model's error locations are shown on the form; anything else goes to the top.
FIELD_OF: dict[tuple[str, ...], str] = {
    ("offer", "text", "ru"): "text_ru", ("offer", "text", "en"): "text_en", ("offer", "text"): "text_ru",
    ("offer", "source"): "source", ("offer", "cost"): "cost", ("offer", "crm_reason"): "crm_reason",
    ("offer", "whatsapp_template"): "whatsapp_template"}
TOP_LEVEL = {"id", "name", "placements", "budget", "control_share", "priority", "starts_at", "ends_at", "audience"}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _field(loc: tuple[int | str, ...]) -> str:
    path = tuple(str(p) for p in loc)
    for size in (3, 2):
        if path[:size] in FIELD_OF:
            return FIELD_OF[path[:size]]
    return str(loc[0]) if loc and loc[0] in TOP_LEVEL else "form"


def _moment(raw: str, zone: ZoneInfo) -> datetime | str | None:
    """A `datetime-local` value read in the chain's zone (the model refuses what does not parse)."""
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=zone)
    except ValueError:
        return raw


def _audience(raw: str, result: FormResult) -> Any:
    try:
        loaded = yaml.safe_load(raw) if raw else {}
    except yaml.YAMLError as e:
        result.errors["audience"] = f"not YAML: {e}"
        return {}
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        result.errors["audience"] = "rules are 'name: value' lines, e.g. loyalty_tiers: [gold]"
        return {}
    return loaded


def campaign_form(form: FormData, *, zone: ZoneInfo, campaign_id: str | None = None,
                  active: bool = True) -> FormResult:
    """A campaign's fields; with `campaign_id` (an edit) the id is the page's and `values["version"]` the one the
    editor saw. `active` is kept: pausing is its own button."""
    result = FormResult()
    raw: dict[str, Any] = {
        "id": campaign_id or _text(form, "id"), "name": _text(form, "name"), "active": active,
        "placements": [p for p in form.getlist("placements") if isinstance(p, str) and p],
        "offer": {"source": _text(form, "source"), "text": {"ru": _text(form, "text_ru"), "en": _text(form, "text_en")},
                  "cost": _text(form, "cost") or "0", "crm_reason": _text(form, "crm_reason") or "campaign",
                  "whatsapp_template": _text(form, "whatsapp_template") or None},
        "audience": _audience(_text(form, "audience"), result),
        "budget": _text(form, "budget") or None, "control_share": _text(form, "control_share") or "0.1",
        "priority": _text(form, "priority") or "0",
        "starts_at": _moment(_text(form, "starts_at"), zone), "ends_at": _moment(_text(form, "ends_at"), zone)}
    if campaign_id is not None:
        version = _text(form, "version")
        raw["version"] = int(version) if version.isascii() and version.isdigit() else 0
        if raw["version"] == 0 and version != "0":
            result.errors["form"] = "the form has no version; reload the page"
    try:
        campaign = Campaign.model_validate(raw)
    except ValidationError as e:
        for error in e.errors():
            where = ".".join(str(p) for p in error["loc"])
            result.errors.setdefault(_field(error["loc"]), f"{where or 'campaign'}: {error['msg']}")
        return result
    if result.ok:
        result.values["campaign"] = campaign
    return result


def form_of(campaign: Campaign, zone: ZoneInfo) -> dict[str, Any]:
    """A stored campaign as the form's fields."""
    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""

    audience = campaign.audience.model_dump(mode="json", exclude_defaults=True)
    return {"id": campaign.id, "name": campaign.name, "placements": [p.value for p in campaign.placements],
            "source": campaign.offer.source.value, "text_ru": campaign.offer.text.get("ru", ""),
            "text_en": campaign.offer.text.get("en", ""), "cost": str(campaign.offer.cost),
            "crm_reason": campaign.offer.crm_reason, "whatsapp_template": campaign.offer.whatsapp_template or "",
            "audience": yaml.safe_dump(audience, allow_unicode=True, sort_keys=True) if audience else "",
            "budget": "" if campaign.budget is None else str(campaign.budget),
            "control_share": str(campaign.control_share), "priority": str(campaign.priority),
            "starts_at": local(campaign.starts_at), "ends_at": local(campaign.ends_at),
            "version": str(campaign.version)}
