"""pytest-qt: the AI panel drafts into the editor, answers questions with follow-ups, cancels."""
from __future__ import annotations

import pytest

from lightbox.inference.models import DEMO_LABEL, default_model_dir

pytestmark = pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(),
                                reason="the demo model bundle is not built (python -m lightbox.demo_model.train)")


@pytest.fixture
def window(demo_film_window):
    return demo_film_window


def test_draft_streams_into_the_editor_with_labels(window, qtbot) -> None:
    panel = window.ai_panel
    streamed = []
    panel.worker.token.connect(lambda task, piece: streamed.append(piece))
    with qtbot.waitSignal(panel.shown, timeout=120000) as done:
        qtbot.mouseClick(panel.draft_button, qtbot_button())
    task, result = done.args
    assert task == "draft"
    assert panel.editor.toPlainText() == result.text
    assert "".join(streamed).strip() == result.text
    assert panel.state_label.text().startswith("AI draft - not reviewed")
    assert panel.demo_badge.isVisible() and panel.demo_badge.text() == DEMO_LABEL
    assert result.provider in panel.model_label.text()


def test_questions_of_a_case_and_their_history(window, qtbot, monkeypatch) -> None:
    """The demo model was trained on single questions (its manifest says ``follow_ups``: false):
    the dock asks each on its own, with the images, and says so; the case's history keeps both.
    A model trained on conversations keeps them: its follow-ups reuse the case's cache."""
    panel = window.ai_panel
    asked = []
    for question in ("um, is there a pneumothorax?", "how big is the heart?"):
        panel.question.setText(question)
        with qtbot.waitSignal(panel.shown, timeout=120000) as done:
            panel.question.returnPressed.emit()
        assert done.args[0] == "ask"
        assert len(panel.worker.chat.history) == 1
        asked.append(panel.worker.chat.history[0][0])
        assert done.args[1].prompt_tokens > panel.worker.model.tokens_per_image  # asked with the images each time
    assert asked == ["is there a pneumothorax?", "how big is the heart?"]  # fillers dropped, nothing else
    assert panel.ask_label.text() == ("Ask about the images (each question is answered on its own: this model was not "
                                      "trained on follow-up questions)")
    assert "AI:" in panel.history.toPlainText()
    # declared as trained on conversations (as MedGemma is), the next question follows the last one
    monkeypatch.setitem(panel.worker.model.bundle.manifest, "follow_ups", True)
    panel.question.setText("and is there an effusion?")
    with qtbot.waitSignal(panel.shown, timeout=120000) as done:
        panel.question.returnPressed.emit()
    assert [q for q, _ in panel.worker.chat.history] == ["how big is the heart?", "and is there an effusion?"]
    assert done.args[1].prompt_tokens < 40  # the follow-up only adds its own tokens
    # The history stays with the case: reopening it shows both questions again.
    window.open_path("demo:ct")
    qtbot.waitUntil(lambda: window.area.opened is not None and window.area.opened.volume is not None, timeout=20000)
    assert "pneumothorax" not in panel.history.toPlainText()
    window.open_path("demo:film")
    qtbot.waitUntil(lambda: window.area.opened is not None and not window.area.opened.is_volume, timeout=20000)
    text = panel.history.toPlainText()
    assert "is there a pneumothorax?" in text and "how big is the heart?" in text


