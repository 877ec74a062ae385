"""A radiology report as a DICOM Comprehensive SR (highdicom), and back.

Structure (PS3.16 TID 2000 "Basic Diagnostic Imaging Report"): the document title LOINC 18748-4
"Diagnostic imaging report"; the person observer (the reader), and when the text began as an AI
draft a device observer naming the model (TID 1004: its name and checksum); a FINDINGS section
(DCM 121070) and an IMPRESSION section (DCM 121072), each holding its text (DCM 121071 Finding,
DCM 121073 Impression). Flags (PS3.3 C.17.2): a draft is PARTIAL / UNVERIFIED with PreliminaryFlag
PRELIMINARY; a signed report COMPLETE / VERIFIED / FINAL with the verifying observer and time. An
amendment is a new instance that lists its predecessor (Predecessor Documents Sequence).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from .person_names import study_names_as_they_are, typed_name
from .text_encoding import in_utf8

DOCUMENT_TITLE = ("18748-4", "LN", "Diagnostic imaging report")
FINDINGS = ("121070", "DCM", "Findings")
FINDING = ("121071", "DCM", "Finding")
IMPRESSIONS = ("121072", "DCM", "Impressions")
IMPRESSION = ("121073", "DCM", "Impression")
DEVICE_OBSERVER_NAME = ("121013", "DCM")
SR_SERIES_NUMBER = 990  # report series sort after the images


@dataclass(frozen=True)
class ReportDocument:
    """What a report SR says, read back."""

    findings: str
    impression: str
    final: bool
    verified: bool
    verifier: str
    verified_at: str
    device: str  # the AI model named as a device observer, or ""
    sop_instance_uid: str
    predecessors: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"FINDINGS: {self.findings}\nIMPRESSION: {self.impression}".strip()


def split_sections(text: str) -> tuple[str, str]:
    """FINDINGS and IMPRESSION of a report's text (a text without headings is all findings)."""
    match = re.search(r"IMPRESSION\s*:", text, re.IGNORECASE)
    findings, impression = (text[:match.start()], text[match.end():]) if match else (text, "")
    findings = re.sub(r"^\s*FINDINGS\s*:", "", findings, flags=re.IGNORECASE)
    return findings.strip(), impression.strip()


def _code(value: tuple[str, str, str]):  # noqa: ANN202 - highdicom's CodedConcept
    from highdicom.sr import CodedConcept

    return CodedConcept(*value)


# Type 2 attributes (present, may be empty: PS3.3 C.7.1.1, C.7.2.1) a real header may lack and
# highdicom copies from the evidence
TYPE2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyID", "StudyDate", "StudyTime",
         "ReferringPhysicianName", "AccessionNumber")


CONFORMED = ("PatientSex", "StudyDate", "PatientBirthDate", "StudyTime")  # what conforming_study_value mends
TIME = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")


def conforming_study_value(keyword: str, value: str) -> str:
    """A patient or study attribute as a document may carry it. Old headers hold what a
    conforming document cannot: Brainix's Patient's Sex "0000" (PS3.3 C.7.1.1 allows M, F, O),
    ACR-NEMA's dates "1997.04.24" and times "14:04:38" (PS3.5 6.2 keeps them only as a note
    on the predecessor standard). Separators are dropped where that gives the same date or time;
    a value that still does not conform is left empty, as Type 2 allows for an unknown value,
    rather than written wrong or the document refused."""
    text = str(value).strip()
    if keyword == "PatientSex":
        return text.upper() if text.upper() in ("M", "F", "O") else ""
    if keyword in ("StudyDate", "PatientBirthDate"):
        text = text.replace(".", "")
        return text if len(text) == 8 and text.isdigit() else ""
    if keyword == "StudyTime":
        text = text.replace(":", "")
        return text if TIME.fullmatch(text) else ""
    return text


def _with_type2(ds: Dataset) -> Dataset:
    """A copy of an image's header from which highdicom can take the documents' patient and study:
    every Type 2 attribute present, each in a form the document may carry."""
    # a dataset of its own: Dataset(ds) and copy.copy(ds) share the image's element dictionary, so
    # adding to them changed the headers the viewer holds
    copy = Dataset({element.tag: element for element in ds})
    # in UTF-8, so that what the reader types in any script is written as typed: highdicom takes the
    # document's character set from its evidence
    in_utf8(copy)
    for keyword in TYPE2:
        if keyword not in copy:
            setattr(copy, keyword, "")
        elif keyword in CONFORMED:
            value = conforming_study_value(keyword, copy.get(keyword) or "")
            del copy[keyword]  # a new element: the copy's elements are the image's
            setattr(copy, keyword, value)
    return copy


