"""The interview state: back, change an earlier answer (dependents cleared), save and resume."""

import yaml

from advisor.answers import load_answers, validate_answers
from advisor.session import InterviewSession


def walk(session, answers):
    for qid, value in answers:
        assert session.current_question() == qid
        session = session.answer(qid, value)
    return session


def test_back_undoes_the_last_answer(engine):
    s = walk(InterviewSession.start(engine), [("gap_is_factual_recall", "no"), ("few_shot_examples_tried", "30")])
    assert s.back().answers == {"gap_is_factual_recall": False}
    assert s.back().current_question() == "few_shot_examples_tried"


def test_changing_an_answer_clears_only_what_depended_on_it(engine):
    # The cost numbers come before the yes/no volume question they can answer (here: not known).
    costs = [(q, "unsure") for q in ("monthly_requests", "input_tokens_per_request", "output_tokens_per_request",
                                     "few_shot_extra_tokens", "gpu_hourly_usd")]
    s = walk(InterviewSession.start(engine), [("gap_is_factual_recall", False), ("few_shot_examples_tried", 30),
                                             ("gap_measured_with_evals", True), *costs,
                                             ("volume_justifies_setup", False), ("project_name", "Triage")])
    assert s.recommendation().path == "stay_on_prompts"
    assert s.dropped_by("few_shot_examples_tried", 5) == ["gap_measured_with_evals", *[q for q, _ in costs],
                                                          "volume_justifies_setup"]
    changed = s.answer("few_shot_examples_tried", 5)
    assert changed.recommendation().path == "few_shot"
    assert changed.answers == {"gap_is_factual_recall": False, "few_shot_examples_tried": 5, "project_name": "Triage"}
    # Changing a value to one that keeps the same branch keeps everything.
    assert s.answer("few_shot_examples_tried", 45).answers["volume_justifies_setup"] is False


def test_invalid_input_is_rejected_with_a_message(engine):
    s = InterviewSession.start(engine).answer("gap_is_factual_recall", False)
    try:
        s.answer("few_shot_examples_tried", "lots")
    except ValueError as exc:
        assert "number" in str(exc)
    else:
        raise AssertionError("expected a ValueError")


def test_save_and_resume_round_trip(engine, rulebase, tmp_path):
    path = tmp_path / "answers.yaml"
    s = walk(InterviewSession.start(engine, save_path=path), [("gap_is_factual_recall", False),
                                                             ("few_shot_examples_tried", "unsure")])
    s.save()
    saved = yaml.safe_load(path.read_text())
    assert saved["answers"] == {"gap_is_factual_recall": False, "few_shot_examples_tried": "unsure"}
    resumed = InterviewSession.start(engine, validate_answers(rulebase, load_answers(path)))
    assert resumed.answers == s.answers
    assert resumed.recommendation().path == "few_shot"


def test_progress_grows_as_questions_are_answered(engine):
    s = InterviewSession.start(engine)
    done0, total0 = s.progress()
    s = s.answer("gap_is_factual_recall", False)
    done1, total1 = s.progress()
    assert done0 == 0 and done1 == 1 and total1 >= done1


def test_settled_only_when_no_remaining_question_can_change_the_path(engine):
    # No -> 40 -> yes -> "not sure" on volume: the cost questions could still derive the answer.
    from advisor.session import InterviewSession

    session = InterviewSession.start(engine)
    for qid, value in (("gap_is_factual_recall", False), ("few_shot_examples_tried", 40),
                       ("gap_measured_with_evals", True), ("volume_justifies_setup", "unsure")):
        session = session.answer(qid, value)
    assert session.decided_path() is None
    assert session.current_question() == "monthly_requests"
    assert session.view("monthly_requests").role == "decision"
    for qid in ("monthly_requests", "input_tokens_per_request", "output_tokens_per_request", "few_shot_extra_tokens",
                "gpu_hourly_usd"):
        session = session.answer(qid, "unsure")
    assert session.decided_path() == "stay_on_prompts"
