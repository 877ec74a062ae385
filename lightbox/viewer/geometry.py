"""Patient-space geometry of an image volume.

The DICOM patient coordinate system (PS3.3 C.7.6.2.1.1) is LPS: +x to the patient's
left, +y posterior, +z head. A voxel index ``(i, j, k)`` — column, row, slice — maps to

    world = origin + direction @ (spacing * (i, j, k))

with ``direction`` a 3x3 matrix whose columns are the row direction (ImageOrientationPatient
first triplet), the column direction (second triplet) and the slice normal. VTK's
``vtkImageData`` (origin, spacing, direction matrix) uses the same convention, and so does
the AI input sampling, so one :class:`Geometry` serves both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _identity() -> np.ndarray:
    return np.eye(3)


@dataclass(frozen=True)
class Geometry:
    """Origin (mm, LPS), spacing (mm, along i, j, k) and direction cosines (columns)."""

    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    direction: np.ndarray = field(default_factory=_identity)

    def __post_init__(self) -> None:
        d = np.asarray(self.direction, dtype=float).reshape(3, 3)
        object.__setattr__(self, "direction", d)
        object.__setattr__(self, "origin", tuple(float(v) for v in self.origin))
        object.__setattr__(self, "spacing", tuple(float(v) for v in self.spacing))

    @property
    def normal(self) -> np.ndarray:
        """Unit slice normal (third direction column)."""
        return self.direction[:, 2]

    def index_to_world(self, ijk: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """World position (mm) of a continuous voxel index ``(i, j, k)``."""
        ijk = np.asarray(ijk, dtype=float)
        world = np.asarray(self.origin) + (np.atleast_2d(ijk) * np.asarray(self.spacing)) @ self.direction.T
        return np.asarray(world[0] if ijk.ndim == 1 else world)

    def world_to_index(self, xyz: np.ndarray | tuple[float, float, float]) -> np.ndarray:
        """Continuous voxel index of a world position (mm)."""
        xyz = np.asarray(xyz, dtype=float)
        local = (np.atleast_2d(xyz) - np.asarray(self.origin)) @ np.linalg.inv(self.direction).T
        index = local / np.asarray(self.spacing)
        return np.asarray(index[0] if xyz.ndim == 1 else index)

    def axis_along(self, direction: np.ndarray) -> int:
        """The index axis (0 i, 1 j, 2 k) closest to the patient ``direction``: a plane's slices
        in this volume run along it."""
        return int(np.argmax(np.abs(self.direction.T @ np.asarray(direction, float))))

    def step_along(self, normal: np.ndarray) -> float:
        """The voxel spacing (mm) along the index axis closest to ``normal``: one slice's step of
        a plane of that normal (a pane scrolls by it; an ROI on it counts the voxels within half of it)."""
        return float(self.spacing[self.axis_along(normal)])

    def is_axis_aligned(self, tolerance: float = 1e-3) -> bool:
        """True when the direction matrix is the identity (within ``tolerance``)."""
        return bool(np.allclose(self.direction, np.eye(3), atol=tolerance))

    def to_dict(self) -> dict[str, object]:
        return {
            "origin": list(self.origin),
            "spacing": list(self.spacing),
            "direction": self.direction.round(6).tolist(),
        }


# Per patient plane: the direction the camera looks along and view-up, in LPS (the radiological
# conventions: axial seen from the feet, coronal from the front, sagittal from the patient's left).
PLANES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "axial": ((0.0, 0.0, 1.0), (0.0, -1.0, 0.0)),
    "coronal": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "sagittal": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
}
ACQUIRED = "acquired"  # the volume's own slice plane: rows across, columns down, as the images were stored


def acquired_axes(geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """(normal, view-up) that show the acquired slices as stored: the row direction (first
    triplet of ImageOrientationPatient) to the screen's right, the column direction down, so the
    camera looks along row x column (PS3.3 C.7.6.2.1.1)."""
    d = geometry.direction
    row, column = d[:, 0] / np.linalg.norm(d[:, 0]), d[:, 1] / np.linalg.norm(d[:, 1])
    normal = np.cross(row, column)
    return normal / np.linalg.norm(normal), -column


def plane_axes(plane: str, geometry: Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(right, up, normal) of a named plane of a volume (a patient plane, or ``ACQUIRED``: its own
    slices); a pane's marks are kept in mm along right and up, tagged with the position along the
    normal. KeyError for a name that is neither."""
    normal, up = acquired_axes(geometry) if plane == ACQUIRED else (np.asarray(PLANES[plane][0], dtype=float),
                                                                     np.asarray(PLANES[plane][1], dtype=float))
    return np.cross(normal, up), up, normal


def nearest_plane(normal: np.ndarray) -> tuple[str, float]:
    """The patient plane nearest a slice normal, and the angle between them in degrees."""
    name = max(PLANES, key=lambda p: abs(float(np.dot(normal, PLANES[p][0]))))
    cosine = min(1.0, abs(float(np.dot(normal, PLANES[name][0]))))
    return name, float(np.degrees(np.arccos(cosine)))


