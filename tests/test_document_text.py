"""Text in the documents Lightbox writes comes back as it was typed, in any script, and the
names copied from a Latin-1 study stay as they were: each document is written to a file and read
back with pydicom. highdicom had copied the study's ISO_IR 100, and a report's Japanese sentence
came back "????"; the PDF document, built by hand, declared no character set at all."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_film

from lightbox.dicomreports.key_images import key_object_selection
from lightbox.dicomreports.pdf import encapsulated_pdf
from lightbox.dicomreports.presentation import presentation_state, read_graphics
from lightbox.dicomreports.sr import read_report_sr, report_sr

TYPED = "Cardiomégalie. 胸水あり. Ηπατομεγαλία. Żółć."


@pytest.fixture
def latin1_image(tmp_path: Path) -> pydicom.Dataset:
    path = write_film(tmp_path / "film.dcm", np.arange(1024, dtype=np.uint16).reshape(32, 32))
    ds = pydicom.dcmread(path)
    ds.SpecificCharacterSet, ds.PatientName, ds.StudyDescription = "ISO_IR 100", "Müller^Jürgen", "THORAX Übersicht"
    ds.save_as(path)
    return pydicom.dcmread(path)  # as read from a study: values in Latin-1 until decoded


def written_and_read(document: pydicom.Dataset, path: Path) -> pydicom.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydicom's "Failed to encode value ... replacement characters" fails here
        document.save_as(path, enforce_file_format=True)
    return pydicom.dcmread(path)


def test_a_report_keeps_every_script_and_the_patients_name(latin1_image, tmp_path: Path) -> None:
    back = written_and_read(report_sr(f"FINDINGS: {TYPED}\nIMPRESSION: Épanchement.", [latin1_image],
                                      signed_by="Dr Łukasz Wójcik"), tmp_path / "sr.dcm")
    report = read_report_sr(back)
    assert (report.findings, report.impression) == (TYPED, "Épanchement.")
    assert report.verifier == "Dr Łukasz Wójcik^"
    assert (str(back.PatientName), back.SpecificCharacterSet) == ("Müller^Jürgen", "ISO_IR 192")


def test_key_images_arrows_texts_and_the_pdf_keep_them_too(latin1_image, tmp_path: Path) -> None:
    kos = written_and_read(key_object_selection([latin1_image], reader="Żaneta", description=TYPED), tmp_path / "kos.dcm")
    assert str(kos.PatientName) == "Müller^Jürgen"
    state = written_and_read(presentation_state([(latin1_image, "text", [(4.0, 4.0)], TYPED, None)], reader="Żaneta"),
                             tmp_path / "pr.dcm")
    assert [g[3] for g in read_graphics(state)] == [TYPED] and str(state.PatientName) == "Müller^Jürgen"
    pdf = written_and_read(encapsulated_pdf(b"%PDF-1.4\n%%EOF\n", latin1_image), tmp_path / "pdf.dcm")
    assert (str(pdf.PatientName), pdf.StudyDescription) == ("Müller^Jürgen", "THORAX Übersicht")
    # the image the viewer holds is not changed by the documents made from it
    assert latin1_image.SpecificCharacterSet == "ISO_IR 100" and str(latin1_image.PatientName) == "Müller^Jürgen"
    latin1_image.save_as(tmp_path / "again.dcm")
    assert pydicom.dcmread(tmp_path / "again.dcm").PatientName.original_string == "Müller^Jürgen".encode("latin-1")
