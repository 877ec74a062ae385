"""Pictures of whole windows, VTK viewports included (``QWidget.grab`` alone cannot see what
OpenGL drew: each viewport's pixels are read back and pasted in)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget


def rgb_image(pixels: np.ndarray) -> QImage:
    """An RGB picture (rows x columns x 3, uint8) as a QImage of its own (the array may be freed)."""
    pixels = np.ascontiguousarray(pixels[..., :3], dtype=np.uint8)
    height, width, _ = pixels.shape
    return QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def grab_with_viewports(window: QWidget, viewports) -> QImage:
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    painter = QPainter(image)
    ratio = image.devicePixelRatio()
    for widget in viewports:
        if not widget.isVisible():
            continue
        tile = rgb_image(widget.grab_pixels())
        tile.setDevicePixelRatio(ratio)
        painter.drawImage(widget.mapTo(window, widget.rect().topLeft()), tile)
    painter.end()
    return image
