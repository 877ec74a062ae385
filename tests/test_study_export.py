"""A study written out as DICOM media (File → Export study; `lightbox export`): the files with a
DICOMDIR that pydicom's own file-set reader and Lightbox open again, as acquired (every instance,
its pixels byte for byte) or de-identified (PS3.15 Basic Profile with modified dates). What is
planted in the study (a name, an ID, a birth date, an institution, a physician, a description, a
private tag) is searched for in every element of every file written; the dates are worked out
here from the originals and the export's shift; the UIDs are checked to still tie the study
together (series, the PET's frame of reference shared with its CT)."""
from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import SECONDARY_CAPTURE, base_dataset, set_pixels, write_pet_ct
from pydicom.fileset import FileSet

from lightbox.app.cli import main
from lightbox.viewer.index import build_index

PLANTED = {"PatientName": "DOE^JANE", "PatientID": "MRN12345", "PatientBirthDate": "19700315",
           "InstitutionName": "General Hospital", "ReferringPhysicianName": "SMITH^JOHN",
           "StudyDescription": "PET CT WHOLE BODY JANE", "AccessionNumber": "ACC999", "OperatorsName": "RADTECH^TOM",
           "SeriesDate": "20260102", "AcquisitionDate": "20260103"}
SECRETS = ("DOE", "JANE", "MRN12345", "19700315", "General Hospital", "SMITH", "ACC999", "RADTECH")


def _study(root: Path) -> dict[str, Path]:
    """A PET/CT with identifying values planted in every file (and a private tag naming the
    patient), a key-image document, and a captured screen whose pixels carry burned-in text."""
    suv = np.zeros((20, 32, 32))
    suv[:, 4:28, 4:28] = 1.0
    write_pet_ct(root, suv)
    for path in sorted(root.rglob("*.dcm")):
        ds = pydicom.dcmread(path)
        for keyword, value in PLANTED.items():
            setattr(ds, keyword, value)
        block = ds.private_block(0x0011, "ACME RIS", create=True)
        block.add_new(0x01, "LO", "DOE^JANE MRN12345")
        ds.save_as(path)
    first = pydicom.dcmread(sorted((root / "ct").iterdir())[0])
    from lightbox.dicomreports.key_images import key_object_selection

    kos = key_object_selection([first], reader="SMITH^JOHN")
    kos.save_as(root / "kos.dcm", enforce_file_format=True)
    shot = base_dataset(SECONDARY_CAPTURE, patient="DOE^JANE", patient_id="MRN12345", study_uid=first.StudyInstanceUID,
                        modality="OT")
    set_pixels(shot, np.zeros((8, 8), np.uint16))
    shot.BurnedInAnnotation = "YES"
    shot.save_as(root / "shot.dcm", enforce_file_format=True)
    return {"ct": root / "ct", "pet": root / "pet", "kos": root / "kos.dcm", "shot": root / "shot.dcm"}


def _written(folder: Path) -> list[pydicom.Dataset]:
    """Every instance the DICOMDIR lists, read by pydicom's file-set reader."""
    file_set = FileSet(pydicom.dcmread(folder / "DICOMDIR"))
    return [instance.load() for instance in file_set]


def test_export_as_acquired_writes_every_instance_and_a_dicomdir(tmp_path: Path, capsys) -> None:
    paths = _study(tmp_path / "study")
    originals = {str(d.SOPInstanceUID): d for d in (pydicom.dcmread(p) for p in sorted((tmp_path / "study").rglob("*.dcm")))}
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert f"{tmp_path / 'out'}  62 instance(s) of 1 study(ies), as acquired, with a DICOMDIR" in printed
    written = _written(tmp_path / "out")
    assert sorted(str(d.SOPInstanceUID) for d in written) == sorted(originals)  # the CT, the PET, KOS, capture
    for ds in written:
        original = originals[str(ds.SOPInstanceUID)]
        assert ds.PatientName == "DOE^JANE" and ds.get("PixelData") == original.get("PixelData")
    index = build_index(tmp_path / "out" / "DICOMDIR")  # Lightbox opens the disc as another site would
    counts = sorted((s.modality, len(s.instances)) for s in index.all_series())
    assert ("CT", 40) in counts and ("PT", 20) in counts
    assert paths["ct"].exists()


