"""The installed Qt binding keeps None's reference count: PySide6 6.12.0 on Python 3.11 returns
None from void methods without a reference, and the window aborts ("Fatal Python error:
none_dealloc") after a few thousand repaints, timer starts or processEvents calls."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 (PEP 683)")
def test_void_methods_keep_nones_reference_count(qtbot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    timer = QTimer()
    calls = [widget.update, widget.repaint, timer.start, timer.stop, QApplication.processEvents]
    before = sys.getrefcount(None)
    for _ in range(200):
        for call in calls:
            call()
    # 1,000 calls: a binding that drops a reference per call loses about 1,000
    assert sys.getrefcount(None) - before > -100
