"""De-identification of whole DICOM objects for sharing a study (a teaching file, a colleague
elsewhere, research): PS3.15 Annex E's Basic Application Level Confidentiality Profile, with its
Retain Longitudinal Temporal Information with Modified Dates Option (E.3.6).

The profile's table (E.1-1: which attribute is removed, emptied, replaced or given a new UID) is
the one ``dicom-anonymizer`` (Kitware) generates from the standard itself (its 2026c edition),
applied by it: a well-kept transcription of ~600 rows is better than one written here. Lightbox
adds what the profile leaves to the implementer:

- UIDs are replaced consistently within one export (one map for all its objects), so series stay
  series, a PET stays in its CT's Frame of Reference and a report still points at its images;
- every date is moved back by one whole number of days chosen at random for the export (times of
  day kept), so priors keep their order and intervals ("day 0, day 35") without the true dates;
- the patient is "ANONYMIZED", with an ID per patient of the export ("ANON1", "ANON2", ...);
- Patient Identity Removed YES, De-identification Method and its Code Sequence (DCM 113100 Basic
  Application Confidentiality Profile, 113107 Retain Longitudinal Temporal Information Modified
  Dates Option) and Longitudinal Temporal Information Modified MODIFIED are written (C.7.1.1);
- asked (``keep_descriptions``), the study's, series' and protocol's descriptions are put back
  after the profile, cleaned of what the header says identifies (:mod:`.descriptions`);
- an object whose pixels say they carry burned-in annotation (Burned In Annotation YES) is
  refused: its text would still be in the image (E.3.1, Clean Pixel Data Option not offered).
"""
from __future__ import annotations

import datetime
import random
import threading
from collections.abc import Callable
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from .descriptions import identifying_words, kept_descriptions, restore_cleaned

PROFILE_EDITION = "dicomfields_2026c"  # dicom-anonymizer's transcription of PS3.15 Table E.1-1
METHOD = ["PS3.15 Basic Application Confidentiality Profile",  # LO: 64 characters a value
          "Retain Longitudinal Temporal Information Modified Dates Option",
          "Lightbox, with dicom-anonymizer's 2026c table"]
CODES = (("113100", "Basic Application Confidentiality Profile"),
         ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"))
# with descriptions kept (not the Clean Descriptors Option's code: its free texts are not kept)
KEPT_METHOD = "Descriptions kept, cleaned of names, IDs, dates"
PATIENT_NAME = "ANONYMIZED"
_LIBRARY_MAP = threading.Lock()
BIRTH = (0x00100030, 0x00100032)  # Patient's Birth Date and Time: emptied as the profile says, not moved


class BurnedInAnnotation(ValueError):
    """The object's pixels carry text the profile cannot clean."""


def _shift_date(text: str, days: int) -> str:
    """A DA value (YYYYMMDD) ``days`` earlier; "" and values that are no date become ""."""
    try:
        day = datetime.datetime.strptime(text.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return ""
    return (day - datetime.timedelta(days=days)).strftime("%Y%m%d")


def _shift_datetime(text: str, days: int) -> str:
    """A DT value with its date part moved ``days`` earlier, the rest (time, offset) kept."""
    text = text.strip()
    shifted = _shift_date(text[:8], days)
    return shifted + text[8:] if shifted else ""


class Deidentifier:
    """One export's de-identification: its UID map, date shift and patient pseudonyms are shared by
    all the objects it is given, so they stay one study (or several, one patient's) as they were."""

    def __init__(self, seed: int | None = None, keep_descriptions: bool = False) -> None:
        chooser = random.Random(seed)
        self.days_back = chooser.randint(365, 3650)  # whole days: the weekday and time of day change not
        self.uids: dict[str, str] = {}
        self.patients: dict[str, str] = {}
        # the study's, series' and protocol's descriptions kept, cleaned (:mod:`.descriptions`)
        self.keep_descriptions = keep_descriptions

    def apply(self, ds: Dataset) -> None:
        """De-identify ``ds`` in place; BurnedInAnnotation when its pixels say they carry text."""
        from dicomanonymizer import simpledicomanonymizer as profile

        if str(ds.get("BurnedInAnnotation", "")).strip().upper() == "YES":
            raise BurnedInAnnotation("its pixels carry burned-in annotation (Burned In Annotation YES): "
                                     "text in the image would still name the patient")
        key = f"{ds.get('PatientID', '')}|{ds.get('PatientName', '')}|{ds.get('IssuerOfPatientID', '')}"
        pseudonym = self.patients.setdefault(key, f"ANON{len(self.patients) + 1}")
        dates = self._dated(ds)  # the dates as they are, to move back once the profile has run
        actions = profile.initialize_actions(PROFILE_EDITION)
        descriptions, words = [], frozenset[str]()
        if self.keep_descriptions:  # read before the profile removes them and what identifies
            descriptions = kept_descriptions(ds)
            words = identifying_words(ds, ((t[0] << 16) | t[1] for t in actions if len(t) == 2))
        with _LIBRARY_MAP:  # the library's UID map is a module global: this export's own, one export at a time
            shared = profile.dictionary
            profile.dictionary = self.uids
            try:
                profile.anonymize_dataset(ds, base_rules_gen=lambda: actions)
            finally:
                profile.dictionary = shared
        restore_cleaned(descriptions, words)
        for dataset, tag, value in dates:
            if tag in dataset:  # what the profile removed stays removed
                dataset[tag].value = value
        for tag in BIRTH:  # Z: zero length (the library writes 0001-01-01)
            if tag in ds:
                ds[tag].value = ""
        ds.PatientName, ds.PatientID = PATIENT_NAME, pseudonym
        ds.PatientIdentityRemoved = "YES"
        ds.LongitudinalTemporalInformationModified = "MODIFIED"
        ds.DeidentificationMethod = [*METHOD, KEPT_METHOD] if self.keep_descriptions else METHOD
        codes = []
        for value, meaning in CODES:
            item = Dataset()
            item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
            codes.append(item)
        ds.DeidentificationMethodCodeSequence = Sequence(codes)
        # (the file meta's Media Storage SOP Instance UID is replaced by the profile through the same map)

    def _dated(self, ds: Dataset) -> list[tuple[Dataset, Any, Any]]:
        """Every DA and DT element (sequences too) with its value moved ``days_back`` earlier, and
        every TM element as it is, as (its dataset, its tag, the value to give it): the dates and
        times of events, not the patient's birth."""
        moved: list[tuple[Dataset, Any, Any]] = []
        shift: dict[str, Callable[[str, int], str]] = {"DA": _shift_date, "DT": _shift_datetime,
                                                       "TM": lambda text, _days: text}

        def visit(dataset: Dataset, element: Any) -> None:
            vr = element.VR  # (a date stored as UN is left to the profile: emptied or removed, never kept)
            if vr in shift and element.value not in (None, "") and element.tag not in BIRTH:
                values = list(element.value) if not isinstance(element.value, str) else [element.value]
                new = [shift[vr](str(v), self.days_back) for v in values]
                moved.append((dataset, element.tag, new if not isinstance(element.value, str) else new[0]))

        ds.walk(visit)
        return moved


def how_exported(deidentifier: Deidentifier | None) -> str:
    """An export's way in words, for its message: "as acquired", or de-identified and how."""
    if deidentifier is None:
        return "as acquired"
    kept = "; descriptions kept, cleaned" if deidentifier.keep_descriptions else ""
    return f"de-identified (PS3.15 Basic Profile; dates moved back {deidentifier.days_back} days{kept})"
