"""The window as a reader meets it in a test: made, shown at a size, a path opened, loaded."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def opened_window(qtbot: Any, path: Path | str, size: tuple[int, int] = (1000, 800)) -> Any:
    """A shown MainWindow of ``size`` with ``path`` opened and loaded (qtbot closes it after)."""
    from lightbox.app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    return window
