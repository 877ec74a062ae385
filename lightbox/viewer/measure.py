"""Measurements on an image plane: length, angle and Cobb angle, and region-of-interest statistics (ellipse,
rectangle and a freehand outline: mean, SD, min, max, area; a PET region's peak), in mm when calibrated, else
in pixels; and a sphere VOI drawn on a volume's plane (its values: :mod:`.sphere_voi`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .pixels import Padding
from .uptake_peak import peak_mean
from .value_text import format_value
from .volume import Volume

FREEHAND = "freehand"  # an ROI outlined by hand: its points in drawing order, closed back to the first
ROI_KINDS = ("ellipse", "rectangle", FREEHAND)
# a volume of interest: its centre and a point on its edge, on the plane it was drawn on (mm);
# it reaches the planes within its radius of that one (a volume's panes only, not a film)
SPHERE = "sphere"
MEASURED_REGIONS = (*ROI_KINDS, SPHERE)  # the kinds whose values are summarised (RoiStatistics)
# a line along an object of known size on a film, its length in mm (the reader's) in its text:
# the film is measured with the pixel size it gives (calibration.known_length_spacing)
CALIBRATION = "calibration"
# the cardiothoracic ratio of a frontal chest film: the heart's widest transverse diameter over the
# thorax's inner one (Danzer 1919), each drawn as a line; a ratio, so an uncalibrated film has one too
CARDIOTHORACIC = "ctr"
TWO_LINE_KINDS = ("cobb", CARDIOTHORACIC)  # four points: two separate lines, not one through all four
# drawn point by point: by clicks, or a drag from one point to the next
LINE_KINDS = ("length", "angle", *TWO_LINE_KINDS, CALIBRATION)
# each kind of mark as the reader's messages name it ("Deleted Cobb angle 27.9°")
MARK_NAMES = {"length": "length", "angle": "angle", "cobb": "Cobb angle", CARDIOTHORACIC: "cardiothoracic ratio",
              CALIBRATION: "calibration line", "ellipse": "ROI", "rectangle": "ROI", FREEHAND: "ROI", SPHERE: "sphere VOI",
              "arrow": "arrow", "text": "text"}
ANNOTATION_KINDS = ("arrow", "text")  # marks, not measurements: an arrow (tail, head), a text at a point
KEY_IMAGE = "key"  # the image (a film, or the acquired slice at a plane position) is flagged as a key image
POINTS_NEEDED = {"length": 2, CALIBRATION: 2, "angle": 3, "cobb": 4, CARDIOTHORACIC: 4, "ellipse": 2, "rectangle": 2,
                 "arrow": 2, "text": 1, KEY_IMAGE: 0, SPHERE: 2}
FREEHAND_POINTS = 3  # the fewest points of a freehand outline (a triangle); it is made whole, never point by point


@dataclass(frozen=True)
class RoiStatistics:
    """The values inside a region of interest. ``sd`` is the sample standard deviation (n - 1,
    as ImageJ and most PACS viewers report it); ``area`` is the drawn shape's area (not the
    pixel count times the pixel area), in ``area_unit`` (mm² when calibrated, else px²)."""

    mean: float
    sd: float
    minimum: float
    maximum: float
    pixels: int
    area: float
    area_unit: str
    value_unit: str = ""  # "HU" on CT, else the stored values' unit ("" when unknown)
    # pixels inside the shape left out as padding, not image (PS3.3 C.7.5.1.1.2: e.g. beyond a
    # CT's field of view, where a -3024 HU fill would drag the mean down)
    padding: int = 0
    # pixels inside the shape left out because the film's display shutter hides them (C.7.6.11):
    # the reader cannot see them, so they are not measured
    shuttered: int = 0
    decimals: int = 0  # the image's values' (value_text.value_decimals); mean and SD at least one
    # a PET region's peak: the highest mean in a 1 cm³ sphere centred in it (viewer.uptake_peak),
    # and in SUL (lean body mass) where the patient's sex, weight and height give one (viewer.suv)
    peak: float | None = None
    sul_peak: float | None = None
    # the same region in a volume laid over this one (a PET over its CT: viewer.fusion), and its name
    fused: RoiStatistics | None = None
    fused_name: str = ""
    # a sphere VOI's (viewer.sphere_voi): its radius, the volume of the voxels counted (mL, in place
    # of an area), and on a PET its metabolic tumour volume (41 % of its maximum) and TLG
    radius_mm: float | None = None
    volume_ml: float | None = None
    mtv_ml: float | None = None
    tlg: float | None = None
    note: str = ""  # what was not worked out, and why (a line of its own)

    def describe(self) -> str:
        unit = f" {self.value_unit}" if self.value_unit else ""
        left_out = (f"\n{self.padding} padding px left out" if self.padding else "") + (
            f"\n{self.shuttered} px under the shutter left out" if self.shuttered else "")
        d, mean_d = self.decimals, max(1, self.decimals)
        return (f"mean {format_value(self.mean, mean_d)}{unit}  SD {format_value(self.sd, mean_d)}\n"
                f"min {format_value(self.minimum, d)}  max {format_value(self.maximum, d)}\n"
                + (f"peak {format_value(self.peak, mean_d)}{unit} (1 cm³ sphere)"
                   + (f", SULpeak {format_value(self.sul_peak, mean_d)}" if self.sul_peak is not None else "") + "\n"
                   if self.peak is not None else "")
                + self._size_line() + left_out + (f"\n{self.note}" if self.note else "") + self._fused_line())

    def _size_line(self) -> str:
        """The region's size: an ROI's area; a sphere's diameter, the volume it counts, its MTV and TLG."""
        if self.volume_ml is None:
            return f"area {self.area:.1f} {self.area_unit}"
        diameter = f"sphere {2 * self.radius_mm:.0f} mm, " if self.radius_mm is not None else ""
        return f"{diameter}{self.volume_ml:.2f} mL" + self._metabolic_text()

    def _metabolic_text(self) -> str:
        """A PET sphere's metabolic volume and glycolysis, on a line of their own ("MTV 41% 3.20 mL, TLG 20.1 g")."""
        if self.mtv_ml is None:
            return ""
        return f"\nMTV 41% {self.mtv_ml:.2f} mL" + (f", TLG {self.tlg:.1f} g" if self.tlg is not None else "")

    def _fused_line(self) -> str:
        """The fused volume's values in the region: "PT mean 4.111 max 8.000 SUVbw, peak 6.52"."""
        if not self.fused_name:
            return ""
        f = self.fused
        if f is None:
            return f"\n{self.fused_name}: no voxel inside"
        unit, d = (f" {f.value_unit}" if f.value_unit else ""), max(1, f.decimals)
        peak = f", peak {format_value(f.peak, d)}" if f.peak is not None else ""
        return (f"\n{self.fused_name} mean {format_value(f.mean, d)}  max {format_value(f.maximum, f.decimals)}"
                f"{unit}{peak}" + f._metabolic_text())


