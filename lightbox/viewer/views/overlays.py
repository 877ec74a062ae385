"""2D overlays drawn on top of an image: corner text, edge orientation labels, a scale bar,
measurement graphics and DICOM overlay planes. Pure VTK; positions in display pixels or world
coordinates."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkImageData, vtkPolyData
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkFiltersCore import vtkTriangleFilter
from vtkmodules.vtkRenderingCore import (
    vtkActor2D,
    vtkCoordinate,
    vtkImageSlice,
    vtkImageSliceMapper,
    vtkPolyDataMapper2D,
    vtkRenderer,
    vtkTextActor,
)

OVERLAY_COLOR = (0.86, 0.86, 0.78)  # warm light grey: readable on black and on bone
MEASURE_COLOR = (1.0, 0.78, 0.2)
# DICOM overlay planes (60xx): a green no image grey level can be mistaken for
OVERLAY_PLANE_RGB = (64, 255, 96)
NICE_LENGTHS_MM = (1, 2, 5, 10, 20, 50, 100, 200, 500)
STATE_GRAPHIC_COLOR = (0.35, 0.85, 1.0)  # a presentation state's graphics where its layer names no colour


def state_rgb(colour: tuple[int, int, int] | None) -> tuple[float, float, float]:
    """A presentation state's layer colour (0..255 RGB, or None: its default) as VTK's 0..1."""
    if colour is None:
        return STATE_GRAPHIC_COLOR
    return colour[0] / 255.0, colour[1] / 255.0, colour[2] / 255.0


@dataclass(frozen=True)
class StateMark:
    """A presentation state's graphic on a volume's acquired slice: a polyline (``points``) or a
    text at ``points[0]``, in mm along the plane's right and up axes, on the slice at ``plane``."""

    plane: float
    points: tuple[tuple[float, float], ...]
    text: str = ""
    colour: tuple[int, int, int] | None = None
    filled: bool = False  # a closed outline whose inside the state fills (Graphic Filled, C.10.5.1.2)


@dataclass(frozen=True)
class StateEllipsoid:
    """Another reader's ellipsoid volume (an SR's SCOORD3D ELLIPSOID) in patient mm, its axes' six
    ends, with its values in words: drawn as its cut through whichever plane a pane shows."""

    ends: tuple[tuple[float, ...], ...]  # 6 x 3
    text: str = ""
    colour: tuple[int, int, int] | None = None


