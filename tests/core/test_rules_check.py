"""`advisor rules check` passes the shipped rules and finds planted errors with file and line."""

import json

import yaml


def load(path):
    return yaml.safe_load(path.read_text())


def dump(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def check_json(run_cli, rules):
    result = run_cli("rules", "check", "--rules", rules, "--format", "json")
    return result.code, json.loads(result.out)


def codes(data):
    return [f["code"] for f in data["findings"]]


def test_shipped_rules_pass(run_cli):
    result = run_cli("rules", "check")
    assert result.code == 0, result.out
    assert "rules check OK" in result.out
    assert "rule coverage 100.0%" in result.out


def test_planted_gap_is_found_with_a_witness(run_cli, rules_copy):
    original = load(rules_copy / "decision.yaml")
    data = dict(original, rules=[r for r in original["rules"] if r["id"] != "gap_not_measured"])
    dump(rules_copy / "decision.yaml", data)
    code, report = check_json(run_cli, rules_copy)
    assert code == 1
    gaps = [f for f in report["findings"] if f["code"] == "E120"]
    measured = [g for g in gaps if g["witness"]["gap_is_factual_recall"] is False]
    assert measured and measured[0]["witness"]["gap_measured_with_evals"] is False
    assert measured[0]["witness"]["few_shot_examples_tried"] >= 20
    # Without both rules that lead to measuring first, the "not sure" answers have no path either.
    data = dict(original, rules=[r for r in original["rules"]
                                 if r["id"] not in ("gap_not_measured", "unsure_gap_measure_first")])
    dump(rules_copy / "decision.yaml", data)
    code, report = check_json(run_cli, rules_copy)
    gaps = [f for f in report["findings"] if f["code"] == "E120"]
    assert code == 1 and any(g["witness"]["gap_is_factual_recall"] == "unsure" for g in gaps)
    assert "E123" in codes(report)  # build_evals is now an outcome without a rule


def test_planted_conflict_at_equal_priority_is_found(run_cli, rules_copy):
    data = load(rules_copy / "decision.yaml")
    # Let distill and the managed fine-tune overlap at the same priority.
    for rule in data["rules"]:
        if rule["id"] == "open_weights_distill":
            rule["priority"] = 10
            rule["when"] = rule["when"][:-1]
    dump(rules_copy / "decision.yaml", data)
    code, report = check_json(run_cli, rules_copy)
    assert code == 1
    conflict = next(f for f in report["findings"] if f["code"] == "E121")
    assert "open_weights_distill" in conflict["message"] and "managed_fine_tune" in conflict["message"]
    assert conflict["witness"]["open_weights_viable"] is False
    assert conflict["file"].endswith("decision.yaml") and conflict["line"]


def test_planted_unreachable_rule_is_found_with_its_line(run_cli, rules_copy):
    path = rules_copy / "decision.yaml"
    data = load(path)
    data["rules"].append({"id": "shadowed", "priority": 1, "when": ["gap_is_factual_recall"], "then": "rag",
                          "because": "planted", "sources": ["seed_002"]})
    dump(path, data)
    code, report = check_json(run_cli, rules_copy)
    assert code == 1
    finding = next(f for f in report["findings"] if f["code"] == "E122")
    assert "shadowed" in finding["message"] and "outranked" in finding["message"]
    assert path.read_text().splitlines()[finding["line"] - 1].lstrip().startswith("- id: shadowed")


def test_schema_error_names_file_line_and_key(run_cli, rules_copy):
    path = rules_copy / "questions.yaml"
    text = path.read_text().replace("    role: decision\n", "    role: decision\n    colour: red\n", 1)
    path.write_text(text)
    result = run_cli("rules", "check", "--rules", rules_copy)
    assert result.code == 1
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "colour: red" in l)
    assert f"questions.yaml:{line}:" in result.out
    assert "Extra inputs are not permitted" in result.out and "E100" in result.out


def test_bad_condition_names_file_and_line(run_cli, rules_copy):
    path = rules_copy / "decision.yaml"
    text = path.read_text().replace("few_shot_examples_tried < 20", "few_shot_examples_tried <<< 20", 1)
    path.write_text(text)
    result = run_cli("rules", "check", "--rules", rules_copy)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "<<<" in l)
    assert result.code == 1 and f"decision.yaml:{line}:" in result.out and "does not parse" in result.out


def test_unsafe_condition_is_rejected(run_cli, rules_copy):
    path = rules_copy / "decision.yaml"
    path.write_text(path.read_text().replace("- gap_is_factual_recall == true\n", "- __import__('os').getcwd()\n", 1))
    result = run_cli("rules", "check", "--rules", rules_copy)
    assert result.code == 1 and "does not allow" in result.out


