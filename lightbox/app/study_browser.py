"""The study browser's tree: patients, studies and series, whose series can be dragged onto any
viewport (the viewports accept :data:`..viewer.views.qt_vtk.SERIES_MIME`)."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from ..viewer.views.qt_vtk import SERIES_MIME


class SeriesTree(QTreeWidget):
    """A QTreeWidget whose series items (their UID in ``UserRole``) drag as a series UID."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt naming
        return [SERIES_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # type: ignore[override]  # noqa: N802
        data = QMimeData()
        uids = [item.data(0, Qt.ItemDataRole.UserRole) for item in items if item.data(0, Qt.ItemDataRole.UserRole)]
        if uids:
            data.setData(SERIES_MIME, str(uids[0]).encode())
        return data