def first_plane(geometry: Geometry) -> str:
    """The plane a volume opens in: its acquired slices; an axial acquisition (rows along x,
    columns along y) is simply 'axial', the same picture."""
    normal, up = acquired_axes(geometry)
    axial_normal, axial_up = PLANES["axial"]
    if abs(float(normal @ np.asarray(axial_normal))) > 1 - 1e-6 and float(up @ np.asarray(axial_up)) > 1 - 1e-6:
        return "axial"
    return ACQUIRED


def ellipsoid_axes(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An ellipsoid given as the two ends of each of its three axes (6 x 3 mm, as an SR's ELLIPSOID
    gives them, PS3.3 C.18.9.1.2): its centre, and its half axes as a 3 x 3 matrix's columns."""
    points = np.asarray(ends, dtype=float).reshape(6, 3)
    return points[0:2].mean(axis=0), np.column_stack([(points[2 * k + 1] - points[2 * k]) / 2 for k in range(3)])


def _solid(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`ellipsoid_axes` of an ellipsoid that encloses a volume; None for a flat one, or one
    whose numbers are not finite or too large to invert (a damaged report's: never a NaN outline)."""
    with np.errstate(all="ignore"):
        centre, half_axes = ellipsoid_axes(ends)
        determinant = np.linalg.det(half_axes) if np.all(np.isfinite(half_axes)) else np.nan
    if not (np.isfinite(determinant) and abs(determinant) >= 1e-9 and np.all(np.isfinite(centre))):
        return None
    return centre, half_axes


def ellipsoid_cut(ends: np.ndarray, origin: np.ndarray, along: np.ndarray, down: np.ndarray,
                  ) -> list[tuple[float, float]] | None:
    """The cut of an ellipsoid (``ends``: :func:`ellipsoid_axes`) through the plane ``origin + u·along + v·down``
    (unit, perpendicular ``along`` and ``down``), as an ellipse's major then minor axis ends in
    (u, v) mm; None when the plane misses it or the ellipsoid encloses no volume.

    The ellipsoid is c + M t with |t| <= 1 (M's columns its half axes); on the plane
    y = y0 + G w with y0 = M⁻¹(o - c), G = M⁻¹[along down]: the cut is |y0 + G w|² <= 1, an
    ellipse about w* = -(GᵀG)⁻¹Gᵀy0 with (w - w*)ᵀ GᵀG (w - w*) <= 1 - q, q = |y0 + G w*|² (no
    cut when q >= 1); its half axes are sqrt((1 - q)/λ) along GᵀG's eigenvectors."""
    solid = _solid(ends)
    if solid is None:
        return None  # a flat, degenerate or unreadable ellipsoid encloses no volume
    centre, half_axes = solid
    try:
        inverse = np.linalg.inv(half_axes)
        y0 = inverse @ (np.asarray(origin, dtype=float) - centre)
        g = inverse @ np.column_stack([np.asarray(along, dtype=float), np.asarray(down, dtype=float)])
        gram = g.T @ g
        w_centre = -np.linalg.solve(gram, g.T @ y0)
    except np.linalg.LinAlgError:
        return None
    q = float(np.sum((y0 + g @ w_centre) ** 2))
    if not q < 1.0:  # (a NaN too)
        return None
    eigenvalues, eigenvectors = np.linalg.eigh(gram)  # ascending: the smallest is the major axis
    out: list[tuple[float, float]] = []
    for k in (0, 1):
        half = np.sqrt((1.0 - q) / eigenvalues[k]) * eigenvectors[:, k]
        for w in (w_centre - half, w_centre + half):
            out.append((float(w[0]), float(w[1])))
    return out


def ellipse_outline(ends: list[tuple[float, float]], segments: int) -> list[tuple[float, float]]:
    """An ellipse given by the ends of its major then minor axis (PS3.3 C.10.5.1.2's ELLIPSE) as a
    closed polygon of ``segments`` sides."""
    points = [np.asarray(p, dtype=float) for p in ends]
    major, minor = (points[1] - points[0]) / 2, (points[3] - points[2]) / 2
    centre = (points[0] + points[1]) / 2
    turns = np.linspace(0.0, 2 * np.pi, segments + 1)
    return [(float(v[0]), float(v[1])) for v in (centre + np.cos(a) * major + np.sin(a) * minor for a in turns)]


def inside_ellipsoid(ends: np.ndarray, point: np.ndarray) -> bool:
    """Whether ``point`` (mm) lies in the ellipsoid whose three axes end at ``ends``
    (:func:`ellipsoid_axes`); a flat one holds no point."""
    solid = _solid(ends)
    if solid is None:
        return False
    try:
        offset = np.linalg.solve(solid[1], np.asarray(point, dtype=float) - solid[0])
    except np.linalg.LinAlgError:
        return False
    return bool(float(offset @ offset) <= 1.0)
