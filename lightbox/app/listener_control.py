"""The storage listener inside the window: on when Preferences give it a port (off by default: no
socket opens unless configured), received studies land in the store and the study database, and
the window says so. pynetdicom calls back on its own thread; a Qt signal brings the files to the
UI thread, where the database is written."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..pacs.listener import StorageListener
from ..pacs.servers import store_dir
from ..studydb.catalog import StudyCatalog, index_paths
from .logs import LOG


class ListenerControl(QObject):
    received = Signal(object)  # list[Path], from pynetdicom's thread
    recorded = Signal(str)  # a sentence for the status bar

    def __init__(self, catalog: StudyCatalog, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.listener: StorageListener | None = None
        self.port, self.aet = 0, ""
        self.received.connect(self._record)  # queued: this object lives on the UI thread

    def configure(self, port: int, aet: str) -> str:
        """Start, restart or stop the listener; returns what it is doing now, in words."""
        if (port, aet) == (self.port, self.aet) and (self.listener is not None or not port):
            return self.state()
        self.stop()
        self.port, self.aet = port, aet
        if port:
            try:
                self.listener = StorageListener(port, aet, store_dir(), self.received.emit).start()
            except OSError as exc:
                self.port = 0
                return f"Listener not started: port {port} ({exc.strerror or exc})"
        return self.state()

    def state(self) -> str:
        return f"Listening as {self.aet} on port {self.port}" if self.listener is not None else "Listener off"

    def _record(self, files: list[Path]) -> None:
        try:
            uids, _ = index_paths(self.catalog, files)
        except Exception:  # noqa: BLE001 - the files are in the store all the same
            LOG.exception("received files could not be recorded in the study database")
            return
        self.recorded.emit(f"Received {len(files)} file(s) of {len(uids)} stud{'y' if len(uids) == 1 else 'ies'} "
                           "from the PACS: File → Studies")

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
