"""ZIP archives unpacked into the data folder, seen from the study database: each with the studies
recorded from it, and removed together with the studies recorded only from it (the CLI's
``lightbox db archives`` and the Studies window's *Unpacked archives...*)."""
from __future__ import annotations

from dataclasses import dataclass

from ..viewer.archives import UnpackedArchive, remove_unpacked, unpacked_archives
from .catalog import StudyCatalog


@dataclass(frozen=True)
class ArchiveRow:
    archive: UnpackedArchive
    studies: int  # recorded with files in its folder
    last_opened: str  # ISO time a study recorded from it was last opened, or ""

    @property
    def unpacked_text(self) -> str:
        """When it was unpacked, local time to the minute ("(interrupted)": never completed)."""
        when = self.archive.unpacked_at
        return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "(interrupted)"

    @property
    def last_opened_text(self) -> str:
        return self.last_opened[:16].replace("T", " ")


def archive_rows(catalog: StudyCatalog) -> list[ArchiveRow]:
    """Every unpacked archive, oldest first, with what the study database holds from it."""
    rows = []
    for archive in unpacked_archives():
        studies = catalog.studies_under(archive.folder)
        rows.append(ArchiveRow(archive, len(studies), max((when for _, when, _ in studies), default="")))
    return rows


def remove_archive(catalog: StudyCatalog, archive: UnpackedArchive) -> tuple[list[str], list[str]]:
    """Delete the archive's folder and forget the studies recorded only from it; returns (the
    studies forgotten, those kept because they have files elsewhere too)."""
    studies = catalog.studies_under(archive.folder)
    remove_unpacked(archive)
    forgotten = [uid for uid, _, inside in studies if inside and catalog.remove(uid)]
    return forgotten, [uid for uid, _, inside in studies if not inside]


def size_text(count: int) -> str:
    """A size on disk as a reader reads it (KB, MB, GB; binary units)."""
    if count >= 2**30:
        return f"{count / 2**30:.1f} GB"
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{count / 2**10:.0f} KB"