class CornerText:
    """The four corner texts (patient, study, technique, view state).

    Four plain text actors rather than one ``vtkCornerAnnotation``: the annotation re-lays out
    (and re-rasterises) all four corners, trying font sizes until they fit, whenever any one
    changes, which is every frame of a scroll or a window/level drag (the slice number, the
    window values): 30 ms a frame on software OpenGL. Here only the changed corner is redrawn.
    As with the annotation, the font follows the viewport's size (14 pt down to 9 pt) and a
    corner's text stops short of the middle of the viewport's edges, where the orientation
    letters are (smaller still, to 6 pt, when it would not), so corners run neither into each
    other in the small panes of a grid nor into the letters.
    """

    MARGIN = 3  # display pixels from the viewport's edges
    CENTRE_GAP = 12  # display pixels kept clear either side of an edge's middle (the orientation letter)
    _PLACES = {  # corner: (normalised x, y, horizontal justification, vertical justification)
        "lower_left": (0.0, 0.0, "Left", "Bottom"),
        "lower_right": (1.0, 0.0, "Right", "Bottom"),
        "upper_left": (0.0, 1.0, "Left", "Top"),
        "upper_right": (1.0, 1.0, "Right", "Top"),
    }

    def __init__(self, renderer: vtkRenderer, font_size: int = 14, min_font_size: int = 9) -> None:
        self.renderer = renderer
        self.max_font_size, self.min_font_size = font_size, min_font_size
        self.actors: dict[str, vtkTextActor] = {}
        for corner, (x, y, horizontal, vertical) in self._PLACES.items():
            actor = vtkTextActor()
            prop = actor.GetTextProperty()
            prop.SetColor(*OVERLAY_COLOR)
            prop.SetFontFamilyToArial()
            prop.ShadowOn()
            prop.SetFontSize(font_size)
            getattr(prop, f"SetJustificationTo{horizontal}")()
            getattr(prop, f"SetVerticalJustificationTo{vertical}")()
            coordinate = actor.GetPositionCoordinate()
            coordinate.SetCoordinateSystemToNormalizedViewport()
            coordinate.SetValue(x, y)  # moved in by MARGIN pixels once the viewport's size is known
            renderer.AddViewProp(actor)
            self.actors[corner] = actor
        self.texts: dict[str, str] = {}
        self._size: tuple[int, int] = (0, 0)
        self._unfitted: set[str] = set()
        renderer.AddObserver("StartEvent", lambda *_: self._fit_to_viewport())  # type: ignore[arg-type]  # VTK takes event names

    def set_visible(self, visible: bool) -> None:
        for actor in self.actors.values():
            actor.SetVisibility(visible)

    def set(self, corner: str, text: str) -> None:
        if self.texts.get(corner) == text:
            return
        self.texts[corner] = text
        self.actors[corner].SetInput(text)
        if self._size != (0, 0) and self.renderer.GetRenderWindow() is not None:
            self._fit(corner)
        else:
            # a scene not on screen (a pane left by a layout change, its renderer out of any
            # window): VTK cannot measure text there (a segfault), so it is fitted when next drawn
            self._unfitted.add(corner)

    def font_size_for(self, width: int, height: int) -> int:
        """14 pt in a full-size view, smaller in the small panes of a grid (as the corner
        annotation scaled: with the square root of the viewport's area)."""
        return int(min(self.max_font_size, max(self.min_font_size, round((width * height) ** 0.5 / 36))))

    def _fit(self, corner: str) -> None:
        """The viewport's font size, or smaller (down to 6 pt) until the text stops short of the
        edges' middles; lines still too long at 6 pt are cut short with an ellipsis (a long
        series description in a small pane of a grid)."""
        actor = self.actors[corner]
        width, height = self._size
        room = self.MARGIN + self.CENTRE_GAP
        max_width, max_height = width / 2 - room, height / 2 - room
        lines = self.texts.get(corner, "").split("\n")
        actor.SetInput("\n".join(lines))
        prop = actor.GetTextProperty()
        font = self.font_size_for(width, height)
        prop.SetFontSize(font)
        if not actor.GetInput():
            return
        box = [0.0, 0.0, 0.0, 0.0]

        def fits() -> bool:
            actor.GetBoundingBox(self.renderer, box)
            return box[1] - box[0] <= max_width and box[3] - box[2] <= max_height

        while not fits() and font > 6:
            font -= 1
            prop.SetFontSize(font)
        while box[1] - box[0] > max_width and max(map(len, lines)) > 1:
            longest = max(range(len(lines)), key=lambda n: len(lines[n]))
            lines[longest] = lines[longest].rstrip("\u2026")[:-1].rstrip() + "\u2026"
            actor.SetInput("\n".join(lines))
            fits()

    def _fit_to_viewport(self) -> None:
        size = tuple(self.renderer.GetSize())
        if size == self._size:
            for corner in sorted(self._unfitted):
                self._fit(corner)
            self._unfitted.clear()
            return
        self._unfitted.clear()
        self._size = size  # type: ignore[assignment]
        for corner, actor in self.actors.items():
            self._fit(corner)
            x, y, _, _ = self._PLACES[corner]
            dx = self.MARGIN if x == 0.0 else -self.MARGIN
            dy = self.MARGIN if y == 0.0 else -self.MARGIN
            w, h = max(size[0], 1), max(size[1], 1)
            actor.GetPositionCoordinate().SetValue(x + dx / w, y + dy / h)


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
        self.shown = True  # the overlays toggle (O): letters set while hidden stay hidden

    def set(self, labels: dict[str, str] | None) -> None:
        self.labels = dict(labels or {})
        for edge, actor in self.actors.items():
            actor.SetInput(self.labels.get(edge, ""))
            actor.SetVisibility(self.shown and bool(self.labels.get(edge)))

    def set_visible(self, visible: bool) -> None:
        self.shown = visible
        self.set(self.labels)


