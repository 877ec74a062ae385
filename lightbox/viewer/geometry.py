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
