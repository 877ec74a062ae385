"""Importing a study from a CD or a USB stick: its DICOM files copied into Lightbox's store (the
data folder's ``store``, where retrieved and received studies go) and recorded from there, so the
study stays when the disc is taken out. (A plain import records files where they are.)"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset

from ..pacs.servers import copy_to_store
from ..studyexport.media import study_files
from ..viewer.index import StudyIndex, build_index
from .catalog import StudyCatalog, index_paths


@dataclass
class CopiedImport:
    """What an import with copies did: the studies recorded, the files copied now, those already
    in the store, and the files left out with why."""

    studies: list[str] = field(default_factory=list)
    copied: int = 0
    already: int = 0
    left_out: list[str] = field(default_factory=list)
    index: StudyIndex | None = None  # the copies, as recorded


def import_copies(catalog: StudyCatalog, paths: list[Path], store: Path,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> CopiedImport:
    """Read ``paths`` (files, folders, a DICOMDIR), copy every DICOM file of their studies (images,
    segmentations, reports, key images, presentation states) into ``store`` byte for byte, and
    record the copies in ``catalog``. ``progress(done, total)`` while reading and copying; when
    ``cancelled()`` turns true nothing more is copied and nothing is recorded."""
    result = CopiedImport()
    source = build_index(list(paths), progress, cancelled)
    if cancelled is not None and cancelled():
        return result
    files, result.left_out = study_files(source)
    headers = {instance.path: instance.header for series in source.all_series() for instance in series.instances
               if instance.header is not None}
    headers.update({path: header for path, header in source.documents})
    copies = []
    for n, path in enumerate(files, 1):
        if cancelled is not None and cancelled():
            return result
        if progress is not None:
            progress(n, len(files))
        try:
            header: Dataset = headers.get(path) or dcmread(path, stop_before_pixels=True)
            copy, new = copy_to_store(path, header, store)
        except OSError as exc:  # a disc that cannot be read there, a full disk: said, the rest copied
            result.left_out.append(f"{path.name}: not copied ({exc})")
            continue
        copies.append(copy)
        result.copied += new
        result.already += not new
    if copies:
        result.studies, result.index = index_paths(catalog, copies)
    return result
