"""Session results in the app: the same numbers as ``lightbox eval report``, with the plot, and
the files a study lead takes away from it (the figure, the figures as CSV, every answer as CSV
with the unblinding key), as the CLI writes them."""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..workflow.export import write_amendments_csv, write_answers_csv, write_csv, write_png
from ..workflow.statistics import format_results, session_results
from .recent import remember_saved, suggested_save_path


class ResultsDialog(QDialog):
    def __init__(self, factory, session_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.factory, self.session_name = factory, session_name
        self.setWindowTitle(f"Results - {session_name}")
        self.results = session_results(factory, session_name)
        layout = QVBoxLayout(self)
        self.plot = QLabel()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.png"
            write_png(self.results, path)
            self.plot.setPixmap(QPixmap(str(path)))
        layout.addWidget(self.plot)
        self.text = QPlainTextEdit(format_results(self.results))
        self.text.setReadOnly(True)
        layout.addWidget(self.text)
        self.saved = QLabel("")  # where the last file went
        layout.addWidget(self.saved)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for text, suggested, kinds, save in (
                ("Save figure...", f"{session_name}-results.png", "Figures (*.png *.pdf *.svg)", self.save_figure),
                ("Save figures as CSV...", f"{session_name}-results.csv", "CSV (*.csv)", self.save_figures_csv),
                ("Export answers (CSV)...", f"{session_name}-answers.csv", "CSV (*.csv)", self.export_answers)):
            button = QPushButton(text)
            button.clicked.connect(lambda _checked=False, s=suggested, k=kinds, f=save, t=text: self._ask_and_save(t, s, k, f))
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _ask_and_save(self, title: str, suggested: str, kinds: str, save) -> None:
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in suggested)
        path, _ = QFileDialog.getSaveFileName(self, title.rstrip("."), suggested_save_path(safe), kinds)
        if not path:
            return
        try:
            save(Path(path))
        except (OSError, ValueError) as exc:  # a folder that cannot be written, a suffix with no format
            QMessageBox.warning(self, "Not saved", f"{path}: {exc}")
            return
        remember_saved(Path(path))

    def save_figure(self, path: Path) -> Path:
        """The figure ``lightbox eval report --png`` draws, in the format the suffix names."""
        write_png(self.results, path)
        self.saved.setText(f"Figure saved to {path}")
        return path

    def save_figures_csv(self, path: Path) -> Path:
        write_csv(self.results, path)
        self.saved.setText(f"Figures saved to {path}")
        return path

    def export_answers(self, path: Path) -> int:
        """Every answer, one row per rater x case x report, unblinded (``lightbox eval export``)."""
        rows = write_answers_csv(self.factory, self.session_name, path)
        said = f"{rows} rows (rater x case x report) saved to {path}"
        amended = path.with_name(f"{path.stem}-amendments{path.suffix or '.csv'}")
        if (changed := write_amendments_csv(self.factory, self.session_name, amended)):  # the audit trail beside it
            said += f"; {changed} amended answer(s), as they were, to {amended.name}"
        else:
            amended.unlink()
        self.saved.setText(said)
        return rows
