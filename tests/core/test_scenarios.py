"""The scenario tests shipped in rules/scenarios run here too, one pytest case each."""

import pytest

from advisor.knowledge import load_rulebase
from advisor.verify import run_scenario

from ..conftest import RULES

SCENARIOS = load_rulebase(RULES).load_scenarios()


@pytest.mark.parametrize("file,line,scenario", SCENARIOS, ids=[f"{s.name}" for _, _, s in SCENARIOS])
def test_scenario(rulebase, file, line, scenario):
    failures, _ = run_scenario(rulebase, scenario)
    assert not failures, f"{file}:{line}: " + "; ".join(failures)
