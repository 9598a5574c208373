"""The interview items of issue 16, each driven by keys as a person would press them."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.tui.helpers import (PATHS, SIZE, answer_current, answers_file, choose, drive, make_app, saved, screen_text,
                              wait_for_text)
from tui.screens import InterviewScreen, KeysScreen, ResultScreen, ReviewScreen


def write(answers: dict, name: str = "advisor-answers.yaml") -> str:
    Path(name).write_text(yaml.safe_dump({"answers": answers}, sort_keys=False))
    return name


async def test_escape_from_review_returns_to_an_early_result_and_the_next_key_is_no_answer():
    app = make_app(write({"gap_is_factual_recall": True}))  # rag is settled; plan questions are open
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ResultScreen)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ResultScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert saved() == {"gap_is_factual_recall": True}
        await pilot.press("c")  # "Plan questions" leaves the result on purpose
        await pilot.pause()
        assert isinstance(app.screen, InterviewScreen)


async def test_b_on_the_result_keeps_the_last_answer_until_it_is_changed():
    name, asked = answers_file(PATHS["rag"])
    app = make_app(name)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = saved()
        await pilot.press("b")
        await pilot.pause()
        text = screen_text(app)
        assert "symptom" in app.screen.view.id and before == saved()  # a dialog, nothing deleted
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ResultScreen) and saved() == before


async def test_back_shows_the_old_answer_filled_in():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await drive(pilot, PATHS["bedrock_fine_tune"], stop_after=2)
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert app.session.current_question() == "few_shot_examples_tried"
        assert app.screen.query_one("#answer-input").value == "30"
        await pilot.press("enter")  # Enter keeps it
        await pilot.pause()
        assert saved()["few_shot_examples_tried"] == 30


async def test_review_opens_with_the_first_answer_highlighted_and_names_cleared_answers():
    app = make_app(answers_file(PATHS["distill"])[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert app.screen.query_one("#review-list").highlighted == 0
        await choose(pilot, "gap_is_factual_recall", "#review-list")
        await choose(pilot, "yes")
        text = screen_text(app)
        # rag asks none of the distill questions again: they are cleared, not "asked again"
        assert "Cleared" in text and "You will be asked again" not in text


async def test_small_terminal_keeps_footer_labels_and_progress_and_no_leaning_before_answers():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        text = await wait_for_text(pilot, "f10 Keys")
        assert "Leaning" not in text
        footer = text.rstrip("\n").splitlines()[-1]
        assert "f10 Keys" in footer and "f1 Why?" in footer and "^n Not sure" in footer
        assert "Question 1 of about" in text.splitlines()[1]
        await answer_current(pilot, False)
        app.screen.query_one("#main").scroll_end(animate=False)
        await pilot.pause()
        assert "Question 2 of about" in screen_text(app).splitlines()[1]  # outside the scrolling part
        assert "Leaning" in screen_text(app)


async def test_notices_do_not_cover_the_answer_box():
    app = make_app(write({"gap_is_factual_recall": False}))  # resuming says so in a notice
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if "Resumed 1 answer" in screen_text(app):
                break
        text = screen_text(app)
        side = app.screen.query_one("#side").region
        rows = [line for line in text.splitlines() if "Resumed 1 answer" in line]
        assert rows, text
        assert all(line.index("Resumed") >= side.x for line in rows)  # over the side panel only


async def test_keys_screen_palette_and_escape_menu():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        text = screen_text(app)
        assert "Why this question is asked" in text and "ctrl+p" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f10")
        await pilot.pause()
        olist = app.screen.query_one("#keys-list")
        rows = [r[2] for r in app.screen.rows]
        await pilot.press(*["down"] * rows.index("why"), "enter")  # run an action from the list
        await pilot.pause()
        assert "Why are you asking" in screen_text(app)
        assert olist is not None
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"


async def test_keys_typed_before_the_next_question_shows_are_kept():
    from textual import events

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "f1 Why?")
        while not app.screen.in_answer_form():
            await pilot.pause(0.05)
        # Five keys at once, as a fast typist sends them: No, then 30 and Enter for the next question.
        for key, char in (("down", None), ("enter", None), ("3", "3"), ("0", "0"), ("enter", None)):
            app.post_message(events.Key(key, char))
        for _ in range(200):  # a loaded machine takes a while to build the next question
            await pilot.pause(0.05)
            if "few_shot_examples_tried" in app.session.answers:
                break
        assert saved() == {"gap_is_factual_recall": False, "few_shot_examples_tried": 30}


async def test_html_export_shows_it_is_busy(monkeypatch):
    import threading

    import tui.app

    gate = threading.Event()
    real = tui.app.write_report

    def slow(*args, **kwargs):
        gate.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(tui.app, "write_report", slow)
    app = make_app(answers_file(PATHS["rag"])[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await choose(pilot, "html", "#export-formats")
        await pilot.press("ctrl+u", *"r.html", "enter")
        await pilot.pause(0.2)
        assert app.screen.query_one("#export-dialog").loading  # a loading indicator, the app keeps running
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ResultScreen)
    assert "<html" in Path("r.html").read_text().lower()


async def test_cost_questions_come_first_and_say_what_they_derive():
    app = make_app(write({"gap_is_factual_recall": False, "few_shot_examples_tried": 30,
                          "gap_measured_with_evals": True}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.session.current_question() == "monthly_requests"
        text = screen_text(app)
        assert "No rule reads this answer" not in text and "cost comparison" in text
        await pilot.press("f1")
        await pilot.pause()
        assert "derive the answer to: Is your traffic high enough" in str(app.screen.query_one("#why-body").render())


async def test_problem_type_offers_one_not_sure():
    session = make_app().session
    view = session.view("problem_type")
    labels = [label for _, label in view.choices] + (["Not sure"] if view.allows_unsure else [])
    assert sum(label.lower().startswith("not sure") for label in labels) == 1


async def test_prefix_larger_than_input_and_a_comma_decimal_are_refused():
    answers = {**PATHS["stay_on_prompts"], "input_tokens_per_request": 1000}
    app = make_app(write(answers))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.clear_notifications()
        await drive(pilot, {"project_name": "X"}, stop_after=0)
        while app.session.current_question() != "cacheable_prefix_tokens":
            await answer_current(pilot, "unsure" if app.session.view(app.session.current_question()).allows_unsure
                                 else "X")
        await pilot.press("ctrl+u", *"5000", "enter")
        await pilot.pause()
        assert "cannot be larger than the whole input" in str(app.screen.query_one("#answer-error").render())
        assert "cacheable_prefix_tokens" not in saved()
        await pilot.press("ctrl+u", *"20,5", "enter")
        await pilot.pause()
        assert "groups of three digits" in str(app.screen.query_one("#answer-error").render())
        await pilot.press("ctrl+u", *"500", "enter")
        await pilot.pause()
        assert saved()["cacheable_prefix_tokens"] == 500
