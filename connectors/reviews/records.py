"""A review as a flat record, the shape of exports and feeds from sources without an API (Yandex Maps and 2GIS
exports, a monitoring agency's CSV/JSON, the aggregator's webhook):

    platform, review_id, place_id        required (platform may come from the caller: `--platform`)
    rating                               1..5, optional ("4", "4.0", "★★★★" all read as 4)
    text, language, author, place_name, place_address, reply
    created_at                           ISO 8601; without a zone it is the chain's zone (OTKLIK_TIMEZONE)
    updated_at                           ISO 8601, default created_at (a later one marks an edit)
    deleted                              true / false
    author_identity                      "<kind>:<value>" (phone:+7916..., email:...): read only from a source
                                         that proves who wrote it (the chain's own app), `trusted=True`
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from models.errors import PayloadError
from models.reviews import PlatformReview

TRUE, FALSE = frozenset({"1", "true", "yes", "да"}), frozenset({"0", "false", "no", "нет", ""})


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _rating(value: str | None) -> int | None:
    if value is None:
        return None
    if set(value) <= {"★", "☆"}:
        return value.count("★") or None
    try:
        number = float(value.replace(",", "."))
    except ValueError as e:
        raise PayloadError(f"rating: {value!r} is not a number of stars") from e
    if number != int(number) or not 1 <= number <= 5:
        raise PayloadError(f"rating: {value!r} is not 1 to 5 stars")
    return int(number)


def _when(value: str | None, name: str, zone: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise PayloadError(f"{name}: {value!r} is not an ISO 8601 date and time") from e
    return (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(ZoneInfo("UTC"))


def _flag(value: str | None) -> bool:
    if (value or "").casefold() in TRUE:
        return True
    if (value or "").casefold() in FALSE:
        return False
    raise PayloadError(f"deleted: {value!r} is not true or false")


def parse_record(data: Mapping[str, Any], *, platform: str | None, zone: ZoneInfo,
                 trusted: bool = False) -> PlatformReview:
    """One record -> a review; PayloadError naming the field that is wrong. Pure."""
    platform = _text(data, "platform") or platform
    missing = [n for n, v in (("platform", platform), ("review_id", _text(data, "review_id")),
                              ("place_id", _text(data, "place_id")), ("created_at", _text(data, "created_at")))
               if v is None]
    if missing:
        raise PayloadError(f"missing {', '.join(missing)}")
    created = _when(_text(data, "created_at"), "created_at", zone)
    updated = _when(_text(data, "updated_at"), "updated_at", zone) or created
    if created is not None and updated is not None and updated < created:
        raise PayloadError("updated_at: before created_at")
    try:
        return PlatformReview(
            platform=platform or "", review_id=_text(data, "review_id") or "", place_id=_text(data, "place_id") or "",
            place_name=_text(data, "place_name"), place_address=_text(data, "place_address"),
            rating=_rating(_text(data, "rating")), text=_text(data, "text") or "", language=_text(data, "language"),
            author_name=_text(data, "author"), author_identity=_text(data, "author_identity") if trusted else None,
            created_at=created, updated_at=updated, reply_text=_text(data, "reply"),
            deleted=_flag(_text(data, "deleted")))
    except ValidationError as e:
        problem = e.errors()[0]
        raise PayloadError(f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}") from e
