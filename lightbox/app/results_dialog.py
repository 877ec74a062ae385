"""Session results in the app: the same numbers as ``lightbox eval report``, with the plot."""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ..workflow.export import write_png
from ..workflow.statistics import format_results, session_results


class ResultsDialog(QDialog):
    def __init__(self, factory, session_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
