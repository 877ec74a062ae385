"""Push-to-talk: record a spoken question, show its level, transcribe it offline, read answers aloud.

The recording path is the same for a microphone and for a WAV file: an audio source emits
chunks (numpy arrays at the source's rate) → :class:`lightbox.speech.audio.Recording` → the level
meter; on release the recording goes to the recogniser on a worker thread and the transcript comes
back as a signal. The microphone source is QtMultimedia's QAudioSource; the WAV source plays a file
in real time (``LIGHTBOX_AUDIO_INPUT=question.wav`` uses it in place of the microphone, for demos
and for tests without a sound card).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QCheckBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ..speech.audio import AudioError, Recording, read_wav
from ..speech.recognizer import SpeechRecognizer, SpeechUnavailable
from .logs import LOG
from .theme import WARNING_COLOR

PUSH_TO_TALK_KEY = Qt.Key.Key_F8  # hold to talk; dictation microphones map their buttons to F-keys
CHUNK_SECONDS = 0.02
MIN_SECONDS = 0.3  # shorter presses are taken as accidental
SILENT_DEVICE_SECONDS = 3.0  # a live microphone delivers samples (silence included) every few ms; a
# Bluetooth headset switching to its microphone profile can take a second or two first


class AudioSourceError(RuntimeError):
    """No microphone, a device that refused to open, or an unreadable WAV file."""


class WavFileSource(QObject):
    """Plays a WAV file into the recording path in real time (``speed`` > 1 plays faster)."""

    chunk = Signal(object)
    ended = Signal()

    def __init__(self, path: str | Path, speed: float = 1.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        try:
            self.samples, self.rate = read_wav(path)
        except AudioError as exc:
            raise AudioSourceError(str(exc)) from exc
        self.position = 0
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(CHUNK_SECONDS * 1000 / speed)))
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.position = 0
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        size = int(self.rate * CHUNK_SECONDS)
        piece = self.samples[self.position:self.position + size]
        self.position += size
        if piece.size:
            self.chunk.emit(piece)
        else:
            self.timer.stop()
            self.ended.emit()


class MicrophoneSource(QObject):
    """The default audio input through QtMultimedia, at 16 kHz mono int16 when the device offers
    it, else at the device's preferred format (the recording is resampled afterwards)."""

    chunk = Signal(object)
    ended = Signal()
    error = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        try:
            # QAudio only for its side effect: until that namespace has been touched from Python,
            # PySide6 cannot convert the QAudio::State that stateChanged carries ("Cannot call meta
            # function ... cannot be converted") and _on_state never runs
            from PySide6.QtMultimedia import QAudio, QAudioFormat, QAudioSource, QMediaDevices  # noqa: F401
        except ImportError as exc:  # PySide6-Essentials alone has no Qt Multimedia
            raise AudioSourceError(
                "Recording needs Qt Multimedia (pip install PySide6-Addons). Type the question instead."
            ) from exc
        device = QMediaDevices.defaultAudioInput()
        if device.isNull():
            raise AudioSourceError("No microphone found. Connect one, or type the question.")
        fmt = QAudioFormat()
        fmt.setSampleRate(16000)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            fmt = device.preferredFormat()
        self.format = fmt
        self.rate = fmt.sampleRate()
        # the sample layout, worked out once rather than on every read
        self.dtype = np.dtype(
            {
                QAudioFormat.SampleFormat.Int16: np.int16,
                QAudioFormat.SampleFormat.Int32: np.int32,
                QAudioFormat.SampleFormat.UInt8: np.uint8,
                QAudioFormat.SampleFormat.Float: np.float32,
            }[fmt.sampleFormat()]
        )
        self.channels = max(1, fmt.channelCount())
        self.frame_bytes = self.dtype.itemsize * self.channels
        self.device_name = device.description()
        self.source = QAudioSource(device, fmt, self)
        self.source.stateChanged.connect(self._on_state)
        self.io: Any = None
        # A device unplugged while recording does not always raise an error: Qt 6.11 on
        # PulseAudio just goes idle. No data for SILENT_DEVICE_SECONDS is reported instead.
        self.watchdog = QTimer(self)
        self.watchdog.setInterval(int(SILENT_DEVICE_SECONDS * 1000))
        self.watchdog.timeout.connect(self._on_silent_device)

    def start(self) -> None:
        self.io = self.source.start()
        if self.io is None:
            raise AudioSourceError(self._problem("OpenError"))
        self.io.readyRead.connect(self._read)
        self.watchdog.start()

    def stop(self) -> None:
        self.watchdog.stop()
        if self.io is not None:
            self._read()
        self.source.stop()
        self.io = None

    def _read(self) -> None:
        data = bytes(self.io.readAll().data()) if self.io is not None else b""
        whole = len(data) // self.frame_bytes * self.frame_bytes  # a read may end inside a frame
        if whole:
            self.watchdog.start()  # restarts the countdown
            self.chunk.emit(np.frombuffer(data[:whole], dtype=self.dtype).reshape(-1, self.channels))

    def _on_silent_device(self) -> None:
        self.watchdog.stop()
        self.error.emit(self._problem("IOError"))

    def _on_state(self, _state) -> None:
        # compared by name: since Qt 6.7 error() returns QtAudio.Error, which never equals the
        # older QAudio.Error member of the same name in Python
        error = self.source.error().name
        if error != "NoError":
            self.error.emit(self._problem(error))

    def _problem(self, error: str) -> str:
        """The message for a QtAudio error name ("OpenError", ...)."""
        reason = {
            "OpenError": "could not be opened (access denied or in use)",
            "IOError": "stopped delivering audio",
            "FatalError": "failed",
        }.get(error, "reported an error")
        return f"The microphone '{self.device_name}' {reason}. Type the question instead."


