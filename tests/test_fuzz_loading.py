"""A bounded fuzz run of the DICOM loading path in every CI run (see tests/fuzz_loading.py)."""
from __future__ import annotations

import pytest
from fuzz_loading import fuzz


@pytest.mark.timeout(240)
def test_fuzzed_dicom_never_crashes_the_loader() -> None:
    fuzz(examples=300)


def test_inputs_that_once_crashed_now_give_a_message(tmp_path) -> None:
    """Every input in tests/fuzz_crashes made the loader crash once (e.g. the Rust RLE decoder's
    panic, a BaseException); each must now be a FileError, a LoadError with a message, or an image
    with a warning naming what is wrong."""
    import shutil
    from pathlib import Path

    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import LoadError, load_film

    crashes = sorted((Path(__file__).parent / "fuzz_crashes").glob("*.dcm"))
    assert crashes, "the regression inputs are missing"
    for crash in crashes:
        folder = tmp_path / crash.stem
        folder.mkdir()
        shutil.copy(crash, folder / crash.name)
        index = build_index(folder)
        for series in index.all_series():
            # a LoadError naming the file, or (a malformed Rescale Intercept, since the rescale is
            # checked) the image shown as stored with a warning that says so
            try:
                film = load_film(series)
            except LoadError as exc:
                assert crash.name in str(exc)
            else:
                assert any("is not a number" in w and "shown as stored values" in w for w in film.warnings), film.warnings


def test_a_new_crash_is_kept_outside_the_checkout(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    import fuzz_loading

    before = sorted((Path(__file__).parent / "fuzz_crashes").iterdir())

    def explode(_folder):
        raise RuntimeError("decoder panic")

    monkeypatch.setattr(fuzz_loading, "_load_all", explode)
    with pytest.raises(AssertionError, match="RuntimeError: decoder panic") as caught:
        fuzz_loading.check_one(b"DICM not really", tmp_path)
    assert str(fuzz_loading.KEEP_IN[0]) in str(caught.value)
    assert sorted((Path(__file__).parent / "fuzz_crashes").iterdir()) == before


def _patched(path, old: bytes, new: bytes, first_of: int = 1) -> None:
    """``old`` (found ``first_of`` times) replaced by ``new`` where it first occurs."""
    data = path.read_bytes()
    assert data.count(old) == first_of, old
    path.write_bytes(data.replace(old, new, 1))


# Header attributes damaged as the fuzzer damaged them (explicit VR little endian bytes), each of
# which once escaped the loader as an exception of its own: (tag and VR, replacement)
DAMAGED = {
    "Bits Stored 65535": (b"\x28\x00\x01\x01US\x02\x00\x0c\x00", b"\x28\x00\x01\x01US\x02\x00\xff\xff"),  # OverflowError
    "Bits Stored of 3 bytes": (b"\x28\x00\x01\x01US\x02\x00\x0c\x00", b"\x28\x00\x01\x01US\x03\x00\x0c\x00\x00"),
    "Patient's Sex of an unknown VR": (b"\x10\x00\x40\x00CS", b"\x10\x00\x40\x00\x43\xac"),  # read by the SUL
    "Pixel Spacing of an unknown VR": (b"\x28\x00\x30\x00DS", b"\x28\x00\x30\x00\x44\xac"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_attribute_of_a_pet_slice_is_said_not_raised(tmp_path, damage: str) -> None:
    """The fuzzer's finds on a PET beside its other slice (the SUV and SUL read more attributes):
    each gives a volume whose warnings say what is wrong, or a LoadError with a message."""
    import pydicom
    from fuzz_loading import _load_all
    from test_pet_suv import write_pet

    folder = write_pet(tmp_path / "pet", PatientSex="M", PatientSize=1.8)
    first = sorted(folder.glob("*.dcm"))[0]
    pydicom.dcmread(first).save_as(first, enforce_file_format=True)  # explicit VR little endian, as the seeds
    _patched(first, *DAMAGED[damage])
    _load_all(folder)  # a FileError, a LoadError with a message, or an image: nothing else


def test_damaged_documents_beside_the_images_are_listed_or_skipped(tmp_path) -> None:
    """The fuzzer's finds among a study's documents: a report whose Study Instance UID cannot be read
    is listed as an unreadable file (the window read it unguarded when the study opened); a
    measurement report whose graphic data cannot be read adds no mark, and a key object selection
    beside it still flags its image."""
    import pydicom
    from fuzz_loading import _documents

    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.dicomreports.archive import newest_report
    from lightbox.viewer.index import build_index

    documents, slices = _documents(tmp_path / "seeds")
    folder = tmp_path / "study"
    folder.mkdir()
    for name, content in slices.items():
        (folder / name).write_bytes(content)
    for name in ("report", "measurements", "keys"):
        (folder / f"{name}.dcm").write_bytes(documents[name])
    # the data set's own Study Instance UID comes first (the evidence sequence repeats it later)
    _patched(folder / "report.dcm", b"\x20\x00\x0d\x00UI", b"\x20\x00\x0d\x00\x55\xb6", first_of=2)
    # the first of its two regions' graphic data (the slice's; the other is the coronal one's, in patient mm)
    _patched(folder / "measurements.dcm", b"\x70\x00\x22\x00FL", b"\x70\x00\x22\x00\x46\xac", first_of=2)
    index = build_index(folder)
    assert [e.path.name for e in index.errors] == ["report.dcm"]
    assert index.errors[0].reason.startswith("a document whose header cannot be read (")
    (series,) = index.all_series()
    assert newest_report(index, series.uid) is None
    found = marks_from_archive(index.documents, series)
    assert [mark.kind for _, mark in found] == ["key"]
    assert pydicom.dcmread(folder / "keys.dcm").SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.59"


def test_a_damaged_sop_class_or_dicomdir_record_is_said_not_raised(tmp_path) -> None:
    """The fuzzer's last finds: a slice whose SOP Class UID has an unknown VR stopped indexing the
    whole folder (asked whether it is a segmentation); a DICOMDIR whose record's File ID has one
    stopped it too. Both now index: the DICOMDIR says which record it could not read."""
    import pydicom
    from dicom_factory import axial_positions, write_ct_series
    from pydicom.fileset import FileSet

    from lightbox.viewer.index import build_index

    paths = write_ct_series(tmp_path / "ct", axial_positions(3), rows=8, columns=8)
    _patched(paths[0], b"\x08\x00\x16\x00UI", b"\x08\x00\x16\x00TI")  # the data set's (the meta's is (0002,0002))
    index = build_index(tmp_path / "ct")
    assert sum(len(s.instances) for s in index.all_series()) + len(index.errors) == 3

    fs = FileSet()
    for path in write_ct_series(tmp_path / "src", axial_positions(2), rows=8, columns=8):
        fs.add(pydicom.dcmread(path))
    fs.write(tmp_path / "media")
    dicomdir = tmp_path / "media" / "DICOMDIR"
    data = dicomdir.read_bytes()
    file_ids = data.count(b"\x04\x00\x00\x15CS")
    assert file_ids == 2
    dicomdir.write_bytes(data.replace(b"\x04\x00\x00\x15CS", b"\x04\x00\x00\x15\x53\xae", 1))
    index = build_index(dicomdir)
    assert any(e.reason.startswith("a DICOMDIR record's file ID cannot be read (") for e in index.errors)
    assert sum(len(s.instances) for s in index.all_series()) == 1  # the other record's slice
