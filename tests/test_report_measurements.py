"""Tools → Insert measurements into the report: the panes' lengths, angles and ROIs, each once,
as a MEASUREMENTS section at the report editor's cursor, kept as any typing is. Every number
here is worked out by hand from the files' positions, pixel sizes and values."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from dicom_factory import axial_positions, restamp, write_ct_series, write_film
from window_helpers import opened_window

from lightbox.viewer.measure import Measurement


def _insert(window) -> str:  # noqa: ANN001
    tools = next(a for a in window.menuBar().actions() if a.text().replace("&", "") == "Tools").menu()
    next(a for a in tools.actions() if a.text() == "Insert measurements into the report").trigger()
    return window.ai_panel.editor.toPlainText()


def test_a_cts_length_and_roi_go_into_the_report_once(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Six axial slices 3 mm apart from z = -50 (slice n stores 1000 + n: -24 + n HU), 0.7 x 0.8
    mm pixels: a length of 30 mm along x and a rectangle of 8 x 7 mm on the third slice (z = -44,
    all -22 HU; columns 10 .. 20 and rows 10 .. 20 by their centres' mm), shown in two panes,
    given once each."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    paths = write_ct_series(tmp_path / "ct", axial_positions(6, spacing=3.0), rows=40, columns=40)
    restamp(paths, BodyPartExamined="CHEST")  # its hanging protocol: two axial panes of the same slices
    window = opened_window(qtbot, tmp_path / "ct")
    qtbot.waitUntil(lambda: window.area.link is not None, timeout=10000)
    assert _insert(window) == ""
    assert window.statusBar().currentMessage().startswith("No measurement to insert: measure first")
    scene = window.area.viewports[0].scene
    x0, y0 = -10.0, -20.0  # the slices' first pixel centre (mm); the axial plane's (u, v) = (x, -y)
    scene.measure.add(Measurement("length", [(x0 + 2.0, -(y0 + 5.0)), (x0 + 32.0, -(y0 + 5.0))]), -44.0)
    scene.measure.add(Measurement("rectangle", [(x0 + 0.8 * 9.9, -(y0 + 0.7 * 9.9)),
                                                (x0 + 0.8 * 20.1, -(y0 + 0.7 * 20.1))]), -44.0)
    window.area.save_annotations(changed=scene)  # as a mark finished with the mouse is kept: both panes show it
    assert [len(w.scene.measure.measurements) for w in window.area.viewports] == [2, 2]
    window.ai_panel.editor.setPlainText("FINDINGS: nodule.")
    window.ai_panel.editor.moveCursor(window.ai_panel.editor.textCursor().MoveOperation.End)
    area = 0.8 * 10.2 * 0.7 * 10.2  # the drawn rectangle's own area, mm²
    assert _insert(window) == (
        "FINDINGS: nodule.\n"
        "MEASUREMENTS:\n"
        "- #1 CT (6 images), axial image 3 of 6: length 30.0 mm\n"
        f"- #1 CT (6 images), axial image 3 of 6: ROI mean -22.0 HU, SD 0.0, min -22, max -22, area {area:.1f} mm²\n")
    assert window.statusBar().currentMessage() == "2 measurement(s) inserted into the report"


def test_a_film_is_named_by_its_place_and_a_signed_report_is_left_alone(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_film(tmp_path / "film" / "cr.dcm", np.zeros((50, 60), np.uint16), spacing=(0.5, 0.5))
    window = opened_window(qtbot, tmp_path / "film")
    scene = window.area.viewports[0].scene
    scene.measure.add(Measurement("angle", [(10.0, 10.0), (10.0, 30.0), (30.0, 30.0)]))  # a right angle
    scene.measure.add(Measurement("text", [(5.0, 5.0)], text="not a number"))
    assert _insert(window).endswith("MEASUREMENTS:\n- #1 CR (1 image), film 1: angle 90.0°\n")
    window.ai_panel.editor.setReadOnly(True)  # as a signed report is
    before = window.ai_panel.editor.toPlainText()
    assert _insert(window) == before
    assert window.statusBar().currentMessage() == "The report is signed (read-only): measurements are not inserted"


def test_a_priors_measurement_says_its_study(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Current and prior side by side (View → Compare with prior): a length on each; the prior's
    line names its study's date, the current's does not."""
    from test_compare_prior import ct_study

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    ct_study(tmp_path / "studies" / "now", "P1", "20260105", 0.0, 6, 1200, "1.2.3.4")
    ct_study(tmp_path / "studies" / "prior", "P1", "20250105", 0.0, 6, 1000, "1.2.3.4")
    window = opened_window(qtbot, tmp_path / "studies")
    assert window.compare_with_prior()
    qtbot.waitUntil(lambda: window.area.link is not None and not window.is_loading(), timeout=30000)
    for widget in window.area.viewports:
        widget.scene.measure.add(Measurement("length", [(-8.0, 22.0), (12.0, 22.0)]), 4.0)  # 20 mm along x, z = 4
    assert _insert(window).endswith(
        "MEASUREMENTS:\n"
        "- #1 CHEST (6 images), axial image 3 of 6: length 20.0 mm\n"
        "- #1 CHEST (6 images) (study of 2025-01-05), axial image 3 of 6: length 20.0 mm\n")
