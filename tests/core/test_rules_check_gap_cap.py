"""`rules check` lists at most 20 gap witnesses and then says how many gaps there are in all."""

import json

import yaml

LIMIT = 20


def test_gap_findings_stop_at_the_limit_and_the_total_is_given(run_cli, rules_copy):
    decision = rules_copy / "decision.yaml"
    data = yaml.safe_load(decision.read_text())
    # Without the first rule, every answer set it decided is a gap: more than the limit.
    data["rules"] = [r for r in data["rules"] if r["id"] != "factual_gap_needs_rag"]
    decision.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run_cli("rules", "check", "--rules", rules_copy, "--format", "json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    gaps = [f for f in findings if f["code"] == "E120"]
    assert len(gaps) == LIMIT
    assert len({json.dumps(g["witness"], sort_keys=True) for g in gaps}) == len(gaps)  # distinct witnesses
    total = [f for f in findings if f["code"] == "I303"]
    assert len(total) == 1
    count, rest = total[0]["message"].split(" ", 1)
    assert int(count) > LIMIT and rest.startswith("answer sets in all")
    assert f"first {LIMIT} are listed" in total[0]["message"]
