"""The AI dock: draft a report and ask questions about the open images, streamed, cancellable.

Model work runs in a QThread (:class:`AiWorker`); the panel only shows what the worker's signals
say. The model's label (DEMO MODEL - not for clinical use) and the draft's review state stay
visible wherever the model's text appears.
"""
from __future__ import annotations

import html
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..inference.generate import Chat, GenerationOptions, GenerationResult, VisionLanguageModel
from ..inference.models import DEMO_LABEL, default_model_dir
from ..inference.prompts import clean_question, task_prompt
from .ai_inputs import model_images
from .compose import Opened

UNREVIEWED = "AI draft - not reviewed"


class AiWorker(QObject):
    """Owns the model and the case's chats; every call runs on the worker's thread."""

    token = Signal(str, str)  # task, text piece
    finished = Signal(str, object)  # task, GenerationResult
    failed = Signal(str, str)  # task, message
    model_ready = Signal(str, str, bool)  # name, provider (+ notice), is_demo

    def __init__(self, model_dir: Path | None = None, device: str = "auto") -> None:
        super().__init__()
        self.model_dir = model_dir or default_model_dir()
        self.device = device
        self.model: VisionLanguageModel | None = None
        self.images: list = []
        self.modality = "chest radiograph"
        self.chat: Chat | None = None  # the question thread of the open case
        self.cancel_event = threading.Event()

    def _ensure_model(self) -> VisionLanguageModel:
        if self.model is None:
            self.model = VisionLanguageModel.from_folder(self.model_dir, device=self.device)
            info = self.model.info
            self.model_ready.emit(self.model.bundle.name, info.provider + (f" ({info.notice})" if info.notice else ""),
                                  self.model.bundle.is_demo)
        return self.model

    @Slot(object)
    def set_case(self, opened: Opened) -> None:
        self.images, self.modality = model_images(opened)
        self.chat = None

    @Slot(str, str)
    def run(self, task: str, question: str) -> None:
        self.cancel_event.clear()
        try:
            model = self._ensure_model()
            if task == "draft":
                prompt, budget = task_prompt("draft", modality=self.modality)
                chat = Chat(model, images=list(self.images))
            else:
                prompt, budget = task_prompt("ask", question=clean_question(question))
                if self.chat is None:
                    self.chat = Chat(model, images=list(self.images))
                chat = self.chat
            result = chat.ask(prompt, on_token=lambda piece: self.token.emit(task, piece),
                              options=GenerationOptions(max_new_tokens=budget, repetition_penalty=1.1), cancel=self.cancel_event)
            self.finished.emit(task, result)
        except Exception as exc:  # noqa: BLE001 - shown in the panel, never a crash
            traceback.print_exc()
            self.failed.emit(task, str(exc) or type(exc).__name__)


class AiPanel(QWidget):
    request = Signal(str, str)  # task, question → worker.run
    case = Signal(object)  # Opened → worker.set_case

    def __init__(self, parent: QWidget | None = None, model_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.busy = ""
        self.results: dict[str, GenerationResult] = {}
        layout = QVBoxLayout(self)
        self.model_label = QLabel("Model: loads on first use")
        self.demo_badge = QLabel(DEMO_LABEL)
        self.demo_badge.setStyleSheet("color: #1b1c20; background: #e0a526; padding: 3px 6px; font-weight: bold;")
        self.demo_badge.setVisible(False)
        layout.addWidget(self.model_label)
        layout.addWidget(self.demo_badge)
        buttons = QHBoxLayout()
        self.draft_button = QPushButton("Draft report")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.draft_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.state_label = QLabel("")
        self.state_label.setStyleSheet("color: #e0a526;")
        layout.addWidget(self.state_label)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("FINDINGS:\nIMPRESSION:")
        font = self.editor.font()
        font.setPointSizeF(font.pointSizeF() + 1)
        self.editor.setFont(font)
        layout.addWidget(self.editor, 3)
        self.timing_label = QLabel("")
        layout.addWidget(self.timing_label)
        layout.addWidget(QLabel("Ask about the images"))
        self.history = QTextBrowser()
        layout.addWidget(self.history, 2)
        ask_row = QHBoxLayout()
        self.question = QLineEdit()
        self.question.setPlaceholderText('e.g. "Is there a pneumothorax on the left?"')
        self.ask_button = QPushButton("Ask")
        ask_row.addWidget(self.question)
        ask_row.addWidget(self.ask_button)
        layout.addLayout(ask_row)
        self.draft_button.clicked.connect(lambda: self.start("draft", ""))
        self.ask_button.clicked.connect(self._ask)
        self.question.returnPressed.connect(self._ask)
        self.cancel_button.clicked.connect(self.cancel)
        self.thread = QThread(self)
        self.worker = AiWorker(model_dir)
        self.worker.moveToThread(self.thread)
        self.request.connect(self.worker.run)
        self.case.connect(self.worker.set_case)
        self.worker.token.connect(self._on_token)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.model_ready.connect(self._on_model_ready)
        self.thread.start()
        self.setEnabled(False)

    def set_case(self, opened: Opened) -> None:
        self.cancel()
        self.case.emit(opened)
        self.editor.clear()
        self.history.clear()
        self.state_label.setText("")
        self.timing_label.setText("")
        self.results.clear()
        self.setEnabled(True)

    def _ask(self) -> None:
        text = self.question.text().strip()
        if text and not self.busy:
            self.question.clear()
            self.history.append(f"<p><b>You:</b> {html.escape(text)}</p>")
            self._answer = ""
            self.start("ask", text)

    def start(self, task: str, question: str) -> None:
        if self.busy:
            return
        self.busy = task
        if task == "draft":
            self.editor.clear()
            self.state_label.setText(f"{UNREVIEWED} - drafting...")
        self.draft_button.setEnabled(False)
        self.ask_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.request.emit(task, question)

    def cancel(self) -> None:
        self.worker.cancel_event.set()

    def _on_token(self, task: str, piece: str) -> None:
        if task == "draft":
            self.editor.insertPlainText(piece)
        else:
            self._answer = getattr(self, "_answer", "") + piece

    def _on_finished(self, task: str, result: GenerationResult) -> None:
        self.results[task] = result
        self._idle()
        timing = (f"{result.provider}  first token {result.time_to_first_token_s:.2f} s  "
                  f"{result.tokens_per_second:.0f} tok/s  total {result.total_s:.2f} s"
                  + ("  (cancelled)" if result.stopped == "cancelled" else ""))
        self.timing_label.setText(timing)
        if task == "draft":
            self.editor.setPlainText(result.text)
            self.state_label.setText(UNREVIEWED + (" (cancelled)" if result.stopped == "cancelled" else ""))
        else:
            label = " <i>[demo model]</i>" if self.demo_badge.isVisible() else ""
            self.history.append(f"<p><b>AI:</b> {html.escape(result.text)}{label}</p>")

    def _on_failed(self, task: str, message: str) -> None:
        self._idle()
        self.state_label.setText(f"AI unavailable: {message}")

    def _on_model_ready(self, name: str, provider: str, demo: bool) -> None:
        self.model_label.setText(f"Model: {name}  ·  {provider}")
        self.demo_badge.setVisible(demo)

    def _idle(self) -> None:
        self.busy = ""
        self.draft_button.setEnabled(True)
        self.ask_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        self.cancel()
        self.thread.quit()
        self.thread.wait(10000)
