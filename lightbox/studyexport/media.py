"""A study's DICOM files written as a DICOM file-set: the instances under their own short names
with a DICOMDIR that indexes them, patient → study → series → instance (PS3.10 Section 8, PS3.3
Annex F), as a CD or USB stick for another site or the patient is made (PS3.11's general
purpose profiles). Written with pydicom's ``FileSet``.

The DICOMDIR's records need values the instances may lack (a Study ID is Type 2 in an image but
Type 1 in its STUDY record, PS3.3 F.5): such a record gets a stand-in ("1", the series' or
instance's place, the series' date), said in the export's notes, while the instance itself is
written as it is (or as de-identified).
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import generate_uid

from ..viewer.index import StudyIndex
from .deidentify import BurnedInAnnotation, Deidentifier

FILE_SET_ID = "LIGHTBOX"
# Type 1 in the PATIENT / STUDY / SERIES / IMAGE (and document) records, with the stand-in used
# when the instance has none: a function of the instance and its place in the export
_STAND_INS: dict[str, Callable[[Dataset, dict[str, Any]], str]] = {
    "PatientID": lambda ds, place: "UNKNOWN",
    "Modality": lambda ds, place: "OT",  # PS3.3 C.7.3.1.1.1: Other
    "StudyInstanceUID": lambda ds, place: str(place["uid"]) + ".1",  # one study of the export's own for such files
    "SeriesInstanceUID": lambda ds, place: str(place["uid"]) + ".2",
    "StudyDate": lambda ds, place: _first(ds, "SeriesDate", "AcquisitionDate", "ContentDate") or "19000101",
    "StudyTime": lambda ds, place: _first(ds, "SeriesTime", "AcquisitionTime", "ContentTime") or "000000",
    "StudyID": lambda ds, place: "1",
    "SeriesNumber": lambda ds, place: str(place["series"]),
    "InstanceNumber": lambda ds, place: str(place["instance"]),
    "ContentDate": lambda ds, place: _first(ds, "StudyDate", "SeriesDate") or "19000101",
    "ContentTime": lambda ds, place: _first(ds, "StudyTime", "SeriesTime") or "000000",
}


def study_files(index: StudyIndex, study_uid: str | None = None) -> tuple[list[Path], list[str]]:
    """The DICOM files of the study ``study_uid`` (every study of ``index`` when None): each
    series' instances and segmentations, and the documents (reports, key images, presentation
    states) that belong to it; and the files left out, with why (a PNG or JPEG film is no DICOM)."""
    files: list[Path] = []
    left_out: list[str] = []
    studies = [s for s in index.all_studies() if study_uid is None or s.uid == study_uid]
    for study in studies:
        for series in study.series.values():
            for instance in series.instances:
                if instance.header is None:
                    left_out.append(f"{instance.path.name}: not a DICOM file (an image file opened as a film)")
                else:
                    files.append(instance.path)
            files += list(series.segmentations)
    uids = {s.uid for s in studies}
    files += [path for path, header in index.documents if str(header.get("StudyInstanceUID", "")) in uids]
    if study_uid is None:  # the whole folder: what Lightbox does not read as part of a study is said
        left_out += [f"{error.path.name}: {error.reason} (Lightbox reads images and their documents)"
                     for error in index.errors]
    return list(dict.fromkeys(files)), left_out  # (a file met twice, once)


def is_document(ds: Dataset) -> bool:
    """A report, key-image selection, presentation state or encapsulated document: content that
    may name the patient in its text, which the Basic Profile replaces with dummies."""
    return (str(ds.get("Modality", "")).upper() in ("SR", "KO", "PR", "DOC")
            or any(k in ds for k in ("ContentSequence", "GraphicAnnotationSequence", "EncapsulatedDocument")))


def _complete_file_meta(ds: Dataset) -> None:
    """File meta information for an instance read without it (or without its transfer syntax):
    the encoding it was read in, and its SOP class and instance (PS3.10 7.1), as a file needs."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    if meta is None:
        meta = ds.file_meta = FileMetaDataset()
    if "TransferSyntaxUID" not in meta:
        implicit, little = getattr(ds, "original_encoding", (False, True))
        meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else
                                  ExplicitVRLittleEndian if little in (True, None) else ExplicitVRBigEndian)
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID


