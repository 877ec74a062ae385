"""File → Preferences: right and middle drags, the wheel's direction, the W/L convention, the
layout at start, the cine rate and hanging protocols on open; kept for the next start."""
from __future__ import annotations

from pathlib import Path

from conftest import shown_window
from dicom_factory import axial_positions, restamp, write_ct_series
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def test_preferences_change_the_mouse_and_wheel_and_are_kept(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))  # the reader's own preferences file
    paths = write_ct_series(tmp_path / "ct", axial_positions(20, spacing=2.0), rows=40, columns=40)
    restamp(paths, BodyPartExamined="CHEST", PatientID="PREFS-1")
    window = shown_window(qtbot)
    dialog = window.show_preferences()
    dialog.right_drag.setCurrentIndex(dialog.right_drag.findData("wl"))
    dialog.wheel_next.setChecked(False)
    dialog.default_layout.setCurrentIndex(dialog.default_layout.findData("2x2"))
    dialog.cine.setCurrentIndex(dialog.cine.findData("20"))
    dialog.hanging.setChecked(False)
    dialog.apply()
    assert window.cine_fps == 20
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.area.placed == {}  # hanging protocols off: the CT chest rule was not applied
    widget = window.area.viewports[0]
    scene = widget.scene
    width, zoom = scene.display.window_width, scene.zoom
    start = QPoint(widget.width() // 2, widget.height() // 2)
    qtbot.mousePress(widget, Qt.MouseButton.RightButton, pos=start)
    qtbot.mouseMove(widget, start + QPoint(40, 0))
    qtbot.mouseRelease(widget, Qt.MouseButton.RightButton, pos=start + QPoint(40, 0))
    assert scene.display.window_width > width and scene.zoom == zoom  # right drag: window, not zoom
    before = scene.slice_count()[0]
    towards_you = QWheelEvent(QPointF(start), QPointF(widget.mapToGlobal(start)), QPoint(0, 0), QPoint(0, -120),
                              Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, towards_you)
    assert scene.slice_count()[0] == before - 1  # reversed: towards you = the previous slice
    window.close()
    again = shown_window(qtbot)  # kept for the next start
    assert again.area.layout_name == "2x2" and again.cine_fps == 20 and not again.preferences.hanging_protocols
    assert again.area.viewports[0].right_drag == "wl" and again.area.viewports[0].wheel_sign == -1.0
    again.close()


def test_a_damaged_preferences_entry_gives_the_defaults(qtbot, tmp_path: Path, monkeypatch) -> None:
    import json

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path))
    (tmp_path / "ui_state.json").write_text(json.dumps({"preferences": {"right_drag": "explode", "cine_fps": 7}}))
    window = shown_window(qtbot)
    assert window.preferences.right_drag == "zoom" and window.cine_fps == 12
    window.close()
    # edited by hand into what the checks could not read: the window opened on none of them
    from lightbox.app.preferences import Preferences

    for damaged in (["zoom"], {"listener_port": "eleven"}, {"listener_aet": 104}, {"cine_fps": [12]},
                    {"display_pixel_pitch_mm": "wide"}, {"display_pixel_pitch_mm": -1}):
        (tmp_path / "ui_state.json").write_text(json.dumps({"preferences": damaged}))
        assert Preferences.load() == Preferences(), damaged


def test_recent_studies_and_the_last_folder_edited_into_other_shapes(qtbot, tmp_path: Path, monkeypatch) -> None:
    """ui_state.json edited by hand (found by fuzzing it): "recent": null raised TypeError from the
    File menu's Open recent, a last folder given as a list from every file dialog; the text entries
    are kept, the rest left out, and the window opens."""
    import json

    from lightbox.app.recent import last_folder, recent_studies

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path))
    for state, recent, folder in (({"recent": None, "last_folder": [None]}, [], ""),
                                  ({"recent": ["/a", 3, None, ["b"], ""], "last_folder": str(tmp_path)}, [Path("/a")],
                                   str(tmp_path)),
                                  ({"recent": "/a", "last_folder": 5, "preferences": 2.9e28}, [], "")):
        (tmp_path / "ui_state.json").write_text(json.dumps(state))
        assert (recent_studies(), last_folder()) == (recent, folder), state
    window = shown_window(qtbot)
    window.open_path(tmp_path)  # remembered over the damaged list
    assert recent_studies()[0] == tmp_path.resolve()
    window.close()


