"""Slice stacks that are not a regular grid, resampled onto one: gantry tilt and uneven spacing.

A volume's geometry says voxel (i, j, k) lies at ``origin + i*dx*row + j*dy*col + k*dz*normal``.
That holds only when every slice's ImagePositionPatient (PS3.3 C.7.6.2.1.1) lies on the normal
through the first one, at one spacing. Two acquisitions break it:

- **Gantry tilt** (CT): the detector is tilted, the table moves along its own axis, so each
  slice's origin is shifted within the slice plane (a shear): stacked along the normal, a GE head
  CT tilted 18.5° showed 144 mm of anatomy as 108 mm and the top slice 60 mm from its place.
- **Uneven spacing**: a series whose spacing changes (4 mm, then 7 mm) stacked at one spacing
  is stretched or squeezed along the stack.

As dcm2niix does for tilt (``nii_dicom_batch.c``: each slice is shifted in-plane by its offset
from the stack's axis, so the output is an orthogonal grid in the slices' own orientation) and as
3D Slicer's acquisition-geometry regularisation does for both (``DICOMScalarVolumePlugin``,
"acquisition transform", hardened by resampling), the stack is resampled here onto the grid of
the slices' orientation: each slice is moved in its plane by its offset (bilinear), then slices
are interpolated linearly along the normal to a uniform spacing (the smallest acquired step).
A step more than twice as long as both its neighbours is a gap (missing slices), not a change
of spacing: positions inside it are left blank (the volume's minimum), never invented.
The acquired positions are kept on the volume, and the warning says what was resampled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import Geometry

TILT_DEGREES = 0.5  # below this an offset is rounding in the header, not a tilt
SPACING_TOLERANCE = 0.05  # relative: steps within 5 % of each other are one spacing


@dataclass(frozen=True)
class Regularised:
    array: np.ndarray
    geometry: Geometry
    reason: str  # what was resampled ("gantry tilt 18.5°, ..."; "" when nothing was)
    note: str  # the same as a warning sentence


def _shift_bilinear(image: np.ndarray, rows: float, columns: float, fill: float) -> np.ndarray:
    """``image`` moved by (rows, columns) pixels: out[j, i] = image[j - rows, i - columns],
    bilinear, ``fill`` outside."""
    h, w = image.shape
    jj = np.arange(h)[:, None] - rows  # float64, as the shifts are
    ii = np.arange(w)[None, :] - columns
    j0, i0 = np.floor(jj).astype(int), np.floor(ii).astype(int)
    fj, fi = jj - j0, ii - i0
    out = np.zeros((h, w))
    weight = np.zeros((h, w))
    for dj, wj in ((0, 1 - fj), (1, fj)):
        for di, wi in ((0, 1 - fi), (1, fi)):
            j, i = j0 + dj, i0 + di
            inside = (j >= 0) & (j < h) & (i >= 0) & (i < w)
            wgt = np.where(inside, wj * wi, 0.0)
            out += wgt * image[np.clip(j, 0, h - 1), np.clip(i, 0, w - 1)]
            weight += wgt
    return np.where(weight > 0.999, out, fill)


def tilt_degrees(positions: np.ndarray, normal: np.ndarray) -> float:
    """Angle between the stack's axis (first → last position) and the slice normal."""
    axis = positions[-1] - positions[0]
    length = float(np.linalg.norm(axis))
    if length == 0:
        return 0.0
    return float(np.degrees(np.arccos(min(1.0, abs(float(axis @ normal)) / length))))


def regularise(array: np.ndarray, geometry: Geometry, positions: np.ndarray) -> Regularised:
    """``array`` (k, rows, columns), its slices at ``positions`` (k, 3; sorted along the normal),
    on ``geometry``'s row/column directions and pixel spacing: the same volume on a regular grid
    (origin at the first slice, spacing the smallest step), or unchanged when it is one already."""
    if len(positions) < 2:
        return Regularised(array, geometry, "", "")
    normal = geometry.normal
    row, col = geometry.direction[:, 0], geometry.direction[:, 1]
    dx, dy = geometry.spacing[0], geometry.spacing[1]
    d = positions @ normal
    steps = np.diff(d)
    offsets = positions - positions[0]
    in_plane = np.column_stack([offsets @ row / dx, offsets @ col / dy])  # slice k's origin, in pixels
    tilt = tilt_degrees(positions, normal)
    sheared = bool(np.abs(in_plane).max() > 0.01)
    uneven = float(np.ptp(steps)) > SPACING_TOLERANCE * float(np.median(steps))
    if not sheared and not uneven:
        return Regularised(array, geometry, "", "")
    fill = float(array.min())
    work = array.astype(np.float32)
    if sheared:  # move each slice in its plane so that all origins lie on the normal through the first
        for k in range(len(work)):
            work[k] = _shift_bilinear(work[k], in_plane[k, 1], in_plane[k, 0], fill)
    spacing = float(steps.min())
    gap: list[bool] = []  # per step: more than twice as long as each of its neighbours
    for n, step in enumerate(steps):
        neighbours = [steps[m] for m in (n - 1, n + 1) if 0 <= m < len(steps)]
        gap.append(bool(neighbours) and all(step > 2 * s for s in neighbours))
    count = int(np.floor((d[-1] - d[0]) / spacing + 1e-6)) + 1
    targets = d[0] + spacing * np.arange(count)
    out = np.empty((count, *work.shape[1:]), np.float32)
    for m, t in enumerate(targets):
        # the step [d[k], d[k + 1]] holding t (t >= d[0], so k >= 0; the last target may lie on d[-1])
        k = min(int(np.searchsorted(d, t, side="right")) - 1, len(d) - 2)
        if abs(t - d[k]) < 1e-6:
            out[m] = work[k]
        elif abs(t - d[k + 1]) < 1e-6:
            out[m] = work[k + 1]
        elif gap[k]:
            out[m] = fill  # inside missing slices: blank, never invented
        else:
            f = (t - d[k]) / (d[k + 1] - d[k])
            out[m] = (1 - f) * work[k] + f * work[k + 1]
    if np.issubdtype(array.dtype, np.integer):
        out = np.rint(out).astype(array.dtype)  # interpolated and fill values stay within the input's range
    x, y, z = (float(v) for v in positions[0])
    regular = Geometry((x, y, z), (dx, dy, spacing), geometry.direction)
    parts = []
    if sheared:
        parts.append(f"gantry tilt {tilt:.1f}°" if tilt >= TILT_DEGREES else "sheared stack")
    if uneven:
        parts.append(f"slice spacing {float(steps.min()):.2f} to {float(steps.max()):.2f} mm made {spacing:.2f} mm")
    if any(gap):
        parts.append(f"{sum(gap)} gap(s) left blank")
    reason = ", ".join(parts)
    return Regularised(out, regular, reason,
                       f"resampled onto a regular grid: {reason} ({len(positions)} acquired slices → {count})")
