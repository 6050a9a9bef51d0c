"""The case pages' pure parts: file names and types of uploads, list cursors, SLA wording, who may act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.cases.formatting import duration
from api.cases.list_page import build_query, cursor_of, parse_cursor
from api.cases.present import sla_view
from api.cases.viewer import may_take, works_on
from api.i18n import t
from hub.files import clean_name, mime_for, served_type
from hub.stores.cases import position
from models.cases import Case, CaseSla, CaseState
from models.errors import PayloadError
from models.staff import Role, User, UserId

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ALLOWED = frozenset({"jpg", "pdf", "txt"})


def en(key: str, **params: object) -> str:
    """English strings, as a page in English shows them."""
    return t(key, "en", **params)


def a_case(**changes: object) -> Case:
    """A store case opened two hours before NOW with a 24-hour deadline."""
    opened = NOW - timedelta(hours=2)
    case = Case(conversation_id="c1", customer_id="k1", channel="api", request_type="price_tag_mismatch",
                store_id="118", description="d", group="store:118", number=7, created_at=opened,
                sla=CaseSla(hours=24, started_at=opened, due_at=opened + timedelta(hours=24)))
    return case.model_copy(update=changes)


@pytest.mark.parametrize(("given", "kept"), [
    ("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\a\\чек.pdf", "чек.pdf"), ('a<b>"c".jpg', "abc.jpg"),
    ("", "file"), ("...", "file"), ("x" * 300 + ".txt", "x" * 196 + ".txt"),
])
def test_upload_names_lose_folders_and_markup(given: str, kept: str) -> None:
    assert clean_name(given) == kept


def test_types_come_from_the_extension_and_the_allow_list() -> None:
    assert mime_for("Чек.PDF", ALLOWED) == "application/pdf"
    with pytest.raises(PayloadError, match=r"\.html is not accepted"):
        mime_for("page.html", ALLOWED | {"html"})  # not a type we ever serve, whatever the settings say
    with pytest.raises(PayloadError, match=r"\.png is not accepted"):
        mime_for("photo.png", ALLOWED)
    assert served_type("old.exe") == "application/octet-stream"


def test_a_cursor_names_the_position_of_the_last_row_and_nothing_else() -> None:
    case = a_case()
    assert parse_cursor(cursor_of(position(case))) == position(case)
    for bad in ("", "1~2", "x~y~z~w", "1~1~2026~seven"):
        with pytest.raises(PayloadError):
            parse_cursor(bad)


def test_filters_become_the_store_query() -> None:
    assert build_query("open", "", False).open_only
    assert build_query("waiting", "refund", True).states == frozenset({CaseState.WAITING})
    assert build_query("all", "", True).breached is True and not build_query("all", "", False).open_only
    with pytest.raises(PayloadError, match="state"):
        build_query("everything", "", False)


def test_sla_reads_as_time_left_soon_overdue_or_paused() -> None:
    assert sla_view(a_case(), NOW, en).left == "22 h 0 min left"
    soon = sla_view(a_case(), NOW + timedelta(hours=20), en)
    assert soon.soon and not soon.breached
    late = sla_view(a_case(), NOW + timedelta(hours=25), en)
    assert late.breached and late.left == "overdue by 3 h 0 min"
    paused = a_case(sla=a_case().sla.model_copy(update={"paused_at": NOW}))
    assert sla_view(paused, NOW + timedelta(days=3), en).left == "clock paused"
    assert sla_view(a_case(sla=CaseSla()), NOW, en).due is None
    assert duration(3 * 86400 + 7200, en) == "3 d 2 h" and duration(20, en) == "< 1 min"


def test_who_may_act_on_a_store_case() -> None:
    def person(roles: set[Role], groups: list[str], store: str | None = None) -> User:
        return User(id=UserId(f"u-{len(groups)}-{store}"), login="x", name="X", roles=frozenset(roles),
                    groups=groups, store_id=store)

    case = a_case()
    own_staff = person({Role.STORE_STAFF}, ["store:118"], "118")
    other_staff = person({Role.STORE_STAFF}, ["store:205"], "205")
    specialist = person({Role.SPECIALIST}, ["quality_control"])
    operator = person({Role.OPERATOR}, ["general"])
    assert works_on(own_staff, case) and may_take(own_staff, case)
    assert not works_on(other_staff, case) and not may_take(other_staff, case)
    assert not works_on(specialist, case)
    assert works_on(operator, case) and not may_take(operator, case)  # the contact centre acts, stores take
    moved = a_case(group="quality_control")
    assert works_on(specialist, moved) and not works_on(own_staff, moved)