def test_a_record_value_the_instance_lacks_gets_a_stand_in_the_instance_does_not(tmp_path: Path, capsys) -> None:
    """A film without Modality and with an empty Study ID (Type 1 in the DICOMDIR's SERIES and
    STUDY records, PS3.3 F.5): its records say OT and 1, said; the instance is written as it was."""
    from dicom_factory import write_film

    path = write_film(tmp_path / "study" / "film.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(path)
    del ds.Modality
    ds.StudyID = ""
    ds.save_as(path)
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "note: 1 instance(s) without Modality: the DICOMDIR's record has a stand-in" in printed
    assert "note: 1 instance(s) without StudyID: the DICOMDIR's record has a stand-in" in printed
    dicomdir = pydicom.dcmread(tmp_path / "out" / "DICOMDIR")
    records = {r.DirectoryRecordType: r for r in dicomdir.DirectoryRecordSequence}
    assert records["SERIES"].Modality == "OT" and records["STUDY"].StudyID == "1"
    (written,) = _written(tmp_path / "out")
    assert "Modality" not in written and written.StudyID == ""


def test_export_deidentified_leaves_nothing_planted_and_keeps_the_study_whole(tmp_path: Path, capsys) -> None:
    _study(tmp_path / "study")
    originals = {str(d.SOPInstanceUID): d for d in (pydicom.dcmread(p) for p in sorted((tmp_path / "study").rglob("*.dcm")))}
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "out"), "--deidentify"]) == 0
    printed = capsys.readouterr().out
    assert "left out: kos.dcm: a document (report, key images, presentation state)" in printed
    assert "left out: shot.dcm: its pixels carry burned-in annotation" in printed
    days = int(printed.split("dates moved back ")[1].split(" days")[0])
    assert 365 <= days <= 3650
    written = _written(tmp_path / "out")
    assert len(written) == 60

    def text_of(ds: pydicom.Dataset) -> list[str]:
        found: list[str] = []
        ds.walk(lambda _d, element: found.append(str(element.value)) if element.VR not in ("OB", "OW", "SQ") else None)
        return found

    for ds in written:
        assert not [v for v in text_of(ds) for secret in SECRETS if secret.lower() in v.lower()], ds.SOPInstanceUID
        assert not [e for e in ds if e.tag.is_private]
        assert ds.PatientIdentityRemoved == "YES" and ds.PatientName == "ANONYMIZED" and ds.PatientID == "ANON1"
        assert {c.CodeValue for c in ds.DeidentificationMethodCodeSequence} == {"113100", "113107"}
        assert str(ds.SOPInstanceUID) not in originals and ds.get("PatientBirthDate", "") == ""
    by_modality = {m: [d for d in written if d.Modality == m] for m in ("CT", "PT")}
    assert len(by_modality["CT"]) == 40 and len(by_modality["PT"]) == 20
    for group in by_modality.values():
        assert len({d.SeriesInstanceUID for d in group}) == 1  # a series stays one series
    assert len({d.StudyInstanceUID for d in written}) == 1 and len({d.FrameOfReferenceUID for d in written}) == 1
    original = next(iter(originals.values()))
    assert written[0].FrameOfReferenceUID != original.FrameOfReferenceUID

    def back(date: str) -> str:
        return (datetime.datetime.strptime(date, "%Y%m%d") - datetime.timedelta(days=days)).strftime("%Y%m%d")

    for ds in written:  # every date moved back by the same days: the intervals kept; times as they were
        assert (ds.StudyDate, ds.SeriesDate, ds.AcquisitionDate) == (back("20260102"), back("20260102"), back("20260103"))
        assert ds.StudyTime == "101500"
    pixels = {bytes(d.PixelData) for d in originals.values() if d.Modality == "PT"}
    assert {bytes(d.PixelData) for d in by_modality["PT"]} == pixels  # the pixels as acquired

    from lightbox.viewer.fusion import fusion_problem
    from lightbox.viewer.loading import load_volume

    series = {s.modality: s for s in build_index(tmp_path / "out" / "DICOMDIR").all_series()}
    assert fusion_problem(load_volume(series["CT"]), load_volume(series["PT"])) == ""  # the PET still lies over its CT


