"""Display shutters of a film (PS3.3 C.7.6.11 Display Shutter Module): the part of the image the
modality marks as not to be seen — the unexposed border outside the collimator of a radiograph,
the corners of a fluoroscopy circle — shown in the Shutter Presentation Value, not as pixels.

Shapes (Shutter Shape (0018,1600), any of them together): RECTANGULAR (left / right vertical and
upper / lower horizontal edges, as pixel columns and rows counted from 1), CIRCULAR (Center of
Circular Shutter as row\\column, Radius in pixels) and POLYGONAL (Vertices of the Polygonal
Shutter as row\\column pairs). Where several are given, what is shown is what lies inside all of
them. Shutter Presentation Value (0018,1622) is a P-value, 0 (black) to FFFFH (white); absent,
black (as Weasis and dcmtk read it). BITMAP shutters (an overlay group) are said, not shown.
Without them, the unexposed border of a MONOCHROME1 film glares white around the chest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset

from .overlay_planes import overlay_bitmap
from .pixels import cielab_rgb, element_values, functional_group_item

SHAPES = ("RECTANGULAR", "CIRCULAR", "POLYGONAL", "BITMAP")


@dataclass(frozen=True)
class DisplayShutter:
    """Which pixels are shown (rows x columns, True inside every shutter) and the grey level
    (0..255) the rest is shown in; on a colour image, the colour its Shutter Presentation Color
    CIELab Value (0018,1624) gives (``rgb``; PS3.3 C.7.6.11.1: the grey P-value is for grayscale
    images), the grey then that colour's luminance."""

    shown: np.ndarray
    grey: int = 0
    rgb: tuple[int, int, int] | None = None

    def outside(self) -> np.ndarray:
        return ~self.shown

    @property
    def colour(self) -> tuple[int, int, int]:
        """What the hidden part is shown in, as RGB."""
        return self.rgb if self.rgb is not None else (self.grey, self.grey, self.grey)

    def paint(self, image: np.ndarray, hidden: np.ndarray | None = None) -> np.ndarray:
        """A copy of ``image`` (grey, or RGB rows x columns x 3) with the ``hidden`` pixels (by
        default those outside the shutter) in the shutter's grey or colour."""
        out = image.copy()
        out[~self.shown if hidden is None else hidden] = self.colour if out.ndim == 3 else self.grey
        return out


def _numbers(ds: Dataset, keyword: str) -> list[float]:
    try:
        return [float(v) for v in element_values(ds.get(keyword))]
    except (TypeError, ValueError):
        return []
    except Exception:  # noqa: BLE001 - a damaged element (wrong VR) reads as absent
        return []


def _inside_polygon(rows: np.ndarray, columns: np.ndarray, vertices: list[tuple[float, float]]) -> np.ndarray:
    """Even-odd rule for pixel centres (row, column) against a closed polygon of (row, column)
    vertices; points on an edge count as inside, as a drawn border would."""
    shape = np.broadcast_shapes(rows.shape, columns.shape)
    inside = np.zeros(shape, bool)
    on_edge = np.zeros(shape, bool)
    for (r0, c0), (r1, c1) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        crosses = (r0 > rows) != (r1 > rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = c0 + (rows - r0) * (c1 - c0) / (r1 - r0)
        inside ^= crosses & (columns < at)
        # on the segment: collinear and between its ends
        cross = (c1 - c0) * (rows - r0) - (r1 - r0) * (columns - c0)
        between = ((np.minimum(r0, r1) <= rows) & (rows <= np.maximum(r0, r1))
                   & (np.minimum(c0, c1) <= columns) & (columns <= np.maximum(c0, c1)))
        on_edge |= (np.abs(cross) < 1e-9) & between
    return inside | on_edge


def display_shutter(ds: Dataset, rows: int, columns: int, colour: bool | None = None,
                    ) -> tuple[DisplayShutter | None, list[str]]:
    """The film's display shutter and what could not be used of it, in words (a shape without its
    attributes, a bitmap shutter); ``(None, notes)`` when there is nothing to hide. ``colour``: whether
    the image is a colour one, when ``ds`` is a functional group item (which states no Photometric
    Interpretation); by default ``ds``'s own."""
    try:  # CS, VM 1-3: "RECTANGULAR\\CIRCULAR" is two shapes
        shapes = [str(v).strip().upper() for v in element_values(ds.get("ShutterShape")) if str(v).strip()]
    except Exception:  # noqa: BLE001 - a damaged element reads as no shutter
        shapes = []
    if not shapes:
        return None, []
    # pixel numbers as the standard counts them; a row and a column broadcast (a 2k film's grid
    # in float64 would be 64 MB)
    r = np.arange(1, rows + 1, dtype=np.float64)[:, None]
    c = np.arange(1, columns + 1, dtype=np.float64)[None, :]
    shown = np.ones((rows, columns), bool)
    notes: list[str] = []
    used = 0
    for shape in shapes:
        if shape == "RECTANGULAR":
            edges = [_numbers(ds, k) for k in ("ShutterLeftVerticalEdge", "ShutterRightVerticalEdge",
                                               "ShutterUpperHorizontalEdge", "ShutterLowerHorizontalEdge")]
            if not all(edges) or edges[0][0] > edges[1][0] or edges[2][0] > edges[3][0]:
                notes.append("a rectangular display shutter without usable edges is not applied")
                continue
            (left,), (right,), (upper,), (lower,) = (e[:1] for e in edges)
            shown &= (c >= left) & (c <= right) & (r >= upper) & (r <= lower)
        elif shape == "CIRCULAR":
            centre, radius = _numbers(ds, "CenterOfCircularShutter"), _numbers(ds, "RadiusOfCircularShutter")
            if len(centre) < 2 or not radius or radius[0] <= 0:
                notes.append("a circular display shutter without a usable centre and radius is not applied")
                continue
            shown &= (r - centre[0]) ** 2 + (c - centre[1]) ** 2 <= radius[0] ** 2
        elif shape == "POLYGONAL":
            values = _numbers(ds, "VerticesOfThePolygonalShutter")
            if len(values) < 6 or len(values) % 2:
                notes.append("a polygonal display shutter without three or more vertices is not applied")
                continue
            shown &= _inside_polygon(r, c, list(zip(values[0::2], values[1::2], strict=True)))
        elif shape == "BITMAP":  # C.7.6.15: an overlay's set bits are the shutter
            group = _numbers(ds, "ShutterOverlayGroup")
            bitmap = overlay_bitmap(ds, int(group[0]), rows, columns) if group else "it names no Shutter Overlay Group"
            if isinstance(bitmap, str):
                notes.append(f"a bitmap display shutter is not applied ({bitmap}): the whole image is shown")
                continue
            shown &= ~bitmap
        else:
            notes.append(f"display shutter shape {shape!r} is not one the standard defines: not applied")
            continue
        used += 1
    if not used:
        return None, notes
    value = _numbers(ds, "ShutterPresentationValue")
    grey = int(round(min(max(value[0], 0.0), 65535.0) / 65535.0 * 255.0)) if value else 0
    if not shown.any():
        notes.append("the display shutter hides the whole image: not applied")
        return None, notes
    rgb = cielab_rgb(ds.get("ShutterPresentationColorCIELabValue")) if (_is_colour(ds) if colour is None else colour) else None
    if rgb is not None:
        grey = int(round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]))
    return DisplayShutter(shown, grey, rgb), notes


