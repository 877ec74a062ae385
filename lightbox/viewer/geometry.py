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
