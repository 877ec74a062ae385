"""The study tree the index builds: patient → study → series → instances, header only.

Plain data classes, no logic that reads files: :mod:`.index` fills them, :mod:`.series` orders and
analyses a series, and everything downstream reads them. They live apart so that the index and
the series analysis both import them and never each other (they once imported each other).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset


@dataclass
class FileError:
    """A file that could not be indexed, with the reason in words."""

    path: Path
    reason: str


@dataclass
class Instance:
    """One image object (a DICOM SOP instance or a film file), header only."""

    path: Path
    sop_instance_uid: str
    instance_number: int | None = None
    position: tuple[float, float, float] | None = None  # ImagePositionPatient
    orientation: tuple[float, ...] | None = None  # ImageOrientationPatient (6 values)
    rows: int = 0
    columns: int = 0
    frames: int = 1
    header: Dataset | None = None  # None for films
    pixel_offset: int | None = None  # file offset of the (7FE0,0010) element, when known

    @property
    def is_film_file(self) -> bool:
        return self.header is None


@dataclass
class Series:
    """Instances sharing a SeriesInstanceUID (or one film file)."""

    uid: str
    modality: str = ""
    description: str = ""
    number: int | None = None
    instances: list[Instance] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Filled by :func:`lightbox.viewer.series.analyse`:
    kind: str = "unknown"  # "volume" (3D stack or multi-frame), "film" (single 2D image)
    slice_spacing: float | None = None
    # the files of the study's segmentations (DICOM SEG) that reference this series: drawn on its slices
    segmentations: list[Path] = field(default_factory=list)

    @property
    def first_header(self) -> Dataset | None:
        return self.instances[0].header if self.instances else None

    @property
    def frame_count(self) -> int:
        return sum(i.frames for i in self.instances)

    def label(self) -> str:
        number = f"#{self.number} " if self.number is not None else ""
        text = self.description or self.modality or "series"
        return f"{number}{text} ({self.frame_count} {'image' if self.frame_count == 1 else 'images'})"


@dataclass
class Study:
    uid: str
    date: str = ""
    description: str = ""
    accession: str = ""
    series: dict[str, Series] = field(default_factory=dict)


def person_name(value: str) -> str:
    """``"DOE^JANE^^DR"`` → ``"DOE, JANE"``: family, then given and middle names. PS3.5 6.2.1 PN
    components are positional (family^given^middle^prefix^suffix), so an empty one still counts:
    the prefix "DR" is not a middle name. Only the alphabetic group (before any "=") is shown."""
    components = [c.strip() for c in str(value).split("=")[0].split("^")]
    family, given = components[0], " ".join(c for c in components[1:3] if c)
    return ", ".join(x for x in (family, given) if x)


class SeriesNotFound(KeyError):
    """A SeriesInstanceUID asked for (``--series``) that the opened paths do not hold."""

    def __init__(self, uid: str, present: list[str]) -> None:
        super().__init__(uid)
        self.uid, self.present = uid, present

    def __str__(self) -> str:  # KeyError's own is the bare quoted key: "lightbox: '1.2.3'"
        listed = ", ".join(self.present[:5]) + (f" and {len(self.present) - 5} more" if len(self.present) > 5 else "")
        return f"no series {self.uid} here (series with images: {listed or 'none'}; lightbox inspect lists them)"


def name_key(name: str) -> str:
    """A Person Name as compared for the same person: case, spaces and empty trailing components
    ("DOE^JANE^" from one modality, "Doe^Jane" from another) do not make another person; only
    the alphabetic group (before any "=") counts."""
    return "^".join(c.strip() for c in name.split("=")[0].upper().split("^")).rstrip("^")


NO_PATIENT_ID = "(no patient id)"  # the key of files without a Patient ID (0010,0020)


@dataclass
class Patient:
    id: str
    name: str = ""
    birth_date: str = ""
    sex: str = ""
    studies: dict[str, Study] = field(default_factory=dict)
    issuer: str = ""  # Issuer of Patient ID (0010,0021): whose numbering the ID is

    def is_person(self, name: str, birth_date: str, issuer: str) -> bool:
        """Whether a file of this Patient ID is this person's: its name (as :func:`name_key`
        compares names), birth date and issuer do not differ from the first file's, where both
        record one."""
        own, other = name_key(self.name), name_key(name)
        return not ((own and other and own != other) or (self.birth_date and birth_date and self.birth_date != birth_date)
                    or (self.issuer and issuer and self.issuer != issuer))

    @property
    def label(self) -> str:
        """The study browser's line: the name as the image overlay writes it ("DOE, JANE":
        ``person_name``), then the ID in brackets (the placeholder of a missing one as it is, not
        bracketed twice); the ID alone without a name."""
        name = person_name(self.name)
        if not name:
            return self.id
        return f"{name}  {self.id if self.id == NO_PATIENT_ID else f'({self.id})'}"


@dataclass
class StudyIndex:
    """Everything found under the paths that were opened."""

    patients: dict[str, Patient] = field(default_factory=dict)
    errors: list[FileError] = field(default_factory=list)
    # non-image DICOM documents found beside the images (Structured Reports: a report written
    # to the archive, PS3.3 A.35), header only
    documents: list[tuple[Path, Dataset]] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)

    def all_series(self) -> list[Series]:
        return [s for p in self.patients.values() for st in p.studies.values() for s in st.series.values()]

    def all_studies(self) -> list[Study]:
        return [st for p in self.patients.values() for st in p.studies.values()]

    def find_series(self, uid: str) -> Series:
        for series in self.all_series():
            if series.uid == uid:
                return series
        raise SeriesNotFound(uid, [s.uid for s in self.all_series() if s.kind in ("volume", "film")])
