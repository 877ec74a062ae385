"""Index a file, a folder (recursive) or a DICOMDIR into patient → study → series → instances.

Only headers are read here (``stop_before_pixels``); pixels load lazily (:mod:`.loading`).
One unreadable file never stops the rest: it becomes a :class:`FileError` with its reason.
PNG/JPEG films become single-instance series of their own, in a study per folder.
"""
from __future__ import annotations

import errno
import functools
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

import pydicom
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.uid import UID

from .archives import ArchiveError, is_archive, unpacked
from .header_reader import read_common_header
from .segmentations import segmentations_of
from .series import analyse, series_geometry, split_orientations, split_shared_positions
from .study_tree import NO_PATIENT_ID, FileError, Instance, Patient, Series, Study, StudyIndex, name_key

__all__ = ["FileError", "Instance", "Patient", "Series", "Study", "StudyIndex", "UnreadableFile", "build_index"]

FILM_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
# Files that sit beside images in real exports and are not images: skipped without an error.
IGNORED_SUFFIXES = {".txt", ".md", ".json", ".csv", ".xml", ".docx", ".pdf", ".html", ".py", ".zip", ".gz"}


class UnreadableFile(ValueError):
    """A file Lightbox recognised as not usable; the message is the reason in words."""


# Values of these VRs are in the default repertoire whatever the Specific Character Set (PS3.5
# 6.1.2.3), so their raw bytes are decoded here directly. pydicom's per-element conversion (hooks,
# validation) was half of the indexing time (LIDC, 275 files: 0.6 of 1.25 s). Anything else, or
# anything that does not parse, goes through pydicom as before.
_ASCII_VRS = frozenset({"UI", "CS", "DA", "TM", "IS", "DS", "AS"})
_MISSING = object()


@functools.cache
def _tag(keyword: str) -> int:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(keyword)
    return tag


@functools.cache
def _dictionary_vr(keyword: str) -> str:
    """The VR of a public attribute, which is what an implicit-VR file means by it (PS3.5 7.1.3)."""
    return dictionary_VR(_tag(keyword))


def _raw_parts(ds: Dataset, keyword: str) -> list[str] | list[int] | object | None:
    """The element's values straight from its raw bytes (an implicit-VR element takes its VR from
    the data dictionary); _MISSING when absent; None when only pydicom can say (other VRs, big
    endian binary values, an element already converted)."""
    try:
        # pydicom's annotation leaves out the None it returns for an absent element
        element: DataElement | RawDataElement | None = ds.get_item(_tag(keyword))
    except Exception:  # noqa: BLE001 - let pydicom report it below
        return None
    if element is None:
        return _MISSING
    if not isinstance(element, RawDataElement) or element.value is None:
        return None
    vr = element.VR or _dictionary_vr(keyword)
    if vr in _ASCII_VRS:
        return [part.strip(" \x00") for part in element.value.decode("ascii", "replace").split("\\")]
    if vr == "US" and element.is_little_endian and len(element.value) == 2:
        return [int.from_bytes(element.value, "little")]
    return None


def _text(ds: Dataset, keyword: str, default: str = "") -> str:
    parts = _raw_parts(ds, keyword)
    if parts is _MISSING:
        return default
    if parts is not None and len(parts) == 1:  # type: ignore[arg-type]
        return str(parts[0])  # type: ignore[index]
    try:
        value = ds.get(keyword, default)
    except Exception:  # noqa: BLE001 - a malformed element must not stop indexing
        return default
    return str(value).strip() if value is not None else default


def _floats(ds: Dataset, keyword: str, count: int) -> tuple[float, ...] | None:
    parts = _raw_parts(ds, keyword)
    if parts is _MISSING:
        return None
    if parts is not None:
        try:
            values = tuple(float(v) for v in parts)  # type: ignore[attr-defined]  # a list, or pydicom's multi-value
            return values if len(values) == count and all(v == v for v in values) else None
        except ValueError:
            pass  # pydicom decides below
    try:  # (None and "" fail float() below)
        value = ds.get(keyword)
        # pydicom gives one value as a number and several as a MultiValue: a single-valued
        # element it has already converted (RescaleIntercept after apply_modality_lut read it,
        # e.g. for a thumbnail) must not read as missing
        values = tuple(float(v) for v in value) if isinstance(value, (list, tuple, MultiValue)) else (float(value),)
        return values if len(values) == count and all(v == v for v in values) else None
    except Exception:  # noqa: BLE001 - a damaged element (odd length, an unknown VR) reads as absent
        return None


