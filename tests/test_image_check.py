"""The blank-image check: the same request asked of a uniform grey image, compared with the
answer — in the inference package, the AI dock (its check box and the AI menu entry) and the CLI.

The oracle is a conversation built here by hand on ``np.full(shape, 128)`` images with the real
demo model, not the module's own blank images."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from lightbox.inference.models import default_model_dir

pytestmark = pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(),
                                reason="the demo model bundle is not built (python -m lightbox.demo_model.train)")

GREY = 128


@pytest.fixture(scope="module")
def model():
    from lightbox.inference.generate import VisionLanguageModel

    return VisionLanguageModel.from_folder(default_model_dir(), device="cpu")


def study(path: str):
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_path

    opened, _ = open_path(path)
    images, context, _ = model_images(opened)
    return images, context


def by_hand(model, images, prompts: list[str], task: str) -> str:
    """The last answer of a conversation on grey images of the study's shapes."""
    from lightbox.inference.generate import Chat
    from lightbox.inference.prompts import task_options

    chat = Chat(model, images=[np.full(image.shape, GREY, np.uint8) for image in images])
    answers = [chat.ask(prompt, options=task_options(task)).text for prompt in prompts]
    return answers[-1]


REQUESTS = [  # (study, task, question): drafts and questions on a film, a CT and an MR
    ("demo:film", "draft", ""), ("demo:film", "ask", "Is there a pneumothorax?"),
    ("demo:ct", "ask", "What plane is this?"), ("demo:ct", "ask", "Is this normal?"),
    ("../shared/data/cr/nema-wg04-RG1_JLSN.dcm", "draft", ""), ("../shared/data/mr/brainix", "ask", "What plane is this?"),
]


def test_the_check_is_the_request_on_grey_images(model) -> None:
    """Each verdict is the comparison with a hand-built grey conversation; both verdicts occur
    (a check that always said "same", or never, fails here)."""
    from pathlib import Path

    from lightbox.inference.generate import Chat
    from lightbox.inference.image_check import BlankImageCheck
    from lightbox.inference.metrics import normalise_answer
    from lightbox.inference.prompts import request_prompt, task_options

    verdicts = []
    for path, task, question in REQUESTS:
        if path.startswith("../") and not Path(path).exists():
            continue  # the shared data is absent: the demo studies still give both verdicts
        images, context = study(path)
        prompt, _ = request_prompt(task, context, model.bundle.trained_for, model.bundle.name, question)
        answer = Chat(model, images=images).ask(prompt, options=task_options(task)).text
        check = BlankImageCheck(model, images).check(task, prompt, answer, task_options(task))
        expected = by_hand(model, images, [prompt], task)
        assert check.blank_answer == expected
        assert check.same == (normalise_answer(answer) == normalise_answer(expected))
        assert check.stopped != "cancelled" and check.to_dict()["same_with_blank_image"] is check.same
        verdicts.append(check.same)
    assert True in verdicts and False in verdicts, verdicts


def test_a_follow_up_is_checked_in_its_conversation(model, monkeypatch) -> None:
    """The blank conversation is asked the earlier question first, so the follow-up's blank answer
    is the one a grey conversation of both questions gives."""
    monkeypatch.setitem(model.bundle.manifest, "follow_ups", True)  # as a model trained on conversations
    from lightbox.inference.generate import Chat
    from lightbox.inference.image_check import BlankImageCheck
    from lightbox.inference.prompts import task_options

    images, _ = study("demo:ct")
    first, follow_up = "What plane is this?", "Is there a pneumothorax?"
    chat = Chat(model, images=images)
    for prompt in (first, follow_up):
        answer = chat.ask(prompt, options=task_options("ask")).text
    checker = BlankImageCheck(model, images)
    check = checker.check("ask", follow_up, answer, task_options("ask"), earlier=[first])
    assert [asked for asked, _ in checker.chat.history] == [first, follow_up]
    assert check.blank_answer == by_hand(model, images, [first, follow_up], "ask")


