"""The rating screen of a blinded evaluation session (Med-Gemini / Flamingo-CXR style).

Left: the case's images in the viewer (W/L, zoom, scroll; a study, not only a film). Right:
reports A and B side by side in large type, both in one normalised presentation
(:func:`~lightbox.workflow.evaluation.presented`), then, for each report separately, whether it
is clinically acceptable and its errors (the papers' categories, each clinically significant or
not; a missed finding is recorded with a note, without selecting text), then which report is
better (A / equivalent / B) with a reason.

Keyboard-first: 1/2/3 preference; Alt+1 / Alt+2 report A acceptable yes / no, Alt+3 / Alt+4
report B yes / no; Alt+C next error category, Alt+S clinically significant, Alt+A / Alt+B the report
a missed finding belongs to, Alt+N the note; E or Alt+E adds the error (the selected passage, or a
missed finding with its note), Delete in the list of errors removes one; Ctrl+Enter submits.
Every answer is committed when submitted; leaving and coming back resumes at the first unanswered
case, with what was already chosen and typed on it (saved as it is given). Nothing on screen says
which report is the AI's, nor names the case, its files or the patient: the viewer's overlays show
the modality only.
"""
from __future__ import annotations

import dataclasses
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from ..inference.models import DEMO_MODEL_NAME
from ..workflow.evaluation import (
    ERROR_CATEGORIES,
    MISSED,
    PREFERENCES,
    BlindedCase,
    ErrorInput,
    EvaluationError,
    Rating,
    answer_draft,
    drafting_model,
    join,
    mark_unblinded,
    next_case,
    previous_answered,
    progress,
    save_answer_draft,
    submit,
)
from ..workflow.unavailable import driver_reason
from .compose import DEMO_PATHS, Opened, open_path
from .theme import DEMO_BADGE_STYLE
from .viewer_area import ViewerArea

REPORT_FONT_POINTS = 13


# What the rating screen's overlays keep of a header: how the image was taken, never whose it is
# (PS3.15's technical attributes). The film's edge letters come from Patient Orientation: without
# them a rater could not tell a left from a right finding, an error category the study scores.
READING_KEYS = ("modality", "view_position", "laterality", "patient_orientation", "lossy")


def anonymous(opened: Opened) -> Opened:
    """The image set with its header text reduced to how it was taken (modality, view, side,
    orientation letters, lossy compression): no file name, description, patient or date reaches
    the rating screen's overlays."""
    def scrub(image):
        kept = {key: image.metadata[key] for key in READING_KEYS if image.metadata.get(key)}
        return dataclasses.replace(image, metadata={"modality": image.modality, **kept})

    return Opened("", volume=scrub(opened.volume) if opened.volume is not None else None,
                  films=[scrub(f) for f in opened.films], series=None, is_demo=opened.is_demo)


ANSWER_RESTORED = "(your answer so far was kept: go on from there)"
ANSWER_NOT_RESTORED = "(an answer begun earlier could not be read back: please answer again)"
DRAFT_SAVE_DELAY_MS = 400  # after the last change: one write per pause, not per key
# said instead of the case's images; never why (the reason names files, which can name the source)
IMAGES_UNAVAILABLE = "(images unavailable: rate from the reports, and tell the study lead)"
AMENDING = "your submitted answer: change it and submit again, or go on with Alt+Right"
AMENDING_CHANGES = "(your changes to it were kept, not yet submitted)"
SUBMIT_TEXT, RESUBMIT_TEXT = "Submit and next (Ctrl+Enter)", "Submit changed answer and next (Ctrl+Enter)"
DEMO_SESSION_NOTICE = ("Research evaluation - NOT for clinical use: reports in this session may be drafted by "
                       "Lightbox's demo model.")


