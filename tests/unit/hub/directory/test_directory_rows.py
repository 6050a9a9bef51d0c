"""Reading directory import files: CSV with either separator, JSON arrays and JSON lines, with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.directory.rows import read_rows, split_list
from models.errors import PayloadError


def test_semicolon_csv_with_bom_and_a_multiline_cell_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "stores.csv"
    path.write_text('\ufeffID;Name;Address\n1;Арбат;"ул. Арбат,\nдом 1"\n2;Сокол;\n', encoding="utf-8")
    rows = list(read_rows(path))
    assert [(r.line, dict(r.data)) for r in rows] == [
        (2, {"id": "1", "name": "Арбат", "address": "ул. Арбат,\nдом 1"}), (4, {"id": "2", "name": "Сокол"})]


def test_json_array_rows_carry_the_line_they_start_on(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('[\n  {"login": "a",\n   "name": "A"},\n\n  {"login": "b", "email": ""}\n]\n', encoding="utf-8")
    assert [(r.line, dict(r.data)) for r in read_rows(path)] == [
        (2, {"login": "a", "name": "A"}), (5, {"login": "b"})]


def test_json_lines_and_broken_json(tmp_path: Path) -> None:
    lines = tmp_path / "users.jsonl"
    lines.write_text('{"login": "a"}\n\n{"login": "b"}\n', encoding="utf-8")
    assert [r.line for r in read_rows(lines)] == [1, 3]
    broken = tmp_path / "broken.json"
    broken.write_text('[\n{"login": "a"},\n{"login": \n]', encoding="utf-8")
    with pytest.raises(PayloadError, match=r"broken.json:4: invalid JSON"):
        list(read_rows(broken))
    not_objects = tmp_path / "numbers.json"
    not_objects.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(PayloadError, match=r"numbers\.json:1: expected an object"):
        list(read_rows(not_objects))


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PayloadError, match=r"expected a \.csv, \.json or \.jsonl file"):
        read_rows(tmp_path / "users.xlsx")


@pytest.mark.parametrize(("cell", "expected"), [
    ("operator, supervisor", ["operator", "supervisor"]), ("a;b|c d", ["a", "b", "c", "d"]),
    (["x", " ", "y"], ["x", "y"]), (None, []),
])
def test_split_list(cell: object, expected: list[str]) -> None:
    assert split_list(cell) == expected
