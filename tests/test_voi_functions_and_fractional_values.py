"""The VOI function an image states is the one it is shown with, and fractional modality values
are shown, windowed and read as they are (PS3.3 C.11.2, C.8.8.3).

* A mammogram's SIGMOID window (C.11.2.1.3.1) was drawn as a LINEAR ramp: another contrast. The
  screen is read back in both 2D renderers and compared with the formula computed here.
* Fine fractional values (an ADC map at 1e-6 mm²/s per stored step) got a LINEAR window held to a
  width of 1: one flat grey, "W 0 L 0", "value 0". They now get LINEAR_EXACT over their range.
* An RT Dose grid's values are its stored integers times Dose Grid Scaling (C.8.8.3), in its
  Dose Units; a PET image's values are in its Units.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest

from lightbox.viewer.display import FilmDisplay
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film, load_volume
from lightbox.viewer.pixels import Window, auto_window
from lightbox.viewer.value_text import format_value, value_decimals, value_unit
from tests.dicom_factory import write_film

BANDS = [1300, 1600, 1800, 1950, 2050, 2200, 2400, 2700]  # one value per 16 columns
CENTER, WIDTH = 2000.0, 1000.0


def sigmoid_grey(x: float, invert: bool = False) -> float:
    """C.11.2.1.3.1 with ymin 0 and ymax 255, computed here, not by the code under test."""
    y = 255.0 / (1.0 + math.exp(-4.0 * (x - CENTER) / WIDTH))
    return 255.0 - y if invert else y


def linear_grey(x: float) -> float:
    """C.11.2.1.2.1, for the contrast the sigmoid was shown with before."""
    return min(max(((x - (CENTER - 0.5)) / (WIDTH - 1) + 0.5) * 255.0, 0.0), 255.0)


def banded_mammogram(path: Path, photometric: str = "MONOCHROME2") -> Path:
    stored = np.repeat(np.array(BANDS, np.uint16), 16)[None, :].repeat(64, axis=0)
    write_film(path, stored, modality="MG", photometric=photometric, window=(CENTER, WIDTH), spacing=(0.1, 0.1))
    ds = pydicom.dcmread(path)
    ds.VOILUTFunction = "SIGMOID"
    ds.save_as(path)
    return path


@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_a_sigmoid_window_is_drawn_as_a_sigmoid(any_renderer_window, qtbot, tmp_path: Path, photometric: str) -> None:
    from test_display_shutters import first_pane_bare

    widget, scene = first_pane_bare(any_renderer_window, qtbot, banded_mammogram(tmp_path / "mg" / "film.dcm", photometric))
    assert scene.display.window == Window(CENTER, WIDTH, "SIGMOID")
    pixels = widget.grab_pixels()

    def grey_at(column: float, row: float) -> int:
        x, y = scene.image_to_display(column, row)
        return int(pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))][0])

    invert = photometric == "MONOCHROME1"
    for n, value in enumerate(BANDS):
        seen = grey_at(16 * n + 8, 32)  # the middle of its band: no interpolation with the next
        assert abs(seen - sigmoid_grey(value, invert)) <= 1.5, (value, seen, sigmoid_grey(value, invert))
    # the linear ramp of the same numbers is another picture: 1600 is 43 as a sigmoid, 26 as a ramp
    assert abs(sigmoid_grey(1600) - linear_grey(1600)) > 15
    assert "W 1000  L 2000  sigmoid" in scene.corners.texts["lower_left"]
    scene.drag("wl", 40, 0)  # a wider window, still a sigmoid
    assert scene.display.window.function == "SIGMOID" and scene.display.window_width > WIDTH


def test_a_fine_fractional_image_gets_a_window_over_its_values(tmp_path: Path) -> None:
    """An ADC map as some scanners write it: stored 500..3000 with Rescale Slope 1e-6 (mm²/s)."""
    stored = np.repeat(np.linspace(500, 3000, 128).astype(np.uint16)[None, :], 128, axis=0)
    stored[40:80, 40:80] = 700  # restricted diffusion
    write_film(tmp_path / "adc.dcm", stored, modality="MR", slope=1e-6, spacing=(1.5, 1.5))
    (series,) = build_index(tmp_path).all_series()
    film = load_film(series)
    values = stored.astype(np.float64) * 1e-6
    lo, hi = np.percentile(values, [0.5, 99.5])
    assert film.window.function == "LINEAR_EXACT"
    assert film.window.center == pytest.approx((lo + hi) / 2) and film.window.width == pytest.approx(hi - lo)
    assert film.value_decimals == 6  # four significant digits of 0.003
    display = FilmDisplay()
    display.set_window(film.window)
    assert display.window == film.window  # not held to LINEAR's width of 1

    from lightbox.viewer.views.film_scene import FilmScene
    from tests.test_views import Rendered

    view = Rendered(FilmScene(film, display))
    try:
        grey = view.pixels()
        # the square (0.0007) against the ramp beside it at column 100 (about 0.00247): LINEAR_EXACT
        # by hand; before, both were the one grey of a window 1 wide around 0.0017
        x_sq, y_sq = view.scene.image_to_display(60, 60)
        x_ramp, y_ramp = view.scene.image_to_display(100, 60)
        expected = [np.clip((v - film.window.center) / film.window.width + 0.5, 0, 1) * 255
                    for v in (0.0007, values[60, 100])]
        seen = [int(grey[grey.shape[0] - 1 - int(y), int(x)][0]) for x, y in ((x_sq, y_sq), (x_ramp, y_ramp))]
        assert all(abs(s - e) <= 1.5 for s, e in zip(seen, expected, strict=True)), (seen, expected)
        scene = view.scene
        assert scene.status_text(*scene.image_to_display(60, 60)).endswith("value 0.000700")
        assert f"W {hi - lo:.6f}  L {(lo + hi) / 2:.6f}" in scene.corners.texts["lower_left"]
        for c, r in ((45, 45), (75, 75)):
            scene.add_measurement_point("rectangle", *scene.image_to_display(c, r))
        text = scene.measurements[-1].statistics.describe()
        assert text.startswith("mean 0.000700  SD 0.000000\nmin 0.000700  max 0.000700")
        before = scene.display.window_width
        scene.drag("wl", 10, 0)  # ten pixels: a small change, not twenty of its ranges
        assert 0 < scene.display.window_width - before < 0.1 * before
    finally:
        view.close()


def test_whole_numbers_keep_their_linear_window_and_no_decimals() -> None:
    hu = np.arange(-1024, 3072, dtype=np.float32).reshape(64, 64)  # a CT's range
    window = auto_window(hu)
    assert window.function == "LINEAR" and window.width == pytest.approx(np.percentile(hu, 99.5) - np.percentile(hu, 0.5) + 1)
    assert value_decimals(hu) == 0
    resampled = hu + 0.37  # a CT resampled for a gantry tilt: fractions, but HU
    assert auto_window(resampled).function == "LINEAR" and value_decimals(resampled) == 0
    assert value_decimals(np.array([0.5, 1.254])) == 3 and value_decimals(np.array([12.5, 3.25])) == 2
    assert format_value(-0.0001, 2) == "0.00" and format_value(1.2544, 3) == "1.254"


def test_an_rt_dose_grid_is_shown_in_its_dose_units(tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    source = Path(get_testdata_file("rtdose.dcm", download=False))
    ds = pydicom.dcmread(source)
    expected = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)  # C.8.8.3, by hand
    volume = load_volume(build_index(source).all_series()[0])
    frames = sorted(range(expected.shape[0]), key=lambda f: float(ds.GridFrameOffsetVector[f]))
    assert np.allclose(volume.array, expected[frames], rtol=1e-6)
    assert volume.array.max() == pytest.approx(1.254)  # not 1,254,000
    assert volume.unit == "" and volume.value_decimals == 3  # RELATIVE dose: no unit
    ds.DoseUnits = "GY"
    ds.save_as(tmp_path / "gy.dcm")
    gy = load_volume(build_index(tmp_path / "gy.dcm").all_series()[0])
    assert gy.unit == "Gy"

    from lightbox.viewer.display import VolumeDisplay
    from lightbox.viewer.views.mpr_scene import MprScene
    from tests.test_views import Rendered

    display = VolumeDisplay()
    display.set_window(auto_window(gy.array))
    view = Rendered(MprScene(gy, display, "axial"))
    try:
        view.pixels()
        point = gy.geometry.index_to_world(np.array([[5.0, 5.0, 0.0]]))[0]
        display.crosshair = tuple(point)
        text = view.scene.status_text(*view.scene.world_to_display(point))
        value = gy.array[0, 5, 5]
        assert text.endswith(f"{value:.3f} Gy"), text
    finally:
        view.close()


def test_units_of_pet_and_others() -> None:
    assert value_unit("PT", {"pet_units": "BQML"}) == "Bq/mL"
    assert value_unit("PT", {"pet_units": "GML"}) == "g/mL"
    assert value_unit("PT", {"pet_units": "XYZ"}) == "XYZ"  # written as coded, not dropped
    assert value_unit("CT", {}) == "HU" and value_unit("MR", {"pet_units": "BQML"}) == ""
    assert value_unit("RTDOSE", {"dose_units": "RELATIVE"}) == ""


def test_a_pet_film_reads_in_its_units(tmp_path: Path) -> None:
    stored = np.full((16, 16), 1000, np.uint16)
    write_film(tmp_path / "pt.dcm", stored, modality="PT", slope=2.5, spacing=(4.0, 4.0))
    ds = pydicom.dcmread(tmp_path / "pt.dcm")
    ds.Units = "BQML"
    ds.save_as(tmp_path / "pt.dcm")
    film = load_film(build_index(tmp_path).all_series()[0])
    assert film.unit == "Bq/mL" and film.values[0, 0] == 2500.0


def test_a_colour_film_keeps_whole_numbers_in_its_window_text(tmp_path: Path) -> None:
    """A colour image's window acts on its 0..255 samples: "W 256  L 128", not "W 256.0  L 128.0"
    (its luminance, which the cursor reads, has fractions)."""
    from pydicom.data import get_testdata_file

    from lightbox.viewer.views.film_scene import FilmScene
    from tests.test_views import Rendered

    film = load_film(build_index(Path(get_testdata_file("SC_rgb_rle.dcm", download=False))).all_series()[0])
    assert film.colour is not None and film.value_decimals == 0
    display = FilmDisplay()
    display.set_window(film.window)
    view = Rendered(FilmScene(film, display))
    try:
        view.pixels()
        assert "W 256  L 128" in view.scene.corners.texts["lower_left"]
    finally:
        view.close()


def test_value_text_by_hand() -> None:
    from lightbox.viewer.value_text import window_text

    assert window_text(Window(40, 400), 0) == "W 400  L 40"
    assert window_text(Window(0.00175, 0.0025, "LINEAR_EXACT"), 6) == "W 0.002500  L 0.001750"
    assert window_text(Window(2000, 1000, "SIGMOID"), 0) == "W 1000  L 2000  sigmoid"
    assert value_unit("RTDOSE", {}) == "" and value_unit("PT", {}) == "" and value_unit("PT", {"suv": "SUVbw"}) == "SUVbw"
    big = np.linspace(0.0, 0.003, 300_000)  # more values than the sample: strided
    assert value_decimals(big) == 6 and value_decimals(big * 1000) == 3 and value_decimals(big * 1e6) == 0
    assert value_decimals(np.array([np.nan, 0.25, np.inf])) == 4  # four digits of 0.25: 0.2500
