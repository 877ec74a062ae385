"""GUI tests of the microphone against a real PulseAudio server; run by ``test_microphone.py`` in a
process of their own that starts with the server's address in its environment (Qt Multimedia
connects to the server once per process). Not collected on its own (no ``test_`` prefix).
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from lightbox.speech.audio import read_for_recogniser

FIFO = os.environ.get("LIGHTBOX_TEST_PULSE_FIFO")
QUESTION_WAV = Path(__file__).resolve().parent / "data" / "question_effusion.wav"  # "um is there a pleural effusion"

pytestmark = pytest.mark.skipif(FIFO is None, reason="run by test_microphone.py, which starts the audio server")


def _pactl(*args: str) -> str:
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True).stdout.strip()


def _default_input() -> str:
    from PySide6.QtMultimedia import QMediaDevices

    device = QMediaDevices.defaultAudioInput()
    return "" if device.isNull() else device.description()


@pytest.fixture
def microphone(qtbot):
    """A pipe microphone on the server, the default input; yields a function that speaks PCM
    (16 kHz int16) into it in real time, as a microphone delivers it."""
    module = _pactl("load-module", "module-pipe-source", "source_name=pipe_microphone", f"file={FIFO}",
                    "format=s16le", "rate=16000", "channels=1")
    _pactl("set-default-source", "pipe_microphone")
    qtbot.waitUntil(lambda: "FIFO" in _default_input(), timeout=10000)  # Qt has seen the device

    def speak(pcm: np.ndarray) -> threading.Thread:
        def feed() -> None:
            try:
                with open(FIFO, "wb") as pipe:
                    start = time.perf_counter()
                    for n in range(0, pcm.size, 320):  # 20 ms at a time
                        pipe.write(pcm[n:n + 320].tobytes())
                        pipe.flush()
                        time.sleep(max(0.0, start + (n + 320) / 16000 - time.perf_counter()))
            except BrokenPipeError:  # the device was removed while speaking
                pass
        thread = threading.Thread(target=feed, daemon=True)
        thread.start()
        return thread

    yield speak, module
    if module in {line.split()[0] for line in _pactl("list", "short", "modules").splitlines()}:
        _pactl("unload-module", module)


def test_question_spoken_into_the_microphone_is_answered(demo_film_window, qtbot, microphone) -> None:
    speak, _ = microphone
    panel = demo_film_window.ai_panel
    levels: list[float] = []
    panel.voice.level.connect(levels.append)
    qtbot.mousePress(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    assert panel.voice.is_recording, panel.voice_controls.status.text()
    pause = np.zeros(8000, np.int16)
    speech = speak(np.concatenate([pause, read_for_recogniser(QUESTION_WAV), pause]))
    qtbot.waitUntil(lambda: not speech.is_alive(), timeout=20000)
    qtbot.wait(300)  # the last buffers through the server
    with qtbot.waitSignal(panel.shown, timeout=120000) as answered:
        qtbot.mouseRelease(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    assert answered.args[0] == "ask" and answered.args[1].text.strip()
    assert max(levels) > -30  # the meter saw the speech
    assert "You (spoken): Is there a pleural effusion" in panel.history.toPlainText()


def test_microphone_that_refuses_to_open_leaves_typing_working(demo_film_window, qtbot, microphone) -> None:
    """The device is there when the microphone is set up and gone when recording starts: the
    server refuses the stream (what a denied or busy device does)."""
    from lightbox.app.voice import MicrophoneSource

    _, module = microphone
    panel = demo_film_window.ai_panel
    source = MicrophoneSource(panel.voice)
    _pactl("unload-module", module)
    panel.voice.source_factory = lambda parent: source
    qtbot.mouseClick(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    status = panel.voice_controls.status.text()
    assert status.startswith("The microphone 'Unix FIFO source") and status.endswith(
        "could not be opened (access denied or in use). Type the question instead."), status
    assert not panel.voice.is_recording and panel.question.isEnabled()
    panel.question.setText("is the heart enlarged?")
    with qtbot.waitSignal(panel.shown, timeout=120000) as answered:
        panel.question.returnPressed.emit()
    assert answered.args[0] == "ask"


def test_unplugged_microphone_gives_a_message(demo_film_window, qtbot, microphone) -> None:
    """The microphone is removed from the server before push-to-talk (a USB microphone pulled
    out): the press goes through the default source and ends in a message, not a recording.
    Qt 6.11 still lists the removed device and the server refuses it; a Qt that drops it from
    the list says there is no microphone."""
    _, module = microphone
    _pactl("unload-module", module)
    panel = demo_film_window.ai_panel
    qtbot.mouseClick(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    status = panel.voice_controls.status.text()
    assert status == "No microphone found. Connect one, or type the question." or (
        status.startswith("The microphone 'Unix FIFO source")
        and status.endswith("could not be opened (access denied or in use). Type the question instead.")), status
    assert not panel.voice.is_recording and panel.question.isEnabled()


def test_microphone_removed_while_recording(demo_film_window, qtbot, microphone) -> None:
    """Pulled out mid-question: the recording stops with a message instead of listening on."""
    speak, module = microphone
    panel = demo_film_window.ai_panel
    qtbot.mousePress(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)
    assert panel.voice.is_recording
    speak(np.zeros(16000 * 10, np.int16))
    qtbot.wait(500)
    _pactl("unload-module", module)
    qtbot.waitUntil(lambda: not panel.voice.is_recording, timeout=10000)
    assert panel.voice_controls.status.text().endswith("stopped delivering audio. Type the question instead.")
    qtbot.mouseRelease(panel.voice_controls.talk_button, Qt.MouseButton.LeftButton)  # nothing left to send
    assert panel.busy == "" and panel.question.isEnabled()
