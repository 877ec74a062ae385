"""The study database (lightbox.studydb): studies recorded from real DICOM files, searched like a
worklist, opened again from the database, through the catalog, the CLI and the window."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import axial_positions, restamp, write_ct_series, write_film

from lightbox.app.cli import main
from lightbox.studydb.catalog import StudyCatalog, StudyFilter, index_paths


@pytest.fixture
def studies(tmp_path: Path) -> Path:
    root = tmp_path / "incoming"
    ct = write_ct_series(root / "jane-ct", axial_positions(3), study_uid="1.2.826.0.1.3680043.8.498.1")
    restamp(ct, PatientName="DOE^JANE", PatientID="P100", PatientBirthDate="19700101", StudyDate="20250105",
             AccessionNumber="ACC-1", StudyDescription="CT CHEST", Modality="CT")
    mr = write_ct_series(root / "jane-mr", axial_positions(2), study_uid="1.2.826.0.1.3680043.8.498.3")
    restamp(mr, PatientName="DOE^JANE", PatientID="P100", PatientBirthDate="19700101", StudyDate="20260101",
             AccessionNumber="ACC-3", StudyDescription="MR BRAIN", Modality="MR")
    film = root / "john" / "chest.dcm"
    film.parent.mkdir(parents=True)
    write_film(film, np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % 4000)
    restamp([film], PatientName="SMITH^JOHN", PatientID="P200", PatientBirthDate="19800202", StudyDate="20260310",
             AccessionNumber="ACC-2", StudyDescription="CHEST PA", Modality="CR",
             StudyInstanceUID="1.2.826.0.1.3680043.8.498.2")
    return root


@pytest.fixture
def catalog(tmp_path: Path) -> StudyCatalog:
    return StudyCatalog(f"sqlite:///{tmp_path / 'lightbox.sqlite3'}")


def uids(rows) -> list[str]:
    return [r.study_uid.rsplit(".", 1)[-1] for r in rows]


def test_imported_studies_are_found_by_every_filter(catalog: StudyCatalog, studies: Path) -> None:
    found, index = index_paths(catalog, [studies])
    assert sorted(found) == [f"1.2.826.0.1.3680043.8.498.{n}" for n in (1, 2, 3)] and not index.errors
    assert uids(catalog.search()) == ["2", "3", "1"]  # newest study date first
    assert uids(catalog.search(StudyFilter(name="jane doe"))) == []  # name parts in DICOM order
    assert uids(catalog.search(StudyFilter(name="doe jane"))) == ["3", "1"]  # ^ and case ignored
    assert uids(catalog.search(StudyFilter(name="smith"))) == ["2"]
    # the name as the list shows it, copied back into the search ("DOE, JANE" found nothing), or as DICOM writes it
    from lightbox.viewer.study_tree import person_name

    assert person_name("DOE^JANE") == "DOE, JANE"
    for written in ("DOE, JANE", "Doe,Jane", "DOE^JANE", "doe  jane"):
        assert uids(catalog.search(StudyFilter(name=written))) == ["3", "1"], written
        assert uids(catalog.search(StudyFilter(text=written))) == ["3", "1"], written
    assert uids(catalog.search(StudyFilter(patient_id="P100"))) == ["3", "1"]
    assert uids(catalog.search(StudyFilter(birth_date="1980-02-02"))) == ["2"]
    assert uids(catalog.search(StudyFilter(date_from="2026-01-01"))) == ["2", "3"]
    assert uids(catalog.search(StudyFilter(date_from="2025-01-01", date_to="2025-12-31"))) == ["1"]
    assert uids(catalog.search(StudyFilter(modality="mr"))) == ["3"]
    assert uids(catalog.search(StudyFilter(accession="ACC-2"))) == ["2"]
    assert uids(catalog.search(StudyFilter(description="chest"))) == ["2", "1"]
    assert uids(catalog.search(StudyFilter(text="brain"))) == ["3"]
    # DICOM's wildcards, as a PACS search takes them ("DOE*" found nothing here); SQL's % and _ are literal
    assert uids(catalog.search(StudyFilter(name="DOE*"))) == ["3", "1"]
    assert uids(catalog.search(StudyFilter(name="SM?TH"))) == ["2"]
    assert uids(catalog.search(StudyFilter(accession="ACC-?"))) == ["2", "3", "1"]
    assert uids(catalog.search(StudyFilter(accession="ACC_1"))) == [] and uids(catalog.search(StudyFilter(text="100%"))) == []
    with pytest.raises(ValueError, match="not a date"):
        catalog.search(StudyFilter(date_from="2026-13"))
    with pytest.raises(ValueError, match="not a date"):
        catalog.search(StudyFilter(date_to="2026-13-01"))  # eight digits, no such month
    ct = catalog.search(StudyFilter(accession="ACC-1"))[0]
    assert (ct.patient_name, ct.birth_date, ct.modalities, ct.series, ct.images) == ("DOE^JANE", "19700101", "CT", 1, 3)
    assert sorted(p.name for p in catalog.files(ct.study_uid)) == ["slice_0000.dcm", "slice_0001.dcm", "slice_0002.dcm"]


def test_an_old_acr_nema_study_date_is_found_by_a_date_range(catalog: StudyCatalog, tmp_path: Path) -> None:
    """Old files write DA as "YYYY.MM.DD" (ACR-NEMA): recorded as YYYYMMDD so ranges find it."""
    old = write_ct_series(tmp_path / "old", axial_positions(2), study_uid="1.2.826.0.1.3680043.8.498.9")
    restamp(old, StudyDate="1997.04.24")
    index_paths(catalog, [tmp_path / "old"])
    assert uids(catalog.search(StudyFilter(date_from="1997-01-01", date_to="1997-12-31"))) == ["9"]
    assert catalog.search()[0].date == "19970424"


def test_importing_again_adds_nothing_twice_and_follows_moved_files(catalog: StudyCatalog, studies: Path) -> None:
    index_paths(catalog, [studies])
    index_paths(catalog, [studies])
    assert len(catalog.search()) == 3
    assert catalog.search(StudyFilter(accession="ACC-1"))[0].images == 3
    moved = studies.parent / "archive"
    (studies / "jane-ct").rename(moved)
    index_paths(catalog, [moved])
    files = catalog.files("1.2.826.0.1.3680043.8.498.1")
    assert len(files) == 3 and all(f.parent == moved and f.exists() for f in files)


def test_removing_a_study_keeps_its_files_and_drops_a_patient_with_no_study_left(catalog: StudyCatalog,
                                                                                 studies: Path) -> None:
    index_paths(catalog, [studies])
    assert catalog.remove("1.2.826.0.1.3680043.8.498.2")
    assert not catalog.remove("1.2.826.0.1.3680043.8.498.2")
    assert (studies / "john" / "chest.dcm").exists()
    assert uids(catalog.search()) == ["3", "1"]
    assert catalog.search(StudyFilter(name="smith")) == []


def test_two_people_with_one_patient_id_are_recorded_under_their_own_names(tmp_path: Path, capsys) -> None:
    """Two sites' record numbers meet in one import: Bob's study was recorded, and listed, as Anna's."""
    root = tmp_path / "two-sites"
    restamp(write_ct_series(root / "a", axial_positions(2)), PatientID="12345", PatientName="SMITH^ANNA",
            PatientBirthDate="19490301", AccessionNumber="ACC-A")
    restamp(write_ct_series(root / "b", axial_positions(2)), PatientID="12345", PatientName="JONES^BOB",
            PatientBirthDate="19800101", AccessionNumber="ACC-B")
    db = ["--db", f"sqlite:///{tmp_path / 'two.sqlite3'}"]
    assert main(["db", "import", str(root), *db]) == 0
    capsys.readouterr()
    assert main(["db", "list", "--json", *db]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["accession"], r["patient_name"], r["birth_date"]) for r in rows) == [
        ("ACC-A", "SMITH^ANNA", "19490301"), ("ACC-B", "JONES^BOB", "19800101")]


