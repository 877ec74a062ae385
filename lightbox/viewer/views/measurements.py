"""Measurements drawn on a scene (length, angle, ellipse and rectangle ROIs with their
statistics): one implementation for films and MPR planes.

Points are kept in a 2D frame of the scene's own (film: image column/row; MPR: mm along the
plane's right/up axes, tagged with the plane's position so a measurement shows only on its slice);
``to_world`` maps them for drawing, and ``spacing`` turns them into mm (``None``: pixels).
"""
from __future__ import annotations

import math
from collections.abc import Callable

from vtkmodules.vtkRenderingCore import vtkRenderer

from ..measure import (
    CALIBRATION,
    FREEHAND,
    KEY_IMAGE,
    LINE_KINDS,
    MEASURED_REGIONS,
    ROI_KINDS,
    SPHERE,
    TWO_LINE_KINDS,
    Measurement,
    RoiStatistics,
    arrow_head,
    describe,
    handles,
    mark_distance,
    moved,
    roi_box,
    roi_outline,
    sphere_section,
)
from .overlays import MEASURE_COLOR, PlacedText, Polylines, WorldLabels

Point2D = tuple[float, float]
World = tuple[float, float, float]


RoiStatisticsOf = Callable[[Measurement, float], RoiStatistics | None]


class MeasurementOverlay:
    def __init__(self, renderer: vtkRenderer, to_world: Callable[[Point2D, float], World],
                 spacing: Callable[[], tuple[float, float] | None], statistics: RoiStatisticsOf | None = None,
                 aspect: Callable[[], float] = lambda: 1.0) -> None:
        self.lines = Polylines(renderer, MEASURE_COLOR, 2.0)
        self.labels = WorldLabels(renderer)
        self.to_world = to_world
        self.spacing = spacing
        self.aspect = aspect  # an uncalibrated film's pixel height over width (measure.length, angle)
        self.statistics = statistics  # the values inside an ROI on a plane (film or MPR)
        self.items: list[tuple[Measurement, float]] = []  # (measurement, plane position)
        self.preview: Point2D | None = None  # where the next point of the mark being drawn would go (the pointer)
        self.tracing: tuple[list[Point2D], float] | None = None  # a freehand outline being drawn, on its plane
        self.moving: Measurement | None = None  # a mark whose handle is being dragged

    @property
    def measurements(self) -> list[Measurement]:
        return [m for m, _ in self.items]

    def add(self, m: Measurement, plane: float = 0.0) -> None:
        """A finished measurement or annotation (restored with the study, or a text typed in)."""
        if m.complete and m.kind in MEASURED_REGIONS and m.statistics is None and self.statistics is not None:
            m.statistics = self.statistics(m, plane)
        self.items.append((m, plane))

    def remeasure(self) -> None:
        """Each finished ROI's statistics again (what it measures changed: a shutter shown or hidden)."""
        if self.statistics is not None:
            for m, plane in self.items:
                if m.complete and m.kind in MEASURED_REGIONS:
                    m.statistics = self.statistics(m, plane)

    def add_point(self, kind: str, point: Point2D, plane: float = 0.0) -> Measurement:
        """Add ``point`` to the open measurement of ``kind`` on ``plane``, or start a new one."""
        last = self.items[-1] if self.items else None
        if last is None or last[0].complete or last[0].kind != kind or abs(last[1] - plane) > 1e-6:
            if last is not None and not last[0].complete:
                self.items.pop()
            self.items.append((Measurement(kind), plane))
        m, plane = self.items[-1]
        m.points.append(point)
        if m.complete and m.kind in MEASURED_REGIONS and self.statistics is not None:
            m.statistics = self.statistics(m, plane)  # once: the pixels under an ROI do not change
        self.preview = None
        return m

    def open_mark(self) -> Measurement | None:
        """The mark being drawn: an ROI, sphere or arrow whose first corner (centre, tail) is placed
        and whose second is not yet, or a length, angle or Cobb angle short of its last point."""
        if self.items and self.items[-1][0].kind in (*MEASURED_REGIONS, "arrow", *LINE_KINDS) \
                and not self.items[-1][0].complete:
            return self.items[-1][0]
        return None

    def open_on(self, kind: str, plane: float) -> Measurement | None:
        """The mark of ``kind`` being drawn on ``plane``, which a point of that kind there continues
        (:meth:`add_point`); None when a point there would start a new one."""
        m = self.open_mark()
        return m if m is not None and m.kind == kind and abs(self.items[-1][1] - plane) <= 1e-6 else None

    def drop_open(self) -> bool:
        """Forget the mark being drawn (another tool taken up, Esc): a first point left behind would
        otherwise become the far end of the next mark of its kind drawn on that plane."""
        self.preview = None
        if self.open_mark() is None:
            return False
        self.items.pop()
        return True

    def clear(self) -> None:
        """Clear the measurements and annotations (a key-image flag stays: it is not a mark)."""
        self.items[:] = [(m, plane) for m, plane in self.items if m.kind == KEY_IMAGE]
        self.preview = None
        self.tracing = None

    def shown(self, position: float | None = None, half_step: float = 0.0) -> list[int]:
        """The finished marks (their places in ``items``) drawn on the image shown: a film's all; on
        a plane at ``position`` those of that slice (within ``half_step``) and the spheres reaching it."""
        out = []
        for n, (m, plane) in enumerate(self.items):
            if not m.complete or m.kind == KEY_IMAGE:
                continue
            if position is None or (m.kind == SPHERE and sphere_section(m.points, position - plane) is not None) \
                    or (m.kind != SPHERE and abs(plane - position) < half_step):
                out.append(n)
        return out

    def nearest(self, point: Point2D, tolerance: float, position: float | None = None,
                half_step: float = 0.0) -> int | None:
        """The shown mark (its place in ``items``) nearest ``point`` within ``tolerance`` (the plane's
        units), inside a region counting as on it; None when none is that near."""
        scored = [(mark_distance(self.items[n][0], *point, 0.0 if position is None else position - self.items[n][1]), n)
                  for n in self.shown(position, half_step)]
        near = [(d, n) for d, n in scored if d <= tolerance]
        return min(near)[1] if near else None

    def handle_at(self, point: Point2D, tolerance: float, position: float | None = None,
                  half_step: float = 0.0) -> tuple[int, int] | None:
        """The handle (:func:`..measure.handles`) of a shown mark nearest ``point`` within
        ``tolerance``: (its place in ``items``, the handle's number); the newest mark's first."""
        best: tuple[float, int, int] | None = None
        for n in reversed(self.shown(position, half_step)):
            m, plane = self.items[n]
            offset = 0.0 if position is None else position - plane
            for h, (u, v) in enumerate(handles(m, offset)):
                d = math.hypot(u - point[0], v - point[1])
                if d <= tolerance and (best is None or d < best[0]):
                    best = (d, n, h)
        return None if best is None else (best[1], best[2])

    def is_key(self, plane: float = 0.0, tolerance: float = 1e-6) -> bool:
        return any(m.kind == KEY_IMAGE and abs(p - plane) <= tolerance for m, p in self.items)

    def toggle_key(self, plane: float = 0.0, tolerance: float = 1e-6) -> bool:
        """Flag the image at ``plane`` as a key image, or unflag it; returns whether it is now."""
        flagged = [(m, p) for m, p in self.items if m.kind == KEY_IMAGE and abs(p - plane) <= tolerance]
        if flagged:
            self.items[:] = [item for item in self.items if item not in flagged]
            return False
        self.items.append((Measurement(KEY_IMAGE), plane))
        return True

    def label(self, m: Measurement) -> str:
        if m is self.moving and m.kind in MEASURED_REGIONS:
            return "measured when let go"
        return describe(m, self.spacing(), self.aspect())

    def update(self, visible: Callable[[float], bool] = lambda _: True, label_offset: float = 6.0,
               position: float | None = None) -> None:
        """Draw the marks on the planes ``visible`` admits; a sphere (on a volume's pane, ``position``
        the shown plane's) as its cut through the shown plane, on every plane it reaches."""
        lines: list[list[World]] = []
        labels: list[tuple[World, str] | PlacedText] = []
        if self.tracing is not None and len(self.tracing[0]) >= 2 and visible(self.tracing[1]):
            lines.append([self.to_world(p, self.tracing[1]) for p in self.tracing[0]])  # the outline so far, open
        for m, plane in self.items:
            if m.kind == SPHERE:
                self._sphere(m, plane, position, lines, labels)
                continue
            if not visible(plane) or m.kind == KEY_IMAGE:  # a key image is said in the corner text
                continue
            if m.kind in ROI_KINDS:
                corners = m.points if m.complete else m.points + ([self.preview] if self.preview else [])
                if len(corners) == 2 or (m.kind == FREEHAND and m.complete):
                    lines.append([self.to_world(p, plane) for p in roi_outline(m.kind, corners)])
                if not m.complete:
                    continue
                _, v0, u1, v1 = roi_box(m.points)
                anchor = self.to_world((u1, (v0 + v1) / 2), plane)  # beside the shape's right edge
                labels.append(((anchor[0] + label_offset, anchor[1], anchor[2]), self.label(m)))
                continue
            if m.kind == "text":
                if m.points and m.text:
                    labels.append((self.to_world(m.points[0], plane), m.text))
                continue
            drawn = m
            if m.kind in (*LINE_KINDS, "arrow") and not m.complete and self.preview is not None and m.points:
                # the mark as it would be with its next point at the pointer: a length's line and its
                # value follow the mouse until the button is let go (or the next click)
                drawn = Measurement(m.kind, [*m.points, self.preview])
            pts = [self.to_world(p, plane) for p in drawn.points]
            if m.kind in TWO_LINE_KINDS:  # two lines, not one through all four points
                lines += [pts[n:n + 2] for n in (0, 2) if len(pts[n:n + 2]) == 2]
                if drawn.complete:  # beside the second line's right end, else ending at its left one
                    labels.append(self._beside_line(pts[2:4], self.label(drawn), label_offset))
                continue
            if len(pts) >= 2:
                lines.append(pts)
            if m.kind == "arrow":
                if m.complete:
                    (x0, y0), (x1, y1) = m.points
                    head = arrow_head(m.points, max(3.0, 0.18 * math.hypot(x1 - x0, y1 - y0)))
                    if head:
                        lines.append([self.to_world(p, plane) for p in head])
                    if m.text:
                        labels.append((self.to_world(m.points[0], plane), m.text))  # at the tail
                continue
            text = self.label(drawn)
            if text and m.kind in ("length", CALIBRATION) and m.complete:
                labels.append(self._beside_line(pts, text, label_offset))
            elif text:  # a line being drawn: at the pointer's end; an angle: at its vertex
                anchor = pts[-1] if m.kind in ("length", CALIBRATION) else pts[1]
                labels.append(((anchor[0] + label_offset, anchor[1], anchor[2]), text))
        self.lines.set(lines)
        self.labels.set(labels)

    @staticmethod
    def _beside_line(ends: list[World], text: str, offset: float) -> tuple[World, str, World]:
        """A line's label beside its right end, with its left end as the other side (:class:`WorldLabels`):
        a label that would pass the pane's edge or cover another ends at the line's left end instead
        (a cardiothoracic ratio's thorax line reaches the film's edges; its label had covered the
        line's own end)."""
        right, left = max(ends, key=lambda p: p[0]), min(ends, key=lambda p: p[0])
        return (right[0] + offset, right[1], right[2]), text, (left[0] - offset, left[1], left[2])

    def _sphere(self, m: Measurement, plane: float, position: float | None, lines: list[list[World]],
                labels: list[tuple[World, str] | PlacedText]) -> None:
        """A sphere's circle where it cuts the plane at ``position`` (None: its own plane), labelled
        with its values; while it is dragged out, on its own plane, to the preview point."""
        edge = m.points[1] if m.complete else self.preview
        if not m.points or edge is None:
            return
        at = plane if position is None else position
        section = sphere_section([m.points[0], edge], at - plane)
        if section is None:
            return
        (cu, cv), r = section
        circle = [(cu + r * math.cos(t), cv + r * math.sin(t)) for t in (2 * math.pi * n / 72 for n in range(73))]
        lines.append([self.to_world(p, at) for p in circle])
        if m.complete:  # above the circle, from its left: five lines beside it hid the lesion near an edge
            labels.append((self.to_world((cu - r, cv + r), at), self.label(m)))