class RecognizerWorker(QObject):
    """Loads the recogniser once and transcribes on its own thread."""

    done = Signal(str, float, list)  # transcript, decoding seconds, side / negation words to confirm
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.recognizer: SpeechRecognizer | None = None

    @Slot(object)
    def transcribe(self, pcm16: np.ndarray) -> None:
        try:
            if self.recognizer is None:
                self.recognizer = SpeechRecognizer()
            transcript = self.recognizer.transcribe(pcm16)
            self.done.emit(transcript.text, transcript.seconds, list(transcript.to_confirm))
        except SpeechUnavailable as exc:
            self.failed.emit(f"Speech recognition is unavailable: {exc}. Type the question instead.")
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash
            LOG.exception("speech recognition failed")
            self.failed.emit(f"Speech recognition failed: {exc}")


class VoiceInput(QObject):
    """Record while push-to-talk is held; emit the transcript when it is released."""

    level = Signal(float)  # dBFS of the latest chunk
    transcribed = Signal(str, list)  # the words, and the side / negation words among them to confirm
    message = Signal(str)  # status for the user (recording, errors)
    recording_changed = Signal(bool)
    _transcribe = Signal(object)

    def __init__(self, parent: QObject | None = None, source_factory=None) -> None:
        super().__init__(parent)
        self.source_factory = source_factory or default_source
        self.source: Any = None  # the open microphone (a QAudioSource or a file source)
        self.recording: Recording | None = None
        self.worker_thread = QThread(self)
        self.worker = RecognizerWorker()
        self.worker.moveToThread(self.worker_thread)
        self._transcribe.connect(self.worker.transcribe)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self.message)
        self.worker_thread.start()

    @property
    def is_recording(self) -> bool:
        return self.recording is not None

    def start(self) -> bool:
        if self.recording is not None:
            return True
        try:
            self.source = self.source_factory(self)
            self.recording = Recording(self.source.rate)
            self.source.chunk.connect(self._on_chunk)
            if hasattr(self.source, "error"):
                self.source.error.connect(self._on_source_error)
            self.source.start()
        except AudioSourceError as exc:
            self.recording, self.source = None, None
            self.message.emit(str(exc))
            return False
        self.message.emit("Listening... release to ask")
        self.recording_changed.emit(True)
        return True

    def stop(self) -> None:
        if self.recording is None or self.source is None:
            return
        self.source.stop()
        self.source.deleteLater()
        recording, self.recording, self.source = self.recording, None, None
        self.recording_changed.emit(False)
        self.level.emit(-100.0)
        if recording.seconds < MIN_SECONDS:
            self.message.emit("Too short: hold the button (or F8) while you speak")
            return
        self.message.emit(f"Transcribing {recording.seconds:.1f} s of speech...")
        self._transcribe.emit(recording.pcm16())

    def _on_chunk(self, samples: np.ndarray) -> None:
        if self.recording is not None:
            self.level.emit(self.recording.add(samples))

    def _on_source_error(self, text: str) -> None:
        if self.recording is not None:
            self.source.stop()
            self.recording, self.source = None, None
            self.recording_changed.emit(False)
        self.message.emit(text)

    def _on_done(self, text: str, seconds: float, to_confirm: list[str]) -> None:
        LOG.info("speech: %d word(s) recognised in %.2f s", len(text.split()), seconds)  # the words themselves stay out
        if not text:
            self.message.emit("No words recognised: try again closer to the microphone, or type the question")
            return
        self.message.emit(f"Heard in {seconds:.2f} s")
        self.transcribed.emit(text, to_confirm)

    def shutdown(self) -> None:
        if self.source is not None:
            self.source.stop()
        self.worker_thread.quit()
        self.worker_thread.wait(10000)


