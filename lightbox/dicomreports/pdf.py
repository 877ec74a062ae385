"""A report's PDF as a DICOM Encapsulated PDF (PS3.3 A.45.1), so that a PACS stores and shows it
beside the study as the document a reader printed: the patient and study are the study's own,
the document title LOINC 18748-4 "Diagnostic imaging report" as in the report SR."""
from __future__ import annotations

from datetime import datetime

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from .sr import CONFORMED, conforming_study_value
from .text_encoding import in_utf8

ENCAPSULATED_PDF = UID("1.2.840.10008.5.1.4.1.1.104.1")
PDF_SERIES_NUMBER = 993  # after the report (990), measurement (991) and key-image (992) documents
PATIENT_STUDY = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate",
                 "StudyTime", "StudyID", "AccessionNumber", "ReferringPhysicianName", "StudyDescription")


def encapsulated_pdf(pdf: bytes, study_image: Dataset, title: str = "Radiology report") -> Dataset:
    """The Encapsulated PDF instance of ``pdf`` in the study of ``study_image`` (one of its headers)."""
    if not pdf.startswith(b"%PDF"):
        raise ValueError("not a PDF document")
    now = datetime.now()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ENCAPSULATED_PDF
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = ENCAPSULATED_PDF, ds.file_meta.MediaStorageSOPInstanceUID
    for keyword in PATIENT_STUDY:  # Type 2 (present, may be empty) where the image lacks them
        value = study_image.get(keyword, "")
        if keyword in CONFORMED:  # as the other documents carry them: Brainix's sex "0000", ACR-NEMA dates
            value = conforming_study_value(keyword, str(value or ""))
        setattr(ds, keyword, value)
    ds.Modality, ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber = "DOC", generate_uid(), PDF_SERIES_NUMBER, 1
    ds.SeriesDescription = title
    ds.ContentDate, ds.ContentTime = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds.AcquisitionDateTime = now.strftime("%Y%m%d%H%M%S")
    ds.ConversionType, ds.Manufacturer, ds.BurnedInAnnotation = "WSD", "Lightbox", "YES"  # the PDF names the patient
    ds.DocumentTitle = title
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator, concept.CodeMeaning = "18748-4", "LN", "Diagnostic imaging report"
    ds.ConceptNameCodeSequence = [concept]
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = pdf + (b"\0" if len(pdf) % 2 else b"")  # OB: an even length
    ds.EncapsulatedDocumentLength = len(pdf)
    return in_utf8(ds)