def _polyline_actor(color: tuple[float, float, float], width: float,
                    coordinate_system: str) -> tuple[vtkActor2D, vtkPoints, vtkCellArray, vtkPolyData]:
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
        # a dark copy a pixel down and right, drawn first, as the text's shadow: over a film's white
        # (a PA chest's abdomen) the pale bar alone was barely seen
        self.shadow = Polylines(renderer, (0.0, 0.0, 0.0), 2.0, world=False)
        self.lines = Polylines(renderer, OVERLAY_COLOR, 2.0, world=False)
        self.text = vtkTextActor()
        prop = self.text.GetTextProperty()
        prop.SetFontSize(13)
        prop.SetColor(*OVERLAY_COLOR)
        prop.ShadowOn()
        prop.SetJustificationToCentered()
        renderer.AddViewProp(self.text)
        self.length_mm: float | None = None

    @property
    def props(self) -> tuple[vtkActor2D, vtkActor2D, vtkTextActor]:
        """What it draws (the bar, its shadow, its length), shown or hidden together."""
        return self.lines.actor, self.shadow.actor, self.text

    def update(self, screen_pixels_per_mm: float | None) -> None:
        width, height = self.renderer.GetSize()
        if not screen_pixels_per_mm or width < 80:
            self.lines.set([])
            self.shadow.set([])
            self.text.SetInput("")
            self.length_mm = None
            return
        target = width / 5.0
        length = max((n for n in NICE_LENGTHS_MM if n * screen_pixels_per_mm <= target), default=NICE_LENGTHS_MM[0])
        px = length * screen_pixels_per_mm
        x1 = width - 0.1 * width
        x0 = x1 - px
        y = 0.1 * height + 48  # above the three-line lower-right corner text
        bar = [(x0, y + 5), (x0, y), (x1, y), (x1, y + 5)]
        self.lines.set([bar])
        self.shadow.set([[(x + 1, y - 1) for x, y in bar]])
        self.text.SetInput(f"{length:g} mm" if length < 10 else f"{length / 10:g} cm")
        self.text.SetPosition((x0 + x1) / 2, y + 6)
        self.length_mm = float(length)


Point3 = tuple[float, float, float]
# a text in world coordinates: its anchor, the text, and the other side of what it labels (or None)
PlacedText = tuple[Point3, str, Point3 | None]


