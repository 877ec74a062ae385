"""The study browser's context menu: a right click (or the Menu key) on a series offers what a
drag onto a pane does, and more, without dragging — open it, show it in a pane of the layout
shown, compare it side by side with what is shown, read its warnings, copy its UID. Weasis and
OHIF offer the same on their series thumbnails; until 2026-12-02 a drag was the only way to put a
second series beside the first, and a right click did nothing."""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox, QTreeWidgetItem

from .compose import DEMO_PATHS, LAYOUTS

if TYPE_CHECKING:
    from .main_window import MainWindow

# where a row and a column of a grid sit, by how many there are, for the menu's words ("Pane 2 (top right)")
ROW_NAMES = {1: ("",), 2: ("top", "bottom"), 3: ("top", "middle", "bottom")}
COLUMN_NAMES = {1: ("",), 2: ("left", "right"), 3: ("left", "middle", "right")}


def pane_position(layout: str, n: int) -> str:
    """Where pane ``n`` (row by row) of a layout sits: "top right", "left", "centre"; "" in 1x1."""
    rows, columns = LAYOUTS[layout]
    row, column = divmod(n, columns)
    words = " ".join(w for w in (ROW_NAMES[rows][row], COLUMN_NAMES[columns][column]) if w)
    return "centre" if words == "middle middle" else words


class SeriesMenu:
    """The context menu of ``window``'s study browser."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.shown: QMenu | None = None  # the menu last shown (kept: Qt deletes a parentless menu's actions with it)
        tree = window.browser
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tree.customContextMenuRequested.connect(self._requested)

    def _requested(self, position: QPoint) -> None:
        tree = self.window.browser
        item = tree.itemAt(position)
        menu = None if item is None else self.build(item)
        if item is None or menu is None:
            return
        tree.setCurrentItem(item)
        self.shown = menu
        menu.popup(tree.viewport().mapToGlobal(position))

    def build(self, item: QTreeWidgetItem) -> QMenu | None:
        """The menu for a series item; None for a patient or study line."""
        uid = item.data(0, Qt.ItemDataRole.UserRole)
        if not uid:
            return None
        window = self.window
        menu = QMenu(window.browser)
        menu.setToolTipsVisible(True)
        menu.addAction("Open", partial(window.activate_series_item, item))
        if uid in DEMO_PATHS:  # the demo's two image sets open in place of each other only
            return menu
        busy = window.is_loading()
        has_study = window.area.opened is not None
        side = menu.addAction("Compare side by side", partial(self.side_by_side, uid))
        side.setToolTip("Layout 1x2: the open study on the left, this series on the right")
        side.setEnabled(has_study and not busy)
        panes = menu.addMenu("Show in pane")
        panes.setEnabled(has_study and not busy)
        for n, text in enumerate(self.pane_names()):
            panes.addAction(text, partial(window.place_series, n, uid))
        menu.addSeparator()
        series = window.index.find_series(uid) if window.index is not None else None
        warnings = list(series.warnings) if series is not None else []
        shown = menu.addAction(f"Warnings ({len(warnings)})...", partial(self.show_warnings, item.text(0), warnings))
        shown.setEnabled(bool(warnings))
        menu.addAction("Copy Series Instance UID", partial(self.copy_uid, uid))
        return menu

    def pane_names(self) -> list[str]:
        """"Pane 2 (top right): #401 sT2W/FLAIR (22 images), sagittal", one per pane of the layout,
        the pane last clicked marked (an empty pane: "empty")."""
        area = self.window.area
        names = []
        for n, opened in area.opened_of_panes().items():
            where = pane_position(area.layout_name, n)
            scene = area.viewports[n].scene
            label = getattr(scene, "plane_label", None)  # "Axial oblique 4° (acquired)", "Sagittal"
            view = label().lower() if callable(label) else ("3D" if getattr(scene, "kind", "") == "3d" else "")
            what = "empty" if scene is None or opened is None else opened.title + (f", {view}" if view else "")
            active = " - last clicked" if area.viewports[n] is area.active and len(area.viewports) > 1 else ""
            names.append(f"Pane {n + 1}{f' ({where})' if where else ''}: {what}{active}")
        return names

    def side_by_side(self, uid: str) -> None:
        """Layout 1x2: the open study on the left as that layout lays it out, the series on the right."""
        self.window.set_layout("1x2")
        self.window.place_series(1, uid)

    def show_warnings(self, title: str, warnings: list[str]) -> None:
        QMessageBox.information(self.window, "Series warnings", f"{title}\n\n" + "\n".join(f"- {w}" for w in warnings))

    def copy_uid(self, uid: str) -> None:
        QGuiApplication.clipboard().setText(uid)
        self.window.statusBar().showMessage(f"Copied the Series Instance UID {uid}", 5000)
