"""A small, safe condition language for rules.

Conditions read like Python expressions over question ids and facts::

    not gap_is_factual_recall
    few_shot_examples_tried >= 20
    training_examples >= 500 and training_examples < 1000
    problem_type in ["generalise_skill", "new_knowledge"]
    open_weights_viable or enterprise_route

The text is parsed with :mod:`ast` and only a whitelist of node types is accepted: names, literals
(numbers, strings, ``true``/``false``, lists), ``and``/``or``/``not``, comparisons (``== != < <= > >=``,
``in``, ``not in``). Nothing is ever passed to ``eval``. Evaluation is three-valued: a name with no
answer yet is *unknown*, and ``and``/``or``/``not`` follow Kleene logic, so the engine can tell which
rules are still possible from partial answers.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Any, Mapping

from advisor.errors import Location, RuleBaseError

__all__ = ["Condition", "ConditionSyntaxError", "UNKNOWN", "Comparison", "parse_condition"]


class _Unknown:
    """The value of a condition that depends on an unanswered question."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # pragma: no cover - guard against accidental truthiness
        raise TypeError("UNKNOWN has no truth value; compare with `is UNKNOWN`")


UNKNOWN: Any = _Unknown()

_LITERAL_NAMES = {"true": True, "false": False, "True": True, "False": False, "null": None, "None": None}

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_OP_TEXT = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
            ast.In: "in", ast.NotIn: "not in"}


# Limits that keep a hostile or broken rule file from exhausting the parser (a condition nested 20,000
# deep used to end in MemoryError): real conditions are one line and a few levels deep.
MAX_CONDITION_CHARS = 2000
MAX_CONDITION_DEPTH = 40


class ConditionSyntaxError(RuleBaseError):
    """A condition that does not parse or uses something outside the language."""


@dataclass(frozen=True)
class Comparison:
    """One ``name OP constant`` comparison found in a condition (used to partition number domains)."""

    name: str
    op: str
    value: Any


class Condition:
    """A parsed condition: its source text, the names it reads, and a three-valued evaluator."""

    def __init__(self, text: str, tree: ast.expr):
        self.text = text
        self._tree = tree
        self.names: frozenset[str] = frozenset(
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _LITERAL_NAMES
        )
        self.comparisons: tuple[Comparison, ...] = tuple(_comparisons(tree))
        self._fn = _compile(tree)

    def __repr__(self) -> str:
        return f"Condition({self.text!r})"

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """Return True, False or UNKNOWN. Names missing from ``values`` are unknown."""
        return self._fn(values)


def parse_condition(text: Any, location: Location | None = None) -> Condition:
    """Parse ``text`` or raise :class:`ConditionSyntaxError` naming file, line and column."""
    if isinstance(text, bool):
        text = "true" if text else "false"
    if not isinstance(text, str) or not text.strip():
        raise ConditionSyntaxError("a condition must be a non-empty string", location)
    source = " ".join(text.split())  # YAML folded text may carry newlines
    if len(source) > MAX_CONDITION_CHARS:
        raise ConditionSyntaxError(
            f"condition {_brief(source)} is {len(source):,} characters long; the limit is {MAX_CONDITION_CHARS:,} "
            "(split it into several conditions)", location)
    depth = _bracket_depth(source)
    if depth > MAX_CONDITION_DEPTH:
        raise ConditionSyntaxError(
            f"condition {_brief(source)} nests brackets {depth} deep; the limit is {MAX_CONDITION_DEPTH}", location)
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise ConditionSyntaxError(
            f"condition {_brief(source)} does not parse: {exc.msg}", _shift(location, exc.offset)
        ) from None
    except (RecursionError, MemoryError):
        raise ConditionSyntaxError(f"condition {_brief(source)} is nested too deeply to parse", location) from None
    depth = _tree_depth(tree)
    if depth > MAX_CONDITION_DEPTH:
        raise ConditionSyntaxError(
            f"condition {_brief(source)} nests operators {depth} deep; the limit is {MAX_CONDITION_DEPTH}", location)
    _check(tree, _brief(source, 200), location)
    return Condition(source, tree)


def _brief(source: str, limit: int = 80) -> str:
    """The condition quoted for a message, shortened when long."""
    return repr(source if len(source) <= limit else source[: limit - 1] + "…")


