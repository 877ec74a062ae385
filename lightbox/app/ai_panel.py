"""The AI dock: draft a report and ask questions about the open images, streamed, cancellable.

Model work runs in a QThread (:class:`AiWorker`); the panel only shows what the worker's signals
say. The model's label (DEMO MODEL - not for clinical use) and the draft's review state stay
visible wherever the model's text appears.
"""
from __future__ import annotations

import html
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..inference.bundle import BundleError
from ..inference.generate import Chat, GenerationResult, PromptTooLong, QuestionUnreadable, VisionLanguageModel
from ..inference.header_check import header_disagreements
from ..inference.image_check import BlankImageCheck, ImageCheck, worth_checking
from ..inference.models import DEMO_LABEL, default_model_dir
from ..inference.prompts import NothingToAsk, StudyRefused, clean_question, request_prompt, task_options
from ..inference.study import StudyContext
from ..viewer.study_tree import person_name
from .ai_inputs import model_images, study_of
from .compose import Opened
from .logs import LOG, REDACTOR
from .recent import read_state, write_state
from .theme import DEMO_BADGE_STYLE, WARNING_COLOR

UNREVIEWED = "AI draft - not reviewed"
NO_REPORT = "No report for this series yet: draft or type one first."
IMAGE_CHECK_STATE = "ai_image_check"  # ui_state.json: whether answers are checked against a blank image



# The question box's example follows the study open: a brain MR was offered "Is there a
# pneumothorax on the left?", the chest default the product is trying to be rid of
EXAMPLE_QUESTIONS = {"CHEST": "Is there a pneumothorax on the left?", "HEAD": "Is there a midline shift?",
                     "ABDOMEN": "Is there free fluid?", "SPINE": "Is there a vertebral compression fracture?",
                     "EXTREMITY": "Is there a fracture?"}


def example_question(metadata: dict[str, str], is_volume: bool = False) -> str:
    """The question box's placeholder for a study (its body part as the prompt reads it)."""
    from ..inference.study import study_context

    part = study_context(metadata, is_volume).body_part if metadata else ""
    return f'e.g. "{EXAMPLE_QUESTIONS.get(part, "What abnormality is seen?")}"'

class NoReport(ValueError):
    """An export asked for while the series has no report text."""


def _check_colour(same: bool | None) -> str:
    return "#e0a526" if same else "#9aa0a6"  # amber: the same answer as with a blank image


def _check_paragraph(sentence: str, same: bool | None) -> str:
    """An image check's verdict under its answer in the question history."""
    return f'<p style="color: {_check_colour(same)};"><i>{html.escape(sentence)}</i></p>'


