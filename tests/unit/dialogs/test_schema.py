"""The committed JSON Schema matches the models, and accepts the shipped flows while refusing broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import yaml

from dialogs.schema import SCHEMA_FILE, render
from tests.unit.dialogs.helpers import FIXTURES

SHIPPED = Path(__file__).resolve().parents[3] / "dialogs" / "flows"


def test_the_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), "run: python -m dialogs.schema"


def test_the_schema_accepts_the_flows_and_refuses_a_step_of_two_kinds() -> None:
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for path in [*sorted((FIXTURES / "flows").glob("*.yml")), *sorted(SHIPPED.glob("*.yml"))]:
        assert validator.is_valid(yaml.safe_load(path.read_text(encoding="utf-8"))), path
    broken = {"flows": [{"id": "a", "steps": [{"say": {"ru": "x", "en": "y"}, "goto": "b"}]}]}
    assert not validator.is_valid(broken)
    assert not validator.is_valid({"flows": [{"id": "a", "steps": [{"ask": {"slot": "s"}}]}]})
