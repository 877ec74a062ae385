"""The 3D pane in the window: the CPU ray caster on a software-OpenGL machine (the GPU mapper
there is ~15x slower), a fast unshaded first frame, a coarser level of detail while rotating,
and the full-quality frame once the view is still: the same pixels as a full-quality render of
the same camera made without any level of detail."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from window_helpers import opened_window

from lightbox.viewer.display import VolumeDisplay
from lightbox.viewer.views.volume_scene import INTERACTIVE_IMAGE_SAMPLE_DISTANCE, VolumeScene
from lightbox.viewer.views.vtk_data import new_render_window, opengl_is_software, read_pixels


def full_quality_pixels(scene: VolumeScene, size: tuple[int, int]) -> np.ndarray:
    """A separate, non-progressive scene of the same volume and preset, with the same camera."""
    reference = VolumeScene(scene.volume, VolumeDisplay(render_preset=scene.display.render_preset), mapper="cpu")
    camera, mine = reference.renderer.GetActiveCamera(), scene.renderer.GetActiveCamera()
    camera.DeepCopy(mine)
    reference.corners.set_visible(False)
    window = new_render_window(*size)
    window.AddRenderer(reference.renderer)
    reference.renderer.ResetCameraClippingRange()
    window.Render()
    try:
        return read_pixels(window)
    finally:
        window.Finalize()


def test_the_3d_pane_rotates_coarse_and_settles_to_full_quality(qtbot, monkeypatch) -> None:

    monkeypatch.delenv("LIGHTBOX_VOLUME_MAPPER", raising=False)
    window = opened_window(qtbot, "demo:ct")
    window.set_layout("2x2")
    widget = window.area.viewports[3]
    scene = widget.scene
    assert scene.kind == "3d"
    if opengl_is_software():  # this machine and CI: the CPU mapper, named as such
        assert scene.mapper_kind == "cpu" and "CPU ray casting" in scene.corners.texts["lower_right"]
    qtbot.waitUntil(lambda: not scene.needs_refinement, timeout=20000)  # shaded once still
    assert scene.property.GetShade() == 1 and "shading" not in scene.corners.texts["lower_right"]
    centre = QPoint(widget.width() // 2, widget.height() // 2)
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(widget, centre + QPoint(40, 10))
    if scene.mapper_kind == "cpu":
        assert scene.mapper.GetImageSampleDistance() == INTERACTIVE_IMAGE_SAMPLE_DISTANCE  # moving: coarse
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=centre + QPoint(40, 10))
    qtbot.waitUntil(lambda: not scene.needs_refinement, timeout=5000)
    assert scene.mapper.GetImageSampleDistance() == 1.0
    qtbot.keyClick(window, Qt.Key.Key_O)  # text overlays off: the image alone
    shown = widget.grab_pixels()
    reference = full_quality_pixels(scene, widget.render_window.GetSize())
    assert np.array_equal(shown, reference)
    window.close()
