"""The image layer of a film or MPR scene computed on the CPU, at screen resolution.

On a machine without a GPU, OpenGL is Mesa's llvmpipe: filling a 1024 x 1024 view with VTK's
textured image quad alone takes 25 ms on 2 cores, so no VTK frame reaches 60 fps there. This
module computes the same picture with numpy instead: for each screen pixel the nearest source
pixel (for a film shown under half size, from a 2x2-mean pyramid, as a mipmap would), and the
VOI window through a lookup table built with :func:`..pixels.window_values` (so the grey levels
are the ones the DICOM formula gives) — applied to whichever is smaller, the source plane or the
screen's samples (kept while only the window changes, as in a W/L drag).

It covers views whose screen axes run along the image's or volume's index axes (films at 0/90/
180/270 degrees, flipped or not; axial, coronal and sagittal planes of an axis-aligned volume);
:meth:`PlaneRaster.supported` says when it does not (an oblique acquisition), and the VTK view is
used then. Scenes still own the geometry: the raster asks them where each screen pixel falls.
"""
from __future__ import annotations

import math

import numpy as np

from ..pixels import Window, window_values


def _linear_window_float32(values: np.ndarray, window: Window, invert: bool) -> np.ndarray:
    """:func:`..pixels.window_values` for the LINEAR function in float32 and in place: the
    ramp clipped to 0..255 is the same as its three cases (below, inside, above the window);
    float32 instead of float64 can move a value lying on a grey-level boundary by one level."""
    c, w = float(window.center), float(window.width)
    y = values.astype(np.float32)
    y -= np.float32(c - 0.5)
    y *= np.float32(255.0 / (w - 1)) if w > 1 else np.float32(255.0 * 1e6)
    y += np.float32(127.5)
    np.clip(y, 0.0, 255.0, out=y)
    grey = np.rint(y, out=y).astype(np.uint8)
    return 255 - grey if invert else grey


