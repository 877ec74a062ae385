"""The overlay planes (60xx) of a stack resampled onto a regular grid (viewer.regularise).

An overlay plane belongs to its image (PS3.3 C.9.2): a line, a mark or words a modality or a
colleague drew on that slice. On a gantry-tilted or unevenly spaced CT the slices shown are not
the acquired ones; interpolating a one-pixel line as the pixels are (half a pixel's shift makes
it two half-set pixels, cut away at one half, or grown at any) would thin, thicken or drop it.
So each slice's planes are moved whole instead: onto the regular slice nearest the acquired one
(the same slice on a tilted stack, whose spacing stays; at most half the regular spacing away on
an unevenly spaced one, said by the caller), shifted in that slice's plane by the slice's offset
from the grid, rounded to the nearest pixel (at most half a pixel from where the pixels put it).
Where the acquired pixel (0, 0) lies on the regular grid is read from the regular geometry
itself (``world_to_index``), not from how ``regularise`` built it, so the two are checked
against each other by the tests rather than sharing one formula.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .geometry import Geometry
from .overlay_planes import OverlayPlane


def shifted(mask: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """``mask`` moved by whole ``rows`` and ``columns`` (out[r + rows, c + columns] = mask[r, c]),
    what leaves the image cut off."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    if abs(rows) >= h or abs(columns) >= w:
        return out
    out[max(rows, 0):h + min(rows, 0), max(columns, 0):w + min(columns, 0)] = \
        mask[max(-rows, 0):h - max(rows, 0), max(-columns, 0):w - max(columns, 0)]
    return out


def overlays_on_regular_grid(planes: dict[int, list[OverlayPlane]], positions: np.ndarray, regular: Geometry,
                             count: int) -> tuple[dict[int, list[OverlayPlane]], float]:
    """The overlay planes of the acquired slices (``planes`` by acquired slice index; slice k's
    pixel (0, 0) at ``positions[k]``) on the regular grid ``regular`` of ``count`` slices: by
    regular slice index. And how far (mm, along the normal) the farthest of them lies from the
    slice it is drawn on (0 on a tilted stack of even spacing)."""
    out: dict[int, list[OverlayPlane]] = {}
    farthest = 0.0
    for k, found in sorted(planes.items()):
        column, row, depth = (float(v) for v in regular.world_to_index(positions[k]))
        regular_k = min(max(round(depth), 0), count - 1)
        farthest = max(farthest, abs(depth - regular_k) * regular.spacing[2])
        rows, columns = round(row), round(column)
        for plane in found:
            out.setdefault(regular_k, []).append(replace(plane, mask=shifted(plane.mask, rows, columns)))
    return out, farthest
