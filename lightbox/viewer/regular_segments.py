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


def segments_on_regular_grid(planes: dict[int, list[OverlayPlane]], geometry: Geometry, positions: np.ndarray,
                             shape: tuple[int, int]) -> dict[int, list[OverlayPlane]]:
    """The segment planes of the acquired slices (``planes``, by acquired slice index; other
    overlay planes left out) on the regular grid ``regularise`` gives the stack at ``positions``
    with the acquired ``geometry``: by regular slice index, each segment's outline and filled mask."""
    rows, columns = shape
    by_label: dict[str, dict[int, np.ndarray]] = {}
    colours: dict[str, tuple[int, int, int] | None] = {}
    for k, found in planes.items():
        for plane in found:
            if plane.kind == "S" and plane.filled is not None:
                by_label.setdefault(plane.label, {})[k] = plane.filled
                colours[plane.label] = plane.rgb
    offsets = positions - positions[0]
    row_axis, column_axis = geometry.direction[:, 0], geometry.direction[:, 1]
    shift = max(float(np.abs(offsets @ row_axis).max()) / geometry.spacing[0],
                float(np.abs(offsets @ column_axis).max()) / geometry.spacing[1])
    margin = int(math.ceil(shift)) + 2
    out: dict[int, list[OverlayPlane]] = {}
    for label, masks in by_label.items():
        on_rows = np.flatnonzero(np.logical_or.reduce([m.any(axis=1) for m in masks.values()]))
        on_columns = np.flatnonzero(np.logical_or.reduce([m.any(axis=0) for m in masks.values()]))
        if not on_rows.size:
            continue
        r0, r1 = max(int(on_rows[0]) - margin, 0), min(int(on_rows[-1]) + 1 + margin, rows)
        c0, c1 = max(int(on_columns[0]) - margin, 0), min(int(on_columns[-1]) + 1 + margin, columns)
        stack = np.zeros((len(positions), r1 - r0, c1 - c0), np.float32)
        for k, mask in masks.items():
            stack[k] = mask[r0:r1, c0:c1]
        moved = regularise(stack, geometry, positions).array > 0.5
        for regular_k in np.flatnonzero(moved.any(axis=(1, 2))):
            full = np.zeros(shape, bool)
            full[r0:r1, c0:c1] = moved[regular_k]
            plane = OverlayPlane(0, outline(full), "S", label, False, colours[label], filled=full)
            out.setdefault(int(regular_k), []).append(plane)
    return out