def _int(ds: Dataset, keyword: str) -> int | None:
    parts = _raw_parts(ds, keyword)
    if parts is _MISSING:
        return None
    if parts is not None and len(parts) == 1:  # type: ignore[arg-type]
        if parts[0] == "":  # type: ignore[index]
            return None
        try:
            return int(parts[0])  # type: ignore[index]
        except ValueError:
            pass  # e.g. "1.0": pydicom decides below
    try:
        return int(ds.get(keyword))  # None and "" fail like any other non-number
    except Exception:  # noqa: BLE001 - a damaged element (odd length, an unknown VR) reads as absent
        return None


def header_int(ds: Dataset, keyword: str, default: int) -> int:
    """An integer attribute (IS, US, ...) read the fast way (from the raw bytes where it can be)."""
    value = _int(ds, keyword)
    return default if value is None else value


def _walk(paths: Iterable[Path], errors: list[FileError]) -> Iterable[Path]:
    """Every file under ``paths``, following symbolic links to folders once: a folder reached a
    second time (a link back up the tree, two links to each other) is skipped with a note, so a
    cycle can neither hang the walk nor stop it."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        visited: set[tuple[int, int]] = set()
        for root, dirs, files in os.walk(path, followlinks=True):
            try:
                info = os.stat(root)
            except OSError as exc:
                errors.append(FileError(Path(root), f"folder cannot be read ({exc.strerror})"))
                dirs[:] = []
                continue
            if (info.st_dev, info.st_ino) in visited:
                errors.append(FileError(Path(root), "symbolic link to a folder already read (a link cycle): skipped"))
                dirs[:] = []
                continue
            visited.add((info.st_dev, info.st_ino))
            dirs.sort()
            for name in sorted(files):
                yield Path(root) / name


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` is no regular file to read (a link loop, a dangling link, a FIFO that would
    block the reader forever, a device or socket), or None."""
    try:
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop: skipped"
        if path.is_symlink():
            return "broken symbolic link (its target does not exist): skipped"
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISREG(info.st_mode):
        return None
    kind = ("named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "socket" if stat.S_ISSOCK(info.st_mode)
            else "device" if stat.S_ISBLK(info.st_mode) or stat.S_ISCHR(info.st_mode) else "special file")
    return f"not a regular file ({kind}): skipped"


def _dicomdir_files(path: Path, errors: list[FileError]) -> list[Path]:
    """Files referenced by a DICOMDIR (PS3.10 file-set), checking that each exists."""
    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:  # noqa: BLE001
        errors.append(FileError(path, f"unreadable DICOMDIR: {exc}"))
        return []
    files: list[Path] = []
    try:
        records = list(ds.get("DirectoryRecordSequence", []))
    except Exception as exc:  # noqa: BLE001 - a record sequence cut short: the folder walk still finds the files
        errors.append(FileError(path, f"unreadable DICOMDIR records ({type(exc).__name__}: {exc})"))
        return []
    for record in records:
        try:
            ref = record.get("ReferencedFileID")
        except Exception as exc:  # noqa: BLE001 - one damaged record: the others still count
            errors.append(FileError(path, f"a DICOMDIR record's file ID cannot be read ({type(exc).__name__}: {exc})"))
            continue
        if not ref:
            continue
        parts = [str(ref)] if isinstance(ref, str) else [str(part) for part in ref]
        # a File ID is up to 8 components below the DICOMDIR (PS3.10 8.5): none may climb out of it
        if any(not part or part in (".", "..") or "/" in part or "\\" in part for part in parts):
            errors.append(FileError(path, f"DICOMDIR {path.name} lists {'/'.join(parts)!r}, which is not a file "
                                          "of its file-set: not read"))
            continue
        target = path.parent.joinpath(*parts)
        if target.exists():
            files.append(target)
        else:
            errors.append(FileError(target, f"listed in DICOMDIR {path.name} but missing on disk"))
    return files