def _stored_check_paragraph(stored: str) -> str:
    """A verdict as stored with its answer (``ImageCheck.to_dict`` as JSON); an unreadable one is
    said so, never a crash on opening the case."""
    try:
        verdict = json.loads(stored)
        return _check_paragraph(str(verdict["sentence"]), verdict.get("same_with_blank_image"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return _check_paragraph("Image check: stored verdict unreadable.", None)


def _remember_image_check(on: bool) -> None:
    state = read_state()
    state[IMAGE_CHECK_STATE] = on
    write_state(state)


@dataclass
class PendingCheck:
    """A result shown whose image check is still running, and its stored chat entry (a question's)."""

    task: str
    result: GenerationResult
    chat_id: int | None


class AiWorker(QObject):
    """Owns the model and the case's chats; every call runs on the worker's thread."""

    token = Signal(str, str)  # task, text piece
    finished = Signal(str, object)  # task, GenerationResult
    checked = Signal(str, object)  # task, ImageCheck: after ``finished``, when the request asked for it
    failed = Signal(str, str)  # task, message: the model could not run
    refused = Signal(str, str)  # task, message: nothing was generated for this request (wrong study, no question, too long)
    model_ready = Signal(str, str, bool, str, bool)  # name, provider (+ notice), is_demo, bundle sha256, follow-ups

    def __init__(self, model_dir: Path | None = None, device: str = "auto", variant: str = "") -> None:
        super().__init__()
        self.model_dir = model_dir or default_model_dir()
        self.device = device
        self.variant = variant
        self.model: VisionLanguageModel | None = None
        self.images: list = []
        self.images_notice = ""  # the images had to be turned to the radiological convention: said with each answer
        self.study = StudyContext()
        self.chat: Chat | None = None  # the question thread of the open case
        self.blank_check: BlankImageCheck | None = None  # that thread again, on blank images
        self.cancel_event = threading.Event()

    def _ensure_model(self) -> VisionLanguageModel:
        if self.model is None:
            from ..inference.registry import missing_registered_folder

            gone = missing_registered_folder(self.model_dir)  # the window's chosen model, moved since
            if gone is not None:
                raise BundleError(gone[:1].upper() + gone[1:] + " (AI → Model... chooses another)")
            self.model = VisionLanguageModel.from_folder(self.model_dir, self.variant, device=self.device)
            info = self.model.info
            self.model_ready.emit(self.model.bundle.name, info.provider + (f" ({info.notice})" if info.notice else ""),
                                  self.model.bundle.is_demo, self.model.bundle.checksum,
                                  self.model.bundle.answers_follow_ups)
        return self.model

    def device_label(self) -> str:
        if self.model is not None:
            return f"{self.model.info.provider} (graphs {self.model.bundle.variant})"
        from ..inference.sessions import requested_providers

        return "CUDA" if "CUDAExecutionProvider" in requested_providers(self.device) else "CPU"

    @Slot(object, str)
    def set_model(self, folder: object, variant: str) -> None:
        """Use another model from the next request on (the open case's question thread restarts)."""
        self.model_dir = Path(folder) if folder else default_model_dir()  # type: ignore[arg-type]
        self.variant = variant
        self.model = None
        self.chat = self.blank_check = None

    @Slot(object)
    def set_case(self, opened: Opened) -> None:
        self.images, self.study, self.images_notice = model_images(opened)
        self.chat = self.blank_check = None

    @Slot(str, str, bool)
    def run(self, task: str, question: str, image_check: bool = False) -> None:
        """Answer the request; then, when ``image_check`` and the answer is worth checking, ask it
        again of blank images and emit ``checked`` (exactly once per check, even a failed or
        cancelled one: the panel counts on one verdict per check it expects)."""
        self.cancel_event.clear()
        try:
            model = self._ensure_model()
            prompt, notice = request_prompt(task, self.study, model.bundle.trained_for, model.bundle.name, question)
            if task == "draft":
                chat = Chat(model, images=list(self.images))
            else:
                if self.chat is None:
                    self.chat = Chat(model, images=list(self.images))
                chat = self.chat
            options = task_options(task)
            result = chat.ask(prompt, on_token=lambda piece: self.token.emit(task, piece),
                              options=options, cancel=self.cancel_event)
            disagreements = header_disagreements(result.text, self.study, task)
            if notice or self.images_notice or disagreements:
                result.notice = " ".join(x for x in (notice, self.images_notice, result.notice, *disagreements) if x)
            self.finished.emit(task, result)
        except (StudyRefused, NothingToAsk, PromptTooLong, QuestionUnreadable) as exc:  # nothing generated: said why
            self.refused.emit(task, str(exc))
        except Exception as exc:  # noqa: BLE001 - shown in the panel, never a crash
            LOG.exception("AI %s failed", task)
            self.failed.emit(task, str(exc) or type(exc).__name__)
        else:
            if image_check and worth_checking(result):
                self.checked.emit(task, self._check(task, model, chat, prompt, result.text, options))

    def _check(self, task: str, model: VisionLanguageModel, chat: Chat, prompt: str, answer: str,
               options: Any) -> ImageCheck:
        started = time.perf_counter()
        try:
            if task == "draft":
                checker = BlankImageCheck(model, self.images)
            else:
                if self.blank_check is None:
                    self.blank_check = BlankImageCheck(model, self.images)
                checker = self.blank_check
            earlier = [asked for asked, _ in chat.history[:-1]]
            return checker.check(task, prompt, answer, options, earlier, self.cancel_event)
        except Exception as exc:  # noqa: BLE001 - the answer stands; the reader is told the check did not run
            LOG.exception("AI %s image check failed", task)
            return ImageCheck(task, "", False, time.perf_counter() - started, error=str(exc) or type(exc).__name__)


ASK_LABEL = "Ask about the images"
ASK_LABEL_SINGLE = ("Ask about the images (each question is answered on its own: this model was not trained on "
                    "follow-up questions)")


def timing_text(task: str, result: GenerationResult) -> str:
    """"Draft: 142 tokens, CPU, first token 0.12 s, 220.5 tokens/s, total 0.76 s"."""
    n = len(result.token_ids)
    rate = f", {result.tokens_per_second:.1f} tokens/s" if n > 1 else ""
    return (f"{'Draft' if task == 'draft' else 'Question'}: {n} token{'' if n == 1 else 's'}, {result.provider}, "
            f"first token {result.time_to_first_token_s:.2f} s{rate}, total {result.total_s:.2f} s"
            + (" (cancelled)" if result.stopped == "cancelled" else ""))


class AiPanel(QWidget):
    request = Signal(str, str, bool)  # task, question, check against a blank image → worker.run
    case = Signal(object)  # Opened → worker.set_case
    model_choice = Signal(object, str)  # folder (None: demo), variant → worker.set_model
    # task, GenerationResult: emitted in the GUI thread once the panel has shown and stored the
    # result (the worker's own ``finished`` can reach a listener before the panel has handled
    # it, or even on the worker's thread)
    shown = Signal(str, object)

    def __init__(self, parent: QWidget | None = None, model_dir: Path | None = None, database=None) -> None:
        super().__init__(parent)
        self.busy = ""
        self.results: dict[str, GenerationResult] = {}
        self.image_checks: dict[str, ImageCheck] = {}  # task → the check of its last result, this case
        self._check_asked = False
        self.timings: dict[str, str] = {}  # task → its timing line, for this case
        self._asked: tuple[str, str] = ("", "")
        self._spoken_waiting = False  # a spoken question held for the reader to check its side / negation
        # the last result, shown, while its image check runs (the panel is idle meanwhile: the
        # reader edits the draft, which autosaves, or asks on, which stops the check)
        self._unchecked: PendingCheck | None = None
        self._superseded_checks = 0  # checks stopped by a newer request: their verdicts are not shown
        self.database = database
        self.case_key = ""
        self.case_metadata: dict[str, str] = {}  # the open study's patient / exam fields (export header)
        self.report_id: int | None = None
        self.model_name, self.model_sha256 = "", ""
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(400)  # debounce: a save a moment after typing stops
        self.autosave_timer.timeout.connect(self.save_now)
        layout = QVBoxLayout(self)
        self.model_label = QLabel("Model: loads on first use")
        self.model_label.setWordWrap(True)  # a downloaded model's name may be long ("medgemma-4b-it-onnx ...")
        self.demo_badge = QLabel(DEMO_LABEL)
        self.demo_badge.setStyleSheet(DEMO_BADGE_STYLE)
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
        self.image_check_box = QCheckBox("Check each answer against a blank image")
        self.image_check_box.setToolTip(
            "After each draft or answer, the model is asked the same with a blank grey image in place of the\n"
            "study; the panel says whether it answers the same (then the answer may come from the question\n"
            "alone, not from the images). It takes about as long again as the answer itself.")
        self.image_check_box.setChecked(bool(read_state().get(IMAGE_CHECK_STATE, True)))
        self.image_check_box.toggled.connect(_remember_image_check)
        layout.addWidget(self.image_check_box)
        self.state_label = QLabel("")
        self.state_label.setWordWrap(True)
        self.state_label.setStyleSheet("color: #e0a526;")
        layout.addWidget(self.state_label)
        self.draft_check_label = QLabel("")  # the draft's image check, in its verdict's colour
        self.draft_check_label.setWordWrap(True)
        self.draft_check_label.setVisible(False)
        layout.addWidget(self.draft_check_label)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("FINDINGS:\nIMPRESSION:")
        font = self.editor.font()
        font.setPointSizeF(font.pointSizeF() + 1)
        self.editor.setFont(font)
        layout.addWidget(self.editor, 3)
        self.timing_label = QLabel("")
        # wrapped, as the model's name: unwrapped, "Draft: 27 tokens, CPU, first token 0.06 s, ..."
        # asked for 478 pixels, and a draft arriving widened the panel by 137 and shrank the image
        self.timing_label.setWordWrap(True)
        layout.addWidget(self.timing_label)
        edit_row = QHBoxLayout()
        self.undo_button, self.redo_button = QPushButton("Undo"), QPushButton("Redo")
        self.diff_button = QPushButton("Diff vs AI draft")
        self.diff_button.setCheckable(True)
        self.diff_original_button = QPushButton("Diff vs original")
        self.diff_original_button.setCheckable(True)
        self.diff_original_button.setEnabled(False)  # enabled once an original report is attached
        self.export_button = QPushButton("Export...")
        self.deidentify_box = QCheckBox("De-identify")
        self.deidentify_box.setToolTip("Exports replace the patient's name, ID, birth date and accession number with [PHI]")
        # two rows, so that the dock can be narrow (one row of six needed 600 px)
        second_row = QHBoxLayout()
        for widget in (self.undo_button, self.redo_button, self.export_button):
            edit_row.addWidget(widget)
        controls: tuple[QWidget, ...] = (self.diff_button, self.diff_original_button, self.deidentify_box)
        for control in controls:
            second_row.addWidget(control)
        layout.addLayout(edit_row)
        layout.addLayout(second_row)
        self.diff_view = QTextBrowser()
        self.diff_view.setVisible(False)
        layout.addWidget(self.diff_view, 2)
        sign_row = QHBoxLayout()
        self.reader = QLineEdit()
        self.reader.setPlaceholderText("Reader's name")
        self.sign_button = QPushButton("Sign report")
        sign_row.addWidget(self.reader)
        sign_row.addWidget(self.sign_button)
        layout.addLayout(sign_row)
        self.undo_button.clicked.connect(self.editor.undo)
        self.redo_button.clicked.connect(self.editor.redo)
        self.diff_button.toggled.connect(self._toggle_diff)
        self.diff_original_button.toggled.connect(self._toggle_diff)
        self.original_text = ""
        self.sign_button.clicked.connect(self.sign)
        self.export_button.clicked.connect(self._export_dialog)
        self.editor.textChanged.connect(self._on_text_changed)
        self.ask_label = QLabel(ASK_LABEL)
        self.ask_label.setWordWrap(True)
        layout.addWidget(self.ask_label)
        self.history = QTextBrowser()
        layout.addWidget(self.history, 2)
        ask_row = QHBoxLayout()
        self.question = QLineEdit()
        self.question.setPlaceholderText(example_question({}))
        self.ask_button = QPushButton("Ask")
        ask_row.addWidget(self.question)
        ask_row.addWidget(self.ask_button)
        layout.addLayout(ask_row)
        from .voice import PushToTalkKey, VoiceControls, VoiceInput

        self.voice = VoiceInput(self)
        self.voice_controls = VoiceControls(self.voice)
        self.push_to_talk_key = PushToTalkKey(self.voice)
        layout.addWidget(self.voice_controls)
        self.voice.transcribed.connect(self._on_transcribed)
        self.speaker: Any = None  # a speech.tts.Speaker once answers are read aloud
        self.draft_button.clicked.connect(lambda: self.start("draft", ""))
        self.ask_button.clicked.connect(lambda: self._ask())
        self.question.returnPressed.connect(lambda: self._ask())
        # a held spoken question the reader clears is gone: what is typed next is typed, not "spoken, checked"
        self.question.textEdited.connect(lambda text: setattr(self, "_spoken_waiting", self._spoken_waiting and bool(text)))
        self.cancel_button.clicked.connect(self.cancel)
        self.worker_thread = QThread(self)
        from ..inference.registry import selected

        try:
            chosen, variant = selected() if model_dir is None else (model_dir, "")
        except BundleError as exc:  # a damaged model registry: the window opens, on the built-in model, and says why
            chosen, variant = None, ""
            self.model_label.setText(f"Model: {default_model_dir().name} - the chosen model could not be read: {exc}")
            self.model_label.setStyleSheet(f"color: {WARNING_COLOR};")
        self.worker = AiWorker(chosen, variant=variant)
        self.worker.moveToThread(self.worker_thread)
        self.request.connect(self.worker.run)
        self.case.connect(self.worker.set_case)
        self.model_choice.connect(self.worker.set_model)
        self.worker.token.connect(self._on_token)
        self.worker.finished.connect(self._on_finished)
        self.worker.checked.connect(self._on_checked)
        self.worker.failed.connect(self._on_failed)
        self.worker.refused.connect(self._on_refused)
        self.worker.model_ready.connect(self._on_model_ready)
        self.worker_thread.start()
        self.setEnabled(False)

    def set_case(self, opened: Opened) -> None:
        self.cancel()
        self.save_now()
        self.case.emit(opened)
        self.case_key = opened.series.uid if opened.series is not None else opened.title
        first = opened.first_image
        self.case_metadata = dict(first.metadata) if first is not None else {}
        self.report_id = None
        self.original_text = ""
        # the previous patient's word diff must not stay on screen beside this patient's images
        for button in (self.diff_button, self.diff_original_button):
            button.blockSignals(True)
            button.setChecked(False)
            button.blockSignals(False)
        self.diff_original_button.setEnabled(False)
        self.diff_view.clear()
        self.diff_view.setVisible(False)
        self.state_label.setStyleSheet("color: #e0a526;")
        self.editor.setReadOnly(False)
        self.editor.blockSignals(True)
        self.editor.clear()
        self.editor.blockSignals(False)
        self.history.clear()
        self.state_label.setText("")
        self.draft_check_label.setVisible(False)
        self.timing_label.setText("")
        self.timings.clear()
        self.editor.setPlaceholderText("FINDINGS:\nIMPRESSION:")
        self.question.setPlaceholderText(example_question(self.case_metadata, opened.is_volume))
        self.results.clear()
        self.image_checks.clear()
        self.setEnabled(True)
        if self.database is not None:  # earlier questions about this case come back with it
            from ..workflow.reporting import chat_history

            study = study_of(opened)
            for question, answer, check in chat_history(self.database, self.case_key):
                said = "".join(f"<br><i>{html.escape(s)}</i>" for s in header_disagreements(answer, study, "ask"))
                self._add_to_history(f"<p><b>You:</b> {html.escape(question)}</p><p><b>AI:</b> {html.escape(answer)}{said}</p>")
                if check:
                    self._add_to_history(_stored_check_paragraph(check))
            from ..workflow.reporting import latest_signed

            signed = latest_signed(self.database, self.case_key)  # a signed report comes back with its study
            if signed is not None and signed.signed_at is not None:
                self.show_report_text(signed.current_text,
                                      f"Signed by {signed.signed_by} at {signed.signed_at:%Y-%m-%d %H:%M} UTC")

    def show_report_text(self, text: str, state: str) -> None:
        """A signed report (Lightbox's own, or one found in the study as a DICOM SR): read-only,
        with where it comes from."""
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        self.editor.blockSignals(False)
        self.editor.setReadOnly(True)
        self.state_label.setStyleSheet("color: #9be39b;")
        self.state_label.setText(state)

    def _ask(self, spoken: bool = False) -> None:
        text = self.question.text().strip()
        if text and self.busy:  # the question stays in the box, and the reader is told it was not sent
            doing = "drafting the report" if self.busy == "draft" else "answering the last question"
            self.voice_controls.show_status(f"Not sent yet: the model is still {doing}. Press Enter when it has "
                                            "finished, or Cancel it.", warning=True)
            return
        if text:
            self.question.clear()
            source = " (spoken)" if spoken else " (spoken, checked)" if self._spoken_waiting else ""
            if self._spoken_waiting:
                self._spoken_waiting = False
                self.voice_controls.show_status("Sent after checking")
            self._add_to_history(f"<p><b>You{source}:</b> {html.escape(text)}</p>")
            self.start("ask", text)

    def _on_transcribed(self, text: str, to_confirm: list[str]) -> None:
        """A spoken question: into the question box (editable), written as dictation is (sentence
        case, abbreviations in capitals), and sent like a typed one, unless it names a side or a
        negation (:mod:`lightbox.speech.readback`): then it waits with that word selected for the
        reader to check, whatever *Send when released* says."""
        from ..speech.dictation import dictated
        from ..speech.readback import check_sentence

        question = dictated(text)
        self.question.setText(question)
        self.question.setFocus()
        status = self.voice_controls.status
        self._spoken_waiting = bool(to_confirm)
        if to_confirm:
            self._select_word(question, to_confirm[0])
            self.voice_controls.show_status(f"Not sent yet. {check_sentence(tuple(to_confirm))} Correct it if needed; "
                                            "Enter sends it.", warning=True)
        elif self.voice_controls.send_at_once.isChecked():
            self._ask(spoken=True)
        else:
            status.setText(status.text() + " - edit the question and press Enter")

    def _select_word(self, question: str, word: str) -> None:
        """Select ``word`` (a whole word, case aside) in the question box, so that typing replaces it."""
        match = re.search(rf"\b{re.escape(word)}\b", question, flags=re.IGNORECASE)
        if match:
            self.question.setSelection(match.start(), len(match.group()))

    def _read_aloud(self, text: str) -> None:
        from ..speech.tts import Speaker, SpeechOutputUnavailable

        try:
            if self.speaker is None:
                self.speaker = Speaker()
            self.speaker.speak(text)
        except (SpeechOutputUnavailable, OSError) as exc:
            self.voice_controls.status.setText(f"Cannot read the answer aloud: {exc}")

    def start(self, task: str, question: str) -> None:
        if self.busy:
            return
        if self._unchecked is not None:
            self._supersede_check()
        self.busy = task
        # the case and question this request belongs to: the answer may arrive after the reader
        # has opened another case, and must be stored with the one it was asked about
        self._asked = (self.case_key, clean_question(question) if task == "ask" else "")
        if task == "draft":
            self.editor.clear()
            self.state_label.setText(f"{UNREVIEWED} - drafting...")
            self.draft_check_label.setVisible(False)
        self.draft_button.setEnabled(False)
        self.ask_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._check_asked = self.image_check_box.isChecked()
        self.request.emit(task, question, self._check_asked)

    def cancel(self) -> None:
        self.worker.cancel_event.set()

    def use_model(self, folder: Path | None, variant: str = "") -> None:
        """Switch the dock to another model (AI → Model...); it loads on the next request."""
        self.cancel()
        self.model_choice.emit(folder, variant)
        self.model_label.setText(f"Model: {(folder or default_model_dir()).name} {variant}".rstrip() + " - loads on first use")
        self.demo_badge.setVisible(False)
        self.ask_label.setText(ASK_LABEL)  # what the next model declares shows once it loads

    def _on_token(self, task: str, piece: str) -> None:
        if task == "draft":  # answers are short: they appear whole, when finished
            self.editor.insertPlainText(piece)

    def _on_finished(self, task: str, result: GenerationResult) -> None:
        LOG.info("AI %s: %d tokens on %s, first token %.3f s, total %.2f s, %s", task, len(result.token_ids),
                 result.provider, result.time_to_first_token_s, result.total_s, result.stopped)
        # the worker checks the answer when the request asked for it and the answer is worth it;
        # until ``checked`` arrives the panel is idle but for Cancel, which stops the check
        checking = self._check_asked and worth_checking(result)
        chat_id: int | None = None  # the stored answer, which its verdict joins when it arrives
        self._idle()
        self.cancel_button.setEnabled(checking)
        case_key, question = self._asked
        same_case = case_key == self.case_key
        cancelled = result.stopped == "cancelled"
        if task == "draft":
            if same_case:
                self.results[task] = result
                self._show_timing(task, result)
                self.editor.blockSignals(True)
                self.editor.setPlainText(result.text)
                self.editor.blockSignals(False)
                self.state_label.setText(UNREVIEWED + (" (cancelled)" if cancelled else "")
                                         + (f"\n{result.notice}" if result.notice else ""))
            if self.database is not None and (same_case or result.text.strip()):
                from ..workflow.reporting import open_report

                report_id = open_report(self.database, case_key, result.text, self.original_text if same_case else "",
                                        self.model_name, self.model_sha256)
                if same_case:
                    self.report_id = report_id
        else:
            if same_case:
                self.results[task] = result
                self._show_timing(task, result)
                label = " <i>[demo model]</i>" if self.demo_badge.isVisible() else ""
                notice = f"<br><i>{html.escape(result.notice)}</i>" if result.notice else ""
                marks = f"{' (cancelled)' if cancelled else ''}{label}{notice}"
                self._add_to_history(f"<p><b>AI:</b> {html.escape(result.text)}{marks}</p>")
                if self.voice_controls.read_aloud.isChecked() and result.text.strip() and not cancelled:
                    self._read_aloud(result.text)
            if self.database is not None:  # a cancelled answer is kept too, marked, with its question
                from ..workflow.reporting import add_chat

                chat_id = add_chat(self.database, case_key, question, result.text + (" (cancelled)" if cancelled else ""),
                                   self.model_name)
        self._unchecked = PendingCheck(task, result, chat_id) if checking else None
        if not checking:
            self.shown.emit(task, result)
        elif same_case:
            self.timing_label.setText(self.timing_label.text() + "\nChecking against a blank image...")

    def _on_checked(self, task: str, check: ImageCheck) -> None:
        LOG.info("AI %s image check: same %s, %.2f s, %s", task, check.same, check.seconds, check.stopped)
        if self._superseded_checks:  # its answer was handed on when the newer request started
            self._superseded_checks -= 1
            return
        pending, self._unchecked = self._unchecked, None
        if not self.busy:
            self.cancel_button.setEnabled(False)
        if self._asked[0] == self.case_key:
            if pending is not None:
                self._show_timing(task, pending.result)  # drops the "checking" line
            self.image_checks[task] = check
            if task == "draft":
                self.draft_check_label.setStyleSheet(f"color: {_check_colour(check.same)};")
                self.draft_check_label.setText(check.sentence())
                self.draft_check_label.setVisible(True)
            else:
                self._add_to_history(_check_paragraph(check.sentence(), check.same))
        if pending is not None and pending.chat_id is not None and self.database is not None:
            from ..workflow.reporting import record_image_check

            record_image_check(self.database, pending.chat_id, json.dumps(check.to_dict()))
        if pending is not None:
            self.shown.emit(task, pending.result)

    def _supersede_check(self) -> None:
        """A new request while the last answer's image check runs: the check is stopped and its
        verdict not shown (it would land under the new question); the answer stands as shown."""
        assert self._unchecked is not None
        task, result = self._unchecked.task, self._unchecked.result
        self._unchecked = None
        self._superseded_checks += 1
        self.worker.cancel_event.set()  # the worker clears it when it starts the new request
        if self._asked[0] == self.case_key:
            self._show_timing(task, result)
        self.shown.emit(task, result)

    def _show_timing(self, task: str, result: GenerationResult) -> None:
        """One line per kind of request of this case (the draft's and the last question's), each
        naming its request and counting every token it generated: a one-token answer must not
        read as if the whole report were one token."""
        self.timings[task] = timing_text(task, result)
        self.timing_label.setText("\n".join(self.timings[t] for t in ("draft", "ask") if t in self.timings))

    def _on_failed(self, task: str, message: str) -> None:
        self._not_answered(task, "AI unavailable", message)

    def _on_refused(self, task: str, message: str) -> None:
        self._not_answered(task, "Not generated", message)  # the model is there; this request was not for it

    def _add_to_history(self, paragraph: str) -> None:
        """Append to the case's questions and keep the newest in view: QTextEdit follows appended
        text only while its scroll bar sits at the bottom, and its lazy layout left the bar short
        of the bottom after an answer, so later answers and verdicts appeared out of sight."""
        self.history.append(paragraph)
        self.history.moveCursor(QTextCursor.MoveOperation.End)
        self.history.ensureCursorVisible()

    def _not_answered(self, task: str, heading: str, message: str) -> None:
        self._idle()
        self.state_label.setText(f"{heading}: {message}")
        if task == "ask" and self._asked[0] == self.case_key:
            self._add_to_history(f"<p><b>AI:</b> <i>not answered - {html.escape(message)}</i></p>")
        if task == "draft" and self._asked[0] == self.case_key:
            self.editor.setPlaceholderText(message)

    def _on_model_ready(self, name: str, provider: str, demo: bool, sha256: str, follow_ups: bool = True) -> None:
        self.ask_label.setText(ASK_LABEL if follow_ups else ASK_LABEL_SINGLE)
        self.model_label.setText(f"Model: {name}  ·  {provider}")
        self.demo_badge.setVisible(demo)
        self.model_name, self.model_sha256 = name, sha256

    # -- editing, autosave, sign-off, export ----------------------------------------------
    def set_original_report(self, text: str) -> None:
        """The case's original (reference) report, for the diff and the stored report."""
        self.original_text = text.strip()
        self.diff_original_button.setEnabled(bool(self.original_text))
        if self.database is not None and self.report_id is not None:
            from ..workflow.storage import Report

            with self.database.begin() as db:
                db.get(Report, self.report_id).original_text = self.original_text

    def _on_text_changed(self) -> None:
        if self.busy != "draft":
            self.autosave_timer.start()
        if self.diff_button.isChecked() or self.diff_original_button.isChecked():
            self._toggle_diff(True)

    def save_now(self) -> None:
        """Write the editor's text now (autosave calls this; so do case changes and close)."""
        self.autosave_timer.stop()
        if self.database is None or self.editor.isReadOnly():
            return
        from ..workflow.reporting import autosave, open_report

        if self.report_id is None:
            if not self.editor.toPlainText().strip():
                return
            self.report_id = open_report(
                self.database, self.case_key or "(unsaved case)", "", "", self.model_name, self.model_sha256
            )
        autosave(self.database, self.report_id, self.editor.toPlainText())

    def _toggle_diff(self, _on: bool = True) -> None:
        """Word diff of the editor against the AI draft and/or the original report."""
        from ..workflow.reporting import diff_html

        parts = []
        if self.diff_button.isChecked():
            draft = self.results["draft"].text if "draft" in self.results else ""
            parts.append(f"<p><b>vs AI draft:</b> {diff_html(draft, self.editor.toPlainText())}</p>")
        if self.diff_original_button.isChecked() and self.original_text:
            parts.append(f"<p><b>vs original report:</b> {diff_html(self.original_text, self.editor.toPlainText())}</p>")
        self.diff_view.setVisible(bool(parts))
        self.diff_view.setHtml("".join(parts))

    def sign(self) -> bool:
        from ..workflow.reporting import ReportError, sign

        self.save_now()
        if self.database is None or self.report_id is None:
            self.state_label.setText("Nothing to sign yet: draft or type a report first")
            return False
        try:
            signed_at = sign(self.database, self.report_id, self.reader.text())
        except ReportError as exc:
            self.state_label.setText(str(exc))
            return False
        self.editor.setReadOnly(True)
        self.state_label.setStyleSheet("color: #9be39b;")
        self.state_label.setText(f"Signed by {self.reader.text().strip()} at {signed_at:%Y-%m-%d %H:%M} UTC")
        return True

    def has_report(self) -> bool:
        """Whether there is report text to export: drafted, typed or stored (a stored report's text
        is the editor's once saved)."""
        return bool(self.editor.toPlainText().strip())

    def export(self, path: Path, deidentify: bool | None = None) -> Path:
        """Write the report as .txt or .pdf (by the file's suffix), under a header naming the
        patient, the exam and its date. De-identified, the header's identifying fields read [PHI]
        and every identifier of the studies opened in this session (patient's name in any of its
        forms, patient ID, birth date, accession number: PS3.15 Basic Profile attributes) is
        replaced by [PHI] in the text, as the log file does; the reader's own name and the
        sign-off stay. Refused (``NoReport``) when there is no report text: a header over an empty
        body would read as a blank report of this patient's exam, in a file or on the PACS."""
        from ..workflow.reporting import as_text, load, report_header

        if not self.has_report():
            raise NoReport(NO_REPORT)
        self.save_now()
        deidentify = self.deidentify_box.isChecked() if deidentify is None else deidentify
        body = (
            as_text(load(self.database, self.report_id))
            if self.database is not None and self.report_id
            else self.editor.toPlainText()
        )
        if deidentify:  # the header's own labels are not redacted ("Patient" may be part of a registered name)
            body = REDACTOR.redact(body) + "\nDe-identified export (DICOM PS3.15 Basic Profile identifiers removed)"
        # the patient as the image overlay and the study browser name them ("SMITH, ALAN")
        named = {**self.case_metadata, "patient_name": person_name(self.case_metadata.get("patient_name", ""))}
        text = report_header(named, deidentify) + "\n\n" + body
        if self.demo_badge.isVisible():
            text += "\n" + DEMO_LABEL
        path = Path(path)
        if path.suffix.lower() == ".pdf":
            from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument

            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)  # replaced (the save dialog asked): an old file must not pass the check below
            writer = QPdfWriter(str(path))
            writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
            writer.setResolution(150)
            document = QTextDocument()
            document.setPlainText(text)
            document.print_(writer)
            del writer  # the file is complete once the writer is gone
            if not path.is_file() or path.stat().st_size == 0:  # QPdfWriter fails without a word
                raise OSError(f"the PDF could not be written to {path}")
        else:
            path.write_text(text + "\n", encoding="utf-8")
        return path

    def _export_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        if not self.has_report():
            QMessageBox.information(self, "Export report", NO_REPORT)
            return
        from .recent import remember_saved, suggested_save_path

        path, _ = QFileDialog.getSaveFileName(self, "Export report", suggested_save_path("report.pdf"),
                                              "PDF (*.pdf);;Text (*.txt)")
        if path:
            try:
                self.export(Path(path))
            except OSError as exc:  # a folder that cannot be written: said, and the report stays as it is
                QMessageBox.warning(self, "Export report", f"Not exported: {exc.strerror or exc}\n{path}")
                return
            remember_saved(Path(path))

    def _idle(self) -> None:
        self.busy = ""
        self.draft_button.setEnabled(True)
        self.ask_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        self.save_now()
        self.cancel()
        self.voice.shutdown()
        if self.speaker is not None:
            self.speaker.stop()
        self.worker_thread.quit()
        self.worker_thread.wait(10000)
