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
    except RecursionError:
        raise InputError("YAML nested too deeply", Location(path)) from None
    except (ValueError, OverflowError) as exc:
        # A scalar that looks like a date or number but is not one (2026-13-45, an integer of more than
        # 4,300 digits): find which, for the line.
        raise InputError(_bad_scalar_message(exc), _bad_scalar_location(node, path)) from None
    finally:
        loader.dispose()
    return YamlDocument(path, data, node)


def _bad_scalar_message(exc: Exception) -> str:
    text = str(exc)
    if "integer string conversion" in text or "digits" in text:
        return "a number with more than 4,300 digits; quote it if it is text"
    return f"a value YAML reads as a date or number is not a valid one ({text}); quote it if it is text"


def _bad_scalar_location(node: yaml.Node | None, path: str) -> Location:
    """The first scalar whose construction fails, walked without recursion."""
    constructor = yaml.SafeLoader("")
    stack = [node] if node is not None else []
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            try:
                constructor.construct_object(current, deep=True)
            except Exception:  # noqa: BLE001 - this is the scalar that failed
                mark = current.start_mark
                return Location(path, mark.line + 1, mark.column + 1)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            for key, value in reversed(current.value):
                stack.extend((value, key))
    return Location(path)


def read_yaml(path: Path | str) -> YamlDocument:
    """Read and parse a YAML file; unreadable or non-UTF-8 files raise :class:`InputError`."""
    from advisor.files import MAX_YAML_BYTES, read_text

    text = read_text(path, max_bytes=MAX_YAML_BYTES)
    return parse_yaml_text(text, str(path))
