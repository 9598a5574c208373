import pytest

from advisor.knowledge.conditions import UNKNOWN, ConditionSyntaxError, parse_condition


def test_three_valued_logic_follows_kleene():
    cond = parse_condition("a and b")
    assert cond.evaluate({"a": True, "b": True}) is True
    assert cond.evaluate({"a": False}) is False  # false regardless of b
    assert cond.evaluate({"a": True}) is UNKNOWN
    either = parse_condition("a or b")
    assert either.evaluate({"a": True}) is True
    assert either.evaluate({"a": False}) is UNKNOWN
    assert parse_condition("not a").evaluate({}) is UNKNOWN


def test_comparisons_membership_and_literals():
    assert parse_condition("n >= 20").evaluate({"n": 20}) is True
    assert parse_condition("n >= 20").evaluate({"n": 19}) is False
    assert parse_condition("500 <= n < 1000").evaluate({"n": 999}) is True
    assert parse_condition("p in ['x', 'y']").evaluate({"p": "y"}) is True
    assert parse_condition("flag == true").evaluate({"flag": True}) is True
    assert parse_condition("n > -1").evaluate({"n": 0}) is True


def test_names_and_thresholds_are_extracted():
    cond = parse_condition("training_examples >= 500 and training_examples < 1000 and not x")
    assert cond.names == {"training_examples", "x"}
    assert sorted(c.value for c in cond.comparisons) == [500, 1000]


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')",
    "a.b",
    "f(x)",
    "x[0]",
    "lambda: 1",
    "a + 1 > 2",
    "-(a)",
])
def test_anything_outside_the_language_is_rejected(text):
    with pytest.raises(ConditionSyntaxError):
        parse_condition(text)


def test_syntax_error_reports_column():
    from advisor.errors import Location

    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition("n >>= 3", Location("rules/decision.yaml", 12, 9))
    assert info.value.location.line == 12
    assert info.value.location.column >= 9
