"""Colour images in colour: RGB, YBR (pydicom's colour-space conversion as the reference), 16-bit
RGB, PALETTE COLOR, a multi-frame colour cine shown frame by frame; on screen with each renderer
(pixels equal the image's RGB, the window applied to each channel), in thumbnails and for the AI."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import convert_color_space, pixel_array
from PySide6.QtCore import Qt

from lightbox.app.ai_inputs import model_images
from lightbox.app.compose import open_path
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film
from lightbox.viewer.pixels import Window, window_values
from lightbox.viewer.thumbnails import series_thumbnail

FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def test_rgb_is_kept_as_stored() -> None:
    opened, _ = open_path(FILES / "examples_rgb_color.dcm")
    (film,) = opened.films
    expected = pydicom.dcmread(FILES / "examples_rgb_color.dcm").pixel_array
    assert film.colour is not None and film.colour.dtype == np.uint8 and np.array_equal(film.colour, expected)
    # values are the Rec. 601 luminance, for the status bar and ROI statistics
    assert film.values[100, 100] == pytest.approx(expected[100, 100] @ np.array([0.299, 0.587, 0.114]), abs=1e-3)


def test_a_ybr_cine_is_every_frame_in_rgb() -> None:
    path = FILES / "examples_ybr_color.dcm"  # YBR_FULL_422, 30 frames
    opened, index = open_path(path)
    assert opened.volume is None and len(opened.films) == 30
    (series,) = index.all_series()
    assert "multi-frame colour object: 30 frames, shown one by one (Up/Down)" in series.warnings
    ds = pydicom.dcmread(path)
    ybr = pixel_array(ds, as_rgb=False)  # the stored YBR_FULL samples (upsampled 4:2:2)
    for n in (0, 17, 29):
        assert np.array_equal(opened.films[n].colour, convert_color_space(ybr[n], "YBR_FULL", "RGB")), n


def test_sixteen_bit_rgb_is_scaled_to_eight_bits() -> None:
    path = FILES / "SC_rgb_rle_16bit.dcm"
    (series,) = build_index(path).all_series()
    film = load_film(series)
    stored = pydicom.dcmread(path).pixel_array.astype(np.float64)
    assert np.array_equal(film.colour, np.rint(stored * 255 / 65535).astype(np.uint8))


def test_thumbnail_and_ai_input_are_in_colour() -> None:
    path = FILES / "examples_rgb_color.dcm"
    (series,) = build_index(path).all_series()
    expected = pydicom.dcmread(path).pixel_array
    thumbnail = series_thumbnail(series, size=96)
    step = math.ceil(max(expected.shape[:2]) / 96)
    assert np.array_equal(thumbnail, expected[::step, ::step])  # the identity window of a colour image
    opened, _ = open_path(path)
    (image,), _, _ = model_images(opened)
    assert np.array_equal(image, expected)


def test_colour_on_screen_with_each_renderer_and_window_level(any_renderer_window, qtbot) -> None:
    window = any_renderer_window
    path = FILES / "examples_rgb_color.dcm"
    rgb = pydicom.dcmread(path).pixel_array
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    scene.property.SetInterpolationTypeToNearest()  # exact pixels (the settled view interpolates)
    scene.display.zoom = 2.0

    def shown(column: int, row: int) -> tuple[int, ...]:
        x, y = scene.image_to_display(column, row)
        pixels = widget.grab_pixels()
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))])

    qtbot.wait(300)
    # a Doppler-coloured pixel, a grey one, a dark one (rows and columns picked in the image)
    points = [(150, 100), (60, 200), (10, 10), (230, 120)]
    colourful = [p for p in points if len(set(rgb[p[1], p[0]].tolist())) > 1]
    assert colourful, "the test points must include a coloured pixel"
    for column, row in points:
        assert shown(column, row) == tuple(int(v) for v in rgb[row, column]), (column, row)
    # W/L on colour: the window applies to each channel (as Weasis does)
    scene.display.set_window(Window(100.0, 120.0))
    qtbot.wait(300)
    for column, row in points:
        expected = tuple(int(v) for v in window_values(rgb[row, column], Window(100.0, 120.0)))
        got = shown(column, row)
        assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 1, (column, row, got, expected)
    qtbot.keyClick(window, Qt.Key.Key_I)  # invert: each channel
    qtbot.wait(300)
    column, row = colourful[0]
    expected = tuple(255 - int(v) for v in window_values(rgb[row, column], Window(100.0, 120.0)))
    assert max(abs(a - b) for a, b in zip(shown(column, row), expected, strict=True)) <= 1


@pytest.mark.parametrize("name", ["examples_jpeg2k.dcm", "GDCMJ2K_TextGBR.dcm"])
def test_jpeg_2000_colour_in_ybr_rct_is_shown_as_pydicom_decodes_it(name: str) -> None:
    """YBR_RCT (reversible colour transform inside JPEG 2000): the decoder's RGB, in colour."""
    opened, _ = open_path(FILES / name)
    ds = pydicom.dcmread(FILES / name)
    assert ds.PhotometricInterpretation == "YBR_RCT"
    assert np.array_equal(opened.films[0].colour, ds.pixel_array)
