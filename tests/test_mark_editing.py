"""A finished mark's handles taken and moved with a measurement tool in hand (its ends, an ROI's
corners or axis ends, a sphere's centre and edge): measured again where it now lies and kept with
the study. Before, a mark drawn a little off had to be drawn again."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import write_film, write_pet_ct
from PySide6.QtCore import Qt
from test_roi_statistics import drag, viewport_point
from test_sphere_voi import lesion_suv, pet_by_hand

from lightbox.studydb.annotations import load_annotations
from lightbox.viewer.measure import Measurement, handles, moved


def test_handles_and_their_moves() -> None:
    """A rectangle's corner takes two sides, an ellipse's axis end one; a sphere's edge 3 mm off
    the handle's plane, 4 mm out, makes a radius of 5; its centre carries the radius along."""
    box = Measurement("rectangle", [(0.0, 0.0), (10.0, 20.0)])
    assert handles(box) == [(0.0, 0.0), (10.0, 0.0), (10.0, 20.0), (0.0, 20.0)]
    assert moved(box, 2, (12.0, 25.0)) == [(0.0, 0.0), (12.0, 25.0)]
    assert moved(box, 0, (-1.0, 2.0)) == [(-1.0, 2.0), (10.0, 20.0)]
    ellipse = Measurement("ellipse", [(0.0, 0.0), (10.0, 20.0)])
    assert handles(ellipse) == [(0.0, 10.0), (10.0, 10.0), (5.0, 0.0), (5.0, 20.0)]
    assert moved(ellipse, 1, (14.0, 3.0)) == [(0.0, 0.0), (14.0, 20.0)]
    sphere = Measurement("sphere", [(1.0, 1.0), (11.0, 1.0)])
    assert handles(sphere, 6.0) == [(1.0, 1.0), (9.0, 1.0)]  # its cut 6 mm off: radius 8
    assert moved(sphere, 1, (5.0, 1.0), 3.0) == [(1.0, 1.0), (6.0, 1.0)]
    assert moved(sphere, 0, (2.0, 3.0)) == [(2.0, 3.0), (12.0, 3.0)]
    assert handles(Measurement("freehand", [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)])) == []


