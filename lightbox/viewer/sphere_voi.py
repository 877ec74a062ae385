"""A spherical volume of interest (VOI) in a volume: a lesion's values in 3D, not on one slice.

The sphere holds the voxels whose centres lie within its radius of its centre (in mm, with the
volume's spacing and orientation, as :mod:`.uptake_peak`'s 1 cm³ sphere); voxels holding padding
(PS3.3 C.7.5.1.1.2) are left out. Its values are summarised as an ROI's are (mean, SD, minimum,
maximum) with its volume: the voxels counted times one voxel's volume.

On a PET read in SUV, what a PET reader reports of a lesion besides:

- SUVpeak (PERCIST 1.0, Wahl et al. 2009): the highest 1 cm³ sphere mean centred on a voxel of
  the VOI (:func:`.uptake_peak.peak_mean`);
- MTV, the metabolic tumour volume: the voxels at or above 41 % of the VOI's maximum that touch
  the maximum's voxel (one connected region, each voxel's 26 neighbours), so a second hot spot
  the sphere clips is not counted. A fixed 41 % of SUVmax is one of the isocontours the EANM
  procedure guidelines for tumour imaging discuss for the metabolically active tumour volume
  (Boellaard et al., Eur J Nucl Med Mol Imaging 2015;42:328-354), and the one most studies use;
- TLG, total lesion glycolysis: MTV (mL) times the mean SUV of the MTV's voxels (Larson et al.,
  Clin Positron Imaging 1999;2:159-171), in SUVbw g/mL x mL, i.e. g.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from .measure import RoiStatistics
from .uptake_peak import peak_mean
from .volume import Volume

MTV_FRACTION = 0.41  # of the VOI's maximum: EANM's fixed-threshold isocontour
# a PET sphere's peak and MTV need its voxels at once (their 1 cm³ spheres, their connected
# region): past this many (a whole-body PET's every voxel is ~10 million) they are not worked out
MAX_UPTAKE_VOXELS = 1_000_000


def voxel_ml(volume: Volume) -> float:
    """One voxel's volume in mL (the spacing's box, sheared by the direction cosines)."""
    steps = np.asarray(volume.geometry.direction, dtype=float) @ np.diag(np.asarray(volume.geometry.spacing, dtype=float))
    return float(abs(np.linalg.det(steps))) / 1000.0


SphereSlice = tuple[int, slice, slice, np.ndarray]  # slice k, its rows and columns in the box, the mask there


def sphere_slices(volume: Volume, centre: np.ndarray, radius_mm: float) -> Iterator[SphereSlice]:
    """Slice by slice, where the voxels whose centres lie within ``radius_mm`` of ``centre``
    (patient mm) are: ``(k, rows, columns, mask)``, ``mask`` over ``array[k, rows, columns]``.
    One slice at a time: a sphere dragged across a whole CT reaches 70 million voxels, whose
    distances and indices at once were gigabytes."""
    geometry = volume.geometry
    centre = np.asarray(centre, dtype=float)
    cube = np.array([centre + radius_mm * np.array([a, b, c]) for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)])
    index = geometry.world_to_index(cube)  # (i, j, k) of the sphere's bounding cube's corners
    depth, rows, columns = volume.shape
    low = np.maximum(np.floor(index.min(axis=0)).astype(int), 0)
    high = np.minimum(np.ceil(index.max(axis=0)).astype(int), np.array([columns, rows, depth]) - 1)
    if np.any(high < low):
        return
    i, j = (np.arange(a, b + 1) for a, b in zip(low[:2], high[:2], strict=True))
    steps = np.asarray(geometry.direction, dtype=float) * np.asarray(geometry.spacing, dtype=float)  # columns: mm per step
    offset = np.asarray(geometry.origin, dtype=float) - centre
    for k in range(int(low[2]), int(high[2]) + 1):
        distance2 = sum((offset[a] + k * steps[a, 2] + j[:, None] * steps[a, 1] + i[None, :] * steps[a, 0]) ** 2
                        for a in range(3))
        mask = distance2 <= radius_mm ** 2 * (1 + 1e-9)
        if mask.any():
            yield k, slice(int(low[1]), int(high[1]) + 1), slice(int(low[0]), int(high[0]) + 1), mask


def sphere_voxels(volume: Volume, centre: np.ndarray, radius_mm: float) -> np.ndarray:
    """``(k, j, i)`` rows of the voxels whose centres lie within ``radius_mm`` of ``centre``
    (patient mm), inside the volume."""
    found = [np.stack([np.full(jj.size, k), jj + rows.start, ii + columns.start], axis=1)
             for k, rows, columns, mask in sphere_slices(volume, centre, radius_mm)
             for jj, ii in [np.nonzero(mask)]]
    return np.concatenate(found) if found else np.empty((0, 3), int)


def streamed_summary(volume: Volume, centre: np.ndarray, radius_mm: float) -> RoiStatistics | None:
    """What :func:`.measure.summarise` gives of the sphere's values, gathered a slice at a time:
    each slice's count, mean and sum of squared deviations, pooled (Chan, Golub and LeVeque's
    formula: exact, not the rounding-prone sum of squares); padding left out."""
    counts, means, deviations, lows, highs, padded = [], [], [], [], [], 0
    for k, rows, columns, mask in sphere_slices(volume, centre, radius_mm):
        values = np.asarray(volume.array[k, rows, columns][mask], dtype=np.float64)
        if volume.padding is not None:
            is_padding = volume.padding.mask(values)
            padded += int(is_padding.sum())
            values = values[~is_padding]
        if values.size:
            mean = float(values.mean())
            counts.append(values.size)
            means.append(mean)
            deviations.append(float(((values - mean) ** 2).sum()))
            lows.append(float(values.min()))
            highs.append(float(values.max()))
    if not counts:
        return None
    n, m = np.asarray(counts, dtype=np.float64), np.asarray(means)
    total = float(n.sum())
    mean = float((n * m).sum() / total)
    squares = float(np.sum(deviations) + (n * (m - mean) ** 2).sum())
    sd = math.sqrt(squares / (total - 1)) if total > 1 else 0.0
    return RoiStatistics(mean, sd, min(lows), max(highs), int(total), 0.0, "", volume.unit, padded,
                         decimals=volume.value_decimals)


def connected_to(mask: np.ndarray, seed: tuple[int, int, int]) -> np.ndarray:
    """The voxels of ``mask`` joined to ``seed`` through 26-neighbours (the seed must be in the
    mask). Grown one neighbour ring at a time within the mask until it stops growing: a sphere's
    box is small, and scipy's labelling would be a 40 MB dependency for this one use."""
    region = np.zeros(mask.shape, bool)
    region[seed] = True
    while True:
        grown = region.copy()
        for axis in range(3):  # the 3x3x3 cube is three 1D steps, one along each axis in turn
            step = grown.copy()
            ahead = [slice(None)] * 3
            behind = [slice(None)] * 3
            ahead[axis], behind[axis] = slice(1, None), slice(None, -1)
            step[tuple(ahead)] |= grown[tuple(behind)]
            step[tuple(behind)] |= grown[tuple(ahead)]
            grown = step
        grown &= mask
        if np.array_equal(grown, region):
            return region
        region = grown


