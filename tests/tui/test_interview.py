"""The interview driven like a person would: whole interviews by key presses, then each feature on its own.

Key presses are slow to replay, so only two tests answer a whole interview by keys; the others start
from an answers file (the app resumes it) and press only the keys of the feature they test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from advisor.interview import closing_message
from tests.tui.helpers import (
    PATHS,
    SIZE,
    answer_current,
    answers_file,
    choose,
    decisions,
    drive,
    make_app,
    saved,
    screen_text,
    wait_for_text,
)
from tui.screens import InterviewScreen

BEDROCK = {**PATHS["bedrock_fine_tune"], "training_examples": 2400}


async def test_a_whole_interview_by_keys_then_every_export():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        text = await wait_for_text(pilot, "f1 Why?")
        assert "Question 1 of about" in text and "Is the remaining quality gap" in text
        assert "Saved as you go: advisor-answers.yaml" in text
        assert "^b Back" in text and "f1 Why?" in text and "Why this question" in text
        # The mouse answers too: the second row inside the list's border is "No".
        await pilot.click("#answer-options", offset=(3, 2))
        await pilot.pause()
        assert saved() == {"gap_is_factual_recall": False}
        assert "Question 2 of about" in screen_text(app)
        # A number is checked as it is typed, and a wrong one is not accepted.
        await pilot.press("-", "3")
        await pilot.pause()
        assert "must be at least 0" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.current_question() == "few_shot_examples_tried"
        await pilot.press("backspace", "backspace", "3", "0", "enter")
        await pilot.pause()
        assert saved()["few_shot_examples_tried"] == 30
        asked = ["gap_is_factual_recall", "few_shot_examples_tried"] + await drive(pilot, BEDROCK)
        await pilot.pause()
        rec = app.session.recommendation()
        assert rec.path == "bedrock_fine_tune" and app.shown[-1] == "result:bedrock_fine_tune"
        assert rec.title in str(app.screen.query_one("#section-headline").render())
        assert "advisor recommend --answers advisor-answers.yaml" in str(
            app.screen.query_one("#section-next").render())
        # Only what matters was asked: the decision questions in order, nothing past the deciding one first.
        assert decisions(asked) == list(PATHS["bedrock_fine_tune"])
        assert saved() == app.session.answers
        for fmt, name in (("text", "out/report.txt"), ("json", "out/report.json"), ("markdown", "out/report.md"),
                          ("adr", "out/adr.md"), ("html", "out/report.html")):
            await pilot.press("e")
            await pilot.pause()
            await choose(pilot, fmt, "#export-formats")
            await pilot.press("ctrl+u", *name, "enter")
            await app.workers.wait_for_complete()  # the report is written in a worker thread
            await pilot.pause()
            assert app.screen.__class__.__name__ == "ResultScreen"  # the dialog closed after writing
        # A path that cannot be written is reported in the dialog, which stays open.
        Path("blocker").write_text("a file, not a folder")
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("tab", "ctrl+u", *"blocker/report.txt", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "could not write" in screen_text(app)
        assert app.screen.__class__.__name__ == "ExportScreen"
    assert "Fine-tune Amazon Nova Micro on Amazon Bedrock" in Path("out/report.txt").read_text()
    assert "(2,400 training examples)" in Path("out/report.txt").read_text()
    data = json.loads(Path("out/report.json").read_text())
    assert data["path"] == "bedrock_fine_tune" and "epochCount" in data["hyperparameters"]
    assert Path("out/report.md").read_text().startswith("#")
    assert "considered options" in Path("out/adr.md").read_text().lower()
    assert "<html" in Path("out/report.html").read_text().lower()


@pytest.mark.parametrize("path", list(PATHS))
async def test_each_path_opens_its_result_from_a_finished_answers_file(path):
    name, asked = answers_file(PATHS[path])
    # Only what matters for this case is asked: no decision question past the deciding one.
    assert decisions(asked) == list(PATHS[path])
    app = make_app(name)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rec = app.session.recommendation()
        assert rec.path == path and app.shown[-1] == f"result:{path}"
        assert rec.title in str(app.screen.query_one("#section-headline").render())
        assert "advisor recommend --answers advisor-answers.yaml" in str(
            app.screen.query_one("#section-next").render())


async def test_back_undoes_the_last_answer_and_asks_it_again():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await drive(pilot, PATHS["bedrock_fine_tune"], stop_after=2)
        assert app.session.current_question() == "gap_measured_with_evals"
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.session.current_question() == "few_shot_examples_tried"
        assert "worked examples" in screen_text(app)
        assert saved() == {"gap_is_factual_recall": False}


async def test_changing_an_earlier_answer_clears_only_its_dependents():
    app = make_app(answers_file(BEDROCK)[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.shown[-1] == "result:bedrock_fine_tune"
        await pilot.press("r")  # review from the result screen
        await pilot.pause()
        assert "Check your answers" in screen_text(app)
        await choose(pilot, "gap_is_factual_recall", "#review-list")
        await choose(pilot, "yes")  # in the change dialog
        text = screen_text(app)
        assert "clears" in text and "worked examples" in text  # the confirm dialog lists what goes
        await pilot.press("y")
        await pilot.pause()
        answers = saved()
        assert answers["gap_is_factual_recall"] is True
        for dependent in ("few_shot_examples_tried", "gap_measured_with_evals", "training_examples"):
            assert dependent not in answers
        # plan answers rag still asks for survive
        assert answers["project_name"] == "Ticket triage" and "symptom" in answers
        assert "→ yes" in screen_text(app)  # the review list shows the new answer
        await pilot.press("escape")
        await pilot.pause()
        assert app.shown[-1] == "result:rag"


async def test_cancelled_change_keeps_every_answer():
    app = make_app(answers_file(PATHS["few_shot"])[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = dict(app.session.answers)
        await pilot.press("r")
        await choose(pilot, "gap_is_factual_recall", "#review-list")
        await choose(pilot, "yes")
        await pilot.press("n")
        await pilot.pause()
        assert app.session.answers == before == saved()


async def test_not_sure_is_saved_and_becomes_an_assumption():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await answer_current(pilot, "unsure")  # yes/no question: the "Not sure" option
        assert saved()["gap_is_factual_recall"] == "unsure"
    app = make_app()  # a second run never overwrites the first run's answers
    assert app.save_path.name == "advisor-answers-2.yaml"
    async with app.run_test(size=SIZE) as pilot:
        await answer_current(pilot, False)
        await pilot.press("ctrl+n")  # number question: the key
        await pilot.pause()
        assert saved("advisor-answers-2.yaml")["few_shot_examples_tried"] == "unsure"
        assert app.session.decided_path() == "few_shot"  # assumed 0 examples tried
        await pilot.press("f4")  # the result now; the plan questions can wait
        await pilot.pause()
        assumptions = str(app.screen.query_one("#section-assumptions").render())
        assert "few_shot_examples_tried" in assumptions


async def test_why_panel_and_key_explain_the_question():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        assert "Why are you asking" in text
        assert "factual_gap_needs_rag" in text
        await pilot.press("escape")
        await pilot.pause()
        assert "Why are you asking" not in screen_text(app)


async def test_quit_halfway_then_resume_from_the_saved_file():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await drive(pilot, PATHS["distill"], stop_after=3)
        await pilot.press("ctrl+c")
        await pilot.pause()
    message = closing_message(app.session, Path("advisor-answers.yaml"), None, saved=app.saved_once)
    assert "resume with:  advisor interview --answers advisor-answers.yaml" in message
    resumed = make_app("advisor-answers.yaml")
    async with resumed.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # The cost numbers come before the yes/no volume question they can answer.
        assert resumed.shown[0] == "monthly_requests"
        assert "Question 4 of about" in screen_text(resumed)
        await answer_current(pilot, 20000)
        assert resumed.session.current_question() == "input_tokens_per_request"
        assert saved()["monthly_requests"] == 20000


async def test_answers_file_that_does_not_exist_yet_is_created():
    app = make_app("new/answers.yaml")
    async with app.run_test(size=SIZE) as pilot:
        await answer_current(pilot, True)
    assert saved("new/answers.yaml") == {"gap_is_factual_recall": True}


async def test_a_crash_loses_no_answers(monkeypatch):
    app = make_app()
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=SIZE) as pilot:
            await drive(pilot, PATHS["build_evals"], stop_after=2)
            monkeypatch.setattr(InterviewScreen, "refresh_question", lambda self: (_ for _ in ()).throw(
                RuntimeError("boom")))
            await answer_current(pilot, False)
            await pilot.pause()
    assert isinstance(app.crash, RuntimeError)
    assert saved() == {"gap_is_factual_recall": False, "few_shot_examples_tried": 30,
                       "gap_measured_with_evals": False}


async def test_result_can_be_seen_once_settled_and_the_plan_completed_later():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f4")  # nothing is settled yet: the key does nothing
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InterviewScreen"
        await answer_current(pilot, True)  # facts are the gap: the path is settled (rag)
        await pilot.pause()
        assert "The advice is settled" in screen_text(app)
        assert app.session.current_question() == "project_name"
        await pilot.press("f4")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ResultScreen"
        assert "retrieval" in screen_text(app).lower()
        await pilot.press("c")  # back to the plan questions, nothing lost
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InterviewScreen"
        assert app.session.current_question() == "project_name"
        assert saved() == {"gap_is_factual_recall": True}


async def test_resume_with_everything_answered_opens_the_result():
    Path("done.yaml").write_text(yaml.safe_dump({"answers": {"gap_is_factual_recall": True, "project_name": "X",
                                                              "symptom": "none_of_these"}}))
    app = make_app("done.yaml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.shown[-1] == "result:rag"
        assert "Use retrieval (RAG)" in screen_text(app)
