"""The same patient's previous studies, and which of their series to compare with the one open.

A prior is another study of the same patient, older than the current one (by Study Date;
undated studies come last), found among the studies already indexed (the opened folder) and in
the study database. The same patient: the same Patient ID, and where both studies record them
the same Issuer of Patient ID and Patient's Birth Date (PS3.3 C.7.1.1). A Patient ID is unique
only within its issuer: two hospitals' record numbers meet in one study database, and a study of
someone else shown as "the prior" is a wrong-patient comparison; such a study is left out and
the reader told why. Its series is paired with the open one as a reader would pick it: the same
modality and kind (a volume with a volume, a film with a film) and never the other side of a
paired body part (Image Laterality, else the series' Laterality: the right knee is no prior of
the left one), then the same side, then the same acquisition plane (the slice normal), then the
same view (PA with PA), then the closest series description, then the most images.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..viewer.index import Series, StudyIndex
from ..viewer.series import slice_normal

if TYPE_CHECKING:
    from ..studydb.catalog import StudyCatalog


@dataclass
class PriorStudy:
    """A previous study of the patient: where it was found and its series (when indexed)."""

    uid: str
    date: str
    description: str
    series: list[Series]


@dataclass(frozen=True)
class PatientIdentity:
    """What tells the open study's patient apart, as its header records it ("" where absent)."""

    patient_id: str
    birth_date: str = ""
    issuer: str = ""

    @classmethod
    def of(cls, metadata: Mapping[str, str]) -> PatientIdentity:
        """From the viewer's metadata of an opened image (``patient_id``, ``patient_birth_date``,
        ``issuer_of_patient_id``)."""
        return cls(*(str(metadata.get(key, "") or "").strip()
                     for key in ("patient_id", "patient_birth_date", "issuer_of_patient_id")))

    def conflict(self, series: list[Series]) -> str:
        """Why a study with this Patient ID is someone else's ("" when nothing says so): another
        issuer or birth date, where both studies record one."""
        header = next((s.first_header for s in series if s.first_header is not None), None)
        if header is None:
            return ""
        return self.differs(self.patient_id, str(header.get("PatientBirthDate", "") or "").strip(),
                            str(header.get("IssuerOfPatientID", "") or "").strip())

    def differs(self, patient_id: str, birth_date: str, issuer: str) -> str:
        """Why a patient recorded as ``patient_id``, ``birth_date`` and ``issuer`` is not this one
        ("" when nothing says so)."""
        if patient_id != self.patient_id:
            return f"Patient ID {patient_id or '(none)'}, not {self.patient_id or '(none)'}"
        if self.issuer and issuer and issuer != self.issuer:
            return f"issued by {issuer}, not {self.issuer}"
        if self.birth_date and birth_date and birth_date != self.birth_date:
            return f"born {birth_date}, not {self.birth_date}"
        return ""


def prior_studies(studies: Iterable[tuple[str, str, str, str, list[Series]]], patient: PatientIdentity | str,
                  current_uid: str, current_date: str, others: list[str] | None = None) -> list[PriorStudy]:
    """Studies of ``patient`` other than ``current_uid``, from ``(patient id, study uid, date,
    description, series)`` tuples, newest first (undated last); those dated after the current
    study are left out, and so are those of another patient with the same ID (appended to
    ``others``, with the reason, when it is given)."""
    identity = patient if isinstance(patient, PatientIdentity) else PatientIdentity(patient)
    found: dict[str, PriorStudy] = {}
    for pid, uid, date, description, series in studies:
        if pid != identity.patient_id or uid == current_uid or uid in found:
            continue
        if current_date and date and date > current_date:
            continue  # a later study is not a prior
        conflict = identity.conflict(series)
        if conflict:
            entry = f"{date or 'undated'}: {conflict}"
            if others is not None and entry not in others:
                others.append(entry)
            continue
        found[uid] = PriorStudy(uid, date, description, series)
    return sorted(found.values(), key=lambda p: p.date or "", reverse=True)


def studies_of(index: StudyIndex) -> list[tuple[str, str, str, str, list[Series]]]:
    """``(patient id, study uid, date, description, series)`` of every study in an index."""
    return [(patient.id, study.uid, study.date, study.description, list(study.series.values()))
            for patient in index.patients.values() for study in patient.studies.values()]


def _normal(series: Series) -> np.ndarray | None:
    orientation = next((i.orientation for i in series.instances if i.orientation is not None), None)
    return None if orientation is None else np.asarray(slice_normal(orientation))


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _view(series: Series) -> str:
    header = series.first_header
    if header is None:
        return ""
    value = header.get("ViewPosition", "")
    return str(value).upper() if value else ""


def _side(series: Series) -> str:
    """"L" or "R" for a series of one side of a paired body part (Image Laterality (0020,0062),
    else the series' Laterality (0020,0060)); "" otherwise (both, unpaired, not stated)."""
    header = series.first_header
    if header is None:
        return ""
    value = str(header.get("ImageLaterality", "") or header.get("Laterality", "") or "").strip().upper()
    return value if value in ("L", "R") else ""


def pair_series(current: Series, candidates: Iterable[Series]) -> Series | None:
    """The candidate series to show beside ``current`` (None: none of the same modality and kind,
    or only ones of the other side: the right knee is no prior of the left one)."""
    normal = _normal(current)
    words = _words(current.description)
    view = _view(current)
    side = _side(current)

    def score(s: Series) -> tuple[float, ...]:
        other = _normal(s)
        plane = float(abs(normal @ other)) if normal is not None and other is not None else 0.0
        shared = _words(s.description)
        similarity = len(words & shared) / len(words | shared) if words | shared else 0.0
        return (round(plane, 2), float(view != "" and _view(s) == view), similarity, float(s.frame_count))

    same = [s for s in candidates if s.modality.upper() == current.modality.upper() and s.kind == current.kind
            and not (side and _side(s) and _side(s) != side)]
    return max(same, key=lambda s: (float(bool(side) and _side(s) == side), *score(s))) if same else None


def priors_in_catalog(catalog: StudyCatalog, patient: PatientIdentity | str, current_uid: str, current_date: str,
                      others: list[str] | None = None) -> list[PriorStudy]:
    """Priors recorded in the study database (:class:`..studydb.catalog.StudyCatalog`), their
    series indexed from the recorded files."""
    from ..studydb.catalog import StudyFilter
    from ..viewer.index import build_index

    identity = patient if isinstance(patient, PatientIdentity) else PatientIdentity(patient)
    patient_id = identity.patient_id
    found: list[tuple[str, str, str, str, list[Series]]] = []
    for summary in catalog.search(StudyFilter(patient_id=patient_id)):
        # the same rules as prior_studies, before any file is read: a later study is not indexed
        if not patient_id or summary.patient_id != patient_id or summary.study_uid == current_uid:
            continue
        if current_date and summary.date and summary.date > current_date:
            continue
        files = [p for p in catalog.files(summary.study_uid) if p.exists()]
        if files:
            found += [s for s in studies_of(build_index(files, read=catalog.header_reader(files)))
                      if s[1] == summary.study_uid]
    return prior_studies(found, identity, current_uid, current_date, others)