class PlaneScene:
    """What the 2D scenes (film, MPR) share: their viewport size, redrawing when their display
    state changes, and the measurement actions. A scene says where a display point lies
    (:meth:`_measurement_point`) and how to redraw (:meth:`_apply`, :meth:`_refresh_measurements`)."""

    measure: MeasurementOverlay
    request_render: Callable[[], None]
    renderer: vtkRenderer
    _grabbed: tuple[int, int, float] | None = None  # a handle taken: (mark, handle, offset from its plane)

    @property
    def size(self) -> tuple[int, int]:
        w, h = self.renderer.GetSize()
        return max(int(w), 1), max(int(h), 1)

    def _apply(self) -> None:
        raise NotImplementedError

    def _on_display_changed(self, *_: object) -> None:
        self._apply()
        self.request_render()

    def _measurement_point(self, x: float, y: float) -> tuple[Point2D, float]:
        raise NotImplementedError

    def _refresh_measurements(self) -> None:
        raise NotImplementedError

    @property
    def measurements(self) -> list[Measurement]:
        return self.measure.measurements

    def add_measurement_point(self, kind: str, x: float, y: float) -> Measurement:
        """Add display point ``(x, y)`` to the open measurement of ``kind``, or start one."""
        point, plane = self._measurement_point(x, y)
        m = self.measure.add_point(kind, point, plane)
        self._refresh_measurements()
        self.request_render()
        return m

    def preview_mark(self, x: float, y: float) -> None:
        """Show the mark being drawn (an ROI's first corner placed, a length's first end, ...) with
        its next point at display point ``(x, y)``."""
        if self.measure.open_mark() is None:
            return
        self.measure.preview = self._measurement_point(x, y)[0]
        self._refresh_measurements()
        self.request_render()

    def mark_drawn_at(self, kind: str, x: float, y: float) -> Measurement | None:
        """The mark of ``kind`` being drawn on the plane at display point ``(x, y)``, which a point
        there continues; None when it would start a new one."""
        return self.measure.open_on(kind, self._measurement_point(x, y)[1])

    def drop_open_mark(self) -> bool:
        """Forget a mark left unfinished (its tool put down, Esc); whether there was one."""
        if not self.measure.drop_open():
            return False
        self._refresh_measurements()
        self.request_render()
        return True

    def _outline_points(self, display_points: list[tuple[float, float]]) -> tuple[list[Point2D], float]:
        """An outline's display points as the plane's points, on the plane of the first."""
        return [self._measurement_point(x, y)[0] for x, y in display_points], \
            self._measurement_point(*display_points[0])[1]

    def trace_outline(self, display_points: list[tuple[float, float]]) -> None:
        """Show a freehand outline being drawn through ``display_points`` (empty: none), open."""
        self.measure.tracing = self._outline_points(display_points) if display_points else None
        self._refresh_measurements()
        self.request_render()

    def add_outline(self, display_points: list[tuple[float, float]]) -> Measurement | None:
        """A freehand ROI closed through ``display_points`` (the plane of the first), measured; None
        for fewer than three points (a click, not an outline)."""
        self.measure.tracing = None
        if len(display_points) < 3:
            self._refresh_measurements()
            self.request_render()
            return None
        points, plane = self._outline_points(display_points)
        m = Measurement(FREEHAND, points)
        self.measure.add(m, plane)
        self._refresh_measurements()
        self.request_render()
        return m

    def clear_measurements(self) -> list[tuple[Measurement, float]]:
        """Clear the marks (key-image flags stay); returns what was cleared, with its planes."""
        cleared = [(m, plane) for m, plane in self.measure.items if m.complete and m.kind != KEY_IMAGE]
        self.measure.clear()
        self._refresh_measurements()
        self.request_render()
        return cleared

    def _shown_plane(self) -> tuple[float, float] | None:
        """The plane shown (its position and half a slice step) for a volume's pane; None: a film."""
        return None

    def delete_mark(self, at: tuple[float, float] | None = None, reach_px: float = 8.0,
                    ) -> tuple[Measurement, float] | None:
        """Delete one mark of the image shown: the one under display point ``at`` (within ``reach_px``
        of its lines or outline, or inside its region), else, with no ``at`` or none there, the last
        one finished there. Returns it with its plane (to be put back), None when there is none."""
        shown = self._shown_plane()
        position, half_step = shown if shown is not None else (None, 0.0)
        chosen = None
        if at is not None:
            point = self._measurement_point(*at)[0]
            edge = self._measurement_point(at[0] + reach_px, at[1])[0]
            chosen = self.measure.nearest(point, math.hypot(edge[0] - point[0], edge[1] - point[1]), position, half_step)
        if chosen is None:
            candidates = self.measure.shown(position, half_step)
            if not candidates:
                return None
            chosen = candidates[-1]
        removed = self.measure.items.pop(chosen)
        self._refresh_measurements()
        self.request_render()
        return removed

    def _reach(self, x: float, y: float, reach_px: float) -> float:
        """``reach_px`` display pixels at display point ``(x, y)`` in the plane's units."""
        point = self._measurement_point(x, y)[0]
        edge = self._measurement_point(x + reach_px, y)[0]
        return math.hypot(edge[0] - point[0], edge[1] - point[1])

    def handle_under(self, x: float, y: float, reach_px: float = 6.0) -> tuple[int, int, float] | None:
        """The handle of a finished mark of the image shown under display point ``(x, y)`` (within
        ``reach_px``): the mark's place in the overlay, the handle's number and the shown plane's
        offset from the mark's; None when there is none, or a mark is being drawn (its next point
        goes there)."""
        if self.measure.items and not self.measure.items[-1][0].complete:
            return None
        shown = self._shown_plane()
        position, half_step = shown if shown is not None else (None, 0.0)
        found = self.measure.handle_at(self._measurement_point(x, y)[0], self._reach(x, y, reach_px), position, half_step)
        if found is None:
            return None
        return (*found, 0.0 if position is None else position - self.measure.items[found[0]][1])

    def grab_handle(self, x: float, y: float, reach_px: float = 6.0) -> bool:
        """Take the handle under display point ``(x, y)`` (:meth:`handle_under`) to move it with
        :meth:`drag_handle`; False when there is none."""
        self._grabbed = self.handle_under(x, y, reach_px)
        return self._grabbed is not None

    def drag_handle(self, x: float, y: float) -> None:
        """Move the handle taken to display point ``(x, y)``, the mark redrawn (measured on release)."""
        if self._grabbed is None:
            return
        n, h, offset = self._grabbed
        m = self.measure.items[n][0]
        m.points = moved(m, h, self._measurement_point(x, y)[0], offset)
        self.measure.moving = m  # its values are of where it was: not shown until it is let go
        self._refresh_measurements()
        self.request_render()

    def release_handle(self) -> Measurement | None:
        """Let go of the handle taken: the mark measured again where it now lies; None without one."""
        grabbed, self._grabbed = self._grabbed, None
        if grabbed is None:
            return None
        m, plane = self.measure.items[grabbed[0]]
        self.measure.moving = None
        if self.measure.statistics is not None and m.kind in MEASURED_REGIONS:
            m.statistics = self.measure.statistics(m, plane)
        self._refresh_measurements()
        self.request_render()
        return m

    def put_back(self, marks: list[tuple[Measurement, float]]) -> None:
        """Marks deleted or cleared before, on their planes again."""
        for m, plane in marks:
            self.measure.add(m, plane)
        self._refresh_measurements()
        self.request_render()