def test_db_commands_import_list_open_and_refuse(tmp_path: Path, studies: Path, capsys) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]
    assert main(["db", "import", str(studies), *db]) == 0
    assert "3 studies, 6 image file(s) recorded" in capsys.readouterr().out
    assert main(["db", "list", "--json", "--modality", "CT", *db]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["accession"], r["images"]) for r in rows] == [("ACC-1", 3)]
    # --patient is the name, as in `pacs find` (argparse took it for --patient-id: "SMITH" found nothing)
    assert main(["db", "list", "--json", "--patient", "SMITH", *db]) == 0
    assert [r["accession"] for r in json.loads(capsys.readouterr().out)] == ["ACC-2"]
    assert main(["db", "open", "ACC-2", "--print-files", *db]) == 0
    assert capsys.readouterr().out.strip() == str(studies / "john" / "chest.dcm")
    assert main(["db", "open", "P100", "--print-files", *db]) == 2  # two studies of that patient
    assert "2 studies match 'P100'" in capsys.readouterr().err
    assert main(["db", "open", "nobody", *db]) == 2
    assert "no study in the database matches 'nobody'" in capsys.readouterr().err
    assert main(["db", "list", "--date-from", "yesterday", *db]) == 2
    assert "not a date: 'yesterday'" in capsys.readouterr().err
    assert main(["db", "import", str(tmp_path / "missing"), *db]) == 2
    (studies / "john" / "chest.dcm").unlink()
    assert main(["db", "open", "ACC-2", *db]) == 2
    assert "no longer where they were recorded" in capsys.readouterr().err
    assert main(["db", "remove", "1.2.826.0.1.3680043.8.498.2", *db]) == 0
    capsys.readouterr()
    assert main(["db", "list", *db]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.startswith("date        patient    ID    born        mod ")  # columns as wide as their values
    assert [line[:39] for line in lines] == ["2026-01-01  DOE, JANE  P100  1970-01-01", "2025-01-05  DOE, JANE  P100  1970-01-01"]
    assert main(["db", "list", "--json", *db]) == 0
    assert [r["accession"] for r in json.loads(capsys.readouterr().out)] == ["ACC-3", "ACC-1"]
    other = write_film(tmp_path / "other" / "cr.dcm", np.full((8, 8), 1, np.uint16))
    restamp([other], PatientID="LIDC-IDRI-0314-LONG-ID", AccessionNumber="ACC-9")
    assert main(["db", "import", str(other.parent), *db]) == 0
    capsys.readouterr()
    assert main(["db", "list", "--accession", "ACC-9", *db]) == 0
    assert "  LIDC-IDRI-0314-LONG-ID  " in capsys.readouterr().out  # not cut to 12 characters


def _menu_action(window, menu_title: str, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu_title)
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_the_window_records_what_it_opens_and_reopens_it_from_file_studies(qtbot, tmp_path: Path, studies: Path,
                                                                           monkeypatch) -> None:
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "cpu")
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.open_path(studies / "jane-ct")
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None, timeout=30000)
    recorded = w.catalog.search()
    assert [(r.accession, r.images) for r in recorded] == [("ACC-1", 3)] and recorded[0].opened_at
    index_paths(w.catalog, [studies / "john"])  # imported, never opened
    _menu_action(w, "File", "Studies...").trigger()
    studies_window = w.studies_window
    assert studies_window.isVisible() and studies_window.table.rowCount() == 2
    studies_window.fields["name"].setText("smith")
    assert studies_window.table.rowCount() == 1
    assert studies_window.table.item(0, 6).text() == "ACC-2"
    assert studies_window.table.item(0, 0).text() == "SMITH, JOHN"  # as the overlay and the browser name him
    studies_window.fields["date_from"].setText("2026-1")  # half typed: a message, the list stays
    assert "not a date" in studies_window.message.text() and studies_window.table.rowCount() == 1
    studies_window.fields["date_from"].clear()
    studies_window.table.selectRow(0)
    studies_window.open_selected()
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None and not w.area.opened.is_volume,
                    timeout=30000)
    assert w.area.opened.films[0].metadata.get("patient_name", "").startswith("SMITH")
    assert [r.accession for r in w.catalog.recent()] == ["ACC-2", "ACC-1"]
    w.close()


