"""View → Fusion: another series of the study laid over the volume shown, in colour (a PET over
its CT), on every plane pane of that volume (viewer.fusion; the 3D pane shows the volume alone)."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from ..reading.protocols import series_text
from ..viewer.fusion import OPACITIES, PALETTES, Fusion, fusion_of
from ..viewer.pixels import Window
from ..viewer.presets import pet_window_presets

if TYPE_CHECKING:
    from ..viewer.study_tree import Series
    from .main_window import MainWindow

NO_FUSION = "No fusion"


def _running(thread: Any) -> bool:
    try:
        return bool(thread.isRunning())
    except RuntimeError:  # its C++ object already deleted (deleteLater once finished)
        return False


class _Relay(QObject):
    """Receives the reading worker's signals on the UI thread (a QObject living there: the calls
    are queued to it), where the panes may be changed."""

    def __init__(self, menu: FusionMenu) -> None:
        super().__init__()
        self.menu = menu

    @Slot(object, object)
    def read(self, series: Any, volume: Any) -> None:
        self.menu._laid_over(series, volume)

    @Slot(str)
    def failed(self, reason: str) -> None:
        self.menu._read_failed(reason)


class FusionMenu:
    """The View menu's Fusion submenu of ``window``."""

    def __init__(self, window: MainWindow, view_menu: QMenu) -> None:
        self.window = window
        self.menu = view_menu.addMenu("Fusion")
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._fill)
        self._after_open: tuple[Series, str] | None = None  # a PET to lay over the CT (its UID) being opened for it
        # the threads and workers reading a series to lay over: each kept until it has finished (a
        # worker whose Python object goes while its thread runs takes the process down)
        self._readers: list[tuple[Any, Any]] = []
        self._pending: tuple[Series, tuple[Any, Series]] | None = None  # what it reads, for which volume shown
        self._relay = _Relay(self)

    # -- what can be fused --------------------------------------------------------------------
    def _shown(self) -> tuple[Any, Series] | None:
        """(volume, its series) shown in the window's panes, or None (a film, nothing open)."""
        opened = self.window.area.opened
        volume, series = getattr(opened, "volume", None), getattr(opened, "series", None)
        return (volume, series) if volume is not None and series is not None else None

    def candidates(self) -> list[tuple[Series, str]]:
        """The study's other volume series, each with why it cannot be laid over ("" when it can
        be tried: the same Frame of Reference UID as the one shown)."""
        shown, index = self._shown(), self.window.index
        if shown is None or index is None:
            return []
        volume, series = shown
        study = next((st for st in index.all_studies() if series.uid in st.series), None)
        if study is None:
            return []
        frame = volume.metadata.get("frame_of_reference", "")
        out = []
        for other in study.series.values():
            if other.uid == series.uid or other.kind != "volume" or other.first_header is None:
                continue
            why = "" if frame and series_text(other, "FrameOfReferenceUID") == frame else "another frame of reference"
            out.append((other, why))
        return out

    def after_open(self) -> None:
        """Lay the PET over the CT just opened for it ("Show over" a CT, chosen on the PET)."""
        pending, self._after_open = self._after_open, None
        shown = self._shown()
        if pending is None or shown is None or shown[1].uid != pending[1]:  # (that CT did not open: nothing)
            return None
        if self.window.hanging.fuses(pending[0].uid):  # the hanging protocol's own pane shows it fused
            return None
        self.fuse(pending[0])
        return None

    def note_on_open(self) -> str:
        """A word for the status bar when a CT opens beside a PET it can be fused with, or ""."""
        shown = self._shown()
        if shown is None or shown[1].modality.upper() != "CT":
            return ""
        pets = [series for series, why in self.candidates() if not why and series.modality.upper() == "PT"]
        return f"{pets[0].label()} shares this CT's frame of reference: View → Fusion lays it over" if pets else ""

    def _scenes(self) -> list[Any]:
        shown = self._shown()
        return [s for s in self.window.area.scenes() if getattr(s, "kind", "") == "mpr"
                and shown is not None and getattr(s, "volume", None) is shown[0]]

    def current(self) -> Fusion | None:
        return next((s.fusion for s in self._scenes() if s.fusion is not None), None)

    def fused_series(self) -> tuple[Series, Any] | None:
        """(the series laid over the one shown, its volume as read), or None."""
        fusion = self.current()
        if fusion is None:
            return None
        series = next((s for s, _ in self.candidates() if s.uid == fusion.series_uid), None)
        return (series, fusion.volume) if series is not None else None

    # -- the menu -----------------------------------------------------------------------------
    def _fill(self) -> None:
        self.menu.clear()
        found = self.candidates()
        if not found:
            action = self.menu.addAction("No other series of this study to lay over" if self._shown() is not None
                                         else "Open a CT, MR or PET volume first")
            action.setEnabled(False)
            return
        current = self.current()
        group = QActionGroup(self.menu)
        plain = QAction(NO_FUSION, self.menu, checkable=True)
        plain.setChecked(current is None)
        plain.triggered.connect(partial(self.fuse, None))
        group.addAction(plain)
        self.menu.addAction(plain)
        self.menu.addSeparator()
        shown = self._shown()
        shown_pet = shown is not None and shown[1].modality.upper() == "PT"
        for series, why in found:
            # a PET is read over its CT: from the PET, the CT opens and the PET is laid over it
            verb = "Show over" if shown_pet and series.modality.upper() == "CT" else "Lay over"
            action = QAction(f"{verb} {series.label()}" + (f" ({why})" if why else ""), self.menu, checkable=True)
            action.setEnabled(not why)
            action.setChecked(current is not None and current.series_uid == series.uid)
            action.triggered.connect(partial(self.fuse, series))
            group.addAction(action)
            self.menu.addAction(action)
        if current is None:
            return
        self.menu.addSeparator()
        self._choices("Opacity", [(f"{round(o * 100)} %", o) for o in OPACITIES], current.opacity, self.set_opacity)
        self._choices("Colours", [(name, name) for name in PALETTES], current.palette, self.set_palette)
        if current.volume.unit == "SUVbw":
            windows = self._choices("Window", [(name, w) for name, (_, w) in pet_window_presets().items()],
                                    current.window, self.set_window)
            windows.addSeparator()
            windows.addAction("SUV 0 to ...", self.ask_window)

    def _choices(self, title: str, values: list[tuple[str, Any]], chosen: Any, setter: Callable[[Any], None]) -> QMenu:
        sub = self.menu.addMenu(title)
        group = QActionGroup(sub)
        for text, value in values:
            action = QAction(text, sub, checkable=True)
            action.setChecked(value == chosen)
            action.triggered.connect(partial(setter, value))
            group.addAction(action)
            sub.addAction(action)
        return sub

    def fuse(self, series: Series | None) -> None:
        """Lay ``series`` over the volume shown (None: take the fusion away), once it is read in the
        background; says in the status bar what was done, or why not."""
        bar = self.window.statusBar()
        shown = self._shown()
        if shown is None:
            bar.showMessage("Fusion: open a CT, MR or PET volume first", 8000)
            return None
        if series is None:
            for scene in self._scenes():
                scene.set_fusion(None)
            bar.showMessage("Fusion off", 5000)
            return None
        if shown[1].modality.upper() == "PT" and series.modality.upper() == "CT":
            self._after_open = (shown[1], series.uid)
            self.window.open_series(series)  # then after_open lays the PET over it
            return None
        self._read(series, shown)
        return None

    def _read(self, series: Series, shown: tuple[Any, Series]) -> None:
        """Read ``series`` off the UI thread (a whole-body PET takes a second or two), then lay it
        over the volume shown, if it is still the one shown."""
        from PySide6.QtCore import QThread

        from .workers import VolumeWorker

        bar = self.window.statusBar()
        bar.showMessage(f"Reading {series.label()} to lay over...", 30000)
        thread, worker = QThread(self.window), VolumeWorker(series)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        self._pending = (series, shown)
        worker.read.connect(self._relay.read)  # a QObject of the UI thread: called there, queued
        worker.failed.connect(self._relay.failed)
        worker.finished.connect(thread.quit)
        worker.finished.connect(worker.deleteLater)
        thread.finished.connect(thread.deleteLater)
        self._readers = [(t, w) for t, w in self._readers if _running(t)] + [(thread, worker)]
        thread.start()

    def stop(self) -> None:
        """The window closes: wait for a series being read (it cannot be cut short; a Qt thread
        destroyed while it runs ends the process), and lay nothing over."""
        self._pending = None
        for thread, _ in self._readers:
            if _running(thread):
                thread.quit()
                thread.wait(30000)
        self._readers = []

    def _read_failed(self, reason: str) -> None:
        if self._pending is not None:
            self.window.statusBar().showMessage(f"Cannot lay {self._pending[0].label()} over: {reason}", 12000)

    def _laid_over(self, read: Series, volume: Any) -> Fusion | None:
        if self._pending is None or self._pending[0].uid != read.uid:  # superseded by a later choice, or closed
            return None
        (series, shown), self._pending = self._pending, None
        bar = self.window.statusBar()
        now = self._shown()
        if now is None or now[0] is not shown[0]:  # another study or series opened meanwhile
            return None
        try:
            fusion = fusion_of(shown[0], shown[1], series, volume)
        except ValueError as exc:
            bar.showMessage(f"Cannot lay {series.label()} over: {exc}", 12000)
            return None
        for scene in self._scenes():
            scene.set_fusion(fusion)
        bar.showMessage(f"{fusion.describe()} (View → Fusion: opacity, colours, window)", 10000)
        return fusion

    def _change(self, **changes: Any) -> None:
        fusion = self.current()
        if fusion is None:
            return
        for name, value in changes.items():
            setattr(fusion, name, value)
        for scene in self._scenes():
            if scene.fusion is fusion:  # (a hanging protocol fuses one pane of the CT, not its others)
                scene.set_fusion(fusion)

    def set_opacity(self, opacity: float) -> None:
        self._change(opacity=opacity)

    def set_palette(self, palette: str) -> None:
        self._change(palette=palette)

    def set_window(self, window: Any) -> None:
        self._change(window=window)

    def ask_window(self) -> float | None:
        """The fused PET's window from SUV 0 to an upper value the reader types (LINEAR_EXACT, as
        the SUV presets); None when cancelled."""
        from PySide6.QtWidgets import QInputDialog

        current = self.current()
        if current is None:
            return None
        top = current.window.center + current.window.width / 2
        value, ok = QInputDialog.getDouble(self.window, "Fusion window", "Upper SUV (from 0):", top, 0.1, 100.0, 1)
        if not ok:
            return None
        self.set_window(Window(value / 2, value, "LINEAR_EXACT"))
        return float(value)
