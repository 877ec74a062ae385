"""Checks against references independent of the code under test (issue 20's surviving mutants).

- Slice order: coronal, sagittal and reversed stacks, with file names in another order, sorted by
  the position projected on the slice normal (DICOM PS3.3 C.7.6.2.1.1), checked against the order
  written (a z-sort loads coronal and sagittal stacks scrambled).
- Windowing: grey levels after every kind of W/L change, on the CPU raster path and VTK, against
  pydicom's own ``apply_windowing`` (PS3.3 C.11.2.1.2); MONOCHROME1 in every renderer.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_ct_series, write_film
from pydicom.pixels import apply_windowing

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film, load_volume


def stack(tmp_path: Path, orientation, normal, offsets) -> tuple[np.ndarray, list[int]]:
    """Write one slice per offset along ``normal`` (slice n stores 1000 + n), file names shuffled;
    return the loaded volume and, for each loaded slice, the n it must hold."""
    positions = [tuple(float(o) * np.asarray(normal)) for o in offsets]
    names = [f"img_{k:03d}.dcm" for k in range(len(offsets))]
    random.Random(3).shuffle(names)
    write_ct_series(tmp_path, positions, orientation=orientation, names=names, rows=16, columns=16)
    (series,) = build_index(tmp_path).all_series()
    volume = load_volume(series)
    expected = [n for _, n in sorted((o, n) for n, o in enumerate(offsets))]  # ascending along the normal
    return volume, expected


@pytest.mark.parametrize(("plane", "orientation", "normal"), [
    ("coronal", (1, 0, 0, 0, 0, -1), (0, 1, 0)),  # rows along x, columns down (-z): normal = x × -z = +y
    ("sagittal", (0, 1, 0, 0, 0, -1), (-1, 0, 0)),  # rows along y, columns -z: normal = y × -z = -x
    ("axial", (1, 0, 0, 0, 1, 0), (0, 0, 1)),
])
@pytest.mark.parametrize("direction", ["ascending", "reversed"])
def test_stacks_of_every_plane_load_in_position_order(tmp_path: Path, plane, orientation, normal, direction) -> None:
    offsets = [0.0, 2.5, 5.0, 7.5, 10.0, 12.5, 15.0]
    if direction == "reversed":
        offsets = offsets[::-1]  # written head-to-feet: slice 0 is the farthest along the normal
    volume, expected = stack(tmp_path, orientation, normal, offsets)
    values = [int(volume.array[k, 10, 10]) for k in range(len(offsets))]
    assert values == [1000 + n - 1024 for n in expected]
    assert np.allclose(volume.geometry.normal, normal)
    assert volume.geometry.spacing[2] == pytest.approx(2.5)
    # the first slice lies where it was written: the smallest offset along the normal
    assert np.allclose(volume.geometry.origin, np.asarray(normal) * min(offsets))


def pydicom_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """Grey levels 0..255 by pydicom's VOI LUT function (LINEAR), independent of Lightbox."""
    ds = pydicom.Dataset()
    ds.PhotometricInterpretation, ds.BitsStored, ds.PixelRepresentation = "MONOCHROME2", 16, 1
    ds.WindowCenter, ds.WindowWidth = center, width
    out = apply_windowing(values.astype(np.float64), ds)
    lo, hi = -32768, 32767  # pydicom maps to the full range of the stored bits; rescale to 8 bits
    return np.rint((out - lo) / (hi - lo) * 255).astype(np.int64)


@pytest.fixture
def film_window(any_renderer_window):
    return any_renderer_window


def ramp_film(tmp_path: Path, photometric: str, shape: str | None = None) -> Path:
    # 16 wide columns (several screen pixels each): stored value = 273 * column (0 .. 4095)
    stored = np.tile((np.arange(16) * 273).astype(np.uint16), (16, 1))
    path = write_film(tmp_path / f"{photometric}-{shape}.dcm", stored, photometric=photometric, window=(2048, 4096),
                      spacing=None)
    if shape is not None:  # the image's own Presentation LUT Shape (2050,0020), as a CR or DX may state it
        ds = pydicom.dcmread(path)
        ds.PresentationLUTShape = shape
        ds.save_as(path)
    return path


def shown_levels(window, scene) -> np.ndarray:
    """Grey level drawn at the centre row for each image column (nearest sampling)."""
    widget = window.area.viewports[0]
    scene.property.SetInterpolationTypeToNearest()
    pixels = widget.grab_pixels()
    ratio = widget.devicePixelRatioF()
    out = []
    for column in range(16):
        x, y = scene.image_to_display(column, 8)
        row = int(round(pixels.shape[0] - 1 - y))
        out.append(int(pixels[row, int(round(x)), 0]))
    assert ratio > 0
    return np.asarray(out)


