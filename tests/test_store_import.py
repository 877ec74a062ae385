"""A study imported from a CD or USB stick with its files copied into Lightbox's store (`lightbox db
import --copy`, Studies → Import folder... → Yes): recorded from the copies, so it still opens
once the disc is gone; the copies byte for byte the disc's files; a second import copies nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
from dicom_factory import write_pet_ct
from pydicom.fileset import FileSet

from lightbox.app.cli import main
from lightbox.studydb.catalog import StudyCatalog


def _disc(tmp_path: Path) -> Path:
    """A PET/CT written as a disc is: a folder with a DICOMDIR (by `lightbox export`)."""
    suv = np.zeros((20, 32, 32))
    suv[:, 4:28, 4:28] = 1.0
    write_pet_ct(tmp_path / "study", suv)
    assert main(["export", str(tmp_path / "study"), "--out", str(tmp_path / "disc")]) == 0
    return tmp_path / "disc"


def test_import_copy_keeps_the_study_when_the_disc_is_gone(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    disc = _disc(tmp_path)
    on_disc = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID): p.read_bytes()
               for p in disc.rglob("IM*")}
    capsys.readouterr()
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["db", "import", str(disc / "DICOMDIR"), "--copy", "--db", db]) == 0
    printed = capsys.readouterr().out
    assert "1 study recorded from copies in" in printed and ": 60 file(s) copied, 0 already there" in printed
    shutil.rmtree(disc)  # the disc taken out
    catalog = StudyCatalog(db)
    (study,) = catalog.search()
    files = catalog.files(study.study_uid)
    assert len(files) == 60 and all(f.exists() and (tmp_path / "data" / "store") in f.parents for f in files)
    for path in files:
        assert path.read_bytes() == on_disc[str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)]


def test_a_second_import_copies_nothing_and_records_no_twin(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    disc = _disc(tmp_path)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["db", "import", str(disc), "--copy", "--db", db]) == 0
    first = capsys.readouterr().out
    assert main(["db", "import", str(disc), "--copy", "--db", db]) == 0
    second = capsys.readouterr().out
    assert ": 60 file(s) copied, 0 already there" in first and ": 0 file(s) copied, 60 already there" in second
    catalog = StudyCatalog(db)
    (study,) = catalog.search()
    assert len(catalog.files(study.study_uid)) == 60
    assert len(list((tmp_path / "data" / "store").rglob("*.dcm"))) == 60


def test_the_studies_window_offers_to_copy_a_disc(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Import folder... on a folder with a DICOMDIR at its root: the question's default is Yes
    (copy); answered Yes, the study is recorded from copies and opens after the disc is gone."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from lightbox.app.studies_window import StudiesWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    disc = _disc(tmp_path)
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite'}")
    opened: list[list[Path]] = []
    window = StudiesWindow(None, catalog, lambda files, _beside: opened.append(files))
    qtbot.addWidget(window)
    asked: list[object] = []

    def question(*args: object) -> QMessageBox.StandardButton:
        asked.append(args[-1])  # the default button
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(disc)))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _w, _t, text: warned.append(text)))
    window.import_folder()
    assert asked == [QMessageBox.StandardButton.Yes]
    assert window.message.text().startswith("1 study recorded from copies in Lightbox's store (60 file(s) copied")
    shutil.rmtree(disc)
    window.table.selectRow(0)
    window.open_selected()
    assert warned == [] and len(opened) == 1 and len(opened[0]) == 60


def test_a_recorded_study_is_exported_from_the_list_and_the_command_line(qtbot, tmp_path: Path, monkeypatch,
                                                                         capsys) -> None:
    """Studies → Export... → De-identified, and `lightbox db export UID --out`: the recorded study
    (its KOS too, as acquired) written with a DICOMDIR."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from lightbox.app.studies_window import StudiesWindow
    from lightbox.dicomreports.key_images import key_object_selection

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    suv = np.zeros((20, 32, 32))
    write_pet_ct(tmp_path / "study", suv)
    first = pydicom.dcmread(sorted((tmp_path / "study" / "ct").iterdir())[0])
    key_object_selection([first]).save_as(tmp_path / "study" / "kos.dcm", enforce_file_format=True)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["db", "import", str(tmp_path / "study"), "--db", db]) == 0
    catalog = StudyCatalog(db)
    window = StudiesWindow(None, catalog, lambda _files, _beside: None)
    qtbot.addWidget(window)
    monkeypatch.setattr(QMessageBox, "exec", lambda box: next(b for b in box.buttons() if b.text() == "De-identified")
                        .click())
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "anon")))
    window.table.selectRow(0)
    assert window.export_selected() == tmp_path / "anon"
    said = window.message.text()
    assert said.startswith("60 instance(s) exported de-identified (PS3.15 Basic Profile; dates moved back ")
    assert said.endswith(f" days) to {tmp_path / 'anon'}, with a DICOMDIR; 1 left out")
    written = [i.load() for i in FileSet(pydicom.dcmread(tmp_path / "anon" / "DICOMDIR"))]
    assert {str(d.PatientName) for d in written} == {"ANONYMIZED"} and len(written) == 60
    assert not any("SeriesDescription" in d for d in written)  # the Basic Profile removes them
    monkeypatch.setattr(QMessageBox, "exec", lambda box: next(b for b in box.buttons()
                                                              if b.text() == "De-identified, keeping descriptions").click())
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path / "teaching")))
    assert window.export_selected() == tmp_path / "teaching"
    assert window.message.text().startswith("60 instance(s) exported de-identified (PS3.15 Basic Profile; dates moved "
                                            "back ") and "days; descriptions kept, cleaned) to" in window.message.text()
    kept = [i.load() for i in FileSet(pydicom.dcmread(tmp_path / "teaching" / "DICOMDIR"))]
    originals = {str(d.SeriesDescription) for d in (pydicom.dcmread(p) for p in (tmp_path / "study").rglob("*.dcm"))
                 if "SeriesDescription" in d}
    assert originals and {str(d.SeriesDescription) for d in kept} == originals  # nothing identifying in them
    capsys.readouterr()
    assert main(["db", "export", first.StudyInstanceUID, "--out", str(tmp_path / "cd"), "--db", db]) == 0
    assert "61 instance(s) of 1 study(ies), as acquired, with a DICOMDIR" in capsys.readouterr().out
