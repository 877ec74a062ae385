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


def _film_in_window(window, qtbot, tmp_path: Path, monkeypatch):
    """A 200 x 200 film of 0.2 mm pixels open in ``window``: its first pane and scene."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_film(tmp_path / "film" / "cr.dcm", np.full((200, 200), 500, np.uint16), spacing=(0.2, 0.2))
    window.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    return widget, widget.scene


def _the_label(widget, scene, qtbot):
    """The one label drawn on the pane (after a frame is drawn)."""
    widget.grab_pixels()
    qtbot.wait(20)
    (actor,) = [a for a in scene.measure.labels.actors if a.GetVisibility()]
    return actor


def test_a_length_measured_at_the_right_edge_shows_its_whole_value(any_renderer_window, qtbot, tmp_path: Path,
                                                                   monkeypatch) -> None:
    """In both 2D renderers (the CPU raster paints VTK's text actors where VTK would draw them)."""
    widget, scene = _film_in_window(any_renderer_window, qtbot, tmp_path, monkeypatch)
    width, height = scene.renderer.GetSize()
    # a line whose right end lies 2 display pixels from the viewport's right edge, near its top
    right = scene.display_to_image(width - 2, height - 4)
    left = scene.display_to_image(width - 60, height - 4)
    for point in (left, right):
        x, y = scene.image_to_display(*point)
        scene.add_measurement_point("length", x, y)
    actor = _the_label(widget, scene, qtbot)
    assert actor.GetInput().endswith(" mm")
    x0, y0, x1, y1 = _label_box(scene, actor)
    assert x0 >= 0 and x1 <= width and y0 >= 0 and y1 <= height, ((x0, y0, x1, y1), (width, height))


def test_a_colleagues_values_at_the_right_edge_go_to_the_other_side_of_their_region(
        any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """Another system's ROI near a wide film's right edge, its five values a line each: moved left
    just enough to be read, they lay over the ROI they describe and hid it. Now they end just
    left of the ROI's left edge, whole, in both renderers."""
    import pydicom

    from lightbox.dicomreports.measurements import ImageMark, measurement_report

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = write_film(tmp_path / "film" / "ct.dcm", np.full((200, 400), 1064, np.uint16), spacing=(0.5, 0.5))
    film = pydicom.dcmread(path)
    roi = ImageMark("rectangle", [(360.0, 90.0), (395.0, 110.0)], film, area_mm2=175.0, hu=(40.0, 0.0, 40.0, 40.0))
    # and a length ending left of it: its value where the ROI's values would go (the LIDC CT's coronal
    # pane): the values go below it
    line = ImageMark("length", [(280.0, 90.0), (330.0, 90.0)], film, length_mm=25.0)
    report = measurement_report([line, roi], [film], "Other^Reader")
    report.Manufacturer = "Other PACS"  # another system's: shown as theirs
    report.save_as(tmp_path / "film" / "report.dcm", enforce_file_format=True)
    window = any_renderer_window
    window.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "Measurements by Other Reader").trigger()
    widget.grab_pixels()  # drawn
    qtbot.wait(20)
    width, height = scene.renderer.GetSize()
    region_left, _ = scene.image_to_display(360.0, 90.0)
    assert scene.image_to_display(395.0, 90.0)[0] + 100 > width  # at its right end, the values would pass the edge
    length, values = [a for labels in scene.state_graphics.texts.values() for a in labels.actors if a.GetVisibility()]
    assert length.GetInput() == "Length 25.0 mm" and values.GetInput().startswith("Area 175.0 mm²\nMean 40.0 HU")
    x0, y0, x1, y1 = _label_box(scene, values)
    assert x0 >= 0 and y0 >= 0 and y1 <= height
    assert x1 <= region_left  # whole, and left of the ROI it describes
    l0, b0, r0, t0 = _label_box(scene, length)
    assert r0 <= x0 or x1 <= l0 or t0 <= y0 or y1 <= b0  # the two do not cover each other


def test_a_line_reaching_the_right_edge_is_labelled_at_its_left_end(any_renderer_window, qtbot, tmp_path: Path,
                                                                     monkeypatch) -> None:
    """A line running to the pane's right edge (a cardiothoracic ratio's thorax line on a film shown
    whole): its value, kept inside the pane, lay over the line's own end. It now ends just left of
    the line's left end, over none of the line, whole, in both renderers."""
    widget, scene = _film_in_window(any_renderer_window, qtbot, tmp_path, monkeypatch)
    width, height = scene.renderer.GetSize()
    line_y = height / 2
    for x in (width - 200, width - 3):  # 197 display pixels long, its right end at the edge
        scene.add_measurement_point("length", x, line_y)
    actor = _the_label(widget, scene, qtbot)
    x0, y0, x1, y1 = _label_box(scene, actor)
    assert x1 <= width - 200 and x0 >= 0, ((x0, x1), width)  # left of the line, whole
