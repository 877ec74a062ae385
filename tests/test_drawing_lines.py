"""Lengths, angles and Cobb angles drawn with the mouse as a radiologist draws them: by dragging
from one end to the other as well as by clicking each point, the line and its value following
the mouse until the last point is placed.

Until 2026-12-02 these tools took clicks only. Acting as a user in a real X window (xdotool on
the LIDC CT), a length dragged across a vessel left nothing to see: the press had placed an
invisible first point and the release nothing; the next click anywhere on that slice, however
much later, finished a length from that forgotten point, and a second click on the same spot
made a mark of "0.0 mm".

Expected values are worked out by hand from the film's pixel spacing (0.2 mm by 0.2 mm)."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series, write_film
from window_helpers import drag, hover, image_point, opened_window

SPACING_MM = 0.2


@pytest.fixture(params=["cpu", "vtk"])
def film_window(qtbot, tmp_path: Path, monkeypatch, request):
    """A calibrated film in the window, once with each 2D renderer (the CPU raster view and VTK's)."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", request.param)
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((300, 200), 500, np.uint16), spacing=(SPACING_MM, SPACING_MM))
    window = opened_window(qtbot, path, (1100, 800))
    yield window
    window.close()


def _labels(scene) -> list[str]:
    return [actor.GetInput() for actor in scene.measure.labels.actors if actor.GetVisibility()]


def _millimetres(text: str) -> float:
    match = re.fullmatch(r"(\d+\.\d) mm", text)
    assert match, text
    return float(match.group(1))


def _finished(scene) -> list:
    return [m for m in scene.measurements if m.complete]


def test_a_length_dragged_from_end_to_end_is_measured_and_shown_while_dragged(qtbot, film_window) -> None:
    """(40, 60) to (160, 220): 120 columns and 160 rows, 200 pixels of 0.2 mm: 40.0 mm."""
    film_window.tool_actions["length"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    start, end = image_point(widget, scene, 40, 60), image_point(widget, scene, 160, 220)

    def while_dragged() -> None:
        assert _finished(scene) == []  # not yet placed: the button is still down
        (live,) = _labels(scene)
        assert _millimetres(live) == pytest.approx(40.0, abs=0.3)

    drag(qtbot, widget, start, end, check=while_dragged)
    (m,) = _finished(scene)
    assert m.kind == "length"
    (c0, r0), (c1, r1) = m.points
    assert (c0, r0) == pytest.approx((40, 60), abs=1.0) and (c1, r1) == pytest.approx((160, 220), abs=1.0)
    (label,) = _labels(scene)
    assert _millimetres(label) == pytest.approx(40.0, abs=0.3)


def test_between_two_clicks_the_line_follows_the_mouse(qtbot, film_window) -> None:
    from PySide6.QtCore import Qt

    film_window.tool_actions["length"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 40, 60))
    assert _labels(scene) == []  # one point: nothing to measure yet
    hover(widget, image_point(widget, scene, 40, 160))  # 100 rows below: 20.0 mm
    (live,) = _labels(scene)
    assert _millimetres(live) == pytest.approx(20.0, abs=0.3)
    assert scene.measure.lines._lines.GetNumberOfCells() == 1  # noqa: SLF001 - the line drawn so far
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 190, 60))  # 150 columns right: 30.0 mm
    (m,) = _finished(scene)
    (label,) = _labels(scene)
    assert _millimetres(label) == pytest.approx(30.0, abs=0.3)


def test_a_second_click_on_the_first_point_makes_no_length_of_nothing(qtbot, film_window) -> None:
    from PySide6.QtCore import Qt

    film_window.tool_actions["length"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    said: list[str] = []
    widget.said.connect(said.append)
    at = image_point(widget, scene, 100, 100)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=at)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=at)
    assert _finished(scene) == []
    assert said == ["Length: that point is where the one before it is; click where it ends, or drag to it"]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 100, 200))  # 100 rows: 20.0 mm
    (m,) = _finished(scene)
    assert _millimetres(_labels(scene)[0]) == pytest.approx(20.0, abs=0.3)


