"""Indexing, field by field: every header attribute the study tree shows arrives where it belongs,
raw header values are read as pydicom reads them (implicit VR, binary US, multi-valued, padded),
films get their own study, progress and cancel behave, and `lightbox inspect`'s text is exact.
Written for the mutants `tools/mutation.py lightbox/viewer/index.py` found alive; expected values
are the ones written into the files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import base_dataset, set_pixels, write_ct_series
from PIL import Image
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import Tag

from lightbox.viewer.index import (
    _floats,
    _int,
    _text,
    build_index,
    format_index,
    header_int,
    index_to_dict,
    read_header,
)


def raw(**values: tuple[str | None, bytes]) -> Dataset:
    """A header as a file reader leaves it: raw elements, explicit VR, or implicit (VR None)."""
    ds = Dataset()
    for keyword, (vr, value) in values.items():
        tag = Tag(keyword)
        ds._dict[tag] = RawDataElement(tag, vr, len(value), value, 0, vr is None, True)
    return ds


def test_raw_values_are_read_as_pydicom_reads_them() -> None:
    ds = raw(PatientID=("LO", b"P 7 "), Modality=(None, b"CT"), Rows=("US", (512).to_bytes(2, "little")),
             Columns=(None, (256).to_bytes(2, "little")), InstanceNumber=("IS", b" 12 "), SeriesNumber=("IS", b"1.0 "),
             ImagePositionPatient=("DS", b"-1.5\\2\\3.25"), SliceThickness=(None, b"2.5\x00"),
             RescaleIntercept=("DS", b"nan"), AcquisitionNumber=("IS", b""))
    assert _text(ds, "PatientID") == "P 7" and _text(ds, "Modality") == "CT"  # implicit VR: CS from the dictionary
    assert _text(ds, "StudyDescription", "none") == "none"
    assert _int(ds, "Rows") == 512 and _int(ds, "Columns") == 256 and _int(ds, "InstanceNumber") == 12
    assert _int(ds, "SeriesNumber") == 1  # "1.0": not an integer string, pydicom's IS reads it
    assert _int(ds, "AcquisitionNumber") is None and _int(ds, "NumberOfFrames") is None
    assert _floats(ds, "ImagePositionPatient", 3) == (-1.5, 2.0, 3.25)
    assert _floats(ds, "ImagePositionPatient", 2) is None  # the wrong number of values is no position
    assert _floats(ds, "SliceThickness", 1) == (2.5,)
    assert _floats(ds, "RescaleIntercept", 1) is None  # NaN is no value
    assert header_int(ds, "Rows", 0) == 512 and header_int(ds, "NumberOfFrames", 1) == 1
    assert _floats(ds, "SpacingBetweenSlices", 1) is None  # absent


def test_reading_leaves_raw_elements_raw() -> None:
    """The index reads raw bytes itself and leaves the element as read: pydicom's conversion in
    place is what turned LIDC's first slice +1000 HU once (a later reader took the converted
    element for a missing one)."""
    ds = raw(Modality=("CS", b"CT"), BodyPartExamined=("CS", b"THORAX "), StudyDescription=(None, b"Thorax\xe9 "),
             Rows=("US", (512).to_bytes(2, "little")), InstanceNumber=("IS", b"7 "), AcquisitionNumber=("IS", b""),
             ImagePositionPatient=("DS", b"1\\2\\3"), SliceThickness=("DS", b"2.5 "))
    assert _text(ds, "Modality") == "CT" and _text(ds, "BodyPartExamined") == "THORAX"  # only the padding goes
    assert _int(ds, "Rows") == 512 and _int(ds, "InstanceNumber") == 7 and _int(ds, "AcquisitionNumber") is None
    assert _floats(ds, "ImagePositionPatient", 3) == (1.0, 2.0, 3.0) and _floats(ds, "SliceThickness", 1) == (2.5,)
    for keyword in ("Modality", "BodyPartExamined", "Rows", "InstanceNumber", "AcquisitionNumber", "ImagePositionPatient",
                    "SliceThickness"):
        assert isinstance(ds._dict[Tag(keyword)], RawDataElement), keyword
    # a byte that is not ASCII in a text attribute (LO, read by pydicom): replaced, not an error
    codes = raw(Modality=("CS", b"C\xe9"))
    assert _text(codes, "Modality") == "C\ufffd"


def test_converted_values_are_read_too() -> None:
    ds = Dataset()
    ds.ImagePositionPatient = [1, 2, 3]
    ds.RescaleIntercept = "-1024"
    ds.InstanceNumber = 4
    ds.PatientName = "DOE^JANE"
    ds.WindowCenter = ""
    ds.add_new("NumberOfFrames", "IS", None)
    assert _floats(ds, "ImagePositionPatient", 3) == (1.0, 2.0, 3.0)
    assert _floats(ds, "RescaleIntercept", 1) == (-1024.0,)  # one converted value is not "missing"
    assert _floats(ds, "WindowCenter", 1) is None
    assert _int(ds, "InstanceNumber") == 4 and _int(ds, "NumberOfFrames") is None
    assert _text(ds, "PatientName") == "DOE^JANE"
    ds.add_new("SeriesNumber", "IS", None)  # present, empty: the default, not "None"
    assert _text(ds, "SeriesNumber", "-") == "-"
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1]  # five values for six
    assert _floats(ds, "ImageOrientationPatient", 6) is None and _floats(ds, "ImageOrientationPatient", 5) is not None
    ds.SliceLocation = "nan"
    assert _floats(ds, "SliceLocation", 1) is None
    # big-endian binary: only pydicom knows, and reads it
    be = raw(Rows=("US", (300).to_bytes(2, "big")))
    be._dict[Tag("Rows")] = RawDataElement(Tag("Rows"), "US", 2, (300).to_bytes(2, "big"), 0, False, False)
    assert _int(be, "Rows") == 300


def write_described(folder: Path) -> Path:
    ds = base_dataset(patient="ROE^RICHARD", patient_id="ID-42")
    ds.PatientBirthDate, ds.PatientSex = "19700101", "M"
    ds.StudyDescription, ds.AccessionNumber, ds.StudyDate = "CT THORAX", "ACC9", "20250102"
    ds.SeriesDescription, ds.SeriesNumber, ds.InstanceNumber = "LUNG 1mm", 7, 3
    ds.ImagePositionPatient, ds.ImageOrientationPatient = [1, 2, 3], [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.5, 0.5]
    set_pixels(ds, np.zeros((6, 10), np.uint16))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "one.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_every_header_field_reaches_the_tree(tmp_path: Path) -> None:
    path = write_described(tmp_path / "study")
    uid = pydicom.dcmread(path).SOPInstanceUID
    index = build_index(tmp_path)
    ((patient_id, patient),) = index.patients.items()
    assert (patient_id, patient.name, patient.birth_date, patient.sex) == ("ID-42", "ROE^RICHARD", "19700101", "M")
    (study,) = patient.studies.values()
    assert (study.date, study.description, study.accession) == ("20250102", "CT THORAX", "ACC9")
    assert study.uid == pydicom.dcmread(path).StudyInstanceUID
    (series,) = study.series.values()
    assert (series.modality, series.description, series.number) == ("CT", "LUNG 1mm", 7)
    (instance,) = series.instances
    assert (instance.sop_instance_uid, instance.instance_number, instance.position, instance.orientation) == (
        uid, 3, (1.0, 2.0, 3.0), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
    assert (instance.rows, instance.columns, instance.frames, instance.path) == (6, 10, 1, path)
    assert instance.pixel_offset is not None and path.read_bytes()[instance.pixel_offset:instance.pixel_offset + 4] == (
        b"\xe0\x7f\x10\x00")  # the offset points at the Pixel Data tag (7FE0,0010), little endian


def write_person(path: Path, patient_id: str, name: str, born: str = "", issuer: str = "",
                 study_uid: str = "", series_uid: str = "") -> None:
    ds = base_dataset(patient=name, patient_id=patient_id, study_uid=study_uid or None, series_uid=series_uid or None)
    if not patient_id:
        del ds.PatientID
    if born:
        ds.PatientBirthDate = born
    if issuer:
        ds.IssuerOfPatientID = issuer
    set_pixels(ds, np.zeros((4, 4), np.uint16))
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def test_one_patient_id_of_two_people_makes_two_patients(tmp_path: Path) -> None:
    """A Patient ID is unique only within its issuer (PS3.3 C.7.1.1): files of one ID whose name,
    birth date or issuer differ are two people, each under their own name (once, everyone's
    studies went under the first file's name, in the browser and the study database)."""
    write_person(tmp_path / "a1.dcm", "12345", "SMITH^ANNA", "19490301", "SITE-A")
    write_person(tmp_path / "a2.dcm", "12345", "Smith^Anna^^", "19490301")  # the same person, written otherwise
    write_person(tmp_path / "a3.dcm", "12345", "", "")  # nothing recorded to tell: the ID decides
    write_person(tmp_path / "b1.dcm", "12345", "JONES^BOB", "19800101")
    write_person(tmp_path / "b2.dcm", "12345", "JONES^BOB", "19800101")
    write_person(tmp_path / "b3.dcm", "12345", "Jones^Bob^", "")  # nothing tells it from Bob's: his
    write_person(tmp_path / "c1.dcm", "12345", "SMITH^ANNA", "19490302")  # another birth date
    write_person(tmp_path / "d1.dcm", "12345", "SMITH^ANNA", "19490301", "SITE-B")  # another issuer
    write_person(tmp_path / "e1.dcm", "", "ROE^RICHARD")
    write_person(tmp_path / "e2.dcm", "", "DOE^JANE")  # anonymised files of two people: no ID, two names
    index = build_index(tmp_path)
    people = sorted((p.id, p.name, p.birth_date, p.issuer, len(p.studies)) for p in index.patients.values())
    assert people == [("(no patient id)", "DOE^JANE", "", "", 1), ("(no patient id)", "ROE^RICHARD", "", "", 1),
                      ("12345", "JONES^BOB", "19800101", "", 3), ("12345", "SMITH^ANNA", "19490301", "SITE-A", 3),
                      ("12345", "SMITH^ANNA", "19490301", "SITE-B", 1), ("12345", "SMITH^ANNA", "19490302", "", 1)]
    assert index.patients["12345"].name == "SMITH^ANNA"  # the first file's keeps the ID as its key
    assert not any("another patient" in w for s in index.all_series() for w in s.warnings)


def test_a_file_naming_another_patient_stays_with_its_study_and_is_flagged(tmp_path: Path) -> None:
    """One Study Instance UID is one patient's: a slice whose header names someone else (a
    mislabelled or merged file) stays in its series, and the series says so."""
    write_person(tmp_path / "1.dcm", "12345", "SMITH^ANNA", "19490301", study_uid="1.2.3.9", series_uid="1.2.3.9.1")
    write_person(tmp_path / "2.dcm", "12345", "JONES^BOB", "", study_uid="1.2.3.9", series_uid="1.2.3.9.1")
    index = build_index(tmp_path)
    ((_, patient),) = index.patients.items()
    (series,) = index.all_series()
    assert patient.name == "SMITH^ANNA" and len(series.instances) == 2
    assert series.warnings[0] == ("files of this study name another patient (JONES^BOB, born unknown) than its first "
                                  "file (SMITH^ANNA, born 19490301): check that they belong here")

    # another birth date or issuer alone, in files without a name: flagged the same way
    write_person(tmp_path / "b" / "1.dcm", "777", "", "", "SITE-A", study_uid="1.2.3.8", series_uid="1.2.3.8.1")
    write_person(tmp_path / "b" / "2.dcm", "777", "", "", "SITE-B", study_uid="1.2.3.8", series_uid="1.2.3.8.1")
    write_person(tmp_path / "c" / "1.dcm", "888", "", "", study_uid="1.2.3.7", series_uid="1.2.3.7.1")
    write_person(tmp_path / "c" / "2.dcm", "888", "ROE^RICHARD", "19700101", study_uid="1.2.3.7", series_uid="1.2.3.7.1")
    write_person(tmp_path / "c" / "3.dcm", "888", "", "19700102", study_uid="1.2.3.7", series_uid="1.2.3.7.1")
    write_person(tmp_path / "d" / "1.dcm", "999", "", "19700101", study_uid="1.2.3.6", series_uid="1.2.3.6.1")
    write_person(tmp_path / "d" / "2.dcm", "999", "", "19700102", study_uid="1.2.3.6", series_uid="1.2.3.6.1")
    index = build_index(tmp_path)
    births = index.patients["999"].studies["1.2.3.6"].series["1.2.3.6.1"]
    assert births.warnings[0] == ("files of this study name another patient (no name, born 19700102) than its first "
                                  "file (no name, born 19700101): check that they belong here")
    issuers = index.patients["777"].studies["1.2.3.8"].series["1.2.3.8.1"]
    assert issuers.warnings[0] == ("files of this study name another patient (no name, born unknown) than its first "
                                   "file (no name, born unknown): check that they belong here")
    # the first file records nothing to tell: the later ones are its patient's, whatever they record
    assert not any("another patient" in w for w in index.patients["888"].studies["1.2.3.7"].series["1.2.3.7.1"].warnings)


def test_missing_identifiers_get_stand_ins(tmp_path: Path) -> None:
    ds = base_dataset()
    for keyword in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SeriesNumber"):
        delattr(ds, keyword)
    set_pixels(ds, np.zeros((4, 4), np.uint16))
    folder = tmp_path / "anon"
    folder.mkdir()
    path = folder / "x.dcm"
    ds.save_as(path, enforce_file_format=False)
    index = build_index(folder)
    ((patient_id, patient),) = index.patients.items()
    assert patient_id == "(no patient id)"
    ((study_uid, study),) = patient.studies.items()
    assert study_uid == f"(no study uid) {folder}"
    ((series_uid, series),) = study.series.items()
    assert series_uid == f"(no series uid) {folder}" and series.number is None
    assert series.instances[0].sop_instance_uid == str(path)


@pytest.mark.parametrize(("patient_id", "name", "label"), [
    ("", "Anonymized", "Anonymized  (no patient id)"),  # was "Anonymized  ((no patient id))"
    ("P-7", "DOE^JANE^^DR", "DOE, JANE  (P-7)"),  # as the image overlay writes it; DR is the prefix
    ("P-7", "", "P-7"),
    ("", "", "(no patient id)"),
])
def test_the_browser_names_a_patient_by_name_and_id(tmp_path: Path, patient_id: str, name: str, label: str) -> None:
    ds = base_dataset()
    ds.PatientID, ds.PatientName = patient_id, name
    set_pixels(ds, np.zeros((4, 4), np.uint16))
    ds.save_as(tmp_path / "x.dcm", enforce_file_format=False)
    ((patient,),) = [list(build_index(tmp_path).patients.values())]
    assert patient.label == label


@pytest.mark.parametrize(("value", "shown"), [
    ("DOE^JANE^^DR", "DOE, JANE"),  # PS3.5 6.2.1: family^given^middle^prefix^suffix, by position
    ("DOE^JANE^ANN^DR^PHD", "DOE, JANE ANN"),
    ("DOE^^ANN", "DOE, ANN"),
    ("^JANE", "JANE"),
    ("Anonymized", "Anonymized"),
    ("YAMADA^TARO=山田^太郎=やまだ^たろう", "YAMADA, TARO"),  # the alphabetic group only
    ("", ""), ("^^^", ""),
])
def test_person_names_by_their_components(value: str, shown: str) -> None:
    from lightbox.viewer.study_tree import person_name

    assert person_name(value) == shown


def test_documents_non_images_and_truncated_files_by_name(tmp_path: Path) -> None:
    sr = base_dataset("1.2.840.10008.5.1.4.1.1.88.33")  # Comprehensive SR: a document, kept for the study
    sr.save_as(tmp_path / "report.dcm", enforce_file_format=True)
    other = base_dataset("1.2.840.10008.5.1.4.1.1.481.3")  # RT Structure Set: neither image nor document
    other.save_as(tmp_path / "rtstruct.dcm", enforce_file_format=True)
    meta_only = base_dataset()
    for keyword in list(meta_only.keys()):
        del meta_only[keyword]
    meta_only.save_as(tmp_path / "meta_only.dcm", enforce_file_format=True)
    index = build_index(tmp_path)
    assert [p.name for p, _ in index.documents] == ["report.dcm"]
    reasons = {e.path.name: e.reason for e in index.errors}
    assert reasons["rtstruct.dcm"] == \
        "not an image (no Rows/Columns; RT Structure Set, SOP class 1.2.840.10008.5.1.4.1.1.481.3)"
    size = (tmp_path / "meta_only.dcm").stat().st_size
    assert reasons["meta_only.dcm"] == f"truncated: the file ends after its header ({size} bytes) and holds no data set"


def test_films_get_a_study_per_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ward 3"
    folder.mkdir()
    Image.new("L", (40, 30)).save(folder / "chest.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    index = build_index(folder)
    films = index.patients["(films)"]
    assert films.name == "Films (no DICOM header)"
    study = films.studies[str(folder)]
    assert study.description == "Films in ward 3"
    series = study.series[str(folder / "chest.png")]
    assert (series.uid, series.modality, series.description, series.kind) == (
        str(folder / "chest.png"), "XC", "chest.png", "film")
    (instance,) = series.instances
    assert instance.path == folder / "chest.png"
    assert (instance.rows, instance.columns, instance.instance_number, instance.sop_instance_uid) == (
        30, 40, 1, str(folder / "chest.png"))
    (error,) = index.errors
    assert error.path.name == "broken.jpg" and error.reason.startswith("not a readable JPG image: ")


def test_progress_cancel_missing_roots_and_files_met_twice(tmp_path: Path) -> None:
    paths = write_ct_series(tmp_path / "ct", [(0, 0, z) for z in range(4)], rows=4, columns=4)
    (tmp_path / "ct" / "notes.txt").write_text("read me")
    (tmp_path / "ct" / ".hidden").write_bytes(b"x")
    (tmp_path / "ct" / "empty.dcm").write_bytes(b"")
    calls: list[tuple[int, int]] = []
    index = build_index([tmp_path / "ct", paths[0], tmp_path / "nowhere"], progress=lambda d, t: calls.append((d, t)))
    total = 4 + 3 + 1  # four slices, three other files in the folder, the first slice again
    assert calls == [(n, total) for n in range(1, total + 1)]
    assert sum(len(s.instances) for s in index.all_series()) == 4  # the slice met twice counts once
    assert sorted(p.name for p in index.ignored) == [".hidden", "notes.txt"]
    assert {(e.path.name, e.reason) for e in index.errors} == {("nowhere", "no such file or folder"),
                                                                ("empty.dcm", "empty file (0 bytes)")}
    seen = []
    stopped = build_index(paths, cancelled=lambda: len(seen) >= 2, progress=lambda d, t: seen.append(d))
    assert seen == [1, 2] and sum(len(s.instances) for s in stopped.all_series()) == 2


def test_index_to_dict_and_inspect_text(tmp_path: Path) -> None:
    write_described(tmp_path / "a")
    write_ct_series(tmp_path / "b", [(0, 0, 0), (0, 0, 2.5)], rows=4, columns=6, spacing=(0.8, 0.6))
    Image.new("L", (5, 7)).save(tmp_path / "film.png")
    (tmp_path / "junk.dcm").write_bytes(b"not dicom at all, long enough to be read as a file" * 4)
    (tmp_path / "README.txt").write_text("x")
    index = build_index(tmp_path)
    data = index_to_dict(index)
    assert data["ignored_files"] == 1 and [e["path"] for e in data["errors"]] == [str(tmp_path / "junk.dcm")]
    described = next(p for p in data["patients"] if p["id"] == "ID-42")
    assert (described["sex"], described["birth_date"]) == ("M", "19700101")
    assert described["studies"][0]["accession"] == "ACC9"
    assert described["studies"][0]["series"][0]["uid"] == index.patients["ID-42"].studies[
        described["studies"][0]["uid"]].series[described["studies"][0]["series"][0]["uid"]].uid
    stack = next(s for p in data["patients"] for st in p["studies"] for s in st["series"] if s["instances"] == 2)
    assert (stack["kind"], stack["frames"], stack["size"], stack["slice_spacing"]) == ("volume", 2, [6, 4], 2.5)
    assert stack["geometry"]["spacing"] == [0.6, 0.8, 2.5]
    single = next(s for p in data["patients"] for st in p["studies"] for s in st["series"] if s["description"] == "LUNG 1mm")
    assert "geometry" not in single and single["kind"] == "film"
    lines = format_index(index).splitlines()
    assert "Patient ID-42  ROE^RICHARD" in lines
    assert any(line.startswith("  Study 20250102  CT THORAX  [") for line in lines)
    single_uid = single["uid"]  # written by write_described: the UID that --series takes is listed
    assert f"    Series 7  CT  LUNG 1mm  film, 1 image(s) 10x6  [{single_uid}]" in lines
    assert f"    Series 1  CT    volume, 2 image(s) 6x4  [{stack['uid']}]" in lines
    assert "      origin (0.000, 0.000, 0.000) mm  spacing (0.600, 0.800, 2.500) mm" in lines
    assert "      direction (1.000, 0.000, 0.000, 0.000, 1.000, 0.000, 0.000, 0.000, 1.000)" in lines
    assert "Patient (films)  Films (no DICOM header)" in lines
    assert f"  Study (no date)  Films in {tmp_path.name}  [{tmp_path}]" in lines
    png = next(s for p in data["patients"] for st in p["studies"] for s in st["series"] if s["description"] == "film.png")
    assert f"    Series -  XC  film.png  film, 1 image(s) 5x7  [{png['uid']}]" in lines
    assert lines[-3:] == ["1 file(s) could not be read:", f"  {tmp_path / 'junk.dcm'}: {data['errors'][0]['reason']}",
                          "1 non-image file(s) ignored"]


def test_inspect_text_of_warnings_and_nothing_else(tmp_path: Path) -> None:
    write_ct_series(tmp_path, [(0, 0, 0), (0, 0, 1), (0, 0, 5)], rows=4, columns=4)
    lines = format_index(build_index(tmp_path)).splitlines()
    assert any(line.startswith("      warning: gap in the slice stack: 1 place(s)") for line in lines)
    assert not any("could not be read" in line or "ignored" in line for line in lines)


@pytest.mark.parametrize("name", ["DICOMDIR", "dicomdir"])
def test_a_dicomdir_with_a_missing_file(tmp_path: Path, name: str) -> None:
    from pydicom.fileset import FileSet

    write_ct_series(tmp_path / "src", [(0, 0, 0), (0, 0, 1)], rows=4, columns=4)
    fs = FileSet()
    for path in sorted((tmp_path / "src").glob("*.dcm")):
        fs.add(path)
    out = tmp_path / "media"
    fs.write(out)
    dicomdir = out / "DICOMDIR"
    if name != "DICOMDIR":
        dicomdir.rename(out / name)
        dicomdir = out / name
    listed = [out.joinpath(*r.ReferencedFileID) for r in pydicom.dcmread(dicomdir).DirectoryRecordSequence
              if r.get("ReferencedFileID")]
    listed[1].unlink()
    index = build_index(dicomdir)
    assert index.errors[0].path == listed[1]
    assert sum(len(s.instances) for s in index.all_series()) == 1
    assert [(e.path, e.reason) for e in index.errors] == [(listed[1], f"listed in DICOMDIR {name} but missing on disk")]
    (out / "bad").mkdir()
    (out / "bad" / "DICOMDIR").write_bytes(b"\x00" * 10)
    broken = build_index(out / "bad")
    assert len(broken.errors) == 1 and broken.errors[0].reason.startswith("unreadable DICOMDIR: ")
    assert broken.errors[0].path == out / "bad" / "DICOMDIR"


def write_dicomdir(folder: Path, records: list[Dataset] | None) -> Path:
    """A DICOMDIR written by hand: ``records`` as its Directory Record Sequence (None: none at all)."""
    ds = base_dataset("1.2.840.10008.1.3.10")
    for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "Modality", "SeriesNumber"):
        delattr(ds, keyword)
    if records is not None:
        ds.DirectoryRecordSequence = records
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "DICOMDIR"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_a_hand_written_dicomdir_with_one_component_ids_or_no_records(tmp_path: Path) -> None:
    (slice_path,) = write_ct_series(tmp_path / "m", [(0, 0, 0)], rows=4, columns=4, names=["IMG1"])
    record = Dataset()
    record.DirectoryRecordType = "IMAGE"
    record.ReferencedFileID = "IMG1"  # one component: a string, not a list
    index = build_index(write_dicomdir(tmp_path / "m", [record]))
    assert [i.path for s in index.all_series() for i in s.instances] == [slice_path] and index.errors == []
    empty = build_index(write_dicomdir(tmp_path / "e", None))
    assert empty.errors == [] and list(empty.all_series()) == []


def test_files_without_a_preamble_need_a_sop_class_or_rows(tmp_path: Path) -> None:
    def bare(name: str, **attributes: object) -> Path:
        ds = Dataset()
        for keyword, value in attributes.items():
            setattr(ds, keyword, value)
        path = tmp_path / name
        ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=False)
        return path

    image_ds = base_dataset()
    set_pixels(image_ds, np.arange(16, dtype=np.uint16).reshape(4, 4))
    del image_ds.file_meta
    image_ds.save_as(tmp_path / "image.raw", implicit_vr=True, little_endian=True, enforce_file_format=False)
    ds, offset = read_header(tmp_path / "image.raw")
    assert ds.Rows == 4 and "PixelData" not in ds
    assert (tmp_path / "image.raw").read_bytes()[offset:offset + 4] == b"\xe0\x7f\x10\x00"  # stopped at Pixel Data
    ds, _ = read_header(bare("rows_only.raw", Rows=4))
    assert ds.Rows == 4
    ds, _ = read_header(bare("class_only.raw", SOPClassUID="1.2.840.10008.5.1.4.1.1.88.33"))
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.33"
    with pytest.raises(InvalidDicomError, match=r"^not a DICOM file \(no preamble, no SOP Class UID\)$"):
        read_header(bare("neither.raw", PatientID="x"))
    index = build_index(tmp_path / "neither.raw")
    assert [e.reason for e in index.errors] == ["not a DICOM file (no preamble, no SOP Class UID)"]


