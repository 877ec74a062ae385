"""ZIP archives of DICOM files, opened as the folder they hold.

Studies arrive zipped: a PACS web portal's or a patient portal's download, a TCIA or colleague's
share. Opening ``study.zip`` showed "1 non-image file(s) ignored - no image found". An archive
the user names (not one found inside a folder: a zipped copy beside the files is skipped, as
before) is unpacked once into the user's data folder (``archives/<name>-<key>/``) and indexed as
a folder. The pixels of uncompressed slices are read from their files at offsets found while
indexing, so the files must stay on disk while the study is open, and the study database may
record them: a temporary folder would vanish under both. The key is the archive's path, size and
modification time, so a changed archive is unpacked afresh and an unchanged one is not unpacked
again.

Python's :mod:`zipfile` reads the archive (Deflate, Zip64). Refused with the reason: an archive
that is not one, a password-protected one, one larger unpacked than the free space, and member
names that would land outside the folder ("../", absolute paths: the zip-slip attack) are skipped
and counted.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from ..user_data import default_data_dir

ARCHIVE_SUFFIXES = {".zip"}
COMPLETE = ".unpacked"  # beside the folder, written last: a folder without it was interrupted


class ArchiveError(ValueError):
    """An archive that cannot be opened; the message says why (the caller names the file)."""


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in ARCHIVE_SUFFIXES and path.is_file()


def archives_root() -> Path:
    """Where archives are unpacked: the data folder's ``archives/``."""
    return default_data_dir() / "archives"


def archive_folder(archive: Path, root: Path | None = None) -> Path:
    """Where ``archive`` is (or will be) unpacked."""
    stat = archive.stat()
    key = hashlib.sha256(f"{archive.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    return (root or archives_root()) / f"{archive.stem[:60]}-{key}"


def _safe_name(name: str) -> PurePosixPath | None:
    """The member's path inside the folder, or None when it would leave it (absolute, "..",
    a Windows drive): those are skipped, never written."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        return None
    return path


def unpacked(archive: Path, root: Path | None = None) -> tuple[Path, int]:
    """The folder holding ``archive``'s files, unpacked now unless an earlier complete unpacking
    of the same archive is there; and how many members were skipped as unsafe."""
    folder = archive_folder(archive, root)
    marker = folder.with_name(folder.name + COMPLETE)  # not inside: it would be walked as a file of the study
    if marker.is_file():
        return folder, int(marker.read_text() or 0)
    try:
        with zipfile.ZipFile(archive) as opened:
            members = [m for m in opened.infolist() if not m.is_dir()]
            if any(m.flag_bits & 0x1 for m in members):
                raise ArchiveError("a password-protected ZIP archive: extract it with its password first")
            needed = sum(m.file_size for m in members)
            folder.parent.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(folder.parent).free
            if needed > free:
                raise ArchiveError(f"a ZIP archive of {needed / 2**30:.1f} GiB unpacked, more than the "
                                   f"{free / 2**30:.1f} GiB free in {folder.parent}")
            shutil.rmtree(folder, ignore_errors=True)  # what an interrupted unpacking left
            skipped = 0
            for member in members:
                inside = _safe_name(member.filename)
                if inside is None:
                    skipped += 1
                    continue
                target = folder.joinpath(*inside.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with opened.open(member) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise ArchiveError(f"not a readable ZIP archive ({exc})") from exc
    folder.mkdir(parents=True, exist_ok=True)  # (an archive of folders only has made none)
    marker.write_text(str(skipped))
    return folder, skipped


@dataclass(frozen=True)
class UnpackedArchive:
    """One archive's unpacked folder in the data folder: its size on disk, and when it was unpacked
    (None: the unpacking was interrupted, and the folder is only what it left)."""

    folder: Path
    size_bytes: int
    unpacked_at: datetime | None

    @property
    def name(self) -> str:
        return self.folder.name


def unpacked_archives(root: Path | None = None) -> list[UnpackedArchive]:
    """Every unpacked archive under ``root`` (default: the data folder's), oldest first."""
    root = root or archives_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        marker = folder.with_name(folder.name + COMPLETE)
        size = 0
        for path, _dirs, names in os.walk(folder, onerror=lambda _exc: None):  # an unreadable folder counts as empty
            for name in names:
                with contextlib.suppress(OSError):  # gone or unreadable since the walk listed it
                    size += (Path(path) / name).lstat().st_size
        when = datetime.fromtimestamp(marker.stat().st_mtime, UTC) if marker.is_file() else None
        found.append(UnpackedArchive(folder, size, when))
    return sorted(found, key=lambda a: (a.unpacked_at is not None, a.unpacked_at or datetime.min.replace(tzinfo=UTC)))


def remove_unpacked(archive: UnpackedArchive) -> None:
    """Delete an unpacked archive's folder, its completion marker first (so that an interrupted
    removal reads as an interrupted unpacking, done again the next time the archive is opened)."""
    archive.folder.with_name(archive.folder.name + COMPLETE).unlink(missing_ok=True)
    shutil.rmtree(archive.folder)