@dataclass
class Measurement:
    """Points in the plane's own 2D frame (a film: image pixel coordinates ``(column, row)``):
    2 for a length, 3 for an angle (vertex in the middle), 4 for a Cobb angle (the ends of two
    lines), 2 opposite corners of the bounding box for an ellipse or rectangle ROI, the outline's
    points for a freehand ROI (3 or more), whose statistics are computed once, when it is complete."""

    kind: str  # "length", "angle", "cobb", "ellipse", "rectangle", "freehand", "arrow" or "text"
    points: list[tuple[float, float]] = field(default_factory=list)
    statistics: RoiStatistics | None = None
    text: str = ""  # a text annotation's words (an arrow's optional label)

    @property
    def complete(self) -> bool:
        if self.kind == FREEHAND:
            return len(self.points) >= FREEHAND_POINTS
        return len(self.points) == POINTS_NEEDED[self.kind]


def arrow_head(points: list[tuple[float, float]], size: float) -> list[tuple[float, float]]:
    """The two barbs of an arrow from ``points[0]`` to ``points[1]``: a polyline barb-head-barb,
    ``size`` long (the plane's units), 25° off the shaft."""
    (x0, y0), (x1, y1) = points[:2]
    length = math.hypot(x1 - x0, y1 - y0)
    if length == 0:
        return []
    ux, uy = (x0 - x1) / length, (y0 - y1) / length  # back along the shaft
    barbs = []
    for turn in (math.radians(25), -math.radians(25)):
        c, s = math.cos(turn), math.sin(turn)
        barbs.append((x1 + size * (c * ux - s * uy), y1 + size * (s * ux + c * uy)))
    return [barbs[0], (x1, y1), barbs[1]]