@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_grey_levels_follow_every_window_change_in_every_renderer(film_window, qtbot, tmp_path: Path, photometric) -> None:
    window = film_window
    window.open_path(ramp_film(tmp_path, photometric))
    qtbot.waitUntil(lambda: window.area.opened is not None and not window.is_loading(), timeout=20000)
    scene = window.area.active_scene()
    stored = np.arange(16) * 273.0
    # the same window three ways: as loaded, then a level-only, a width-only and a combined change
    for center, width in ((2048, 4096), (1500, 4096), (1500, 1024), (3000.5, 333)):
        scene.display.set_window(type(scene.display.window)(center, width))
        qtbot.wait(10)
        want = pydicom_window(stored, center, width)
        if photometric == "MONOCHROME1":
            want = 255 - want  # PS3.3 C.7.6.3.1.2: minimum stored value is white
        got = shown_levels(window, scene)
        assert np.abs(got - want).max() <= 1, (center, width, got, want)


@pytest.mark.parametrize(("photometric", "shape", "inverted"), [
    ("MONOCHROME2", "INVERSE", True),  # "output after inversion is in P-Values" (PS3.3 C.11.6.1.1)
    ("MONOCHROME1", "IDENTITY", False),  # the last stage of the pipeline says so: minimum value black
])
def test_an_image_presentation_lut_shape_that_contradicts_its_photometric_decides_and_is_said(
        film_window, qtbot, tmp_path: Path, photometric, shape, inverted) -> None:
    window = film_window
    window.open_path(ramp_film(tmp_path, photometric, shape))
    qtbot.waitUntil(lambda: window.area.opened is not None and not window.is_loading(), timeout=20000)
    scene = window.area.active_scene()
    want = pydicom_window(np.arange(16) * 273.0, 2048, 4096)
    got = shown_levels(window, scene)
    assert np.abs(got - (255 - want if inverted else want)).max() <= 1, (got, want)
    (said,) = [w for w in window.warnings if "Presentation LUT Shape" in w]
    assert f"{shape} contradicts its Photometric Interpretation {photometric}" in said and "Invert" in said


@pytest.mark.parametrize(("photometric", "shape", "inverted"), [
    ("MONOCHROME1", "INVERSE", True), ("MONOCHROME2", "IDENTITY", False), ("MONOCHROME1", None, True),
    ("MONOCHROME2", None, False), ("MONOCHROME1", "LIN OD", True), ("MONOCHROME2", "LIN OD", False)])
def test_a_conformant_presentation_lut_shape_inverts_once_and_says_nothing(tmp_path: Path, photometric, shape,
                                                                           inverted) -> None:
    film = load_film(build_index(ramp_film(tmp_path, photometric, shape)).all_series()[0], 0)
    assert film.invert is inverted
    said = [w for w in film.warnings if "Presentation LUT Shape" in w]
    assert said == ([] if shape != "LIN OD" else [f"its Presentation LUT Shape 'LIN OD' is not one a display applies "
                                                  f"(IDENTITY or INVERSE): shown as its Photometric Interpretation "
                                                  f"{photometric} says"])


def test_monochrome1_film_values_are_not_inverted_twice(tmp_path: Path) -> None:
    film = load_film(build_index(ramp_film(tmp_path, "MONOCHROME1")).all_series()[0], 0)
    assert film.invert is True and film.values[0, 15] == 4095  # stored values kept; display inverts


def test_linear_window_by_hand_where_w_and_w_minus_1_differ() -> None:
    """PS3.3 C.11.2.1.2.1: ((x - (c - 0.5)) / (w - 1) + 0.5) * 255 inside the window. With c = 0,
    w = 10: x = 2 → (2.5 / 9 + 0.5) * 255 = 198.33 → 198 (dividing by w would give 191.25 → 191);
    x = -3 → (-2.5 / 9 + 0.5) * 255 = 56.67 → 57; x = -4.5 → 0 (x <= c - 0.5 - (w-1)/2 = -5 is 0,
    -4.5 is inside: (-4/9 + 0.5) * 255 = 14.17 → 14); x = 4.5 → 255 (> c - 0.5 + (w-1)/2 = 4)."""
    from lightbox.viewer.pixels import Window, window_values
    from lightbox.viewer.views.raster import _linear_window_float32

    values = np.array([2.0, -3.0, -4.5, 4.5])
    expected = [198, 57, 14, 255]
    assert window_values(values, Window(0, 10)).tolist() == expected
    assert _linear_window_float32(values.astype(np.float32), Window(0, 10), False).tolist() == expected
    assert _linear_window_float32(values.astype(np.float32), Window(0, 10), True).tolist() == [255 - v for v in expected]


def test_float_windowing_of_the_raster_path_equals_pydicom() -> None:
    from lightbox.viewer.pixels import Window
    from lightbox.viewer.views.raster import _linear_window_float32

    values = np.random.default_rng(5).uniform(-1200, 1800, 5000)
    for center, width in ((40, 400), (-600, 1500), (300.25, 7.5)):
        got = _linear_window_float32(values.astype(np.float32), Window(center, width), False).astype(np.int64)
        assert np.abs(got - pydicom_window(values, center, width)).max() <= 1