def test_cancel_stops_a_draft(window, qtbot) -> None:
    from PySide6.QtCore import Qt

    panel = window.ai_panel
    panel.worker.cancel_event.set()  # a stale cancel is cleared when a new run starts
    # Cancel from the first streamed token, on the worker's thread, as a click would mid-draft.
    panel.worker.token.connect(lambda *_: panel.cancel(), Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(panel.shown, timeout=120000) as done:
        panel.start("draft", "")
    result = done.args[1]
    assert result.stopped == "cancelled" and len(result.token_ids) == 1
    assert panel.state_label.text() == "AI draft - not reviewed (cancelled)"
    assert panel.draft_button.isEnabled() and not panel.cancel_button.isEnabled()


def qtbot_button():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_edit_undo_redo_autosave_sign_and_export(window, qtbot, tmp_path) -> None:
    from lightbox.workflow.reporting import load

    panel = window.ai_panel
    with qtbot.waitSignal(panel.shown, timeout=120000):
        panel.start("draft", "")
    draft = panel.editor.toPlainText()
    panel.editor.moveCursor(panel.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(panel.editor, " Heart normal.")
    assert panel.editor.toPlainText() == draft + " Heart normal."
    panel.undo_button.click()
    assert panel.editor.toPlainText() != draft + " Heart normal."
    panel.redo_button.click()
    assert panel.editor.toPlainText() == draft + " Heart normal."
    qtbot.waitUntil(lambda: panel.report_id is not None and load(panel.database, panel.report_id).current_text
                    == draft + " Heart normal.", timeout=5000)  # autosaved without any click
    report = load(panel.database, panel.report_id)
    assert report.ai_text == draft and report.edit_distance == 2
    panel.diff_button.setChecked(True)
    assert "Heart normal." in panel.diff_view.toPlainText()
    original = tmp_path / "original.txt"
    original.write_text("FINDINGS: Lungs clear. IMPRESSION: Normal.")
    assert window.attach_original_report(original)
    panel.diff_original_button.setChecked(True)
    shown = panel.diff_view.toPlainText()
    assert "vs AI draft:" in shown and "vs original report: FINDINGS:" in shown and "Lungs" in shown
    assert load(panel.database, panel.report_id).original_text == "FINDINGS: Lungs clear. IMPRESSION: Normal."
    panel.reader.setText("Dr Test Reader")
    assert panel.sign()
    assert panel.editor.isReadOnly() and panel.state_label.text().startswith("Signed by Dr Test Reader")
    txt = panel.export(tmp_path / "report.txt").read_text()
    assert "Signed by Dr Test Reader" in txt and DEMO_LABEL in txt
    assert panel.export(tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_answer_arriving_after_a_case_change_stays_with_its_case(window, qtbot) -> None:
    """Opening another study cancels the running answer; the question and whatever was answered
    are stored with the case they were asked about, never with the newly opened one."""
    panel = window.ai_panel
    film_key = panel.case_key
    panel.question.setText("is there free air under the diaphragm?")
    with qtbot.waitSignal(panel.shown, timeout=120000):
        panel.question.returnPressed.emit()
        window.open_path("demo:ct")
    qtbot.waitUntil(lambda: window.area.opened is not None and window.area.opened.volume is not None, timeout=20000)
    assert panel.case_key != film_key
    assert "free air" not in panel.history.toPlainText()
    from lightbox.workflow.reporting import chat_history

    assert "is there free air under the diaphragm?" in [q for q, _, _ in chat_history(panel.database, film_key)]
    assert "is there free air under the diaphragm?" not in [q for q, _, _ in chat_history(panel.database, panel.case_key)]


def test_the_newest_question_and_answer_stay_in_view(window, qtbot) -> None:
    """The questions' pane follows what is added: after the second answer it stopped at the bottom
    it had, and later answers and verdicts were added out of sight."""
    panel = window.ai_panel
    bar = panel.history.verticalScrollBar()
    for n in range(6):
        panel.question.setText(f"Is there an effusion, view {n}?")
        with qtbot.waitSignal(panel.shown, timeout=120000):
            panel.question.returnPressed.emit()
        qtbot.waitUntil(lambda: panel.busy == "" and panel._unchecked is None, timeout=60000)  # its verdict is in
        qtbot.wait(50)
        assert bar.value() == bar.maximum()
    assert bar.maximum() > 0  # the pane did overflow: the check above could fail


def test_an_original_report_in_a_windows_code_page_is_refused_not_garbled(window, qtbot, tmp_path, monkeypatch) -> None:
    """A RIS report saved by a Windows program (cp1252) was read with replacement characters:
    "Épanchement" became "�panchement" in the diff without a word. Now it is refused with how to
    save it; UTF-8 (with or without a BOM) and UTF-16 with its BOM are read as written."""
    import codecs

    warned: list[str] = []
    monkeypatch.setattr("lightbox.app.main_window.QMessageBox.warning", lambda _p, _t, text: warned.append(text))
    ansi = tmp_path / "ris.txt"
    ansi.write_bytes("FINDINGS: Épanchement pleural gauche.".encode("cp1252"))
    assert not window.attach_original_report(ansi)
    assert warned == ["ris.txt: not UTF-8 text (line 1 has the byte 0xC9, as a Windows program's plain text writes an "
                      "accented letter); save it as UTF-8 (in Notepad: Save as, Encoding UTF-8) and attach it again"]
    assert window.ai_panel.original_text == ""
    for name, data in (("bom.txt", codecs.BOM_UTF8 + "Épanchement.".encode()),
                       ("utf16.txt", codecs.BOM_UTF16_LE + "Épanchement.".encode("utf-16-le"))):
        (tmp_path / name).write_bytes(data)
        assert window.attach_original_report(tmp_path / name)
        assert window.ai_panel.original_text == "Épanchement."
