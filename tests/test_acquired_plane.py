"""A volume opens in its acquired slices: an oblique or sagittal MR is shown as its images were
acquired (every stored pixel where it was stored), not only as an axial reformat with wedges;
the axial reformat is a choice (MPR menu)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_ct_series
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from lightbox.app.compose import build_scenes, open_path
from lightbox.viewer.pixels import Window, window_values


def oblique_series(folder: Path, degrees: float = 15.0, count: int = 22) -> list[Path]:
    """An axial-ish stack tilted about the patient's x axis: rows along x, columns along
    (0, cos, sin), slices 5 mm apart along their normal."""
    t = math.radians(degrees)
    row, column = np.array([1.0, 0, 0]), np.array([0.0, math.cos(t), math.sin(t)])
    normal = np.cross(row, column)
    positions = [tuple(np.array([-20.0, -30.0, 10.0]) + normal * 5.0 * n) for n in range(count)]
    return write_ct_series(folder, positions, rows=40, columns=48, orientation=(*row, *column), window=(40, 400))


def test_an_oblique_stack_opens_in_its_acquired_slices(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    paths = oblique_series(tmp_path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    assert scene.plane == "acquired"
    number, total = scene.slice_count()
    assert total == 22  # the images there are (a reformat counted 26 "axial" slices)
    assert scene.corners.texts["lower_left"].startswith(f"Axial oblique 15° (acquired)  {number}/22")
    scene.property.SetInterpolationTypeToNearest()  # (fitted: each image pixel spans many screen pixels)
    qtbot.wait(300)
    k = number - 1
    stored = pydicom.dcmread(paths[k]).pixel_array.astype(float) - 1024  # the file's own pixels, rescaled
    geometry = scene.volume.geometry
    pixels = widget.grab_pixels()
    for row, column in ((3, 5), (10, 35), (30, 10), (1, 1), (38, 46)):  # marker, background, near corners (off the crosshair)
        x, y = scene.world_to_display(geometry.index_to_world((column, row, k)))
        shown = pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))]
        expected = window_values(np.array([stored[row, column]]), Window(40, 400))[0]
        assert tuple(int(v) for v in shown) == (expected,) * 3, (row, column)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert scene.slice_count() == (number + 1, 22)  # the next acquired slice
    window.axial_first_action.trigger()  # MPR → First pane: axial reformat
    assert window.area.viewports[0].scene.plane == "axial"
    window.axial_first_action.trigger()
    assert window.area.viewports[0].scene.plane == "acquired"


def test_a_sagittal_acquisition_opens_sagittal_then_axial_and_coronal(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    # rows run posterior (+y), columns down (-z); slices step to the patient's left (+x)
    write_ct_series(tmp_path, [(4.0 * n, -50.0, 60.0) for n in range(12)], rows=30, columns=30, orientation=(0, 1, 0, 0, 0, -1))
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.set_layout("2x2")
    planes = [getattr(w.scene, "plane", "3d") for w in window.area.viewports]
    assert planes == ["acquired", "axial", "coronal", "3d"]
    assert window.area.viewports[0].scene.plane_label() == "Sagittal (acquired)"
    assert window.area.viewports[0].scene.slice_count()[1] == 12


@pytest.mark.parametrize("layout", ["film", "mpr"])
def test_screenshot_shows_the_acquired_slices_first(tmp_path: Path, layout: str) -> None:
    oblique_series(tmp_path, 20.0, 8)
    opened, _ = open_path(tmp_path)
    scenes, _ = build_scenes(opened, layout)
    assert scenes[0].plane == "acquired" and scenes[0].slice_count()[1] == 8
