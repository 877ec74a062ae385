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


def image_point(widget, scene, column: float, row: float):
    """The Qt position over image pixel (column, row)."""
    from PySide6.QtCore import QPoint

    x, y = scene.image_to_display(column, row)
    return QPoint(round(x), round(widget.height() - 1 - y))


def hover(widget, at) -> None:
    """The mouse moved over the pane with no button down (QTest's move sends none offscreen)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(widget, QMouseEvent(QEvent.Type.MouseMove, QPointF(at), QPointF(widget.mapToGlobal(at)),
                                               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                               Qt.KeyboardModifier.NoModifier))


def drag(qtbot, widget, start, end, steps: int = 5, check=None) -> None:
    """The left button pressed at ``start``, moved to ``end`` in ``steps``, let go there;
    ``check()`` runs while it is still down."""
    from PySide6.QtCore import QPoint, Qt

    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for n in range(1, steps + 1):
        qtbot.mouseMove(widget, pos=QPoint(start.x() + (end.x() - start.x()) * n // steps,
                                           start.y() + (end.y() - start.y()) * n // steps))
    if check is not None:
        check()
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)
