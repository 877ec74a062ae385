"""The two image models everything downstream uses: :class:`Volume` (3D) and :class:`Film` (2D).

Values are modality values (HU for CT, after the Modality LUT); display-only state (window,
zoom, slice) lives in :mod:`.display`, not here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .calibration import READER
from .geometry import Geometry
from .overlay_planes import OverlayPlane, outline
from .pixels import Padding, Window
from .shutters import DisplayShutter
from .value_text import value_decimals, value_unit


@dataclass
class Volume:
    """A 3D image: ``array[k, j, i]`` (slice, row, column) with its patient-space geometry."""

    array: np.ndarray
    geometry: Geometry
    modality: str = ""
    window: Window | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # ImagePositionPatient of each acquired slice (k, 3), kept when the stack was resampled onto a
    # regular grid (gantry tilt, uneven spacing: see regularise.py)
    acquired_positions: np.ndarray | None = None
    resampled: str = ""  # what was resampled ("gantry tilt 18.5°, ..."), or ""
    # overlay planes (60xx) of the acquired slices, and a SEG's segments: slice index k -> its
    # planes (drawn on the acquired plane; on a resampled stack, moved onto its regular slices)
    overlay_planes: dict[int, list[OverlayPlane]] = field(default_factory=dict)
    calibrated: bool = True  # False: no usable PixelSpacing; sizes are pixels, not mm
    oriented: bool = True  # False: no ImageOrientationPatient; no orientation letters
    # the values that are padding, not image (Pixel Padding Value, PS3.3 C.7.5.1.1.2), or None
    padding: Padding | None = None
    # every window the slice shown first states, with its explanation (pixels.dataset_windows)
    stated_windows: list[tuple[str, Window]] = field(default_factory=list)
    # minimum value displayed white: MONOCHROME1 slices (C.7.6.3.1.2), or their own Presentation
    # LUT Shape INVERSE (polarity.py); the reader's Invert comes on top
    invert: bool = False

    @property
    def shape(self) -> tuple[int, int, int]:
        depth, rows, columns = self.array.shape
        return int(depth), int(rows), int(columns)

    def corner_points(self) -> np.ndarray:
        """Patient positions (mm) of the eight corner voxels' centres (8 x 3)."""
        k, j, i = self.shape
        corners = np.array([[a, b, c] for a in (0, i - 1) for b in (0, j - 1) for c in (0, k - 1)], dtype=float)
        return np.asarray(self.geometry.index_to_world(corners))

    def axis_along(self, direction: np.ndarray) -> int:
        """The index axis closest to the patient ``direction``: :meth:`.Geometry.axis_along`."""
        return self.geometry.axis_along(direction)

    def step_along(self, normal: np.ndarray) -> float:
        """One slice's step (mm) of a plane of ``normal``: :meth:`.Geometry.step_along`."""
        return self.geometry.step_along(normal)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The patient-space box (lowest corner, highest corner) around the voxel centres."""
        corners = self.corner_points()
        return corners.min(axis=0), corners.max(axis=0)

    @property
    def unit(self) -> str:
        """The values' unit (HU, Gy, Bq/mL, ...; "" when unknown): :func:`.value_text.value_unit`."""
        return value_unit(self.modality, self.metadata)

    @cached_property
    def value_decimals(self) -> int:
        """Decimals its values are written with (:func:`.value_text.value_decimals`)."""
        return value_decimals(self.array)

    @property
    def sul_per_suv(self) -> float | None:
        """A PET in SUVbw: lean body mass over weight (SUL = SUVbw x this; viewer.suv), else None."""
        text = self.metadata.get("sul_per_suv")
        return float(text) if text else None

    def overlay_mask(self, k: int) -> np.ndarray | None:
        """The union of slice ``k``'s overlay planes (rows x columns), or None."""
        planes = self.overlay_planes.get(k)
        return np.logical_or.reduce([p.mask for p in planes]) if planes else None

    def is_padding(self, value: float) -> bool:
        """Whether a value is padding, not image (C.7.5.1.1.2)."""
        return self.padding is not None and self.padding.low <= value <= self.padding.high

    def overlay_rgba(self, k: int, default_rgb: tuple[int, int, int],
                     hidden: tuple[str, ...] = ()) -> np.ndarray | None:
        """Slice ``k``'s overlay planes as one RGBA layer (rows x columns x 4): each plane in its
        own colour (a segment's), else ``default_rgb``, opaque where set, later planes on top; the
        segments labelled in ``hidden`` left out; None when the slice has none to show."""
        planes = [p for p in self.overlay_planes.get(k, []) if not (p.kind == "S" and p.label in hidden)]
        if not planes:
            return None
        rgba = np.zeros((*planes[0].mask.shape, 4), np.uint8)
        for plane in planes:
            rgba[plane.mask] = (*(plane.rgb or default_rgb), 255)
        return rgba

    def segment_cut(self, axis: int, index: int, default_rgb: tuple[int, int, int],
                    hidden: tuple[str, ...] = ()) -> np.ndarray | None:
        """The segments (DICOM SEG) across the acquired slices, cut at column ``index`` (``axis``
        0) or row ``index`` (``axis`` 1): an RGBA layer of depth x rows (axis 0) or depth x
        columns (axis 1), each segment's outline in that plane in its colour (``default_rgb``
        without one, as :meth:`overlay_rgba`), those labelled in ``hidden`` left out; None when no
        segment reaches it. What a coronal or sagittal reformat of an axial stack shows of them."""
        if axis not in (0, 1):
            raise ValueError("a cut across the slices is at a column (0) or a row (1)")
        depth, rows, columns = self.shape
        if not 0 <= index < (columns if axis == 0 else rows):
            return None
        cuts: dict[tuple[str, tuple[int, int, int] | None], np.ndarray] = {}
        for k, planes in self.overlay_planes.items():
            for plane in planes:
                if plane.filled is None or not 0 <= k < depth or plane.label in hidden:
                    continue
                line = plane.filled[:, index] if axis == 0 else plane.filled[index, :]
                if line.any():
                    key = (plane.label, plane.rgb)
                    cuts.setdefault(key, np.zeros((depth, line.size), bool))[k] = line
        if not cuts:
            return None
        rgba = np.zeros((depth, rows if axis == 0 else columns, 4), np.uint8)
        for (_, rgb), mask in cuts.items():
            rgba[outline(mask)] = (*(rgb or default_rgb), 255)
        return rgba

    def segment_plane(self, origin: np.ndarray, right: np.ndarray, up: np.ndarray, step: float,
                      shape: tuple[int, int], default_rgb: tuple[int, int, int],
                      hidden: tuple[str, ...] = ()) -> np.ndarray | None:
        """The segments (DICOM SEG) on a plane that runs along no index axis (a true coronal of
        an oblique acquisition): an RGBA layer of ``shape`` (rows, columns) whose pixel (c, r)
        lies at ``origin + c·step·right + r·step·up`` (mm, patient space), each segment's outline
        there in its colour (``default_rgb`` without one), those labelled in ``hidden`` left out;
        None when no segment reaches it. Each point takes the voxel it falls in (nearest), as the
        acquired slices show the segments; a point off the volume is in none."""
        rows, columns = shape
        right, up = np.asarray(right, dtype=float), np.asarray(up, dtype=float)
        c, r = np.meshgrid(np.arange(columns, dtype=float), np.arange(rows, dtype=float))
        points = np.asarray(origin, dtype=float) + (c.reshape(-1, 1) * right + r.reshape(-1, 1) * up) * step
        index = np.floor(self.geometry.world_to_index(points) + 0.5).astype(np.int64)  # nearest, halves up
        depth, height, width = self.shape
        inside = ((index[:, 0] >= 0) & (index[:, 0] < width) & (index[:, 1] >= 0) & (index[:, 1] < height)
                  & (index[:, 2] >= 0) & (index[:, 2] < depth))
        masks: dict[tuple[str, tuple[int, int, int] | None], np.ndarray] = {}
        # the points on slices that hold segments, grouped by slice (one sort, not a pass per slice:
        # a coronal of a tilted 300-slice CT crosses them all)
        chosen = np.flatnonzero(inside)
        chosen = chosen[np.isin(index[chosen, 2], np.fromiter(self.overlay_planes, dtype=np.int64))]
        chosen = chosen[np.argsort(index[chosen, 2], kind="stable")]
        for here in np.split(chosen, np.flatnonzero(np.diff(index[chosen, 2])) + 1) if chosen.size else []:
            planes = [p for p in self.overlay_planes[int(index[here[0], 2])]
                      if p.filled is not None and p.label not in hidden]
            for plane in planes:
                assert plane.filled is not None
                hit = here[plane.filled[index[here, 1], index[here, 0]]]
                if hit.size:
                    masks.setdefault((plane.label, plane.rgb), np.zeros(rows * columns, bool))[hit] = True
        if not masks:
            return None
        rgba = np.zeros((rows, columns, 4), np.uint8)
        for (_, rgb), mask in masks.items():
            rgba[outline(mask.reshape(rows, columns))] = (*(rgb or default_rgb), 255)
        return rgba

    def value_at(self, ijk: tuple[int, int, int]) -> float | None:
        i, j, k = ijk
        if 0 <= k < self.array.shape[0] and 0 <= j < self.array.shape[1] and 0 <= i < self.array.shape[2]:
            return float(self.array[k, j, i])
        return None


