"""Headers kept in the study database (issue: reopening a study from the database skips header
parsing). The stored form must give back what pydicom reads from the file, element for element;
a reopen must take it from the database and not the file (shown by editing a file behind the
database's back, keeping its size and time); a file changed since, a damaged blob and a database
made before the columns existed each fall back to reading the file."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pydicom
import pytest
from dicom_factory import write_ct_series
from pydicom.uid import ImplicitVRLittleEndian

from lightbox.studydb.catalog import StudyCatalog, index_paths
from lightbox.studydb.stored_headers import StoredHeaderError, decode_header, encode_header
from lightbox.viewer.index import build_index, index_to_dict, read_header

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def _same_as_pydicom(path: Path, decoded: pydicom.Dataset) -> None:
    """Every element as pydicom's own reader gives it (values converted by pydicom on both sides)."""
    reference = pydicom.dcmread(path, stop_before_pixels=True)
    assert [e.tag for e in decoded] == [e.tag for e in reference]
    for element in reference:
        assert decoded[element.tag].VR == element.VR, element.tag
        assert decoded[element.tag].value == element.value, element.tag
    assert decoded.file_meta == reference.file_meta
    assert decoded.preamble == reference.preamble
    assert decoded.is_implicit_VR == reference.is_implicit_VR


# files whose header has an element the reader gives parsed (an undefined-length sequence), is
# big endian, or was read by pydicom's tolerant path in a form the database does not keep
NOT_STORED = {"693_J2KI.dcm", "ExplVR_BigEnd.dcm", "ExplVR_BigEndNoMeta.dcm", "ExplVR_LitEndNoMeta.dcm", "JPEG-lossy.dcm",
              "JPEG2000-embedded-sequence-delimiter.dcm", "JPEG2000.dcm", "JPGExtended.dcm", "MR_small_bigendian.dcm",
              "MR_small_expb.dcm", "SC_rgb_gdcm_KY.dcm", "SC_rgb_jpeg.dcm", "SC_rgb_small_odd_big_endian.dcm",
              "UN_sequence.dcm", "examples_jpeg2k.dcm", "examples_palette.dcm", "image_dfl.dcm", "liver_1frame.dcm",
              "liver_expb_1frame.dcm", "meta_missing_tsyntax.dcm", "nested_priv_SQ.dcm", "reportsi.dcm",
              "rtdose_expb.dcm", "rtdose_expb_1frame.dcm", "rtplan_truncated.dcm", "rtstruct.dcm", "waveform_ecg.dcm"}
NOT_INDEXED = {"no_meta.dcm"}  # not taken for DICOM by the index (no preamble, no SOP Class UID, no Rows)


@pytest.mark.parametrize("name", sorted(p.name for p in PYDICOM_FILES.glob("*.dcm")))
def test_the_stored_form_gives_back_the_files_header(name: str) -> None:
    """Every header of pydicom's test files either comes back as pydicom reads it, or is not stored."""
    path = PYDICOM_FILES / name
    if name in NOT_INDEXED:
        with pytest.raises(pydicom.errors.InvalidDicomError):
            read_header(path)
        return
    header, offset = read_header(path)
    blob = encode_header(header, offset)
    if name in NOT_STORED:
        assert blob is None
        return
    assert blob is not None
    decoded, decoded_offset = decode_header(blob, path)
    assert decoded_offset == offset
    # the very tuples the reader made (tag, VR, length, value, offset, VR encoding, byte order)
    fresh = read_header(path)[0]
    assert list(decoded._dict.values()) == list(fresh._dict.values())
    assert list(decoded.file_meta._dict.values()) == list(fresh.file_meta._dict.values())
    assert decoded.filename == str(path)
    _same_as_pydicom(path, decoded)
    assert decoded.original_character_set == header.original_character_set


