"""The main window's Evaluation menu: a study lead creates a session (from a case list, or from a
folder of studies plus a reports CSV), manages raters and watches progress; a rater opens the
rating screen; anyone opens the results once they are in. The dialogs call the same functions
as ``lightbox eval ...`` (:mod:`.eval_setup`, :mod:`..workflow.evaluation`)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from ..workflow.evaluation import (
    EvaluationError,
    change_raters,
    mark_unblinded,
    progress_line,
    rater_status,
    session_names,
    still_rating,
)


def _browse_row(edit: QLineEdit, pick) -> QHBoxLayout:
    # a layout, not a widget: a widget row took the dialog's spare height and sat its box below
    # the label ("Case list (CSV or JSON)")
    layout = QHBoxLayout()
    layout.addWidget(edit)
    button = QPushButton("Browse...")
    def browse() -> None:
        path = pick()
        if path:
            edit.setText(path)

    button.clicked.connect(browse)
    layout.addWidget(button)
    return layout


class NewSessionDialog(QDialog):
    """Create a session: a case list, or a folder of studies plus a reports CSV; a name; raters.
    Everything is checked first: a bad list creates nothing and every bad row is listed."""

    def __init__(self, factory, parent: QWidget | None = None, from_folder: bool = False) -> None:
        super().__init__(parent)
        self.factory, self.from_folder = factory, from_folder
        self.setWindowTitle("New evaluation session" + (" from a folder of studies" if from_folder else ""))
        form = QFormLayout(self)
        self.case_list, self.folder, self.reports = QLineEdit(), QLineEdit(), QLineEdit()
        if from_folder:
            form.addRow("Folder of studies", _browse_row(self.folder, lambda: QFileDialog.getExistingDirectory(self, "Studies")))
            form.addRow("Reports CSV (study, original_report, ...)", _browse_row(
                self.reports, lambda: QFileDialog.getOpenFileName(self, "Reports CSV", "", "Tables (*.csv *.tsv *.txt)")[0]))
        else:
            form.addRow("Case list (CSV or JSON)", _browse_row(self.case_list, lambda: QFileDialog.getOpenFileName(
                self, "Case list", "", "Case lists (*.csv *.tsv *.txt *.json)")[0]))
        self.name = QLineEdit()
        self.raters = QLineEdit()
        self.raters.setPlaceholderText("comma-separated, e.g. dr_a, dr_b")
        form.addRow("Session name", self.name)
        form.addRow("Raters", self.raters)
        self.message = QPlainTextEdit()
        self.message.setReadOnly(True)
        self.message.setMaximumHeight(140)
        form.addRow(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.create_session)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.resize(640, 320)

    def create_session(self) -> bool:
        from .eval_setup import case_list_file, case_list_from_folder, create_from_case_list

        raters = [r.strip() for r in self.raters.text().split(",") if r.strip()]
        try:
            if self.from_folder:
                folder, reports = Path(self.folder.text().strip()), Path(self.reports.text().strip())
                if not folder.is_dir() or not reports.is_file():
                    raise EvaluationError("choose the folder of studies and the reports CSV")
                case_list = case_list_from_folder(folder, reports, case_list_file(self.name.text()))
            else:
                case_list = Path(self.case_list.text().strip())
            _, count = create_from_case_list(self.factory, case_list, self.name.text().strip(), raters)
        except EvaluationError as exc:
            self.message.setPlainText(f"Nothing was created.\n{exc}")
            return False
        self.created = (self.name.text().strip(), count)
        self.accept()
        return True


class SessionPicker(QDialog):
    """Choose a session (and, for rating, one of its declared raters)."""

    def __init__(self, factory, title: str, with_rater: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.factory = factory
        self.setWindowTitle(title)
        form = QFormLayout(self)
        self.session = QComboBox()
        self.session.addItems(session_names(factory))
        form.addRow("Session", self.session)
        self.rater = QComboBox()
        if with_rater:
            form.addRow("Rater", self.rater)
            self.session.currentTextChanged.connect(self._fill_raters)
            self._fill_raters(self.session.currentText())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _fill_raters(self, session: str) -> None:
        self.rater.clear()
        if session:
            self.rater.addItems(sorted(rater_status(self.factory, session)))


STUDY_LEAD = "the study lead (not a rater)"


class ResultsPicker(SessionPicker):
    """Choose a session and say who is looking at its results. The results say which report was
    the AI's: a rater who sees them is unblinded, and their answers become final (as after the
    rating window's Results); raters still rating are named, so the lead does not show them."""

    def __init__(self, factory, parent: QWidget | None = None) -> None:
        super().__init__(factory, "Results", False, parent)
        form = self.layout()
        assert isinstance(form, QFormLayout)
        self.looking = QComboBox()
        self.still_rating = QLabel("")
        self.still_rating.setWordWrap(True)
        form.insertRow(1, "Who is looking", self.looking)
        form.insertRow(2, self.still_rating)
        self.session.currentTextChanged.connect(self._fill_lookers)
        self._fill_lookers(self.session.currentText())

    def _fill_lookers(self, session: str) -> None:
        self.looking.clear()
        self.looking.addItem(STUDY_LEAD)
        if not session:
            return
        status = rater_status(self.factory, session)
        self.looking.addItems(sorted(status))
        self.still_rating.setText(still_rating(status))

    def looker(self) -> str:
        """The rater looking, or "" for the study lead."""
        chosen = self.looking.currentText()
        return "" if chosen == STUDY_LEAD else chosen


