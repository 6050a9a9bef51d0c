"""Admin forms: raw form fields in, validated changes (or field errors) out. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError
from starlette.datastructures import FormData

from hub.directory import check_strength, split_list
from models.errors import PayloadError
from models.staff import Group, GroupKind, Role, User

E = TypeVar("E", bound=StrEnum)


@dataclass
class FormResult:
    """Cleaned values and per-field errors."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the form is valid."""
        return not self.errors


def enum_or_none(kind: type[E], value: str | None) -> E | None:
    """A filter value from a query string: empty means "any"; PayloadError names the choices otherwise."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError as e:
        raise PayloadError(f"{value!r} is not one of {', '.join(m.value for m in kind)}") from e


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _pydantic_errors(error: ValidationError) -> dict[str, str]:
    return {str(e["loc"][0]) if e["loc"] else "form": e["msg"] for e in error.errors()}


def user_form(form: FormData, *, new: bool) -> FormResult:
    """Profile fields of a user form (and login + password when `new`)."""
    result = FormResult()
    roles = [r for r in form.getlist("roles") if isinstance(r, str)]
    values: dict[str, Any] = {
        "name": _text(form, "name"), "email": _text(form, "email") or None,
        "roles": frozenset(Role(r) for r in roles if r in Role.__members__.values()),
        "groups": split_list(_text(form, "groups")), "store_id": _text(form, "store_id") or None,
        "language": _text(form, "language") or "ru", "capacity": _text(form, "capacity") or "5",
    }
    if new:
        values["login"] = _text(form, "login")
    try:
        probe = User.model_validate({"login": values.get("login") or "probe", **values})
    except ValidationError as e:
        result.errors.update(_pydantic_errors(e))
        probe = None
    if new:
        password = form.get("password")
        try:
            check_strength(password if isinstance(password, str) else "")
        except ValueError as e:
            result.errors["password"] = str(e)
        result.values["password"] = password
    if probe is not None and Role.STORE_STAFF in probe.roles and not probe.store_id:
        result.errors["store_id"] = "store staff need a store"
    if probe is not None:
        keep = ["name", "email", "roles", "groups", "store_id", "language", "capacity"] + (["login"] if new else [])
        result.values.update({k: getattr(probe, k) for k in keep})
    return result


def password_form(form: FormData) -> FormResult:
    """A new password, checked for strength."""
    password = form.get("password")
    text = password if isinstance(password, str) else ""
    try:
        check_strength(text)
    except ValueError as e:
        return FormResult(errors={"password": str(e)})
    return FormResult(values={"password": text})


def group_form(form: FormData, *, group_id: str | None) -> FormResult:
    """A group's fields (`group_id` None: the id comes from the form, a new group)."""
    raw = {"id": group_id or _text(form, "id"), "name": _text(form, "name"),
           "kind": _text(form, "kind") or GroupKind.CONTACT_CENTRE.value, "region": _text(form, "region") or None,
           "calendar": _text(form, "calendar") or None, "escalation_group": _text(form, "escalation_group") or None,
           "store_id": _text(form, "store_id") or None}
    try:
        group = Group.model_validate(raw)
    except ValidationError as e:
        return FormResult(values=raw, errors=_pydantic_errors(e))
    return FormResult(values={"group": group, **raw})
