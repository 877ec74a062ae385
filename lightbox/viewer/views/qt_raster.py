"""A film or MPR scene drawn without OpenGL: the image by :class:`.raster.PlaneRaster` (numpy),
the overlays by QPainter. For machines whose OpenGL is a software rasteriser (Mesa llvmpipe),
where VTK's textured image quad alone caps a 1024 x 1024 view at about 40 fps on 2 cores.

The scene stays what it is: its VTK renderer sits in a render window that is sized to the widget
but never rendered, so the scene's geometry (zoom, pan, camera) and its overlay actors keep their
state; this widget reads the overlay actors (texts, 2D polylines, their visibility, colours,
sizes and justification) and paints them, so every overlay the VTK view shows appears here too.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkRenderingCore import vtkActor2D, vtkCoordinate, vtkPolyDataMapper2D, vtkTextActor

from .overlays import OVERLAY_COLOR, OVERLAY_PLANE_RGB
from .qt_vtk import SceneInput, still_timer
from .raster import PlaneRaster, channel_rasters
from .vtk_data import new_render_window

_BIG = 4000.0  # text boxes are anchored rectangles this large, aligned by Qt


def raster_supported(scene: object) -> bool:
    """Whether the CPU path can draw this scene (a film, or an axis-aligned MPR plane)."""
    if scene is None or getattr(scene, "kind", "") not in ("film", "mpr"):
        return False
    return PlaneRaster(scene).supported()


class RasterWidget(SceneInput, QWidget):
    """Hosts one ``FilmScene`` or ``MprScene``; same signals and methods as ``VtkWidget``."""

    status = Signal(str)
    activated = Signal(object)
    measured = Signal(str)
    said = Signal(str)
    series_dropped = Signal(object, str)  # self, the UID of a series dropped on the pane
    maximise_requested = Signal(object)  # self: a double click with a navigating tool (fill the area / the grid back)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.render_window = new_render_window(offscreen=True)  # geometry only: never rendered
        self._init_input()
        self.raster: PlaneRaster | None = None
        self.channel_rasters: list[PlaneRaster] = []  # R, G, B of a colour film
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        # as the VTK widget: a plain QWidget is Preferred, and a grid hands all spare room to
        # the Expanding VTK panes beside it (a 2x2 layout with one 3D pane became lopsided)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self._font_sizes: dict[tuple[str, int, bool], int] = {}  # see _font_like_vtk
        self._to_display = vtkCoordinate()
        self._to_display.SetCoordinateSystemToWorld()
        # frames during a drag or scroll repeat the nearest pixel (fast); once the view has been
        # still for SETTLE_MS it is redrawn interpolated, as the VTK view draws it
        self._settled = True
        self._settle = still_timer(self, self._on_settled)

    # -- scene ----------------------------------------------------------------------------
    def _device_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio))

    def set_scene(self, scene: object | None) -> None:
        self.hide_loupe()  # it showed the scene going
        if self.scene is not None:
            self.render_window.RemoveRenderer(self.scene.renderer)  # type: ignore[attr-defined]
            self.scene.request_render = lambda: None  # type: ignore[attr-defined]
        self.scene = scene
        self.raster = None
        self.channel_rasters = []
        if scene is not None:
            self.render_window.SetSize(*self._device_size())
            self.render_window.AddRenderer(scene.renderer)  # type: ignore[attr-defined]
            scene.request_render = self.render  # type: ignore[attr-defined]
            scene.resized()  # type: ignore[attr-defined]
            self.raster = PlaneRaster(scene)
            self.channel_rasters = channel_rasters(scene)  # a colour film: one raster per channel
        self.render()

    def render(self) -> None:  # type: ignore[override]  # noqa: D401 - the scenes' redraw; QWidget.render is unused
        """Draw now (synchronously, so that a read-back right after sees the new frame), fast;
        the interpolated frame follows when the view has been still for a moment."""
        self._settled = False
        self._settle.start()
        if self.isVisible():
            self.repaint()

    def _on_settled(self) -> None:
        self._settled = True
        if self.isVisible():
            self.repaint()

    def _smooth(self, settled: bool) -> bool:
        """Interpolate when settled and the scene asks for it (its VTK image property: tests set
        nearest sampling to read exact voxel values)."""
        return settled and self.scene is not None and self.scene.property.GetInterpolationType() != 0  # type: ignore[attr-defined]

    def Finalize(self) -> None:  # noqa: N802 - the VTK host's name, called by the window on close
        self.render_window.Finalize()

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(ev)
        self.render_window.SetSize(*self._device_size())
        if self.scene is not None:
            self.scene.resized()  # type: ignore[attr-defined]

    # -- drawing --------------------------------------------------------------------------
    def frame(self, settled: bool | None = None) -> QImage:
        """The view as an image of the widget's device pixels (``settled``: as shown once still;
        default: as shown now)."""
        width, height = self._device_size()
        image = QImage(width, height, QImage.Format.Format_RGB32)
        image.fill(Qt.GlobalColor.black)
        if self.scene is None or self.raster is None:
            return image
        if tuple(self.render_window.GetSize()) != (width, height):
            self.render_window.SetSize(width, height)
        smooth = self._smooth(self._settled if settled is None else settled)
        painter = QPainter(image)
        if self.channel_rasters:
            rgb = np.ascontiguousarray(np.stack([r.render(width, height, smooth=smooth) for r in self.channel_rasters], -1))
            painter.drawImage(0, 0, QImage(rgb.data, width, height, width * 3, QImage.Format.Format_RGB888))
        else:
            grey = np.ascontiguousarray(self.raster.render(width, height, smooth=smooth))
            painter.drawImage(0, 0, QImage(grey.data, width, height, width, QImage.Format.Format_Grayscale8))
        fused = self.scene.fusion_rgba(width, height, smooth) if hasattr(self.scene, "fusion_rgba") else None
        if fused is not None:  # another series laid over in colour (a PET over its CT), under the marks
            self._paint_layer(painter, fused, width, height)
        film = getattr(self.scene, "film", None)
        shutter = getattr(self.scene, "shown_shutter", None) if film is not None else None
        if shutter is not None and self.scene.shutters_visible:  # type: ignore[attr-defined]
            self._paint_mask(painter, shutter.outside(), shutter.colour, width, height)
        if self.scene.overlay_planes_visible:  # type: ignore[attr-defined]
            if hasattr(self.scene, "overlay_slice"):  # an MPR pane: its slice's planes, or the segments cut there
                shown = self.scene.overlay_slice()
                try:
                    layer = self.raster.image_layer(shown[1], width, height, shown[2]) if shown is not None else None
                except ValueError:  # a layer of another plane than the pane's: not drawn (a raise here ends the app)
                    layer = None
                if layer is not None:
                    values, inside = layer
                    self._paint_layer(painter, np.where(inside[..., None], values, np.uint8(0)), width, height)
            elif (mask := getattr(self.scene, "overlay_mask", None)) is not None:  # a film's planes: green
                self._paint_mask(painter, mask, OVERLAY_PLANE_RGB, width, height)
        self._paint_overlays(painter, height)
        painter.end()
        return image

    def _paint_mask(self, painter: QPainter, mask: np.ndarray, rgb: tuple[int, int, int], width: int, height: int) -> None:
        """An image-sized mask (rows x columns) over the picture, its set pixels opaque in ``rgb``."""
        assert self.raster is not None  # (frame() paints only with a raster)
        layer = np.zeros((height, width, 4), np.uint8)
        layer[self.raster.image_mask(mask, width, height)] = (*rgb, 255)
        self._paint_layer(painter, layer, width, height)

    @staticmethod
    def _paint_layer(painter: QPainter, layer: np.ndarray, width: int, height: int) -> None:
        """A screen-sized RGBA layer over the picture."""
        layer = np.ascontiguousarray(layer)
        painter.drawImage(0, 0, QImage(layer.data, width, height, width * 4, QImage.Format.Format_RGBA8888))

    def paintEvent(self, ev) -> None:  # noqa: N802
        image = self.frame()
        image.setDevicePixelRatio(self.devicePixelRatioF())
        painter = QPainter(self)
        painter.drawImage(0, 0, image)
        painter.end()

    def grab_pixels(self) -> np.ndarray:
        """The view as an RGB numpy array (top row first), as ``VtkWidget.grab_pixels``: the
        settled (interpolated) picture, as a screenshot should show it."""
        image = self.frame(settled=True).convertToFormat(QImage.Format.Format_RGB888)
        w, h = image.width(), image.height()
        return np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()

    def _paint_overlays(self, painter: QPainter, height: int) -> None:
        renderer = self.scene.renderer  # type: ignore[attr-defined]
        renderer.InvokeEvent("StartEvent")  # what a VTK render would tell the overlays (text fitting)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        props = renderer.GetViewProps()
        props.InitTraversal()
        for _ in range(props.GetNumberOfItems()):
            prop = props.GetNextProp()
            if not prop.GetVisibility():
                continue
            if isinstance(prop, vtkTextActor):
                self._paint_text(painter, prop, renderer, height)
            elif hasattr(prop, "colour_bar"):
                self._paint_colour_bar(painter, prop.colour_bar, height)
            elif isinstance(prop, vtkActor2D) and isinstance(prop.GetMapper(), vtkPolyDataMapper2D):
                self._paint_lines(painter, prop, renderer, height)

    def _paint_colour_bar(self, painter: QPainter, bar, height: int) -> None:  # noqa: ANN001 - overlays.ColourBar
        """An ``overlays.ColourBar`` row by row, each display row its band's colour (as VTK fills them)."""
        if bar.rect is None:
            return
        x0, y0, x1, _ = bar.rect
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for y, (r, g, b) in enumerate(bar.row_colours(), start=y0):
            painter.fillRect(x0, height - 1 - y, x1 - x0, 1, QColor(int(r), int(g), int(b)))
        frame = QColor.fromRgbF(*OVERLAY_COLOR)
        for left, bottom, right, top in bar.frame_rects(bar.rect):
            painter.fillRect(left, height - top, right - left, top - bottom, frame)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)

    def _qt_point(self, x: float, y: float, height: int) -> QPointF:
        """VTK display pixel (origin bottom-left, pixel centres on integers) → QPainter point."""
        return QPointF(x + 0.5, height - 0.5 - y)

    def _paint_text(self, painter: QPainter, actor: vtkTextActor, renderer, height: int) -> None:
        text = actor.GetInput()
        if not text:
            return
        prop = actor.GetTextProperty()
        x, y = actor.GetPositionCoordinate().GetComputedDoubleDisplayValue(renderer)
        anchor = self._qt_point(x - 0.5, y - 0.5, height)
        painter.setFont(self._font_like_vtk(actor, renderer))
        horizontal = prop.GetJustification()  # 0 left, 1 centred, 2 right
        vertical = prop.GetVerticalJustification()  # 0 bottom, 1 centred, 2 top
        left = {0: anchor.x(), 1: anchor.x() - _BIG / 2, 2: anchor.x() - _BIG}[horizontal]
        top = {0: anchor.y() - _BIG, 1: anchor.y() - _BIG / 2, 2: anchor.y()}[vertical]
        flags = ({0: Qt.AlignmentFlag.AlignLeft, 1: Qt.AlignmentFlag.AlignHCenter, 2: Qt.AlignmentFlag.AlignRight}[horizontal]
                 | {0: Qt.AlignmentFlag.AlignBottom, 1: Qt.AlignmentFlag.AlignVCenter, 2: Qt.AlignmentFlag.AlignTop}[vertical])
        box = QRectF(left, top, _BIG, _BIG)
        if prop.GetShadow():
            painter.setPen(QColor(0, 0, 0))
            painter.drawText(box.translated(1, 1), int(flags), text)
        r, g, b = prop.GetColor()
        painter.setPen(QColor.fromRgbF(r, g, b, prop.GetOpacity()))
        painter.drawText(box, int(flags), text)

    def _font_like_vtk(self, actor: vtkTextActor, renderer) -> QFont:
        """Qt's font at the actor's size, made smaller when Qt's text would be wider than VTK's:
        the overlays fit their texts with VTK's own (narrower) Arial, and the system font that
        Qt finds for "Arial" could otherwise run a corner text into an orientation letter.
        Remembered per text and size (measuring with VTK costs a rasterisation)."""
        prop = actor.GetTextProperty()
        text, size, bold = actor.GetInput(), max(6, int(prop.GetFontSize())), bool(prop.GetBold())
        key = (text, size, bold)
        font = QFont("Arial")
        font.setBold(bold)
        if key not in self._font_sizes:
            box = [0.0] * 4
            actor.GetBoundingBox(renderer, box)
            vtk_width = box[1] - box[0]
            font.setPixelSize(size)
            while QFontMetricsF(font).boundingRect(QRectF(0, 0, _BIG, _BIG), 0, text).width() > vtk_width + 1 and size > 6:
                size -= 1
                font.setPixelSize(size)
            if len(self._font_sizes) > 256:
                self._font_sizes.clear()
            self._font_sizes[key] = size
        font.setPixelSize(self._font_sizes[key])
        return font

    def _world_to_display(self, points, renderer) -> np.ndarray:
        """World points (x, y[, z]) as VTK display pixels (x, y), n x 2."""
        out = []
        for p in points:
            self._to_display.SetValue(float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else 0.0)
            out.append(self._to_display.GetComputedDoubleDisplayValue(renderer)[:2])
        return np.asarray(out, dtype=float).reshape(-1, 2)

    def _paint_fills(self, painter: QPainter, actor: vtkActor2D, renderer, height: int) -> None:
        """A FilledAreas actor's outlines (world points), filled in its colour and opacity as
        VTK draws its triangles (even-odd: a concave outline's inside, as VTK triangulates it)."""
        prop = actor.GetProperty()
        r, g, b = prop.GetColor()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor.fromRgbF(r, g, b, prop.GetOpacity()))
        for ring in actor.polygons:  # type: ignore[attr-defined]
            corners = [self._qt_point(x, y, height) for x, y in self._world_to_display(ring, renderer)]
            painter.drawPolygon(QPolygonF(corners), Qt.FillRule.OddEvenFill)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_lines(self, painter: QPainter, actor: vtkActor2D, renderer, height: int) -> None:
        if hasattr(actor, "polygons"):  # filled areas (overlays.FilledAreas), not lines
            self._paint_fills(painter, actor, renderer, height)
            return
        mapper: Any = actor.GetMapper()  # a vtkPolyDataMapper2D
        poly = mapper.GetInput()
        if poly is None or poly.GetNumberOfPoints() == 0 or poly.GetLines().GetNumberOfCells() == 0:
            return
        points = vtk_to_numpy(poly.GetPoints().GetData())
        world = mapper.GetTransformCoordinate() is not None
        if world:
            xy = self._world_to_display(points, renderer)
        else:
            xy = points[:, :2].astype(float)
        prop = actor.GetProperty()
        r, g, b = prop.GetColor()
        pen = QPen(QColor.fromRgbF(r, g, b, prop.GetOpacity()))
        pen.setWidthF(float(prop.GetLineWidth()))
        painter.setPen(pen)
        connectivity = vtk_to_numpy(poly.GetLines().GetConnectivityArray())
        offsets = vtk_to_numpy(poly.GetLines().GetOffsetsArray())
        for start, end in zip(offsets[:-1], offsets[1:]):
            painter.drawPolyline(QPolygonF([self._qt_point(xy[i][0], xy[i][1], height) for i in connectivity[start:end]]))
