"""Length and angle measurements on an image plane, in mm when calibrated, else in pixels."""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Measurement:
    """Points in image pixel coordinates ``(column, row)``; 2 for a length, 3 for an angle
    (vertex in the middle)."""

    kind: str  # "length" or "angle"
    points: list[tuple[float, float]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.points) == (2 if self.kind == "length" else 3)


def length(points: list[tuple[float, float]], spacing: tuple[float, float] | None) -> tuple[float, str]:
    """Distance between two points: ``(value, unit)``; ``spacing`` is (row, column) mm."""
    (c0, r0), (c1, r1) = points[:2]
    if spacing is None:
        return math.hypot(c1 - c0, r1 - r0), "px"
    return math.hypot((c1 - c0) * spacing[1], (r1 - r0) * spacing[0]), "mm"


def angle(points: list[tuple[float, float]], spacing: tuple[float, float] | None) -> float:
    """Angle at the middle point, in degrees, measured in physical space when calibrated."""
    sy, sx = spacing or (1.0, 1.0)
    (c0, r0), (c1, r1), (c2, r2) = points[:3]
    a = ((c0 - c1) * sx, (r0 - r1) * sy)
    b = ((c2 - c1) * sx, (r2 - r1) * sy)
    na, nb = math.hypot(*a), math.hypot(*b)
    if na == 0 or nb == 0:
        return 0.0
    cos = max(-1.0, min(1.0, (a[0] * b[0] + a[1] * b[1]) / (na * nb)))
    return math.degrees(math.acos(cos))


def describe(m: Measurement, spacing: tuple[float, float] | None) -> str:
    """Label shown beside a finished measurement, e.g. ``"42.3 mm"`` or ``"87.5°"``."""
    if not m.complete:
        return ""
    if m.kind == "length":
        value, unit = length(m.points, spacing)
        return f"{value:.1f} {unit}"
    return f"{angle(m.points, spacing):.1f}°"