def test_after_the_conversation_starts_afresh_the_check_does_too(model, monkeypatch) -> None:
    """When the reader's conversation fills the model's context and a question is asked afresh,
    the check asks it afresh of blank images too: its answer is a new grey conversation's."""
    monkeypatch.setitem(model.bundle.manifest, "follow_ups", True)  # as a model trained on conversations
    from lightbox.inference.generate import Chat
    from lightbox.inference.image_check import BlankImageCheck
    from lightbox.inference.prompts import task_options

    images, _ = study("demo:film")
    question = "Is there a pleural effusion on the left side?"
    chat, checker = Chat(model, images=images), BlankImageCheck(model, images)
    for _turn in range(40):
        before = len(chat.token_ids)
        answer = chat.ask(question, options=task_options("ask")).text
        restarted = len(chat.token_ids) < before
        earlier = [asked for asked, _ in chat.history[:-1]]
        check = checker.check("ask", question, answer, task_options("ask"), earlier=earlier)
        if restarted:
            break
    assert restarted, "40 turns never filled the context"
    assert [asked for asked, _ in checker.chat.history] == [question]
    assert check.blank_answer == by_hand(model, images, [question], "ask")

    # told that the reader's conversation holds fewer questions than its own (it started afresh), the
    # check starts afresh: asked in its three-question context instead, this answer differs
    checker = BlankImageCheck(model, images)
    asked = ["What plane is this?"] * 3  # grey images: "PA" asked afresh, "PA Xray" the third time
    for n in range(2):
        checker.check("ask", asked[n], "", task_options("ask"), earlier=asked[:n])
    check = checker.check("ask", asked[2], "", task_options("ask"), earlier=[])
    assert [q for q, _ in checker.chat.history] == [asked[2]]
    assert check.blank_answer == by_hand(model, images, [asked[2]], "ask")
    assert by_hand(model, images, asked, "ask") != check.blank_answer


def test_a_cancelled_check_gives_no_verdict(model) -> None:
    from lightbox.inference.image_check import BlankImageCheck
    from lightbox.inference.prompts import task_options

    images, _ = study("demo:film")
    cancel = threading.Event()
    cancel.set()
    check = BlankImageCheck(model, images).check("ask", "Is there a pneumothorax?", "no", task_options("ask"), cancel=cancel)
    assert check.stopped == "cancelled"
    assert check.to_dict()["same_with_blank_image"] is None
    assert check.sentence() == "Image check cancelled."


def test_sentences_say_what_the_check_means() -> None:
    from lightbox.inference.image_check import ImageCheck

    same = ImageCheck("ask", "no", True, 0.1).sentence()
    assert "same answer" in same and "question alone" in same
    assert "same draft" in ImageCheck("draft", "x", True, 0.1).sentence()
    assert ImageCheck("ask", "yes", False, 0.1).sentence().endswith("gets a different answer.")
    assert ImageCheck("ask", "", False, 0.0, error="out of memory").sentence() == "Image check not done: out of memory"


def test_the_dock_shows_the_check_and_the_menu_switches_it(demo_film_window, qtbot) -> None:
    """Asked through the dock: the answer, then the check's sentence under it, and only then the
    panel is idle (``shown``). The AI menu entry and the dock's box are one setting, kept in
    ui_state.json; switched off, no check runs."""
    from lightbox.app.recent import read_state

    window = demo_film_window
    panel = window.ai_panel
    assert panel.image_check_box.isChecked() and window.image_check_action.isChecked()  # on by default
    panel.question.setText("Is there a pneumothorax?")
    with qtbot.waitSignal(panel.shown, timeout=120000) as done:
        panel.question.returnPressed.emit()
    result = done.args[1]
    check = panel.image_checks["ask"]
    assert check.sentence() in panel.history.toPlainText()
    assert panel.ask_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert "Checking" not in panel.timing_label.text()
    images, _ = study("demo:film")
    assert check.blank_answer == by_hand(panel.worker.model, images, [panel.worker.chat.history[0][0]], "ask")
    assert check.same == (result.text.strip().lower() == check.blank_answer.strip().lower())
    # the verdict is stored with its answer and comes back with the case
    from lightbox.workflow.reporting import chat_history

    film_key = panel.case_key
    (_, _, stored), = chat_history(panel.database, film_key)
    assert json.loads(stored) == check.to_dict()
    window.open_path("demo:ct")
    qtbot.waitUntil(lambda: panel.case_key != film_key, timeout=20000)
    assert "Image check" not in panel.history.toPlainText()
    window.open_path("demo:film")
    qtbot.waitUntil(lambda: panel.case_key == film_key and "Image check" in panel.history.toPlainText(), timeout=20000)
    assert check.sentence() in panel.history.toPlainText()

    window.image_check_action.trigger()  # AI → Check answers against a blank image: off
    assert not panel.image_check_box.isChecked()
    assert read_state()["ai_image_check"] is False
    panel.image_checks.clear()
    before = panel.history.toPlainText().count("Image check")
    with qtbot.waitSignal(panel.shown, timeout=120000):
        panel.start("draft", "")
    assert panel.image_checks == {} and panel.history.toPlainText().count("Image check") == before
    assert not panel.draft_check_label.isVisible()
    panel.image_check_box.setChecked(True)  # the box switches the menu entry back on
    assert window.image_check_action.isChecked()
    with qtbot.waitSignal(panel.shown, timeout=120000):
        panel.start("draft", "")
    assert panel.draft_check_label.isVisible() and panel.draft_check_label.text() == panel.image_checks["draft"].sentence()