class PlaneRaster:
    """Screen-resolution grey pixels of a ``FilmScene`` or an ``MprScene``.

    Parameters
    ----------
    scene
        The scene whose display state (zoom, pan, rotation, flips, crosshair, window) is drawn;
        its renderer must know the viewport's size.
    """

    def __init__(self, scene, source: np.ndarray | None = None) -> None:
        self.scene = scene
        self.kind = scene.kind
        self._given_source = source  # one channel of a colour film (else the film's values)
        self._levels: list[np.ndarray] = []  # the source, then its pyramid; made on first use
        self._levels_of: np.ndarray | None = None  # the film's array the levels were made from
        self._table_key: tuple | None = None
        self._table: np.ndarray | None = None
        self._sample_key: tuple | None = None
        self._sample_cache: tuple | None = None
        self._gathered_key: tuple | None = None
        self._gathered: np.ndarray | None = None

    def _film_source(self) -> np.ndarray:
        """The film's array the display's window applies to: its modality values or a VOI LUT
        table's output (the scene's ``source``; a scene without one: :meth:`Film.display_source`)."""
        source = getattr(self.scene, "source", None)
        if isinstance(source, np.ndarray):
            return source
        return self.scene.film.display_source(getattr(self.scene.display, "voi_table", False))

    def _source(self) -> np.ndarray:
        """The film's values or the volume's array; integral floats (stored values through an
        integer rescale: nearly every film) as 16-bit integers when they fit, so that windowing
        is one table lookup."""
        if self._given_source is not None:
            return self._given_source
        source = self._film_source() if self.kind == "film" else self.scene.volume.array
        if np.issubdtype(source.dtype, np.floating) and source.size and bool(np.array_equal(source, np.rint(source))):
            lo, hi = float(source.min()), float(source.max())
            if lo >= 0 and hi <= 65535:
                return source.astype(np.uint16)
            if lo >= -32768 and hi <= 32767:
                return source.astype(np.int16)
        return source

    # -- geometry -------------------------------------------------------------------------
    def _index_of(self, x: float, y: float) -> np.ndarray:
        """Continuous source index under display pixel (x, y) (VTK convention, y up): (column,
        row) of a film, (i, j, k) of a volume."""
        if self.kind == "film":
            return np.asarray(self.scene.display_to_image(x, y), dtype=float)
        world = self.scene.display_to_world(x, y)
        return self.scene.volume.geometry.world_to_index(world)

    def _mapping(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Source index at display (0, 0) and its steps per display pixel right and up; None
        when a screen axis does not run along one index axis."""
        origin = self._index_of(0.0, 0.0)
        step_x = self._index_of(1.0, 0.0) - origin
        step_y = self._index_of(0.0, 1.0) - origin
        tol = 1e-6 * max(1.0, float(np.abs(step_x).max()), float(np.abs(step_y).max()))
        if np.count_nonzero(np.abs(step_x) > tol) != 1 or np.count_nonzero(np.abs(step_y) > tol) != 1:
            return None
        if int(np.argmax(np.abs(step_x))) == int(np.argmax(np.abs(step_y))):
            return None
        return origin, step_x, step_y

    def supported(self) -> bool:
        if self.kind == "mpr" and not self.scene.volume.geometry.is_axis_aligned() and self.scene.plane != "acquired":
            return False  # a reformat across an oblique stack: VTK reslices it (the acquired plane runs along the index axes)
        return self._mapping() is not None

    # -- pixels ---------------------------------------------------------------------------
    def _level(self, n: int) -> np.ndarray:
        """The film halved ``n`` times by 2x2 means (level 0: the source itself)."""
        if self.kind == "film" and self._given_source is None and self._levels_of is not self._film_source():
            self._levels = []  # the window now applies to the other (modality values / VOI LUT output)
        if not self._levels:
            self._levels_of = self._film_source() if self.kind == "film" else None
            self._levels.append(self._source())
        while len(self._levels) <= n:
            a = self._levels[-1]
            if a.shape[-1] < 2 or a.shape[-2] < 2:
                break
            rows, cols = a.shape[-2] // 2 * 2, a.shape[-1] // 2 * 2
            a = a[..., :rows, :cols]
            mean = (a[..., 0::2, 0::2].astype(np.float32) + a[..., 1::2, 0::2] + a[..., 0::2, 1::2] + a[..., 1::2, 1::2]) / 4
            self._levels.append(np.rint(mean).astype(a.dtype) if np.issubdtype(a.dtype, np.integer) else mean)
        return self._levels[min(n, len(self._levels) - 1)]

    def _sample(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(plane, rows, columns, inside, at_rows, at_columns)``: the screen (top row first) is
        ``plane[rows][:, columns]``, ``inside`` says where the image covers it, and ``at_rows`` /
        ``at_columns`` are the continuous source coordinates (for interpolation)."""
        mapping = self._mapping()
        if mapping is None:
            raise ValueError("this view is not axis-aligned: draw it with VTK")
        origin, step_x, step_y = mapping
        slab = self._slab() if self.kind == "mpr" else None
        # a film's source: its modality values or its VOI LUT table's output, as the window now applies
        source = id(self._film_source()) if self.kind == "film" and self._given_source is None else None
        key = (width, height, tuple(np.round(origin, 6)), tuple(np.round(step_x, 9)), tuple(np.round(step_y, 9)), slab,
               source)
        if key == self._sample_key and self._sample_cache is not None:
            return self._sample_cache
        axis_x, axis_y = int(np.argmax(np.abs(step_x))), int(np.argmax(np.abs(step_y)))
        ys = np.arange(height - 1, -1, -1, dtype=np.float64)  # top screen row is display y = height - 1
        xs = np.arange(width, dtype=np.float64)
        coord_x = origin[axis_x] + step_x[axis_x] * xs
        coord_y = origin[axis_y] + step_y[axis_y] * ys
        # a film shown smaller than half size: sample a pyramid level whose pixels are about one
        # screen pixel each. (Not volumes: a level of a whole CT costs its memory again, for
        # panes under half a slice's size only.)
        shrink = min(abs(step_x[axis_x]), abs(step_y[axis_y])) if self.kind == "film" else 1.0
        wanted = max(0, int(math.floor(math.log2(shrink)))) if shrink >= 2 else 0
        level = self._level(wanted)
        scale = 2 ** min(wanted, len(self._levels) - 1)
        if self.kind == "film":
            plane, iy, ix, ok_y, ok_x = _film_plane(level, axis_x, coord_x, coord_y, scale)
        else:
            plane, iy, ix, ok_y, ok_x = self._volume_plane(level, origin, axis_x, axis_y, coord_x, coord_y, slab)
        self._sample_key = key
        # a pyramid pixel p covers source pixels scale*p .. scale*p + scale - 1: its centre, where
        # it interpolates from, is at source (scale*p + (scale - 1) / 2)
        centre = (scale - 1) / 2
        self._sample_cache = (plane, iy, ix, ok_y[:, None] & ok_x[None, :], (coord_y - centre) / scale,
                              (coord_x - centre) / scale)
        return self._sample_cache

    def _slab(self) -> tuple[str, float] | None:
        d = self.scene.display
        return None if d.slab_mode == "none" or d.slab_thickness_mm <= 0 else (d.slab_mode, float(d.slab_thickness_mm))

    def _volume_plane(self, level, origin, axis_x, axis_y, coord_x, coord_y, slab):
        """The MPR plane (or slab) of an axis-aligned volume as a 2D array whose rows run down
        the screen and columns across it, with the screen's row and column indices into it."""
        k_size, j_size, i_size = level.shape
        sizes = {0: i_size, 1: j_size, 2: k_size}
        array_axis = {0: 2, 1: 1, 2: 0}  # index axis (i, j, k) -> axis of the [k, j, i] array
        normal_axis = ({0, 1, 2} - {axis_x, axis_y}).pop()
        ix, ok_x = _indices(coord_x, 1, sizes[axis_x])
        iy, ok_y = _indices(coord_y, 1, sizes[axis_y])
        centre = float(origin[normal_axis])
        nearest = int(np.clip(math.floor(centre + 0.5), 0, sizes[normal_axis] - 1))
        ks = np.array([nearest])
        if slab is not None:
            half = slab[1] / 2 / float(self.scene.volume.geometry.spacing[normal_axis])
            first = max(0, math.ceil(centre - half - 1e-9))
            span = np.arange(first, min(sizes[normal_axis] - 1, math.floor(centre + half + 1e-9)) + 1)
            ks = span if span.size else ks
        values = np.take(level, ks, axis=array_axis[normal_axis])
        axis = array_axis[normal_axis]
        if ks.size > 1 and slab is not None and slab[0] in ("mip", "minip"):
            values = (np.max if slab[0] == "mip" else np.min)(values, axis=axis, keepdims=True)
        elif ks.size > 1 and np.issubdtype(values.dtype, np.integer):  # mean, kept integral
            values = np.rint(values.mean(axis=axis, keepdims=True, dtype=np.float32)).astype(values.dtype)
        elif ks.size > 1:
            values = values.mean(axis=axis, keepdims=True)
        plane = np.squeeze(values, axis=axis)  # the two other axes, in array order
        if min((axis_x, axis_y), key=array_axis.get) != axis_y:  # the plane's rows are the screen's columns
            plane = plane.T
        return plane, iy, ix, ok_y, ok_x

    def _window(self, values: np.ndarray, window: Window, invert: bool) -> np.ndarray:
        """Grey levels of ``values``: a table lookup for 8/16-bit integers (built with
        :func:`..pixels.window_values`, so exactly its grey levels), else the formula."""
        if values.dtype in (np.dtype(np.uint16), np.dtype(np.int16), np.dtype(np.uint8), np.dtype(np.int8)):
            unsigned = np.dtype(values.dtype.str.replace("i", "u"))
            key = (values.dtype.str, window.center, window.width, window.function, invert)
            if key != self._table_key or self._table is None:
                codes = np.arange(np.iinfo(unsigned).max + 1, dtype=unsigned).view(values.dtype)
                self._table = window_values(codes.astype(np.float64), window, invert)
                self._table_key = key
            # indexed by the values' bit patterns: no offset arithmetic on the pixels
            return self._table[values.view(unsigned)]
        if window.function == "LINEAR":
            return _linear_window_float32(values, window, invert)
        return window_values(values, window, invert)

    def render(self, width: int, height: int, smooth: bool = False) -> np.ndarray:
        """Grey levels (uint8, ``height x width``, top row first); black where there is no image.

        ``smooth``: interpolate bilinearly instead of taking the nearest pixel, as the VTK views
        do (a film's windowed grey levels, as its texture is sampled; an MPR plane's values
        before the window, as the reslice does); a few times the cost of a frame, so the window
        asks for it once a drag has settled.
        """
        plane, rows, columns, inside, at_rows, at_columns = self._sample(width, height)
        d = self.scene.display
        invert = self._inverted()
        if smooth and self.kind == "mpr":
            # VTK reslices MPR planes with linear interpolation of the values, then windows
            # (minified too: a small pane of a grid shows fewer screen pixels than voxels)
            values = _bilinear(plane, at_rows, at_columns)
            if np.issubdtype(plane.dtype, np.integer):
                values = np.rint(values).astype(plane.dtype)
            grey = self._window(values, d.window, invert)
        elif smooth:
            # VTK colours a film's pixels, then the texture sampling interpolates the colours
            # (a film under half size is sampled from the pyramid level nearest one screen pixel)
            grey = np.rint(_bilinear(self._window(plane, d.window, invert), at_rows, at_columns)).astype(np.uint8)
        elif plane.size <= rows.size * columns.size:
            # the source has no more pixels than the screen: window it, then place bytes
            grey = self._window(plane, d.window, invert)[rows][:, columns]
        else:
            # more: sample once (kept while only the window changes), then window the samples
            key = (self._sample_key, id(plane))
            if key != self._gathered_key or self._gathered is None:
                self._gathered = np.ascontiguousarray(plane[rows][:, columns])
                self._gathered_key = key
            grey = self._window(self._gathered, d.window, invert)
        grey = self._presentation_remap(grey)
        if not inside.all():
            grey = np.where(inside, grey, np.uint8(0))
        return grey


    def _inverted(self) -> bool:
        """Whether grey runs white to black: the image's own photometric (MONOCHROME1) unless the
        reader's Invert undoes it, or the reader's Invert alone."""
        return bool((self.scene.film.invert if self.kind == "film" else self.scene.volume.invert) != self.scene.display.invert)

    def _presentation_remap(self, grey: np.ndarray) -> np.ndarray:
        """A presentation state's Presentation LUT on a film's windowed grey (C.11.6); other grey as it is."""
        remap = getattr(self.scene, "presentation_lut", None) if self.kind == "film" and self._given_source is None else None
        return remap[grey] if isinstance(remap, np.ndarray) else grey

    def shows_slab(self) -> bool:
        """Whether the view is an MPR slab (MIP, MinIP, mean over a thickness), not one slice."""
        return self.kind == "mpr" and self._slab() is not None

    def screen_scale(self) -> float:
        """Screen pixels per image pixel (a film's own pixel, a slice's voxel) as the view is now."""
        mapping = self._mapping()
        if mapping is None:
            raise ValueError("this view does not run along the image's rows and columns")
        step = mapping[1]
        return 1.0 / float(np.abs(step).max())

    def magnified(self, x: float, y: float, size: int, magnification: float) -> np.ndarray:
        """A magnifier's grey levels (uint8, ``size x size``, top row first): the image around
        display pixel (x, y) at ``magnification`` loupe pixels per image pixel (a film's own
        pixels, a slice's voxels: not the screen's, which a film shown whole has far fewer of),
        each taken as it is (nearest: the acquired pixels, not a smoothing of them), turned and
        flipped as the view is, windowed, inverted and remapped as it is; black outside the image.

        ValueError where the view cannot be sampled along the image's own axes (an oblique
        reformat, drawn by VTK) or shows a slab (its pixels are no one slice's).
        """
        mapping = self._mapping()
        if mapping is None or not self.supported():
            raise ValueError("this view does not run along the image's rows and columns")
        if self.shows_slab():
            raise ValueError("this view shows a slab, not the pixels of one slice")
        _, step_x, step_y = mapping
        axis_x, axis_y = int(np.argmax(np.abs(step_x))), int(np.argmax(np.abs(step_y)))
        centre = self._index_of(x, y)
        offsets = (np.arange(size, dtype=np.float64) - (size - 1) / 2) / magnification
        coord_x = centre[axis_x] + np.sign(step_x[axis_x]) * offsets
        coord_y = centre[axis_y] - np.sign(step_y[axis_y]) * offsets  # loupe rows run down, display y up
        level = self._level(0)
        if self.kind == "film":
            plane, iy, ix, ok_y, ok_x = _film_plane(level, axis_x, coord_x, coord_y, 1)
        else:
            plane, iy, ix, ok_y, ok_x = self._volume_plane(level, centre, axis_x, axis_y, coord_x, coord_y, None)
        grey = self._window(np.ascontiguousarray(plane[iy][:, ix]), self.scene.display.window, self._inverted())
        return np.where(ok_y[:, None] & ok_x[None, :], self._presentation_remap(grey), np.uint8(0))

    def image_mask(self, mask: np.ndarray, width: int, height: int) -> np.ndarray:
        """An image-sized boolean layer (a film's or an acquired slice's overlay planes: rows x
        columns of the source) at screen resolution, nearest pixel, as the VTK view draws it:
        ``height x width``, top row first; False outside the image."""
        values, inside = self.image_layer(mask, width, height)
        return np.asarray(values & inside)

    def image_layer(self, layer: np.ndarray, width: int, height: int,
                    axes: tuple[int, int] = (0, 1)) -> tuple[np.ndarray, np.ndarray]:
        """An image-sized layer (rows x columns, or rows x columns x channels: a coloured overlay's
        RGBA) at screen resolution, nearest pixel: ``(values, inside)``, each ``height x width``
        (x channels), top row first; ``inside`` False where the screen is off the image.
        ``axes``: the source index axes of the layer's columns and rows (a film's, an acquired
        slice's: (0, 1); a segmentation cut along a row of the slices: (0, 2))."""
        mapping = self._mapping()
        if mapping is None:
            raise ValueError("only an axis-aligned view has a mask layer here")
        origin, step_x, step_y = mapping
        axis_x, axis_y = int(np.argmax(np.abs(step_x))), int(np.argmax(np.abs(step_y)))
        if {axis_x, axis_y} != set(axes):  # the pane shows another plane than the layer's
            raise ValueError("the view does not show the layer's plane")
        coord_x = origin[axis_x] + step_x[axis_x] * np.arange(width, dtype=np.float64)
        coord_y = origin[axis_y] + step_y[axis_y] * np.arange(height - 1, -1, -1, dtype=np.float64)
        plane = layer if axis_x == axes[0] else np.swapaxes(layer, 0, 1)
        ix, ok_x = _indices(coord_x, 1, plane.shape[1])
        iy, ok_y = _indices(coord_y, 1, plane.shape[0])
        return plane[iy][:, ix], ok_y[:, None] & ok_x[None, :]


def channel_rasters(scene) -> list[PlaneRaster]:
    """A colour film's three rasters, one per channel, each windowed as VTK windows each
    component; none for a grey image."""
    colour = getattr(getattr(scene, "film", None), "colour", None)
    return [PlaneRaster(scene, np.ascontiguousarray(colour[..., c])) for c in range(3)] if colour is not None else []


def _film_plane(level: np.ndarray, axis_x: int, coord_x: np.ndarray, coord_y: np.ndarray,
                scale: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(plane, iy, ix, ok_y, ok_x)`` of a film's pyramid level: the screen is ``plane[iy][:, ix]``.
    Screen x along columns: screen[y, x] = level[iy[y], ix[x]]; a quarter turn puts screen x along
    rows: screen[y, x] = level[ix[x], iy[y]] = level.T[iy[y], ix[x]]."""
    plane = level if axis_x == 0 else level.T
    ix, ok_x = _indices(coord_x, scale, plane.shape[1])
    iy, ok_y = _indices(coord_y, scale, plane.shape[0])
    return plane, iy, ix, ok_y, ok_x


def _bilinear(image: np.ndarray, at_rows: np.ndarray, at_columns: np.ndarray) -> np.ndarray:
    """``image`` sampled at continuous positions (pixel centres on integers; separable: rows
    first, then columns), clamped at the edges; float32."""
    h, w = image.shape

    def parts(at: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        low = np.clip(np.floor(at), 0, size - 1).astype(np.intp)
        return low, np.minimum(low + 1, size - 1), np.clip(at - low, 0.0, 1.0).astype(np.float32)

    r0, r1, fr = parts(at_rows, h)
    c0, c1, fc = parts(at_columns, w)
    rows = image[r0].astype(np.float32)
    rows += (image[r1] - rows) * fr[:, None]
    out = rows[:, c0]
    out += (rows[:, c1] - out) * fc[None, :]
    return out


def _indices(coords: np.ndarray, scale: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Nearest pixel of a pyramid level for source coordinates (pixel centres on integers; a
    level pixel ``p`` covers source ``[p * scale, p * scale + scale)``), clipped, and which are
    inside the image."""
    index = np.floor((coords + 0.5) / scale)
    return np.clip(index, 0, size - 1).astype(np.intp), (index >= 0) & (index < size)
