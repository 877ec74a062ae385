"""A storage listener (C-STORE SCP, PS3.4 B.2) for studies a PACS pushes: off unless started
(``lightbox pacs listen``); each association's files are written to the store and handed on
(to the study database) when the association ends."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .dimse import STORAGE_CLASSES, SUCCESS, TRANSFER_SYNTAXES
from .servers import write_to_store


class StorageListener:
    def __init__(self, port: int, aet: str, folder: Path, on_received: Callable[[list[Path]], None],
                 bind: str = "0.0.0.0") -> None:
        self.port, self.aet, self.folder, self.bind = port, aet, folder, bind
        self.on_received = on_received
        self.server: Any = None
        self._pending: dict[int, list[Path]] = {}
        self._lock = threading.Lock()

    def _stored(self, event: Any) -> int:
        dataset = event.dataset
        dataset.file_meta = event.file_meta
        path = write_to_store(dataset, self.folder)
        with self._lock:
            self._pending.setdefault(id(event.assoc), []).append(path)
        return SUCCESS

    def _ended(self, event: Any) -> None:
        with self._lock:
            files = self._pending.pop(id(event.assoc), [])
        if files:
            self.on_received(files)

    def start(self) -> StorageListener:
        from pynetdicom import AE, evt
        from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

        ae = AE(ae_title=self.aet)
        ae.add_supported_context(Verification)
        for sop_class in STORAGE_CLASSES:
            ae.add_supported_context(sop_class, TRANSFER_SYNTAXES)
        handlers: list[Any] = [(evt.EVT_C_STORE, self._stored), (evt.EVT_RELEASED, self._ended),
                               (evt.EVT_ABORTED, self._ended)]
        self.server = ae.start_server((self.bind, self.port), block=False, evt_handlers=handlers)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server = None