def test_a_header_pydicom_has_converted_is_not_stored_as_it_is(tmp_path: Path) -> None:
    (path,) = write_ct_series(tmp_path, [(0, 0, 0)])
    header, offset = read_header(path)
    assert header.PatientName == "TEST^PATIENT"  # reading a value converts its element
    assert encode_header(header, offset) is None
    assert encode_header(pydicom.Dataset(), 0) is None  # not read from a file


def test_an_implicit_vr_series_round_trips_through_the_database(tmp_path: Path) -> None:
    files = write_ct_series(tmp_path / "s", [(0, 0, z) for z in (0, 2, 4)], syntax=ImplicitVRLittleEndian)
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    index_paths(catalog, [tmp_path / "s"])
    recorded = catalog.files(catalog.search()[0].study_uid)
    reopened = build_index(recorded, read=catalog.header_reader(recorded))
    assert index_to_dict(reopened) == index_to_dict(build_index(files))
    for instance in reopened.all_series()[0].instances:
        _same_as_pydicom(instance.path, instance.header)  # type: ignore[arg-type]


def _edit_behind_the_databases_back(path: Path, old: bytes, new: bytes) -> None:
    """Change bytes of the file in place, keeping its size and modification time."""
    status = path.stat()
    data = path.read_bytes()
    assert len(old) == len(new) and data.count(old) == 1
    path.write_bytes(data.replace(old, new))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_a_reopen_reads_the_database_and_a_changed_file_is_read_again(tmp_path: Path) -> None:
    files = write_ct_series(tmp_path / "s", [(0, 0, z) for z in (0, 2, 4)])
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    index_paths(catalog, [tmp_path / "s"])
    _edit_behind_the_databases_back(files[1], b"TEST^PATIENT", b"BEST^PATIENT")

    def names(index) -> list[str]:
        return [str(i.header.PatientName) for i in index.all_series()[0].instances]

    assert names(build_index(files, read=catalog.header_reader(files))) == ["TEST^PATIENT"] * 3  # stored
    assert catalog.header_reader(files)(files[1])[0].filename == str(files[1])
    assert names(build_index(files)) == ["TEST^PATIENT", "BEST^PATIENT", "TEST^PATIENT"]  # the files now
    status = files[1].stat()
    os.utime(files[1], ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
    assert names(build_index(files, read=catalog.header_reader(files))) == \
        ["TEST^PATIENT", "BEST^PATIENT", "TEST^PATIENT"]  # changed since it was stored: read again
    # recording the study again stores the file as it is now
    index_paths(catalog, [tmp_path / "s"])
    _edit_behind_the_databases_back(files[1], b"BEST^PATIENT", b"REST^PATIENT")
    assert names(build_index(files, read=catalog.header_reader(files)))[1] == "BEST^PATIENT"


def test_a_header_without_a_preamble_is_kept_without_one() -> None:
    path = PYDICOM_FILES / "CT_small.dcm"
    header, offset = read_header(path)
    header.preamble = None  # as pydicom reads a Part 10 file written without its 128 bytes
    decoded, _ = decode_header(encode_header(header, offset), path)  # type: ignore[arg-type]
    assert decoded.preamble is None
    assert list(decoded._dict.values()) == list(read_header(path)[0]._dict.values())
    header.preamble = b"\0" * 12  # neither none nor the 128 bytes of PS3.10 7.1: not kept
    assert encode_header(header, offset) is None


def test_what_a_damaged_blob_is_called() -> None:
    path = PYDICOM_FILES / "CT_small.dcm"
    blob = encode_header(*read_header(path))
    assert blob is not None
    for damaged, words in ((b"PK\x03\x04" + blob[4:], "not a stored header"), (blob[:40], "truncated"),
                           (blob + b"\0", "lengths do not add up"), (blob[:-1], "lengths do not add up")):
        with pytest.raises(StoredHeaderError, match=rf"^{words}$"):
            decode_header(damaged, path)
    with pytest.raises(StoredHeaderError, match="unpack_from requires a buffer of at least"):
        decode_header(b"LBH1", path)  # struct's own words, kept


def test_a_damaged_stored_header_is_read_from_the_file(tmp_path: Path, caplog) -> None:
    files = write_ct_series(tmp_path / "s", [(0, 0, z) for z in (0, 2)])
    database = tmp_path / "db.sqlite3"
    catalog = StudyCatalog(f"sqlite:///{database}")
    index_paths(catalog, [tmp_path / "s"])
    with sqlite3.connect(database) as connection:
        (blob,) = connection.execute("SELECT header FROM db_instances WHERE path = ?", (str(files[0]),)).fetchone()
        connection.execute("UPDATE db_instances SET header = ? WHERE path = ?", (blob[:-7], str(files[0])))
        connection.execute("UPDATE db_instances SET header = ? WHERE path = ?", (b"LBH1", str(files[1])))
    with pytest.raises(StoredHeaderError):
        decode_header(blob[:-7], files[0])
    with pytest.raises(StoredHeaderError):
        decode_header(b"PK\x03\x04" + blob[4:], files[0])
    with caplog.at_level("WARNING", logger="lightbox.studydb.catalog"):
        reopened = build_index(files, read=catalog.header_reader(files))
    assert not reopened.errors
    assert index_to_dict(reopened) == index_to_dict(build_index(files))
    said = [r.getMessage() for r in caplog.records if r.name == "lightbox.studydb.catalog"]
    assert said[0] == f"stored header of {files[0]} unreadable (lengths do not add up): reading the file"
    # struct's own words (they vary between Python versions) inside ours
    assert said[1].startswith(f"stored header of {files[1]} unreadable (unpack_from requires a buffer")
    assert said[1].endswith("): reading the file") and len(said) == 2


def test_a_database_from_before_the_header_columns_gains_them(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    with sqlite3.connect(database) as connection:  # db_instances as the previous version created it
        connection.execute("CREATE TABLE db_instances (id INTEGER NOT NULL PRIMARY KEY, series_pk INTEGER NOT NULL "
                           "REFERENCES db_series (id) ON DELETE CASCADE, sop_uid VARCHAR(128) NOT NULL, path TEXT NOT NULL)")
    files = write_ct_series(tmp_path / "s", [(0, 0, z) for z in (0, 2)])
    catalog = StudyCatalog(f"sqlite:///{database}")
    index_paths(catalog, [tmp_path / "s"])
    with sqlite3.connect(database) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(db_instances)")}
        stored = connection.execute("SELECT COUNT(*) FROM db_instances WHERE header IS NOT NULL").fetchone()[0]
    assert {"header", "file_size", "file_mtime_ns"} <= columns
    assert stored == 2
    assert index_to_dict(build_index(files, read=catalog.header_reader(files))) == index_to_dict(build_index(files))


def test_a_header_with_a_parsed_sequence_is_read_from_its_file(tmp_path: Path) -> None:
    """An undefined-length sequence comes back from the reader parsed, not raw: not stored."""
    path = PYDICOM_FILES / "liver_1frame.dcm"  # enhanced CT: functional groups of undefined length
    header, offset = read_header(path)
    assert encode_header(header, offset) is None
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    index_paths(catalog, [path])
    assert index_to_dict(build_index([path], read=catalog.header_reader([path]))) == index_to_dict(build_index([path]))


def test_the_window_reopens_a_study_from_its_stored_headers(qtbot, tmp_path: Path, monkeypatch) -> None:
    """File → Studies → Open, as a reader does: the series list comes from the database's headers
    (the first file, edited behind the database's back with its size and time kept, still shows
    the stored patient), which the window stored after showing the images of the first open."""
    from sqlalchemy import func, select

    from lightbox.app.main_window import MainWindow
    from lightbox.studydb.catalog import InstanceRow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "cpu")
    files = write_ct_series(tmp_path / "ct", [(0, 0, z) for z in (0, 2, 4)])
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None, timeout=30000)

    def stored() -> int:
        with w.catalog.factory() as db:
            return int(db.scalar(select(func.count(InstanceRow.id)).where(InstanceRow.header.is_not(None))) or 0)

    qtbot.waitUntil(lambda: stored() == 3, timeout=10000)
    _edit_behind_the_databases_back(files[0], b"TEST^PATIENT", b"BEST^PATIENT")
    _open_studies(w)
    studies = w.studies_window
    studies.table.selectRow(0)
    w.area.opened = None
    studies.open_selected()
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None, timeout=30000)
    assert [str(i.header.PatientName) for i in w.index.all_series()[0].instances] == ["TEST^PATIENT"] * 3
    assert w.area.opened.volume.metadata.get("patient_name", "").startswith("TEST")
    w.close()


