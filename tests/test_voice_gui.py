"""pytest-qt: a recorded question goes through the push-to-talk recording path (a WAV file in
place of the microphone) into the question box and gets an answer from the demo model; missing
devices and engines give a message and typing keeps working."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from lightbox.app.main_window import MainWindow
from lightbox.app.voice import WavFileSource
from lightbox.inference.models import default_model_dir

pytestmark = pytest.mark.skipif(not (default_model_dir() / "manifest.json").exists(),
                                reason="the demo model bundle is not built (python -m lightbox.demo_model.train)")
DATA = Path(__file__).resolve().parent / "data"
QUESTION_WAV = DATA / "question_effusion.wav"  # espeak-ng en-us, 175 wpm: "um is there a pleural effusion"
LEFT_SIDE_WAV = DATA / "question_pneumothorax.wav"  # the same voice: "um is there a pneumothorax on the left"


@pytest.fixture
def window(demo_film_window):
    return demo_film_window


def _wav_source(speed: float = 4.0, wav: Path = QUESTION_WAV):
    sources = []

    def factory(parent):
        sources.append(WavFileSource(wav, speed=speed, parent=parent))
        return sources[-1]
    return factory, sources


def test_spoken_question_is_transcribed_asked_and_answered(window, qtbot) -> None:
    panel = window.ai_panel
    factory, sources = _wav_source()
    panel.voice.source_factory = factory
    levels: list[float] = []
    panel.voice.level.connect(levels.append)
    qtbot.mousePress(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    assert panel.voice.is_recording and "Listening" in panel.voice_controls.talk_button.text()
    qtbot.waitSignal(sources[0].ended, timeout=10000).wait()
    with qtbot.waitSignal(panel.shown, timeout=120000) as answered:
        qtbot.mouseRelease(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    task, result = answered.args
    assert task == "ask" and result.text.strip()
    assert max(levels) > -30  # the meter saw speech
    assert levels[-1] == -100.0  # and dropped when the button was released
    # The same path as a typed question: cleaned, kept in the chat, shown with the answer.
    assert panel.worker.chat.history[-1][0] == "Is there a pleural effusion"
    history = panel.history.toPlainText()
    assert "You (spoken): Is there a pleural effusion" in history and f"AI: {result.text.strip()}" in history
    assert "Heard in" in panel.voice_controls.status.text()


def test_a_spoken_side_waits_selected_for_the_reader_to_check(window, qtbot) -> None:
    """A recogniser can insert or swap a side ("is there a pericardial effusion" was heard as "is
    there left epicardial effusion"): a spoken side is read back, never sent unseen, even with
    Send when released on."""
    panel = window.ai_panel
    factory, sources = _wav_source(wav=LEFT_SIDE_WAV)
    panel.voice.source_factory = factory
    assert panel.voice_controls.send_at_once.isChecked()
    qtbot.mousePress(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    qtbot.waitSignal(sources[0].ended, timeout=10000).wait()
    with qtbot.waitSignal(panel.voice.transcribed, timeout=30000):
        qtbot.mouseRelease(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert panel.busy == "" and "You (spoken)" not in panel.history.toPlainText()  # not sent
    assert panel.question.text() == "Is there a pneumothorax on the left"
    assert panel.question.selectedText() == "left" and panel.question.hasFocus()
    assert panel.voice_controls.status.text() == ("Not sent yet. Heard the side 'left': a wrong side changes the "
                                                  "question, so check it. Correct it if needed; Enter sends it.")
    qtbot.keyClicks(panel.question, "right")  # typing replaces the selected side
    with qtbot.waitSignal(panel.shown, timeout=120000):
        qtbot.keyClick(panel.question, Qt.Key.Key_Return)
    assert panel.worker.chat.history[-1][0] == "Is there a pneumothorax on the right"
    assert "You (spoken, checked): Is there a pneumothorax on the right" in panel.history.toPlainText()
    assert panel.voice_controls.status.text() == "Sent after checking"  # the amber hold message is gone
    # a held question the reader clears and replaces by a typed one is the reader's typed question
    panel.voice.transcribed.emit("is there a left pleural effusion", ["left"])
    panel.question.selectAll()
    qtbot.keyClick(panel.question, Qt.Key.Key_Delete)
    qtbot.keyClicks(panel.question, "Is the heart enlarged")
    with qtbot.waitSignal(panel.shown, timeout=120000):
        qtbot.keyClick(panel.question, Qt.Key.Key_Return)
    history = panel.history.toPlainText()
    assert "You: Is the heart enlarged" in history and "You (spoken, checked): Is the heart enlarged" not in history


def test_held_key_records_and_transcript_waits_for_editing(window, qtbot) -> None:
    panel = window.ai_panel
    factory, sources = _wav_source()
    panel.voice.source_factory = factory
    panel.voice_controls.send_at_once.setChecked(False)
    window.activateWindow()
    qtbot.keyPress(window.area, Qt.Key.Key_F8)
    assert panel.voice.is_recording
    qtbot.waitSignal(sources[0].ended, timeout=10000).wait()
    with qtbot.waitSignal(panel.voice.transcribed, timeout=30000):
        qtbot.keyRelease(window.area, Qt.Key.Key_F8)
    assert panel.question.text() == "Is there a pleural effusion"
    assert panel.busy == ""  # not sent: the reader edits it first
    assert panel.voice_controls.status.text().endswith("edit the question and press Enter")
    panel.question.setText(panel.question.text().replace("a pleural", "a right pleural"))
    with qtbot.waitSignal(panel.shown, timeout=120000):
        panel.question.returnPressed.emit()
    assert panel.worker.chat.history[-1][0] == "Is there a right pleural effusion"


def test_short_press_and_missing_microphone_leave_typing_working(window, qtbot, monkeypatch) -> None:
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:
        expected = "Recording needs Qt Multimedia (pip install PySide6-Addons). Type the question instead."
    else:
        if QMediaDevices.audioInputs():
            pytest.skip("this machine has a microphone; the test checks the message when there is none")
        expected = "No microphone found. Connect one, or type the question."
    panel = window.ai_panel
    monkeypatch.delenv("LIGHTBOX_AUDIO_INPUT", raising=False)
    qtbot.mouseClick(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    assert panel.voice_controls.status.text() == expected
    assert not panel.voice.is_recording
    factory, _ = _wav_source()
    panel.voice.source_factory = factory
    qtbot.mouseClick(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)  # released at once
    assert "Too short" in panel.voice_controls.status.text()
    panel.question.setText("is the heart enlarged?")
    with qtbot.waitSignal(panel.shown, timeout=120000) as answered:
        panel.question.returnPressed.emit()
    assert answered.args[0] == "ask"


def test_missing_recogniser_model_is_reported(window, qtbot, monkeypatch, tmp_path) -> None:
    panel = window.ai_panel
    monkeypatch.setenv("LIGHTBOX_SPEECH_MODEL_DIR", str(tmp_path))
    panel.voice.worker.recognizer = None
    factory, sources = _wav_source(speed=8.0)
    panel.voice.source_factory = factory
    panel.voice.start()
    qtbot.waitSignal(sources[0].ended, timeout=10000).wait()
    with qtbot.waitSignal(panel.voice.message, timeout=30000,
                          check_params_cb=lambda text: text.startswith("Speech recognition is unavailable")):
        panel.voice.stop()
    assert "Type the question instead" in panel.voice_controls.status.text()
    assert panel.question.isEnabled()


def test_read_aloud_is_disabled_with_a_reason_without_espeak(qtbot, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    w = MainWindow()
    qtbot.addWidget(w)
    box = w.ai_panel.voice_controls.read_aloud
    assert not box.isEnabled() and "espeak-ng" in box.toolTip()
    w.close()


def test_without_qt_multimedia_the_message_says_what_to_install(window, qtbot, monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # as on an install without PySide6-Addons
    monkeypatch.delenv("LIGHTBOX_AUDIO_INPUT", raising=False)
    panel = window.ai_panel
    qtbot.mouseClick(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    assert panel.voice_controls.status.text().startswith("Recording needs Qt Multimedia (pip install PySide6-Addons)")
    assert not panel.voice.is_recording and panel.question.isEnabled()


def test_a_question_arriving_while_the_model_works_waits_and_says_so(window, qtbot) -> None:
    """Spoken (Send when released) or typed while a draft is being written: it was left in the box
    without a word, the status still saying "Heard in 0.3 s", as if it had been asked."""
    panel = window.ai_panel
    with qtbot.waitSignal(panel.shown, timeout=120000) as drafted:
        panel.start("draft", "")
        panel.voice.transcribed.emit("is there a pleural effusion", [])
        assert panel.question.text() == "Is there a pleural effusion"  # kept, not lost
        assert panel.voice_controls.status.text() == ("Not sent yet: the model is still drafting the report. Press Enter "
                                                      "when it has finished, or Cancel it.")
    assert drafted.args[0] == "draft" and "You (spoken)" not in panel.history.toPlainText()
    with qtbot.waitSignal(panel.shown, timeout=120000) as answered:
        qtbot.keyClick(panel.question, Qt.Key.Key_Return)
    assert answered.args[0] == "ask" and panel.worker.chat.history[-1][0] == "Is there a pleural effusion"
