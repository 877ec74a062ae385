"""One entry per PACS task, whichever protocol the server speaks: DIMSE when it has a host,
port and AE title, else DICOMweb. The command line and the window call these, not the protocols."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from pydicom.dataset import Dataset

from . import dicomweb, dimse
from .servers import PacsServer


def search_studies(server: PacsServer, filters: dict[str, str], level: str = "STUDY") -> list[Dataset]:
    """C-FIND at ``level``, or QIDO-RS (study level only)."""
    if server.has_dimse:
        return dimse.find(server, level, filters)
    if level.upper() != "STUDY":
        raise ValueError("DICOMweb search here is at study level")
    return dicomweb.search_studies(server, filters)


def retrieve_study(server: PacsServer, study_uid: str, folder: Path, method: str = "get", move_port: int = 0,
                   series_uid: str = "", progress: Callable[[int], None] | None = None,
                   cancelled: Callable[[], bool] | None = None, problems: list[str] | None = None) -> list[Path]:
    """C-GET / C-MOVE, or WADO-RS, into ``folder/<study UID>/``; what arrived damaged (kept as it
    came), said in ``problems``."""
    if server.has_dimse:
        return dimse.retrieve(server, study_uid, folder, method, move_port, series_uid, progress, cancelled, problems)
    return dicomweb.retrieve_study(server, study_uid, folder, progress, problems)


def send_files(server: PacsServer, files: Iterable[Path]) -> int:
    """C-STORE or STOW-RS; returns how many were sent."""
    paths = list(files)
    return dimse.send(server, paths) if server.has_dimse else dicomweb.store(server, paths)
