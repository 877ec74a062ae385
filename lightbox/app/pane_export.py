"""File → Export pane as image / Copy pane image: the pane last clicked as the reader sees it (the
image, the marks, the corner texts), for a teaching file, a conference or a referral.

De-identified, the patient's and the study's corners carry the DICOM PS3.15 Basic Application
Level Confidentiality Profile's values (viewer.deidentify: no name, ID, birth date, age,
institution, descriptions or dates), as `lightbox screenshot --deidentify` writes them; an image
whose Burned In Annotation (0028,0301) is YES is refused (its pixels show what the corners hide,
PS3.15 E.3.1), and one that does not say is exported with a word to look before sharing.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from ..viewer.deidentify import burned_in_words, deidentify_metadata
from ..viewer.views.text import patient_block, study_block
from .recent import remember_saved, suggested_save_path
from .screenshots import rgb_image

if TYPE_CHECKING:
    from .main_window import MainWindow

IDENTIFYING_CORNERS = ("upper_left", "upper_right")  # the patient block, the study block


class ExportRefused(Exception):
    """The pane cannot be exported as asked (nothing open, burned-in text); the reason in words."""


class PaneExport:
    """The File menu's pane export and copy actions of ``window``."""

    def __init__(self, window: MainWindow, menu: QMenu) -> None:
        self.window = window
        window._action(menu, "Export pane as image...", lambda: self.export_dialog(deidentify=False), "Ctrl+E",
                       tip="The pane last clicked as shown, with its marks and corner texts, as PNG or JPEG")
        window._action(menu, "Export pane as image, de-identified...", lambda: self.export_dialog(deidentify=True),
                       "Ctrl+Shift+E", tip="The same, with the patient's and the study's corners de-identified "
                                           "(PS3.15 basic profile)")
        window._action(menu, "Copy pane image", self.copy, "Ctrl+Alt+C",
                       tip="The pane last clicked as shown, de-identified, to the clipboard")

    def _image_of(self, scene: Any) -> Any:
        return getattr(scene, "film", None) or getattr(scene, "volume", None)

    def pane_pixels(self, deidentify: bool) -> tuple[np.ndarray, str]:
        """The active pane's picture (rows x columns x RGB) and a note for the reader ("" or why to
        look before sharing). Raises :class:`ExportRefused` with the reason."""
        widget = self.window.area.active
        scene = getattr(widget, "scene", None)
        if widget is None or scene is None:
            raise ExportRefused("Nothing to export: open an image first")
        image = self._image_of(scene)
        metadata = dict(getattr(image, "metadata", {}) or {})
        note = ""
        if deidentify:
            refusal, note = burned_in_words([metadata], "the image")
            if refusal:
                raise ExportRefused(f"Not exported: {refusal}")
        corners = getattr(scene, "corners", None)
        if not deidentify or corners is None:
            return np.asarray(widget.grab_pixels()), note
        shown = {corner: corners.texts.get(corner, "") for corner in IDENTIFYING_CORNERS}
        clean = deidentify_metadata(metadata)
        try:
            corners.set("upper_left", patient_block(clean))
            corners.set("upper_right", study_block(clean))
            return np.asarray(widget.grab_pixels()), note
        finally:  # the reader's pane shows the patient again
            for corner, text in shown.items():
                corners.set(corner, text)
            widget.render()

    def export(self, path: Path, deidentify: bool) -> tuple[Path, str]:
        """Write the active pane to ``path`` (PNG or JPEG by its suffix); the path and the note."""
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise ExportRefused(f"Not exported: {path.name} is not a .png, .jpg or .jpeg file name")
        pixels, note = self.pane_pixels(deidentify)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not rgb_image(pixels).save(str(path)):
            raise ExportRefused(f"Not exported: {path} could not be written")
        return path, note

    def export_dialog(self, deidentify: bool) -> None:
        # never the patient's name in a suggested file name: it would travel with the file
        suggested = "lightbox-pane-deidentified.png" if deidentify else "lightbox-pane.png"
        name, _ = QFileDialog.getSaveFileName(self.window, "Export pane as image", suggested_save_path(suggested),
                                              "PNG image (*.png);;JPEG image (*.jpg *.jpeg)")
        if not name:
            return
        try:
            path, note = self.export(Path(name), deidentify)
        except ExportRefused as refused:
            QMessageBox.warning(self.window, "Export pane as image", str(refused))
            return
        remember_saved(path)
        self.window.statusBar().showMessage(f"Exported {path.name}" + (f"; {note}" if note else ""), 10000)

    def copy(self) -> None:
        """The active pane, de-identified, to the clipboard (a copy lands in documents and chats:
        identifiers are not what a reader means to paste)."""
        try:
            pixels, note = self.pane_pixels(deidentify=True)
        except ExportRefused as refused:
            QMessageBox.warning(self.window, "Copy pane image", str(refused))
            return
        QGuiApplication.clipboard().setImage(rgb_image(pixels))
        self.window.statusBar().showMessage("Copied the pane, de-identified" + (f"; {note}" if note else ""), 10000)
