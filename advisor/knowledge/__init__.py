"""The knowledge base: rule files as validated data, and the safe condition language."""

from advisor.knowledge.conditions import UNKNOWN, Condition, parse_condition
from advisor.knowledge.loader import RuleBase, default_rules_dir, load_rulebase

__all__ = ["UNKNOWN", "Condition", "RuleBase", "default_rules_dir", "load_rulebase", "parse_condition"]
