"""Pixel loading: transfer syntaxes, the fast raw path, first-slice callback, cancel, faults."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import ImplicitVRLittleEndian, axial_positions, write_ct_series, write_film
from pydicom.uid import DeflatedExplicitVRLittleEndian, JPEG2000Lossless, RLELossless

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import LoadCancelled, LoadError, _read_raw_slice, load_film, load_volume
from lightbox.viewer.pixels import rescale
from lightbox.viewer.thumbnails import series_thumbnail


def _expected(count: int) -> list[int]:
    return [1000 + n - 1024 for n in range(count)]


@pytest.mark.parametrize(
    "syntax,compress",
    [
        (ImplicitVRLittleEndian, None),
        (pydicom.uid.ExplicitVRLittleEndian, None),
        (DeflatedExplicitVRLittleEndian, None),
        (pydicom.uid.ExplicitVRLittleEndian, RLELossless),
        (pydicom.uid.ExplicitVRLittleEndian, JPEG2000Lossless),
    ],
    ids=["implicit", "explicit", "deflate", "rle", "j2k-lossless"],
)
def test_transfer_syntaxes_give_identical_hu(tmp_path: Path, syntax: str, compress: str | None) -> None:
    write_ct_series(tmp_path, axial_positions(5), rows=64, columns=64, syntax=syntax, compress=compress)
    (series,) = build_index(tmp_path).all_series()
    volume = load_volume(series)
    assert [int(volume.array[k, 0, 0]) for k in range(5)] == _expected(5)
    assert (volume.array[:, 2:6, 3:8] == 1500 - 1024).all()
    assert volume.array.dtype == np.int16


def test_fast_path_equals_pydicom(tmp_path: Path) -> None:
    write_ct_series(tmp_path, axial_positions(3))
    (series,) = build_index(tmp_path).all_series()
    for instance in series.instances:
        raw = _read_raw_slice(instance)
        assert raw is not None
        assert np.array_equal(raw, pydicom.dcmread(instance.path).pixel_array)


def test_a_slice_whose_header_pydicom_has_read_keeps_its_rescale(tmp_path: Path) -> None:
    """The window makes the study browser's thumbnail (pydicom's apply_modality_lut on the middle
    slice's header) while the volume loads: pydicom converts RescaleIntercept in place, and the
    fast header reader then read it as missing, so the very slice shown first came up 1024 HU too
    bright (seen on the LIDC CT: 1065 "HU" in the mediastinum) with no warning."""
    write_ct_series(tmp_path, axial_positions(5), intercept=-1024.0)
    (series,) = build_index(tmp_path).all_series()
    middle = sorted(series.instances, key=lambda i: i.path.name)[2]
    series_thumbnail(series)  # what the browser's thumbnail worker does
    assert float(middle.header.RescaleIntercept) == -1024.0  # the element is a converted one now
    assert rescale(middle.header) == (1.0, -1024.0)  # as the volume's integer path reads it
    volume = load_volume(series)
    # slice n stores 1000 + n (dicom_factory), rescaled by -1024; the marker square 1500 - 1024
    assert [int(v) for v in volume.array[:, 0, 0]] == [1000 + n - 1024 for n in range(5)]
    assert int(volume.array[2, 3, 4]) == 476


def test_volume_window_is_the_middle_slices(tmp_path: Path) -> None:
    """MR windows vary by slice: the volume opens with the window of the slice it shows first."""
    paths = write_ct_series(tmp_path, axial_positions(5), window=None)
    for n, path in enumerate(paths):
        ds = pydicom.dcmread(path)
        ds.WindowCenter, ds.WindowWidth = 100 + n, 200 + 10 * n
        ds.save_as(path)
    (series,) = build_index(tmp_path).all_series()
    volume = load_volume(series)
    assert (volume.window.center, volume.window.width) == (102, 220)  # slice 3 of 5


def test_non_integral_rescale_gives_float(tmp_path: Path) -> None:
    write_ct_series(tmp_path, axial_positions(2), slope=0.5, intercept=-10.25)
    (series,) = build_index(tmp_path).all_series()
    volume = load_volume(series)
    assert volume.array.dtype == np.float32
    assert volume.array[1, 0, 0] == pytest.approx(1001 * 0.5 - 10.25)


def test_first_slice_arrives_before_the_rest_and_cancel_stops(tmp_path: Path) -> None:
    write_ct_series(tmp_path, axial_positions(40))
    (series,) = build_index(tmp_path).all_series()
    events: list[tuple[str, int]] = []
    volume = load_volume(series, progress=lambda d, t: events.append(("progress", d)),
                         on_first_slice=lambda k, a: events.append(("first", int(a[0, 0]))))
    assert events[0] == ("first", 1000 + 20 - 1024)  # the middle slice, shown first
    assert events[-1] == ("progress", 40)
    assert volume.shape[0] == 40
    flag = threading.Event()
    flag.set()
    with pytest.raises(LoadCancelled):
        load_volume(series, cancelled=flag.is_set)


def test_bad_slice_is_reported_and_the_volume_still_loads(tmp_path: Path) -> None:
    paths = write_ct_series(tmp_path, axial_positions(6))
    (series,) = build_index(tmp_path).all_series()
    data = paths[2].read_bytes()
    paths[2].write_bytes(data[: len(data) - 300])  # pixel data shorter than declared
    volume = load_volume(series)
    assert any("slice 3" in w and paths[2].name in w for w in volume.warnings)
    assert volume.shape[0] == 6


def test_absurd_dimensions_are_refused_before_allocating(tmp_path: Path) -> None:
    path = write_film(tmp_path / "big.dcm", np.zeros((4, 4), np.uint16))
    ds = pydicom.dcmread(path)
    ds.Rows = ds.Columns = 65535
    ds.NumberOfFrames = 1000
    ds.save_as(path)
    (series,) = build_index(tmp_path).all_series()
    with pytest.raises(LoadError, match="too large"):
        load_film(series)


def test_no_pixel_data_has_a_clear_message(tmp_path: Path) -> None:
    path = write_film(tmp_path / "nopix.dcm", np.zeros((4, 4), np.uint16))
    ds = pydicom.dcmread(path)
    del ds.PixelData
    ds.save_as(path)
    (series,) = build_index(tmp_path).all_series()
    with pytest.raises(LoadError, match="no pixel data"):
        load_film(series)


def test_film_monochrome1_calibration_and_voi_lut(tmp_path: Path) -> None:
    stored = np.arange(0, 4096, 16, dtype=np.uint16).reshape(16, 16)
    write_film(tmp_path / "m1.dcm", stored, photometric="MONOCHROME1", spacing=(0.0, 0.0), window=(2048, 4096))
    write_film(tmp_path / "imager.dcm", stored, spacing=(0.15, 0.15), spacing_keyword="ImagerPixelSpacing")
    write_film(tmp_path / "voi.dcm", stored, spacing=None, voi_lut=(4096, 0, np.arange(4096) // 2))
    index = build_index(tmp_path)
    films = {s.instances[0].path.name: load_film(s) for s in index.all_series()}
    m1 = films["m1.dcm"]
    assert m1.invert and not m1.calibrated and any("uncalibrated" in w for w in m1.warnings)
    assert films["imager.dcm"].spacing == (0.15, 0.15) and films["imager.dcm"].spacing_source == "ImagerPixelSpacing"
    voi = films["voi.dcm"]
    assert voi.values[0, 1] == 16  # the modality value stays what is read
    assert voi.voi_output is not None and voi.voi_output[0, 1] == 8  # stored 16 → table entry 16 // 2
    assert voi.window.bounds() == pytest.approx((0, 2040 - 0))


@pytest.mark.parametrize("variant", ["MR_small_bigendian.dcm", "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm",
                                     "MR_small_jpeg_ls_lossless.dcm"])
def test_lossless_encodings_of_one_image_decode_identically(variant: str) -> None:
    """pydicom's bundled MR_small in big endian, RLE, JPEG 2000 and JPEG-LS lossless: the same
    stored values as the uncompressed original."""
    from pydicom.data import get_testdata_file

    reference = load_film(build_index(Path(get_testdata_file("MR_small.dcm", download=False))).all_series()[0])
    film = load_film(build_index(Path(get_testdata_file(variant, download=False))).all_series()[0])
    assert np.array_equal(film.values, reference.values)


@pytest.mark.parametrize("name,syntax", [("JPGExtended.dcm", "1.2.840.10008.1.2.4.51"),
                                         ("SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.4.70")])
def test_jpeg_extended_and_lossless(name: str, syntax: str) -> None:
    from pydicom.data import get_testdata_file

    path = Path(get_testdata_file(name, download=False))
    ds = pydicom.dcmread(path)
    assert str(ds.file_meta.TransferSyntaxUID) == syntax
    film = load_film(build_index(path).all_series()[0])
    assert film.values.shape == ds.pixel_array.shape[:2]
    if ds.SamplesPerPixel == 1:
        assert np.array_equal(film.values, pydicom.pixels.apply_modality_lut(ds.pixel_array, ds).astype(np.float32))
