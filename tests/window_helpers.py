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


def screen_greys(window: Any, scene: Any, pixels: list[tuple[float, float]]) -> list[int]:
    """The grey on screen (red channel) at each image pixel (column, row) of ``scene``, as the
    window's first viewport shows it now (both renderers)."""
    shot = window.area.viewports[0].grab_pixels()
    out = []
    for column, row in pixels:
        x, y = scene.image_to_display(column, row)
        out.append(int(shot[int(round(shot.shape[0] - 1 - y)), int(round(x))][0]))
    return out