def test_the_studies_window_imports_with_progress_and_a_cancel_that_records_nothing(qtbot, tmp_path: Path,
                                                                                    studies: Path, monkeypatch) -> None:
    """Import folder... read every header on the window's thread with nothing on screen: a folder of
    thousands of files froze the window. It now shows how far it has got, and Cancel stops it with
    nothing recorded."""
    from lightbox.app.studies_window import StudiesWindow

    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    window = StudiesWindow(None, catalog, lambda _files, _beside: None)
    qtbot.addWidget(window)
    from PySide6.QtWidgets import QProgressDialog

    seen: list[tuple[int, int]] = []
    original = QProgressDialog.setValue
    # the reader presses Cancel once the second of the six files is read
    monkeypatch.setattr(QProgressDialog, "setValue", lambda self, value: (seen.append((value, self.maximum())),
                                                                           original(self, value),
                                                                           self.cancel() if value >= 2 else None))
    assert window.import_paths([studies]) == []
    assert seen[:2] == [(1, 6), (2, 6)] and window.message.text() == "Import cancelled: nothing was recorded"
    assert catalog.search() == []
    monkeypatch.setattr(QProgressDialog, "setValue", original)
    assert sorted(window.import_paths([studies])) == [f"1.2.826.0.1.3680043.8.498.{n}" for n in (1, 2, 3)]
    # what the import did stays said (the list's own count wrote over it)
    assert window.message.text() == "3 studies recorded" and window.table.rowCount() == 3
