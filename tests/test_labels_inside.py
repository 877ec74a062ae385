"""A measurement's value, and a colleague's words, are read whole: a label anchored near the
viewport's right or top edge ran off it, cut short (seen acting as a user: another system's
"Length 80.0 mm" beside a line near the right of a chest film read "Length 80.0 mm (67.2 mm b")."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from dicom_factory import write_film


def _label_box(scene, actor) -> tuple[float, float, float, float]:
    """The label's left, bottom, right and top in display pixels, as last drawn."""
    renderer = scene.renderer
    renderer.SetWorldPoint(*actor.GetPositionCoordinate().GetValue(), 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    size = [0.0, 0.0]
    actor.GetSize(renderer, size)
    return x, y, x + size[0], y + size[1]


def test_a_length_measured_at_the_right_edge_shows_its_whole_value(any_renderer_window, qtbot, tmp_path: Path,
                                                                   monkeypatch) -> None:
    """In both 2D renderers (the CPU raster paints VTK's text actors where VTK would draw them)."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_film(tmp_path / "film" / "cr.dcm", np.full((200, 200), 500, np.uint16), spacing=(0.2, 0.2))
    window = any_renderer_window
    window.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    width, height = scene.renderer.GetSize()
    # a line whose right end lies 2 display pixels from the viewport's right edge, near its top
    right = scene.display_to_image(width - 2, height - 4)
    left = scene.display_to_image(width - 60, height - 4)
    for point in (left, right):
        x, y = scene.image_to_display(*point)
        scene.add_measurement_point("length", x, y)
    widget.grab_pixels()  # drawn
    qtbot.wait(20)
    (actor,) = [a for a in scene.measure.labels.actors if a.GetVisibility()]
    assert actor.GetInput().endswith(" mm")
    x0, y0, x1, y1 = _label_box(scene, actor)
    assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height, ((x0, y0, x1, y1), (width, height))
