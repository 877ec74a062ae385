"""pytest-qt drives the real window offscreen: open, W/L drag, scroll, measure, layouts."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import axial_positions, write_ct_series, write_film
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from lightbox.app.main_window import MainWindow
from lightbox.viewer.pixels import Window, window_values


@pytest.fixture
def window(any_renderer_window):
    return any_renderer_window


def wait_loaded(qtbot, w: MainWindow, timeout: float = 30.0) -> None:
    qtbot.waitUntil(lambda: not w.is_loading() and w.area.opened is not None, timeout=int(timeout * 1000))


def viewport_point(widget, scene, display_xy) -> QPoint:
    """Qt widget position of a VTK display point."""
    x, y = display_xy
    ratio = widget.devicePixelRatioF()
    return QPoint(int(round(x / ratio)), int(round(widget.height() - 1 - y / ratio)))


def grey_under(widget, point: QPoint) -> int:
    pixels = widget.grab_pixels()
    ratio = widget.devicePixelRatioF()
    rgb = pixels[int(point.y() * ratio), int(point.x() * ratio)]
    return int(rgb[0])


def test_demo_ct_opens_in_mpr_layout_with_help(window, qtbot) -> None:
    window.open_path("demo:ct")
    wait_loaded(qtbot, window)
    window.set_layout("2x2")
    kinds = [getattr(w.scene, "plane", getattr(w.scene, "kind", None)) for w in window.area.viewports]
    assert kinds == ["axial", "coronal", "sagittal", "3d"]
    qtbot.wait(50)  # the grid lays out the swapped-in viewports
    area = window.area.size()
    for w in window.area.viewports:  # four equal quarters, whichever widget draws each
        assert abs(w.width() - area.width() / 2) <= 2 and abs(w.height() - area.height() / 2) <= 2, (w.size(), area)
    assert "DEMO" in window.windowTitle()
    assert "Keyboard shortcuts" in window.help_text() and "<b>W</b>" in window.help_text()
    window.set_layout("1x2")
    assert len(window.area.viewports) == 2


def test_open_folder_drag_window_level_scroll_and_status(window, qtbot, tmp_path: Path) -> None:
    write_ct_series(tmp_path, axial_positions(30, spacing=2.0), rows=64, columns=64, window=(-20, 100))
    window.open_path(tmp_path)
    wait_loaded(qtbot, window)
    assert window.index is not None and len(window.series_items) == 1
    widget = window.area.viewports[0]
    scene = widget.scene
    assert scene.plane == "axial"
    scene.property.SetInterpolationTypeToNearest()
    centre = viewport_point(
        widget, scene, scene.world_to_display(np.array([-10.0 + 0.8 * 40, -20.0 + 0.7 * 40, scene.display.crosshair[2]]))
    )
    k = scene.slice_count()[0] - 1
    hu = 1000 + k - 1024
    assert grey_under(widget, centre) == window_values(np.array([hu]), Window(-20, 100))[0]

    # Window/level: drag 50 px right and 25 px down with the W/L tool.
    window.set_tool("wl")
    start = QPoint(widget.width() // 2, widget.height() // 2)
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, start + QPoint(50, 25))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=start + QPoint(50, 25))
    d = window.area.volume_display
    assert d.window_width == pytest.approx(100 + 50 * 4.0)
    assert d.window_center == pytest.approx(-20 + 25 * 4.0)
    assert grey_under(widget, centre) == window_values(np.array([hu]), d.window)[0]

    # Scroll: the wheel turned towards the user (down, -1 notch) moves one slice, the Down key
    # another in the same direction (they once went opposite ways); wheel up comes back.
    z0 = d.crosshair[2]
    widget.scene.wheel(1)
    assert d.crosshair[2] == pytest.approx(z0 - 2.0)
    widget.scene.wheel(-1)
    widget.scene.wheel(-1)
    assert d.crosshair[2] == pytest.approx(z0 + 2.0)
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert d.crosshair[2] == pytest.approx(z0 + 4.0)
    hu2 = hu + 2
    assert grey_under(widget, centre) == window_values(np.array([hu2]), d.window)[0]

    # Status bar: the HU under the cursor.
    # A hover (no button) sent as Qt delivers it; QTest's mouseMove does not reach native
    # child windows under the offscreen platform unless a button is down.
    hover = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(centre),
        QPointF(widget.mapToGlobal(centre)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, hover)
    assert f"{hu2} HU" in window.cursor_label.text(), window.cursor_label.text()

    # Presets by key.
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert (d.window_width, d.window_center, d.preset) == (1500, -600, "lung")


def test_measure_length_on_a_calibrated_film(window, qtbot, tmp_path: Path) -> None:
    write_film(tmp_path / "film.dcm", np.full((200, 300), 500, np.uint16), spacing=(0.2, 0.1), window=(500, 1000))
    window.open_path(tmp_path / "film.dcm")
    wait_loaded(qtbot, window)
    widget = window.area.viewports[0]
    scene = widget.scene
    assert scene.kind == "film"
    window.set_tool("length")
    a = viewport_point(widget, scene, scene.image_to_display(50, 50))
    b = viewport_point(widget, scene, scene.image_to_display(250, 150))
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=a)
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=b)
    (c0, r0), (c1, r1) = scene.measurements[0].points
    expected = np.hypot((c1 - c0) * 0.1, (r1 - r0) * 0.2)
    assert signal.args[0] == f"Measured {expected:.1f} mm"
    assert abs(expected - np.hypot(200 * 0.1, 100 * 0.2)) < 0.6  # clicks land within a pixel or two
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert scene.measurements == []


def test_the_study_browser_names_patient_and_study_as_the_overlay_does(window, qtbot, tmp_path: Path) -> None:
    """The factory's film: patient "TEST^PATIENT", ID P001, study date 20260102, no description."""
    write_film(tmp_path / "film.dcm", np.full((20, 30), 500, np.uint16))
    window.open_path(tmp_path / "film.dcm")
    wait_loaded(qtbot, window)
    patient = window.browser.topLevelItem(0)
    assert patient.text(0) == "TEST, PATIENT  (P001)"
    assert patient.child(0).text(0) == "2026-01-02 Study"


