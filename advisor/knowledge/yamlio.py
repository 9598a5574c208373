"""Read YAML safely while keeping line numbers, so errors can point into the file.

The document is composed into a node tree with PyYAML's SafeLoader (no object construction beyond
plain scalars, lists and mappings) and then constructed with the same safe constructor; the node tree
is kept to map a dotted location such as ``rules.3.when.1`` back to a line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import yaml

from advisor.errors import InputError, Location

__all__ = ["YamlDocument", "read_yaml", "parse_yaml_text"]


class YamlDocument:
    """Parsed YAML data plus its node tree for locating values."""

    def __init__(self, path: str, data: Any, node: yaml.Node | None):
        self.path = path
        self.data = data
        self.node = node

    def locate(self, loc: Sequence[Any]) -> Location:
        """The location of the value at ``loc`` (keys and list indexes), or the nearest parent."""
        node = self.node
        best = node
        for part in loc:
            if node is None:
                break
            nxt = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        nxt = value
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                nxt = node.value[part]
            if nxt is None:
                break
            node = best = nxt
        if best is None:
            return Location(self.path, None, None)
        mark = best.start_mark
        return Location(self.path, mark.line + 1, mark.column + 1)


# libyaml's C parser when PyYAML was built with it (several times faster); same safe constructor.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml_text(text: str, path: str) -> YamlDocument:
    """Parse YAML text; malformed YAML raises :class:`InputError` with line and column."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", Location(path, line, col)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", Location(path)) from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, node)


def read_yaml(path: Path | str) -> YamlDocument:
    """Read and parse a YAML file; unreadable or non-UTF-8 files raise :class:`InputError`."""
    from advisor.files import read_text

    text = read_text(path)
    return parse_yaml_text(text, str(path))
