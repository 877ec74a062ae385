"""Pixel Padding Value (0028,0120) and Pixel Padding Range Limit (0028,0121), PS3.3 C.7.5.1.1.2:
the corners outside a CT's circular field of view are filled with a value that is not image
("in order to prevent display applications from taking it into account when determining the
dynamic range of an image"). They were counted as image: the automatic window reached down to
the fill, and an ROI at the edge of the field of view averaged in -3024 HU.

The CT is pydicom's CT_small.dcm (signed, Rescale Intercept -1024, Pixel Padding Value -2000 in
its header but no padded pixel); here its corners outside a circle are set to -2000, as a GE
scanner writes them. Every expectation is computed from the pixels inside the circle with numpy."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import ImplicitVRLittleEndian
from PySide6.QtCore import Qt
from test_roi_statistics import drag, viewport_point

from lightbox.viewer.geometry import Geometry
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film, load_volume
from lightbox.viewer.measure import film_roi_statistics, volume_roi_statistics
from lightbox.viewer.pixels import pixel_padding
from lightbox.viewer.thumbnails import series_thumbnail
from lightbox.viewer.volume import Volume

PAD_STORED = -2000
PAD_HU = PAD_STORED - 1024  # through the file's Rescale Intercept


def field_of_view(shape: tuple[int, int]) -> np.ndarray:
    """The scan circle: pixels within 60 of the centre of a 128 x 128 image."""
    rows, columns = np.mgrid[0:shape[0], 0:shape[1]]
    return (rows - 63.5) ** 2 + (columns - 63.5) ** 2 <= 60**2


def padded_ct(path: Path, *, implicit: bool = False, range_limit: int | None = None,
              position: float | None = None, series_uid: str | None = None) -> tuple[Path, np.ndarray]:
    """CT_small with its corners padded; returns the path and the HU inside the field of view."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    stored = ds.pixel_array.copy()
    inside = field_of_view(stored.shape)
    stored[~inside] = PAD_STORED
    if range_limit is not None:  # a range: the fill varies between the value and the limit
        stored[~inside] = np.linspace(PAD_STORED, range_limit, int((~inside).sum())).round().astype(stored.dtype)
        ds.add_new("PixelPaddingRangeLimit", "SS", range_limit)
    ds.PixelData = stored.tobytes()
    if position is not None:
        ds.ImagePositionPatient = [ds.ImagePositionPatient[0], ds.ImagePositionPatient[1], position]
    # an image of its own (the study database keeps marks by series and image)
    ds.SeriesInstanceUID = series_uid or pydicom.uid.generate_uid()
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path.parent.mkdir(parents=True, exist_ok=True)
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    return path, stored[inside].astype(np.float64) - 1024


