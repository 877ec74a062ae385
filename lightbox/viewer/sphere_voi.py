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

from dataclasses import replace

import numpy as np

from .measure import RoiStatistics, summarise
from .uptake_peak import peak_mean
from .volume import Volume

MTV_FRACTION = 0.41  # of the VOI's maximum: EANM's fixed-threshold isocontour


def voxel_ml(volume: Volume) -> float:
    """One voxel's volume in mL (the spacing's box, sheared by the direction cosines)."""
    steps = np.asarray(volume.geometry.direction, dtype=float) @ np.diag(np.asarray(volume.geometry.spacing, dtype=float))
    return float(abs(np.linalg.det(steps))) / 1000.0


def sphere_voxels(volume: Volume, centre: np.ndarray, radius_mm: float) -> np.ndarray:
    """``(k, j, i)`` rows of the voxels whose centres lie within ``radius_mm`` of ``centre``
    (patient mm), inside the volume."""
    geometry = volume.geometry
    centre = np.asarray(centre, dtype=float)
    cube = np.array([centre + radius_mm * np.array([a, b, c]) for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)])
    index = geometry.world_to_index(cube)  # (i, j, k) of the sphere's bounding cube's corners
    depth, rows, columns = volume.shape
    low = np.maximum(np.floor(index.min(axis=0)).astype(int), 0)
    high = np.minimum(np.ceil(index.max(axis=0)).astype(int), np.array([columns, rows, depth]) - 1)
    if np.any(high < low):
        return np.empty((0, 3), int)
    i, j, k = (np.arange(a, b + 1) for a, b in zip(low, high, strict=True))
    steps = np.asarray(geometry.direction, dtype=float) * np.asarray(geometry.spacing, dtype=float)  # columns: mm per step
    offset = np.asarray(geometry.origin, dtype=float) - centre
    # each axis' mm apart, broadcast: (K, J, I) distances without a (K, J, I, 3) array of points
    distance2 = sum((offset[a] + k[:, None, None] * steps[a, 2] + j[None, :, None] * steps[a, 1]
                     + i[None, None, :] * steps[a, 0]) ** 2 for a in range(3))
    kk, jj, ii = np.nonzero(distance2 <= radius_mm ** 2 * (1 + 1e-9))
    return np.stack([kk + low[2], jj + low[1], ii + low[0]], axis=1)


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
    voxels = sphere_voxels(volume, centre, radius_mm)
    values = volume.array[voxels[:, 0], voxels[:, 1], voxels[:, 2]]
    stats = summarise(values, 0.0, "", volume.unit, volume.padding, decimals=volume.value_decimals)
    if stats is None:
        return None
    stats = replace(stats, volume_ml=stats.pixels * voxel_ml(volume), radius_mm=float(radius_mm))
    if volume.modality.strip().upper() != "PT" or not volume.calibrated:
        return stats
    if volume.padding is not None:
        voxels = voxels[~volume.padding.mask(values)]
    peak = peak_mean(volume.array, volume.geometry, voxels, volume.padding)
    ratio = volume.sul_per_suv
    stats = replace(stats, peak=peak, sul_peak=peak * ratio if peak is not None and ratio is not None else None)
    metabolic = metabolic_volume(volume, voxels)
    if metabolic is None:
        return stats
    mtv, mean = metabolic
    # TLG is glycolysis: SUV x mL; in any other unit (Bq/mL, counts) the product names nothing
    return replace(stats, mtv_ml=mtv, tlg=mtv * mean if volume.unit.startswith("SUV") else None)