def _is_colour(ds: Dataset) -> bool:
    photometric = str(ds.get("PhotometricInterpretation", "") or "").upper()
    return photometric not in ("", "MONOCHROME1", "MONOCHROME2")


# the Display Shutter Macro's geometry (PS3.3 C.7.6.11), and with the grey it is shown in its
# attributes: two frames (or images) whose values agree share one shutter
SHUTTER_GEOMETRY = ("ShutterShape", "ShutterLeftVerticalEdge", "ShutterRightVerticalEdge", "ShutterUpperHorizontalEdge",
                    "ShutterLowerHorizontalEdge", "CenterOfCircularShutter", "RadiusOfCircularShutter",
                    "VerticesOfThePolygonalShutter")
SHUTTER_ATTRIBUTES = (*SHUTTER_GEOMETRY, "ShutterPresentationValue", "ShutterPresentationColorCIELabValue")


def shutter_key(source: Dataset) -> tuple[str, ...]:
    """The shutter ``source`` states, as values to compare (the same key: the same shutter)."""
    return tuple(str(source.get(k)) for k in SHUTTER_ATTRIBUTES)


def frame_display_shutters(ds: Dataset, count: int, rows: int, columns: int,
                           ) -> list[tuple[DisplayShutter | None, list[str]]]:
    """Each of ``count`` frames' display shutter (as :func:`display_shutter` gives it). An
    enhanced X-ray object (Enhanced XA / XRF) keeps its shutter in the Frame Display Shutter
    functional group (0018,9472; per frame, else shared, PS3.3 C.7.6.16), not at the top level:
    its collimated border was shown. One mask per distinct shutter: a cine's frames share one. A
    functional group item states no Photometric Interpretation: the object's says grey or colour."""
    found: dict[object, tuple[DisplayShutter | None, list[str]]] = {}
    colour = _is_colour(ds)
    out = []
    for frame in range(count):
        source = shutter_source(ds, frame)
        key = "top level" if source is ds else shutter_key(source)
        if key not in found:
            found[key] = display_shutter(source, rows, columns, colour)
        out.append(found[key])
    return out


def shutter_source(ds: Dataset, frame: int) -> Dataset:
    """Where frame ``frame``'s display shutter is stated: its Frame Display Shutter functional
    group item (per frame, else shared), else the object itself."""
    item = functional_group_item(ds, "FrameDisplayShutterSequence", frame)
    return item if item is not None else ds


def object_shutter_source(ds: Dataset) -> Dataset | None:
    """The one place every frame's display shutter is stated, for a presentation state (which
    has one shutter for its images): the object itself, its shared Frame Display Shutter, or the
    per-frame ones when they all agree; None when frames state different shutters."""
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    sources = [shutter_source(ds, frame) for frame in range(max(frames, 1))]
    keys = {shutter_key(source) for source in sources}
    return sources[0] if len(keys) == 1 else None

