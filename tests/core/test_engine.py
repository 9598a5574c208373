"""The engine's reasoning as the interview and reports rely on it."""

import datetime as dt

from advisor.engine import Engine

FT = {"gap_is_factual_recall": False, "few_shot_examples_tried": 25, "gap_measured_with_evals": True,
      "volume_justifies_setup": True, "open_weights_viable": False, "must_stay_on_claude": False}


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
    assert engine.possible_paths({**FT, "must_stay_on_claude": None}) == ["stay_on_prompts", "bedrock_fine_tune"]


def test_unsure_resolves_to_default_lowers_confidence_and_is_listed(engine):
    sure = engine.recommend({"gap_is_factual_recall": False, "few_shot_examples_tried": 25,
                             "gap_measured_with_evals": False})
    unsure = engine.recommend({"gap_is_factual_recall": False, "few_shot_examples_tried": 25,
                               "gap_measured_with_evals": "unsure"})
    assert sure.path == unsure.path == "build_evals"
    assert unsure.confidence.score < sure.confidence.score
    assert [a.question for a in unsure.assumptions] == ["gap_measured_with_evals"]
    assert unsure.assumptions[0].assumed is False


def test_alternatives_name_the_first_failing_condition_in_plain_words(engine):
    rec = engine.recommend({**FT, "training_examples": 2000})
    by_path = {a.path: a for a in rec.alternatives}
    assert set(by_path) == {"rag", "few_shot", "build_evals", "stay_on_prompts", "distill"}
    assert by_path["distill"].condition.condition == "open_weights_viable"
    assert by_path["distill"].condition.values == {"open_weights_viable": False}
    assert by_path["few_shot"].condition.condition == "few_shot_examples_tried < 20"
    # Sentences built from the questions; ids and engine syntax stay in the JSON fields.
    assert by_path["distill"].explanation == (
        "You said your team will not operate a model itself, so distilling into a small open model was ruled out.")
    for alt in rec.alternatives:
        assert "`" not in alt.explanation and "_" not in alt.explanation


def test_what_would_change_uses_the_nearest_threshold(engine):
    rec = engine.recommend({**FT, "training_examples": 2000})
    flips = {f.question: f for f in rec.what_would_change}
    assert flips["few_shot_examples_tried"].alternative == 19
    assert flips["few_shot_examples_tried"].path == "few_shot"
    assert flips["open_weights_viable"].path == "distill"


def test_trace_records_each_condition_with_the_value_seen(engine):
    rec = engine.recommend({**FT, "training_examples": 2000})
    decision = rec.trace[0]
    assert decision.rule == "managed_fine_tune"
    assert [c.result for c in decision.conditions] == ["true"] * 6
    assert decision.conditions[1].values == {"few_shot_examples_tried": 25}
    assert "You said the most worked examples tried in the prompt was 25." in decision.answers_said


def test_no_recommendation_names_a_model_past_end_of_life_or_a_legacy_one(rulebase):
    answers = {**FT, "training_examples": 2000}
    for day in (dt.date(2025, 6, 1), dt.date(2026, 9, 10), dt.date(2026, 9, 11), dt.date(2026, 12, 1)):
        rec = Engine(rulebase, today=day).recommend(answers)
        assert rec.model is not None and rec.model.id != "claude-3-haiku"
        assert rec.model.lifecycle.status == "active"
        assert rec.title == f"Fine-tune {rec.model.name} on Amazon Bedrock"
        assert rec.date == day.isoformat()


def test_must_stay_on_claude_is_its_own_outcome_before_and_after_the_end_of_life(rulebase):
    answers = {**FT, "must_stay_on_claude": True, "enterprise_route": False}
    before = Engine(rulebase, today=dt.date(2026, 1, 15)).recommend(answers)
    after = Engine(rulebase, today=dt.date(2026, 12, 1)).recommend(answers)
    for rec in (before, after):
        assert (rec.path, rec.outcome, rec.model, rec.hyperparameters) == ("stay_on_prompts", "stay_on_claude", None, None)
        assert "no Claude model can be fine-tuned today" in rec.title
    assert "claude_fine_tune_legacy" in {w.code for w in before.warnings}
    assert "claude_fine_tune_eol" in {w.code for w in after.warnings}


def test_hyperparameters_stay_inside_the_target_api_range(rulebase, engine):
    for extra in ({}, {"input_modality": "image"}, {"customisation_region": "us-west-2"}):
        for n in (0, 1, 31, 32, 99, 100, 499, 500, 999, 1000, 5000, 10000, 10**6):
            rec = engine.recommend({**FT, **extra, "training_examples": n})
            model = rulebase.models[rec.model.id]
            assert rec.hyperparameters
            for choice in rec.hyperparameter_details:
                if not choice.api:
                    continue
                api = model.hyperparameters[choice.name]
                assert api.min <= choice.value <= api.max
                assert api.min <= choice.range[0] <= choice.range[1] <= api.max
                assert rec.hyperparameters[choice.name] == choice.value
            assert "dataRepeats" not in rec.hyperparameters


def test_unsure_about_the_gap_measures_first_with_low_confidence(engine):
    everything = {"gap_is_factual_recall": "unsure", "few_shot_examples_tried": "unsure",
                  "gap_measured_with_evals": "unsure", "volume_justifies_setup": "unsure",
                  "open_weights_viable": "unsure", "must_stay_on_claude": "unsure"}
    rec = engine.recommend(everything)
    assert rec.path == "build_evals" and rec.confidence.level == "low"


def test_unsure_volume_is_not_settled_while_the_cost_numbers_could_change_it(engine):
    answers = {"gap_is_factual_recall": False, "few_shot_examples_tried": 40, "gap_measured_with_evals": True,
               "volume_justifies_setup": "unsure"}
    assert engine.decide(answers) == "stay_on_prompts"  # the documented default, for headless use
    assert not engine.settled(answers)
    assert engine.next_question(answers) == "monthly_requests"
    done = {**answers, "monthly_requests": "unsure", "input_tokens_per_request": "unsure",
            "output_tokens_per_request": "unsure", "few_shot_extra_tokens": "unsure", "gpu_hourly_usd": "unsure"}
    assert engine.settled(done)


def test_recommendation_carries_ruleset_identity(engine, rulebase):
    rec = engine.recommend({"gap_is_factual_recall": True})
    assert rec.ruleset.version == rulebase.version and rec.ruleset.hash.startswith("sha256:")
