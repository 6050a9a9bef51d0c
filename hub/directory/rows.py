"""Reading import files: CSV (header row) or JSON (an array of objects, or JSON lines), each row with the
line it starts on, so errors read `stores.csv:118: reason`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import PayloadError


@dataclass(frozen=True)
class ImportRow:
    """One record of an import and where it came from."""

    line: int
    data: Mapping[str, Any]


def read_rows(path: Path) -> Iterator[ImportRow]:
    """The records of a .csv, .json (array) or .jsonl file; PayloadError when the file itself is unreadable."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".json", ".jsonl", ".ndjson"):
        return _json_rows(path)
    raise PayloadError(f"{path.name}: expected a .csv, .json or .jsonl file")


def _csv_rows(path: Path) -> Iterator[ImportRow]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        sample = f.read(4096)
        f.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","  # Excel in Russian locales saves ';'
        reader = csv.DictReader(f, delimiter=delimiter)
        if not reader.fieldnames:
            raise PayloadError(f"{path.name}: no header row")
        line = reader.line_num + 1
        for record in reader:
            data = {k.strip().lower(): (v.strip() if isinstance(v, str) else v)
                    for k, v in record.items() if k is not None}
            yield ImportRow(line, {k: v for k, v in data.items() if v not in ("", None)})
            line = reader.line_num + 1


def _json_rows(path: Path) -> Iterator[ImportRow]:
    text = path.read_text(encoding="utf-8-sig")
    start = len(text) - len(text.lstrip())
    if text[start:start + 1] != "[":
        yield from _json_lines(path.name, text)
        return
    decoder, pos, line, counted = json.JSONDecoder(), start + 1, 1, 0
    while True:
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise PayloadError(f"{path.name}:{e.lineno}: invalid JSON: {e.msg}") from e
        yield _record(path.name, line, value)
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos >= len(text) or text[pos] != "]":
            raise PayloadError(f"{path.name}:{line + text.count(chr(10), counted, pos)}: expected ',' or ']'")


def _json_lines(name: str, text: str) -> Iterator[ImportRow]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            try:
                yield _record(name, number, json.loads(raw))
            except json.JSONDecodeError as e:
                raise PayloadError(f"{name}:{number}: invalid JSON: {e.msg}") from e


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _record(name: str, line: int, value: Any) -> ImportRow:
    if not isinstance(value, dict):
        raise PayloadError(f"{name}:{line}: expected an object")
    return ImportRow(line, {str(k).lower(): v for k, v in value.items() if v not in ("", None)})


def split_list(value: Any) -> list[str]:
    """A list from JSON, or from a CSV cell separated by commas, semicolons, '|' or spaces."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    for sep in ";|":
        value = str(value).replace(sep, ",")
    return [part for chunk in str(value).split(",") for part in chunk.split() if part]
