"""The JSON Schema of the flow files (`dialogs/flow.schema.json`), generated from the models.

    python -m dialogs.schema          # rewrite dialogs/flow.schema.json after changing dialogs/model.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dialogs.model import FlowFile

SCHEMA_FILE = Path(__file__).resolve().parent / "flow.schema.json"


def schema() -> dict[str, Any]:
    """The schema editors use to autocomplete and validate `dialogs/flows/*.yml`."""
    generated = FlowFile.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://otklik.example/dialogs/flow.schema.json",
        "title": "Otklik dialog flows",
        "description": "A file of dialog flows and/or the global rules (see dialogs/README.md).",
        **{k: v for k, v in generated.items() if k not in {"title", "description"}},
    }


def render() -> str:
    """The schema as the committed file's text."""
    return json.dumps(schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Write the schema file."""
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