def test_missing_because_or_sources_is_its_own_lint(run_cli, rules_copy):
    path = rules_copy / "warnings.yaml"
    data = load(path)
    del data["warnings"][0]["because"]
    dump(path, data)
    code, report = check_json(run_cli, rules_copy)
    assert code == 1 and "E101" in codes(report)


def test_reference_graph_findings(run_cli, rules_copy):
    decision = load(rules_copy / "decision.yaml")
    decision["rules"][0]["sources"] = ["seed_999"]
    decision["rules"][1]["when"].append("training_examples > 3")  # a plan question in a decision: cycle
    decision["rules"][2]["when"].append("mystery_flag")
    dump(rules_copy / "decision.yaml", decision)
    questions = load(rules_copy / "questions.yaml")
    questions["questions"].append({"id": "orphan", "text": "?", "help": "?", "type": "bool", "role": "plan"})
    dump(rules_copy / "questions.yaml", questions)
    code, report = check_json(run_cli, rules_copy)
    found = codes(report)
    assert code == 1
    assert {"E111", "E113", "E110", "W200"} <= set(found)


def test_stale_sources_are_reported(run_cli, monkeypatch):
    assert not any(f["code"] == "W202" for f in check_json(run_cli, "rules")[1]["findings"])
    monkeypatch.setenv("ADVISOR_TODAY", "2028-06-01")  # 18 months on, past the 365-day limit
    result = run_cli("rules", "check", "--format", "json")
    data = json.loads(result.out)
    stale = [f for f in data["findings"] if f["code"] == "W202"]
    assert stale and stale[0]["file"].endswith("sources.yaml") and stale[0]["line"]
    assert result.code == 0  # staleness warns, it does not fail
    monkeypatch.setenv("ADVISOR_TODAY", "2026-11-21")
    assert any(f["code"] == "W202" for f in check_json(run_cli, "rules")[1]["findings"]) is False
    result = run_cli("rules", "check", "--stale-days", "-1", "--format", "json")
    assert any(f["code"] == "W202" for f in json.loads(result.out)["findings"])


def test_stale_sources_warn_in_recommendations(tmp_path, run_cli, monkeypatch):
    monkeypatch.setenv("ADVISOR_TODAY", "2028-06-01")
    answers = tmp_path / "a.yaml"
    answers.write_text("gap_is_factual_recall: true\n")
    data = json.loads(run_cli("recommend", "--answers", answers, "--format", "json").out)
    assert "stale_sources" in {w["code"] for w in data["warnings"]}


def test_hyperparameter_gap_and_api_range(run_cli, rules_copy):
    path = rules_copy / "hyperparameters.yaml"
    data = load(path)
    nova = next(t for t in data["tables"] if t["id"] == "nova")
    epochs = nova["parameters"][0]
    epochs["rules"][1]["when"] = "training_examples >= 1100 and training_examples < 5000"  # 1,000–1,099 uncovered
    epochs["rules"][2]["value"] = 8  # Nova's API allows at most 5 epochs
    epochs["rules"][2]["range"] = [6, 8]
    dump(path, data)
    code, report = check_json(run_cli, rules_copy)
    assert code == 1
    gap = next(f for f in report["findings"] if f["code"] == "E124")
    assert 1000 <= gap["witness"]["training_examples"] < 1100
    assert any(f["code"] == "E125" and "nova-micro" in f["message"] for f in report["findings"])


def test_failing_scenario_names_its_file_and_line(run_cli, rules_copy):
    path = rules_copy / "scenarios" / "paths.yaml"
    text = path.read_text().replace("expect: {path: rag, fired: [factual_gap_needs_rag]}",
                                    "expect: {path: few_shot}", 1)
    path.write_text(text)
    result = run_cli("rules", "check", "--rules", rules_copy)
    assert result.code == 1
    assert "paths.yaml:" in result.out and "expected path few_shot, got rag" in result.out


def test_missing_rule_directory_is_a_usage_error(run_cli, tmp_path):
    result = run_cli("rules", "check", "--rules", tmp_path / "nope")
    assert result.code == 2 and "not found" in result.err


def test_broken_scenario_file_fails_the_check_but_not_recommendations(run_cli, rules_copy, tmp_path):
    (rules_copy / "scenarios" / "broken.yaml").write_text("scenarios:\n  - name: x\n    given: {}\n    expect: {pth: rag}\n")
    result = run_cli("rules", "check", "--rules", rules_copy)
    assert result.code == 1 and "broken.yaml:4:" in result.out
    answers = tmp_path / "a.yaml"
    answers.write_text("gap_is_factual_recall: true\n")
    assert run_cli("recommend", "--answers", answers, "--rules", rules_copy).code == 0
