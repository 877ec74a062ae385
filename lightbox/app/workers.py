"""Background work for the window: indexing, loading and thumbnails run off the UI thread.

Workers are QObjects moved to a QThread; they talk to the window only through signals
(queued across threads), and poll a cancel flag between files and slices.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from PySide6.QtCore import QObject, Signal, Slot

from ..studydb.catalog import StudyCatalog
from ..viewer.index import Series, StudyIndex, build_index, read_header
from ..viewer.loading import LoadCancelled, preview_first_image
from ..viewer.thumbnails import series_thumbnail
from .compose import open_series, pick_series
from .logs import LOG


class LoadWorker(QObject):
    """Index ``path`` then load one series (the given one, or the best one)."""

    progress = Signal(int, int, str)  # done, total, what
    indexed = Signal(object)  # StudyIndex
    first_slice = Signal(object, object)  # title (str), 2D numpy array (modality values)
    loaded = Signal(object)  # Opened
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, path: Path | list[Path] | None = None, series: Series | None = None,
                 index: StudyIndex | None = None, catalog: StudyCatalog | None = None) -> None:
        super().__init__()
        self.path = path
        self.catalog = catalog  # the study database records what is opened
        self.series = series
        self.index = index
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def _record(self, index: StudyIndex, headers: bool) -> None:
        """Record the opened studies in the study database (``headers``: with each instance's
        header); a database problem never stops the images from opening (it is logged)."""
        if self.catalog is None or not index.patients:
            return
        try:
            uids = self.catalog.add_index(index, headers=headers)
            if not headers:  # the second pass only adds the headers: the study was opened once
                for uid in uids:
                    self.catalog.mark_opened(uid)
        except Exception:  # noqa: BLE001 - any database failure: log it, keep opening
            LOG.exception("could not record the study in the study database")

    def _header_reader(self) -> Callable[[Path], tuple[Dataset, int]]:
        """Files listed by the study database are indexed from the headers it stored."""
        if self.catalog is not None and isinstance(self.path, list):
            try:
                return self.catalog.header_reader(self.path)
            except Exception:  # noqa: BLE001 - a database problem: read the files, as for any open
                LOG.exception("stored headers unavailable; reading the files")
        return read_header

    @Slot()
    def run(self) -> None:
        recorded: StudyIndex | None = None
        try:
            index = self.index
            if index is None and self.path is not None:
                preview = preview_first_image(self.path[0] if isinstance(self.path, list) else self.path)
                if preview is not None:
                    self.first_slice.emit(preview[0].name, preview[1])
                index = build_index(self.path, lambda d, t: self.progress.emit(d, t, "Reading headers"), self._cancel.is_set,
                                    self._header_reader())
                if self._cancel.is_set():
                    raise LoadCancelled("indexing")
                self.indexed.emit(index)
                self._record(index, headers=False)
                recorded = index
            series = self.series or (pick_series(index) if index is not None else None)
            if series is None:
                raise FileNotFoundError("nothing to open")
            try:
                opened = open_series(
                    series,
                    progress=lambda d, t: self.progress.emit(d, t, "Loading slices"),
                    cancelled=self._cancel.is_set,
                    on_first_slice=lambda k, values: self.first_slice.emit(series.label(), np.array(values)),
                )
                self.loaded.emit(opened)
            finally:
                # the headers after the images: storing them may read files again
                if recorded is not None:
                    self._record(recorded, headers=True)
        except LoadCancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - reported in the UI, never a crash
            LOG.exception("loading failed")
            self.failed.emit(str(exc) or type(exc).__name__)
        finally:
            self.finished.emit()


class ThumbnailWorker(QObject):
    """Previews for every series of an index, one signal per series."""

    thumbnail = Signal(str, object)  # series uid, uint8 array
    finished = Signal()

    def __init__(self, series: list[Series]) -> None:
        super().__init__()
        self.series = series
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        for s in self.series:
            if self._cancel.is_set():
                break
            try:
                self.thumbnail.emit(s.uid, series_thumbnail(s))
            except Exception:  # noqa: BLE001 - a series without preview still opens (or says why)
                continue
        self.finished.emit()


class VolumeWorker(QObject):
    """One series read as a volume (a PET to lay over the CT shown): ``read`` with it, or
    ``failed`` with the reason in words."""

    read = Signal(object, object)  # the Series, its Volume
    failed = Signal(str)
    finished = Signal()

    def __init__(self, series: Series) -> None:
        super().__init__()
        self.series = series

    @Slot()
    def run(self) -> None:
        from ..viewer.loading import LoadError, load_volume

        try:
            self.read.emit(self.series, load_volume(self.series))
        except (LoadError, OSError, ValueError, MemoryError) as exc:
            self.failed.emit(str(exc) or type(exc).__name__)
        finally:
            self.finished.emit()
