"""Run under a real X display by tests/test_real_display.py (not a test module itself): a film
opened, the AI dock widened over the pane as a dragged separator widens it, the screen read back
from the X server (what the reader sees, not a fresh rendering of the widgets), and the strip of the
dock the pane covered before searched for the film's pixels. Prints how many bright pixels it
found there."""
from __future__ import annotations

import sys
import time

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage

from lightbox.app.main_window import MainWindow
from lightbox.app.qt_start import qt_application


def main(path: str) -> int:
    app = qt_application()
    window = MainWindow()
    window.move(0, 0)
    window.resize(1400, 900)
    window.show()
    window.open_path(path)

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    deadline = time.monotonic() + 60
    while (window.area.opened is None or window.is_loading()) and time.monotonic() < deadline:
        settle(0.05)
    settle(1.0)
    dock = window.ai_dock
    before = dock.geometry()
    window.resizeDocks([dock], [dock.width() + 250], Qt.Orientation.Horizontal)  # as a dragged separator
    settle(1.5)
    after = dock.geometry()
    shot = QGuiApplication.primaryScreen().grabWindow(0).toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height = shot.width(), shot.height()
    pixels = np.frombuffer(shot.constBits(), np.uint8, shot.bytesPerLine() * height).reshape(height, -1)
    pixels = pixels[:, : width * 3].reshape(height, width, 3)
    # the strip of the dock that the pane covered before, left of the panel's widgets: bare
    # background there (the theme's #141518), never the film's light greys
    origin = dock.mapToGlobal(dock.rect().topLeft())
    left, top = origin.x(), origin.y()
    strip = pixels[top: top + dock.height(), left: left + 8]
    bright = int((strip.max(axis=-1) > 90).sum())
    print(f"dock {before.width()} -> {after.width()} px wide; bright pixels in its left strip: {bright}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