def _bracket_depth(source: str) -> int:
    depth = deepest = 0
    quote = None
    for ch in source:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def _tree_depth(tree: ast.AST) -> int:
    """Depth of the syntax tree, without recursion (``not not not …`` has no brackets but is deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _shift(location: Location | None, offset: int | None) -> Location | None:
    if location is None or offset is None or location.column is None:
        return location
    return Location(location.file, location.line, location.column + max(offset - 1, 0))


def _check(node: ast.AST, source: str, location: Location | None) -> None:
    allowed = (ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Compare, ast.Name, ast.Load,
               ast.Constant, ast.List, ast.Tuple, ast.USub, *_COMPARE, ast.In, ast.NotIn)
    for child in ast.walk(node):
        if not isinstance(child, allowed):
            col = getattr(child, "col_offset", 0) + 1
            raise ConditionSyntaxError(
                f"condition {source} uses {type(child).__name__}, which the rule language does not allow "
                "(use names, literals, and/or/not, comparisons and `in`)",
                _shift(location, col),
            )
        if isinstance(child, ast.Constant) and not isinstance(child.value, (int, float, str, bool, type(None))):
            raise ConditionSyntaxError(f"condition {source} has an unsupported literal", location)
        if isinstance(child, ast.UnaryOp) and isinstance(child.op, ast.USub) and not (
            isinstance(child.operand, ast.Constant) and isinstance(child.operand.value, (int, float))
        ):
            raise ConditionSyntaxError(f"condition {source}: unary minus applies to numbers only", location)


def _comparisons(tree: ast.expr):
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            op = _OP_TEXT[type(node.ops[0])]
            if isinstance(left, ast.Name) and left.id not in _LITERAL_NAMES:
                lit = _literal(right)
                if lit is not _NOT_LITERAL:
                    yield Comparison(left.id, op, lit)
            elif isinstance(right, ast.Name) and right.id not in _LITERAL_NAMES:
                lit = _literal(left)
                if lit is not _NOT_LITERAL:
                    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
                    yield Comparison(right.id, flipped, lit)


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _LITERAL_NAMES:
        return _LITERAL_NAMES[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e) for e in node.elts]
        return _NOT_LITERAL if any(i is _NOT_LITERAL for i in items) else tuple(items)
    return _NOT_LITERAL


def _compile(node: ast.expr):
    """Turn a checked AST into nested closures once, so evaluation is a few calls, not a tree walk."""
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            def both(values):
                unknown = False
                for part in parts:
                    result = part(values)
                    if result is False:
                        return False
                    if result is UNKNOWN:
                        unknown = True
                return UNKNOWN if unknown else True
            return both

        def either(values):
            unknown = False
            for part in parts:
                result = part(values)
                if result is True:
                    return True
                if result is UNKNOWN:
                    unknown = True
            return UNKNOWN if unknown else False
        return either
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand)

        def negate(values):
            result = inner(values)
            return UNKNOWN if result is UNKNOWN else not result
        return negate
    if isinstance(node, ast.Compare):
        operands = [_operand(node.left)] + [_operand(c) for c in node.comparators]
        ops = list(node.ops)

        def compare(values):
            result = True
            left = operands[0](values)
            for op, get in zip(ops, operands[1:]):
                right = get(values)
                if left is UNKNOWN or right is UNKNOWN:
                    result = UNKNOWN
                else:
                    try:
                        ok = _compare(op, left, right)
                    except TypeError:
                        ok = False
                    if not ok:
                        return False
                left = right
            return result
        return compare
    get = _operand(node)

    def truth(values):
        value = get(values)
        return value if value is UNKNOWN else bool(value)
    return truth


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, ast.In):
        return left in right
    if isinstance(op, ast.NotIn):
        return left not in right
    return _COMPARE[type(op)](left, right)


def _operand(node: ast.expr):
    """A function returning the operand's value (or UNKNOWN for an unanswered name)."""
    if isinstance(node, ast.Name):
        if node.id in _LITERAL_NAMES:
            constant = _LITERAL_NAMES[node.id]
            return lambda values: constant
        name = node.id
        return lambda values: values.get(name, UNKNOWN)
    literal = _literal(node)
    if literal is not _NOT_LITERAL:
        return lambda values: literal
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _operand(node.operand)
        return lambda values: -inner(values)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_operand(e) for e in node.elts]

        def collection(values):
            got = tuple(item(values) for item in items)
            return UNKNOWN if any(v is UNKNOWN for v in got) else got
        return collection
    return _compile(node)