def test_an_angle_drawn_as_two_drags_out_of_its_vertex(qtbot, film_window) -> None:
    """One arm dragged from (40, 100) to the vertex (100, 100), the other dragged from the vertex
    up to (100, 40): a right angle. The press on the vertex must not be taken as the third point."""
    film_window.tool_actions["angle"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    vertex = image_point(widget, scene, 100, 100)
    drag(qtbot, widget, image_point(widget, scene, 40, 100), vertex)
    assert _finished(scene) == []
    drag(qtbot, widget, vertex, image_point(widget, scene, 100, 40))
    (m,) = _finished(scene)
    assert m.kind == "angle" and len(m.points) == 3
    (a, v, c) = m.points
    arm1, arm2 = (a[0] - v[0], a[1] - v[1]), (c[0] - v[0], c[1] - v[1])
    between = math.degrees(math.acos((arm1[0] * arm2[0] + arm1[1] * arm2[1]) / (math.hypot(*arm1) * math.hypot(*arm2))))
    assert between == pytest.approx(90.0, abs=1.5)
    assert re.fullmatch(r"(89|90)\.\d°", _labels(scene)[0])


def test_a_cobb_angle_drawn_as_two_dragged_lines(qtbot, film_window) -> None:
    """Upper endplate dragged from (40, 60) to (160, 20) (rises 40 over 120: 18.4°), the lower from
    (40, 240) to (160, 260) (falls 20 over 120: 9.5°): Cobb 27.9°."""
    film_window.tool_actions["cobb"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    drag(qtbot, widget, image_point(widget, scene, 40, 60), image_point(widget, scene, 160, 20))
    drag(qtbot, widget, image_point(widget, scene, 40, 240), image_point(widget, scene, 160, 260))
    (m,) = _finished(scene)
    expected = math.degrees(math.atan2(40, 120)) + math.degrees(math.atan2(20, 120))
    value = float(re.fullmatch(r"Cobb (\d+\.\d)°", _labels(scene)[0]).group(1))
    assert value == pytest.approx(expected, abs=0.4)


def test_a_first_point_left_behind_is_dropped_with_its_tool(qtbot, film_window) -> None:
    """A length's first point placed, then W/L taken up and Length again: the next click starts a
    new length, it does not finish one from the forgotten point."""
    from PySide6.QtCore import Qt

    film_window.tool_actions["length"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 40, 60))
    film_window.tool_actions["wl"].trigger()
    film_window.tool_actions["length"].trigger()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 100, 100))
    assert _finished(scene) == []
    assert [len(m.points) for m in scene.measurements] == [1]


def test_the_last_point_goes_where_the_button_is_let_go(qtbot, film_window) -> None:
    """After the first click, the press for the second end can still be moved before it is let go
    (the value following): the length ends where the button comes up, (40, 260), 40.0 mm from
    (40, 60), not where it went down, (40, 160)."""
    from PySide6.QtCore import Qt

    film_window.tool_actions["length"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 40, 60))
    drag(qtbot, widget, image_point(widget, scene, 40, 160), image_point(widget, scene, 40, 260))
    (m,) = _finished(scene)
    assert m.points[1] == pytest.approx((40, 260), abs=1.0)
    assert _millimetres(_labels(scene)[0]) == pytest.approx(40.0, abs=0.3)


def test_the_status_bar_says_a_text_or_an_arrow_is_placed_not_measured(qtbot, film_window, monkeypatch) -> None:
    """Seen in the real window: a text annotation was reported as "Measured ascending aorta"."""
    from PySide6.QtCore import Qt

    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    monkeypatch.setattr(widget, "ask_text", lambda: "ascending aorta")  # the words typed into the dialog
    film_window.tool_actions["text"].trigger()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 50, 50))
    assert film_window.statusBar().currentMessage() == "Text placed: ascending aorta"
    film_window.tool_actions["arrow"].trigger()
    drag(qtbot, widget, image_point(widget, scene, 60, 60), image_point(widget, scene, 120, 120))
    assert film_window.statusBar().currentMessage() == "Arrow placed"
    film_window.tool_actions["length"].trigger()
    drag(qtbot, widget, image_point(widget, scene, 40, 60), image_point(widget, scene, 40, 160))
    assert re.fullmatch(r"Measured (19\.9|20\.0|20\.1) mm", film_window.statusBar().currentMessage())