def test_a_file_the_fast_reader_declines_is_read_by_pydicom_up_to_its_pixels(tmp_path: Path) -> None:
    ds = base_dataset(syntax="1.2.840.10008.1.2.2")  # explicit VR big endian: pydicom's judgement
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 2, 2, 16, 16, 15
    ds.SamplesPerPixel, ds.PixelRepresentation, ds.PhotometricInterpretation = 1, 0, "MONOCHROME2"
    ds.PixelData = b"\x00\x01" * 4
    path = tmp_path / "be.dcm"
    ds.save_as(path, implicit_vr=False, little_endian=False, enforce_file_format=True)
    header, offset = read_header(path)
    assert "PixelData" not in header and header.Rows == 2
    assert path.read_bytes()[offset:offset + 4] == b"\x7f\xe0\x00\x10"  # the Pixel Data tag, big endian


def test_what_is_not_an_image_says_which_part_is_missing(tmp_path: Path) -> None:
    rows_only = base_dataset()
    rows_only.Rows = 4
    rows_only.save_as(tmp_path / "rows_only.dcm", enforce_file_format=True)
    no_class = base_dataset()
    del no_class.SOPClassUID
    no_class.save_as(tmp_path / "no_class.dcm", enforce_file_format=True)
    empty_rows = base_dataset()
    empty_rows.add_new("Rows", "US", None)
    empty_rows.Columns = 4
    empty_rows.save_as(tmp_path / "empty_rows.dcm", enforce_file_format=True)
    unregistered = base_dataset("1.2.826.0.1.3680043.99.1")  # a private class: its UID alone
    unregistered.save_as(tmp_path / "private.dcm", enforce_file_format=True)
    reasons = {e.path.name: e.reason for e in build_index(tmp_path).errors}
    assert reasons == {"rows_only.dcm": f"not an image (no Rows/Columns; CT Image, SOP class {rows_only.SOPClassUID})",
                       "private.dcm": "not an image (no Rows/Columns; SOP class 1.2.826.0.1.3680043.99.1)",
                       "no_class.dcm": "not an image (no Rows/Columns; SOP class unknown)",
                       "empty_rows.dcm": "unreadable Rows/Columns values"}


