"""Studies → Unpacked archives...: the ZIP archives Lightbox unpacked into the data folder, with
their size and the studies recorded from them; Remove frees one (lightbox.studydb.unpacked does
the work, as for ``lightbox db archives``)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..studydb.catalog import StudyCatalog
from ..studydb.unpacked import ArchiveRow, archive_rows, remove_archive, size_text
from ..viewer.archives import archives_root

COLUMNS = ("Unpacked", "Size", "Studies", "Last opened", "Folder")


class ArchivesDialog(QDialog):
    def __init__(self, parent: QWidget | None, catalog: StudyCatalog) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unpacked archives")
        self.resize(900, 360)
        self.catalog = catalog
        self.rows: list[ArchiveRow] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        remove, close = QPushButton("&Remove selected..."), QPushButton("Close")
        remove.clicked.connect(self.remove_selected)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(remove)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"ZIP archives opened or imported are unpacked once into {archives_root()}. "
                                "Removing one deletes that folder and forgets the studies recorded only from it; "
                                "the archive itself is not touched, and opening it again unpacks it again."))
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.rows = archive_rows(self.catalog)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            values = (row.unpacked_text, size_text(row.archive.size_bytes), str(row.studies), row.last_opened_text,
                      row.archive.name)
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        total = size_text(sum(r.archive.size_bytes for r in self.rows))
        self.message.setText(f"{len(self.rows)} archive(s), {total}" if self.rows else "No unpacked archive")

    def selected(self) -> list[ArchiveRow]:
        return [self.rows[i.row()] for i in self.table.selectionModel().selectedRows()]

    def remove_selected(self, confirm: bool = True) -> int:
        chosen = self.selected()
        if not chosen:
            self.message.setText("Choose an archive first")
            return 0
        studies = sum(r.studies for r in chosen)
        if confirm and QMessageBox.question(
                self, "Remove unpacked archives",
                f"Delete {len(chosen)} unpacked folder(s) ({size_text(sum(r.archive.size_bytes for r in chosen))}) and "
                f"forget the {studies} stud{'y' if studies == 1 else 'ies'} recorded only from them?") \
                != QMessageBox.StandardButton.Yes:
            return 0
        freed, forgotten, failed = 0, 0, []
        for row in chosen:
            try:
                gone, _ = remove_archive(self.catalog, row.archive)
            except OSError as exc:  # a file in use or a read-only share: said, the rest goes on
                failed.append(f"{row.archive.name} ({exc.strerror or exc})")
                continue
            freed += row.archive.size_bytes
            forgotten += len(gone)
        self.refresh()
        self.message.setText(f"{size_text(freed)} freed; {forgotten} recorded stud{'y' if forgotten == 1 else 'ies'} "
                             "forgotten" + (f". Not removed: {'; '.join(failed)}" if failed else ""))
        return len(chosen) - len(failed)