def percentile_bounds(native: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(native, [0.5, 99.5])
    return float(lo), float(hi)


@pytest.mark.parametrize("implicit", [False, True])
def test_the_automatic_window_spans_the_field_of_view_not_the_fill(tmp_path: Path, implicit: bool) -> None:
    path, native = padded_ct(tmp_path / "ct" / "padded.dcm", implicit=implicit)
    (series,) = build_index(path.parent).all_series()
    film = load_film(series)  # one slice: shown as a film
    assert film.padding is not None and (film.padding.low, film.padding.high) == (PAD_HU, PAD_HU)
    # the file states no window: the automatic one spans the 0.5..99.5 percentiles of the image
    low, high = film.window.bounds()
    assert (low, high) == pytest.approx(percentile_bounds(native))
    assert low > native.min() - 1  # the fill (-3024 HU) would have put black near -3000


def test_a_padding_range_is_left_out_whole(tmp_path: Path) -> None:
    path, native = padded_ct(tmp_path / "ct" / "ranged.dcm", range_limit=-1900)
    (series,) = build_index(path.parent).all_series()
    film = load_film(series)
    assert film.padding is not None and (film.padding.low, film.padding.high) == (PAD_HU, -1900 - 1024)
    assert film.window.bounds() == pytest.approx(percentile_bounds(native))


def test_roi_statistics_at_the_edge_of_the_field_of_view_leave_the_fill_out(tmp_path: Path) -> None:
    path, _ = padded_ct(tmp_path / "ct" / "padded.dcm")
    (series,) = build_index(path.parent).all_series()
    film = load_film(series)
    hu = pydicom.dcmread(path).pixel_array.astype(np.float64) - 1024
    inside = field_of_view(hu.shape)
    box = (slice(0, 30), slice(0, 40))  # the top-left corner: rows 0..29, columns 0..39
    expected = hu[box][inside[box]]
    stats = film_roi_statistics(film.values, "rectangle", [(0.0, 0.0), (39.0, 29.0)], film.spacing, "HU", film.padding)
    assert stats is not None and stats.pixels == expected.size and stats.padding == int((~inside[box]).sum())
    assert stats.mean == pytest.approx(expected.mean()) and stats.minimum == expected.min()
    assert stats.describe().endswith(f"\n{stats.padding} padding px left out")
    # wholly in the fill: no image pixel inside
    assert film_roi_statistics(film.values, "rectangle", [(0.0, 0.0), (5.0, 5.0)], film.spacing, "HU", film.padding) is None


def test_a_volume_of_padded_slices(tmp_path: Path) -> None:
    series_uid = pydicom.uid.generate_uid()
    paths = [padded_ct(tmp_path / "ct" / f"s{k}.dcm", position=-100.0 + 5 * k, series_uid=series_uid)[0] for k in range(3)]
    (series,) = build_index(paths[0].parent).all_series()
    volume = load_volume(series)
    assert volume.padding is not None and volume.padding.low == PAD_HU
    native = volume.array[1][field_of_view(volume.array.shape[1:])].astype(np.float64)
    assert volume.window is not None and volume.window.bounds() == pytest.approx(percentile_bounds(native))
    assert volume.is_padding(float(volume.array[1, 0, 0])) and not volume.is_padding(float(volume.array[1, 64, 64]))


def test_volume_roi_statistics_leave_the_fill_out() -> None:
    array = np.full((1, 10, 10), 40.0, np.float32)
    array[0, :, :3] = PAD_HU  # the three left columns are fill
    volume = Volume(array, Geometry(spacing=(1.0, 1.0, 1.0)), modality="CT")
    axes = (np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 1.0]))
    whole = volume_roi_statistics(volume, axes, 0.0, 0.5, "rectangle", [(0.0, 0.0), (9.0, 9.0)])
    assert whole is not None and whole.mean == pytest.approx((30 * PAD_HU + 70 * 40) / 100)  # without padding: dragged down
    volume.padding = pixel_padding(padded_header())
    stats = volume_roi_statistics(volume, axes, 0.0, 0.5, "rectangle", [(0.0, 0.0), (9.0, 9.0)])
    assert stats is not None and (stats.mean, stats.pixels, stats.padding) == (40.0, 70, 30)


def padded_header() -> pydicom.Dataset:
    return pydicom.dcmread(get_testdata_file("CT_small.dcm"), stop_before_pixels=True)


def test_padding_is_read_from_grayscale_headers_only() -> None:
    ds = padded_header()
    padding = pixel_padding(ds)
    assert padding is not None and (padding.low, padding.high) == (PAD_HU, PAD_HU)
    ds.PhotometricInterpretation = "RGB"
    assert pixel_padding(ds) is None
    del ds.PixelPaddingValue
    ds.PhotometricInterpretation = "MONOCHROME2"
    assert pixel_padding(ds) is None


def test_the_thumbnail_is_windowed_on_the_image(tmp_path: Path) -> None:
    path, native = padded_ct(tmp_path / "ct" / "padded.dcm")
    (series,) = build_index(path.parent).all_series()
    thumb = series_thumbnail(series, size=128)
    inside = field_of_view(thumb.shape)
    # the image spreads over the grey scale (its own percentiles), the fill is black
    assert (thumb[~inside] == 0).all()
    assert np.percentile(thumb[inside], 99.9) == 255 and np.percentile(thumb[inside], 5) < 100