def _first(ds: Dataset, *keywords: str) -> str:
    return next((str(ds.get(k)) for k in keywords if ds.get(k) not in (None, "")), "")


@dataclass
class Exported:
    """What an export wrote: the folder, how many instances, and what it left out or stood in for."""

    folder: Path
    written: int = 0
    left_out: list[str] = field(default_factory=list)  # "file: why"
    notes: list[str] = field(default_factory=list)
    studies: int = 0


def _records(ds: Dataset, place: dict[str, Any]) -> tuple[Any, list[str]]:
    """The RecordNode (PATIENT → STUDY → SERIES → leaf) for ``ds``'s instance, made by pydicom's
    own record definitions from a copy of its header with stand-ins where a Type 1 value is
    missing, and the stand-ins used (in words)."""
    from pydicom.fileset import DIRECTORY_RECORDERS, RecordNode, _four_level_record_type

    header = Dataset()
    for element in ds:
        if element.tag != 0x7FE00010 and not element.tag.is_private:  # no pixels: a header for the records
            header.add(element)
    used: list[str] = []
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID"):  # the records' keys: pydicom needs them before any check
        if header.get(keyword) in (None, ""):
            _stand_in(header, keyword, ds, place, used)
    parent = None
    leaf_type = _four_level_record_type(header)
    for record_type in ("PATIENT", "STUDY", "SERIES", leaf_type):
        record = _record(DIRECTORY_RECORDERS[record_type], header, ds, place, used)
        record.DirectoryRecordType = record_type
        if "SpecificCharacterSet" in ds:
            record.SpecificCharacterSet = ds.SpecificCharacterSet
        if record_type == leaf_type:  # the instance it names (add_custom fills these in again)
            record.ReferencedFileID = None
            record.ReferencedSOPClassUIDInFile = ds.SOPClassUID
            record.ReferencedSOPInstanceUIDInFile = ds.SOPInstanceUID
            record.ReferencedTransferSyntaxUIDInFile = ds.file_meta.TransferSyntaxUID
        node = RecordNode(record)
        if parent is not None:
            node.parent = parent
        parent = node
    return parent, used


def _record(recorder: Callable[[Dataset], Dataset], header: Dataset, ds: Dataset, place: dict[str, Any],
            used: list[str]) -> Dataset:
    """``recorder``'s record of ``header``, a stand-in put into ``header`` for each Type 1 value
    the recorder says is missing or empty (and named in ``used``); ValueError for one that has no
    stand-in."""
    from pydicom.datadict import keyword_for_tag

    while True:
        try:
            return recorder(header)
        except ValueError as exc:
            found = re.search(r"\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)", str(exc))
            keyword = keyword_for_tag(int(found[1] + found[2], 16)) if found else ""
            if keyword not in _STAND_INS or keyword in used:
                raise
            _stand_in(header, keyword, ds, place, used)


def _stand_in(header: Dataset, keyword: str, ds: Dataset, place: dict[str, Any], used: list[str]) -> None:
    """Give ``header`` (the records' copy) the stand-in for ``keyword``, a new element: the instance's own stays."""
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    tag = tag_for_keyword(keyword)
    assert tag is not None
    header.add_new(tag, dictionary_VR(tag), _STAND_INS[keyword](ds, place))
    used.append(keyword)


class ExportCancelled(Exception):
    """The reader stopped the export before its files were written: nothing is in the folder."""


def _take_back(out: Path, created: bool) -> None:
    """Remove what a failed write left in ``out`` (new or empty before it: all of it is the export's)."""
    import shutil

    for entry in list(out.iterdir()) if out.exists() else []:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if created:
        with contextlib.suppress(OSError):  # something left that could not be removed: the folder stays
            out.rmdir()


