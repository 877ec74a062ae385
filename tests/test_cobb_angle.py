"""The Cobb angle (scoliosis, kyphosis): the angle between two endplate lines, each drawn by its
two ends (Tools → Cobb angle, Shift+G). Expected angles are worked out by hand from the slopes."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import write_film
from window_helpers import opened_window

from lightbox.viewer.measure import Measurement, cobb_angle, describe


def _line(degrees: float, centre: tuple[float, float], half: float = 40.0) -> list[tuple[float, float]]:
    """Two ends of a line through ``centre`` rising ``degrees`` above the horizontal as shown
    (rows grow downwards: rising is a negative row step), left end first."""
    t = math.radians(degrees)
    c, r = centre
    return [(c - half * math.cos(t), r + half * math.sin(t)), (c + half * math.cos(t), r - half * math.sin(t))]


def test_endplates_tilted_each_way_add_up() -> None:
    upper, lower = _line(20.0, (100, 50)), _line(-15.0, (100, 250))
    assert cobb_angle(upper + lower, (0.2, 0.2)) == pytest.approx(35.0)
    # the same lines with either end clicked first
    assert cobb_angle(upper[::-1] + lower, (0.2, 0.2)) == pytest.approx(35.0)
    assert cobb_angle(upper + lower[::-1], (0.2, 0.2)) == pytest.approx(35.0)
    # a severe curve: 50 degrees each way is 100, not its supplement 80
    assert cobb_angle(_line(50.0, (100, 50)) + _line(-50.0, (100, 250)), None) == pytest.approx(100.0)
    assert cobb_angle(upper + upper, None) == pytest.approx(0.0, abs=1e-5)  # acos near 1: float noise


def test_on_pixels_taller_than_wide_the_angle_is_the_physical_one() -> None:
    """Rows 0.4 mm apart, columns 0.2 mm: a line 10 columns right and 5 rows up rises 2 mm over
    2 mm, 45 degrees; a horizontal line: 0. Counted in pixels it would read 26.6."""
    points = [(0.0, 5.0), (10.0, 0.0), (0.0, 20.0), (10.0, 20.0)]
    assert cobb_angle(points, (0.4, 0.2)) == pytest.approx(45.0)
    assert describe(Measurement("cobb", points), (0.4, 0.2)) == "Cobb 45.0°"
    assert describe(Measurement("cobb", points[:3]), (0.4, 0.2)) == ""  # three points: not finished


def test_drawn_with_the_mouse_in_the_window(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Tools → Cobb angle on a film, four clicks: two lines drawn, the angle beside the second
    one, and kept with the study (the window opened again shows it)."""
    from PySide6.QtCore import QPoint, Qt

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((300, 200), 500, np.uint16), spacing=(0.2, 0.2))
    window = opened_window(qtbot, path, (1100, 800))
    window.tool_actions["cobb"].trigger()
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    # upper endplate from (40, 60) to (160, 20): rises 40 over 120; lower one from (40, 240) to (160, 260)
    for c, r in ((40, 60), (160, 20), (40, 240), (160, 260)):
        x, y = scene.image_to_display(c, r)
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(widget.height() - 1 - y)))
    (m,) = scene.measurements
    expected = math.degrees(math.atan2(40, 120)) + math.degrees(math.atan2(20, 120))  # 18.43 + 9.46
    assert m.kind == "cobb" and cobb_angle(m.points, (0.2, 0.2)) == pytest.approx(expected, abs=0.3)
    label = scene.measure.labels.actors[0].GetInput()
    assert label == f"Cobb {cobb_angle(m.points, (0.2, 0.2)):.1f}°" and label.startswith("Cobb 27.")
    # two separate lines of two points each, not one polyline through all four
    lines = scene.measure.lines._lines  # noqa: SLF001 - the drawn cells
    assert lines.GetNumberOfCells() == 2 and lines.GetNumberOfConnectivityIds() == 4
    window.area.save_annotations()
    window.close()
    again = opened_window(qtbot, path)
    (kept,) = again.area.viewports[0].scene.measurements
    assert kept.kind == "cobb" and kept.points == m.points
    again.close()
