"""A stack of MONOCHROME1 slices (or slices whose own Presentation LUT Shape says INVERSE) is shown
with its minimum value white in the MPR panes of both 2D renderers, its browser thumbnail and the
model's input, as its films are (PS3.3 C.7.6.3.1.2, C.11.6.1.1). A volume had no polarity: every
stack was shown minimum-black, a MONOCHROME1 one as its negative, without a word."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume


def _stack(folder: Path, photometric: str, shape: str | None = None, first_only: bool = False) -> Path:
    """Eight axial slices (dicom_factory: slice n stores 1000 + n, HU = stored - 1024, a marker
    square of 476 HU at rows 2..5, columns 3..7; window 40 / 400) with ``photometric``."""
    paths = write_ct_series(folder, axial_positions(8, spacing=2.0))
    for n, path in enumerate(paths):
        if first_only and n:
            continue
        ds = pydicom.dcmread(path)
        ds.PhotometricInterpretation = photometric
        if shape is not None:
            ds.PresentationLUTShape = shape
        ds.save_as(path)
    return folder


def _shown(window, qtbot, folder: Path) -> tuple[int, int]:
    """The grey drawn at the marker (476 HU) and at the background of the axial slice shown."""
    window.open_path(folder)
    qtbot.waitUntil(lambda: window.area.opened is not None and not window.is_loading(), timeout=20000)
    scene = window.area.active_scene()
    assert scene.plane == "axial"
    window.set_layout("1x1")
    qtbot.wait(20)
    widget = window.area.viewports[0]
    pixels = widget.grab_pixels()
    greys = []
    for column, row in ((5, 3), (15, 20)):  # inside the marker; the slice's own value
        world = scene.volume.geometry.index_to_world(np.array([[column, row, 4]], float))[0]
        x, y = scene.world_to_display(world)
        greys.append(int(pixels[int(round(pixels.shape[0] - 1 - y)), int(round(x)), 0]))
    return greys[0], greys[1]


@pytest.mark.parametrize(("photometric", "shape"), [("MONOCHROME1", None), ("MONOCHROME2", "INVERSE")])
def test_an_inverted_stack_is_shown_minimum_white_in_both_renderers(any_renderer_window, qtbot, tmp_path: Path,
                                                                    photometric, shape) -> None:
    upright = _shown(any_renderer_window, qtbot, _stack(tmp_path / "m2", "MONOCHROME2"))
    # window 40 / 400 (PS3.3 C.11.2.1.2.1): 476 HU → 255; the background of the slice shown,
    # about -20 HU → about 84
    assert upright[0] == 255 and 70 < upright[1] < 100
    inverted = _shown(any_renderer_window, qtbot, _stack(tmp_path / "m1", photometric, shape))
    assert inverted == (0, 255 - upright[1])


def test_the_volume_thumbnail_and_the_model_input_follow_the_polarity(tmp_path: Path) -> None:
    from lightbox.inference.preprocess import sample_volume_slices
    from lightbox.viewer.thumbnails import series_thumbnail

    (upright,) = build_index(_stack(tmp_path / "m2", "MONOCHROME2")).all_series()
    (inverted,) = build_index(_stack(tmp_path / "m1", "MONOCHROME1")).all_series()
    assert load_volume(upright).invert is False and load_volume(inverted).invert is True
    assert np.array_equal(series_thumbnail(inverted), 255 - series_thumbnail(upright))
    volume = load_volume(inverted)
    given = sample_volume_slices(volume.array, 2, "CT", None, volume.invert)
    shown_upright = sample_volume_slices(volume.array, 2, "CT", None)
    assert all(np.array_equal(a, 255 - b) for a, b in zip(given, shown_upright, strict=True))


def test_slices_that_disagree_are_shown_as_most_say_and_said(tmp_path: Path) -> None:
    (series,) = build_index(_stack(tmp_path / "mixed", "MONOCHROME1", first_only=True)).all_series()
    volume = load_volume(series)
    assert volume.invert is False
    assert "1 of 8 slices are to be shown inverted (MONOCHROME1 or Presentation LUT Shape INVERSE) and the " \
           "others not: all are shown minimum value black, as most of them say" in volume.warnings
