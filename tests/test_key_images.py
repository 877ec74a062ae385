"""Key images: K flags the film or acquired slice shown ("KEY IMAGE" in its corner), kept in the
study database (back on reopening, not cleared with the marks), and written as a DICOM Key Object
Selection that references exactly those instances (read back with pydicom)."""
from __future__ import annotations

from pathlib import Path

import pydicom
from dicom_factory import axial_positions, write_ct_series
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from lightbox.app.cli import main
from lightbox.app.main_window import MainWindow
from lightbox.dicomreports.key_images import referenced_instances


def new_window(qtbot) -> MainWindow:
    window = MainWindow()
    window.resize(1100, 800)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    return window


def test_flagged_slices_come_back_and_become_a_key_object_selection(qtbot, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    paths = write_ct_series(tmp_path / "ct", axial_positions(10, spacing=2.0), rows=32, columns=32)
    window = new_window(qtbot)
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    first = scene.slice_count()[0] - 1  # the slice shown (0-based)
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert "KEY IMAGE" in scene.corners.texts["lower_left"]
    qtbot.keyClick(window, Qt.Key.Key_Down)
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert "KEY IMAGE" not in scene.corners.texts["lower_left"]  # only the flagged slice says so
    qtbot.keyClick(window, Qt.Key.Key_K)
    second = scene.slice_count()[0] - 1
    qtbot.keyClick(window, Qt.Key.Key_Delete)  # clearing the marks keeps the key images
    assert "KEY IMAGE" in scene.corners.texts["lower_left"]
    window.close()

    again = new_window(qtbot)
    again.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not again.is_loading() and again.area.opened is not None, timeout=30000)
    restored = again.area.viewports[0].scene
    restored.move_to(restored.position() + (second - (restored.slice_count()[0] - 1)) * 2.0 * float(restored.normal[2]))
    assert restored.slice_count()[0] - 1 == second and "KEY IMAGE" in restored.corners.texts["lower_left"]
    kos_path = again.save_key_images()
    again.close()
    by_z = sorted(paths, key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))  # slice order, independently
    expected = {str(pydicom.dcmread(by_z[k]).SOPInstanceUID) for k in (first, second)}
    kos = pydicom.dcmread(kos_path)
    assert kos.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.59" and set(referenced_instances(kos)) == expected
    assert kos.ConceptNameCodeSequence[0].CodeValue == "113000"  # Of Interest
    out = tmp_path / "kos.dcm"  # the command line says the same
    assert main(["report", "keyimages", str(tmp_path / "ct"), "--out", str(out)]) == 0
    assert set(referenced_instances(pydicom.dcmread(out))) == expected
    assert "2 key image(s)" in capsys.readouterr().out