def read_header(path: Path) -> tuple[Dataset, int]:
    """Read a DICOM header (no pixels) and the file offset where reading stopped (the Pixel Data
    element's tag when there is one). Files without the 128-byte preamble are accepted when they
    parse to a dataset that has a SOP Class UID or Rows (PS3.10 files written by old software).

    Common files take :func:`.header_reader.read_common_header` (the same dataset, several
    times faster); the rest go to pydicom."""
    common = read_common_header(path)
    if common is not None:
        return common
    with open(path, "rb") as fp:
        try:
            ds = pydicom.dcmread(fp, stop_before_pixels=True)
        except InvalidDicomError:
            fp.seek(0)
            ds = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
            if "SOPClassUID" not in ds and "Rows" not in ds:
                raise InvalidDicomError("not a DICOM file (no preamble, no SOP Class UID)") from None
        return ds, fp.tell()


SR_CLASS_PREFIX = "1.2.840.10008.5.1.4.1.1.88."  # the Structured Report storage classes (PS3.4 B.5)
# documents that travel with a study beside its images: structured reports (incl. key-object
# selections), presentation states and encapsulated documents (PDF, CDA)
STATE_CLASS_PREFIX = "1.2.840.10008.5.1.4.1.1.11."  # the softcopy presentation states (GSPS, CSPS, ...)
DOCUMENT_CLASS_PREFIXES = (SR_CLASS_PREFIX, STATE_CLASS_PREFIX, "1.2.840.10008.5.1.4.1.1.104.")


def registered_class_name(header: Dataset) -> str | None:
    """The SOP class's name as PS3.6 Annex A registers it ("Basic Text SR Storage" -> "Basic Text
    SR"), or None when the class is not a registered one."""
    uid = UID(_text(header, "SOPClassUID"))
    return uid.name.removesuffix(" Storage") if uid.is_valid and uid.name != str(uid) else None


def document_kind(header: Dataset) -> str:
    """What a document is: its SOP class's registered name, or its UID when it is not a registered one."""
    return registered_class_name(header) or f"SOP class {_text(header, 'SOPClassUID') or 'unknown'}"


