"""File → Studies: the study database as a worklist — filter, sort, open, open beside the
current study, import a folder, remove from the database, free unpacked archives. The catalog (lightbox.studydb) does
the work; this window only shows it."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..studydb.catalog import StudyCatalog, StudyFilter, StudySummary, index_paths
from ..viewer.study_tree import person_name
from ..viewer.views.qt_vtk import STUDY_MIME

COLUMNS = ("Patient", "Patient ID", "Born", "Study date", "Modality", "Description", "Accession", "Series", "Images")
FILTERS = (("name", "Patient name"), ("patient_id", "Patient ID"), ("birth_date", "Born YYYY-MM-DD"),
           ("date_from", "From YYYY-MM-DD"), ("date_to", "To YYYY-MM-DD"), ("modality", "Modality"),
           ("accession", "Accession"), ("description", "Description"))
MAX_COLUMN_WIDTH = 200  # long IDs (anonymised UUIDs) must not push the description off the window
DATE_COLUMN = 3


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 else value


class StudyTable(QTableWidget):
    """The studies list; a row drags as its study UID onto any pane of the window."""

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt naming
        return [STUDY_MIME]

    def mimeData(self, items) -> QMimeData:  # type: ignore[no-untyped-def,override]  # noqa: N802
        data = QMimeData()
        uids = [item.data(Qt.ItemDataRole.UserRole) for item in items if item.data(Qt.ItemDataRole.UserRole)]
        if uids:
            data.setData(STUDY_MIME, str(uids[0]).encode())
        return data


def _removable(folder: Path) -> bool:
    """Whether ``folder`` is on a disc or a stick a reader will take out (a mount under /media, /mnt
    or /run/media, or a DICOMDIR at its root): the import offers to copy it."""
    resolved = folder.resolve()
    return resolved.parts[1:2] in (("media",), ("mnt",)) or resolved.parts[1:3] == ("run", "media") \
        or (folder / "DICOMDIR").exists()


class StudiesWindow(QDialog):
    def __init__(self, parent: QWidget | None, catalog: StudyCatalog,
                 open_files: Callable[[list[Path], bool], None]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Studies")
        self.resize(1240, 560)
        self.catalog = catalog
        self.open_files = open_files  # (files, beside the current study)
        self.rows: list[StudySummary] = []
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        filters = QHBoxLayout()
        for n, (key, label) in enumerate(FILTERS):
            edit = QLineEdit()
            edit.setPlaceholderText(label)
            edit.setClearButtonEnabled(True)
            edit.textChanged.connect(self.refresh)
            self.fields[key] = edit
            filters.addWidget(edit, 2 if n in (0, 3, 4, 7) else 1)
        form.addRow(filters)
        self.table = StudyTable(0, len(COLUMNS))
        self.table.setDragEnabled(True)  # a study dragged onto a pane opens there beside the current one
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortItems(DATE_COLUMN, Qt.SortOrder.DescendingOrder)  # newest first, as a worklist
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _: self.open_selected())
        self.message = QLabel()
        buttons = QHBoxLayout()
        for text, slot in (("&Open", self.open_selected), ("Open &beside current", lambda: self.open_selected(True)),
                           ("&Import folder...", self.import_folder), ("E&xport...", self.export_selected),
                           ("&Remove from database", self.remove_selected),
                           ("Unpacked &archives...", self.show_archives), ("Close", self.close)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.refresh()

    def current_filter(self) -> StudyFilter:
        return StudyFilter(**{key: edit.text().strip() for key, edit in self.fields.items()})

    def refresh(self) -> None:
        try:
            self.rows = self.catalog.search(self.current_filter())
        except ValueError as exc:  # a half-typed date
            self.message.setText(str(exc))
            return
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            values = (person_name(row.patient_name), row.patient_id, _date(row.birth_date), _date(row.date),
                      row.modalities.replace("\\", "/"), row.description, row.accession, row.series, row.images)
            for c, value in enumerate(values):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                item.setData(Qt.ItemDataRole.UserRole, row.study_uid)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), MAX_COLUMN_WIDTH))
        self.message.setText(f"{len(self.rows)} stud{'y' if len(self.rows) == 1 else 'ies'}")

    def selected_uid(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def open_selected(self, beside: bool = False) -> None:
        uid = self.selected_uid()
        if uid is None:
            self.message.setText("Choose a study first")
            return
        files = [f for f in self.catalog.files(uid) if f.exists()]
        if not files:
            QMessageBox.warning(self, "Files missing", "This study's files are no longer where they were recorded "
                                "(a removed disk or share?). Import them again from their new place.")
            return
        self.catalog.mark_opened(uid)
        self.open_files(files, beside)

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import folder into the study database")
        if not folder:
            return
        answer = QMessageBox.question(
            self, "Import into the study database",
            "Copy the studies' files into Lightbox's store?\n\nYes: for a CD or USB stick that will be taken out "
            "(the studies stay available).\nNo: record the files where they are (a folder that stays).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes if _removable(Path(folder)) else QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Cancel:
            return
        self.import_paths([Path(folder)], copy=answer == QMessageBox.StandardButton.Yes)

    def import_paths(self, paths: list[Path], copy: bool = False) -> list[str]:
        """Record ``paths`` with a progress dialog and Cancel: a folder of thousands of files held
        the window frozen, with nothing to say how far it had got or to stop it. ``copy``: the
        studies' files copied into the store first, the copies recorded (a CD, a USB stick)."""
        dialog = QProgressDialog("Reading headers...", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Import into the study database")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)  # a small folder is done before it would show

        def progress(done: int, total: int) -> None:
            dialog.setMaximum(total)
            dialog.setValue(done)
            dialog.setLabelText(f"Reading headers: {done} of {total} files")
            QApplication.processEvents()  # the dialog is drawn and Cancel is heard between files

        copied = None
        try:
            if copy:
                from ..pacs.servers import store_dir
                from ..studydb.store_import import import_copies

                copied = import_copies(self.catalog, paths, store_dir(), progress, dialog.wasCanceled)
                uids = copied.studies
            else:
                uids, index = index_paths(self.catalog, paths, progress, dialog.wasCanceled)
        finally:
            cancelled = dialog.wasCanceled()
            dialog.close()
        if cancelled:
            self.message.setText("Import cancelled: nothing was recorded" + (" (the files copied so far stay in the "
                                                                             "store)" if copy else ""))
            return []
        self.refresh()  # before the message: its count of the list would write over what the import did
        studies = f"{len(uids)} stud{'y' if len(uids) == 1 else 'ies'} recorded"
        if copied is not None:
            self.message.setText(f"{studies} from copies in Lightbox's store ({copied.copied} file(s) copied, "
                                 f"{copied.already} already there)"
                                 + (f"; {len(copied.left_out)} file(s) left out" if copied.left_out else ""))
        else:
            self.message.setText(studies + (f"; {len(index.errors)} unreadable file(s)" if index.errors else ""))
        return uids

    def export_selected(self) -> Path | None:
        """The selected study written to a new or empty folder with a DICOMDIR, as acquired or
        de-identified (asked), with a progress dialog; the folder, or None."""
        from ..studyexport.deidentify import Deidentifier, how_exported
        from ..studyexport.media import ExportCancelled, export_files

        uid = self.selected_uid()
        if uid is None:
            self.message.setText("Select a study to export")
            return None
        recorded = self.catalog.files(uid)
        files = [f for f in recorded if f.exists()]
        if not files:
            QMessageBox.warning(self, "Files missing", "This study's files are no longer where they were recorded.")
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Export study", "Export the study as it was acquired, or "
                          "de-identified (PS3.15 Basic Profile: names, IDs and descriptions removed, UIDs replaced, "
                          "dates moved back; documents and images with burned-in text left out), or de-identified "
                          "keeping the study, series and protocol descriptions (cleaned of the names, IDs and dates "
                          "the header states)?", parent=self)
        acquired = box.addButton("As acquired", QMessageBox.ButtonRole.AcceptRole)
        deidentified = box.addButton("De-identified", QMessageBox.ButtonRole.AcceptRole)
        described = box.addButton("De-identified, keeping descriptions", QMessageBox.ButtonRole.AcceptRole)
        described.setToolTip("The study, series and protocol descriptions kept, cleaned of the names, IDs and dates "
                             "the header states; free-text comments still removed: look before sharing")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() not in (acquired, deidentified, described):
            return None
        folder = QFileDialog.getExistingDirectory(self, "Export the study to a new or empty folder")
        if not folder:
            return None
        dialog = QProgressDialog("Reading...", "Cancel", 0, len(files), self)
        dialog.setWindowTitle("Export study")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)

        def progress(done: int, total: int) -> None:
            dialog.setValue(done)
            dialog.setLabelText(f"Reading {done} of {total} files" if done < total else
                                "Writing the file-set to the folder (this part cannot be cancelled)...")
            QApplication.processEvents()

        deidentifier = None if box.clickedButton() is acquired else \
            Deidentifier(keep_descriptions=box.clickedButton() is described)
        try:
            result = export_files(files, Path(folder), deidentifier, progress, dialog.wasCanceled)
        except ExportCancelled as exc:
            self.message.setText(f"Export {exc}")
            return None
        except (ValueError, OSError) as exc:  # a full disk or a stick pulled out: what was written is taken back
            QMessageBox.warning(self, "Export study", f"The study could not be exported: {exc}")
            return None
        finally:
            dialog.close()
        left_out = len(result.left_out) + len(recorded) - len(files)
        self.message.setText(f"{result.written} instance(s) exported {how_exported(deidentifier)} to {result.folder}, "
                             "with a DICOMDIR" + (f"; {left_out} left out" if left_out else ""))
        return result.folder

    def remove_selected(self) -> None:
        uid = self.selected_uid()
        if uid is None:
            return
        answer = QMessageBox.question(self, "Remove from database",
                                      "Forget this study? Its files are not deleted.")
        if answer == QMessageBox.StandardButton.Yes:
            self.catalog.remove(uid)
            self.refresh()

    def show_archives(self) -> QDialog:
        """The ZIP archives unpacked into the data folder: their size and studies; remove to free space."""
        from .archives_dialog import ArchivesDialog

        self.archives_dialog = ArchivesDialog(self, self.catalog)
        self.archives_dialog.finished.connect(lambda _code: self.refresh())  # studies it forgot leave the list
        self.archives_dialog.show()
        return self.archives_dialog