def export_files(files: Iterable[Path], out: Path, deidentifier: Deidentifier | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Exported:
    """Write the DICOM ``files`` into the new or empty folder ``out`` as a file-set with a DICOMDIR,
    de-identified by ``deidentifier`` if given. Files that are not DICOM, cannot be read or (de-
    identified) carry burned-in text are left out, each with its reason; ValueError when ``out``
    holds files already or nothing could be written.

    The instances are read and staged first (pydicom's FileSet keeps them in a temporary folder),
    then written into ``out`` in one go: ``cancelled`` is asked before each file is staged
    (ExportCancelled: ``out`` untouched), and a failure while writing (a full disk, a stick pulled
    out) takes back what was written, so ``out`` never holds a file-set without its DICOMDIR."""
    from pydicom.fileset import FileSet

    files = list(files)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty: choose a new or empty folder (nothing is overwritten)")
    result = Exported(out)
    file_set = FileSet()
    file_set.ID = FILE_SET_ID
    stand_in_root = str(generate_uid(prefix=None))  # "2.25." and at most 39 digits: its ".1" and ".2" stay within 64 characters
    series_places: dict[str, int] = {}
    instances_in: dict[str, int] = {}
    stood_in: dict[str, int] = {}
    studies: set[str] = set()
    for n, path in enumerate(files, 1):
        if cancelled is not None and cancelled():
            raise ExportCancelled(f"cancelled after {n - 1} of {len(files)} file(s): nothing was written to {out}")
        if progress is not None:
            progress(n, len(files))
        try:
            ds = dcmread(path)
        except (InvalidDicomError, OSError, ValueError) as exc:
            result.left_out.append(f"{path.name}: not a readable DICOM file ({exc})")
            continue
        if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
            result.left_out.append(f"{path.name}: no SOP Instance or Class UID (not a DICOM instance)")
            continue
        series = str(ds.get("SeriesInstanceUID", ""))
        instances_in[series] = instances_in.get(series, 0) + 1
        place: dict[str, Any] = {"series": series_places.setdefault(series, len(series_places) + 1),
                                 "instance": instances_in[series], "uid": stand_in_root}
        if deidentifier is not None and is_document(ds):
            result.left_out.append(f"{path.name}: a document (report, key images, presentation state): its text and "
                                   "marks may name the patient, and the Basic Profile leaves dummies in their place")
            continue
        if deidentifier is not None:
            try:
                deidentifier.apply(ds)
            except BurnedInAnnotation as exc:
                result.left_out.append(f"{path.name}: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - a value the profile's library cannot replace: never half-cleaned
                result.left_out.append(f"{path.name}: cannot be de-identified ({type(exc).__name__}: {exc})")
                continue
        _complete_file_meta(ds)
        try:
            leaf, used = _records(ds, place)
        except ValueError as exc:  # a Type 1 value of its record that has no stand-in
            result.left_out.append(f"{path.name}: no DICOMDIR record can be made ({exc})")
            continue
        try:
            file_set.add_custom(ds, leaf)
        except Exception as exc:  # noqa: BLE001 - one odd file never stops the export: said
            result.left_out.append(f"{path.name}: not written ({type(exc).__name__}: {exc})")
            continue
        for keyword in used:
            stood_in[keyword] = stood_in.get(keyword, 0) + 1
        studies.add(str(ds.get("StudyInstanceUID", "")))
        result.written += 1
    if not result.written:
        raise ValueError("no DICOM instance could be written" + (f" ({result.left_out[0]})" if result.left_out else ""))
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        file_set.write(out)
    except BaseException:
        _take_back(out, created)
        raise
    result.studies = len(studies)
    for keyword, count in sorted(stood_in.items()):
        result.notes.append(f"{count} instance(s) without {keyword}: the DICOMDIR's record has a stand-in "
                            "(the instance is written as it is)")
    return result