class WorldLabels:
    """Text labels anchored at world positions (measurement values), kept inside the viewport:
    a label whose anchor lies near the right or top edge (a length measured at the edge of a
    zoomed film, a colleague's value beside a region at the image's edge) ran off it, cut short;
    each one is moved in, as drawn, just enough to be read whole. A label may name a second place,
    the other side of what it labels: one that would pass the right edge, or cover a label drawn
    before it, is put there instead, its right end at that point (moved left over its own region,
    a colleague's five ROI values hid the ROI and the length beside it); one that still covers
    another goes below it."""

    MARGIN = 3  # display pixels from the viewport's edges

    def __init__(self, renderer: vtkRenderer, color: tuple[float, float, float] = MEASURE_COLOR) -> None:
        self.renderer = renderer
        self.color = color
        self.actors: list[vtkTextActor] = []
        self.anchors: list[tuple[float, float, float]] = []
        self.other_sides: list[tuple[float, float, float] | None] = []
        renderer.AddObserver("StartEvent", lambda *_: self._keep_inside())  # type: ignore[arg-type]  # VTK takes event names

    def _keep_inside(self) -> None:
        """Place each label at its anchor, moved left or down into the viewport where its text
        would pass the edge (the camera of this render: the zoom and pan as they are now); one
        that would pass the right edge, or cover a label placed before it, on the other side of
        what it labels where it names one and fits there; one still covering another, below it."""
        width, height = self.renderer.GetSize()
        if width < 2 or height < 2 or self.renderer.GetRenderWindow() is None:
            return  # not on screen: VTK cannot measure text there
        # display points are the render window's: a pane of a grid (the screenshot's panes share
        # one window) starts at its viewport's origin, not at 0 (labels of the upper and right
        # panes were pushed out of them)
        left, bottom = self.renderer.GetOrigin()
        size = [0.0, 0.0]
        placed: list[tuple[float, float, float, float]] = []  # the boxes drawn so far: left, bottom, right, top

        def inside(x: float, y: float) -> tuple[float, float]:
            return (max(left + self.MARGIN, min(x, left + width - size[0] - self.MARGIN)),
                    max(bottom + self.MARGIN, min(y, bottom + height - size[1] - self.MARGIN)))

        def covered(x: float, y: float) -> tuple[float, float, float, float] | None:
            return next((b for b in placed if x < b[2] and b[0] < x + size[0] and y < b[3] and b[1] < y + size[1]), None)

        for anchor, other_side, actor in zip(self.anchors, self.other_sides, self.actors, strict=False):
            if not actor.GetVisibility():
                continue
            x, y, depth = self._display(anchor)
            actor.GetSize(self.renderer, size)
            at_x, at_y = inside(x, y)
            passes_edge = x + size[0] > left + width - self.MARGIN
            if other_side is not None and (passes_edge or covered(at_x, at_y)):
                other_x, other_y, _ = self._display(other_side)
                flipped = inside(other_x - size[0], other_y)  # there, ending at it
                if other_x - size[0] >= left + self.MARGIN and (passes_edge or not covered(*flipped)):
                    at_x, at_y = flipped
            for _ in range(len(placed)):  # still over another label: below it
                hit = covered(at_x, at_y)
                if hit is None or hit[1] - size[1] - 2 < bottom + self.MARGIN:
                    break
                at_y = hit[1] - size[1] - 2
            placed.append((at_x, at_y, at_x + size[0], at_y + size[1]))
            place = anchor if (at_x, at_y) == (x, y) else self._world(at_x, at_y, depth, anchor)
            actor.GetPositionCoordinate().SetValue(*place)

    def _display(self, world: tuple[float, float, float]) -> tuple[float, float, float]:
        self.renderer.SetWorldPoint(*world, 1.0)
        self.renderer.WorldToDisplay()
        x, y, depth = self.renderer.GetDisplayPoint()
        return x, y, depth

    def _world(self, x: float, y: float, depth: float, fallback: tuple[float, float, float]) -> tuple[float, float, float]:
        self.renderer.SetDisplayPoint(x, y, depth)
        self.renderer.DisplayToWorld()
        wx, wy, wz, w = self.renderer.GetWorldPoint()
        return (wx / w, wy / w, wz / w) if w else fallback

    def set(self, labels: Sequence[tuple[Point3, str] | PlacedText]) -> None:
        """``labels``: (anchor, text) or (anchor, text, the other side's place) in world coordinates."""
        while len(self.actors) < len(labels):
            actor = vtkTextActor()
            prop = actor.GetTextProperty()
            prop.SetFontSize(14)
            prop.SetColor(*self.color)
            prop.BoldOn()
            prop.ShadowOn()
            actor.GetPositionCoordinate().SetCoordinateSystemToWorld()
            self.renderer.AddViewProp(actor)
            self.actors.append(actor)
        for n, actor in enumerate(self.actors):
            if n < len(labels):
                position, text = labels[n][:2]
                actor.SetInput(text)
                actor.GetPositionCoordinate().SetValue(*position)
                actor.SetVisibility(True)
            else:
                actor.SetVisibility(False)
        self.anchors = [tuple(label[0]) for label in labels]  # type: ignore[misc]
        self.other_sides = [tuple(label[2]) if len(label) > 2 and label[2] is not None else None  # type: ignore[misc]
                            for label in labels]