def _open_studies(window) -> None:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File")
    next(a for a in menu.actions() if a.text().replace("&", "") == "Studies...").trigger()


def test_stored_headers_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """A shared PostgreSQL study database keeps and gives back the headers too (bytea)."""
    files = write_ct_series(tmp_path / "s", [(0, 0, z) for z in (0, 2, 4)])
    catalog = StudyCatalog(postgres_url)
    catalog.clear()
    index_paths(catalog, [tmp_path / "s"])
    _edit_behind_the_databases_back(files[2], b"TEST^PATIENT", b"BEST^PATIENT")
    reopened = build_index(files, read=catalog.header_reader(files))
    assert [str(i.header.PatientName) for i in reopened.all_series()[0].instances] == ["TEST^PATIENT"] * 3
    catalog.clear()


def _stored_rows(database: Path) -> dict[str, tuple]:
    with sqlite3.connect(database) as connection:
        return {Path(p).name: (h is not None, size, mtime) for p, h, size, mtime in
                connection.execute("SELECT path, header, file_size, file_mtime_ns FROM db_instances")}


def test_what_is_stored_for_files_that_cannot_be_kept(tmp_path: Path) -> None:
    """A film (no DICOM header), a header with a parsed sequence, a file gone and a file damaged
    before the study is recorded: rows without a header, and without the size and time that would
    vouch for one."""
    from PIL import Image

    folder = tmp_path / "mixed"
    write_ct_series(folder, [(0, 0, 0), (0, 0, 2), (0, 0, 4)])
    Image.new("L", (8, 8), 40).save(folder / "photo.png")
    (folder / "enhanced.dcm").write_bytes((PYDICOM_FILES / "liver_1frame.dcm").read_bytes())
    index = build_index(folder)
    (folder / "slice_0001.dcm").unlink()  # gone between reading the folder and recording it
    (folder / "slice_0002.dcm").write_bytes(b"overwritten: no longer DICOM")  # damaged in between
    database = tmp_path / "db.sqlite3"
    StudyCatalog(f"sqlite:///{database}").add_index(index)
    rows = _stored_rows(database)
    status = (folder / "slice_0000.dcm").stat()
    assert rows["slice_0000.dcm"] == (True, status.st_size, status.st_mtime_ns)
    assert rows["slice_0001.dcm"] == (False, None, None)
    assert rows["slice_0002.dcm"] == (False, None, None)
    assert rows["enhanced.dcm"] == (False, None, None)
    assert rows["photo.png"] == (False, None, None)


def test_headers_of_a_long_series_come_back_past_the_first_query(tmp_path: Path) -> None:
    """The stored headers are fetched 500 paths per query: the 501st and last come back too."""
    files = write_ct_series(tmp_path / "long", [(0, 0, z) for z in range(503)], rows=2, columns=2)
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    index_paths(catalog, [tmp_path / "long"])
    for n in (0, 499, 500, 502):
        _edit_behind_the_databases_back(files[n], b"TEST^PATIENT", b"BEST^PATIENT")
    names = [str(i.header.PatientName) for i in build_index(files, read=catalog.header_reader(files)).all_series()[0].instances]
    assert names == ["TEST^PATIENT"] * 503