def test_the_window_reads_and_measures_padding_as_a_radiologist_sees_it(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """File → Open the padded CT, hover a corner, press A (Auto window), draw a rectangle over the
    edge of the field of view: the status bar says padding, the ROI's mean is the image's."""
    window = any_renderer_window
    path, native = padded_ct(tmp_path / "ct" / "padded.dcm")
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    x, y = scene.image_to_display(2, 2)
    assert scene.status_text(x, y).endswith("padding (no image)")
    x, y = scene.image_to_display(64, 64)
    hu = pydicom.dcmread(path).pixel_array.astype(np.float64) - 1024
    assert scene.status_text(x, y).endswith(f"value {hu[64, 64]:.0f} HU")
    qtbot.keyClick(window, Qt.Key.Key_A)  # Window → Auto window
    assert scene.display.window.bounds() == pytest.approx(percentile_bounds(native))
    qtbot.keyClick(window, Qt.Key.Key_B)  # Tools → Rectangle ROI
    assert widget.tool == "rectangle"
    inside = field_of_view(hu.shape)
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        drag(qtbot, widget, viewport_point(widget, scene.image_to_display(0, 0)),
             viewport_point(widget, scene.image_to_display(39, 29)))
    (m,) = scene.measurements
    (ca, ra), (cb, rb) = m.points  # where the drag landed, to the pixel
    c0, c1 = int(np.ceil(min(ca, cb))), int(np.floor(max(ca, cb)))
    r0, r1 = int(np.ceil(min(ra, rb))), int(np.floor(max(ra, rb)))
    box = (slice(max(r0, 0), r1 + 1), slice(max(c0, 0), c1 + 1))
    expected = hu[box][inside[box]]
    assert m.statistics.pixels == expected.size and m.statistics.mean == pytest.approx(expected.mean())
    assert signal.args[0].startswith(f"Measured mean {expected.mean():.1f} HU")
    assert "padding px left out" in signal.args[0]


def test_a_copy_of_the_file_untouched_has_no_padded_pixel(tmp_path: Path) -> None:
    """The control: CT_small itself states -2000 but holds none, so nothing is left out."""
    path = tmp_path / "ct" / "plain.dcm"
    path.parent.mkdir()
    shutil.copy(get_testdata_file("CT_small.dcm"), path)
    (series,) = build_index(path.parent).all_series()
    film = load_film(series)
    stats = film_roi_statistics(film.values, "rectangle", [(0.0, 0.0), (127.0, 127.0)], film.spacing, "HU", film.padding)
    assert stats is not None and stats.padding == 0 and stats.pixels == 128 * 128


def test_the_measurement_report_counts_as_the_view_does(tmp_path: Path) -> None:
    """An ROI kept on the middle slice over the edge of the field of view, written by
    ``lightbox report measurements``: the SR's mean HU is the image's, not dragged by the fill."""
    from lightbox.app.cli import main
    from lightbox.dicomreports.measurements import read_measurements
    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog

    series_uid = pydicom.uid.generate_uid()
    paths = [padded_ct(tmp_path / "ct" / f"s{k}.dcm", position=-100.0 + 5 * k, series_uid=series_uid)[0] for k in range(3)]
    middle = pydicom.dcmread(paths[1])
    x0, y0, z = (float(v) for v in middle.ImagePositionPatient)
    step = float(middle.PixelSpacing[0])
    # columns 0..39, rows 0..29 (corners 0.3 pixel outside their centres), as the window keeps an axial ROI
    box = [(x0 - 0.3 * step, -(y0 - 0.3 * step)), (x0 + 39.3 * step, -(y0 + 29.3 * step))]
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), series_uid, "axial", [StoredAnnotation("rectangle", box, plane=z)])
    out = tmp_path / "sr.dcm"
    assert main(["report", "measurements", str(tmp_path / "ct"), "--out", str(out), "--db", db]) == 0
    ((_, uid, _, values, _),) = read_measurements(pydicom.dcmread(out))
    hu = middle.pixel_array.astype(np.float64) - 1024
    image = hu[:30, :40][field_of_view(hu.shape)[:30, :40]]
    assert uid == middle.SOPInstanceUID
    assert values["Mean Attenuation Coefficient"] == pytest.approx(image.mean(), abs=0.05)
    assert values["Minimum Attenuation Coefficient"] == image.min()


def test_the_mpr_pane_says_padding_under_the_cursor(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    series_uid = pydicom.uid.generate_uid()
    for k in range(3):
        padded_ct(tmp_path / "ct" / f"s{k}.dcm", position=-100.0 + 5 * k, series_uid=series_uid)
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and getattr(window.area.viewports[0].scene, "plane", "") == "axial", timeout=30000)
    scene = window.area.viewports[0].scene
    z = scene.display.crosshair[2]
    geometry = scene.volume.geometry
    corner = scene.world_to_display(np.array([*geometry.index_to_world((2, 2, 0))[:2], z]))
    centre = scene.world_to_display(np.array([*geometry.index_to_world((64, 64, 0))[:2], z]))
    assert scene.status_text(*corner[:2]).endswith("mm   padding (no image)")
    assert scene.status_text(*centre[:2]).endswith(" HU")


