"""The engine's reasoning as the interview and reports rely on it."""

import datetime as dt

from advisor.engine import Engine

FT = {"gap_is_factual_recall": False, "few_shot_examples_tried": 25, "gap_measured_with_evals": True,
      "volume_justifies_setup": True, "open_weights_viable": False}


def test_first_question_is_the_root_of_the_tree(engine):
    assert engine.next_question({}) == "gap_is_factual_recall"


def test_only_questions_that_can_change_the_outcome_are_asked(engine):
    # Once facts are the gap, nothing else in the tree matters: only plan questions remain.
    pending = engine.next_questions({"gap_is_factual_recall": True})
    assert "few_shot_examples_tried" not in pending
    assert set(pending) <= {"project_name", "symptom"}
    assert engine.next_question({"gap_is_factual_recall": False}) == "few_shot_examples_tried"


def test_tree_order_of_questions(engine):
    answers = {}
    asked = []
    for _ in range(10):
        q = engine.next_question(answers)
        if q is None or engine.decide(answers):
            break
        asked.append(q)
        answers[q] = FT[q]
    assert asked == list(FT)


def test_possible_paths_narrow_as_answers_arrive(engine):
    assert len(engine.possible_paths({})) == 6
    assert engine.possible_paths({**FT, "open_weights_viable": None}) == ["distill", "bedrock_fine_tune"]


def test_unsure_resolves_to_default_lowers_confidence_and_is_listed(engine):
    sure = engine.recommend({"gap_is_factual_recall": False, "few_shot_examples_tried": 25,
                             "gap_measured_with_evals": False})
    unsure = engine.recommend({"gap_is_factual_recall": False, "few_shot_examples_tried": 25,
                               "gap_measured_with_evals": "unsure"})
    assert sure.path == unsure.path == "build_evals"
    assert unsure.confidence.score < sure.confidence.score
    assert [a.question for a in unsure.assumptions] == ["gap_measured_with_evals"]
    assert unsure.assumptions[0].assumed is False


def test_alternatives_name_the_first_failing_condition(engine):
    rec = engine.recommend({**FT, "training_examples": 2000})
    by_path = {a.path: a for a in rec.alternatives}
    assert set(by_path) == {"rag", "few_shot", "build_evals", "stay_on_prompts", "distill"}
    assert by_path["distill"].condition.condition == "open_weights_viable"
    assert by_path["distill"].condition.values == {"open_weights_viable": False}
    assert by_path["few_shot"].condition.condition == "few_shot_examples_tried < 20"


def test_what_would_change_uses_the_nearest_threshold(engine):
    rec = engine.recommend({**FT, "training_examples": 2000})
    flips = {f.question: f for f in rec.what_would_change}
    assert flips["few_shot_examples_tried"].alternative == 19
    assert flips["few_shot_examples_tried"].path == "few_shot"
    assert flips["open_weights_viable"].path == "distill"


def test_trace_records_each_condition_with_the_value_seen(engine):
    rec = engine.recommend({**FT, "training_examples": 2000})
    decision = rec.trace[0]
    assert decision.rule == "managed_claude_fine_tune"
    assert [c.result for c in decision.conditions] == ["true"] * 5
    assert decision.conditions[1].values == {"few_shot_examples_tried": 25}


def test_end_of_life_warning_depends_on_the_date(rulebase):
    answers = {**FT, "training_examples": 2000}
    before = Engine(rulebase, today=dt.date(2026, 1, 1)).recommend(answers)
    after = Engine(rulebase, today=dt.date(2026, 11, 21)).recommend(answers)
    assert "model_end_of_life" not in {w.code for w in before.warnings}
    assert "model_end_of_life" in {w.code for w in after.warnings}
    assert after.confidence.score < before.confidence.score


def test_hyperparameters_stay_inside_the_api_range(rulebase, engine):
    model = rulebase.fine_tune_model
    for n in (0, 1, 31, 32, 99, 100, 499, 500, 999, 1000, 10000, 10**6):
        rec = engine.recommend({**FT, "training_examples": n})
        for choice in rec.hyperparameter_details:
            api = model.hyperparameters[choice.name]
            assert api.min <= choice.value <= api.max
            assert api.min <= choice.range[0] <= choice.range[1] <= api.max


def test_recommendation_carries_ruleset_identity(engine, rulebase):
    rec = engine.recommend({"gap_is_factual_recall": True})
    assert rec.ruleset.version == rulebase.version and rec.ruleset.hash.startswith("sha256:")
