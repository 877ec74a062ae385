"""The study's, series' and protocol's descriptions kept through de-identification, cleaned of what
the header itself says identifies the patient: a teaching file or a research set whose series are
all "(no description)" cannot be read (which is the FLAIR, which the contrast series?).

PS3.15 E.3.5's Clean Descriptors Option keeps the attributes of Table E.1-1's "Clean Desc. Opt."
column with "any information that is identifying" cleaned out. Lightbox keeps the part of that
column that names what was acquired (the descriptions and labels below, short texts a modality or
RIS fills in), and cleans each of:

- every name the header gives a person (each part of every PN value: the patient, the referring,
  performing and reading physicians, the operators), as a word;
- every other short text value (LO, SH) the Basic Profile removes or replaces (the patient's and
  the study's IDs, the accession number, the institution, its department, the station), whole;
- anything written like a date (20260102, 2026-01-02, 02/01/2026, 02.01.26), and every date the
  header gives (the birth date and the events') in words too ("2 Jan 2026", "March 1970").

What it cannot know is a name or a date typed in a description that the header gives nowhere
else; so the free texts of the column (comments, clinical history, allergies, alerts, reasons for
the visit) stay removed, as the Basic Profile says, and the option's code (DCM 113105) is not
claimed: the De-identification Method says what was kept.

The column (the 2025 edition of the standard, as innolitics' machine-readable PS3.15 gives it):
only its short acquisition descriptions are kept here, by keyword.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

KEPT_DESCRIPTIONS = frozenset({
    "StudyDescription", "SeriesDescription", "ProtocolName", "PerformedProcedureStepDescription",
    "RequestedProcedureDescription", "ScheduledProcedureStepDescription", "RequestedSeriesDescription",
    "AcquisitionProtocolDescription", "AcquisitionDeviceProcessingDescription", "AcquisitionFieldOfViewLabel",
    "ContrastBolusAgent", "RequestedContrastAgent", "DerivationDescription", "DecompositionDescription",
    "MultienergyAcquisitionDescription", "RespiratoryMotionCompensationTechniqueDescription",
    "FilterLookupTableDescription", "PyramidDescription", "PyramidLabel", "ROIName", "StructureSetLabel",
})
KEPT_TAGS = frozenset(tag_for_keyword(keyword) for keyword in KEPT_DESCRIPTIONS) - {None}
# an identifier's text: an ID, a name of a place or a station, an address's line. Not the free texts
# (ST, LT, UT: a comment saying "JPEG lossy" cleaned "JPEG lossy 76:1" out of a derivation), nor a
# private tag's (technical words: a GE scanner's "WHOLE BODY" cleaned out of "Whole Body Bone";
# a name or an ID a private tag repeats is cleaned by the PN and ID values it repeats)
SHORT_TEXT_VRS = ("LO", "SH", "AE", "UC")
REMOVED = "*"  # what a cleaned word is replaced with: the description's shape stays readable
# written like a date: 20260102, 2026-01-02, 2026/01/02, 02/01/2026, 02.01.26, 2-1-2026
DATE_LIKE = re.compile(r"\b(?:(?:19|20)\d{2}[-/.]?\d{1,2}[-/.]?\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))\b")


def _written_forms(date: str) -> set[str]:
    """A DA value (YYYYMMDD) as it may be typed in words: "02 Jan 2026", "2 January 2026", "Jan 2026"."""
    try:
        day = datetime.datetime.strptime(date.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return set()
    forms = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d, %Y", "%b %Y", "%B %Y")  # what DATE_LIKE does not catch
    return {day.strftime(form) for form in forms} | {day.strftime(form).lstrip("0") for form in forms[:2]}


def identifying_words(ds: Dataset, removed_tags: Iterable[int]) -> frozenset[str]:
    """What the header says identifies someone, to be cleaned out of the kept descriptions: each
    part of every person's name, the text values of ``removed_tags`` (the attributes the Basic
    Profile removes or replaces) and every date, in its written forms. Read before the profile runs."""
    removed = frozenset(removed_tags) - KEPT_TAGS
    words: set[str] = set()

    def visit(_dataset: Dataset, element: DataElement) -> None:
        vr, tag, value = element.VR, element.tag, element.value
        if value in (None, "") or vr == "SQ":
            return
        values = list(value) if isinstance(value, (MultiValue, list)) else [value]  # (a PersonName iterates its letters)
        for one in values:
            text = str(one).strip()
            if vr == "PN":
                words.update(part for part in re.split(r"[\^=\s,]+", text) if len(part) >= 2)
            elif vr == "DA":
                words.update(_written_forms(text))
            elif vr in SHORT_TEXT_VRS and tag in removed and len(text) >= 3:
                words.add(text)

    ds.walk(visit)
    return frozenset(words)


def cleaned(text: str, words: frozenset[str]) -> str:
    """``text`` with each of ``words`` (as a whole word, any case) and anything written like a date
    replaced by ``REMOVED``, its spaces tidied."""
    out = DATE_LIKE.sub(REMOVED, text)
    for word in sorted(words, key=len, reverse=True):  # the longest first: "DOE JANE" before "DOE"
        out = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", REMOVED, out, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", out).strip()


def kept_descriptions(ds: Dataset) -> list[tuple[Dataset, int, str, object]]:
    """Every kept description in ``ds`` (sequences too) as (its dataset, its tag, its VR, its
    value), read before the profile removes them."""
    found: list[tuple[Dataset, int, str, object]] = []

    def visit(dataset: Dataset, element: DataElement) -> None:
        if element.tag in KEPT_TAGS and element.value not in (None, ""):
            found.append((dataset, element.tag, element.VR, element.value))

    ds.walk(visit)
    return found


def restore_cleaned(descriptions: list[tuple[Dataset, int, str, object]], words: frozenset[str]) -> None:
    """Put each description back, cleaned, where the profile left its dataset (a description in a
    sequence the profile removed goes with it); one that was nothing but what is cleaned out stays
    removed."""
    for dataset, tag, vr, value in descriptions:
        values = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        clean = [cleaned(str(v), words) for v in values]
        if any(c.strip(REMOVED + " ") for c in clean):
            dataset.add_new(tag, vr, clean[0] if isinstance(value, str) else clean)
