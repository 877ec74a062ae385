"""De-identification of what Lightbox exports, following the DICOM PS3.15 Basic Application Level
Confidentiality Profile (Annex E, Table E.1-1) for the attributes the overlays show.

Action codes used: X (remove) for Institution Name, Issuer of Patient ID, Patient's Age and the free-text descriptions, Z (replace
with an empty or dummy value) for Patient's Name, Patient ID, Birth Date, Sex and Study Date.
Technical attributes (modality, view position, laterality, body part) are kept.
"""
from __future__ import annotations

from typing import Any

# overlay key → PS3.15 action
BASIC_PROFILE_ACTIONS = {
    "patient_name": "Z", "patient_id": "Z", "patient_birth_date": "Z", "patient_sex": "Z",
    "study_date": "Z", "accession_number": "Z", "institution": "X", "study_description": "X", "series_description": "X",
    "patient_age": "X",
    "issuer_of_patient_id": "X",  # read to tell patients apart (priors), never shown
}
DUMMY = {"patient_name": "ANONYMIZED", "patient_id": "ANON"}


def deidentify_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``metadata`` with the Basic Profile applied."""
    out = {}
    for key, value in metadata.items():
        action = BASIC_PROFILE_ACTIONS.get(key)
        if action == "X":
            continue
        out[key] = DUMMY.get(key, "") if action == "Z" else value
    return out


# Modalities whose pixels often carry text the header does not declare (ultrasound, secondary
# and video captures, photos): PS3.15 E.3.1's Clean Pixel Data concern
TEXT_IN_PIXELS_MODALITIES = {"US", "SC", "XC", "ES", "OT", "GM", "SM", "IVUS", ""}


def burned_in_words(metadatas: list[dict[str, Any]], subject: str) -> tuple[str, str]:
    """What to say before sharing de-identified pictures of ``subject`` ("the image", a series'
    title) whose headers are ``metadatas``: ``(refusal, note)`` — a refusal when one says its
    pixels carry burned-in annotation (the pixels would show what the cleaned text hides), else a
    note to look first when one does not say and its modality often writes into the pixels; ""
    for neither. One wording for the window's pane export and `screenshot --deidentify`."""
    verdicts = {burned_in_text(metadata) for metadata in metadatas}
    if "YES" in verdicts:
        return (f"{subject} says its pixels carry burned-in annotation (Burned In Annotation YES, PS3.15 E.3.1): "
                "de-identified text around it would still leave what is written in the image"), ""
    if "unknown" in verdicts:
        return "", (f"{subject} does not say whether its pixels carry burned-in text (Burned In Annotation absent; "
                    "ultrasound and captured images often do): look at the picture before sharing it")
    return "", ""


def burned_in_text(metadata: dict[str, Any]) -> str:
    """Why the pixels themselves may identify the patient, whatever the overlays hide: "YES" when
    Burned In Annotation (0028,0301) says so, "unknown" when it is absent on a modality whose
    pixels often carry text, "" otherwise (PS3.15 E.3.1, Clean Pixel Data Option)."""
    stated = str(metadata.get("burned_in_annotation", "")).strip().upper()
    if stated == "YES":
        return "YES"
    if not stated and str(metadata.get("modality", "")).strip().upper() in TEXT_IN_PIXELS_MODALITIES:
        return "unknown"
    return ""

