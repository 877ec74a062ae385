"""One volume laid over another in colour: a PET over its CT (fusion), as a PET/CT is read.

The two series must share a Frame of Reference (PS3.3 C.7.4.1: "the same ... spatial frame of
reference", a PET/CT scanner's two acquisitions): only then do their Image Position (Patient)
values place both in the same patient space, so each screen point of the CT pane is looked up in
the PET by its patient position (mm), whatever the two grids' spacing, extent or orientation.
Series of different frames of reference are refused, in words, not registered by guess.

The overlay's colours are a DICOM well-known colour palette (PS3.6 Annex B: Hot Iron, PET),
read from the palettes pydicom ships (``apply_color_lut``), indexed by the PET's grey level
through its window (:func:`..pixels.window_values`: SUV 0-5 is LINEAR_EXACT over 0..5 SUVbw).
The layer is blended at the reader's opacity where the PET is above the window's lower edge;
below it (grey 0, the palette's black) it is left out, so cold tissue shows the CT alone rather
than a darkened CT.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from .loading import load_volume
from .pixels import Window, auto_window, window_values
from .presets import pet_window_presets
from .study_tree import Series
from .volume import Volume

# PS3.6 Annex B well-known palettes, by the name a reader sees, with their SOP Instance UIDs
PALETTES = {"Hot Iron": "1.2.840.10008.1.5.1", "PET": "1.2.840.10008.1.5.2"}
OPACITIES = (0.25, 0.5, 0.75)


@cache
def palette_colours(name: str) -> np.ndarray:
    """The 256 RGB entries (uint8) of the well-known palette ``name`` (a key of PALETTES)."""
    from pydicom.pixels import apply_color_lut

    return np.asarray(apply_color_lut(np.arange(256, dtype=np.uint8), palette=PALETTES[name]), np.uint8)


def fusion_problem(base: Volume, over: Volume) -> str:
    """Why ``over`` cannot be laid over ``base`` ("" when it can): not the same frame of
    reference, no place in the patient, or no overlap."""
    if over is base:
        return "it is the series shown"
    frame, other = base.metadata.get("frame_of_reference", ""), over.metadata.get("frame_of_reference", "")
    if not frame or not other:
        return "a series states no Frame of Reference UID: their positions cannot be trusted to line up"
    if frame != other:
        return "the two series are not in the same frame of reference (their positions do not line up)"
    lo, hi = base.bounds()
    other_lo, other_hi = over.bounds()
    if np.any(other_hi < lo) or np.any(other_lo > hi):
        return "the two series do not overlap in the patient"
    return ""


def default_window(volume: Volume) -> Window:
    """The window a fused volume opens with: SUV 0-5 on a PET in SUVbw, else its own or an automatic one."""
    if volume.unit == "SUVbw":
        return pet_window_presets()["SUV 0-5"][1]
    return volume.window or auto_window(volume.array[len(volume.array) // 2], padding=volume.padding)


@dataclass
class Fusion:
    """``volume`` laid over the panes of another: through ``window``, in ``palette``'s colours, at ``opacity``."""

    volume: Volume
    window: Window
    opacity: float = 0.5
    palette: str = "Hot Iron"
    label: str = ""  # the fused series, in words ("#4 PT ...")
    series_uid: str = ""  # the fused series' Series Instance UID

    def colours(self) -> np.ndarray:
        return palette_colours(self.palette)

    def rgba(self, values: np.ndarray) -> np.ndarray:
        """``values`` of the fused volume as RGBA (uint8, ``values.shape + (4,)``): the palette at
        their grey level, at the opacity; transparent at grey 0 (at or below the window)."""
        grey = window_values(values, self.window)
        out = np.empty((*grey.shape, 4), np.uint8)
        out[..., :3] = self.colours()[grey]
        out[..., 3] = np.where(grey > 0, np.uint8(round(self.opacity * 255)), np.uint8(0))
        return out

    def sample(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fused volume's values at patient ``points`` (mm, ``(..., 3)``), nearest voxel, and
        where the points lie inside it."""
        shape = points.shape[:-1]
        index = np.rint(self.volume.geometry.world_to_index(points.reshape(-1, 3))).astype(np.int64)
        k, j, i = self.volume.shape
        inside = ((index >= 0) & (index < np.array([i, j, k]))).all(axis=1)
        safe = np.clip(index, 0, np.array([i - 1, j - 1, k - 1]))
        values = self.volume.array[safe[:, 2], safe[:, 1], safe[:, 0]]
        return values.reshape(shape), inside.reshape(shape)

    def rgba_grid(self, corner: np.ndarray, step_x: np.ndarray, step_y: np.ndarray, width: int,
                  height: int, smooth: bool = False, slab: tuple[str, float, np.ndarray] | None = None) -> np.ndarray:
        """The layer (RGBA, ``height x width x 4``; transparent outside the fused volume) at the
        patient points ``corner + c step_x + r step_y`` (mm) for rows r < ``height`` and columns
        c < ``width``, each the nearest voxel's colour: a screen's grid. Each voxel index is affine
        in (r, c), so it is worked out per axis, along one screen axis alone where the other does
        not move it (a plane along the fused volume's own axes: a CT pane over its PET); the
        colours are made once for the block of voxels the grid reaches (one slice of the PET for an
        axial pane) and gathered, packed, per screen pixel (1024 x 1024 in about 10 ms). ``smooth``:
        each point's value interpolated between its eight nearest voxels (trilinear, as VTK draws
        the fused slice) before it is coloured, for the picture once the view is still. ``slab``:
        (mode, thickness mm, the plane's unit normal) of a thick slab shown on the pane: the fused
        volume's slices whose centres lie within it, combined as the pane's (MIP: the highest value
        at each point, MinIP the lowest, mean the mean), so a PET lesion in the slab shows over
        the CT's MIP of it."""
        if slab is not None and slab[0] != "none" and slab[1] > 0:
            return self._slab_grid(corner, step_x, step_y, width, height, smooth, slab)
        indices, inside, positions = self._grid(corner, step_x, step_y, width, height)
        if smooth:
            out = self.rgba(np.broadcast_to(self._trilinear(positions), (height, width)))
            out[~inside] = 0
            return out
        lows = [int(n.min()) for n in indices]
        block = self.volume.array[lows[2]:int(indices[2].max()) + 1, lows[1]:int(indices[1].max()) + 1,
                                  lows[0]:int(indices[0].max()) + 1]
        if block.size <= width * height:  # colour the voxels, then gather their packed colours
            out = self._gathered(block, [n - low for n, low in zip(indices, lows, strict=True)], width, height)
        else:  # a plane across many slices of a large volume: colour the gathered values instead
            out = self.rgba(np.broadcast_to(self.volume.array[indices[2], indices[1], indices[0]], (height, width)))
        out[~inside] = 0
        return out

    def _grid(self, corner: np.ndarray, step_x: np.ndarray, step_y: np.ndarray, width: int, height: int,
              ) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
        """For the grid of :meth:`rgba_grid`: each point's nearest voxel index per axis (i, j, k;
        clipped into the volume; arrays that broadcast to ``height x width``), where the points
        lie inside, and their continuous indices."""
        g = self.volume.geometry
        to_index = np.linalg.inv(g.direction) / np.asarray(g.spacing)[:, None]  # index = M (p - origin)
        base = to_index @ (np.asarray(corner, float) - np.asarray(g.origin))
        along_c, along_r = to_index @ np.asarray(step_x, float), to_index @ np.asarray(step_y, float)
        rows, columns = np.arange(height, dtype=np.float64)[:, None], np.arange(width, dtype=np.float64)[None, :]
        k, j, i = self.volume.shape
        indices, inside, positions = [], np.ones((height, width), bool), []
        for axis, size in enumerate((i, j, k)):
            moves_c, moves_r = abs(along_c[axis]) > 1e-12, abs(along_r[axis]) > 1e-12
            at = base[axis] + (rows * along_r[axis] if moves_r else 0.0) + (columns * along_c[axis] if moves_c else 0.0)
            positions.append(np.asarray(at, np.float64))
            index = np.rint(positions[-1]).astype(np.int64)
            inside &= (index >= 0) & (index < size)  # broadcast to the grid
            indices.append(np.clip(index, 0, size - 1))
        return indices, inside, positions

    def _slab_grid(self, corner: np.ndarray, step_x: np.ndarray, step_y: np.ndarray, width: int, height: int,
                   smooth: bool, slab: tuple[str, float, np.ndarray]) -> np.ndarray:
        """:meth:`rgba_grid` over a thick slab: the grid moved along the normal onto each of the
        fused volume's slices whose centre lies within half the thickness of the plane (along its
        index axis nearest the normal), their values combined where they lie inside it."""
        mode, thickness, normal = slab
        normal = np.asarray(normal, float) / np.linalg.norm(normal)
        g = self.volume.geometry
        axis = self.volume.axis_along(normal)
        step = float(g.spacing[axis])
        centre = float(g.world_to_index(np.asarray(corner, float))[axis])  # the plane's place along that axis
        half = thickness / 2 / step
        first, last = max(0, math.ceil(centre - half - 1e-9)), min(self.volume.shape[2 - axis] - 1,
                                                                   math.floor(centre + half + 1e-9))
        slices = list(range(first, last + 1)) or [int(np.clip(math.floor(centre + 0.5), 0, self.volume.shape[2 - axis] - 1))]
        if not smooth:
            fast = self._slab_along_axis(corner, step_x, step_y, width, height, mode, axis, slices)
            if fast is not None:
                return fast
        fill = {"mip": -np.inf, "minip": np.inf}.get(mode, 0.0)
        combined, count = np.full((height, width), fill), np.zeros((height, width))
        for n in slices:
            moved = np.asarray(corner, float) + (n - centre) * step * normal / abs(float(g.direction[:, axis] @ normal))
            indices, inside, positions = self._grid(moved, step_x, step_y, width, height)
            values = np.broadcast_to(self._trilinear(positions) if smooth else
                                     self.volume.array[indices[2], indices[1], indices[0]], (height, width))
            if mode == "mip":
                combined = np.where(inside, np.maximum(combined, values), combined)
            elif mode == "minip":
                combined = np.where(inside, np.minimum(combined, values), combined)
            else:
                combined = combined + np.where(inside, values, 0.0)
            count += inside
        seen = count > 0
        if mode not in ("mip", "minip"):
            combined = np.divide(combined, count, out=np.zeros_like(combined), where=seen)
        out = self.rgba(np.where(seen, combined, 0.0))
        out[~seen] = 0
        return out

    def _slab_along_axis(self, corner: np.ndarray, step_x: np.ndarray, step_y: np.ndarray, width: int, height: int,
                         mode: str, axis: int, slices: list[int]) -> np.ndarray | None:
        """:meth:`_slab_grid` where the grid lies along the volume's ``axis`` (a CT's axial pane
        over its axial PET): the ``slices`` combined first, once, then gathered (the same values,
        about eight times faster than gathering each slice); None where the grid crosses that axis."""
        indices, _, positions = self._grid(corner, step_x, step_y, width, height)
        if np.asarray(indices[axis]).size != 1:
            return None
        inside = np.ones((height, width), bool)
        sizes = self.volume.shape[::-1]  # i, j, k
        for other in (a for a in range(3) if a != axis):
            raw = np.rint(positions[other])
            inside &= (raw >= 0) & (raw < sizes[other])
        lows = [int(np.min(n)) for n in indices]
        highs = [int(np.max(n)) + 1 for n in indices]
        block_slices = [slice(lo, hi) for lo, hi in zip(lows, highs, strict=True)]
        block_slices[axis] = slice(slices[0], slices[-1] + 1)
        block = self.volume.array[block_slices[2], block_slices[1], block_slices[0]]
        reduce = {"mip": np.max, "minip": np.min}.get(mode, np.mean)
        combined = np.expand_dims(reduce(block, axis=2 - axis), 2 - axis)  # one slice along the axis
        at = [n - lo for n, lo in zip(indices, lows, strict=True)]
        at[axis] = np.zeros((), np.int64)
        out = self._gathered(combined, at, width, height)
        out[~inside] = 0
        return out

    def _gathered(self, block: np.ndarray, at: list[np.ndarray], width: int, height: int) -> np.ndarray:
        """The layer (``height x width x 4``) of the voxels of ``block`` (k, j, i) at the indices
        ``at`` (i, j, k into the block; arrays that broadcast to the grid): the block's colours made
        once and gathered, packed four bytes to one, per screen pixel."""
        colours = np.ascontiguousarray(self.rgba(block)).view(np.uint32)[..., 0]
        return np.broadcast_to(colours[at[2], at[1], at[0]], (height, width)).copy().view(np.uint8).reshape(height, width, 4)

    def _trilinear(self, positions: list[np.ndarray]) -> np.ndarray:
        """The fused volume's values at continuous voxel indices (i, j, k arrays that broadcast),
        each from its eight nearest voxels (an edge voxel stands for the ones past it)."""
        sizes = self.volume.shape[::-1]  # i, j, k
        lows = [np.floor(p) for p in positions]
        weights = [p - low for p, low in zip(positions, lows, strict=True)]
        total: np.ndarray | float = 0.0
        for corner in range(8):
            weight: np.ndarray | float = 1.0
            index = []
            for axis in range(3):
                up = (corner >> axis) & 1
                weight = weight * (weights[axis] if up else 1.0 - weights[axis])
                index.append(np.clip(lows[axis].astype(np.int64) + up, 0, sizes[axis] - 1))
            total = total + weight * self.volume.array[index[2], index[1], index[0]]
        return np.asarray(total)

    def span(self) -> tuple[float, float]:
        """The window's lower and upper edges, in the fused volume's values (SUV 0-5: 0 and 5)."""
        return self.window.center - self.window.width / 2, self.window.center + self.window.width / 2

    def scale_labels(self) -> tuple[str, str]:
        """The colour bar's two labels: the window's lower edge, and its upper edge with the unit."""
        lo, hi = self.span()
        return f"{lo:g}", f"{hi:g} {self.volume.unit}".strip()

    def describe(self) -> str:
        lo, hi = self.span()
        unit = f" {self.volume.unit}" if self.volume.unit else ""
        return f"Fused: {self.label} {lo:g}-{hi:g}{unit}, {self.palette}, {round(self.opacity * 100)} %".replace("  ", " ")


def fusion_of(base: Volume, base_series: Series | None, series: Series, loaded: Volume | None = None) -> Fusion:
    """``series`` (``loaded`` already, or read now) made ready to lay over ``base`` (of
    ``base_series``) at its default window; ValueError saying why it cannot be (LoadError where it
    cannot be read)."""
    if base_series is not None and series.uid == base_series.uid:
        raise ValueError("it is the series shown")
    over = loaded if loaded is not None else load_volume(series)
    problem = fusion_problem(base, over)
    if problem:
        raise ValueError(problem)
    label = f"#{series.number} {over.modality}" if series.number is not None else over.modality
    return Fusion(over, default_window(over), label=label, series_uid=series.uid)
