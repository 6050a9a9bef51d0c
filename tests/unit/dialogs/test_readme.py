"""Every YAML example in dialogs/README.md is valid: the content team copies them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dialogs.loader import parse_yaml
from dialogs.model import FlowFile
from dialogs.testing import ConversationFile

README = Path(__file__).resolve().parents[3] / "dialogs" / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_each_yaml_example_is_valid(block: str) -> None:
    body = "\n".join(line for line in block.splitlines() if not line.startswith("#"))
    if body.lstrip().startswith("- "):  # a list of steps: as the steps of a flow
        steps = yaml.safe_load(body)
        assert isinstance(steps, list)
        body = yaml.safe_dump({"flows": [{"id": "example", "steps": steps}]}, allow_unicode=True)
    model = ConversationFile if body.lstrip().startswith("tests:") else FlowFile
    parse_yaml(body, str(README), model)  # FlowError names the problem
