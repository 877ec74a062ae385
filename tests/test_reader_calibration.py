"""A film calibrated by the reader against an object of known size (Tools → Calibrate by a known
length, Shift+L): a line drawn along a calibration sphere or a ruler, its true length typed, and
the film's lengths and areas are in mm by it (PS3.3 10.7.1.3 calls this calibration FIDUCIAL).
Until 2026-12-02 a film that states no pixel size (the NEMA WG04 chest films, a scanned film, a
JPEG wrapped as DICOM) could be measured in pixels only.

Expected pixel sizes and lengths are worked out by hand from the lines' pixel lengths."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import axial_positions, write_ct_series, write_film
from window_helpers import drag, image_point, opened_window

from lightbox.viewer.calibration import known_length_problem, known_length_spacing


def test_the_pixel_size_makes_the_line_as_long_as_the_object() -> None:
    # 300 columns and 400 rows: 500 pixels; 100 mm over them is 0.2 mm a pixel
    assert known_length_spacing([(0.0, 0.0), (300.0, 400.0)], 100.0, 1.0) == pytest.approx((0.2, 0.2))
    # pixels twice as tall as wide (aspect 2): 100 rows are 200 column widths; 50 mm over them is
    # 0.25 mm a column and 0.5 mm a row, the pixels' shape kept
    assert known_length_spacing([(10.0, 0.0), (10.0, 100.0)], 50.0, 2.0) == pytest.approx((0.5, 0.25))


@pytest.mark.parametrize(("points", "known", "words"), [
    ([(0.0, 0.0), (100.0, 0.0)], 0.0, "the known length must be a positive number of millimetres"),
    ([(0.0, 0.0), (100.0, 0.0)], -5.0, "the known length must be a positive number of millimetres"),
    ([(0.0, 0.0), (100.0, 0.0)], math.nan, "the known length must be a positive number of millimetres"),
    ([(0.0, 0.0), (6.0, 8.0)], 25.0, ""),  # 10 pixels: just long enough
    ([(0.0, 0.0), (10.0, 0.0)], 0.5, ""),  # under a millimetre is a length too (0.05 mm a pixel)
    ([(0.0, 0.0), (100.0, 0.0)], 1.0, ""),  # 0.01 mm a pixel: the finest allowed
    ([(0.0, 0.0), (10.0, 0.0)], 50.0, ""),  # 5 mm a pixel: the coarsest allowed
    ([(0.0, 0.0), (6.0, 7.0)], 25.0, "the line is 9.2 pixels long: draw it along the whole object of known size "
                                     "(at least 10 pixels)"),
    ([(0.0, 0.0), (100.0, 0.0)], 2500.0, "2500 mm over 100.0 pixels is 25 mm per pixel, which no radiograph has "
                                         "(0.01 to 5): check the length typed"),
    ([(0.0, 0.0), (1000.0, 0.0)], 5.0, "5 mm over 1000.0 pixels is 0.005 mm per pixel, which no radiograph has "
                                       "(0.01 to 5): check the length typed"),
])
def test_what_cannot_calibrate_a_film_is_said(points, known, words) -> None:
    assert known_length_problem(points, known, 1.0) == words


def _calibrate(qtbot, window, scene, start, end, known_mm: float | None, monkeypatch) -> None:
    widget = window.area.viewports[0]
    monkeypatch.setattr(widget, "ask_known_length", lambda prompt: known_mm)
    window.tool_actions["calibration"].trigger()
    drag(qtbot, widget, image_point(widget, scene, *start), image_point(widget, scene, *end))


def _length_label(window, scene, start, end, qtbot) -> str:
    widget = window.area.viewports[0]
    window.tool_actions["length"].trigger()
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        drag(qtbot, widget, image_point(widget, scene, *start), image_point(widget, scene, *end))
    return signal.args[0]


@pytest.fixture(params=["cpu", "vtk"])
def uncalibrated_film(qtbot, tmp_path: Path, monkeypatch, request):
    """A film that states no pixel size (as the NEMA WG04 films), in the window, each renderer."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", request.param)
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((300, 200), 500, np.uint16), spacing=None)
    window = opened_window(qtbot, path, (1100, 800))
    window.area.viewports[0].scene.one_to_one()  # a screen pixel an image pixel: the clicks land on whole pixels
    yield window, path
    window.close()


