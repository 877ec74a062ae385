"""A DICOM SEG's segments moved with their stack onto the regular grid (viewer.regularise).

A gantry-tilted CT, or one with uneven slice spacing, is resampled before it is shown; its SEG's
frames lie on the acquired slices. Each segment is moved as the pixels were — every acquired
slice shifted in its plane by its offset, then interpolated along the normal to the regular
spacing, gaps left empty — by running its masks through the same ``regularise`` (so the two
cannot drift apart), then cut at one half: a voxel of the regular grid is in the segment where
the interpolated mask is above 0.5 (a voxel exactly half-way between a slice in the segment and
one outside it is left out: the segment is never grown; whole-pixel shifts move it exactly).
Each segment is resampled within its bounding box, widened by the largest in-plane shift, so a
small lesion on a 300-slice CT costs kilobytes, not the whole volume again.
"""
from __future__ import annotations

import math

import numpy as np

from .geometry import Geometry
from .overlay_planes import OverlayPlane, outline
from .regularise import regularise
from .segment_table import segments_of


def segments_on_regular_grid(planes: dict[int, list[OverlayPlane]], geometry: Geometry, positions: np.ndarray,
                             shape: tuple[int, int]) -> dict[int, list[OverlayPlane]]:
    """The segment planes of the acquired slices (``planes``, by acquired slice index; other
    overlay planes left out) on the regular grid ``regularise`` gives the stack at ``positions``
    with the acquired ``geometry``: by regular slice index, each segment's outline and filled mask."""
    rows, columns = shape
    offsets = positions - positions[0]
    row_axis, column_axis = geometry.direction[:, 0], geometry.direction[:, 1]
    shift = max(float(np.abs(offsets @ row_axis).max()) / geometry.spacing[0],
                float(np.abs(offsets @ column_axis).max()) / geometry.spacing[1])
    margin = int(math.ceil(shift)) + 2
    out: dict[int, list[OverlayPlane]] = {}
    for segment in segments_of(planes, len(positions)):
        (k0, top, left), block = segment.block()
        r0, r1 = max(top - margin, 0), min(top + block.shape[1] + margin, rows)
        c0, c1 = max(left - margin, 0), min(left + block.shape[2] + margin, columns)
        stack = np.zeros((len(positions), r1 - r0, c1 - c0), np.float32)
        stack[k0:k0 + block.shape[0], top - r0:top - r0 + block.shape[1], left - c0:left - c0 + block.shape[2]] = block
        moved = regularise(stack, geometry, positions).array > 0.5
        for regular_k in np.flatnonzero(moved.any(axis=(1, 2))):
            full = np.zeros(shape, bool)
            full[r0:r1, c0:c1] = moved[regular_k]
            plane = OverlayPlane(0, outline(full), "S", segment.label, False, segment.rgb, filled=full)
            out.setdefault(int(regular_k), []).append(plane)
    return out
