"""What each segment of a volume's DICOM SEG holds: its size in voxels and mL, the slices it spans,
the slice where it is largest (where a reader goes to see it) and the values inside it (mean, SD,
minimum, maximum: HU on CT, SUVbw on PET), from the segments placed on the acquired slices
(viewer.segmentations). A nodule's volume is a number a reader reports and follows over time.

The volume is the voxel count times one voxel's volume: the slices' pixel area times the slice
step (|det| of the voxel axes in mm: a sheared stack's voxel is a parallelepiped), as 3D Slicer's
Segment Statistics gives it; padding (C.7.5.1.1.2) is left out of the values, not of the volume.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .overlay_planes import OverlayPlane
from .value_text import format_value
from .volume import Volume


@dataclass(frozen=True)
class SegmentSummary:
    """One segment of a volume. ``slices`` and ``largest_slice`` are 0-based indices of the
    volume's acquired slices; ``centre`` the mean (column, row) of the segment on its largest slice."""

    label: str  # "segment 1 lesion", as the overlay names it
    rgb: tuple[int, int, int] | None
    voxels: int
    volume_ml: float | None  # None on a stack without a usable spacing
    slices: tuple[int, int]
    largest_slice: int
    centre: tuple[float, float]
    mean: float | None  # None when every voxel is padding
    sd: float | None
    minimum: float | None
    maximum: float | None
    unit: str
    decimals: int

    def describe(self) -> str:
        """"segment 1 lesion: 80 voxels, 0.045 mL, slices 1-4 (largest on 2), mean 476.0 HU, SD
        0.0, min 476, max 476" (slices counted from 1, as the overlay counts them)."""
        first, last = self.slices
        size = f"{self.voxels} voxel{'' if self.voxels == 1 else 's'}" + (
            f", {self.volume_ml:.3g} mL" if self.volume_ml is not None else ", no mL (no pixel spacing)")
        span = f"slice {first + 1}" if first == last else f"slices {first + 1}-{last + 1} (largest on {self.largest_slice + 1})"
        unit = f" {self.unit}" if self.unit else ""
        if self.mean is None or self.sd is None or self.minimum is None or self.maximum is None:
            values = "every voxel padding"
        else:
            mean_d = max(1, self.decimals)
            values = (f"mean {format_value(self.mean, mean_d)}{unit}, SD {format_value(self.sd, mean_d)}, "
                      f"min {format_value(self.minimum, self.decimals)}, max {format_value(self.maximum, self.decimals)}")
        return f"{self.label}: {size}, {span}, {values}"


def voxel_volume_ml(volume: Volume) -> float | None:
    """One voxel's volume in mL (1 mL = 1000 mm³), or None when the stack has no usable spacing."""
    if not volume.calibrated:
        return None
    axes = np.asarray(volume.geometry.direction, dtype=float) @ np.diag(np.asarray(volume.geometry.spacing, dtype=float))
    return float(abs(np.linalg.det(axes))) / 1000.0


@dataclass(frozen=True)
class SegmentMask:
    """One segment on the volume's acquired slices: its filled mask on each slice it is on."""

    label: str
    rgb: tuple[int, int, int] | None
    by_slice: dict[int, np.ndarray]  # slice index -> rows x columns, bool (only slices it is on)

    def block(self) -> tuple[tuple[int, int, int], np.ndarray]:
        """``((k, row, column) of its first voxel, mask)``: the segment within its bounding box,
        slices x rows x columns (a whole CT's mask would be 70 MB a segment)."""
        ks = sorted(self.by_slice)
        rows = np.flatnonzero(np.logical_or.reduce([m.any(axis=1) for m in self.by_slice.values()]))
        columns = np.flatnonzero(np.logical_or.reduce([m.any(axis=0) for m in self.by_slice.values()]))
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1
        block = np.zeros((ks[-1] - ks[0] + 1, r1 - r0, c1 - c0), bool)
        for k, mask in self.by_slice.items():
            block[k - ks[0]] = mask[r0:r1, c0:c1]
        return (ks[0], r0, c0), block


def segment_masks(volume: Volume) -> list[SegmentMask]:
    """Each segment placed on the volume's slices that covers a voxel, in the overlay's order of labels."""
    return segments_of(volume.overlay_planes, volume.shape[0])


def segments_of(overlay_planes: dict[int, list[OverlayPlane]], depth: int) -> list[SegmentMask]:
    """Each segment among overlay planes by slice (of a stack ``depth`` slices deep) that covers a
    voxel, in the overlay's order of labels."""
    masks: dict[str, dict[int, np.ndarray]] = {}
    colours: dict[str, tuple[int, int, int] | None] = {}
    for k, planes in overlay_planes.items():
        for plane in planes:
            if plane.kind != "S" or plane.filled is None or not 0 <= k < depth:
                continue
            by_slice = masks.setdefault(plane.label, {})
            by_slice[k] = by_slice[k] | plane.filled if k in by_slice else np.asarray(plane.filled, bool)
            colours[plane.label] = plane.rgb
    out = []
    for label in sorted(masks, key=_segment_order):
        on = {k: m for k, m in masks[label].items() if m.any()}
        if on:
            out.append(SegmentMask(label, colours.get(label), on))
    return out


def segment_summaries(volume: Volume) -> list[SegmentSummary]:
    """Each segment placed on the volume's slices, in the overlay's order of labels."""
    voxel_ml = voxel_volume_ml(volume)
    out = []
    for segment in segment_masks(volume):
        label, by_slice = segment.label, segment.by_slice
        values = np.concatenate([volume.array[k][m] for k, m in sorted(by_slice.items())]).astype(np.float64)
        voxels = int(values.size)
        if volume.padding is not None:
            values = values[~volume.padding.mask(values)]
        counts = {k: int(m.sum()) for k, m in by_slice.items()}
        largest = min(counts, key=lambda k: (-counts[k], k))  # the first of equal ones
        rows, columns = np.nonzero(by_slice[largest])
        has_values = values.size > 0
        out.append(SegmentSummary(
            label, segment.rgb, voxels, voxels * voxel_ml if voxel_ml is not None else None,
            (min(by_slice), max(by_slice)), largest, (float(columns.mean()), float(rows.mean())),
            float(values.mean()) if has_values else None,
            (float(values.std(ddof=1)) if values.size > 1 else 0.0) if has_values else None,
            float(values.min()) if has_values else None, float(values.max()) if has_values else None,
            volume.unit, volume.value_decimals))
    return out


def _segment_order(label: str) -> tuple[int, str]:
    """"segment 2 node" before "segment 10 liver": by the segment's number, then its words."""
    parts = label.split(maxsplit=2)
    number = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return number, label
