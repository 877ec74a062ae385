"""The rating screen of a blinded evaluation session (Med-Gemini / Flamingo-CXR style).

Left: the case's images in a viewer. Right: reports A and B side by side in large type, then the
rater's answers — which is better (A / equivalent / B) with a reason, error marks on selected
passages (category, clinically significant), an optional corrected text, and a 1-5
acceptability score. Keyboard-first: 1/2/3 preference, Alt+1..5 acceptability, E marks the
selected passage, Ctrl+Enter submits. Every answer is committed when submitted; leaving and
coming back resumes at the first unanswered case. Nothing on screen says which report is the AI's.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
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

from ..workflow.evaluation import (
    ERROR_CATEGORIES,
    BlindedCase,
    ErrorInput,
    EvaluationError,
    join,
    next_case,
    progress,
    submit,
)
from .compose import open_path
from .viewer_area import ViewerArea

REPORT_FONT_POINTS = 13


class RatingWindow(QMainWindow):
    def __init__(self, factory, session_name: str, rater: str, show_images: bool = True) -> None:
        super().__init__()
        self.factory, self.session_name, self.rater = factory, session_name, rater
        self.show_images = show_images
        join(factory, session_name, rater)
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
        reports = QHBoxLayout()
        self.report_a, self.report_b = QTextEdit(), QTextEdit()
        for title, editor in (("Report A", self.report_a), ("Report B", self.report_b)):
            box = QVBoxLayout()
            label = QLabel(title)
            label.setStyleSheet("font-size: 15pt; font-weight: bold;")
            box.addWidget(label)
            editor.setReadOnly(True)
            font = editor.font()
            font.setPointSize(REPORT_FONT_POINTS)
            editor.setFont(font)
            box.addWidget(editor)
            reports.addLayout(box)
        layout.addLayout(reports, 3)
        # Preference.
        grid = QGridLayout()
        grid.addWidget(QLabel("Which report is better?"), 0, 0)
        self.preference = QButtonGroup(self)
        for n, (text, value) in enumerate((("A better (1)", "A"), ("Equivalent (2)", "equivalent"), ("B better (3)", "B"))):
            button = QRadioButton(text)
            button.setProperty("value", value)
            self.preference.addButton(button, n)
            grid.addWidget(button, 0, n + 1)
            QShortcut(QKeySequence(str(n + 1)), self, activated=button.click)

        grid.addWidget(QLabel("Reason"), 1, 0)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why? (required)")
        # Keyboard-first: after 1/2/3 the reason is typed at once; Alt+1..5 and Ctrl+Enter still work there.
        self.preference.buttonClicked.connect(lambda _button: self.reason.setFocus())
        grid.addWidget(self.reason, 1, 1, 1, 3)
        grid.addWidget(QLabel("Acceptability (1-5)"), 2, 0)
        self.acceptability = QButtonGroup(self)
        row = QHBoxLayout()
        for score in range(1, 6):
            button = QRadioButton(str(score))
            self.acceptability.addButton(button, score)
            row.addWidget(button)
            QShortcut(QKeySequence(f"Alt+{score}"), self, activated=button.click)
        grid.addLayout(row, 2, 1, 1, 3)
        layout.addLayout(grid)
        # Error marks on a selected passage of either report.
        marks = QHBoxLayout()
        self.category = QComboBox()
        self.category.addItems(ERROR_CATEGORIES)
        self.significant = QCheckBox("clinically significant")
        self.mark_button = QPushButton("Mark selected passage as error (E)")
        self.mark_button.clicked.connect(self.mark_selection)
        QShortcut(QKeySequence("E"), self, activated=self.mark_selection)
        marks.addWidget(self.category)
        marks.addWidget(self.significant)
        marks.addWidget(self.mark_button)
        layout.addLayout(marks)
        layout.addWidget(QLabel("Error marks (select a passage in A or B, choose a category, press E)"))
        self.mark_list = QListWidget()
        self.mark_list.setMaximumHeight(90)
        layout.addWidget(self.mark_list)
        self.corrected = QPlainTextEdit()
        self.corrected.setPlaceholderText("Optional: corrected text")
        self.corrected.setMaximumHeight(90)
        layout.addWidget(self.corrected)
        self.results_button = QPushButton("Show session results")
        self.results_button.setVisible(False)
        self.results_button.clicked.connect(self.show_results)
        layout.addWidget(self.results_button)
        self.submit_button = QPushButton("Submit and next (Ctrl+Enter)")
        self.submit_button.clicked.connect(self.submit)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.submit)
        layout.addWidget(self.submit_button)
        self.load_next()

    # -- flow -----------------------------------------------------------------------------
    def load_next(self) -> None:
        self.case = next_case(self.factory, self.session_name, self.rater)
        done, total = progress(self.factory, self.session_name, self.rater)
        self._clear_answers()
        if self.case is None:
            self.progress_label.setText(f"All {total} cases rated - thank you. You may close this window.")
            self.report_a.clear()
            self.report_b.clear()
            self.submit_button.setEnabled(False)
            self.results_button.setVisible(True)  # origins are shown only once every case is rated
            return
        self.progress_label.setText(f"Case {done + 1} of {total}  ({self.case.case_key})")
        self.report_a.setPlainText(self.case.report_a)
        self.report_b.setPlainText(self.case.report_b)
        self.started = time.monotonic()
        self.report_a.setFocus()  # read-only: 1/2/3 reach the window's shortcuts
        if self.show_images:
            self._show_images(self.case)

    def _show_images(self, case: BlindedCase) -> None:
        target = case.study_path or (case.image_paths[0] if case.image_paths else "")
        if not target or not (target.startswith("demo") or Path(target).exists()):
            return
        try:
            opened, _ = open_path(target)
            self.area.show_opened(opened)
        except Exception as exc:  # noqa: BLE001 - a case without images can still be rated
            self.progress_label.setText(self.progress_label.text() + f"  (images unavailable: {exc})")

    def _clear_answers(self) -> None:
        for group in (self.preference, self.acceptability):
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)
        self.reason.clear()
        self.corrected.clear()
        self.marks = []
        self.mark_list.clear()
        self.significant.setChecked(False)

    def mark_selection(self) -> None:
        for side, editor in (("A", self.report_a), ("B", self.report_b)):
            cursor = editor.textCursor()
            if cursor.hasSelection():
                start, end = cursor.selectionStart(), cursor.selectionEnd()
                mark = ErrorInput(side, start, end, self.category.currentText(), self.significant.isChecked())
                self.marks.append(mark)
                passage = editor.toPlainText()[start:end]
                self.mark_list.addItem(f"{side}: \"{passage}\" - {mark.category}{' (significant)' if mark.significant else ''}")
                cursor.clearSelection()
                editor.setTextCursor(cursor)
                return

    def submit(self) -> bool:
        if self.case is None:
            return False
        button = self.preference.checkedButton()
        score = self.acceptability.checkedId()
        try:
            if button is None:
                raise EvaluationError("choose which report is better (1, 2 or 3)")
            if score < 1:
                raise EvaluationError("give an acceptability score (Alt+1 to Alt+5)")
            submit(self.factory, self.session_name, self.rater, self.case.case_id, button.property("value"),
                   self.reason.text(), score, self.marks, self.corrected.toPlainText(), time.monotonic() - self.started)
        except EvaluationError as exc:
            QMessageBox.warning(self, "Answer not saved", str(exc))
            return False
        self.load_next()
        return True

    def show_results(self):
        from .results_dialog import ResultsDialog

        self.results_dialog = ResultsDialog(self.factory, self.session_name, self)
        self.results_dialog.show()
        return self.results_dialog

    def grab_composite(self):
        from .screenshots import grab_with_viewports

        return grab_with_viewports(self, self.area.viewports)

    def visible_texts(self) -> list[str]:
        """Every text a rater can read in this window (for the blinding check)."""
        texts = [self.windowTitle()]
        for widget in self.findChildren(QWidget):
            for getter in ("text", "toPlainText", "placeholderText", "toolTip", "windowTitle", "currentText"):
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
        for widget in self.area.viewports:
            widget.set_scene(None)
            widget.Finalize()
        super().closeEvent(event)
