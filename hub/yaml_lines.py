"""Where a value sits in a YAML file, so a problem found after loading can say `file:line`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode


class YamlLines:
    """Line numbers of one YAML file's keys and list items (1 when the file cannot be read or parsed)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._root: Node | None = yaml.compose(self.path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (OSError, yaml.YAMLError):
            self._root = None

    def line(self, *keys: str | int) -> int:
        """The 1-based line of the deepest of `keys` (mapping keys or list positions) that the file has."""
        node, line = self._root, 1
        for key in keys:
            found = _child(node, key)
            if found is None:
                break
            line, node = found
        return line


def _child(node: Node | None, key: str | int) -> tuple[int, Node] | None:
    """The line of `key` inside `node` and the node it names."""
    if isinstance(node, MappingNode):
        pairs: Sequence[tuple[Node, Node]] = node.value
        for name, value in pairs:
            if name.value == str(key):
                return name.start_mark.line + 1, value
    if isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        item: Node = node.value[key]
        return item.start_mark.line + 1, item
    return None
