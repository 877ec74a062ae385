"""Any series in any pane: a series dragged from the study browser onto a pane loads there beside
the open study, with its own window; grids up to 3x3; placed series stay through layout changes
and go when another study is opened."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from dicom_factory import axial_positions, write_ct_series
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from lightbox.viewer.views.qt_vtk import SERIES_MIME


def drop_series(window, pane: int, uid: str) -> None:
    """What a drag from the browser delivers: the tree's own mime data, dropped on the pane."""
    item = window.series_items[uid]
    mime = window.browser.mimeData([item])
    assert mime.hasFormat(SERIES_MIME)
    widget = window.area.viewports[pane]
    centre = QPoint(widget.width() // 2, widget.height() // 2)
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()  # the pane takes a series
    event = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    assert event.isAccepted()


def test_a_series_dragged_onto_a_pane_shows_there_with_its_own_window(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    study = "1.2.826.0.1.3680043.8.498.1"
    write_ct_series(tmp_path / "a", axial_positions(20, spacing=2.0), rows=48, columns=48, base=1000, study_uid=study,
                    series_uid=study + ".1")
    write_ct_series(tmp_path / "b", axial_positions(10, spacing=4.0), rows=32, columns=32, base=2000, study_uid=study,
                    series_uid=study + ".2")
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    first = window.area.opened.volume
    window.set_layout("1x2")
    other = next(uid for uid in window.series_items if uid != window.area.opened.series.uid and uid.startswith(study))
    drop_series(window, 1, other)
    qtbot.waitUntil(lambda: 1 in window.area.placed and not window.is_loading(), timeout=30000)
    left, right = (w.scene for w in window.area.viewports)
    assert left.volume is first and right.plane == "axial" and right.volume is not first
    assert right.volume.array.shape[0] != first.array.shape[0]
    assert window.area.opened.volume is first  # the open study is still the one being read
    # the window keys change the active pane only
    window.activateWindow()  # as the reader's window is when they type
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    window.browser.setFocus()  # the reader came from the study browser (its type-ahead eats "1")
    qtbot.mouseClick(window.area.viewports[1], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert QApplication.focusWidget() is window.area.viewports[1]  # a click on a pane takes the keys
    qtbot.keyClick(window, Qt.Key.Key_1)  # lung preset
    assert (right.display.window_width, right.display.window_center) == (1500, -600)
    assert (left.display.window_width, left.display.window_center) != (1500, -600)
    window.set_layout("2x2")  # the placed series stays in its pane; the others follow the open volume
    assert window.area.viewports[1].scene is right and window.area.viewports[0].scene.plane == "axial"
    assert window.area.viewports[2].scene.plane == "sagittal"
    window.set_layout("3x3")
    assert len(window.area.viewports) == 9 and window.area.viewports[1].scene is right
    assert all(w.scene is None for w in window.area.viewports[4:])  # nothing placed there yet
    drop_series(window, 8, other)
    qtbot.waitUntil(lambda: 8 in window.area.placed and not window.is_loading(), timeout=30000)
    assert window.area.viewports[8].scene.volume.array.shape == right.volume.array.shape
    window.open_path("demo:film")  # another study: what was placed beside the last one goes
    qtbot.waitUntil(lambda: window.area.opened is not None and window.area.opened.is_demo, timeout=30000)
    assert window.area.placed == {}
    assert np.count_nonzero([w.scene is not None for w in window.area.viewports]) == 1


def test_reference_lines_show_where_the_other_panes_slice_cuts(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """An axial and a sagittal series of one frame of reference side by side: the axial pane
    shows where the sagittal slice cuts it (a line at its x), and follows when it is scrolled."""
    import pydicom

    window = any_renderer_window
    study, frame = "1.2.826.0.1.3680043.8.498.5", "1.2.826.0.1.3680043.8.498.6"
    axial = write_ct_series(tmp_path / "ax", axial_positions(20, spacing=2.0), rows=48, columns=48, study_uid=study,
                            series_uid=study + ".1")
    sagittal = write_ct_series(tmp_path / "sag", [(-10.0 + 4.0 * n, -20.0, 38.0) for n in range(9)], rows=40, columns=48,
                               orientation=(0, 1, 0, 0, 0, -1), study_uid=study, series_uid=study + ".2")
    for path in axial + sagittal:
        ds = pydicom.dcmread(path)
        ds.FrameOfReferenceUID = frame
        ds.save_as(path)
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.set_layout("1x2")
    drop_series(window, 1, study + ".2")
    qtbot.waitUntil(lambda: 1 in window.area.placed and not window.is_loading(), timeout=30000)
    left, right = (w.scene for w in window.area.viewports)
    assert left.plane == "axial" and right.plane == "acquired"  # the sagittal stack in its acquired slices

    def line_x(scene) -> set[float]:
        points = scene.reference_lines._points
        return {round(points.GetPoint(n)[0], 6) for n in range(points.GetNumberOfPoints())}

    assert line_x(left) == {round(right.display.crosshair[0], 6)}  # the sagittal slice's x, on the axial
    right.scroll(2)  # two sagittal slices (4 mm each) to the patient's left
    assert line_x(left) == {round(right.display.crosshair[0], 6)}
    points = right.reference_lines._points
    assert {round(points.GetPoint(n)[2], 6) for n in range(points.GetNumberOfPoints())} == {round(left.display.crosshair[2], 6)}


def test_a_study_dragged_from_the_studies_window_opens_in_a_pane(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """File → Studies lists what the study database holds; a row dropped on a pane opens that
    study's main series there, and the study browser still shows the open study."""
    from lightbox.viewer.index import build_index

    window = any_renderer_window
    write_ct_series(tmp_path / "now", axial_positions(12, spacing=2.0), rows=32, columns=32, base=1000,
                    study_uid="1.2.826.0.1.3680043.8.498.31")
    write_ct_series(tmp_path / "other", axial_positions(7, spacing=3.0), rows=24, columns=24, base=2000,
                    study_uid="1.2.826.0.1.3680043.8.498.32")
    window.catalog.add_index(build_index(tmp_path / "other"))  # recorded earlier (imported, retrieved, opened)
    window.open_path(tmp_path / "now")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    browser_series = set(window.series_items)
    window.set_layout("1x2")
    window.show_studies()
    table = window.studies_window.table
    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "1.2.826.0.1.3680043.8.498.32")
    mime = table.mimeData([table.item(row, 0)])
    widget = window.area.viewports[1]
    centre = QPoint(widget.width() // 2, widget.height() // 2)
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert enter.isAccepted() and drop.isAccepted()
    qtbot.waitUntil(lambda: 1 in window.area.placed and not window.is_loading(), timeout=30000)
    placed = window.area.viewports[1].scene
    assert placed.volume.array.shape == (7, 24, 24) and int(placed.volume.array[0, 10, 10]) == 2000 - 1024
    assert set(window.series_items) == browser_series  # the open study's browser, unchanged
    window.studies_window.close()


def test_another_patients_study_beside_the_open_one_is_called_out(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """A study dropped beside the open one may be someone else's: each pane's overlay names its
    patient, and the status bar says it is another patient."""
    from dicom_factory import restamp

    from lightbox.viewer.index import build_index

    window = any_renderer_window
    now = write_ct_series(tmp_path / "now", axial_positions(6), rows=24, columns=24, study_uid="1.2.826.0.1.3680043.8.498.41")
    restamp(now, PatientID="P100", PatientName="DOE^JANE", PatientBirthDate="19700101")
    same = write_ct_series(tmp_path / "same", axial_positions(5), rows=24, columns=24, study_uid="1.2.826.0.1.3680043.8.498.42")
    restamp(same, PatientID="P100", PatientName="DOE^JANE", PatientBirthDate="19700101")
    other = write_ct_series(tmp_path / "other", axial_positions(5), rows=24, columns=24, study_uid="1.2.826.0.1.3680043.8.498.43")
    restamp(other, PatientID="P100", PatientName="SMITH^JOHN", PatientBirthDate="19800202")  # one ID, two people
    for folder in ("same", "other"):
        window.catalog.add_index(build_index(tmp_path / folder))
    window.open_path(tmp_path / "now")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.set_layout("1x2")
    window.place_series(1, "study:1.2.826.0.1.3680043.8.498.42")
    qtbot.waitUntil(lambda: 1 in window.area.placed and not window.is_loading(), timeout=30000)
    assert "ANOTHER PATIENT" not in window.statusBar().currentMessage()
    window.place_series(1, "study:1.2.826.0.1.3680043.8.498.43")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.viewports[1].scene.volume.shape[0] == 5
                    and window.statusBar().currentMessage().startswith("ANOTHER"), timeout=30000)
    assert window.statusBar().currentMessage() == "ANOTHER PATIENT in pane 2: SMITH, JOHN (born 19800202, not 19700101)"


def test_a_vtk_pane_swapped_for_a_cpu_one_is_never_drawn_again(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Opening a CT on a machine without a GPU swaps the first pane's VTK widget for a CPU one. A
    paint event that reached the discarded VTK widget after its render window was released drew
    into it: on a real X display the window crashed at start (6 of 12 starts of the Brainix MR under
    Xvfb, a segmentation fault in vtkRenderWindow.Render from paintEvent; none in 12 after)."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QPaintEvent

    from lightbox.app.main_window import MainWindow
    from lightbox.viewer.views.qt_raster import RasterWidget
    from lightbox.viewer.views.qt_vtk import VtkWidget

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "cpu")
    write_ct_series(tmp_path / "ct", axial_positions(4, spacing=2.0), rows=20, columns=20)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    first = window.area.viewports[0]
    assert isinstance(first, VtkWidget)  # an empty pane: VTK's until something is shown
    first.deleteLater = lambda: None  # type: ignore[method-assign]  # kept to be looked at after the swap
    drawn: list[int] = []
    real_render = first.render_window.Render
    first.render_window.Render = lambda: (drawn.append(1), real_render())[1]  # type: ignore[method-assign]
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert isinstance(window.area.viewports[0], RasterWidget)  # swapped
    assert not first.isVisible()  # taken out of sight before it is deleted
    before = len(drawn)
    QApplication.sendEvent(first, QPaintEvent(QRect(0, 0, 10, 10)))
    first.render()
    assert len(drawn) == before  # released: not drawn again
    window.close()