def sphere_radius(points: list[tuple[float, float]]) -> float:
    """A sphere's radius: from its centre to the point on its edge (the plane's mm)."""
    (cu, cv), (eu, ev) = points[:2]
    return math.hypot(eu - cu, ev - cv)


def sphere_section(points: list[tuple[float, float]], offset: float) -> tuple[tuple[float, float], float] | None:
    """Where a sphere drawn on a plane (``points``: its centre and a point on its edge, in that
    plane's mm) cuts a parallel plane ``offset`` mm along the normal: the circle's centre (the
    same ``(u, v)``) and radius; None beyond the sphere (or for a sphere of no radius)."""
    radius = sphere_radius(points)
    if radius <= 0 or abs(offset) >= radius:
        return None
    return (points[0][0], points[0][1]), math.sqrt(radius * radius - offset * offset)


def _polyline_distance(points: list[tuple[float, float]], u: float, v: float) -> float:
    """The distance from ``(u, v)`` to the nearest point of the polyline through ``points``."""
    if len(points) == 1:
        return math.hypot(u - points[0][0], v - points[0][1])
    best = math.inf
    for (u0, v0), (u1, v1) in zip(points, points[1:], strict=False):
        du, dv = u1 - u0, v1 - v0
        along = ((u - u0) * du + (v - v0) * dv) / (du * du + dv * dv) if du or dv else 0.0
        t = min(1.0, max(0.0, along))
        best = min(best, math.hypot(u - (u0 + t * du), v - (v0 + t * dv)))
    return best


def mark_distance(m: Measurement, u: float, v: float, offset: float = 0.0) -> float:
    """How far the point ``(u, v)`` of the plane is from the mark ``m`` drawn there, in the plane's
    units: 0 inside a region (an ROI, a sphere's cut ``offset`` along the normal from its own plane),
    else to its outline, its lines or its text's point; infinite for one not shown there (a key-image
    flag, a sphere that does not reach, a mark not yet finished)."""
    if not m.complete or m.kind == KEY_IMAGE:
        return math.inf
    if m.kind == SPHERE:
        section = sphere_section(m.points, offset)
        if section is None:
            return math.inf
        (cu, cv), r = section
        return max(0.0, math.hypot(u - cu, v - cv) - r)
    if m.kind in ROI_KINDS:
        if bool(inside_roi(m.kind, m.points, np.array([u]), np.array([v]))[0]):
            return 0.0
        return _polyline_distance(roi_outline(m.kind, m.points), u, v)
    if m.kind in TWO_LINE_KINDS:  # two lines, not one through the four ends
        return min(_polyline_distance(m.points[:2], u, v), _polyline_distance(m.points[2:], u, v))
    return _polyline_distance(m.points, u, v)


