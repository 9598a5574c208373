"""The app's side of the screens' messages: screens post, the app changes the session and the screens.

These post the messages directly (no key presses), so each decision the app makes is tested on its own.
"""

from __future__ import annotations

from pathlib import Path

from tests.tui.helpers import SIZE, make_app, saved, screen_text
from tui.messages import AnswerGiven, GoBack, ResultRequested, ShowCurrent


async def test_an_answer_message_moves_on_and_saves():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.shown == ["gap_is_factual_recall"]
        app.post_message(AnswerGiven("gap_is_factual_recall", False))
        await pilot.pause()
        assert app.shown == ["gap_is_factual_recall", "few_shot_examples_tried"]
        assert saved() == {"gap_is_factual_recall": False}
        assert "worked examples" in screen_text(app)
        # A late second answer to the question before (a double Enter) changes nothing.
        app.post_message(AnswerGiven("gap_is_factual_recall", True))
        await pilot.pause()
        assert saved() == {"gap_is_factual_recall": False}
        assert app.session.current_question() == "few_shot_examples_tried"


async def test_back_on_the_first_question_says_so_and_changes_nothing(monkeypatch):
    app = make_app()
    notes: list[str] = []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(message) or notify(message, **kw))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(GoBack())
        await pilot.pause()
        assert notes == ["This is the first question."]
        assert app.session.current_question() == "gap_is_factual_recall"
        assert not Path("advisor-answers.yaml").exists()


async def test_the_result_is_not_shown_before_the_path_is_settled():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(ResultRequested())
        app.post_message(ShowCurrent())
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InterviewScreen"
        app.post_message(AnswerGiven("gap_is_factual_recall", True))
        await pilot.pause()
        app.post_message(ResultRequested())
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ResultScreen" and app.shown[-1] == "result:rag"
        app.post_message(ShowCurrent())  # an early result stays until the user leaves it
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ResultScreen"
        app.post_message(ShowCurrent(leave_result=True))  # "Plan questions": back to them
        await pilot.pause()
        assert app.screen.__class__.__name__ == "InterviewScreen"


async def test_an_answers_file_that_cannot_be_written_is_reported_and_the_interview_goes_on():
    Path("blocker").write_text("a file, not a folder")
    app = make_app("blocker/answers.yaml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(AnswerGiven("gap_is_factual_recall", False))
        await pilot.pause()
        assert app.session.current_question() == "few_shot_examples_tried"
        assert "could not save answers to blocker/answers.yaml" in screen_text(app)
        assert not app.saved_once