def default_source(parent: QObject):
    """The microphone, or the WAV file named by LIGHTBOX_AUDIO_INPUT."""
    wav = os.environ.get("LIGHTBOX_AUDIO_INPUT")
    if wav:
        return WavFileSource(wav, parent=parent)
    return MicrophoneSource(parent)


STATUS_STYLE = "color: #a9b4c2;"
WARNING_STYLE = f"color: {WARNING_COLOR}; font-weight: bold;"


class VoiceControls(QWidget):
    """Hold-to-talk button, level meter, status line and the read-aloud option, under the question box."""

    def __init__(self, voice: VoiceInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.voice = voice
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.talk_button = QPushButton("Hold to talk (F8)")
        self.talk_button.setToolTip("Hold while you ask your question; release to send it")
        self.meter = QProgressBar()
        self.meter.setRange(-60, 0)
        self.meter.setValue(-60)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(10)
        self.meter.setToolTip("Microphone level")
        row.addWidget(self.talk_button)
        row.addWidget(self.meter, 1)
        layout.addLayout(row)
        options = QHBoxLayout()
        self.send_at_once = QCheckBox("Send when released")
        self.send_at_once.setChecked(True)
        self.send_at_once.setToolTip("Off: the transcript waits in the question box for you to edit and press Enter")
        self.read_aloud = QCheckBox("Read answers aloud")
        from ..speech.tts import tts_available

        if not tts_available():
            self.read_aloud.setEnabled(False)
            self.read_aloud.setToolTip("Needs espeak-ng (apt-get install espeak-ng)")
        options.addWidget(self.send_at_once)
        options.addWidget(self.read_aloud)
        options.addStretch(1)
        layout.addLayout(options)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(STATUS_STYLE)
        layout.addWidget(self.status)
        self.talk_button.pressed.connect(voice.start)
        self.talk_button.released.connect(voice.stop)
        voice.level.connect(lambda db: self.meter.setValue(int(max(-60.0, min(0.0, db)))))
        voice.message.connect(self.show_status)
        voice.recording_changed.connect(self._on_recording)

    def show_status(self, text: str, warning: bool = False) -> None:
        """A status line; ``warning`` (amber) for what the reader must act on, such as a side to check."""
        self.status.setText(text)
        self.status.setStyleSheet(WARNING_STYLE if warning else STATUS_STYLE)

    def _on_recording(self, on: bool) -> None:
        self.talk_button.setText("Listening... (release to ask)" if on else "Hold to talk (F8)")
        self.talk_button.setStyleSheet("background: #8a2f2f;" if on else "")


class PushToTalkKey(QObject):
    """Application-wide event filter: holding F8 records, releasing it stops (auto-repeat ignored),
    whichever widget has the focus, so the hands can stay on the mouse and the viewer."""

    def __init__(self, voice: VoiceInput, key: Qt.Key = PUSH_TO_TALK_KEY) -> None:
        super().__init__(voice)
        self.voice = voice
        self.key = key
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: Any) -> bool:  # noqa: N802 - Qt's name; a QKeyEvent when it matters
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and event.key() == self.key:
            # the same key event passes the window and then the focus widget: start() and stop()
            # are idempotent, so acting on each delivery is safe
            if not event.isAutoRepeat():
                if event.type() == QEvent.Type.KeyPress:
                    self.voice.start()
                else:
                    self.voice.stop()
            return True
        return False