@dataclass
class Film:
    """A 2D image (radiograph or photo film) with its photometric and calibration state.

    ``spacing`` is ``(row spacing, column spacing)`` in mm, or ``None`` when the image is
    uncalibrated (no PixelSpacing / ImagerPixelSpacing, or a zero value as in the NEMA WG04
    films); measurements are then given in pixels and the scale bar is hidden.
    """

    values: np.ndarray
    window: Window
    invert: bool = False  # MONOCHROME1: minimum value displayed white (C.7.6.3.1.2)
    spacing: tuple[float, float] | None = None
    spacing_source: str = ""
    modality: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    overlays: list[OverlayPlane] = field(default_factory=list)  # 60xx overlay planes on its grid
    # a colour image's RGB (rows x columns x 3, uint8, after pydicom's YBR / palette conversion);
    # ``values`` then hold its luminance (status bar, ROI statistics), the window applies to each channel
    colour: np.ndarray | None = None
    # the SOP Instance UID of the multi-frame object (a cine) this film is a frame of, "" for a
    # single image: the frames of one cine are shown with one display (window, zoom, pan)
    cine: str = ""
    # the frames per second its cine was recorded at, or is to be shown at (PS3.3 C.7.6.5 Cine
    # module; see loading.cine_rate); None when the object does not say
    frame_rate: float | None = None
    # a pixel's height over its width (PS3.3 C.7.6.3.1.7): the row over the column spacing, else
    # the Pixel Aspect Ratio; the film is shown with it, never stretched to square pixels
    aspect: float = 1.0
    # the values that are padding, not image (Pixel Padding Value, PS3.3 C.7.5.1.1.2), or None
    padding: Padding | None = None
    # the part of the film not to be seen (Display Shutter, PS3.3 C.7.6.11), or None
    shutter: DisplayShutter | None = None
    # every window the image states that suits its values, with its explanation (pixels.dataset_windows)
    stated_windows: list[tuple[str, Window]] = field(default_factory=list)
    # the image through its own VOI LUT table (PS3.3 C.11.2.1.1), where it has one and states no
    # window: what it is shown as until the reader picks a window. ``values`` stay the modality
    # values (the readout, ROI statistics and reports read them); a window the reader picks, a
    # preset or a presentation state's window is in modality values and replaces the table (C.11.2)
    voi_output: np.ndarray | None = None
    # the image's own pixel size and its source while the reader's calibration stands in for them
    stated_spacing: tuple[tuple[float, float] | None, str] | None = field(default=None, repr=False)

    def calibrate_by_reader(self, spacing: tuple[float, float] | None) -> bool:
        """Measure with ``spacing``, the reader's calibration against an object of known size
        (:func:`calibration.known_length_spacing`), or with None the image's own pixel size again.
        The pixels' shape (:attr:`aspect`) stays: the calibration scales both sides alike.
        Returns whether the pixel size changed."""
        if self.stated_spacing is None:
            self.stated_spacing = (self.spacing, self.spacing_source)
        before = self.spacing
        self.spacing, self.spacing_source = (spacing, READER) if spacing is not None else self.stated_spacing
        return self.spacing != before

    def is_padding(self, value: float) -> bool:
        """Whether a value is padding, not image (C.7.5.1.1.2)."""
        return self.padding is not None and self.padding.low <= value <= self.padding.high

    def display_source(self, voi_table: bool) -> np.ndarray:
        """What the display's window applies to: the VOI LUT table's output when ``voi_table``
        (and the film has one), else the modality values."""
        return self.voi_output if voi_table and self.voi_output is not None else self.values

    def as_acquired(self) -> np.ndarray:
        """What its own window (:attr:`window`) applies to: the table's output where it has one."""
        return self.display_source(True)

    def shown_values(self) -> np.ndarray:
        """The values inside the display shutter (all of them without one), for an automatic
        window: the unexposed border the shutter hides is no part of the picture's range."""
        return self.values[self.shutter.shown] if self.shutter is not None else self.values

    @property
    def calibrated(self) -> bool:
        return self.spacing is not None

    @property
    def unit(self) -> str:
        """The values' unit (HU, Gy, Bq/mL, ...; "" when unknown): :func:`.value_text.value_unit`."""
        return value_unit(self.modality, self.metadata)

    @cached_property
    def value_decimals(self) -> int:
        """Decimals its values are written with (:func:`.value_text.value_decimals`); a colour
        film's none: its window acts on whole 0..255 samples (its ``values`` are a luminance)."""
        return 0 if self.colour is not None else value_decimals(self.values)

    @property
    def shape(self) -> tuple[int, int]:
        rows, columns = self.values.shape
        return int(rows), int(columns)

    def as_volume(self) -> Volume:
        """A one-slice volume (for code that only knows volumes, e.g. thumbnails)."""
        sy, sx = self.spacing or (1.0, 1.0)
        return Volume(self.values[np.newaxis], Geometry(spacing=(sx, sy, 1.0)), self.modality, self.window, self.metadata,
                      padding=self.padding, invert=self.invert)
