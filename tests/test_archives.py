"""A ZIP archive of DICOM files, named by the user, opens as the folder it holds: the same series,
geometry and voxels as the folder itself (the independent computation here); it is unpacked once;
members that would land outside its folder are skipped and counted; an archive that is not one,
or one with a password, is a message. Opening one showed "no image found" before."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import write_ct_series, write_film

from lightbox.app.cli import main
from lightbox.app.compose import open_path
from lightbox.viewer.index import build_index


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "lightbox-data"
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(folder))
    return folder


def zipped(folder: Path, archive: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, "export/" + path.relative_to(folder).as_posix())  # a portal's download has a top folder
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return archive


def test_an_archive_opens_as_the_folder_it_holds(tmp_path: Path, data_dir: Path) -> None:
    study = tmp_path / "study"
    write_ct_series(study / "ct", [(0.0, 0.0, 2.5 * n) for n in range(6)])
    (study / "README.txt").write_text("exported by a portal")
    archive = zipped(study, tmp_path / "download.zip")
    from_zip, from_folder = build_index(archive), build_index(study)
    (series,) = from_zip.all_series()
    (expected,) = from_folder.all_series()
    assert (series.uid, series.kind, len(series.instances)) == (expected.uid, "volume", 6)
    assert not from_zip.errors and len(from_zip.ignored) == 1  # the README, as in the folder
    assert all(i.path.is_relative_to(data_dir / "archives") for i in series.instances)  # kept, not in a temporary folder
    opened_zip, _ = open_path(archive)
    opened_folder, _ = open_path(study)
    assert opened_zip.volume is not None and opened_folder.volume is not None
    assert np.array_equal(opened_zip.volume.array, opened_folder.volume.array)
    assert opened_zip.volume.geometry.to_dict() == opened_folder.volume.geometry.to_dict()


def test_an_archive_is_unpacked_once_and_again_when_it_changes(tmp_path: Path, data_dir: Path, monkeypatch) -> None:
    write_film(tmp_path / "f" / "film.dcm", np.arange(1200, dtype=np.uint16).reshape(40, 30))
    archive = zipped(tmp_path / "f", tmp_path / "film.zip")
    first = build_index(archive).all_series()[0].instances[0].path
    opened: list[Path] = []
    real = zipfile.ZipFile

    def counting(path, *args, **kwargs):
        if (args[0] if args else kwargs.get("mode", "r")) == "r":  # read to unpack (the helper writes)
            opened.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr("lightbox.viewer.archives.zipfile.ZipFile", counting)
    assert build_index(archive).all_series()[0].instances[0].path == first and opened == []  # not unpacked again
    zipped(tmp_path / "f", archive, {"export/notes.txt": b"changed"})  # another archive under the same name
    again = build_index(archive).all_series()[0].instances[0].path
    assert opened == [archive] and again != first and again.read_bytes() == first.read_bytes()


def test_members_outside_the_archive_are_skipped(tmp_path: Path, data_dir: Path) -> None:
    write_film(tmp_path / "f" / "film.dcm", np.arange(1200, dtype=np.uint16).reshape(40, 30))
    payload = (tmp_path / "f" / "film.dcm").read_bytes()
    archive = zipped(tmp_path / "f", tmp_path / "slip.zip", {"../../escaped.dcm": payload, "/abs.dcm": payload,
                                                             "C:/windows.dcm": payload})
    index = build_index(archive)
    assert len(index.all_series()) == 1
    assert [(e.path, e.reason) for e in index.errors] == [
        (archive, "3 member(s) skipped: their paths lead outside the archive")]
    assert not list(tmp_path.parent.rglob("escaped.dcm")) and not Path("/abs.dcm").exists()


def test_archives_that_cannot_be_opened_are_messages(tmp_path: Path, data_dir: Path, capsys) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert [e.reason for e in build_index(broken).errors] == ["not a readable ZIP archive (File is not a zip file)"]
    locked = tmp_path / "locked.zip"
    with zipfile.ZipFile(locked, "w") as out:
        out.writestr("export/film.dcm", b"ciphertext")
    # zipfile writes no encryption: set the member's "encrypted" flag (bit 0 of the general purpose
    # flags, APPNOTE 4.4.4) in its local header (offset 6) and central directory entry (offset 8)
    raw = bytearray(locked.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        raw[raw.index(signature) + offset] |= 0x1
    locked.write_bytes(bytes(raw))
    assert [e.reason for e in build_index(locked).errors] == [
        "a password-protected ZIP archive: extract it with its password first"]
    assert main(["screenshot", str(locked), "--out", str(tmp_path / "x.png")]) == 2
    assert "password-protected ZIP archive" in capsys.readouterr().err


def test_a_zip_inside_a_folder_is_still_skipped(tmp_path: Path, data_dir: Path) -> None:
    """A zipped copy beside the files (as exports hold) would show every image twice."""
    write_film(tmp_path / "f" / "film.dcm", np.arange(1200, dtype=np.uint16).reshape(40, 30))
    zipped(tmp_path / "f", tmp_path / "copy.zip")
    (tmp_path / "copy.zip").rename(tmp_path / "f" / "copy.zip")
    index = build_index(tmp_path / "f")
    assert len(index.all_series()) == 1 and [p.name for p in index.ignored] == ["copy.zip"]
    assert not (data_dir / "archives").exists()


def test_the_cli_shows_an_archive(tmp_path: Path, data_dir: Path, capsys) -> None:
    write_film(tmp_path / "f" / "film.dcm", np.arange(1200, dtype=np.uint16).reshape(40, 30))
    archive = zipped(tmp_path / "f", tmp_path / "film.zip")
    assert main(["screenshot", str(archive), "--out", str(tmp_path / "x.png"), "--size", "64x64"]) == 0
    assert (tmp_path / "x.png").is_file()


def test_unpacked_archives_are_listed_and_removed_with_the_studies_recorded_from_them(tmp_path: Path, data_dir: Path,
                                                                                    capsys) -> None:
    """They piled up in the data folder with no way but a file manager to see or free them, and a
    folder removed by hand left its studies recorded, pointing at nothing. A study with files
    elsewhere too stays recorded."""
    write_ct_series(tmp_path / "ct" / "series", [(0.0, 0.0, 2.5 * n) for n in range(4)],
                    study_uid="1.2.826.0.1.3680043.8.498.71")
    write_film(tmp_path / "film" / "film.dcm", np.arange(1200, dtype=np.uint16).reshape(40, 30))
    ct_zip, film_zip = zipped(tmp_path / "ct", tmp_path / "ct.zip"), zipped(tmp_path / "film", tmp_path / "film.zip")
    assert main(["db", "import", str(ct_zip), str(film_zip)]) == 0
    capsys.readouterr()
    assert main(["db", "archives"]) == 0
    lines = capsys.readouterr().out.splitlines()
    folders = sorted(p for p in (data_dir / "archives").iterdir() if p.is_dir())
    sizes = {p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) for p in folders}
    assert lines[0].startswith("unpacked") and lines[-1].startswith("2 archive(s), ")
    ct_folder = next(name for name in sizes if name.startswith("ct-"))
    ct_line = next(line for line in lines if line.endswith(ct_folder))
    ct_size = f"{sizes[ct_folder] / 1024:.0f} KB"  # a small test series: under a megabyte
    assert sizes[ct_folder] < 2**20 and ct_size in ct_line and ct_line.split()[4] == "1"  # one study recorded from it
    from lightbox.studydb.catalog import StudyCatalog

    catalog = StudyCatalog(f"sqlite:///{data_dir / 'lightbox.sqlite3'}")
    assert "1.2.826.0.1.3680043.8.498.71" in [s.study_uid for s in catalog.search()]
    assert main(["db", "archives", "--remove", "nosuch"]) == 2
    assert "no unpacked archive named 'nosuch'" in capsys.readouterr().err
    assert main(["db", "archives", "--remove", ct_folder]) == 0
    assert capsys.readouterr().out == f"removed {ct_folder}: {ct_size} freed; 1 recorded study forgotten\n"
    assert not (data_dir / "archives" / ct_folder).exists()
    assert not (data_dir / "archives" / f"{ct_folder}.unpacked").exists()
    assert "1.2.826.0.1.3680043.8.498.71" not in [s.study_uid for s in catalog.search()]
    assert len(catalog.search()) == 1  # the film's study, from the other archive, is still there
    # a study recorded from an archive and from a folder elsewhere is kept when the archive goes
    film_folder = next(name for name in sizes if name.startswith("film-"))
    film_study = catalog.search()[0].study_uid
    write_ct_series(tmp_path / "more", [(0.0, 0.0, 0.0)], study_uid=film_study)
    assert main(["db", "import", str(tmp_path / "more")]) == 0
    assert main(["db", "archives", "--remove", film_folder]) == 0
    assert capsys.readouterr().out.endswith("0 recorded studies forgotten; 1 with files elsewhere too kept "
                                            "(open them from there)\n")
    assert [s.study_uid for s in catalog.search()] == [film_study]
    assert main(["db", "archives"]) == 0
    assert capsys.readouterr().out.startswith("no unpacked archive in ")


def test_the_studies_window_frees_an_unpacked_archive(qtbot, tmp_path: Path, data_dir: Path) -> None:
    """File → Studies → Unpacked archives...: the same list and removal as `lightbox db archives`;
    the Studies list drops the study forgotten with it."""
    from lightbox.app.studies_window import StudiesWindow
    from lightbox.studydb.catalog import StudyCatalog

    write_ct_series(tmp_path / "ct" / "series", [(0.0, 0.0, 2.5 * n) for n in range(3)],
                    study_uid="1.2.826.0.1.3680043.8.498.72")
    write_film(tmp_path / "film" / "film.dcm", np.arange(1200, dtype=np.uint16).reshape(40, 30))
    catalog = StudyCatalog(f"sqlite:///{data_dir / 'lightbox.sqlite3'}")
    window = StudiesWindow(None, catalog, lambda _files, _beside: None)
    qtbot.addWidget(window)
    window.import_paths([zipped(tmp_path / "ct", tmp_path / "ct.zip"), zipped(tmp_path / "film", tmp_path / "film.zip")])
    assert window.table.rowCount() == 2
    dialog = window.show_archives()
    names = [dialog.table.item(r, 4).text() for r in range(dialog.table.rowCount())]
    assert sorted(n.split("-")[0] for n in names) == ["ct", "film"]
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["1", "1"]
    assert dialog.remove_selected(confirm=False) == 0 and dialog.message.text() == "Choose an archive first"
    dialog.table.selectRow(names.index(next(n for n in names if n.startswith("ct-"))))
    assert dialog.remove_selected(confirm=False) == 1
    assert dialog.message.text().endswith("freed; 1 recorded study forgotten")
    assert [dialog.table.item(r, 4).text() for r in range(dialog.table.rowCount())] == [n for n in names if n.startswith("film-")]
    assert not any(p.name.startswith("ct-") for p in (data_dir / "archives").iterdir())
    dialog.close()
    assert window.table.rowCount() == 1 and "1.2.826.0.1.3680043.8.498.72" not in [r.study_uid for r in window.rows]
