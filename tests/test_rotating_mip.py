"""Cine on the 3D pane turns it about the patient's head-foot axis: the rotating MIP a PET (or a
CT angiogram) is read from. Each picture is checked against the same volume rendered from a
camera placed there directly (the lateral view: from the patient's left, head up)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_views import Rendered

from lightbox.viewer.display import VolumeDisplay
from lightbox.viewer.geometry import Geometry
from lightbox.viewer.pixels import Window
from lightbox.viewer.views.volume_scene import VolumeScene
from lightbox.viewer.volume import Volume


def _asymmetric() -> Volume:
    """A bright rod along x (left-right) at the front, a block at the back right: the front,
    side and top views all differ."""
    array = np.zeros((40, 40, 40), np.int16)
    array[18:22, 8:12, 5:35] = 300  # k (z), j (y), i (x)
    array[5:15, 28:36, 28:36] = 200
    return Volume(array, Geometry(spacing=(1, 1, 1)), "PT", Window(150.5, 300))


def _mip(volume: Volume) -> Rendered:
    display = VolumeDisplay(render_preset="mip")
    display.set_window(volume.window)
    return Rendered(VolumeScene(volume, display, mapper="cpu"))


def _place(view: Rendered, offset: np.ndarray, up: tuple[float, float, float]) -> None:
    camera = view.scene.renderer.GetActiveCamera()
    focal = np.asarray(camera.GetFocalPoint())
    camera.SetPosition(*(focal + offset))
    camera.SetViewUp(*up)
    view.scene.renderer.ResetCameraClippingRange()


def test_nine_steps_turn_the_front_view_to_the_side_view() -> None:
    """From the front (camera at -y), nine 10° steps put the camera at +x of the centre, head still
    up: the picture is the one a camera placed there gives, pixel for pixel (within one level)."""
    volume = _asymmetric()
    spun, placed = _mip(volume), _mip(volume)
    front = spun.pixels()
    distance = np.linalg.norm(np.subtract(*[spun.scene.renderer.GetActiveCamera().GetPosition(),
                                            spun.scene.renderer.GetActiveCamera().GetFocalPoint()]))
    for _ in range(9):
        spun.scene.spin(10.0)
    spun.scene.on_still()
    camera = spun.scene.renderer.GetActiveCamera()
    offset = np.subtract(camera.GetPosition(), camera.GetFocalPoint())
    assert offset == pytest.approx([distance, 0.0, 0.0], abs=1e-6 * distance)
    assert camera.GetViewUp() == pytest.approx((0.0, 0.0, 1.0), abs=1e-9)
    _place(placed, np.array([distance, 0.0, 0.0]), (0.0, 0.0, 1.0))
    side, expected = spun.pixels(), placed.pixels()
    assert np.abs(side.astype(int) - expected.astype(int)).max() <= 1
    assert np.abs(side.astype(int) - front.astype(int)).max() > 100  # the rod seen end-on: another picture
    for view in (spun, placed):
        view.close()


def test_a_tilted_view_keeps_its_tilt_while_it_turns() -> None:
    """A reader who tilted the view 30° (looking down on the patient) sees it turn about the
    patient's axis, still 30° down: the camera's height over the centre stays, its place in the
    axial plane turns."""
    view = _mip(_asymmetric())
    view.scene.rotate(0.0, 30.0)
    camera = view.scene.renderer.GetActiveCamera()
    before = np.subtract(camera.GetPosition(), camera.GetFocalPoint())
    for _ in range(4):
        view.scene.spin(10.0)
    after = np.subtract(camera.GetPosition(), camera.GetFocalPoint())
    turn = np.radians(40.0)
    rotated = [before[0] * np.cos(turn) - before[1] * np.sin(turn), before[0] * np.sin(turn) + before[1] * np.cos(turn),
               before[2]]
    assert after == pytest.approx(rotated, abs=1e-6 * np.linalg.norm(before))
    view.close()


def test_space_on_the_3d_pane_turns_it(qtbot, tmp_path) -> None:  # noqa: ANN001
    """Space with the 3D pane last clicked plays the turn (10° a frame) and says CINE; Space
    again stops it. Before, Space there did nothing."""
    from dicom_factory import axial_positions, write_ct_series
    from window_helpers import opened_window

    write_ct_series(tmp_path, axial_positions(30, spacing=2.0), rows=48, columns=48)
    window = opened_window(qtbot, tmp_path)
    window.set_layout("2x2")
    pane = next(w for w in window.area.viewports if getattr(w.scene, "kind", "") == "3d")
    qtbot.mouseClick(pane, Qt.MouseButton.LeftButton, pos=pane.rect().center())
    camera = pane.scene.renderer.GetActiveCamera()
    start = np.subtract(camera.GetPosition(), camera.GetFocalPoint())
    qtbot.keyClick(pane, Qt.Key.Key_Space)
    assert window.cine.isActive() and window.cine_label.isVisible()
    qtbot.waitUntil(lambda: not np.allclose(np.subtract(camera.GetPosition(), camera.GetFocalPoint()), start),
                    timeout=5000)
    qtbot.keyClick(pane, Qt.Key.Key_Space)
    assert not window.cine.isActive()
    now = np.subtract(camera.GetPosition(), camera.GetFocalPoint())
    degrees = np.degrees(np.arctan2(now[0], -now[1]) - np.arctan2(start[0], -start[1])) % 360
    assert round(degrees, 6) % 10 == 0 and degrees > 0 and now[2] == pytest.approx(start[2], abs=1e-6)