def handles(m: Measurement, offset: float = 0.0) -> list[tuple[float, float]]:
    """The points of a finished mark a reader can take and move, in the plane's units: a line's
    or an angle's points, an arrow's ends, a text's place; a rectangle's four corners; an
    ellipse's four axis ends (left, right, bottom, top); a sphere's centre and the right end of
    its cut ``offset`` along the normal from its own plane (none where it does not reach). A
    freehand outline has none (its many points are a traced edge, not a reader's handles)."""
    if not m.complete or m.kind in (KEY_IMAGE, FREEHAND):
        return []
    if m.kind == SPHERE:
        section = sphere_section(m.points, offset)
        return [] if section is None else [section[0], (section[0][0] + section[1], section[0][1])]
    if m.kind in ("rectangle", "ellipse"):
        u0, v0, u1, v1 = roi_box(m.points)
        if m.kind == "rectangle":
            return [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
        cu, cv = (u0 + u1) / 2, (v0 + v1) / 2
        return [(u0, cv), (u1, cv), (cu, v0), (cu, v1)]
    return list(m.points)


def moved(m: Measurement, handle: int, to: tuple[float, float], offset: float = 0.0) -> list[tuple[float, float]]:
    """The mark's points with handle ``handle`` (:func:`handles`) moved to ``to``: a rectangle's
    corner takes its two sides along, an ellipse's axis end its side; a sphere's centre moves it
    whole on its own plane, its edge sets its radius (the 3D distance, ``offset`` off its plane)."""
    u, v = to
    if m.kind == SPHERE:
        (cu, cv), radius = m.points[0], sphere_radius(m.points)
        if handle == 0:
            return [(u, v), (u + radius, v)]
        reach = math.sqrt((u - cu) ** 2 + (v - cv) ** 2 + offset ** 2)
        return [(cu, cv), (cu + reach, cv)]
    if m.kind in ("rectangle", "ellipse"):
        u0, v0, u1, v1 = roi_box(m.points)
        if m.kind == "rectangle":
            u0, u1 = (u, u1) if handle in (0, 3) else (u0, u)
            v0, v1 = (v, v1) if handle in (0, 1) else (v0, v)
        elif handle in (0, 1):
            u0, u1 = (u, u1) if handle == 0 else (u0, u)
        else:
            v0, v1 = (v, v1) if handle == 2 else (v0, v)
        return [(u0, v0), (u1, v1)]
    points = list(m.points)
    points[handle] = (u, v)
    return points


def roi_box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """``(u0, v0, u1, v1)``: the ROI's bounding box, lowest corner first (an ellipse's or a
    rectangle's two corners, a freehand outline's points)."""
    us, vs = [p[0] for p in points], [p[1] for p in points]
    return min(us), min(vs), max(us), max(vs)


def roi_outline(kind: str, points: list[tuple[float, float]], segments: int = 72) -> list[tuple[float, float]]:
    """The closed outline of an ROI, for drawing."""
    if kind == FREEHAND:
        return [*points, points[0]]
    u0, v0, u1, v1 = roi_box(points)
    if kind == "rectangle":
        return [(u0, v0), (u1, v0), (u1, v1), (u0, v1), (u0, v0)]
    cu, cv, a, b = (u0 + u1) / 2, (v0 + v1) / 2, (u1 - u0) / 2, (v1 - v0) / 2
    return [(cu + a * math.cos(t), cv + b * math.sin(t)) for t in np.linspace(0.0, 2 * math.pi, segments + 1)]


def inside_roi(kind: str, points: list[tuple[float, float]], u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Which points ``(u, v)`` (e.g. pixel centres) lie inside the ROI, its border included (with
    a rounding margin: (6, 8) lies on a circle of radius 10, yet 0.6² + 0.8² > 1 in floating point)."""
    if kind == FREEHAND:
        return inside_polygon(points, u, v)
    u0, v0, u1, v1 = roi_box(points)
    tolerance = 1e-9 * max(1.0, abs(u0), abs(u1), abs(v0), abs(v1))
    if kind == "rectangle":
        return np.asarray((u >= u0 - tolerance) & (u <= u1 + tolerance) & (v >= v0 - tolerance) & (v <= v1 + tolerance))
    a, b = (u1 - u0) / 2, (v1 - v0) / 2
    if a <= 0 or b <= 0:
        return np.zeros(np.shape(u), bool)
    return np.asarray(((u - (u0 + u1) / 2) / a) ** 2 + ((v - (v0 + v1) / 2) / b) ** 2 <= 1.0 + 1e-9)


def inside_polygon(points: list[tuple[float, float]], u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Which points ``(u, v)`` lie inside the closed outline through ``points`` (even-odd rule: a
    ray crosses its edges an odd number of times; a loop drawn across itself leaves its
    twice-enclosed part out), or on it (within a rounding margin: a pixel centre on the edge of an
    outline drawn through pixel centres is inside, as the rectangle's border is). Matplotlib's
    point-in-path test (C, even-odd), once with the outline grown by the margin and once shrunk
    (which one grows it depends on the way the outline was drawn): a large ROI on a mammogram,
    2.9 million pixel centres against 200 points, in about a second where numpy edge by edge took 14."""
    from matplotlib.path import Path as OutlinePath

    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    outline = OutlinePath(np.array([*points, points[0]], dtype=float), closed=True)
    xy = np.column_stack([u.ravel(), v.ravel()])
    margin = 1e-9 * max(1.0, *(abs(c) for p in points for c in p))
    inside = outline.contains_points(xy, radius=margin) | outline.contains_points(xy, radius=-margin)
    return np.asarray(inside.reshape(u.shape))


def roi_area(kind: str, points: list[tuple[float, float]]) -> float:
    """Area of the drawn shape in the units of its points squared: w·h, π·a·b for the ellipse,
    the shoelace formula's for a freehand outline (a loop drawn across itself: its lobes' areas
    with their signs, as drawn)."""
    if kind == FREEHAND:
        us, vs = np.array([p[0] for p in points]), np.array([p[1] for p in points])
        return float(abs(np.dot(us, np.roll(vs, -1)) - np.dot(vs, np.roll(us, -1))) / 2)
    u0, v0, u1, v1 = roi_box(points)
    width, height = u1 - u0, v1 - v0
    return width * height if kind == "rectangle" else math.pi * width * height / 4


def summarise(values: np.ndarray, area: float, area_unit: str, value_unit: str = "",
              padding: Padding | None = None, shown: np.ndarray | None = None, decimals: int = 0) -> RoiStatistics | None:
    """Statistics of the values an ROI holds, its ``padding`` and the pixels not ``shown`` (under
    a display shutter; a mask like ``values``) left out; ``None`` when it holds no pixel centre,
    or none left."""
    values = np.asarray(values, dtype=np.float64).ravel()
    shuttered = 0
    if shown is not None:
        visible = np.asarray(shown, bool).ravel()
        shuttered = int((~visible).sum())
        values = values[visible]
    padded = 0
    if padding is not None:
        is_padding = padding.mask(values)
        padded = int(is_padding.sum())
        values = values[~is_padding]
    if values.size == 0:
        return None
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return RoiStatistics(float(values.mean()), sd, float(values.min()), float(values.max()), int(values.size),
                         area, area_unit, value_unit, padded, shuttered, decimals)


def film_roi_statistics(values: np.ndarray, kind: str, points: list[tuple[float, float]],
                        spacing: tuple[float, float] | None, value_unit: str = "",
                        padding: Padding | None = None, shown: np.ndarray | None = None,
                        decimals: int = 0) -> RoiStatistics | None:
    """Statistics of the pixels of a 2D image (``values[row, column]``) whose centres (integer
    ``(column, row)``) lie inside the ROI; ``spacing`` is (row, column) mm, ``None`` for pixels."""
    area = roi_area(kind, points)
    area, unit = (area * spacing[0] * spacing[1], "mm²") if spacing is not None else (area, "px²")
    rr, cc = roi_pixels(kind, points, *values.shape)
    visible = shown[rr, cc] if shown is not None else None  # ``shown``: the film's shutter mask
    return summarise(values[rr, cc], area, unit, value_unit, padding, visible, decimals)


def roi_pixels(kind: str, points: list[tuple[float, float]], rows: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, columns)`` of the pixels of a ``rows`` x ``columns`` image whose centres (integer
    ``(column, row)``) lie inside the ROI, row by row: what its statistics count (and, on a PET, where
    its SUVpeak spheres are centred)."""
    u0, v0, u1, v1 = roi_box(points)
    c0, c1 = max(math.ceil(u0 - 1e-9), 0), min(math.floor(u1 + 1e-9), columns - 1)
    r0, r1 = max(math.ceil(v0 - 1e-9), 0), min(math.floor(v1 + 1e-9), rows - 1)
    if c1 < c0 or r1 < r0:
        return np.empty(0, int), np.empty(0, int)
    cc, rr = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
    inside = inside_roi(kind, points, cc, rr)
    return rr[inside], cc[inside]


def length(points: list[tuple[float, float]], spacing: tuple[float, float] | None,
           aspect: float = 1.0) -> tuple[float, str]:
    """Distance between two points: ``(value, unit)``; ``spacing`` is (row, column) mm. Without
    one, in pixels: column widths, a row counting ``aspect`` of them (a pixel's height over its
    width, C.7.6.3.1.7), as the film is shown."""
    (c0, r0), (c1, r1) = points[:2]
    if spacing is None:
        return math.hypot(c1 - c0, (r1 - r0) * aspect), "px"
    return math.hypot((c1 - c0) * spacing[1], (r1 - r0) * spacing[0]), "mm"


def angle(points: list[tuple[float, float]], spacing: tuple[float, float] | None, aspect: float = 1.0) -> float:
    """Angle at the middle point, in degrees, measured in physical space when calibrated, else as
    shown (a pixel ``aspect`` times as tall as wide: a Cobb angle on such a film was measured on
    square pixels)."""
    sy, sx = spacing or (aspect, 1.0)
    (c0, r0), (c1, r1), (c2, r2) = points[:3]
    a = ((c0 - c1) * sx, (r0 - r1) * sy)
    b = ((c2 - c1) * sx, (r2 - r1) * sy)
    na, nb = math.hypot(*a), math.hypot(*b)
    if na == 0 or nb == 0:
        return 0.0
    cos = max(-1.0, min(1.0, (a[0] * b[0] + a[1] * b[1]) / (na * nb)))
    return math.degrees(math.acos(cos))


def cobb_angle(points: list[tuple[float, float]], spacing: tuple[float, float] | None, aspect: float = 1.0) -> float:
    """The Cobb angle between the line through the first two points and the line through the
    last two (the endplates of the end vertebrae of a curve), in degrees, 0 to 180, in physical
    space when calibrated, else as shown. Each line is taken from its left end to its right end
    (its top end first when it stands vertical), so the angle does not depend on which end the
    reader clicked first, and a curve past 90 degrees reads past 90 (two endplates tilted 50
    degrees each way: 100, not 80)."""
    sy, sx = spacing or (aspect, 1.0)
    directions = []
    for (c0, r0), (c1, r1) in (points[0:2], points[2:4]):
        dx, dy = (c1 - c0) * sx, (r1 - r0) * sy
        if dx < 0 or (dx == 0 and dy < 0):
            dx, dy = -dx, -dy
        directions.append((dx, dy))
    (ax, ay), (bx, by) = directions
    na, nb = math.hypot(ax, ay), math.hypot(bx, by)
    if na == 0 or nb == 0:
        return 0.0
    cos = max(-1.0, min(1.0, (ax * bx + ay * by) / (na * nb)))
    return math.degrees(math.acos(cos))


def describe(m: Measurement, spacing: tuple[float, float] | None, aspect: float = 1.0) -> str:
    """Label shown beside a finished measurement, e.g. ``"42.3 mm"``, ``"87.5°"`` or an ROI's
    statistics."""
    if not m.complete:
        return ""
    if m.kind in MEASURED_REGIONS:
        return m.statistics.describe() if m.statistics is not None else "no pixel inside"
    if m.kind in ANNOTATION_KINDS:
        return m.text
    if m.kind == "length":
        value, unit = length(m.points, spacing, aspect)
        return f"{value:.1f} {unit}"
    if m.kind == CARDIOTHORACIC:
        heart, unit = length(m.points[:2], spacing, aspect)
        thorax, _ = length(m.points[2:], spacing, aspect)
        ratio = f"{heart / thorax:.2f}" if thorax > 0 else "-"
        return f"CTR {ratio}\nheart {heart:.1f} {unit}\nthorax {thorax:.1f} {unit}"
    if m.kind == CALIBRATION:
        # while it is drawn (no length typed yet) its length in pixels, as the dialog will say it
        return f"{m.text} mm (calibration)" if m.text else f"{length(m.points, None, aspect)[0]:.1f} px"
    if m.kind == "cobb":
        return f"Cobb {cobb_angle(m.points, spacing, aspect):.1f}°"
    return f"{angle(m.points, spacing, aspect):.1f}°"


def volume_roi_statistics(volume: Volume, axes: tuple[np.ndarray, np.ndarray, np.ndarray], plane: float,
                          half_step: float, kind: str, points: list[tuple[float, float]]) -> RoiStatistics | None:
    """Statistics of an ROI drawn on an MPR plane: ``points`` are mm along the plane's ``right``
    and ``up`` axes (``axes`` = right, up, normal) and ``plane`` its position along the normal.
    The voxels counted are those whose centres lie within ``half_step`` of the plane and inside
    the shape: on a plane through acquired or reformatted voxel centres, exactly that slice's
    pixels, with no interpolation (as the values a radiologist reads under the cursor)."""
    right, up, normal = (np.asarray(a, dtype=float) for a in axes)
    u0, v0, u1, v1 = roi_box(points)
    corners = np.array([u * right + v * up + (plane + s) * normal
                        for u in (u0, u1) for v in (v0, v1) for s in (-half_step, half_step)])
    index = volume.geometry.world_to_index(corners)
    depth, rows, columns = volume.shape
    lo = np.maximum(np.floor(index.min(axis=0)).astype(int), 0)
    hi = np.minimum(np.ceil(index.max(axis=0)).astype(int), np.array([columns, rows, depth]) - 1)
    area = roi_area(kind, points)
    unit = "mm²" if volume.calibrated else "px²"
    if np.any(hi < lo):
        return summarise(np.empty(0), area, unit, volume.unit, decimals=volume.value_decimals)
    ii, jj, kk = (g.ravel() for g in np.meshgrid(*(np.arange(a, b + 1) for a, b in zip(lo, hi, strict=True)),
                                                   indexing="ij"))
    world = volume.geometry.index_to_world(np.stack([ii, jj, kk], axis=1).astype(float))
    keep = (np.abs(world @ normal - plane) < half_step) & inside_roi(kind, points, world @ right, world @ up)
    stats = summarise(volume.array[kk[keep], jj[keep], ii[keep]], area, unit, volume.unit, volume.padding,
                      decimals=volume.value_decimals)
    if stats is None or volume.modality.strip().upper() != "PT" or not volume.calibrated:
        return stats
    # PERCIST's SUVpeak: centres on the region's image voxels (its padding is no tumour)
    centres = np.stack([kk[keep], jj[keep], ii[keep]], axis=1)
    if volume.padding is not None:
        centres = centres[~volume.padding.mask(volume.array[kk[keep], jj[keep], ii[keep]])]
    peak = peak_mean(volume.array, volume.geometry, centres, volume.padding)
    ratio = volume.sul_per_suv
    return replace(stats, peak=peak, sul_peak=peak * ratio if peak is not None and ratio is not None else None)
