"""Every action of the window's menus, triggered as a reader would, with a chest CT in its hanging
protocol and then with a film open: none raises (pytest-qt fails a test on an exception in the
Qt event loop), each dialog it opens is closed again, and what the reader marked before survives
all of them. A crawl like this one, by hand, found an unflagged key image saved back by a second
pane, a key image erased by MPR -> First pane, and document dialogs blaming the reader."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, restamp, write_ct_series, write_film
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMenu, QMessageBox

# what would leave the window or wait for the file system rather than act on the study; the key
# image is flagged once before the crawl, which must keep it
SKIPPED = ("Quit", "demo", "Recent", "Key image")


def menu_actions(menu: QMenu, path: str) -> Iterator[tuple[str, QAction]]:
    for action in menu.actions():
        if action.menu() is not None:
            yield from menu_actions(action.menu(), f"{path} > {action.menu().title().replace('&', '')}")
        elif not action.isSeparator():
            yield f"{path} > {action.text().replace('&', '')}", action


def close_dialogs(window) -> list[str]:
    """Close every dialog or message box open now; their titles."""
    closed = []
    for widget in QApplication.topLevelWidgets():
        if widget is not window and widget.isVisible() and isinstance(widget, QDialog):
            closed.append(widget.windowTitle())
            widget.reject()
    return closed


@pytest.fixture
def crawl_window(qtbot, tmp_path: Path, monkeypatch):
    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "cpu")
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([], "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    said: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda _p, title, text, *a, **k: said.append(f"{title}: {text}")))
    window = MainWindow()
    window.resize(1200, 800)
    qtbot.addWidget(window)
    window.show()
    window.said = said  # type: ignore[attr-defined]
    yield window
    window.close()


def crawl(window, qtbot) -> list[str]:
    """Trigger every menu action once; the names of those triggered. A modal dialog (exec) is
    closed by a timer while it runs."""
    timer = QTimer()
    timer.timeout.connect(lambda: close_dialogs(window))
    timer.start(100)
    triggered = []
    try:
        for top in window.menuBar().actions():
            for name, action in list(menu_actions(top.menu(), top.text().replace("&", ""))):
                if any(word in name for word in SKIPPED) or not action.isEnabled():
                    continue
                action.trigger()
                qtbot.wait(20)
                qtbot.waitUntil(lambda: not window.is_loading(), timeout=30000)
                close_dialogs(window)
                triggered.append(name)
    finally:
        timer.stop()
    return triggered


def test_every_menu_action_on_a_chest_ct_and_a_film(crawl_window, qtbot, tmp_path: Path) -> None:
    from lightbox.pacs.servers import store_dir
    from lightbox.studydb.annotations import load_series_annotations

    window = crawl_window
    paths = write_ct_series(tmp_path / "ct", axial_positions(16, spacing=2.0), rows=40, columns=40)
    restamp(paths, BodyPartExamined="CHEST", PatientID="CRAWL-1")
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.link is not None, timeout=30000)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_K)  # a key image before the crawl: it must survive it
    uid = window.area.opened.series.uid
    assert [a.kind for _, a in load_series_annotations(window.catalog, uid)] == ["key"]
    triggered = crawl(window, qtbot)
    assert len(triggered) > 60 and "MPR > First pane: axial reformat (else the acquired slices)" in triggered
    window.area.save_annotations()
    assert [a.kind for _, a in load_series_annotations(window.catalog, uid)] == ["key"]
    # AI > Save key images wrote the flagged slice as a Key Object Selection (it said "flag first")
    written = [pydicom.dcmread(f) for f in store_dir().rglob("*.dcm")]
    assert [d.SOPClassUID for d in written if d.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.59"] != []
    assert not any("object has no attribute" in s for s in window.said), window.said

    write_film(tmp_path / "film" / "cr.dcm", np.full((64, 64), 500, np.uint16))
    window.open_path(tmp_path / "film" / "cr.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and not window.area.opened.is_volume, timeout=30000)
    assert len(crawl(window, qtbot)) > 60
    assert not [s for s in QApplication.topLevelWidgets() if s is not window and s.isVisible() and isinstance(s, QDialog)]
