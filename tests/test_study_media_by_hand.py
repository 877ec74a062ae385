"""The file-set writer of the study export (studyexport.media), file by file: the DICOMDIR's
records read back with pydicom and compared with what each file says, or with the stand-in worked
out here where a file lacks a value its record must have (PS3.3 F.5)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import base_dataset, restamp, write_film
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian

from lightbox.studyexport.deidentify import Deidentifier
from lightbox.studyexport.media import export_files, is_document


def _records(folder: Path) -> dict[str, list[Dataset]]:
    dicomdir = pydicom.dcmread(folder / "DICOMDIR")
    out: dict[str, list[Dataset]] = {}
    for record in dicomdir.DirectoryRecordSequence:
        out.setdefault(str(record.DirectoryRecordType), []).append(record)
    return out


def _film(path: Path, **attributes: object) -> Path:
    """A 4 x 4 film restamped with ``attributes`` (None: removed)."""
    written = write_film(path, np.arange(16, dtype=np.uint16).reshape(4, 4))
    restamp([written], **attributes)
    return written


def test_numbers_and_dates_a_record_needs_are_stood_in_from_the_file_or_its_place(tmp_path: Path) -> None:
    """Two films of one series without Instance Number, a series without Series Number, a study
    without Study Date but with a Series Date: the IMAGE records number 1 and 2 in the order
    given, the SERIES record its place in the export (1), the STUDY record the Series Date; the
    file-set is Lightbox's; progress is told file by file."""
    series = pydicom.uid.generate_uid()
    a = _film(tmp_path / "in" / "a.dcm", InstanceNumber=None, SeriesNumber=None, StudyDate="", SeriesDate="20250607",
              SeriesInstanceUID=series)
    b = _film(tmp_path / "in" / "b.dcm", InstanceNumber=None, SeriesNumber=None, StudyDate="", SeriesDate="20250607",
              SeriesInstanceUID=series, StudyInstanceUID=pydicom.dcmread(a).StudyInstanceUID)
    told: list[tuple[int, int]] = []
    result = export_files([a, b], tmp_path / "deep" / "er" / "out", progress=lambda n, total: told.append((n, total)))
    assert told == [(1, 2), (2, 2)] and result.written == 2 and result.studies == 1
    records = _records(tmp_path / "deep" / "er" / "out")
    assert sorted(int(r.InstanceNumber) for r in records["IMAGE"]) == [1, 2]
    assert [int(r.SeriesNumber) for r in records["SERIES"]] == [1]
    assert [str(r.StudyDate) for r in records["STUDY"]] == ["20250607"]
    assert pydicom.dcmread(tmp_path / "deep" / "er" / "out" / "DICOMDIR").FileSetID == "LIGHTBOX"
    assert "2 instance(s) without InstanceNumber: the DICOMDIR's record has a stand-in (the instance is written as it is)" \
        in result.notes


def test_two_studies_two_series_and_the_character_set_reach_their_records(tmp_path: Path) -> None:
    a = _film(tmp_path / "in" / "a.dcm", SpecificCharacterSet="ISO_IR 192", PatientName="Müller^Jörg")
    b = _film(tmp_path / "in" / "b.dcm")
    result = export_files([a, b], tmp_path / "out")
    assert result.studies == 2
    records = _records(tmp_path / "out")
    assert len(records["STUDY"]) == 2 and len(records["SERIES"]) == 2
    patient = next(r for r in records["PATIENT"] if "SpecificCharacterSet" in r)
    assert patient.SpecificCharacterSet == "ISO_IR 192" and str(patient.PatientName) == "Müller^Jörg"


def test_an_implicit_vr_file_without_a_syntax_in_its_meta_keeps_its_encoding(tmp_path: Path) -> None:
    path = _film(tmp_path / "in" / "a.dcm")
    ds = pydicom.dcmread(path)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)  # written implicit VR
    ds = pydicom.dcmread(path)
    del ds.file_meta.TransferSyntaxUID
    ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert "TransferSyntaxUID" not in pydicom.dcmread(path).file_meta
    assert export_files([path], tmp_path / "out").written == 1
    (record,) = _records(tmp_path / "out")["IMAGE"]
    assert record.ReferencedTransferSyntaxUIDInFile == ImplicitVRLittleEndian


