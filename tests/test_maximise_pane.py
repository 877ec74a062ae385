"""A pane of a grid maximised by a double click (or View → Maximise the pane, Ctrl+M) and the grid
brought back the same way, each pane as it was: PACS viewers' double click, missing until
2026-12-02 (a reader had to change the layout, which rebuilt every pane)."""
from __future__ import annotations

from pathlib import Path

from dicom_factory import axial_positions, write_ct_series
from PySide6.QtCore import QPoint, Qt


def _open_2x2(window, qtbot, tmp_path: Path) -> None:
    write_ct_series(tmp_path / "ct", axial_positions(16, spacing=2.0), rows=40, columns=40)
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.set_layout("2x2")
    qtbot.waitUntil(lambda: not window.is_loading(), timeout=30000)
    qtbot.wait(50)


def test_a_double_click_fills_the_area_and_another_brings_the_grid_back(any_renderer_window, qtbot,
                                                                         tmp_path: Path) -> None:
    window = any_renderer_window
    _open_2x2(window, qtbot, tmp_path)
    area = window.area
    panes = list(area.viewports)
    sagittal = next(w for w in panes if getattr(w.scene, "plane", "") == "sagittal")
    scene = sagittal.scene
    sagittal.scene.scroll(3)  # a slice of its own, kept through it all
    position = scene.display.crosshair
    grid = {id(w): w.size() for w in panes}
    assert sagittal.width() < area.width() * 0.6
    qtbot.mouseDClick(sagittal, Qt.MouseButton.LeftButton, pos=QPoint(sagittal.width() // 2, sagittal.height() // 2))
    qtbot.waitUntil(lambda: sagittal.width() > area.width() * 0.9, timeout=3000)
    assert sagittal.height() > area.height() * 0.9
    assert [w.isVisible() for w in panes] == [w is sagittal for w in panes]
    assert area.active is sagittal and sagittal.scene is scene and scene.display.crosshair == position
    assert window.statusBar().currentMessage().startswith("Pane 3 fills the area: double click it, or Ctrl+M")
    # its pixels fill the area: drawn at the new size, not a stretched old frame
    assert sagittal.grab_pixels().shape[:2] == (sagittal.height(), sagittal.width())
    qtbot.mouseDClick(sagittal, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    qtbot.waitUntil(lambda: all(w.isVisible() for w in panes), timeout=3000)
    qtbot.wait(50)
    assert area.viewports == panes and {id(w): w.size() for w in panes} == grid
    assert window.statusBar().currentMessage() == ""
    assert sagittal.scene is scene and scene.display.crosshair == position


def test_the_view_menu_does_it_and_a_measuring_tool_keeps_its_double_click(any_renderer_window, qtbot,
                                                                           tmp_path: Path) -> None:
    window = any_renderer_window
    _open_2x2(window, qtbot, tmp_path)
    area = window.area
    first = area.viewports[0]
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))  # the pane last clicked
    maximise = next(a for a in window.findChildren(type(window.layout_actions["1x1"]))
                    if a.text() == "Maximise the pane / back to the grid")
    maximise.trigger()
    assert area.maximised is first and not area.viewports[1].isVisible()
    maximise.trigger()
    assert area.maximised is None and all(w.isVisible() for w in area.viewports)
    # with Length in hand a double click is two presses of the tool (its second point refused), not a maximise
    window.set_tool("length")
    qtbot.mouseDClick(first, Qt.MouseButton.LeftButton, pos=QPoint(first.width() // 2, first.height() // 2))
    assert area.maximised is None and all(w.isVisible() for w in area.viewports)
    # another layout brings the whole grid, the maximised pane forgotten
    window.set_tool("wl")
    maximise.trigger()
    window.set_layout("1x2")
    qtbot.waitUntil(lambda: not window.is_loading() and all(w.isVisible() for w in area.viewports), timeout=30000)
    assert area.maximised is None and len(area.viewports) == 2
    # one pane: nothing to maximise, said
    window.set_layout("1x1")
    qtbot.waitUntil(lambda: not window.is_loading(), timeout=30000)
    maximise.trigger()
    assert area.maximised is None
    assert window.statusBar().currentMessage().startswith("One pane already fills the area")