class RatingWindow(QMainWindow):
    def __init__(self, factory, session_name: str, rater: str, show_images: bool = True) -> None:
        super().__init__()
        self.factory, self.session_name, self.rater = factory, session_name, rater
        self.show_images = show_images
        join(factory, session_name, rater)  # refuses a rater not declared for the session
        self.case: BlindedCase | None = None
        self.marks: list[ErrorInput] = []
        self.started = time.monotonic()
        self.setWindowTitle(f"Lightbox evaluation - {session_name} - rater {rater}")
        self.resize(1600, 950)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.area = ViewerArea(splitter)
        right = QWidget(splitter)
        splitter.addWidget(self.area)
        splitter.addWidget(right)
        splitter.setSizes([700, 900])
        self.setCentralWidget(splitter)
        layout = QVBoxLayout(right)
        self.progress_label = QLabel("")
        self.progress_label.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.progress_label)
        # The demo model's text is labelled wherever it appears (README): here once for the session,
        # the same on every case and for both reports, so it says nothing of which one it drafted
        self.demo_notice: QLabel | None = None
        if drafting_model(factory, session_name)[0] == DEMO_MODEL_NAME:
            self.demo_notice = QLabel(DEMO_SESSION_NOTICE)
            self.demo_notice.setWordWrap(True)
            self.demo_notice.setStyleSheet(DEMO_BADGE_STYLE)
            layout.addWidget(self.demo_notice)
        reports = QHBoxLayout()
        self.report_a, self.report_b = QTextEdit(), QTextEdit()
        self.acceptable: dict[str, QButtonGroup] = {}
        for n, (side, editor) in enumerate((("A", self.report_a), ("B", self.report_b))):
            box = QVBoxLayout()
            label = QLabel(f"Report {side}")
            label.setStyleSheet("font-size: 15pt; font-weight: bold;")
            box.addWidget(label)
            editor.setReadOnly(True)
            font = editor.font()
            font.setPointSize(REPORT_FONT_POINTS)
            editor.setFont(font)
            box.addWidget(editor)
            row = QHBoxLayout()
            row.addWidget(QLabel(f"Report {side} clinically acceptable?"))
            group = QButtonGroup(self)
            for value, (text, key) in enumerate(((f"Yes (Alt+{2 * n + 1})", 2 * n + 1), (f"No (Alt+{2 * n + 2})", 2 * n + 2))):
                button = QRadioButton(text)
                button.setToolTip(f"Could report {side} be signed as it is, or with edits a reader would accept?")
                group.addButton(button, 1 - value)  # id 1 = acceptable, 0 = not
                row.addWidget(button)
                QShortcut(QKeySequence(f"Alt+{key}"), self).activated.connect(button.click)
            self.acceptable[side] = group
            box.addLayout(row)
            reports.addLayout(box)
        layout.addLayout(reports, 3)
        # Error marks, per report: a selected passage, or a missed finding with a note.
        marks = QHBoxLayout()
        self.mark_report = QComboBox()
        self.mark_report.addItems(["Report A", "Report B"])
        self.mark_report.setToolTip("The report a missed finding belongs to (a selected passage says it by itself)")
        self.category = QComboBox()
        self.category.addItems(ERROR_CATEGORIES)
        self.significant = QCheckBox("clinically significant")
        self.note = QLineEdit()
        self.note.setPlaceholderText("what was missed / comment")
        self.mark_button = QPushButton("Add error (E / Alt+E)")
        self.mark_button.clicked.connect(self.mark_selection)
        QShortcut(QKeySequence("E"), self).activated.connect(self.mark_selection)
        # the same from anywhere, the reason box included (a plain letter types there)
        for keys, slot in (("Alt+E", self.mark_selection), ("Alt+C", self.next_category), ("Alt+S", self.significant.toggle),
                           ("Alt+A", lambda: self.mark_report.setCurrentIndex(0)),
                           ("Alt+B", lambda: self.mark_report.setCurrentIndex(1)), ("Alt+N", self.note.setFocus)):
            QShortcut(QKeySequence(keys), self).activated.connect(slot)
        for widget in (self.mark_report, self.category, self.significant, self.note, self.mark_button):
            marks.addWidget(widget)
        layout.addLayout(marks)
        layout.addWidget(QLabel("Errors: select a passage in A or B, or describe a missed finding; choose the category; press E "
                                 "(Delete in the list removes one)"))
        self.mark_list = QListWidget()
        self.mark_list.setMaximumHeight(90)
        self.mark_list.setToolTip("Delete removes the selected error")
        # a mark added by mistake is taken back, not submitted as the rater's judgement
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.mark_list, self.remove_selected_mark,
                  context=Qt.ShortcutContext.WidgetShortcut)
        layout.addWidget(self.mark_list)
        # Preference, then the reason.
        grid = QGridLayout()
        grid.addWidget(QLabel("Which report is better?"), 0, 0)
        self.preference = QButtonGroup(self)
        for n, (text, choice) in enumerate((("A better (1)", "A"), ("Equivalent (2)", "equivalent"), ("B better (3)", "B"))):
            button = QRadioButton(text)
            button.setProperty("value", choice)
            self.preference.addButton(button, n)
            grid.addWidget(button, 0, n + 1)
            QShortcut(QKeySequence(str(n + 1)), self).activated.connect(button.click)
        grid.addWidget(QLabel("Reason"), 1, 0)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why? (required)")
        # Keyboard-first: after 1/2/3 the reason is typed at once; Alt+1..4 and Ctrl+Enter still work there.
        self.preference.buttonClicked.connect(lambda _button: self.reason.setFocus())
        grid.addWidget(self.reason, 1, 1, 1, 3)
        layout.addLayout(grid)
        self.corrected = QPlainTextEdit()
        self.corrected.setPlaceholderText("Optional: corrected text")
        self.corrected.setMaximumHeight(90)
        layout.addWidget(self.corrected)
        self.results_button = QPushButton("Show session results")
        self.results_button.setVisible(False)
        self.results_button.clicked.connect(self.show_results)
        layout.addWidget(self.results_button)
        # A rater can go back over the cases they rated and change an answer (a wrong key, a
        # second thought) until they see the session's results; the answer replaced is kept.
        moves = QHBoxLayout()
        self.previous_button = QPushButton("< Previous rated case (Alt+Left)")
        self.previous_button.setToolTip("Look at the case you rated before this one again, and change your answer if you wish")
        self.previous_button.clicked.connect(self.load_previous)
        self.unrated_button = QPushButton("Next unrated case (Alt+Right)")
        self.unrated_button.setToolTip("Leave this case as it is and go on to the first case you have not rated")
        self.unrated_button.clicked.connect(self.load_next)
        QShortcut(QKeySequence("Alt+Left"), self).activated.connect(self.load_previous)
        QShortcut(QKeySequence("Alt+Right"), self).activated.connect(self.load_next)
        moves.addWidget(self.previous_button)
        moves.addWidget(self.unrated_button)
        self.submit_button = QPushButton(SUBMIT_TEXT)
        self.submit_button.clicked.connect(self.submit)
        QShortcut(QKeySequence("Ctrl+Return"), self).activated.connect(self.submit)
        moves.addWidget(self.submit_button, 2)
        layout.addLayout(moves)
        self.amending = False  # the case shown is one the rater has already submitted
        # the answer so far is saved a moment after each change (and on closing), until it is submitted
        self.quiet = False  # True while the window itself fills or clears the answer
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(DRAFT_SAVE_DELAY_MS)
        self.draft_timer.timeout.connect(self.save_draft)
        for group in (self.preference, *self.acceptable.values()):
            group.idToggled.connect(self._answer_changed)
        for line in (self.reason, self.note):
            line.textChanged.connect(self._answer_changed)
        self.corrected.textChanged.connect(self._answer_changed)
        self.load_next()

    # -- flow -----------------------------------------------------------------------------
    def load_next(self) -> None:
        """The first case in the rater's order they have not rated (or the end of the session)."""
        self._leave_case()
        self.case = next_case(self.factory, self.session_name, self.rater)
        done, total = progress(self.factory, self.session_name, self.rater)
        self._clear_answers()
        self._set_amending(False)
        if self.case is None:
            self.progress_label.setText(f"All {total} cases rated - thank you. You may close this window.")
            self.report_a.clear()
            self.report_b.clear()
            self.area.clear()
            self.submit_button.setEnabled(False)
            self.results_button.setVisible(True)  # origins are shown only once every case is rated
            return
        self._show_case(self.case, f"Case {done + 1} of {total}")  # never the case's name: it can carry the source

    def load_previous(self) -> bool:
        """The case rated before the one shown, with the answer given, to look at again and amend."""
        self._leave_case()
        try:
            found = previous_answered(self.factory, self.session_name, self.rater,
                                      self.case.case_id if self.case is not None else None)
        except EvaluationError as exc:
            QMessageBox.information(self, "Answers are final", str(exc)[:1].upper() + str(exc)[1:] + ".")
            return False
        except SQLAlchemyError as exc:
            QMessageBox.warning(self, "Case not opened", f"The database cannot be reached ({driver_reason(exc)}).")
            return False
        if found is None:
            self.statusBar().showMessage("There is no case you rated before this one", 5000)
            return False
        self.case, submitted = found
        self._clear_answers()
        self._set_amending(True)
        self.submit_button.setEnabled(True)
        self._show_case(self.case, f"Case {self.case.number} of {self.case.total}: {AMENDING}", submitted)
        return True

    def _leave_case(self) -> None:
        """Before another case is shown: what was changed on this one is saved, not lost."""
        if self.draft_timer.isActive():
            self.save_draft()

    def _set_amending(self, on: bool) -> None:
        self.amending = on
        self.submit_button.setText(RESUBMIT_TEXT if on else SUBMIT_TEXT)

    def _show_case(self, case: BlindedCase, label: str, submitted: Rating | None = None) -> None:
        """Show ``case``'s reports and images with the answer given so far: a saved unsubmitted
        answer if there is one, else the submitted one (``submitted``), else none."""
        self.progress_label.setText(label)
        self.report_a.setPlainText(case.report_a)
        self.report_b.setPlainText(case.report_b)
        self.started = time.monotonic()
        saved = answer_draft(self.factory, self.session_name, self.rater, case.case_id)
        note = ""
        if saved is not None:
            try:
                self._restore(saved)
                note = AMENDING_CHANGES if submitted is not None else ANSWER_RESTORED
            except (TypeError, ValueError, KeyError, AttributeError):  # saved by another version, or damaged
                self._clear_answers()
                saved, note = None, ANSWER_NOT_RESTORED
        if submitted is not None and saved is None:
            self._restore(self._fields_of(submitted))
        if note:
            self.progress_label.setText(f"{label}  {note}")
        self.report_a.setFocus()  # read-only: 1/2/3 reach the window's shortcuts
        if self.show_images:
            self._show_images(case)

    @staticmethod
    def _fields_of(rating: Rating) -> dict[str, object]:
        """A submitted answer in the form a saved draft has (ids of the window's buttons)."""
        return {"preference": PREFERENCES.index(rating.preference),  # the buttons' ids follow this order
                "acceptable": {"A": int(rating.acceptable_a), "B": int(rating.acceptable_b)},
                "reason": rating.reason, "note": "", "corrected": rating.corrected_text,
                "marks": [dataclasses.asdict(mark) for mark in rating.errors], "seconds": rating.seconds}

    # -- the answer so far ----------------------------------------------------------------------
    def _answer_changed(self, *_args: object) -> None:
        if not self.quiet and self.case is not None:
            self.draft_timer.start()

    def draft_fields(self) -> dict[str, object]:
        """What the rater has chosen and typed on this case, as JSON (ids: -1 for nothing chosen)."""
        return {"preference": self.preference.checkedId(),
                "acceptable": {side: group.checkedId() for side, group in self.acceptable.items()},
                "reason": self.reason.text(), "note": self.note.text(), "corrected": self.corrected.toPlainText(),
                "marks": [dataclasses.asdict(mark) for mark in self.marks],
                "seconds": round(time.monotonic() - self.started, 3)}

    def save_draft(self) -> None:
        self.draft_timer.stop()
        if self.case is None:
            return
        try:
            save_answer_draft(self.factory, self.session_name, self.rater, self.case.case_id, self.draft_fields())
        except Exception as exc:  # noqa: BLE001 - the database went away: the rater must know, not lose the window
            self.statusBar().showMessage(f"Your answer so far could not be saved ({exc}); it is kept in this window", 0)

    def _restore(self, saved: dict) -> None:
        """Put a saved answer back as it was given: choices, texts, error marks, time spent."""
        self.quiet = True
        try:
            for group, chosen in ((self.preference, saved.get("preference", -1)),
                                  *((self.acceptable[side], saved.get("acceptable", {}).get(side, -1)) for side in ("A", "B"))):
                button = group.button(int(chosen))
                if button is not None:
                    button.setChecked(True)
            self.reason.setText(str(saved.get("reason", "")))
            self.note.setText(str(saved.get("note", "")))
            self.corrected.setPlainText(str(saved.get("corrected", "")))
            for fields in saved.get("marks", []):
                self._add_mark(ErrorInput(**fields))
            self.started -= float(saved.get("seconds", 0.0))  # the time already spent on the case counts
        finally:
            self.quiet = False

    def _show_images(self, case: BlindedCase) -> None:
        from pathlib import Path

        target = case.study_path or (case.image_paths[0] if case.image_paths else "")
        try:
            if not target or not (target in DEMO_PATHS or Path(target).exists()):
                raise FileNotFoundError(target)
            opened, _ = open_path(target)
            self.area.show_opened(anonymous(opened))
        except Exception:  # noqa: BLE001 - a case without images can still be rated; the reason names files
            self.area.clear()  # the last case's images must not stay beside this case's reports
            self.progress_label.setText(self.progress_label.text() + f"  {IMAGES_UNAVAILABLE}")

    def _clear_answers(self) -> None:
        """An empty answer, set by the window: nothing here is saved as the rater's."""
        self.quiet = True
        try:
            for group in (self.preference, *self.acceptable.values()):
                group.setExclusive(False)
                for button in group.buttons():
                    button.setChecked(False)
                group.setExclusive(True)
            self.reason.clear()
            self.corrected.clear()
            self.note.clear()
            self.marks = []
            self.mark_list.clear()
            self.significant.setChecked(False)
        finally:
            self.quiet = False

    def next_category(self) -> None:
        self.category.setCurrentIndex((self.category.currentIndex() + 1) % self.category.count())

    def mark_selection(self) -> bool:
        """Add an error: on the passage selected in A or B, or (nothing selected) a missed finding
        or a comment on the report chosen in the list, described by the note."""
        note = self.note.text().strip()
        for side, editor in (("A", self.report_a), ("B", self.report_b)):
            cursor = editor.textCursor()
            if cursor.hasSelection():
                start, end = cursor.selectionStart(), cursor.selectionEnd()
                self._add_mark(ErrorInput(side, start, end, self.category.currentText(), self.significant.isChecked(), note))
                self._answer_changed()
                cursor.clearSelection()
                editor.setTextCursor(cursor)
                return True
        side = "A" if self.mark_report.currentIndex() == 0 else "B"
        category = self.category.currentText()
        if category != MISSED and not note:
            QMessageBox.information(self, "Nothing to mark",
                                    "Select a passage in report A or B, or choose 'missed finding' (or write a note) to record "
                                    "an error without a passage.")
            return False
        self._add_mark(ErrorInput(side, None, None, category, self.significant.isChecked(), note))
        self.note.clear()
        self._answer_changed()
        return True

    def remove_selected_mark(self) -> bool:
        row = self.mark_list.currentRow()
        if not 0 <= row < len(self.marks):
            return False
        del self.marks[row]
        self.mark_list.takeItem(row)
        self._answer_changed()
        return True

    def _add_mark(self, mark: ErrorInput) -> None:
        """Keep ``mark`` and list it: its passage as the report shows it, or its note."""
        self.marks.append(mark)
        if mark.start is not None and mark.end is not None:
            editor = self.report_a if mark.report == "A" else self.report_b
            what = f'"{editor.toPlainText()[mark.start:mark.end]}"'
        else:
            what = f"({mark.note or 'not described'})"
        self.mark_list.addItem(f"{mark.report}: {mark.category} {what}{' - clinically significant' if mark.significant else ''}")

    def submit(self) -> bool:
        if self.case is None:
            return False
        self.draft_timer.stop()  # the answer replaces what was saved of it
        button = self.preference.checkedButton()
        try:
            for side, group in self.acceptable.items():
                if group.checkedId() < 0:
                    raise EvaluationError(f"say whether report {side} is clinically acceptable "
                                          f"(Alt+{1 if side == 'A' else 3} yes, Alt+{2 if side == 'A' else 4} no)")
            if button is None:
                raise EvaluationError("choose which report is better (1, 2 or 3)")
            rating = Rating(button.property("value"), self.reason.text(), self.acceptable["A"].checkedId() == 1,
                            self.acceptable["B"].checkedId() == 1, list(self.marks), self.corrected.toPlainText(),
                            time.monotonic() - self.started)
            submit(self.factory, self.session_name, self.rater, self.case.case_id, rating)
        except EvaluationError as exc:
            QMessageBox.warning(self, "Answer not saved", str(exc))
            return False
        except SQLAlchemyError as exc:  # the database went away (a server down, a share gone): said, answer kept
            QMessageBox.warning(self, "Answer not saved", f"The database cannot be reached ({driver_reason(exc)}). "
                                "Your answer is still on the screen: submit it again when the database is back.")
            return False
        self.load_next()
        return True

    def show_results(self):
        from .results_dialog import ResultsDialog

        # the results say which report was the AI's: from here on this rater's answers are final
        mark_unblinded(self.factory, self.session_name, self.rater)
        self.previous_button.setEnabled(False)
        self.previous_button.setToolTip("Your answers are final: you have seen the session's results")

        self.results_dialog = ResultsDialog(self.factory, self.session_name, self)
        self.results_dialog.show()
        return self.results_dialog

    def grab_composite(self):
        from .screenshots import grab_with_viewports

        return grab_with_viewports(self, self.area.viewports)

    def visible_texts(self) -> list[str]:
        """Every text a rater can read in this window (for the blinding check): widgets' texts,
        tooltips, accessible names, and the viewer's overlay texts."""
        texts = [self.windowTitle()]
        for viewport in self.area.viewports:
            corners = getattr(viewport.scene, "corners", None)
            if corners is not None:
                texts += [t for t in corners.texts.values() if t]
        for widget in self.findChildren(QWidget):
            for getter in ("text", "toPlainText", "placeholderText", "toolTip", "windowTitle", "currentText", "accessibleName",
                           "accessibleDescription", "statusTip", "whatsThis"):
                value = getattr(widget, getter, None)
                if callable(value):
                    try:
                        v = value()
                    except TypeError:
                        continue
                    if isinstance(v, str) and v:
                        texts.append(v)
        return texts

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.draft_timer.isActive():  # a change not saved yet
            self.save_draft()
        for widget in self.area.viewports:
            widget.set_scene(None)
            widget.Finalize()
        super().closeEvent(event)