def test_a_film_calibrated_by_the_reader_is_measured_in_mm(qtbot, uncalibrated_film, monkeypatch) -> None:
    """The calibration line from (20, 50) to (170, 50): 150 pixels typed as 60 mm, 0.4 mm a pixel.
    A line of 100 rows then measures 40.0 mm; a 20 x 10 pixel rectangle drawn before the
    calibration (200 px²) is 32.0 mm² after it."""
    window, path = uncalibrated_film
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    assert _length_label(window, scene, (30, 100), (30, 200), qtbot) == "Measured 100.0 px"
    window.tool_actions["rectangle"].trigger()
    drag(qtbot, widget, image_point(widget, scene, 100, 100), image_point(widget, scene, 120, 110))
    assert "area 200.0 px²" in scene.measure.label(scene.measurements[-1])
    assert "UNCALIBRATED (px)" in scene.corners.actors["lower_right"].GetInput()

    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        _calibrate(qtbot, window, scene, (20, 50), (170, 50), 60.0, monkeypatch)
    assert signal.args[0].startswith("Calibrated by reader: 150.0 px = 60 mm, 0.4000 mm per pixel")
    assert scene.film.spacing == pytest.approx((0.4, 0.4))
    assert "0.400 x 0.400 mm by reader" in scene.corners.actors["lower_right"].GetInput()
    labels = [scene.measure.label(m) for m in scene.measurements]
    assert labels[0] == "40.0 mm"  # the length drawn before, measured again
    assert "area 32.0 mm²" in labels[1]  # the rectangle's area computed again
    assert labels[2] == "60 mm (calibration)"
    assert _length_label(window, scene, (150, 100), (150, 150), qtbot) == "Measured 20.0 mm"
    # the report's measurement lines say whose calibration the sizes are by (a ratio's diameters too)
    assert window.area.measurement_lines()[0].endswith(": length 40.0 mm (calibrated by reader)")
    window.tool_actions["ctr"].trigger()  # heart 60 pixels (24.0 mm), thorax 150 pixels (60.0 mm)
    drag(qtbot, widget, image_point(widget, scene, 60, 250), image_point(widget, scene, 120, 250))
    drag(qtbot, widget, image_point(widget, scene, 20, 270), image_point(widget, scene, 170, 270))
    assert window.area.measurement_lines()[-1].endswith(
        ": cardiothoracic ratio 0.40, heart 24.0 mm, thorax 60.0 mm (calibrated by reader)")

    # kept with the study: the window opened again measures in mm by it
    window.area.save_annotations()
    again = opened_window(qtbot, path)
    try:
        scene_again = again.area.viewports[0].scene
        assert scene_again.film.spacing == pytest.approx((0.4, 0.4))
        assert [scene_again.measure.label(m) for m in scene_again.measurements][0] == "40.0 mm"
    finally:
        again.close()


def test_deleting_the_calibration_line_measures_in_pixels_again(qtbot, uncalibrated_film, monkeypatch) -> None:
    window, _ = uncalibrated_film
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    _calibrate(qtbot, window, scene, (20, 50), (170, 50), 60.0, monkeypatch)
    assert _length_label(window, scene, (30, 100), (30, 200), qtbot) == "Measured 40.0 mm"
    calibration_line = scene.measurements[0]
    widget.pointer = scene.image_to_display(95, 50)  # the mouse on the calibration line
    window.area.active = widget
    window.delete_measurement()
    assert window.statusBar().currentMessage().startswith(
        "Deleted calibration line of 60 mm (the film is measured with its own pixel size again)")
    assert calibration_line not in scene.measurements
    assert scene.film.spacing is None
    assert [scene.measure.label(m) for m in scene.measurements] == ["100.0 px"]
    assert "UNCALIBRATED (px)" in scene.corners.actors["lower_right"].GetInput()
    window.undo_delete()
    assert scene.film.spacing == pytest.approx((0.4, 0.4))


def test_a_calibration_cancelled_or_impossible_leaves_no_line(qtbot, uncalibrated_film, monkeypatch) -> None:
    window, _ = uncalibrated_film
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    said: list[str] = []
    widget.said.connect(said.append)
    _calibrate(qtbot, window, scene, (20, 50), (170, 50), None, monkeypatch)  # Cancel in the dialog
    _calibrate(qtbot, window, scene, (20, 50), (170, 50), 1500.0, monkeypatch)  # 10 mm a pixel: mistyped
    assert said == ["Calibration not made: cancelled",
                    "Calibration not made: 1500 mm over 150.0 pixels is 10 mm per pixel, which no radiograph has "
                    "(0.01 to 5): check the length typed"]
    assert scene.measurements == [] and scene.film.spacing is None