def metabolic_volume(volume: Volume, voxels: np.ndarray) -> tuple[float, float] | None:
    """``(MTV in mL, mean value of its voxels)`` of the VOI ``voxels`` (``(k, j, i)`` rows, padding
    already left out): the region of 41 % of their maximum joined to it. None without a voxel or
    when the maximum is not above zero (no uptake: no isocontour)."""
    if len(voxels) == 0:
        return None
    values = volume.array[voxels[:, 0], voxels[:, 1], voxels[:, 2]].astype(np.float64)
    top = float(values.max())
    if top <= 0:
        return None
    low = voxels.min(axis=0)
    shape = tuple(voxels.max(axis=0) - low + 1)
    above = np.zeros(shape, bool)
    local = voxels - low
    hot = values >= MTV_FRACTION * top
    above[local[hot, 0], local[hot, 1], local[hot, 2]] = True
    seed = tuple(int(v) for v in local[int(np.argmax(values))])
    region = connected_to(above, seed)  # type: ignore[arg-type]
    chosen = region[local[:, 0], local[:, 1], local[:, 2]]
    return float(chosen.sum()) * voxel_ml(volume), float(values[chosen].mean())


def sphere_statistics(volume: Volume, centre: np.ndarray, radius_mm: float) -> RoiStatistics | None:
    """The values of the sphere VOI of ``radius_mm`` about ``centre`` (patient mm): mean, SD,
    minimum, maximum and its volume in mL (``volume_ml``); on a PET in SUV its SUVpeak (and
    SULpeak), MTV and TLG. None when no voxel centre lies inside it (or only padding)."""
    stats = streamed_summary(volume, centre, radius_mm)
    if stats is None:
        return None
    stats = replace(stats, volume_ml=stats.pixels * voxel_ml(volume), radius_mm=float(radius_mm))
    if volume.modality.strip().upper() != "PT" or not volume.calibrated:
        return stats
    if stats.pixels + stats.padding > MAX_UPTAKE_VOXELS:
        return replace(stats, note=f"peak and MTV: not worked out in a sphere of over {MAX_UPTAKE_VOXELS:,} voxels")
    voxels = sphere_voxels(volume, centre, radius_mm)
    if volume.padding is not None:
        voxels = voxels[~volume.padding.mask(volume.array[voxels[:, 0], voxels[:, 1], voxels[:, 2]])]
    peak = peak_mean(volume.array, volume.geometry, voxels, volume.padding)
    ratio = volume.sul_per_suv
    stats = replace(stats, peak=peak, sul_peak=peak * ratio if peak is not None and ratio is not None else None)
    metabolic = metabolic_volume(volume, voxels)
    if metabolic is None:
        return stats
    mtv, mean = metabolic
    # TLG is glycolysis: SUV x mL; in any other unit (Bq/mL, counts) the product names nothing
    return replace(stats, mtv_ml=mtv, tlg=mtv * mean if volume.unit.startswith("SUV") else None)
