"""Starting a Lightbox window from the command line: the one place that decides offscreen vs a
display, makes the QApplication with the reading-room theme, and runs its event loop (the main
window, the rating window and the selftest used three copies of these lines)."""
from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .theme import apply_dark_theme


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or not sys.platform.startswith("linux")


def qt_application() -> QApplication:
    """The QApplication (made once), offscreen where Linux has no display, in the dark theme."""
    if not has_display():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Lightbox")
    apply_dark_theme(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def run_event_loop(app: QApplication) -> int:
    """Run until the last window closes (or ``LIGHTBOX_EXIT_AFTER_MS``, for scripted runs)."""
    if os.environ.get("LIGHTBOX_EXIT_AFTER_MS"):
        QTimer.singleShot(int(os.environ["LIGHTBOX_EXIT_AFTER_MS"]), app.quit)
    return int(app.exec())
