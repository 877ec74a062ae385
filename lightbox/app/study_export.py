"""File → Export study as DICOM / Export study de-identified: the open study's DICOM files written
to a folder with a DICOMDIR (:mod:`..studyexport`), read and written off the UI thread."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QPushButton

from ..dicomreports.archive import study_of_series
from ..studyexport.deidentify import Deidentifier, how_exported
from ..studyexport.media import ExportCancelled, Exported, export_files, study_files
from .recent import last_folder

if TYPE_CHECKING:
    from .main_window import MainWindow


class _Relay(QObject):
    """The export's thread speaks to the window through these (queued onto the UI thread)."""

    progress = Signal(int, int)
    done = Signal(object, object)  # Exported, the Deidentifier or None
    failed = Signal(str)
    cancelled = Signal(str)


class StudyExport:
    """The File menu's study export actions of ``window``."""

    def __init__(self, window: MainWindow, menu: QMenu) -> None:
        self.window = window
        menu.addSeparator()
        window._action(menu, "Export study as DICOM (folder with DICOMDIR)...", lambda: self.export_dialog(False),
                       tip="The open study's images, reports and marks as DICOM files with a DICOMDIR, for a CD or "
                           "USB stick")
        window._action(menu, "Export study as DICOM, de-identified...", lambda: self.export_dialog(True),
                       tip="The same, de-identified (PS3.15 Basic Profile: names, IDs and descriptions removed, UIDs "
                           "replaced, dates moved back); documents and images with burned-in text left out")
        window._action(menu, "Export study as DICOM, de-identified, keeping descriptions...",
                       lambda: self.export_dialog(True, keep_descriptions=True),
                       tip="De-identified as above, with the study, series and protocol descriptions kept, cleaned of "
                           "the names, IDs and dates the header states (a teaching file's series stay named); "
                           "free-text comments still removed: look before sharing")
        self._relay = _Relay()
        self._relay.progress.connect(self._progress)
        self._relay.done.connect(self._done)
        self._relay.failed.connect(self._failed)
        self._relay.cancelled.connect(self._cancelled)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()  # the reader's Cancel, asked before each file is staged
        # in the status bar while an export runs: a study on a slow stick takes minutes
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.setToolTip("Stop the export: nothing is left in the folder")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        window.statusBar().addPermanentWidget(self.cancel_button)
        self.last: Exported | None = None  # the last export's result (what the message said)

    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _study(self) -> tuple[Any, str] | None:
        opened, index = self.window.area.opened, self.window.index
        series = getattr(opened, "series", None)
        if series is None or index is None:
            return None
        uid = study_of_series(index, series.uid)
        return (index, uid) if uid else None

    def export_dialog(self, deidentify: bool, keep_descriptions: bool = False) -> None:
        if self.busy():
            self.window.statusBar().showMessage("An export is still being written", 5000)
            return
        study = self._study()
        if study is None:
            QMessageBox.information(self.window, "Export study", "Open a DICOM study first (the demo has no DICOM files).")
            return
        folder = QFileDialog.getExistingDirectory(self.window, "Export the study to a new or empty folder", last_folder())
        if folder:
            self.export(Path(folder), deidentify, keep_descriptions)

    def export(self, folder: Path, deidentify: bool, keep_descriptions: bool = False) -> bool:
        """Write the open study into ``folder`` off the UI thread; False (said) when it cannot start."""
        study = self._study()
        if study is None or self.busy():
            return False
        if folder.exists() and any(folder.iterdir()):
            QMessageBox.warning(self.window, "Export study", f"{folder} is not empty: choose a new or empty folder "
                                                             "(nothing is overwritten).")
            return False
        index, uid = study
        files, left_out = study_files(index, uid)
        deidentifier = Deidentifier(keep_descriptions=keep_descriptions) if deidentify else None

        def run() -> None:
            try:
                result = export_files(files, folder, deidentifier, lambda n, total: self._relay.progress.emit(n, total),
                                      self._stop.is_set)
            except ExportCancelled as exc:
                self._relay.cancelled.emit(str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - a full disk, an unreadable file: said, never a crash
                self._relay.failed.emit(f"{type(exc).__name__}: {exc}")
                return
            result.left_out[:0] = left_out
            self._relay.done.emit(result, deidentifier)

        self.window.statusBar().showMessage(f"Exporting {len(files)} file(s) to {folder}...")
        self._stop.clear()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self._thread = threading.Thread(target=run, name="study export", daemon=True)
        self._thread.start()
        return True

    def wait(self) -> None:
        """Wait for an export under way (the window closing)."""
        if self._thread is not None:
            self._thread.join()

    def cancel(self) -> None:
        """Stop the export under way before its next file (its files are written only at the end)."""
        self._stop.set()
        self.cancel_button.setEnabled(False)

    def _progress(self, done: int, total: int) -> None:
        if done < total:
            self.window.statusBar().showMessage(f"Exporting the study: {done} of {total} file(s)...")
        else:  # the staged instances go into the folder in one go, which cannot be stopped
            self.cancel_button.setEnabled(False)
            self.window.statusBar().showMessage(f"Exporting the study: writing {total} file(s) to the folder...")

    def _cancelled(self, reason: str) -> None:
        self.cancel_button.hide()
        self.window.statusBar().showMessage(f"Export {reason}", 10000)

    def _failed(self, reason: str) -> None:
        self.cancel_button.hide()
        self.window.statusBar().showMessage(f"The export failed: {reason}", 10000)
        QMessageBox.warning(self.window, "Export study", f"The study could not be exported: {reason}")

    def _done(self, result: Exported, deidentifier: Deidentifier | None) -> None:
        self.cancel_button.hide()
        self.last = result
        summary = f"{result.written} instance(s) exported {how_exported(deidentifier)} to {result.folder}, with a DICOMDIR"
        self.window.statusBar().showMessage(summary, 15000)
        details = [summary]
        if result.left_out:
            details.append(f"Left out ({len(result.left_out)}):\n" + "\n".join(f"- {r}" for r in result.left_out[:12])
                           + ("\n..." if len(result.left_out) > 12 else ""))
        details += result.notes
        QMessageBox.information(self.window, "Export study", "\n\n".join(details))