def test_a_padding_value_written_unsigned_for_signed_pixels_is_read_as_their_word(tmp_path: Path) -> None:
    """Pixel Padding Value's VR follows Pixel Representation (US or SS); a writer that put -2000
    as US 63536 (its 16-bit word) over signed pixels still means the fill."""
    path, native = padded_ct(tmp_path / "ct" / "padded.dcm")
    ds = pydicom.dcmread(path)
    del ds.PixelPaddingValue
    ds.add_new("PixelPaddingValue", "US", 65536 + PAD_STORED)
    ds.save_as(path)
    (series,) = build_index(path.parent).all_series()
    film = load_film(series)
    assert film.padding is not None and (film.padding.low, film.padding.high) == (PAD_HU, PAD_HU)
    assert film.window.bounds() == pytest.approx(percentile_bounds(native))
    unsigned = padded_header()
    unsigned.PixelRepresentation = 0  # unsigned pixels: 63536 is 63536
    del unsigned.PixelPaddingValue
    unsigned.add_new("PixelPaddingValue", "US", 63536)
    assert pixel_padding(unsigned).low == 63536 - 1024


def padding_header(**attributes: object) -> pydicom.Dataset:
    ds = pydicom.Dataset()
    for keyword, value in attributes.items():
        if keyword in ("PixelPaddingValue", "PixelPaddingRangeLimit"):
            ds.add_new(keyword, "US", value)
        else:
            setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(("attributes", "low"), [
    # signed 16-bit pixels: a US value from 32768 up is the word of a negative one (C.7.5.1.1.2)
    ({"PixelRepresentation": 1, "BitsAllocated": 16, "PixelPaddingValue": 32768}, -32768.0),
    ({"PixelRepresentation": 1, "BitsAllocated": 16, "PixelPaddingValue": 32767}, 32767.0),
    ({"PixelRepresentation": 1, "BitsAllocated": 16, "PixelPaddingValue": 20000}, 20000.0),
    ({"PixelRepresentation": 1, "BitsAllocated": 16, "PixelPaddingValue": 100}, 100.0),
    ({"PixelRepresentation": 1, "PixelPaddingValue": 63536}, -2000.0),  # no Bits Allocated: 16
    ({"PixelPaddingValue": 63536}, 63536.0),  # no Pixel Representation: unsigned
    ({"PixelRepresentation": 1, "BitsAllocated": 8, "PixelPaddingValue": 200}, -56.0),
    # grayscale either way, and when the header does not say (MONOCHROME2 is the default)
    ({"PhotometricInterpretation": "MONOCHROME1", "PixelPaddingValue": 4095}, 4095.0),
    ({"PhotometricInterpretation": "monochrome2", "PixelPaddingValue": 0}, 0.0),
])
def test_the_padding_value_by_hand(attributes: dict[str, object], low: float) -> None:
    padding = pixel_padding(padding_header(**attributes))
    assert padding is not None and padding.low == low == padding.high


def test_an_image_of_padding_alone_still_gets_a_window() -> None:
    from lightbox.viewer.pixels import Padding, auto_window

    values = np.full((8, 8), -3024.0)
    values[0, 0] = -3000.0
    padding = Padding(-3024.0, -3024.0)
    assert padding.image(values).tolist() == [-3000.0]
    everything = Padding(-4000.0, 0.0)
    assert padding.image(values).size == 1 and everything.image(values).size == 64  # all padding: all kept
    assert auto_window(values, padding=everything).bounds()[0] == pytest.approx(float(np.percentile(values, 0.5)))


def test_an_enhanced_object_maps_its_padding_through_each_frames_rescale(tmp_path: Path) -> None:
    """An enhanced multi-frame CT keeps its rescale in the Pixel Value Transformation functional
    group (slope 2, intercept -100 here): stored 0 is padding at -100 in every frame; where one
    frame's rescale differs, the padding maps to other values there, and the volume says so."""
    from dicom_factory import write_enhanced_ct

    path = write_enhanced_ct(tmp_path / "enh" / "ct.dcm", [(0, 0, 0.0), (0, 0, 2.0), (0, 0, 4.0)])
    ds = pydicom.dcmread(path)
    ds.add_new("PixelPaddingValue", "US", 0)
    ds.save_as(path)
    (series,) = build_index(path.parent).all_series()
    volume = load_volume(series)
    assert volume.padding is not None and (volume.padding.low, volume.padding.high) == (-100.0, -100.0)
    transform = pydicom.Dataset()
    transform.RescaleSlope, transform.RescaleIntercept = 1.0, -1024.0
    ds.PerFrameFunctionalGroupsSequence[1].PixelValueTransformationSequence = [transform]
    ds.save_as(path)
    (series,) = build_index(path.parent).all_series()
    volume = load_volume(series)
    assert volume.padding is None
    assert "Pixel Padding Value differs between slices: the padding is counted as image (automatic window, ROI statistics)" \
        in volume.warnings