def test_view_true_size_shows_a_millimetre_as_a_millimetre_by_the_pitch_set(qtbot, tmp_path: Path, monkeypatch) -> None:
    """View → True size: a film of 0.2 mm columns (rows 0.1 mm apart) on a display whose pixels
    are 0.25 mm (set in Preferences) is shown at 0.8 screen pixels an image column, so 100 mm
    across the film (500 columns) spans 400 screen pixels, 100 mm (its rows at half that, as its
    aspect shows them). Without a pitch, or on a film without a pixel size, it is refused in words
    and the zoom stays."""
    import numpy as np
    from dicom_factory import write_film

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    write_film(tmp_path / "film" / "cr.dcm", np.zeros((600, 600), np.uint16), spacing=(0.1, 0.2))
    write_film(tmp_path / "bare" / "cr.dcm", np.zeros((60, 60), np.uint16), spacing=None)
    window = shown_window(qtbot)
    window.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    menu = next(a for a in window.menuBar().actions() if a.text().replace("&", "") == "View").menu()
    action = next(a for a in menu.actions() if a.text().startswith("True size"))
    scene = window.area.active_scene()
    zoom = scene.display.zoom
    action.trigger()  # no pitch yet
    assert scene.display.zoom == zoom
    message = window.statusBar().currentMessage()
    assert message.startswith("True size is not possible: the display's pixel pitch is not known (set it in File → Preferences")
    dialog = window.show_preferences()
    dialog.pixel_pitch.setValue(0.25)
    dialog.apply()
    action.trigger()
    assert scene.display.zoom == 0.8
    assert 500 * scene.display.zoom * 0.25 == 100.0  # 100 mm of film, in mm on the screen
    assert window.statusBar().currentMessage().startswith("True size: 1 mm on the film is 1 mm on this display")
    size = scene.size
    window.resize(window.width() - 100, window.height() - 60)
    qtbot.waitUntil(lambda: scene.size != size, timeout=5000)
    scene.resized()
    assert scene.display.zoom == 0.8  # a true size is not a zoom relative to the fitted one
    window.open_path(tmp_path / "bare")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and window.area.active_scene() is not scene, timeout=30000)
    bare = window.area.active_scene()
    zoom = bare.display.zoom
    action.trigger()
    assert bare.display.zoom == zoom
    assert window.statusBar().currentMessage() == "True size is not possible: this film states no pixel spacing"
    window.close()
    from lightbox.app.preferences import Preferences

    assert Preferences.load().display_pixel_pitch_mm == 0.25  # kept


def test_save_dialogs_start_where_the_reader_last_saved(demo_film_window, qtbot, tmp_path: Path) -> None:
    """File → Export pane as image (Ctrl+E) and the report's Export... started in the process's
    working folder (the checkout, in a session acted as a user); now in the documents folder (else
    home) until something is saved, then where it was saved."""
    from PySide6.QtCore import QStandardPaths, QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

    window = demo_film_window
    starts: list[str] = []

    def save_as(target: Path) -> None:  # the dialog open: where it starts, then the file typed and saved
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QFileDialog), dialog
        starts.append(dialog.directory().absolutePath())
        dialog.findChild(QLineEdit, "fileNameEdit").setText(str(target))  # typed into the file name field
        dialog.accept()

    export_pane = next(a for a in window.findChildren(QAction) if a.text() == "Export pane as image...")
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    first = Path(documents) if documents and Path(documents).is_dir() else Path.home()
    folder = tmp_path / "exports"
    folder.mkdir()
    QTimer.singleShot(300, lambda: save_as(folder / "pane.png"))
    export_pane.trigger()
    assert (folder / "pane.png").is_file()
    QTimer.singleShot(300, lambda: save_as(folder / "pane-2.png"))
    export_pane.trigger()
    assert (folder / "pane-2.png").is_file()
    window.ai_panel.editor.setPlainText("FINDINGS: Clear lungs.\nIMPRESSION: Normal.")
    QTimer.singleShot(300, lambda: save_as(folder / "report.txt"))
    window.ai_panel.export_button.click()
    assert (folder / "report.txt").is_file()
    assert starts == [str(first.resolve()), str(folder.resolve()), str(folder.resolve())], starts
