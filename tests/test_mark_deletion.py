"""Deleting one mark, clearing them all only when asked twice, and bringing them back (Tools →
Delete measurement, Clear all measurements..., Undo delete): Delete took every mark of every
image shown at once, with no way back."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from dicom_factory import axial_positions, write_ct_series, write_film
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from test_roi_statistics import viewport_point

from lightbox.studydb.annotations import load_annotations


def hover(widget, at: QPoint) -> None:  # noqa: ANN001
    """The mouse moved over the pane with no button down, as Qt delivers it (QTest's mouseMove
    reaches the pane under the offscreen platform only with a button down)."""
    QApplication.sendEvent(widget, QMouseEvent(QEvent.Type.MouseMove, QPointF(at), QPointF(widget.mapToGlobal(at)),
                                               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                               Qt.KeyboardModifier.NoModifier))


def _film_with_marks(window, qtbot, tmp_path: Path):  # noqa: ANN001, ANN202
    """A 0.1 x 0.2 mm film with, drawn in the window: a length across (20 mm), a length down
    (10 mm), a rectangle ROI; returns the pane and a function from image pixels to the pane's points."""
    write_film(tmp_path / "film.dcm", np.full((200, 300), 500, np.uint16), spacing=(0.2, 0.1), window=(500, 1000))
    window.open_path(tmp_path / "film.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene

    def at(c: float, r: float):  # noqa: ANN202
        return viewport_point(widget, scene.image_to_display(c, r))

    for tool, points in (("length", [(50, 50), (250, 50)]), ("length", [(50, 100), (50, 150)]),
                         ("rectangle", [(150, 100), (250, 180)])):
        window.set_tool(tool)
        for c, r in points:
            qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=at(c, r))
    assert [m.kind for m in scene.measurements] == ["length", "length", "rectangle"]
    return widget, at


def test_delete_takes_the_mark_under_the_mouse_and_undo_brings_it_back(any_renderer_window, qtbot, tmp_path: Path,
                                                                        monkeypatch) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    widget, at = _film_with_marks(window, qtbot, tmp_path)
    scene = widget.scene
    window.set_tool("wl")
    hover(widget, at(150, 51))  # a pixel off the middle of the first length
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert [m.kind for m in scene.measurements] == ["length", "rectangle"]
    assert abs(scene.measurements[0].points[0][1] - 100) < 1  # the other length stayed
    assert window.statusBar().currentMessage().startswith("Deleted length 20.0 mm (Tools → Undo delete")
    series_uid = window.area.opened.series.uid
    assert [a.kind for a in load_annotations(window.area.catalog, series_uid, "film 0")] == ["length", "rectangle"]
    hover(widget, at(200, 140))  # inside the rectangle
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert [m.kind for m in scene.measurements] == ["length"]
    hover(widget, at(280, 10))  # near nothing: the last one drawn goes
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert scene.measurements == []
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert window.statusBar().currentMessage() == "No measurement on the image shown to delete"
    for expected in (["length"], ["length", "rectangle"], ["length", "rectangle", "length"]):
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert sorted(m.kind for m in scene.measurements) == sorted(expected)
    assert len(load_annotations(window.area.catalog, series_uid, "film 0")) == 3  # kept with the study again
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.statusBar().currentMessage() == "Nothing deleted to bring back"


def test_clear_all_asks_first_and_undo_brings_them_all_back(any_renderer_window, qtbot, tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    widget, _ = _film_with_marks(window, qtbot, tmp_path)
    asked: list[str] = []

    def answer(reply):  # noqa: ANN001, ANN202
        return lambda _parent, _title, text, *a, **k: asked.append(text) or reply

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    qtbot.keyClick(window, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert "Delete all 3 measurement(s)" in asked[0] and len(widget.scene.measurements) == 3
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    qtbot.keyClick(window, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert widget.scene.measurements == [] and window.statusBar().currentMessage().startswith("Cleared 3 measurement(s)")
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(widget.scene.measurements) == 3


def test_ctrl_z_in_the_report_is_the_reports_own_undo(any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """With the keyboard in the report, Ctrl+Z undoes the typing and leaves a deleted mark deleted."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    widget, _ = _film_with_marks(window, qtbot, tmp_path)
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert len(widget.scene.measurements) == 2
    editor = window.ai_panel.editor
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus, timeout=2000)
    before = editor.toPlainText()
    qtbot.keyClicks(editor, "xyz")
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() != before + "xyz" and len(widget.scene.measurements) == 2
    editor.setReadOnly(True)  # a signed report: the text box takes no undo, and still the mark stays deleted
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(widget.scene.measurements) == 2


def test_on_a_volume_delete_takes_the_slices_mark_not_another_slices(any_renderer_window, qtbot, tmp_path: Path,
                                                                      monkeypatch) -> None:
    """Two ROIs, on slices 2 and 5 of a CT, and a 6 mm sphere about slice 5: on slice 3 (5 mm from
    the sphere's centre) with the mouse inside the sphere's cut, Delete takes the sphere; again,
    with nothing under the mouse and no mark of slice 3 left, nothing; on slice 2 its ROI alone."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    write_ct_series(tmp_path / "ct", axial_positions(8, spacing=2.5), rows=32, columns=32, spacing=(1.0, 1.0))
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    from lightbox.viewer.measure import Measurement

    z = [float(p[2]) for p in axial_positions(8, spacing=2.5)]
    scene.measure.add(Measurement("rectangle", [(-10.0, -10.0), (-5.0, -5.0)]), z[2] * float(scene.normal[2]))
    scene.measure.add(Measurement("rectangle", [(5.0, 5.0), (10.0, 10.0)]), z[5] * float(scene.normal[2]))
    scene.measure.add(Measurement("sphere", [(0.0, 0.0), (6.0, 0.0)]), z[5] * float(scene.normal[2]))
    scene.move_to(z[3] * float(scene.normal[2]))
    window.set_tool("wl")
    centre = scene.display_to_world(*scene.world_to_display(np.array([0.0, 0.0, z[3]])))
    hover(widget, viewport_point(widget, scene.world_to_display(centre + np.array([1.0, 1.0, 0.0]))))
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert [m.kind for m in scene.measurements] == ["rectangle", "rectangle"]
    assert window.statusBar().currentMessage().startswith("Deleted sphere VOI")
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert len(scene.measurements) == 2 and window.statusBar().currentMessage() == \
        "No measurement on the image shown to delete"
    scene.move_to(z[2] * float(scene.normal[2]))
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    (left,) = scene.measurements
    assert left.points == [(5.0, 5.0), (10.0, 10.0)]