def test_the_scale_bar_is_seen_over_a_white_film(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Seen in the real window on the NEMA chest film: the pale scale bar over the white abdomen
    was barely there. It is drawn with a dark shadow a pixel below, as its text is: under the bar
    the screen is dark, on it pale, whichever renderer draws it."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    white = np.full((300, 200), 4000, np.uint16)
    white[0, 0] = 0  # not uniform: a uniform film is shown mid-grey whatever its window
    path = write_film(tmp_path / "film" / "white.dcm", white, window=(1000, 2000))
    for renderer in ("cpu", "vtk"):
        monkeypatch.setenv("LIGHTBOX_2D_RENDERER", renderer)
        window = opened_window(qtbot, path, (1100, 800))
        widget, scene = window.area.viewports[0], window.area.viewports[0].scene
        points = scene.scale_bar.lines._points  # noqa: SLF001 - where the bar was put (display pixels)
        (x0, y, _), (x1, _, _) = points.GetPoint(1), points.GetPoint(2)
        shot = widget.grab_pixels()
        height = shot.shape[0]
        middle = round((x0 + x1) / 2)
        row = height - 1 - round(y)  # the bar's screen row; its shadow within the three rows under it
        on_bar, below = shot[row, middle], min((shot[r, middle] for r in range(row + 1, row + 4)), key=lambda p: int(p.max()))
        assert shot[height - 1 - round(y + 30), middle][0] == 255  # the film: white
        assert min(on_bar[:3]) > 150 and max(below[:3]) < 60, (renderer, on_bar, below)
        window.close()


def test_the_cardiothoracic_ratio_from_two_dragged_diameters(qtbot, film_window) -> None:
    """Tools → Cardiothoracic ratio (Shift+T): the heart's line from (50, 150) to (130, 150), 80
    pixels of 0.2 mm, 16.0 mm; the thorax's from (20, 100) to (180, 100), 32.0 mm: CTR 0.50. The
    report's line gives all three; a TID 1500 report says it is not written there."""
    film_window.tool_actions["ctr"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    scene.one_to_one()  # a screen pixel an image pixel: the drags land on whole pixels
    drag(qtbot, widget, image_point(widget, scene, 50, 150), image_point(widget, scene, 130, 150))
    assert _finished(scene) == []
    drag(qtbot, widget, image_point(widget, scene, 20, 100), image_point(widget, scene, 180, 100))
    (m,) = _finished(scene)
    assert _labels(scene) == ["CTR 0.50\nheart 16.0 mm\nthorax 32.0 mm"]
    assert film_window.statusBar().currentMessage() == "Measured CTR 0.50  heart 16.0 mm  thorax 32.0 mm"
    assert film_window.area.measurement_lines()[0].endswith(
        ": cardiothoracic ratio 0.50, heart 16.0 mm, thorax 32.0 mm")
    assert scene.measure.lines._lines.GetNumberOfCells() == 2  # noqa: SLF001 - two lines, not one through four points


def test_a_cardiothoracic_ratio_needs_no_pixel_size() -> None:
    """A ratio of two lengths: on a film that states no pixel size it is the same, its diameters in
    pixels; on pixels twice as tall as wide a vertical line counts twice its rows."""
    from lightbox.viewer.measure import Measurement, describe

    points = [(50.0, 150.0), (110.0, 150.0), (20.0, 100.0), (180.0, 100.0)]  # 60 and 160 pixels
    assert describe(Measurement("ctr", points), None) == "CTR 0.38\nheart 60.0 px\nthorax 160.0 px"
    assert describe(Measurement("ctr", points), (0.2, 0.2)) == "CTR 0.38\nheart 12.0 mm\nthorax 32.0 mm"
    tall = [(10.0, 0.0), (10.0, 30.0), (0.0, 0.0), (120.0, 0.0)]  # 30 rows of aspect 2: 60 columns' width
    assert describe(Measurement("ctr", tall), None, aspect=2.0) == "CTR 0.50\nheart 60.0 px\nthorax 120.0 px"
    assert describe(Measurement("ctr", points[:3]), None) == ""  # three points: not finished


def test_a_second_line_may_start_where_the_first_ended(qtbot, film_window) -> None:
    """A Cobb angle's or a cardiothoracic ratio's second line starts a line of its own: a press on
    the first line's end is its start, not a repeated point (a length of nothing is refused)."""
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    for tool, row in (("cobb", 60), ("ctr", 160)):  # apart: a press on a finished mark's end would move it
        film_window.tool_actions[tool].trigger()
        end = image_point(widget, scene, 160, row)
        drag(qtbot, widget, image_point(widget, scene, 40, row), end)
        drag(qtbot, widget, end, image_point(widget, scene, 160, row + 80))
        assert [m.kind for m in _finished(scene)][-1] == tool


def test_a_length_dragged_on_a_ct_pane(qtbot, tmp_path: Path, monkeypatch) -> None:
    """On the axial pane of a CT (rows 0.7 mm, columns 0.8 mm apart): a drag from the first slice's
    corner 20 mm along x and 15 mm along y is 25.0 mm, whatever the zoom rounds the pixels to."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    paths = write_ct_series(tmp_path / "ct", axial_positions(6, spacing=2.0), rows=60, columns=60)
    x0, y0, _ = (float(v) for v in pydicom.dcmread(paths[0]).ImagePositionPatient)
    window = opened_window(qtbot, tmp_path / "ct", (1100, 800))
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    assert scene.kind == "mpr"
    z = scene.display.crosshair[2]  # the slice shown
    window.tool_actions["length"].trigger()

    def screen(x: float, y: float):
        from PySide6.QtCore import QPoint

        dx, dy = scene.world_to_display(np.array([x, y, z]))
        return QPoint(round(dx), round(widget.height() - 1 - dy))

    drag(qtbot, widget, screen(x0 + 10, y0 + 10), screen(x0 + 30, y0 + 25))
    (m,) = [m for m in scene.measurements if m.complete]
    value = float(re.fullmatch(r"(\d+\.\d) mm", scene.measure.label(m)).group(1))
    assert value == pytest.approx(25.0, abs=0.3)  # within a screen pixel or so at this zoom
    window.close()


def test_escape_cancels_the_mark_being_drawn(qtbot, film_window) -> None:
    """A first point placed by mistake: its line follows the mouse until Esc (Tools → Cancel the
    mark being drawn) drops it; the next click starts a new length."""
    from PySide6.QtCore import Qt

    film_window.tool_actions["length"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 40, 60))
    hover(widget, image_point(widget, scene, 40, 160))
    assert len(_labels(scene)) == 1  # the line following the mouse
    qtbot.keyClick(film_window, Qt.Key.Key_Escape)
    assert scene.measurements == [] and _labels(scene) == []
    assert film_window.statusBar().currentMessage() == "Mark being drawn cancelled"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 100, 100))
    assert [len(m.points) for m in scene.measurements] == [1]


def test_between_an_rois_two_clicks_its_outline_follows_the_mouse(qtbot, film_window) -> None:
    """Clicked corner to corner (not dragged), a rectangle's outline follows the mouse after the
    first click, its values only once the second corner is placed."""
    from PySide6.QtCore import Qt

    film_window.tool_actions["rectangle"].trigger()
    widget, scene = film_window.area.viewports[0], film_window.area.viewports[0].scene
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 40, 60))
    assert scene.measure.lines._lines.GetNumberOfCells() == 0  # noqa: SLF001 - one corner: nothing drawn yet
    hover(widget, image_point(widget, scene, 90, 120))
    assert scene.measure.lines._lines.GetNumberOfCells() == 1 and _labels(scene) == []  # noqa: SLF001
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=image_point(widget, scene, 90, 120))
    (m,) = _finished(scene)
    assert "area" in _labels(scene)[0]