def test_loading_shows_first_slice_then_volume_and_can_cancel(window, qtbot, tmp_path: Path) -> None:
    write_ct_series(tmp_path, axial_positions(60), rows=64, columns=64)
    previews = []
    window.area.show_preview = lambda values, title: previews.append(values.shape)  # type: ignore[method-assign]
    window.open_path(tmp_path)
    wait_loaded(qtbot, window)
    assert previews == [(64, 64), (64, 64)]  # the first file found, then the sorted middle slice
    assert window.area.opened.volume.shape == (60, 64, 64)
    window.open_path(tmp_path)
    window.cancel_loading()
    assert not window.is_loading()


def test_bad_input_gives_a_message_not_a_crash(window, qtbot, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "junk.dcm").write_bytes(b"\x00" * 400)
    messages = []
    monkeypatch.setattr("lightbox.app.main_window.QMessageBox.warning", lambda *a: messages.append(a[2]))
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: bool(messages), timeout=10000)
    assert "no image found" in messages[0] and "junk.dcm" in messages[0]


def test_window_screenshot_composite_contains_the_image(window, qtbot) -> None:
    window.open_path("demo:film")
    wait_loaded(qtbot, window)
    image = window.grab_composite()
    widget = window.area.viewports[0]
    centre = widget.mapTo(window, widget.rect().center())
    ratio = image.devicePixelRatio()
    colour = image.pixelColor(int(centre.x() * ratio), int(centre.y() * ratio))
    expected = grey_under(widget, widget.rect().center())
    assert colour.red() == expected
    time.sleep(0)