class ProgressDialog(QDialog):
    """The study lead's view: answers per rater, and adding or removing raters."""

    def __init__(self, factory, session: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.factory, self.session = factory, session
        self.setWindowTitle(f"Progress - {session}")
        form = QFormLayout(self)
        self.table = QLabel()
        form.addRow(self.table)
        self.add = QLineEdit()
        self.add.setPlaceholderText("rater to add")
        add_button = QPushButton("Add rater")
        add_button.clicked.connect(lambda: self._change(add=[self.add.text()]))
        form.addRow(self.add, add_button)
        self.message = QLabel("")
        form.addRow(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        form.addRow(close)
        self.refresh()

    def refresh(self) -> None:
        self.table.setText("\n".join(progress_line(name, status) for name, status in
                                     rater_status(self.factory, self.session).items()) or "No raters yet.")

    def _change(self, add: list[str]) -> None:
        try:
            change_raters(self.factory, self.session, add=[a for a in add if a.strip()])
            self.message.setText("")
        except EvaluationError as exc:
            self.message.setText(str(exc))
        self.add.clear()
        self.refresh()


class EvaluationMenu:
    """Builds the menu on a main window and keeps the windows it opens alive."""

    def __init__(self, window, menu, factory) -> None:
        self.window, self.factory = window, factory
        self.open_windows: list[QWidget] = []
        window._action(menu, "New session from a case list...", lambda: self.new_session(False))
        window._action(menu, "New session from a folder of studies + reports CSV...", lambda: self.new_session(True))
        menu.addSeparator()
        window._action(menu, "Rate a session...", self.rate)
        window._action(menu, "Rater progress and raters...", self.progress)
        window._action(menu, "Results...", self.results)

    def _keep(self, widget: QWidget) -> QWidget:
        self.open_windows.append(widget)
        widget.show()
        return widget

    def new_session(self, from_folder: bool) -> NewSessionDialog:
        dialog = NewSessionDialog(self.factory, self.window, from_folder)
        dialog.accepted.connect(lambda: self.window.statusBar().showMessage(
            f"Session {dialog.created[0]!r} created with {dialog.created[1]} case{'' if dialog.created[1] == 1 else 's'}",
            8000))
        return self._keep(dialog)  # type: ignore[return-value]

    def _pick(self, title: str, with_rater: bool, then) -> SessionPicker | None:
        if not session_names(self.factory):
            QMessageBox.information(self.window, title, "No evaluation session yet: create one first.")
            return None
        picker = SessionPicker(self.factory, title, with_rater, self.window)
        picker.accepted.connect(lambda: then(picker.session.currentText(), picker.rater.currentText()))
        return self._keep(picker)  # type: ignore[return-value]

    def rate(self) -> SessionPicker | None:
        return self._pick("Rate a session", True, self.open_rating)

    def open_rating(self, session: str, rater: str):
        from .rating_window import RatingWindow

        if not rater:
            QMessageBox.warning(self.window, "No rater", f"Session {session!r} has no raters: add them under Rater progress.")
            return None
        try:
            return self._keep(RatingWindow(self.factory, session, rater))
        except EvaluationError as exc:
            QMessageBox.warning(self.window, "Cannot rate", str(exc))
            return None

    def progress(self) -> SessionPicker | None:
        return self._pick("Rater progress", False,
                          lambda session, _: self._keep(ProgressDialog(self.factory, session, self.window)))

    def results(self) -> SessionPicker | None:
        if not session_names(self.factory):
            QMessageBox.information(self.window, "Results", "No evaluation session yet: create one first.")
            return None
        picker = ResultsPicker(self.factory, self.window)
        picker.accepted.connect(lambda: self.open_results(picker.session.currentText(), picker.looker()))
        return self._keep(picker)  # type: ignore[return-value]

    def open_results(self, session: str, rater: str = "") -> QWidget:
        """The session's results; ``rater``: the rater looking, whose answers are final from now
        on (as after the rating window's Results), "" for the study lead."""
        from .results_dialog import ResultsDialog

        if rater:
            mark_unblinded(self.factory, session, rater)
        dialog = ResultsDialog(self.factory, session, self.window)
        if rater:
            dialog.setWindowTitle(f"Results - {session} - seen by {rater}: their answers are final")
        return self._keep(dialog)