def test_a_second_calibration_replaces_the_first_and_a_stated_size_comes_back(qtbot, tmp_path: Path, monkeypatch) -> None:
    """A film stating 0.2 mm pixels at the detector (Imager Pixel Spacing): calibrated against a
    sphere whose 25 mm shadow spans 113.6 pixels (magnified 1.136: 0.2 mm would read 22.7 mm),
    then again; the line deleted, the film's own 0.2 mm comes back."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = write_film(tmp_path / "film" / "dx.dcm", np.full((300, 200), 500, np.uint16), spacing=(0.2, 0.2),
                      spacing_keyword="ImagerPixelSpacing", modality="DX")
    window = opened_window(qtbot, path, (1100, 800))
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    prompts: list[str] = []
    monkeypatch.setattr(widget, "ask_known_length", lambda prompt: prompts.append(prompt) or 25.0)
    window.tool_actions["calibration"].trigger()
    drag(qtbot, widget, image_point(widget, scene, 40, 60), image_point(widget, scene, 160, 60))  # 120 px
    line = scene.reader_calibration()
    pixels = math.hypot(line.points[1][0] - line.points[0][0], line.points[1][1] - line.points[0][1])
    assert prompts == [f"The line is {pixels:.1f} pixels long, {pixels * 0.2:.1f} mm by the image's own pixel size "
                       "(at detector).\nThe object's true length (mm):"]
    assert scene.film.spacing == pytest.approx((25.0 / pixels, 25.0 / pixels))
    drag(qtbot, widget, image_point(widget, scene, 40, 200), image_point(widget, scene, 140, 200))  # 100 px
    assert "It replaces the calibration of 25 mm." in prompts[1]
    assert [m.kind for m in scene.measurements] == ["calibration"]  # the first line went
    second = scene.reader_calibration()
    pixels = abs(second.points[1][0] - second.points[0][0])
    assert scene.film.spacing == pytest.approx((25.0 / pixels, 25.0 / pixels))
    widget.pointer = scene.image_to_display(90, 200)
    window.area.active = widget
    window.delete_measurement()
    assert scene.film.spacing == pytest.approx((0.2, 0.2)) and scene.film.spacing_source == "ImagerPixelSpacing"
    window.close()


def test_the_measurement_report_says_what_it_leaves_out(qtbot, uncalibrated_film, monkeypatch, tmp_path,
                                                                   capsys) -> None:
    from lightbox.app.cli import main

    window, path = uncalibrated_film
    scene = window.area.viewports[0].scene
    _calibrate(qtbot, window, scene, (20, 50), (170, 50), 60.0, monkeypatch)
    _length_label(window, scene, (30, 100), (30, 200), qtbot)
    widget = window.area.viewports[0]
    window.tool_actions["ctr"].trigger()  # a cardiothoracic ratio: no TID 1500 item here either
    drag(qtbot, widget, image_point(widget, scene, 50, 150), image_point(widget, scene, 130, 150))
    drag(qtbot, widget, image_point(widget, scene, 20, 100), image_point(widget, scene, 180, 100))
    window.area.save_annotations()
    out = tmp_path / "measurements.dcm"
    assert main(["report", "measurements", str(path.parent), "--out", str(out)]) == 0  # the data folder's database
    printed = capsys.readouterr().out
    assert "the reader's calibration of film 0 (60 mm known length): the report's sizes use the image's own " \
           "pixel size (or pixels where it states none)" in printed
    assert "the cardiothoracic ratio on film 0: not written (a TID 1500 report here holds lengths, angles and " \
           "regions; Tools → Insert measurements puts it in the report's text)" in printed


def test_a_ct_is_not_calibrated_by_hand(qtbot, tmp_path: Path, monkeypatch) -> None:
    """A CT states its voxel size: the tool says so on its pane and draws nothing."""
    from PySide6.QtCore import QPoint

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_ct_series(tmp_path / "ct", axial_positions(6, spacing=2.0), rows=40, columns=40)
    window = opened_window(qtbot, tmp_path / "ct", (1100, 800))
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    assert scene.kind == "mpr"
    said: list[str] = []
    widget.said.connect(said.append)
    window.tool_actions["calibration"].trigger()
    centre = QPoint(widget.width() // 2, widget.height() // 2)
    drag(qtbot, widget, centre, centre + QPoint(80, 0))
    assert said == ["Calibrate: for a film (a radiograph, a photo); a CT, MR or PET states its voxel size"]
    assert scene.measurements == []
    window.close()
