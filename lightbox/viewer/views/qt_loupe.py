"""The magnifier (Tools → Magnifier): while the left button is held over a film or a slice, a
square lens centred on the pointer shows the image's own pixels enlarged — a chest film of
3,000 pixels a side shown whole in an 800-pixel pane hides nine of every ten of its pixels, and a
fracture line or a pneumothorax's pleural edge may lie in them. The wheel, while the button is
held, steps the magnification (image pixels 1:1 to 8:1; always at least 1.5 times the view's
own, so a film zoomed in is still enlarged in the lens). Weasis' lens and a radiologist's loupe
on a light box do the same.

The lens is a frameless top-level window (as a tooltip is): it shows over a VTK pane's native
window as over a CPU pane, and takes no mouse event (the drag goes on in the pane under it).
Its pixels are :meth:`.raster.PlaneRaster.magnified`'s: the view's window, inversion, rotation
and flips, the image's pixels nearest, never the screen's.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from .raster import PlaneRaster, channel_rasters

LOUPE_SIZE = 256  # the lens's side in logical pixels
MAGNIFICATIONS = (1, 2, 4, 8)  # lens pixels per image pixel
DEFAULT_MAGNIFICATION = 2
MIN_GAIN = 1.5  # the lens shows the image at least this much larger than the view does
NOT_MAGNIFIED = ("The magnifier shows a film's or a slice's own pixels: not on {what} (zoom with Z or the right "
                 "button instead)")


def magnifier_text(magnification: int) -> str:
    """The status bar's words while the lens is shown."""
    return f"Magnifier {magnification}:1 (each image pixel {magnification} screen pixels); wheel: 1:1 to 8:1"


class Loupe(QLabel):
    """The lens; one per pane input (:class:`.qt_vtk.SceneInput`), shown while the button is held."""

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setStyleSheet("border: 1px solid #c8b98a; background: black")
        self.magnification = DEFAULT_MAGNIFICATION
        self._scene: object | None = None
        self._rasters: list[PlaneRaster] = []
        self.pixels: np.ndarray | None = None  # the lens's last image (rows x columns x 3), as shown

    def unavailable(self, scene: object) -> str:
        """Why the lens cannot show ``scene`` ("" when it can)."""
        kind = getattr(scene, "kind", "")
        if kind not in ("film", "mpr"):
            return NOT_MAGNIFIED.format(what="a 3D rendering")
        raster = PlaneRaster(scene)
        if raster.shows_slab():
            return NOT_MAGNIFIED.format(what="a slab (its pixels are no one slice's)")
        if not raster.supported():
            return NOT_MAGNIFIED.format(what="an oblique reformat")
        return ""

    def _rasters_of(self, scene: object) -> list[PlaneRaster]:
        """One raster (a colour film: one per channel), kept while the same scene is magnified (a
        film's values are made ready once, not at every press)."""
        if scene is not self._scene:
            self._scene = scene
            if getattr(scene, "kind", "") == "mpr":
                # the volume's own array: its values windowed at the lens's few pixels (the
                # raster's 16-bit copy of a whole CT would cost a second of the press)
                self._rasters = [PlaneRaster(scene, scene.volume.array)]  # type: ignore[attr-defined]
            else:  # a film: one raster, or one per channel of a colour film
                self._rasters = channel_rasters(scene) or [PlaneRaster(scene)]
        return self._rasters

    def show_at(self, pane: QWidget, scene: object, position: QPointF, x: float, y: float) -> None:
        """The lens centred on ``position`` (the pane's Qt position; (x, y) its VTK display pixel)."""
        ratio = pane.devicePixelRatioF()
        side = int(round(LOUPE_SIZE * ratio))
        rasters = self._rasters_of(scene)
        # at least half as large again as the view: a film zoomed in to 2.5 screen pixels per
        # pixel gets 4:1 (2:1 at 1.97, seen on a MONOCHROME1 film at 197 %, magnified nothing)
        wanted = MIN_GAIN * rasters[0].screen_scale()
        if self.magnification < wanted:
            self.magnification = next((m for m in MAGNIFICATIONS if m >= wanted), MAGNIFICATIONS[-1])
        channels = [r.magnified(x, y, side, self.magnification) for r in rasters]
        rgb = np.ascontiguousarray(np.stack(channels * 3 if len(channels) == 1 else channels, axis=-1))
        self.pixels = rgb
        image = QImage(rgb.data, side, side, side * 3, QImage.Format.Format_RGB888).copy()
        image.setDevicePixelRatio(ratio)
        self.setPixmap(QPixmap.fromImage(image))
        self.resize(LOUPE_SIZE, LOUPE_SIZE)
        corner = pane.mapToGlobal(position.toPoint()) - QPoint(LOUPE_SIZE // 2, LOUPE_SIZE // 2)
        self.move(corner)
        if not self.isVisible():
            self.show()

    def step(self, steps: float) -> bool:
        """The wheel while the lens is shown: the next magnification up or down (:meth:`show_at`
        keeps it at least 1.5 times the view's own); whether it changed."""
        n = MAGNIFICATIONS.index(self.magnification)
        wanted = min(max(n + (1 if steps > 0 else -1 if steps < 0 else 0), 0), len(MAGNIFICATIONS) - 1)
        changed = wanted != n
        self.magnification = MAGNIFICATIONS[wanted]
        return changed

    def forget(self) -> None:
        """Hidden, and the scene's rasters let go (a new study opened in the pane)."""
        self.hide()
        self._scene, self._rasters = None, []
