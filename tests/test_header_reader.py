"""The fast header reader gives exactly pydicom's dataset, or declines (and pydicom reads)."""
from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest

from lightbox.viewer.header_reader import read_common_header
from lightbox.viewer.index import read_header

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
SHARED = Path(os.environ.get("LIGHTBOX_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _pydicom_header(path: Path) -> tuple[pydicom.FileDataset, int]:
    with open(path, "rb") as fp:
        ds = pydicom.dcmread(fp, stop_before_pixels=True)
        return ds, fp.tell()


def _same(path: Path) -> bool | None:
    """True when the fast reader's result equals pydicom's, None when it declined."""
    got = read_common_header(path)
    if got is None:
        return None
    ds, offset = got
    ref, ref_offset = _pydicom_header(path)
    return (ds == ref and ds.file_meta == ref.file_meta and offset == ref_offset and ds.preamble == ref.preamble
            and (ds.is_implicit_VR, ds.is_little_endian) == (ref.is_implicit_VR, ref.is_little_endian)
            and ds._character_set == ref._character_set
            and all(str(ds[e.tag].value) == str(e.value) for e in ref))


def _readable_by_pydicom(path: Path) -> bool:
    try:
        _pydicom_header(path)
        return True
    except Exception:  # noqa: BLE001
        return False


def test_equals_pydicom_on_pydicoms_own_test_files() -> None:
    files = [f for f in sorted(PYDICOM_FILES.glob("*.dcm")) if _readable_by_pydicom(f)]
    results = {f.name: _same(f) for f in files}
    assert not [name for name, same in results.items() if same is False]
    fast = [name for name, same in results.items() if same]
    assert len(fast) >= 0.6 * len(files)  # the common kind is common
    # implicit and explicit little endian, encapsulated, sequences of defined and undefined
    # length (nested, private), character sets
    assert {"CT_small.dcm", "MR_small_implicit.dcm", "JPEG2000.dcm", "reportsi.dcm", "rtplan.dcm", "test-SR.dcm",
            "priv_SQ.dcm", "empty_charset_LEI.dcm"} <= set(fast)


@pytest.mark.parametrize("name", [
    "MR_small_bigendian.dcm",  # big endian
    "image_dfl.dcm",  # deflate
    "no_meta.dcm",  # no preamble
    "ExplVR_LitEndNoMeta.dcm",  # no File Meta Information
    "meta_missing_tsyntax.dcm",  # no transfer syntax
    "UN_sequence.dcm",  # undefined length on a UN element (a sequence only by inference)
])
def test_declines_what_needs_pydicoms_judgement(name: str) -> None:
    path = PYDICOM_FILES / name
    if not path.exists():
        pytest.skip(f"pydicom no longer ships {name}")
    assert read_common_header(path) is None
    if name in ("MR_small_bigendian.dcm", "image_dfl.dcm"):
        ds, _ = read_header(path)  # and the index still reads it, through pydicom
        assert ds.Rows > 0


def test_truncated_header_is_declined_and_reported_by_pydicom(tmp_path: Path) -> None:
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:600])  # inside the dataset, mid-element
    assert read_common_header(cut) is None
    zero = tmp_path / "zero.dcm"
    zero.write_bytes(b"")
    assert read_common_header(zero) is None


def test_a_file_without_pixel_data_ends_at_its_end(tmp_path: Path) -> None:
    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    del ds.PixelData
    path = tmp_path / "header_only.dcm"
    ds.save_as(path, enforce_file_format=True)
    got = read_common_header(path)
    assert got is not None and got[1] == path.stat().st_size and _same(path)


def test_equals_pydicom_on_the_shared_studies() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set LIGHTBOX_SHARED_DATA)")
    files = [f for f in sorted(SHARED.rglob("*.dcm"))][:400]
    results = [_same(f) for f in files]
    assert False not in results
    assert results.count(True) >= 0.95 * len(files)