def _add_dicom(index: StudyIndex, path: Path, ds: Dataset, pixel_offset: int | None = None) -> None:
    if "Rows" not in ds or "Columns" not in ds:
        if len(ds) == 0:  # nothing after the file meta header: the file stops where its data set should begin
            size = path.stat().st_size
            raise UnreadableFile(f"truncated: the file ends after its header ({size} bytes) and holds no data set")
        sop_class = _text(ds, "SOPClassUID")
        if sop_class.startswith(DOCUMENT_CLASS_PREFIXES):
            try:  # read now what every reader of a document asks first (pydicom keeps the values read)
                for keyword in ("SOPClassUID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
                    ds.get(keyword)
            except Exception as exc:  # noqa: BLE001 - a damaged document is listed as unreadable, not opened later
                raise UnreadableFile(f"a document whose header cannot be read ({type(exc).__name__}: {exc})") from exc
            index.documents.append((path, ds))
            return
        # the class by name as well (PS3.6 Annex A): "RT Structure Set" tells a reader what the file is
        name = registered_class_name(ds)
        named = f"{name}, SOP class {sop_class}" if name else f"SOP class {sop_class or 'unknown'}"
        raise UnreadableFile(f"not an image (no Rows/Columns; {named})")
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    if rows is None or columns is None:
        raise UnreadableFile("unreadable Rows/Columns values")
    frames = _int(ds, "NumberOfFrames")
    stated_frames = _text(ds, "NumberOfFrames").strip() if frames is None else ""
    if stated_frames:
        # the frame count lays out the pixel data (PS3.3 C.7.6.6): guessing one frame would show wrong pixels
        raise UnreadableFile(f"unreadable Number of Frames (0028,0008): {stated_frames!r} is not a whole number")
    # patient, study and series attributes are read once, from their first file
    study_uid = _text(ds, "StudyInstanceUID") or f"(no study uid) {path.parent}"
    patient, disagrees = _patient_of(index, ds, study_uid)
    study = patient.studies.get(study_uid)
    if study is None:
        study = patient.studies[study_uid] = Study(study_uid, _text(ds, "StudyDate"), _text(ds, "StudyDescription"),
                                                   _text(ds, "AccessionNumber"))
    series_uid = _text(ds, "SeriesInstanceUID") or f"(no series uid) {path.parent}"
    series = study.series.get(series_uid)
    if series is None:
        series = study.series[series_uid] = Series(series_uid, _text(ds, "Modality"), _text(ds, "SeriesDescription"),
                                                   _int(ds, "SeriesNumber"))
    if disagrees and disagrees not in series.warnings:
        series.warnings.append(disagrees)
    series.instances.append(
        Instance(
            path=path,
            sop_instance_uid=_text(ds, "SOPInstanceUID") or str(path),
            instance_number=_int(ds, "InstanceNumber"),
            position=_floats(ds, "ImagePositionPatient", 3),  # type: ignore[arg-type]
            orientation=_floats(ds, "ImageOrientationPatient", 6),
            rows=rows,
            columns=columns,
            frames=frames or 1,
            header=ds,
            pixel_offset=pixel_offset,
        )
    )


def _patient_of(index: StudyIndex, ds: Dataset, study_uid: str) -> tuple[Patient, str]:
    """The patient node a file belongs to, and a warning when its own header names someone else.

    By Patient ID; but a file whose name, birth date or issuer (where both record one) differ from
    the first file of that ID is another person's (a Patient ID is unique only within its issuer,
    PS3.3 C.7.1.1; files without an ID share a placeholder) and gets a node of its own, not the
    first person's name in the browser and the study database. A file of a study already indexed
    stays with that study (one Study Instance UID is one patient's), with the warning."""
    patient_id = _text(ds, "PatientID") or NO_PATIENT_ID
    name, born, issuer = _text(ds, "PatientName"), _text(ds, "PatientBirthDate"), _text(ds, "IssuerOfPatientID")
    first = index.patients.get(patient_id)
    if first is None or first.is_person(name, born, issuer):
        key = patient_id
    else:  # rare: another person's file; the same person's (or the same study's) node if there is one already
        nodes = [(k, p) for k, p in index.patients.items() if p.id == patient_id]
        key = (next((k for k, p in nodes if study_uid in p.studies), None)
               or next((k for k, p in nodes if p.is_person(name, born, issuer)), None)
               or f"{patient_id}\x1f{name_key(name)}\x1f{born}\x1f{issuer}")  # never a Patient ID (no control characters)
    patient = index.patients.get(key)
    if patient is None:
        patient = index.patients[key] = Patient(patient_id, name, born, _text(ds, "PatientSex"), issuer=issuer)
    if patient.is_person(name, born, issuer):
        return patient, ""
    return patient, (f"files of this study name another patient ({name or 'no name'}, born {born or 'unknown'}) "
                     f"than its first file ({patient.name or 'no name'}, born {patient.birth_date or 'unknown'}): "
                     "check that they belong here")


def _add_film(index: StudyIndex, path: Path) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()  # checks the container without decoding all pixels
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableFile(f"not a readable {path.suffix.lstrip('.').upper()} image: {exc}") from None
    patient = index.patients.setdefault("(films)", Patient("(films)", "Films (no DICOM header)"))
    folder = str(path.parent)
    study = patient.studies.setdefault(folder, Study(folder, description=f"Films in {path.parent.name}"))
    series = study.series.setdefault(str(path), Series(str(path), "XC", path.name))
    series.instances.append(Instance(path, str(path), 1, rows=height, columns=width))


def build_index(
    paths: Path | str | Iterable[Path | str],
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    read: Callable[[Path], tuple[Dataset, int]] = read_header,
) -> StudyIndex:
    """Index files, folders (recursively) and DICOMDIRs.

    Parameters
    ----------
    paths
        One or more files or folders.
    progress
        Called as ``progress(done, total)`` while headers are read.
    cancelled
        Polled between files; indexing stops early when it returns True.
    read
        Reads a DICOM file's header (:func:`read_header`; the study database passes one that
        gives back the headers it stored: ``StudyCatalog.header_reader``).
    """

    if isinstance(paths, (str, Path)):
        paths = [paths]
    index = StudyIndex()
    roots = []
    for root in (Path(p) for p in paths):
        if not root.exists():
            index.errors.append(FileError(root, "no such file or folder"))
        elif is_archive(root):  # named by the user: opened as the folder it holds (a zip inside a folder is not)
            try:
                folder, skipped = unpacked(root)
            except ArchiveError as exc:
                index.errors.append(FileError(root, str(exc)))
                continue
            except OSError as exc:
                index.errors.append(FileError(root, f"the archive cannot be unpacked ({exc.strerror or exc})"))
                continue
            if skipped:
                index.errors.append(FileError(root, f"{skipped} member(s) skipped: their paths lead outside the archive"))
            roots.append(folder)
            continue
        roots.append(root)
    files: list[Path] = []
    seen: set[Path] = set()
    for path in _walk((r for r in roots if r.exists()), index.errors):
        if path.name.upper() == "DICOMDIR":
            files.extend(_dicomdir_files(path, index.errors))
            continue
        files.append(path)
    for done, path in enumerate(files, 1):
        if cancelled is not None and cancelled():
            break
        if progress is not None:
            progress(done, len(files))
        problem = _not_a_file(path)
        if problem is not None:
            index.errors.append(FileError(path, problem))
            continue
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        suffix = path.suffix.lower()
        try:
            if suffix in FILM_SUFFIXES:
                _add_film(index, path)
            elif suffix in IGNORED_SUFFIXES or path.name.startswith("."):
                index.ignored.append(path)
            else:
                if path.stat().st_size == 0:
                    raise UnreadableFile("empty file (0 bytes)")
                _add_dicom(index, path, *read(path))
        except InvalidDicomError as exc:
            index.errors.append(FileError(path, str(exc) or "not a DICOM file"))
        except UnreadableFile as exc:
            index.errors.append(FileError(path, str(exc)))
        except Exception as exc:  # noqa: BLE001 - the reason is kept, the rest loads
            index.errors.append(FileError(path, f"{type(exc).__name__}: {exc}"))
    for study in index.all_studies():
        for uid, series in list(study.series.items()):
            # slices in several planes are one stack per plane (each of them seen), and slices
            # sharing positions are several images each, never duplicates to drop
            parts = [p for part in split_orientations(series) or [series] for p in split_shared_positions(part) or [part]]
            if parts != [series]:
                del study.series[uid]
                study.series.update((part.uid, part) for part in parts)
    for series in index.all_series():
        try:
            analyse(series)
        except Exception as exc:  # noqa: BLE001 - a damaged header (a sequence cut short) must not stop the folder
            series.kind = "film"
            series.warnings.append(f"its header could not be read whole ({type(exc).__name__}: {exc}): its images are "
                                   "shown one by one, if they can be")
    for study in index.all_studies():  # the segmentations (SEG) of a study, drawn on the series they reference
        candidates = list(study.series.values())
        for series in candidates:
            if series.kind == "volume" and series.modality != "SEG":
                series.segmentations = segmentations_of(series, candidates)
    return index


def index_to_dict(index: StudyIndex) -> dict[str, object]:
    """A JSON-ready description of the index: tree, geometry, warnings, per-file errors."""

    patients = []
    for patient in index.patients.values():
        studies = []
        for study in patient.studies.values():
            series_out = []
            for s in study.series.values():
                entry: dict[str, object] = {
                    "uid": s.uid, "number": s.number, "modality": s.modality, "description": s.description,
                    "kind": s.kind, "instances": len(s.instances), "frames": s.frame_count, "warnings": s.warnings,
                }
                if s.instances:
                    entry["size"] = [s.instances[0].columns, s.instances[0].rows]
                if s.kind == "volume":
                    entry["geometry"] = series_geometry(s).to_dict()
                    entry["slice_spacing"] = s.slice_spacing
                entry.update(_display_facts(s))
                series_out.append(entry)
            studies.append({"uid": study.uid, "date": study.date, "description": study.description,
                            "accession": study.accession, "series": series_out})
        patients.append({"id": patient.id, "name": patient.name, "sex": patient.sex, "birth_date": patient.birth_date,
                         "studies": studies})
    return {
        "patients": patients,
        "errors": [{"path": str(e.path), "reason": e.reason} for e in index.errors],
        "documents": [{"path": str(path), "kind": document_kind(header), "study_uid": _text(header, "StudyInstanceUID"),
                       **_state_facts(index, header)} for path, header in index.documents],
        "ignored_files": len(index.ignored),
    }


def _state_facts(index: StudyIndex, header: Dataset) -> dict[str, object]:
    """A softcopy presentation state's label and description (C.11.10) and the images it presents
    by series ("#3 CR: 2 image(s)"), so that a reader knows which images `screenshot --presentation`
    and View → Presentation state show with it; {} for any other document."""
    if not _text(header, "SOPClassUID").startswith(STATE_CLASS_PREFIX):
        return {}
    counts: dict[str, int] = {}
    try:
        for item in header.get("ReferencedSeriesSequence", []) or []:
            uid = _text(item, "SeriesInstanceUID")
            counts[uid] = counts.get(uid, 0) + len(item.get("ReferencedImageSequence", []) or [])
    except Exception:  # noqa: BLE001 - a damaged sequence: no images named
        counts = {}
    by_uid = {series.uid: series for series in index.all_series()}
    presents = []
    for uid, count in counts.items():
        series = by_uid.get(uid)
        name = f"#{series.number if series.number is not None else '-'} {series.modality}" if series else "a series not here"
        presents.append(f"{name}: {count} image(s)")
    label = " - ".join(x for x in (_text(header, "ContentLabel"), _text(header, "ContentDescription")) if x)
    return {"label": label, "presents": presents}


def _display_facts(series: Series) -> dict[str, object]:
    """What the headers say of how the series is shown, for ``inspect`` without decoding: lossy
    compression (PS3.3 C.7.6.1.1.5), a display shutter (C.7.6.11, or an enhanced object's Frame
    Display Shutter), pixel padding (C.7.5.1.1.2), the windows it states when more than one or not
    linear (C.11.2), where a projection film's pixel size holds (10.7.1) and a PET series' SUV
    basis (C.8.9), each from the first image that states it."""
    from .calibration import projection_calibration, usable_spacing
    from .lossy import lossy_compression
    from .pixels import dataset_windows, element_values
    from .shutters import shutter_source
    from .suv import pet_units

    facts: dict[str, object] = {}
    lossy = [text for i in series.instances if i.header is not None and (text := lossy_compression(i.header))]
    if lossy:  # every kind once, and how many of the images
        kinds = "; ".join(dict.fromkeys(text.removeprefix("LOSSY").strip() or "ratio and method not stated" for text in lossy))
        facts["lossy"] = f"{kinds} ({len(lossy)} of {len(series.instances)} image(s))"
    for instance in series.instances:
        ds = instance.header
        if ds is None:
            continue
        shutter = shutter_source(ds, 0)
        if "display_shutter" not in facts and "ShutterShape" in shutter:
            facts["display_shutter"] = "\\".join(str(v) for v in element_values(shutter.get("ShutterShape"))) + (
                "" if shutter is ds else " (Frame Display Shutter)")
        windows = dataset_windows(ds)
        if "windows" not in facts and (len(windows) > 1 or any(w.function != "LINEAR" for _, w in windows)):
            facts["windows"] = ", ".join(f"{name + ' ' if name else ''}W {w.width:g} / L {w.center:g}"
                                         + ("" if w.function == "LINEAR" else f" {w.function}") for name, w in windows)
        if "calibration" not in facts and "ImagerPixelSpacing" in ds:
            notes = projection_calibration(ds, usable_spacing(ds.get("PixelSpacing"))).notes
            if notes:
                facts["calibration"] = "; ".join(notes)
        if "pixel_padding" not in facts and "PixelPaddingValue" in ds:
            value = ds.get("PixelPaddingValue")
            limit = ds.get("PixelPaddingRangeLimit")
            facts["pixel_padding"] = f"{value}" + (f" to {limit}" if limit is not None else "") + " (stored)"
    if series.modality.upper() == "PT":
        headers = [i.header for i in series.instances if i.header is not None]
        facts["suv"] = "; ".join(pet_units(headers)[2])
    if series.modality.upper() == "MR":
        facts.update(_real_world_fact(series))
    return facts


def _real_world_fact(series: Series) -> dict[str, object]:
    """What an MR series' Real World Value Mapping makes of its values (:mod:`.real_world`), in
    words, for ``inspect``: its quantity and unit, or why it is not applied."""
    from .real_world import stack_mapping

    mappings, notes = stack_mapping([(i.header, 0) for i in series.instances if i.header is not None])
    if mappings:
        first = mappings[0]
        named = f"{first.label} " if first.label else ""
        return {"real_world": f"{named}in {first.unit or 'no unit'} (Real World Value Mapping)"}
    return {"real_world": "; ".join(notes)} if notes else {}


def format_index(index: StudyIndex) -> str:
    """The study tree as indented text, for ``lightbox inspect``."""
    data = index_to_dict(index)
    lines: list[str] = []
    for p in data["patients"]:  # type: ignore[attr-defined]  # index_to_dict's JSON-shaped dict
        lines.append(f"Patient {p['id']}  {p['name']}".rstrip())
        for st in p["studies"]:
            lines.append(f"  Study {st['date'] or '(no date)'}  {st['description']}  [{st['uid']}]")
            for s in st["series"]:
                size = "x".join(str(v) for v in s.get("size", []))
                # the UID is what --series (screenshot, draft, ask, report) takes
                lines.append(f"    Series {s['number'] if s['number'] is not None else '-'}  {s['modality']}  {s['description']}"
                             f"  {s['kind']}, {s['frames']} image(s) {size}".rstrip() + f"  [{s['uid']}]")
                if "geometry" in s:
                    g = s["geometry"]
                    fmt = lambda v: "(" + ", ".join(f"{x:.3f}" for x in v) + ")"  # noqa: E731
                    lines.append(f"      origin {fmt(g['origin'])} mm  spacing {fmt(g['spacing'])} mm")
                    lines.append(f"      direction {fmt(sum(g['direction'], []))}")
                for key, label in (("lossy", "lossy compressed"), ("display_shutter", "display shutter"),
                                   ("pixel_padding", "pixel padding"), ("windows", "windows stated"),
                                   ("calibration", "calibration"), ("suv", "PET"), ("real_world", "values")):
                    if key in s:
                        lines.append(f"      {label}: {s[key]}")
                for w in s["warnings"]:
                    lines.append(f"      warning: {w}")
    errors = data["errors"]
    if errors:
        lines.append(f"{len(errors)} file(s) could not be read:")  # type: ignore[arg-type]
        for e in errors:  # type: ignore[attr-defined]
            lines.append(f"  {e['path']}: {e['reason']}")
    if index.documents:  # reports, presentation states, PDFs: shown beside their study's images
        lines.append(f"{len(index.documents)} document(s), not images (read beside their study's images):")
        for d in data["documents"]:  # type: ignore[attr-defined]
            lines.append(f"  {d['path']}: {d['kind']}" + (f" \"{d['label']}\"" if d.get("label") else "")
                         + (f", presents {'; '.join(d['presents'])}" if d.get("presents") else ""))
    if data["ignored_files"]:
        lines.append(f"{data['ignored_files']} non-image file(s) ignored")
    return "\n".join(lines)
