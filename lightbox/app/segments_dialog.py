"""View → Segments...: the segments of the open volume's DICOM SEGs as a table (colour, label,
voxels, mL, slices, mean / SD / minimum / maximum in the volume's unit), from
viewer.segment_table; double-clicking one, or *Go to*, moves the panes to the slice where it is
largest, its middle under the crosshair (a reader looking for a small nodule on 300 slices). The
first column's box shows or hides the segment in every pane of the volume (the display's
``hidden_segments``): a filled liver hides the nodule's outline inside it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ..viewer.segment_table import SegmentSummary, segment_summaries
from ..viewer.value_text import format_value
from ..viewer.volume import Volume

if TYPE_CHECKING:
    from .main_window import MainWindow

COLUMNS = ("", "Segment", "Voxels", "mL", "Slices", "Mean", "SD", "Min", "Max")


class SegmentsDialog(QDialog):
    """The segments of ``volume``, shown with ``display`` (the panes' shared VolumeDisplay)."""

    def __init__(self, window: MainWindow, volume: Volume, display: Any, other_displays: list[Any] | None = None) -> None:
        super().__init__(window)
        self.setWindowTitle("Segments")
        self.volume, self.display = volume, display
        self.other_displays = other_displays or []  # other panes of the volume with displays of their own
        self.summaries: list[SegmentSummary] = segment_summaries(volume)
        layout = QVBoxLayout(self)
        unit = f" ({volume.unit})" if volume.unit else ""
        self.caption = QLabel(
            f"{len(self.summaries)} segment(s) of the DICOM SEG(s) referencing this series; values{unit} inside "
            "each, padding left out. Double-click one to go to the slice where it is largest; untick one to hide it."
            if self.summaries else "No DICOM SEG of this study references this series (or none of its segments "
                                   "lies on its slices: the warnings (⚠) say why).")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.table = QTableWidget(len(self.summaries), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.boxes: list[QTableWidgetItem] = []  # each row's first cell: its show / hide box
        for row, summary in enumerate(self.summaries):
            for column, text in enumerate(self.cells(summary)):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    shown = summary.label not in display.hidden_segments
                    item.setCheckState(Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked)
                    item.setToolTip("Show / hide this segment")
                    self.boxes.append(item)
                if column == 0 and summary.rgb is not None:  # a swatch the row's selection does not cover
                    swatch = QPixmap(16, 16)
                    swatch.fill(QColor(*summary.rgb))
                    item.setIcon(QIcon(swatch))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.itemChanged.connect(lambda item: self.shown_changed() if item.column() == 0 else None)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.go_to(row))
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.go_button = QPushButton("Go to")
        self.go_button.setEnabled(bool(self.summaries))
        self.go_button.clicked.connect(lambda: self.go_to(max(self.table.currentRow(), 0)))
        buttons.addButton(self.go_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if self.summaries:
            self.table.selectRow(0)
        self.resize(760, 170 + 30 * min(len(self.summaries), 12))

    @staticmethod
    def cells(summary: SegmentSummary) -> tuple[str, ...]:
        first, last = summary.slices
        slices = f"{first + 1}" if first == last else f"{first + 1}-{last + 1} (largest {summary.largest_slice + 1})"
        mean_d = max(1, summary.decimals)

        def value(number: float | None, decimals: int) -> str:
            return "-" if number is None else format_value(number, decimals)

        return ("", summary.label, str(summary.voxels),
                "-" if summary.volume_ml is None else f"{summary.volume_ml:.3g}", slices,
                value(summary.mean, mean_d), value(summary.sd, mean_d), value(summary.minimum, summary.decimals),
                value(summary.maximum, summary.decimals))

    def set_shown(self, row: int, shown: bool) -> None:
        """Show or hide segment ``row`` (as its box does)."""
        self.boxes[row].setCheckState(Qt.CheckState.Checked if shown else Qt.CheckState.Unchecked)

    def shown_changed(self) -> None:
        hidden = tuple(summary.label for summary, box in zip(self.summaries, self.boxes, strict=True)
                       if box.checkState() != Qt.CheckState.Checked)
        # segments of this volume only: another series' hidden ones stay as they were
        for display in [self.display, *self.other_displays]:
            others = tuple(label for label in display.hidden_segments
                           if label not in {summary.label for summary in self.summaries})
            display.hidden_segments = others + hidden

    def go_to(self, row: int) -> None:
        """The crosshair to the middle of segment ``row`` on the slice where it is largest (every
        pane of the volume follows it)."""
        if not 0 <= row < len(self.summaries):
            return
        summary = self.summaries[row]
        column, image_row = summary.centre
        x, y, z = self.volume.geometry.index_to_world((column, image_row, summary.largest_slice))
        for display in [self.display, *self.other_displays]:  # the panes windowing it on their own too
            display.crosshair = (float(x), float(y), float(z))
