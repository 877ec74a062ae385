"""Pictures of whole windows, VTK viewports included (``QWidget.grab`` alone cannot see what
OpenGL drew: each viewport's pixels are read back and pasted in)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget


def grab_with_viewports(window: QWidget, viewports) -> QImage:
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    painter = QPainter(image)
    ratio = image.devicePixelRatio()
    for widget in viewports:
        if not widget.isVisible():
            continue
        pixels = np.ascontiguousarray(widget.grab_pixels())
        h, w, _ = pixels.shape
        tile = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        tile.setDevicePixelRatio(ratio)
        painter.drawImage(widget.mapTo(window, widget.rect().topLeft()), tile)
    painter.end()
    return image