def report_sr(text: str, evidence: list[Dataset], *, signed_by: str = "", signed_at: datetime | None = None,
              model_name: str = "", model_sha256: str = "", predecessor: Dataset | None = None,
              institution: str = "") -> Dataset:
    """The Comprehensive SR of a report on the study ``evidence`` (one header per referenced
    instance, e.g. a series' instances). ``signed_by`` empty: a preliminary draft."""
    from highdicom.sr import (
        ComprehensiveSR,
        ContainerContentItem,
        DeviceObserverIdentifyingAttributes,
        ObserverContext,
        PersonObserverIdentifyingAttributes,
        RelationshipTypeValues,
        TextContentItem,
    )

    evidence = [_with_type2(ds) for ds in evidence]
    signed_by = typed_name(signed_by)
    findings, impression = split_sections(text)
    root = ContainerContentItem(name=_code(DOCUMENT_TITLE), template_id="2000")
    observers = []
    if signed_by:
        observers.append(ObserverContext(observer_type=codes.DCM.Person,
                                         observer_identifying_attributes=PersonObserverIdentifyingAttributes(
                                             name=signed_by)))
    if model_name:
        observers.append(ObserverContext(observer_type=codes.DCM.Device,
                                         observer_identifying_attributes=DeviceObserverIdentifyingAttributes(
                                             uid=generate_uid(), name=model_name[:64],
                                             model_name=(model_sha256 or model_name)[:64])))
    items = [item for observer in observers for item in observer]
    for section, entry, value in ((FINDINGS, FINDING, findings), (IMPRESSIONS, IMPRESSION, impression)):
        container = ContainerContentItem(name=_code(section), relationship_type=RelationshipTypeValues.CONTAINS)
        container.ContentSequence = Sequence([TextContentItem(name=_code(entry), value=value or "-",
                                                              relationship_type=RelationshipTypeValues.CONTAINS)])
        items.append(container)
    root.ContentSequence = Sequence(items)
    signed = bool(signed_by)
    kwargs: dict = {}
    if signed:
        kwargs.update(verifying_observer_name=signed_by, verifying_organization=institution or "Lightbox reading room")
    if predecessor is not None:
        kwargs["previous_versions"] = [predecessor]
    with study_names_as_they_are():
        sr = ComprehensiveSR(evidence=evidence, content=root, series_instance_uid=generate_uid(),
                             series_number=SR_SERIES_NUMBER, sop_instance_uid=generate_uid(), instance_number=1,
                             manufacturer="Lightbox", is_complete=signed, is_final=signed, is_verified=signed,
                             institution_name=institution or None, series_description="Radiology report",
                             record_evidence=True, **kwargs)
    if not signed:
        sr.PreliminaryFlag = "PRELIMINARY"
    else:
        sr.PreliminaryFlag = "FINAL"
        when = signed_at or datetime.now()
        sr.VerifyingObserverSequence[0].VerificationDateTime = when.strftime("%Y%m%d%H%M%S")
    return in_utf8(sr)


def _concept(item: Dataset) -> tuple[str, str]:
    name = item.ConceptNameCodeSequence[0]
    return str(name.CodeValue), str(name.CodingSchemeDesignator)


def is_report_sr(ds: Dataset) -> bool:
    seq = ds.get("ConceptNameCodeSequence")
    return bool(seq) and (str(seq[0].CodeValue), str(seq[0].CodingSchemeDesignator)) == DOCUMENT_TITLE[:2]


def read_report_sr(ds: Dataset) -> ReportDocument:
    """The text and state of a report SR written by Lightbox or any TID 2000-style writer."""
    if not is_report_sr(ds):
        raise ValueError("not a diagnostic imaging report SR (document title LOINC 18748-4)")
    texts: dict[tuple[str, str], list[str]] = {}
    names: list[str] = []

    def walk(items: list[Dataset], section: tuple[str, str] | None) -> None:
        for item in items:
            concept = _concept(item) if "ConceptNameCodeSequence" in item else ("", "")
            if item.get("ValueType") == "CONTAINER":
                walk(list(item.get("ContentSequence", [])), concept)
            elif item.get("ValueType") == "TEXT" and concept == DEVICE_OBSERVER_NAME:
                names.append(str(item.TextValue))
            elif item.get("ValueType") == "TEXT" and section is not None:
                texts.setdefault(section, []).append(str(item.TextValue))

    walk(list(ds.get("ContentSequence", [])), None)
    device = names[0] if names else ""
    verifier = ds.VerifyingObserverSequence[0] if ds.get("VerifyingObserverSequence") else None
    predecessors = tuple(str(i.ReferencedSOPInstanceUID) for study in ds.get("PredecessorDocumentsSequence", [])
                         for series in study.get("ReferencedSeriesSequence", [])
                         for i in series.get("ReferencedSOPSequence", []))
    return ReportDocument(
        findings=" ".join(t for t in texts.get(FINDINGS[:2], []) if t != "-"),
        impression=" ".join(t for t in texts.get(IMPRESSIONS[:2], []) if t != "-"),
        final=ds.get("PreliminaryFlag", "") != "PRELIMINARY" and ds.get("CompletionFlag") == "COMPLETE",
        verified=ds.get("VerificationFlag") == "VERIFIED",
        verifier=str(verifier.VerifyingObserverName) if verifier is not None else "",
        verified_at=str(verifier.get("VerificationDateTime", "")) if verifier is not None else "",
        device=device, sop_instance_uid=str(ds.SOPInstanceUID), predecessors=predecessors)