def test_export_deidentified_keeping_descriptions_cleans_them(tmp_path: Path, capsys) -> None:
    """`lightbox export --deidentify --keep-descriptions`: the study's description is kept with the
    patient's given name cleaned out of it ("PET CT WHOLE BODY JANE"), and nothing planted is left
    anywhere; asked without --deidentify it is refused, in words."""
    _study(tmp_path / "study")
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "x"), "--keep-descriptions"]) == 2
    assert "--keep-descriptions goes with --deidentify" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "out"), "--deidentify",
                 "--keep-descriptions"]) == 0
    assert "days; descriptions kept, cleaned)" in capsys.readouterr().out
    written = _written(tmp_path / "out")
    assert len(written) == 60 and {d.StudyDescription for d in written} == {"PET CT WHOLE BODY *"}
    for ds in written:
        found: list[str] = []
        ds.walk(lambda _d, element, found=found: found.append(str(element.value))
                if element.VR not in ("OB", "OW", "SQ") else None)
        assert not [v for v in found for secret in SECRETS if secret.lower() in v.lower()], ds.SOPInstanceUID
        assert list(ds.DeidentificationMethod)[-1] == "Descriptions kept, cleaned of names, IDs, dates"


def test_export_refuses_a_folder_with_files_and_a_demo(tmp_path: Path, capsys) -> None:
    _study(tmp_path / "study")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "full")]) == 2
    assert "is not empty: choose a new or empty folder (nothing is overwritten)" in capsys.readouterr().err
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"
    assert main(["export", "demo", "--out", str(tmp_path / "x")]) == 2
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "y"), "--study", "1.2.3"]) == 2
    assert "no study 1.2.3 in" in capsys.readouterr().err