def test_what_cannot_be_written_is_left_out_in_words(tmp_path: Path) -> None:
    """A file without SOP Class UID; an SR without its Completion Flag (Type 1 in its SR DOCUMENT
    record, no stand-in): each left out with why, the rest written; nothing writable: refused with
    the first reason."""
    film = _film(tmp_path / "in" / "film.dcm")
    classless = _film(tmp_path / "in" / "classless.dcm", SOPClassUID=None)
    sr = base_dataset("1.2.840.10008.5.1.4.1.1.88.33", modality="SR")
    sr.ContentDate, sr.ContentTime, sr.InstanceNumber = "20260102", "101500", 1
    sr.VerificationFlag = "UNVERIFIED"
    sr.ConceptNameCodeSequence = Sequence()
    sr.save_as(tmp_path / "in" / "sr.dcm", enforce_file_format=True)
    result = export_files([film, classless, tmp_path / "in" / "sr.dcm"], tmp_path / "out")
    assert result.written == 1
    assert result.left_out[0] == "classless.dcm: no SOP Instance or Class UID (not a DICOM instance)"
    assert result.left_out[1].startswith("sr.dcm: no DICOMDIR record can be made (")
    burned = _film(tmp_path / "in" / "burned.dcm", BurnedInAnnotation="YES")
    with pytest.raises(ValueError, match=r"^no DICOM instance could be written \(burned.dcm: its pixels carry"):
        export_files([burned], tmp_path / "out2", Deidentifier())


@pytest.mark.parametrize("kind", ["SR by modality", "KO by modality", "PR by modality", "DOC by modality",
                                  "content", "graphics", "encapsulated", "image"])
def test_what_counts_as_a_document(kind: str) -> None:
    """Each sign alone: a modality of reports, key images, presentation states or documents, or a
    content, graphic annotation or encapsulated document element; an image has none."""
    ds = Dataset()
    ds.Modality = kind.split()[0] if kind.endswith("by modality") else "CT"
    if kind == "content":
        ds.ContentSequence = Sequence()
    elif kind == "graphics":
        ds.GraphicAnnotationSequence = Sequence()
    elif kind == "encapsulated":
        ds.EncapsulatedDocument = b"%PDF"
    assert is_document(ds) == (kind != "image")
    ds.Modality = ds.Modality.lower()
    assert is_document(ds) == (kind != "image")  # (however the modality is written)


def test_an_image_without_its_series_and_study_uid_joins_a_stand_in_study(tmp_path: Path) -> None:
    path = _film(tmp_path / "in" / "a.dcm", SeriesInstanceUID=None, StudyInstanceUID=None, Modality=None)
    result = export_files([path], tmp_path / "out")
    records = _records(tmp_path / "out")
    study, series = records["STUDY"][0].StudyInstanceUID, records["SERIES"][0].SeriesInstanceUID
    assert study.endswith(".1") and series.endswith(".2") and study[:-2] == series[:-2]
    assert re.fullmatch(r"[0-9]+(\.[0-9]+)+", study) and len(study) <= 64  # a UID (PS3.5 9.1)
    assert records["SERIES"][0].Modality == "OT" and result.written == 1


def test_an_empty_folder_that_is_there_is_written_into(tmp_path: Path) -> None:
    (tmp_path / "usb").mkdir()
    assert export_files([_film(tmp_path / "in" / "a.dcm")], tmp_path / "usb").written == 1
    assert (tmp_path / "usb" / "DICOMDIR").exists()


def test_a_folder_export_names_the_files_that_are_no_images(tmp_path: Path) -> None:
    """An RT plan beside a film (Lightbox reads images and their documents): said, not silently dropped."""
    from lightbox.studyexport.media import study_files
    from lightbox.viewer.index import build_index

    _film(tmp_path / "in" / "a.dcm")
    plan = pydicom.dcmread(pydicom.data.get_testdata_file("rtplan.dcm"))
    plan.save_as(tmp_path / "in" / "plan.dcm")
    files, left_out = study_files(build_index(tmp_path / "in"))
    assert [f.name for f in files] == ["a.dcm"]
    assert left_out == ["plan.dcm: not an image (no Rows/Columns; RT Plan, SOP class 1.2.840.10008.5.1.4.1.1.481.5) "
                        "(Lightbox reads images and their documents)"]
