"""Measurements and annotations belong to their images: kept in the study database the moment
they are finished, back when the study is opened again (ROI statistics computed again from the
pixels), gone when cleared."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import shown_window
from dicom_factory import axial_positions, write_ct_series, write_film
from PySide6.QtCore import QPoint, Qt

from lightbox.app.main_window import MainWindow
from lightbox.studydb.annotations import StoredAnnotation, load_annotations, save_annotations
from lightbox.studydb.catalog import StudyCatalog


def viewport_point(widget, display_xy) -> QPoint:
    x, y = display_xy
    ratio = widget.devicePixelRatioF()
    return QPoint(int(round(x / ratio)), int(round(widget.height() - 1 - y / ratio)))


def open_and_wait(window: MainWindow, qtbot, path: Path) -> None:
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)


def test_save_replaces_an_images_set_in_one_transaction(tmp_path: Path) -> None:
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite'}")
    two = [StoredAnnotation("length", [(1.0, 2.0), (3.0, 4.0)]), StoredAnnotation("text", [(5.0, 6.0)], "nodule", 12.5)]
    save_annotations(catalog, "1.2.3", "axial", two)
    save_annotations(catalog, "1.2.3", "film 0", [StoredAnnotation("arrow", [(0.0, 0.0), (1.0, 1.0)])])
    assert load_annotations(catalog, "1.2.3", "axial") == two
    save_annotations(catalog, "1.2.3", "axial", two[1:])
    assert load_annotations(catalog, "1.2.3", "axial") == two[1:]
    assert [a.kind for a in load_annotations(catalog, "1.2.3", "film 0")] == ["arrow"]


def test_a_films_measurements_come_back_when_it_is_opened_again(qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    path = write_film(tmp_path / "film.dcm", np.full((200, 300), 500, np.uint16), spacing=(0.2, 0.1), window=(500, 1000))
    first = shown_window(qtbot)
    open_and_wait(first, qtbot, path)
    widget, scene = first.area.viewports[0], first.area.viewports[0].scene
    first.set_tool("length")
    for c, r in ((50, 50), (250, 150)):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=viewport_point(widget, scene.image_to_display(c, r)))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("left apex", True))
    first.set_tool("text")
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=viewport_point(widget, scene.image_to_display(40, 20)))
    drawn = [(m.kind, m.points, m.text) for m in scene.measurements]
    assert [k for k, _, _ in drawn] == ["length", "text"]
    first.close()  # no save button anywhere: they were kept when finished

    again = shown_window(qtbot)
    open_and_wait(again, qtbot, path)
    restored = again.area.viewports[0].scene
    assert [(m.kind, m.points, m.text) for m in restored.measurements] == drawn
    assert restored.measure.label(restored.measurements[0]) == scene.measure.label(scene.measurements[0])  # "22.4 mm"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.keyClick(again, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)  # cleared: gone for the next opening too
    again.close()
    third = shown_window(qtbot)
    open_and_wait(third, qtbot, path)
    assert third.area.viewports[0].scene.measurements == []
    third.close()


def test_an_roi_on_a_ct_slice_comes_back_on_that_slice_with_its_statistics(qtbot, tmp_path: Path) -> None:
    write_ct_series(tmp_path, axial_positions(12, spacing=2.0), rows=40, columns=40)
    first = shown_window(qtbot)
    open_and_wait(first, qtbot, tmp_path)
    scene = first.area.viewports[0].scene
    geometry = scene.volume.geometry
    z = scene.display.crosshair[2]
    first.set_tool("rectangle")
    widget = first.area.viewports[0]
    for corner in ((3 - 0.3, 2 - 0.3), (7 + 0.3, 5 + 0.3)):  # the marker square: 476 HU
        world = geometry.index_to_world((*corner, 0))
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=viewport_point(widget, scene.world_to_display(
            np.array([world[0], world[1], z]))))
    (roi,) = scene.measurements
    assert roi.statistics.mean == 476.0 and roi.statistics.pixels == 20
    first.close()

    again = shown_window(qtbot)
    open_and_wait(again, qtbot, tmp_path)
    restored = again.area.viewports[0].scene
    (back,) = restored.measurements
    assert back.points == roi.points and back.statistics.mean == 476.0 and back.statistics.pixels == 20
    assert restored.measure.items[0][1] == pytest.approx(z)  # on its own slice
    again.close()
