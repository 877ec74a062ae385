"""Region-of-interest statistics (ellipse, rectangle): mean, SD, min, max and area, checked against
hand arithmetic and the Gauss circle count, on films and on MPR planes of an anisotropic and of a
sagittally acquired volume; then drawn in the real window with each 2D renderer."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import axial_positions, write_ct_series, write_film
from PySide6.QtCore import QPoint, Qt

from lightbox.viewer.geometry import Geometry
from lightbox.viewer.measure import film_roi_statistics, volume_roi_statistics
from lightbox.viewer.volume import Volume

AXIAL = (np.array([1.0, 0, 0]), np.array([0, -1.0, 0]), np.array([0, 0, 1.0]))  # right, up, normal as the panes
CORONAL = (np.array([-1.0, 0, 0]), np.array([0, 0, 1.0]), np.array([0, 1.0, 0]))


def test_rectangle_on_a_film_by_hand() -> None:
    rows, columns = np.mgrid[0:20, 0:30]
    values = 1000.0 * rows + columns  # every pixel different
    # corners on pixel centres (2, 3) and (5, 7): columns 2..5 x rows 3..7, 20 pixels
    stats = film_roi_statistics(values, "rectangle", [(5.0, 7.0), (2.0, 3.0)], spacing=(0.5, 0.25))
    assert stats is not None and stats.pixels == 20
    assert stats.mean == pytest.approx(1000 * 5 + 3.5)  # rows 3..7 average 5, columns 2..5 average 3.5
    assert (stats.minimum, stats.maximum) == (3002.0, 7005.0)
    # rows and columns vary independently: population variance 1000² · 2 + 1.25 (rows 3..7: 2;
    # columns 2..5: 1.25); the sample SD scales it by n / (n - 1) = 20 / 19
    assert stats.sd == pytest.approx(math.sqrt((1000**2 * 2 + 1.25) * 20 / 19))
    assert stats.area == pytest.approx(3 * 4 * 0.5 * 0.25) and stats.area_unit == "mm²"
    assert film_roi_statistics(values, "rectangle", [(2.0, 3.0), (5.0, 7.0)], None).area_unit == "px²"


def test_ellipse_on_a_film_counts_the_pixel_centres_of_a_circle() -> None:
    values = np.full((101, 101), 40.0)
    values[50, 50] = 40.0 + 317  # the centre pixel
    # a circle of radius 10 px around (50, 50) holds N(10) = 317 lattice points (Gauss circle
    # problem, OEIS A000328): the mean is 40 + 317 / 317
    stats = film_roi_statistics(values, "ellipse", [(40.0, 40.0), (60.0, 60.0)], spacing=(0.2, 0.2), value_unit="HU")
    assert stats is not None and stats.pixels == 317
    assert stats.mean == pytest.approx(41.0) and (stats.minimum, stats.maximum) == (40.0, 357.0)
    assert stats.area == pytest.approx(math.pi * 100 * 0.04)
    assert stats.describe() == f"mean 41.0 HU  SD {stats.sd:.1f}\nmin 40  max 357\narea {math.pi * 4:.1f} mm²"
    # half outside the image: only the pixels inside count; wholly outside: none
    assert film_roi_statistics(values, "rectangle", [(-5.0, -5.0), (1.0, 1.0)], None).pixels == 4
    assert film_roi_statistics(values, "ellipse", [(200.0, 200.0), (210.0, 210.0)], None) is None


def anisotropic_volume() -> Volume:
    k, j, i = np.mgrid[0:12, 0:16, 0:20]
    array = (10000 * k + 100 * j + i).astype(np.float32)
    return Volume(array, Geometry(origin=(-10.0, 5.0, 100.0), spacing=(0.5, 0.8, 2.5)), modality="CT")


def test_an_axial_roi_reads_exactly_its_slice() -> None:
    volume = anisotropic_volume()
    # slice k = 4 lies at z = 100 + 4 * 2.5; columns 2..6 at x = -10 + 0.5 i, rows 3..5 at y = 5 + 0.8 j
    # (the axial pane's "up" is -y, so v = -y); the corners 0.3 voxel outside those centres
    points = [(-10 + 0.5 * 1.7, -(5 + 0.8 * 2.7)), (-10 + 0.5 * 6.3, -(5 + 0.8 * 5.3))]
    stats = volume_roi_statistics(volume, AXIAL, 110.0, 1.25, "rectangle", points)
    expected = volume.array[4, 3:6, 2:7]
    assert stats is not None and stats.pixels == 15 and stats.value_unit == "HU"
    assert stats.mean == pytest.approx(float(expected.mean())) and stats.maximum == 40506.0 and stats.minimum == 40302.0
    assert stats.area == pytest.approx(0.5 * 4.6 * 0.8 * 2.6) and stats.area_unit == "mm²"


def test_a_coronal_roi_spans_slices_of_one_row() -> None:
    volume = anisotropic_volume()
    # row j = 7 at y = 10.6; columns 4..8 (x -8..-6), slices 2..5 (z 105..112.5), corners outside them
    points = [(8.2, 104.0), (5.8, 113.5)]  # the coronal pane's right is -x
    stats = volume_roi_statistics(volume, CORONAL, 5 + 0.8 * 7, 0.4, "rectangle", points)
    expected = volume.array[2:6, 7, 4:9]
    assert stats is not None and stats.pixels == expected.size == 20
    assert stats.mean == pytest.approx(float(expected.mean()))
    assert stats.sd == pytest.approx(float(expected.std(ddof=1)))


def test_a_sagittally_acquired_volume_gives_the_same_pixels_on_the_axial_pane() -> None:
    """Acquired sagittal: i runs posterior (+y), j runs down (-z), k runs to the patient's left
    (+x). An axial ROI must take, for one z, the row j of every slice k: the array is indexed
    [k, j, i] whatever the acquisition plane."""
    k, j, i = np.mgrid[0:10, 0:8, 0:6]
    array = (10000 * k + 100 * j + i).astype(np.float32)
    direction = np.array([[0, 0, 1], [1, 0, 0], [0, -1, 0]], dtype=float)  # columns: i, j, k directions
    volume = Volume(array, Geometry(origin=(0.0, 0.0, 50.0), spacing=(1.0, 2.0, 3.0), direction=direction), modality="MR")
    # z = 50 - 2 j: j = 3 at z = 44. x = 3 k: k 2..4 at x 6..12; y = i: i 1..4 (v = -y)
    stats = volume_roi_statistics(volume, AXIAL, 44.0, 1.0, "rectangle", [(5.0, -0.5), (13.0, -4.5)])
    expected = array[2:5, 3, 1:5]
    assert stats is not None and stats.pixels == 12 and stats.value_unit == ""
    assert stats.mean == pytest.approx(float(expected.mean())) and stats.minimum == 20301.0 and stats.maximum == 40304.0


def drag(qtbot, widget, a: QPoint, b: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(widget, (a + b) / 2)
    qtbot.mouseMove(widget, b)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=b)


def viewport_point(widget, display_xy) -> QPoint:
    x, y = display_xy
    ratio = widget.devicePixelRatioF()
    return QPoint(int(round(x / ratio)), int(round(widget.height() - 1 - y / ratio)))


def test_drawing_rois_in_the_window(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """Tools → Ellipse ROI on a calibrated film, then Tools → Rectangle ROI around the marker square
    of a CT series (stored 1500, rescaled -1024: 476 HU), in a real window with each renderer;
    the ROIs stay through a layout change."""
    window = any_renderer_window
    rows, columns = np.mgrid[0:200, 0:300]
    write_film(tmp_path / "film.dcm", (1000 + 2 * columns + rows).astype(np.uint16), spacing=(0.2, 0.1), window=(1300, 800))
    window.open_path(tmp_path / "film.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    menu_action = next(a for a in window.menuBar().actions() if a.text() == "&Tools").menu()
    next(a for a in menu_action.actions() if a.text() == "Ellipse ROI").trigger()
    assert widget.tool == "ellipse"
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        drag(qtbot, widget, viewport_point(widget, scene.image_to_display(100, 50)),
             viewport_point(widget, scene.image_to_display(200, 150)))
    (m,) = scene.measurements
    # an independent count: every pixel centre tested by the ellipse equation, one by one
    (ca, ra), (cb, rb) = m.points
    cu, cv, a, b = (ca + cb) / 2, (ra + rb) / 2, abs(cb - ca) / 2, abs(rb - ra) / 2
    inside = [1000 + 2 * c + r for r in range(200) for c in range(300) if ((c - cu) / a) ** 2 + ((r - cv) / b) ** 2 <= 1]
    assert m.statistics.pixels == len(inside) and m.statistics.mean == pytest.approx(np.mean(inside))
    assert abs(m.statistics.area - math.pi * 50 * 0.1 * 50 * 0.2) < 0.03 * m.statistics.area  # the drag, within a pixel
    assert signal.args[0].startswith(f"Measured mean {np.mean(inside):.1f}  SD {np.std(inside, ddof=1):.1f}  min ")
    assert "area" in signal.args[0] and "mm²" in signal.args[0]

    write_ct_series(tmp_path / "ct", axial_positions(12, spacing=2.0), rows=40, columns=40)
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and getattr(window.area.viewports[0].scene, "plane", "") == "axial", timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    qtbot.keyClick(window, Qt.Key.Key_B)  # Rectangle ROI
    assert widget.tool == "rectangle"
    z = scene.display.crosshair[2]
    geometry = scene.volume.geometry
    # the marker square: rows 2..5, columns 3..7; the drag's corners 0.3 voxel outside its centres
    corner_a = geometry.index_to_world((3 - 0.3, 2 - 0.3, 0))
    corner_b = geometry.index_to_world((7 + 0.3, 5 + 0.3, 0))
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        drag(qtbot, widget, viewport_point(widget, scene.world_to_display(np.array([*corner_a[:2], z]))),
             viewport_point(widget, scene.world_to_display(np.array([*corner_b[:2], z]))))
    assert signal.args[0].startswith("Measured mean 476.0 HU  SD 0.0  min 476  max 476")
    assert scene.measurements[0].statistics.pixels == 20
    window.set_layout("1x2")  # the ROI belongs to the image: still there after a layout change
    assert window.area.viewports[0].scene.measurements[0].statistics.mean == 476.0
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert window.area.viewports[0].scene.measurements == []


def test_arrow_and_text_annotations(any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """Tools → Arrow: a drag from tail to head draws a shaft and two barbs; Tools → Text: a click,
    then the words typed in the dialog appear there; both stay through a layout change."""
    from PySide6.QtWidgets import QInputDialog

    window = any_renderer_window
    write_film(tmp_path / "film.dcm", np.full((200, 300), 500, np.uint16), spacing=(0.2, 0.1), window=(500, 1000))
    window.open_path(tmp_path / "film.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    window.set_tool("arrow")
    tail, head = scene.image_to_display(60, 150), scene.image_to_display(150, 100)
    with qtbot.waitSignal(widget.measured, timeout=2000):
        drag(qtbot, widget, viewport_point(widget, tail), viewport_point(widget, head))
    (arrow,) = scene.measurements
    assert arrow.kind == "arrow" and arrow.complete
    (c0, r0), (c1, r1) = arrow.points
    assert abs(c0 - 60) <= 1.5 and abs(r0 - 150) <= 1.5 and abs(c1 - 150) <= 1.5 and abs(r1 - 100) <= 1.5
    # the shaft and the head's barb-tip-barb polyline are drawn, the tip at the head
    drawn = scene.measure.lines._points
    points = [drawn.GetPoint(n)[:2] for n in range(drawn.GetNumberOfPoints())]
    assert len(points) == 5 and points[3] == pytest.approx(scene.image_to_world(c1, r1)[:2])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("pleural effusion", True))
    window.set_tool("text")
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=viewport_point(widget, scene.image_to_display(200, 40)))
    assert signal.args[0] == "Text placed: pleural effusion"
    assert [m.text for m in scene.measurements] == ["", "pleural effusion"]
    labels = [a.GetInput() for a in scene.measure.labels.actors if a.GetVisibility()]
    assert "pleural effusion" in labels
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))  # cancelled: no mark
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=viewport_point(widget, scene.image_to_display(20, 20)))
    assert len(scene.measurements) == 2
    window.set_layout("1x2")
    assert [m.kind for m in window.area.viewports[0].scene.measurements] == ["arrow", "text"]