def _film(window, qtbot, tmp_path: Path):  # noqa: ANN001, ANN202
    """A film whose value is its column, 0.1 mm wide and 0.2 mm tall pixels."""
    write_film(tmp_path / "film.dcm", np.tile(np.arange(300, dtype=np.uint16), (200, 1)), spacing=(0.2, 0.1),
               window=(300, 150))
    window.open_path(tmp_path / "film.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    return widget, lambda c, r: viewport_point(widget, widget.scene.image_to_display(c, r))


def test_moving_a_lengths_end_and_an_roi_corner(any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """The length's right end dragged 100 rows down: sqrt(20² + 20²) mm; the rectangle's lower
    right corner dragged out: the mean column of its new box, counted here; both kept; a press
    away from any handle still starts a new length."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    widget, at = _film(window, qtbot, tmp_path)
    scene = widget.scene
    window.set_tool("length")
    for c, r in ((50, 50), (250, 50)):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=at(c, r))
    window.set_tool("rectangle")
    drag(qtbot, widget, at(100, 100), at(150, 150))
    length, box = scene.measurements
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        drag(qtbot, widget, at(*length.points[1]), at(250, 150))
    (c0, r0), (c1, r1) = length.points
    assert abs(c1 - 250) < 1 and abs(r1 - 150) < 1 and len(scene.measurements) == 2
    assert signal.args[0] == f"Measured {math.hypot((c1 - c0) * 0.1, (r1 - r0) * 0.2):.1f} mm"
    assert abs(math.hypot((c1 - c0) * 0.1, (r1 - r0) * 0.2) - math.hypot(20, 20)) < 0.3
    corner = box.points[1]
    with qtbot.waitSignal(widget.measured, timeout=2000):
        drag(qtbot, widget, at(*corner), at(200, 180))
    (u0, v0), (u1, v1) = sorted(box.points)
    columns = [c for c in range(300) for r in range(200)
               if u0 - 1e-9 <= c <= u1 + 1e-9 and min(v0, v1) - 1e-9 <= r <= max(v0, v1) + 1e-9]
    assert box.statistics.pixels == len(columns) and box.statistics.mean == pytest.approx(np.mean(columns))
    assert abs(u1 - 200) < 1
    kept = load_annotations(window.area.catalog, window.area.opened.series.uid, "film 0")
    assert [a.points for a in kept] == [length.points, box.points]
    drag(qtbot, widget, at(20, 20), at(40, 20))  # the rectangle tool away from any handle: a new ROI
    assert len(scene.measurements) == 3


def test_a_spheres_edge_moved_on_another_slice(any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """A 14 mm sphere about (13, -7, 50) on the PET/CT's CT; on the slice 5 mm on (z = 55) its cut's
    edge dragged to 9 mm from the centre's axis: radius sqrt(9² + 5²); the PET's voxels in it counted
    here, as its label gives them once let go (not while dragged)."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    write_pet_ct(tmp_path, lesion_suv())
    window.open_path(tmp_path / "pet")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    sign = float(scene.normal[2])
    plane = 51.25 * sign  # a PET slice
    scene.measure.add(Measurement("sphere", [(13.0, 7.0), (27.0, 7.0)]), plane)
    scene.move_to(plane + 5.0 * sign)
    window.set_tool("sphere")
    (_, edge) = handles(scene.measurements[0], 5.0 * sign)

    def screen(u: float, v: float):  # noqa: ANN202
        return viewport_point(widget, scene.world_to_display(u * scene.right + v * scene.up + scene.position() * scene.normal))

    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=screen(*edge))
    qtbot.mouseMove(widget, screen(20.0, 7.0))
    assert scene.measure.label(scene.measurements[0]) == "measured when let go"
    with qtbot.waitSignal(widget.measured, timeout=5000):
        qtbot.mouseMove(widget, screen(22.0, 7.0))
        qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=screen(22.0, 7.0))
    sphere = scene.measurements[0]
    radius = math.hypot(sphere.points[1][0] - 13.0, sphere.points[1][1] - 7.0)
    assert sphere.points[0] == (13.0, 7.0) and radius == pytest.approx(math.hypot(9.0, 5.0), abs=0.2)
    centres, suv = pet_by_hand(tmp_path / "pet")
    inside = np.linalg.norm(centres - np.array([13.0, -7.0, 51.25]), axis=-1) <= radius
    assert sphere.statistics.pixels == int(inside.sum()) and sphere.statistics.maximum == pytest.approx(
        float(suv[inside].max()), rel=1e-6)
    assert "mean" in scene.measure.label(sphere)


def test_the_pointer_over_a_handle_shows_the_move_cursor(any_renderer_window, qtbot, tmp_path: Path,
                                                         monkeypatch) -> None:
    """With the length tool in hand, the pointer over the length's end (4 px off) shows the move
    cursor, and 15 px off or in the middle of its line the tool's own; with W/L in hand, the end
    is no handle (a press there windows)."""
    from test_mark_deletion import hover

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    widget, at = _film(window, qtbot, tmp_path)
    window.set_tool("length")
    for c, r in ((50, 50), (250, 50)):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=at(c, r))
    end = at(250, 50)
    hover(widget, end + type(end)(4, 0))
    assert widget.cursor().shape() == Qt.CursorShape.SizeAllCursor
    hover(widget, end + type(end)(15, 0))
    assert widget.cursor().shape() == Qt.CursorShape.ArrowCursor
    hover(widget, end + type(end)(-4, 3))
    assert widget.cursor().shape() == Qt.CursorShape.SizeAllCursor
    hover(widget, at(150, 50))
    assert widget.cursor().shape() == Qt.CursorShape.ArrowCursor
    window.set_tool("wl")
    hover(widget, end)
    assert widget.cursor().shape() == Qt.CursorShape.ArrowCursor
