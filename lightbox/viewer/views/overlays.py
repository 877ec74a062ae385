"""2D overlays drawn on top of an image: corner text, edge orientation labels, a scale bar,
and measurement graphics. Pure VTK; positions in display pixels or world coordinates."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingAnnotation import vtkCornerAnnotation
from vtkmodules.vtkRenderingCore import (
    vtkActor2D,
    vtkCoordinate,
    vtkPolyDataMapper2D,
    vtkRenderer,
    vtkTextActor,
)

OVERLAY_COLOR = (0.86, 0.86, 0.78)  # warm light grey: readable on black and on bone
MEASURE_COLOR = (1.0, 0.78, 0.2)
NICE_LENGTHS_MM = (1, 2, 5, 10, 20, 50, 100, 200, 500)


class CornerText:
    """The four corner texts (patient, study, technique, view state)."""

    def __init__(self, renderer: vtkRenderer, font_size: int = 14) -> None:
        self.actor = vtkCornerAnnotation()
        self.actor.SetMaximumFontSize(font_size)
        self.actor.SetMinimumFontSize(9)
        self.actor.SetLinearFontScaleFactor(2)
        self.actor.SetNonlinearFontScaleFactor(1)
        prop = self.actor.GetTextProperty()
        prop.SetColor(*OVERLAY_COLOR)
        prop.SetFontFamilyToArial()
        prop.ShadowOn()
        renderer.AddViewProp(self.actor)
        self.texts: dict[str, str] = {}

    # vtkCornerAnnotation corners: 0 lower left, 1 lower right, 2 upper left, 3 upper right.
    _CORNERS = {"lower_left": 0, "lower_right": 1, "upper_left": 2, "upper_right": 3}

    def set(self, corner: str, text: str) -> None:
        self.texts[corner] = text
        self.actor.SetText(self._CORNERS[corner], text)


class EdgeLabels:
    """Orientation letters at the middle of each edge of the viewport."""

    def __init__(self, renderer: vtkRenderer, font_size: int = 16) -> None:
        self.renderer = renderer
        self.actors: dict[str, vtkTextActor] = {}
        for edge in ("left", "right", "top", "bottom"):
            actor = vtkTextActor()
            prop = actor.GetTextProperty()
            prop.SetFontSize(font_size)
            prop.SetColor(*OVERLAY_COLOR)
            prop.BoldOn()
            prop.ShadowOn()
            prop.SetJustificationToCentered()
            prop.SetVerticalJustificationToCentered()
            actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
            actor.SetPosition(*{"left": (0.025, 0.5), "right": (0.975, 0.5), "top": (0.5, 0.96), "bottom": (0.5, 0.04)}[edge])
            renderer.AddViewProp(actor)
            self.actors[edge] = actor
        self.labels: dict[str, str] = {}

    def set(self, labels: dict[str, str] | None) -> None:
        self.labels = dict(labels or {})
        for edge, actor in self.actors.items():
            actor.SetInput(self.labels.get(edge, ""))
            actor.SetVisibility(bool(self.labels.get(edge)))


def _polyline_actor(color: tuple[float, float, float], width: float, coordinate_system: str) -> tuple[vtkActor2D, vtkPoints, vtkCellArray, vtkPolyData]:
    points, lines, poly = vtkPoints(), vtkCellArray(), vtkPolyData()
    poly.SetPoints(points)
    poly.SetLines(lines)
    mapper = vtkPolyDataMapper2D()
    mapper.SetInputData(poly)
    if coordinate_system == "world":
        coordinate = vtkCoordinate()
        coordinate.SetCoordinateSystemToWorld()
        mapper.SetTransformCoordinate(coordinate)
    actor = vtkActor2D()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(*color)
    actor.GetProperty().SetLineWidth(width)
    return actor, points, lines, poly


class Polylines:
    """A set of 2D polylines (world or display coordinates), replaced as a whole on update."""

    def __init__(self, renderer: vtkRenderer, color: tuple[float, float, float], width: float = 1.5, world: bool = True) -> None:
        self.actor, self._points, self._lines, self._poly = _polyline_actor(color, width, "world" if world else "display")
        renderer.AddViewProp(self.actor)

    def set(self, polylines: Sequence[Sequence[Sequence[float]]]) -> None:
        self._points.Reset()
        self._lines.Reset()
        for line in polylines:
            ids = []
            for p in line:
                ids.append(self._points.InsertNextPoint(p[0], p[1], p[2] if len(p) > 2 else 0.0))
            if len(ids) >= 2:
                self._lines.InsertNextCell(len(ids), ids)
        self._points.Modified()
        self._lines.Modified()
        self._poly.Modified()


class ScaleBar:
    """A calibrated bar at the lower right: the longest 'nice' length under ~1/5 of the view."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.lines = Polylines(renderer, OVERLAY_COLOR, 2.0, world=False)
        self.text = vtkTextActor()
        prop = self.text.GetTextProperty()
        prop.SetFontSize(13)
        prop.SetColor(*OVERLAY_COLOR)
        prop.ShadowOn()
        prop.SetJustificationToCentered()
        renderer.AddViewProp(self.text)
        self.length_mm: float | None = None

    def update(self, screen_pixels_per_mm: float | None) -> None:
        width, height = self.renderer.GetSize()
        if not screen_pixels_per_mm or width < 80:
            self.lines.set([])
            self.text.SetInput("")
            self.length_mm = None
            return
        target = width / 5.0
        length = max((n for n in NICE_LENGTHS_MM if n * screen_pixels_per_mm <= target), default=NICE_LENGTHS_MM[0])
        px = length * screen_pixels_per_mm
        x1 = width - 0.1 * width
        x0 = x1 - px
        y = 0.1 * height + 48  # above the three-line lower-right corner text
        self.lines.set([[(x0, y + 5), (x0, y), (x1, y), (x1, y + 5)]])
        self.text.SetInput(f"{length:g} mm" if length < 10 else f"{length / 10:g} cm")
        self.text.SetPosition((x0 + x1) / 2, y + 6)
        self.length_mm = float(length)


class WorldLabels:
    """Text labels anchored at world positions (measurement values)."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.actors: list[vtkTextActor] = []

    def set(self, labels: Sequence[tuple[tuple[float, float, float], str]]) -> None:
        while len(self.actors) < len(labels):
            actor = vtkTextActor()
            prop = actor.GetTextProperty()
            prop.SetFontSize(14)
            prop.SetColor(*MEASURE_COLOR)
            prop.BoldOn()
            prop.ShadowOn()
            actor.GetPositionCoordinate().SetCoordinateSystemToWorld()
            self.renderer.AddViewProp(actor)
            self.actors.append(actor)
        for n, actor in enumerate(self.actors):
            if n < len(labels):
                position, text = labels[n]
                actor.SetInput(text)
                actor.GetPositionCoordinate().SetValue(*position)
                actor.SetVisibility(True)
            else:
                actor.SetVisibility(False)


RenderRequest = Callable[[], None]