FILL_OPACITY = 0.3  # a filled graphic's inside: its colour over the image, which stays seen


class FilledAreas:
    """Closed outlines filled translucently (a presentation state's GraphicFilled "Y", PS3.3
    C.10.5.1.2: "displayed as filled, in some unspecified manner that shall be distinguishable
    from an unfilled" one): the image stays visible under the fill. VTK draws them as triangles
    (vtkTriangleFilter: a concave outline too); the outlines themselves are kept on the actor
    (``polygons``) for the Qt painter of the CPU path."""

    def __init__(self, renderer: vtkRenderer, color: tuple[float, float, float]) -> None:
        self.actor, self._points, _, self._poly = _polyline_actor(color, 1.0, "world")
        self._polys = vtkCellArray()
        self._poly.SetPolys(self._polys)
        self._triangles = vtkTriangleFilter()
        self._triangles.SetInputData(self._poly)
        self._triangulated = vtkPolyData()
        mapper: Any = self.actor.GetMapper()  # the vtkPolyDataMapper2D _polyline_actor made
        mapper.SetInputData(self._triangulated)
        self.actor.GetProperty().SetOpacity(FILL_OPACITY)
        self.actor.polygons = []  # type: ignore[attr-defined]  # world points of each outline, read by qt_raster
        renderer.AddViewProp(self.actor)

    def set(self, polygons: Sequence[Sequence[Sequence[float]]]) -> None:
        self._points.Reset()
        self._polys.Reset()
        kept = []
        for polygon in polygons:
            ring = list(polygon[:-1]) if len(polygon) > 3 and tuple(polygon[0]) == tuple(polygon[-1]) else list(polygon)
            if len(ring) < 3:
                continue
            ids = [self._points.InsertNextPoint(p[0], p[1], p[2] if len(p) > 2 else 0.0) for p in ring]
            self._polys.InsertNextCell(len(ids), ids)
            kept.append(ring)
        self._points.Modified()
        self._polys.Modified()
        self._poly.Modified()
        self._triangles.Update()
        self._triangulated.DeepCopy(self._triangles.GetOutput())
        self.actor.polygons = kept  # type: ignore[attr-defined]


