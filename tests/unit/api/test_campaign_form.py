"""The campaign form: a stored campaign shown on the form reads back as the same campaign; periods are local."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, UploadFile

from api.admin.campaign_form import campaign_form, form_of
from models.campaigns import Audience, Campaign, HourRange, Moment, Offer, OfferSource

MOSCOW = ZoneInfo("Europe/Moscow")


def _as_form(fields: Mapping[str, str | list[str]]) -> FormData:
    items: list[tuple[str, str | UploadFile]] = [
        (k, item) for k, v in fields.items() for item in (v if isinstance(v, list) else [v])]
    return FormData(items)


def test_a_campaign_survives_the_form_unchanged() -> None:
    campaign = Campaign(
        id="winback", name="Вернуть", active=False, priority=7, budget=50, control_share=0.2, version=3,
        placements=frozenset({Moment.PRAISE, Moment.PROACTIVE}),
        starts_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC), ends_at=datetime(2027, 1, 1, 6, 0, tzinfo=UTC),
        audience=Audience(loyalty_tiers=frozenset({"gold", "silver"}), lapsed_days=60, weekdays=frozenset({6, 7}),
                          hours=HourRange(start=10, end=20)),
        offer=Offer(source=OfferSource.CRM, text={"ru": "Код {code}", "en": "Code {code}"}, cost=Decimal("99.50"),
                    crm_reason="winback", whatsapp_template="promo_v1"))
    shown = form_of(campaign, MOSCOW)
    assert shown["starts_at"] == "2026-12-01T09:00"  # the chain's local time
    result = campaign_form(_as_form(shown), zone=MOSCOW, campaign_id="winback", active=False)
    assert result.errors == {}
    assert result.values["campaign"] == campaign


def test_errors_land_on_their_fields() -> None:
    result = campaign_form(_as_form({"id": "Bad Id", "name": "", "source": "mail", "text_ru": "x", "text_en": "y",
                                     "audience": "- a list", "budget": "0"}), zone=MOSCOW)
    assert set(result.errors) == {"id", "name", "source", "placements", "audience", "budget"}
    assert "campaign" not in result.values and "Value error" not in result.errors["name"]