def test_file_menu_exports_the_open_study(qtbot, tmp_path: Path, monkeypatch) -> None:
    """File → Export study as DICOM, de-identified...: the folder chosen, the study written off the
    UI thread, the result said; a folder with files refused."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox
    from window_helpers import opened_window

    _study(tmp_path / "study")
    window = opened_window(qtbot, tmp_path / "study")
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda _w, _t, text: said.append(text)))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _w, _t, text: said.append(text)))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "out")))
    action = next(a for a in window.menuBar().actions()[0].menu().actions()
                  if a.text() == "Export study as DICOM, de-identified...")
    action.trigger()
    qtbot.waitUntil(lambda: window.study_export.last is not None, timeout=30000)
    assert said[-1].startswith("60 instance(s) exported de-identified (PS3.15 Basic Profile; dates moved back ")
    assert "Left out (2):" in said[-1]
    assert len(_written(tmp_path / "out")) == 60
    action.trigger()  # the same folder again: it has files now
    assert said[-1].endswith("is not empty: choose a new or empty folder (nothing is overwritten).")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "kept")))
    window.study_export.last = None
    next(a for a in window.menuBar().actions()[0].menu().actions()
         if a.text() == "Export study as DICOM, de-identified, keeping descriptions...").trigger()
    qtbot.waitUntil(lambda: window.study_export.last is not None, timeout=30000)
    assert "descriptions kept, cleaned) to" in said[-1]
    assert {d.StudyDescription for d in _written(tmp_path / "kept")} == {"PET CT WHOLE BODY *"}


def test_an_instance_without_a_transfer_syntax_in_its_meta_is_written_with_the_one_it_was_read_in(tmp_path: Path) -> None:
    from dicom_factory import write_film

    from lightbox.studyexport.media import export_files

    path = write_film(tmp_path / "in" / "film.dcm", np.arange(64, dtype=np.uint16).reshape(8, 8))
    ds = pydicom.dcmread(path)
    del ds.file_meta.TransferSyntaxUID
    ds.save_as(path, enforce_file_format=False)
    result = export_files([path], tmp_path / "out")
    assert (result.written, result.left_out) == (1, [])
    (written,) = _written(tmp_path / "out")
    assert written.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert np.array_equal(written.pixel_array, np.arange(64).reshape(8, 8))


def test_a_cancelled_export_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    """Cancelled after the third file: ExportCancelled, a new folder never made, an empty one left empty."""
    from lightbox.studyexport.media import ExportCancelled, export_files

    files = sorted(_study(tmp_path / "study")["ct"].iterdir())
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(ExportCancelled) as cancel:
        export_files(files, tmp_path / "new", cancelled=cancelled)
    assert str(cancel.value) == f"cancelled after 3 of {len(files)} file(s): nothing was written to {tmp_path / 'new'}"
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    asked.clear()
    with pytest.raises(ExportCancelled):
        export_files(files, tmp_path / "empty", cancelled=cancelled)
    assert list((tmp_path / "empty").iterdir()) == []


def test_a_write_that_fails_takes_back_what_it_wrote(tmp_path: Path, monkeypatch) -> None:
    """The disk full as the DICOMDIR is written (the instances already copied in): the folder is
    left as it was, not a file-set without its directory; the failure is raised to be said."""
    import errno

    from pydicom.fileset import FileSet as PydicomFileSet

    from lightbox.studyexport.media import export_files

    files = sorted(_study(tmp_path / "study")["ct"].iterdir())
    copied: list[int] = []

    def full(file_set, fp, **_kwargs) -> None:  # noqa: ANN001
        copied.append(sum(1 for p in (tmp_path / "out").rglob("*") if p.is_file()))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(PydicomFileSet, "_write_dicomdir", full)
    with pytest.raises(OSError) as failure:
        export_files(files, tmp_path / "out")
    assert failure.value.errno == errno.ENOSPC
    assert copied == [len(files) + 1]  # the instances and the DICOMDIR begun were in the folder when the disk filled
    assert not (tmp_path / "out").exists()


def test_file_menu_export_can_be_cancelled(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Cancel export (in the status bar while an export runs): the export stops, said; the folder
    stays empty; the button goes."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox
    from window_helpers import opened_window

    _study(tmp_path / "study")
    window = opened_window(qtbot, tmp_path / "study")
    told: list[str] = []  # an export that ran to its end would say so in a box
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda _parent, _title, text: told.append(text)))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _parent, _title, text: told.append(text)))
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "out")))
    action = next(a for a in window.menuBar().actions()[0].menu().actions()
                  if a.text() == "Export study as DICOM, de-identified...")
    # the export thread waits at its first file until the reader has pressed Cancel (however fast the machine)
    import threading

    from lightbox.app import study_export

    pressed = threading.Event()
    real_export = study_export.export_files

    def export_after_the_press(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        asked = args[4]
        return real_export(*args[:4], lambda: pressed.wait(10) and asked(), **kwargs)

    monkeypatch.setattr(study_export, "export_files", export_after_the_press)
    action.trigger()
    button = window.study_export.cancel_button
    assert button.isVisible() and button.isEnabled()
    button.click()
    pressed.set()
    qtbot.waitUntil(lambda: not window.study_export.busy(), timeout=30000)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Export cancelled after "), timeout=5000)
    assert list((tmp_path / "out").iterdir()) == [] and window.study_export.last is None and not button.isVisible()
    assert told == []


def test_studies_window_export_can_be_cancelled(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Studies → Export...: Cancel in its progress dialog stops it; nothing in the folder, said."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog

    from lightbox.app.studies_window import StudiesWindow
    from lightbox.studydb.catalog import StudyCatalog

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    _study(tmp_path / "study")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["db", "import", str(tmp_path / "study"), "--db", db]) == 0
    window = StudiesWindow(None, StudyCatalog(db), lambda _files, _beside: None)
    qtbot.addWidget(window)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: next(b for b in box.buttons() if b.text() == "As acquired")
                        .click())
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "cd")))
    window.table.selectRow(0)
    # the reader presses Cancel as the first files are read (the dialog is drawn between files)
    QTimer.singleShot(0, lambda: window.findChild(QProgressDialog).cancel())
    assert window.export_selected() is None
    assert window.message.text().startswith("Export cancelled after ") and not (tmp_path / "cd").exists()