class StateGraphicsLayer:
    """A presentation state's (or another reader's report's) lines and texts, in their layers'
    colours: one polyline set and one label set per colour, kept for the next update (a colour no
    longer drawn is emptied, not left showing)."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self.lines: dict[tuple[int, int, int] | None, Polylines] = {}
        self.texts: dict[tuple[int, int, int] | None, WorldLabels] = {}
        self.fills: dict[tuple[int, int, int] | None, FilledAreas] = {}

    def show(self, lines: dict[tuple[int, int, int] | None, list[list[tuple[float, float, float]]]],
             texts: dict[tuple[int, int, int] | None, list[PlacedText]],
             fills: dict[tuple[int, int, int] | None, list[list[tuple[float, float, float]]]] | None = None) -> None:
        """Draw ``lines``, ``texts`` (anchor, text and, where it has one, the other side to put it
        when it would pass the pane's right edge: :class:`WorldLabels`) and the insides of ``fills``
        (world coordinates) by colour (None: the default)."""
        fills = fills or {}
        for colour in set(fills) | set(self.fills):
            if colour not in self.fills:
                self.fills[colour] = FilledAreas(self.renderer, state_rgb(colour))
            self.fills[colour].set(fills.get(colour, []))
        for colour in set(lines) | set(self.lines):
            if colour not in self.lines:
                self.lines[colour] = Polylines(self.renderer, state_rgb(colour), 1.5)
            self.lines[colour].set(lines.get(colour, []))
        for colour in set(texts) | set(self.texts):
            if colour not in self.texts:
                self.texts[colour] = WorldLabels(self.renderer, state_rgb(colour))
            self.texts[colour].set(texts.get(colour, []))


RenderRequest = Callable[[], None]


class OverlayPlaneLayer:
    """DICOM overlay planes (60xx) drawn over an image: the mask's set pixels in
    OVERLAY_PLANE_RGB, opaque, the rest transparent, nearest pixel (one mask pixel per image pixel;
    the owner places the layer with :meth:`place`)."""

    def __init__(self, renderer: vtkRenderer) -> None:
        self.mapper = vtkImageSliceMapper()
        self.mapper.BorderOn()  # whole edge pixels, as the image under it
        self.actor = vtkImageSlice()
        self.actor.SetMapper(self.mapper)
        prop = self.actor.GetProperty()
        prop.SetInterpolationTypeToNearest()
        prop.SetColorWindow(255.0)  # the RGBA as it is
        prop.SetColorLevel(127.5)
        renderer.AddViewProp(self.actor)

    def show(self, mask: np.ndarray, rgb: tuple[int, int, int] = OVERLAY_PLANE_RGB) -> None:
        """Draw ``mask``'s set pixels in ``rgb`` (a display shutter's grey, or the overlay green)."""
        rgba = np.zeros((*mask.shape, 4), np.uint8)
        rgba[mask] = (*rgb, 255)
        self.show_rgba(rgba)

    def show_rgba(self, rgba: np.ndarray) -> None:
        """Draw an RGBA layer (rows x columns x 4) as it is: planes of several colours (segments)."""
        image = vtkImageData()
        image.SetDimensions(rgba.shape[1], rgba.shape[0], 1)
        scalars = numpy_to_vtk(rgba.reshape(-1, 4), deep=True)
        scalars.SetNumberOfComponents(4)
        image.GetPointData().SetScalars(scalars)
        self.mapper.SetInputData(image)

    def place(self, matrix: vtkMatrix4x4) -> None:
        """Image index (column, row) -> world, as the image under it is placed."""
        self.actor.SetUserMatrix(matrix)

    def set_visible(self, visible: bool) -> None:
        self.actor.SetVisibility(visible)


class ColourBar:
    """A fused layer's colour scale at the pane's right edge, upper half: the palette from the
    window's lower edge (bottom) to its upper edge (top), one band per palette entry, labelled
    with the two values and the unit ("5 SUVbw" / "0"), as PET/CT workstations show it beside the
    image. Drawn opaque: the bar names the colours, the opacity is in the corner text."""

    WIDTH = 10  # display pixels
    MARGIN = 6  # from the viewport's right edge
    SPAN = (0.55, 0.80)  # its bottom and top, as fractions of the viewport's height (clear of the
    # corner texts above and the orientation letter at the middle of the edge below)
    MIN_HEIGHT = 150  # a smaller pane shows no bar (the corner still names window and palette)

    def __init__(self, renderer: vtkRenderer) -> None:
        self.renderer = renderer
        self._points, self._cells, self._poly = vtkPoints(), vtkCellArray(), vtkPolyData()
        self._poly.SetPoints(self._points)
        self._poly.SetPolys(self._cells)
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(self._poly)
        mapper.SetColorModeToDirectScalars()
        mapper.SetScalarModeToUseCellData()
        self.actor = vtkActor2D()
        self.actor.SetMapper(mapper)
        self.actor.colour_bar = self  # type: ignore[attr-defined]  # the CPU path paints it from rect and colours
        renderer.AddViewProp(self.actor)
        self.labels: dict[str, vtkTextActor] = {}
        for end in ("low", "high"):
            text = vtkTextActor()
            prop = text.GetTextProperty()
            prop.SetFontSize(12)
            prop.SetColor(*OVERLAY_COLOR)
            prop.SetFontFamilyToArial()
            prop.ShadowOn()
            prop.SetJustificationToRight()
            prop.SetVerticalJustificationToCentered()
            renderer.AddViewProp(text)
            self.labels[end] = text
        self.visible = True
        self.colours: np.ndarray | None = None
        self.rect: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 (display pixels) as drawn
        self._shown: tuple[object, ...] | None = None  # what is drawn: not rebuilt on every scroll

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for prop in (self.actor, *self.labels.values()):
            prop.SetVisibility(visible)

    def update(self, colours: np.ndarray | None, low: str = "", high: str = "") -> None:
        """Show ``colours`` (``n x 3`` uint8, the palette's entries bottom to top) labelled ``low``
        and ``high``; None takes the bar away."""
        key = (None if colours is None else colours.tobytes(), low, high, tuple(self.renderer.GetSize()))
        if key == self._shown:
            return
        self._shown = key
        self._points.Reset()
        self._cells.Reset()
        width, height = self.renderer.GetSize()
        if colours is None or height < self.MIN_HEIGHT or width < 80:
            self.colours, self.rect = None, None
            for text in self.labels.values():
                text.SetInput("")
            self._poly.GetCellData().SetScalars(None)
            self._poly.Modified()
            return
        x1 = width - self.MARGIN
        x0 = x1 - self.WIDTH
        y0, y1 = round(self.SPAN[0] * height), round(self.SPAN[1] * height)
        n = len(colours)
        edges = y0 + (y1 - y0) * np.arange(n + 1) / n
        quads = [(x0, edges[k], x1, edges[k + 1]) for k in range(n)] + self.frame_rects((x0, y0, x1, y1))
        for left, bottom, right, top in quads:
            ids = [self._points.InsertNextPoint(x, y, 0.0)
                   for x, y in ((left, bottom), (right, bottom), (right, top), (left, top))]
            self._cells.InsertNextCell(4, ids)
        frame = np.tile(np.asarray([round(c * 255) for c in OVERLAY_COLOR], np.uint8), (4, 1))
        scalars = numpy_to_vtk(np.ascontiguousarray(np.concatenate([colours, frame]), np.uint8), deep=True)
        self._poly.GetCellData().SetScalars(scalars)
        self._points.Modified()
        self._cells.Modified()
        self._poly.Modified()
        self.labels["low"].SetInput(low)
        self.labels["low"].SetPosition(x0 - 5, y0)
        self.labels["high"].SetInput(high)
        self.labels["high"].SetPosition(x0 - 5, y1)
        self.colours, self.rect = np.asarray(colours, np.uint8), (x0, y0, x1, y1)

    @staticmethod
    def frame_rects(rect: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
        """The bar's one-pixel frame just outside ``rect`` (left, bottom, right, top in display
        pixels, as rectangles rather than lines: both renderers fill the same pixels), so the
        palette's black end stays visible on a black background."""
        x0, y0, x1, y1 = rect
        return [(x0 - 1, y0 - 1, x0, y1 + 1), (x1, y0 - 1, x1 + 1, y1 + 1),
                (x0 - 1, y0 - 1, x1 + 1, y0), (x0 - 1, y1, x1 + 1, y1 + 1)]

    def row_colours(self) -> np.ndarray:
        """The colour of each display row the bar covers, bottom (``rect``'s y0) up: the band whose
        span holds the row's pixel centre, as a rasteriser fills the bands."""
        assert self.colours is not None and self.rect is not None
        _, y0, _, y1 = self.rect
        n = len(self.colours)
        bands = np.floor((np.arange(y0, y1) + 0.5 - y0) * n / (y1 - y0)).astype(int)
        return self.colours[np.clip(bands, 0, n - 1)]