def test_cli_prints_the_check_and_json_carries_it(capsys) -> None:
    from lightbox.app.cli import main

    capsys.readouterr()
    assert main(["ask", "demo:film", "Is there a pneumothorax?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    check = answer["image_check"]
    from lightbox.inference.generate import VisionLanguageModel

    model = VisionLanguageModel.from_folder(default_model_dir(), device="cpu")
    images, _ = study("demo:film")
    assert check["blank_image_answer"] == by_hand(model, images, [answer["prompt"]], "ask")
    assert check["same_with_blank_image"] == (answer["text"].lower() == check["blank_image_answer"].lower())
    assert main(["draft", "demo:film"]) == 0
    assert capsys.readouterr().out.rstrip().splitlines()[-1].startswith("Image check: a blank grey image")
    assert main(["ask", "demo:film", "Is there a pneumothorax?", "--json", "--no-image-check"]) == 0
    assert json.loads(capsys.readouterr().out)["image_check"] is None


def test_the_reader_works_on_while_the_check_runs(demo_film_window, qtbot) -> None:
    """The check never stands between the reader and the next step: while it runs, the draft is
    editable and autosaves, and a new question stops the check (its verdict would land under the
    new question, so it is not shown) and is answered and checked itself."""
    from PySide6.QtCore import Qt

    from lightbox.workflow.reporting import load

    panel = demo_film_window.ai_panel
    hold = threading.Event()  # keeps the worker between the answer and its check
    panel.worker.finished.connect(lambda *_: hold.wait(60), Qt.ConnectionType.DirectConnection)
    shown: list[str] = []
    panel.shown.connect(lambda task, _result: shown.append(task))
    panel.start("draft", "")
    qtbot.waitUntil(lambda: "Checking against a blank image" in panel.timing_label.text(), timeout=60000)
    assert panel.draft_button.isEnabled() and panel.ask_button.isEnabled() and panel.cancel_button.isEnabled()
    draft = panel.editor.toPlainText()
    panel.editor.moveCursor(panel.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(panel.editor, " Heart normal.")
    qtbot.waitUntil(lambda: panel.report_id is not None
                    and load(panel.database, panel.report_id).current_text == draft + " Heart normal.", timeout=5000)
    panel.question.setText("Is there a pneumothorax?")
    panel.question.returnPressed.emit()
    assert shown == ["draft"]  # the draft's request ends when the question starts
    hold.set()
    qtbot.waitUntil(lambda: shown == ["draft", "ask"], timeout=60000)
    assert "draft" not in panel.image_checks and not panel.draft_check_label.isVisible()
    assert panel.image_checks["ask"].sentence() in panel.history.toPlainText()
    assert panel.history.toPlainText().count("Image check") == 1
    assert not panel.cancel_button.isEnabled() and "Checking" not in panel.timing_label.text()


def test_a_database_from_before_the_check_gains_its_column(tmp_path) -> None:
    """An earlier version's chat history stays readable and takes verdicts (ALTER TABLE ADD COLUMN)."""
    import sqlite3

    from lightbox.workflow.reporting import add_chat, chat_history, record_image_check
    from lightbox.workflow.storage import open_database

    database = tmp_path / "old.sqlite3"
    with sqlite3.connect(database) as connection:  # chat_messages as the previous version created it
        connection.execute("CREATE TABLE chat_messages (id INTEGER NOT NULL PRIMARY KEY, case_key VARCHAR(1024) NOT NULL, "
                           "question TEXT NOT NULL, answer TEXT NOT NULL, model_name VARCHAR(256) NOT NULL, "
                           "asked_at DATETIME NOT NULL)")
        connection.execute("INSERT INTO chat_messages VALUES (1, 'case', 'is there an effusion?', 'no', 'demo', "
                           "'2026-11-01 10:00:00')")
    factory = open_database(f"sqlite:///{database}")
    assert chat_history(factory, "case") == [("is there an effusion?", "no", "")]
    new = add_chat(factory, "case", "what plane is this?", "axial", "demo")
    record_image_check(factory, new, '{"sentence": "x"}')
    assert chat_history(factory, "case")[1] == ("what plane is this?", "axial", '{"sentence": "x"}')


def test_a_damaged_stored_verdict_is_said_so() -> None:
    from lightbox.app.ai_panel import _stored_check_paragraph
    from lightbox.inference.image_check import ImageCheck

    good = ImageCheck("ask", "no", True, 0.1)
    assert good.sentence() in _stored_check_paragraph(json.dumps(good.to_dict()))
    for damaged in ("{not json", "[]", '{"same": true}', "3"):
        assert "stored verdict unreadable" in _stored_check_paragraph(damaged)
