"""Regions given in patient coordinates (an SR's SCOORD3D, PS3.3 C.18.9) placed on one image.

Another system's TID 1500 report may give a region in the patient's mm instead of on an image:
a planar ROI (TID 1410, "Image Region" as SCOORD3D: POINT, MULTIPOINT, POLYLINE, POLYGON,
ELLIPSE) or a volumetric one (TID 1411, "Volume Surface": an ELLIPSOID, the ends of its three
axes). Such a region is drawn on an image of its frame of reference (Referenced Frame of
Reference UID, C.18.9.1.2) when it lies in the image's slab: a planar region whose every point
lies within half a slice of the image's plane, projected onto it; an ellipsoid as its cut through
the plane, an ellipse.

Coordinates are Lightbox's image (column, row), pixel centres on whole numbers: Image Position
(Patient) is the centre of the first pixel (C.7.6.2.1.1), Image Orientation (Patient) gives the
directions along a row and down a column, Pixel Spacing the distance between rows, then columns.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset

from ..viewer.calibration import usable_spacing
from ..viewer.geometry import ellipsoid_cut
from ..viewer.pixels import functional_group_item, readable_value


@dataclass(frozen=True)
class ImagePlane:
    """An image's (or a frame's) plane in patient mm."""

    origin: np.ndarray  # the first pixel's centre
    along_row: np.ndarray  # unit vector: the column index grows along it
    down_column: np.ndarray  # unit vector: the row index grows along it
    spacing: tuple[float, float]  # mm between rows, between columns (Pixel Spacing's order)
    half_depth: float  # mm either side of the plane that the image shows
    frame_of_reference: str

    @property
    def normal(self) -> np.ndarray:
        return np.cross(self.along_row, self.down_column)

    def pixels(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``points`` (N x 3, mm) as (column, row) on the image and their distances from its plane."""
        offset = np.asarray(points, dtype=float).reshape(-1, 3) - self.origin
        columns = offset @ self.along_row / self.spacing[1]
        rows = offset @ self.down_column / self.spacing[0]
        return np.column_stack([columns, rows]), offset @ self.normal


def _floats(value: object, count: int) -> list[float] | None:
    try:
        out = [float(v) for v in value]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return out if len(out) == count else None


def image_plane(image: Dataset, frame: int | None = None) -> ImagePlane | None:
    """The plane of ``image`` (its 1-based ``frame`` of an enhanced multi-frame one, whose plane
    lives in the functional groups, C.7.6.16.2.3 and .4), or None where the image states none."""
    index = (frame or 1) - 1

    def value(sequence: str, keyword: str) -> object:
        item = functional_group_item(image, sequence, index)
        found = readable_value(item, keyword) if item is not None else None
        return found if found is not None else readable_value(image, keyword)

    position = _floats(value("PlanePositionSequence", "ImagePositionPatient"), 3)
    orientation = _floats(value("PlaneOrientationSequence", "ImageOrientationPatient"), 6)
    spacing = usable_spacing(value("PixelMeasuresSequence", "PixelSpacing"))
    reference = str(readable_value(image, "FrameOfReferenceUID") or "")
    if position is None or orientation is None or spacing is None or not reference:
        return None
    along_row, down_column = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    if not (np.isclose(np.linalg.norm(along_row), 1, atol=1e-3) and np.isclose(np.linalg.norm(down_column), 1, atol=1e-3)
            and abs(float(along_row @ down_column)) < 1e-3):
        return None  # not two perpendicular unit vectors: no plane to place anything on
    thickness = _floats([value("PixelMeasuresSequence", "SliceThickness")], 1)
    between = _floats([readable_value(image, "SpacingBetweenSlices")], 1)
    depths = [d for d in (thickness[0] if thickness else None, between[0] if between else None) if d and d > 0]
    # half the thinner of the slice and the step to the next, so that a region drawn on a slice
    # is on that one image; 0.5 mm where the image says neither
    half_depth = min(depths) / 2 if depths else 0.5
    return ImagePlane(np.asarray(position), along_row, down_column, spacing, half_depth, reference)


def planar_region(plane: ImagePlane, points: np.ndarray) -> list[tuple[float, float]] | None:
    """A planar region's points (N x 3, mm) on the image, or None when any lies outside its slab."""
    pixels, distances = plane.pixels(points)
    if not len(pixels) or np.any(np.abs(distances) > plane.half_depth):
        return None
    return [(float(c), float(r)) for c, r in pixels]


def ellipsoid_section(plane: ImagePlane, axes: np.ndarray) -> list[tuple[float, float]] | None:
    """The cut of an ELLIPSOID (6 x 3 mm: the ends of its three axes) through the image's plane,
    as an ellipse's major then minor axis ends on the image; None when the plane misses it
    (:func:`..viewer.geometry.ellipsoid_cut`, in mm, then in pixels)."""
    cut = ellipsoid_cut(axes, plane.origin, plane.along_row, plane.down_column)
    if cut is None:
        return None
    return [(u / plane.spacing[1], v / plane.spacing[0]) for u, v in cut]