def test_special_files_unreadable_folders_and_link_cycles(tmp_path: Path, monkeypatch) -> None:
    import os
    import socket

    import lightbox.viewer.index as index_module

    write_ct_series(tmp_path / "b_real", [(0, 0, 0)], rows=4, columns=4)
    (tmp_path / "a_loop").symlink_to(tmp_path)  # met first (sorted): a cycle back up the tree
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "c.sock"))
    try:
        index = build_index([tmp_path, Path("/dev/null")])
    finally:
        sock.close()
    reasons = {e.path.name: e.reason for e in index.errors}
    assert reasons["a_loop"] == "symbolic link to a folder already read (a link cycle): skipped"
    assert reasons["c.sock"] == "not a regular file (socket): skipped"
    assert reasons["null"] == "not a regular file (device): skipped"
    assert sum(len(s.instances) for s in index.all_series()) == 1  # the folder after the cycle is read
    # a folder that cannot be read is said, and the rest is read
    real_stat = os.stat

    def refusing(path, *args, **kwargs):
        if str(path) == str(tmp_path / "b_real"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(index_module.os, "stat", refusing)
    write_ct_series(tmp_path / "d_more", [(0, 0, 0)], rows=4, columns=4)
    index = build_index(tmp_path)
    reasons = {e.path.name: e.reason for e in index.errors}
    assert reasons["b_real"] == "folder cannot be read (Permission denied)"
    assert sum(len(s.instances) for s in index.all_series()) == 1  # d_more still read


def test_an_unexpected_failure_names_its_kind_and_the_rest_loads(tmp_path: Path) -> None:
    from lightbox.viewer.index import read_header

    paths = write_ct_series(tmp_path, [(0, 0, 0), (0, 0, 1)], rows=4, columns=4)

    def failing(path: Path):
        if path == paths[0]:
            raise RuntimeError("disk said no")
        return read_header(path)

    index = build_index(tmp_path, read=failing)
    assert [(e.path, e.reason) for e in index.errors] == [(paths[0], "RuntimeError: disk said no")]
    assert sum(len(s.instances) for s in index.all_series()) == 1


def test_echoes_sharing_positions_become_two_series_in_the_index(tmp_path: Path) -> None:
    paths = write_ct_series(tmp_path, [(0, 0, 0), (0, 0, 0), (0, 0, 1), (0, 0, 1)], rows=4, columns=4)
    for n, path in enumerate(paths):
        ds = pydicom.dcmread(path)
        ds.EchoTime = 10 if n % 2 == 0 else 80
        ds.save_as(path)
    index = build_index(tmp_path)
    series = sorted(index.all_series(), key=lambda s: s.uid)
    assert [s.uid[-2:] for s in series] == ["#1", "#2"] and [len(s.instances) for s in series] == [2, 2]
    assert all(s.kind == "volume" for s in series)


def test_inspect_of_a_patient_without_a_name(tmp_path: Path) -> None:
    write_ct_series(tmp_path, [(0, 0, 0)], rows=4, columns=4)
    for path in tmp_path.glob("*.dcm"):
        ds = pydicom.dcmread(path)
        ds.PatientName = ""
        ds.save_as(path)
    assert format_index(build_index(tmp_path)).splitlines()[0] == "Patient P001"


def test_a_dicomdir_may_not_list_files_outside_its_file_set(tmp_path: Path) -> None:
    """A File ID is components below the DICOMDIR (PS3.10 8.5): one that climbs out ("..") would
    have opened whatever file it names on the reader's disk; it is listed as an error, not read."""
    from pydicom.fileset import FileSet

    write_ct_series(tmp_path / "src", [(0, 0, 0), (0, 0, 1)], rows=4, columns=4)
    write_ct_series(tmp_path / "elsewhere", [(0, 0, 7)], rows=4, columns=4, names=["OUTSIDE"])
    fs = FileSet()
    for path in sorted((tmp_path / "src").glob("*.dcm")):
        fs.add(path)
    fs.write(tmp_path / "media")
    dicomdir = tmp_path / "media" / "DICOMDIR"
    ds = pydicom.dcmread(dicomdir)
    record = next(r for r in ds.DirectoryRecordSequence if r.get("ReferencedFileID"))
    record.ReferencedFileID = ["..", "elsewhere", "OUTSIDE"]
    ds.save_as(dicomdir)
    index = build_index(dicomdir)
    assert sum(len(s.instances) for s in index.all_series()) == 1  # the other listed slice only
    assert [e.reason for e in index.errors] == [
        "DICOMDIR DICOMDIR lists '../elsewhere/OUTSIDE', which is not a file of its file-set: not read"]
