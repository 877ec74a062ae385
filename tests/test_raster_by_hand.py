"""The CPU raster's pixels on hand-sized images, without VTK (issue: tests that catch what a
radiologist would notice; the VTK comparisons in test_raster.py take seconds each, too slow to
run per mutant).

A scene here is the raster's whole contract with one: where each screen pixel falls in the image
(a plain affine map, written out), the film or volume, and the display state. Expected screens
are computed pixel by pixel in a loop written for the test: nearest pixel = floor(coordinate +
0.5), black outside the image, grey levels from the DICOM formula (pixels.window_values, itself
checked against pydicom and hand arithmetic in test_independent_references.py), MONOCHROME1 and
the user's invert each flipping it (PS3.3 C.7.6.3.1.2).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from lightbox.viewer.display import FilmDisplay, VolumeDisplay
from lightbox.viewer.geometry import Geometry
from lightbox.viewer.pixels import Window, window_values
from lightbox.viewer.views.raster import PlaneRaster
from lightbox.viewer.volume import Film, Volume

Mapping = Callable[[float, float], tuple[float, ...]]


class FilmOnScreen:
    """A film scene reduced to the map from display (x, y up) to image (column, row)."""

    kind = "film"

    def __init__(self, film: Film, display: FilmDisplay, mapping: Mapping) -> None:
        self.film, self.display, self.mapping = film, display, mapping

    def display_to_image(self, x: float, y: float) -> tuple[float, ...]:
        return self.mapping(x, y)


class PlaneOnScreen:
    """An MPR scene reduced to the map from display (x, y up) to world (mm)."""

    kind = "mpr"

    def __init__(self, volume: Volume, display: VolumeDisplay, mapping: Mapping, plane: str = "axial") -> None:
        self.volume, self.display, self.mapping, self.plane = volume, display, mapping, plane

    def display_to_world(self, x: float, y: float) -> np.ndarray:
        return np.asarray(self.mapping(x, y), dtype=float)


def affine(origin: tuple[float, ...], step_x: tuple[float, ...], step_y: tuple[float, ...]) -> Mapping:
    return lambda x, y: tuple(o + x * a + y * b for o, a, b in zip(origin, step_x, step_y))


def film_display(window: Window, invert: bool = False) -> FilmDisplay:
    display = FilmDisplay()
    display.set_window(window)
    display.invert = invert
    return display


def screen_pixels(mapping: Mapping, width: int, height: int, shape: tuple[int, ...]):
    """Each screen pixel (top row first: display y = height - 1) that falls on the image, with the
    image pixel under it: (screen row, screen column, image row, image column)."""
    rows, columns = shape
    for r in range(height):
        for x in range(width):
            column, row = mapping(x, height - 1 - r)
            i, j = math.floor(column + 0.5), math.floor(row + 0.5)
            if 0 <= i < columns and 0 <= j < rows:
                yield r, x, j, i


def expected_film(values: np.ndarray, mapping: Mapping, width: int, height: int, window: Window,
                  invert: bool) -> np.ndarray:
    """The screen, one pixel at a time; black outside the image."""
    out = np.zeros((height, width), np.uint8)
    for r, x, j, i in screen_pixels(mapping, width, height, values.shape):
        out[r, x] = window_values(np.array([float(values[j, i])]), window, invert)[0]
    return out


def expected_mask(mask: np.ndarray, mapping: Mapping, width: int, height: int) -> np.ndarray:
    out = np.zeros((height, width), bool)
    for r, x, j, i in screen_pixels(mapping, width, height, mask.shape):
        out[r, x] = mask[j, i]
    return out


# A 5 x 7 film with distinct values (row * 100 + column * 7 + 1000) and a window that spreads
# them over the grey scale
FILM = (np.arange(5)[:, None] * 100 + np.arange(7)[None, :] * 7 + 1000).astype(np.uint16)
WINDOW = Window(1250, 500)
# screen maps (column, row) at display (x, y): zoom 2 with the image upright (row grows downwards,
# display y upwards), a quarter turn (screen x runs down the rows), flipped, shifted off the image
MAPS = {
    "upright zoom 2": affine((-0.25, 4.25), (0.5, 0.0), (0.0, -0.5)),
    "unit, shifted": affine((-2.0, 6.0), (1.0, 0.0), (0.0, -1.0)),
    "quarter turn": affine((6.0, 0.0), (0.0, 1.0), (-1.0, 0.0)),
    "flipped both": affine((6.4, -0.3), (-1.0, 0.0), (0.0, 1.0)),
    "zoom 1.5, half pixel": affine((0.1, 0.2), (1 / 1.5, 0.0), (0.0, 1 / 1.5)),
}


@pytest.mark.parametrize("name", sorted(MAPS))
@pytest.mark.parametrize("monochrome1, user_invert", [(False, False), (True, False), (False, True), (True, True)])
def test_film_screen_pixel_by_pixel(name: str, monochrome1: bool, user_invert: bool) -> None:
    film = Film(FILM, WINDOW, invert=monochrome1)
    raster = PlaneRaster(FilmOnScreen(film, film_display(WINDOW, user_invert), MAPS[name]))
    assert raster.supported()
    want = expected_film(FILM, MAPS[name], 11, 9, WINDOW, monochrome1 != user_invert)
    assert np.array_equal(raster.render(11, 9), want)


def test_monochrome1_shows_the_lowest_value_white_and_invert_undoes_it() -> None:
    """By hand: values 0 and 4095 under the window c 2048, w 4096: 0 → black, 4095 → white as
    MONOCHROME2; MONOCHROME1 swaps them; the user's invert on a MONOCHROME1 film swaps back."""
    values = np.array([[0, 4095]], np.uint16)
    window = Window(2048, 4096)
    one_to_one = affine((0.0, 0.0), (1.0, 0.0), (0.0, -1.0))  # display y 0 is row 0: one row
    for monochrome1, user_invert, row in ((False, False, [0, 255]), (True, False, [255, 0]), (True, True, [0, 255]),
                                          (False, True, [255, 0])):
        film = Film(values, window, invert=monochrome1)
        raster = PlaneRaster(FilmOnScreen(film, film_display(window, user_invert), one_to_one))
        assert raster.render(2, 1).tolist() == [row]


class DisplayState:
    """A display state with any VOI function (FilmDisplay's window is always LINEAR)."""

    def __init__(self, window: Window, invert: bool) -> None:
        self.window, self.invert = window, invert


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64])
def test_every_kind_of_window_change_gives_the_formulas_grey_levels(dtype: type) -> None:
    """Level only, width only, both, a width of 2 and of 1, the other VOI functions, and invert,
    one after the other on one raster (its table is kept between frames and must follow every
    change)."""
    values = np.arange(24).reshape(4, 6) * 5 - (0 if np.dtype(dtype).kind == "u" else 40)
    values = values.astype(dtype) + (dtype(0.25) if np.dtype(dtype).kind == "f" else 0)  # floats: not integral
    mapping = affine((0.0, 3.0), (1.0, 0.0), (0.0, -1.0))  # the screen is the image
    raster = PlaneRaster(FilmOnScreen(Film(values, Window(30, 60)), film_display(Window(30, 60)), mapping))
    for window in (Window(30, 60), Window(10, 60), Window(10, 20), Window(50.5, 2), Window(50, 1),
                   Window(40, 80, "LINEAR_EXACT"), Window(40, 80, "SIGMOID"), Window(40, 80)):
        for invert in (False, True):
            raster.scene.display = DisplayState(window, invert)
            want = window_values(values.astype(np.float64), window, invert)
            assert np.array_equal(raster.render(6, 4), want), (window, invert)


def test_a_film_under_half_size_shows_block_means() -> None:
    """Shown at 1/2, each screen pixel is the 2x2 block's mean, rounded half to even: the blocks
    of [[0, 1, 10, 13], [2, 5, 30, 31]] are (0+1+2+5)/4 = 2 and (10+13+30+31)/4 = 21; at 1/4 the
    level-1 means are averaged again: blocks of 4x4 values 0..15 (mean 7.5 → 8 per 2x2 level:
    [[2.5, 4.5], [10.5, 12.5]] → [[2, 4], [10, 12]] → 28 / 4 = 7)."""
    window = Window(128, 256)
    half = np.array([[0, 1, 10, 13], [2, 5, 30, 31]], np.uint16)
    raster = PlaneRaster(FilmOnScreen(Film(half, window), film_display(window), affine((0.5, 0.5), (2.0, 0.0), (0.0, 2.0))))
    shown = raster.render(2, 1)
    assert shown.tolist() == [window_values(np.array([2.0, 21.0]), window).tolist()]
    quarter = np.arange(16, dtype=np.uint16).reshape(4, 4)
    raster = PlaneRaster(FilmOnScreen(Film(quarter, window), film_display(window), affine((1.5, 1.5), (4.0, 0.0), (0.0, 4.0))))
    assert raster.render(1, 1).tolist() == [window_values(np.array([7.0]), window).tolist()]
    floats = np.array([[0.0, 1.0], [2.0, 4.5]], np.float32)
    raster = PlaneRaster(FilmOnScreen(Film(floats, window), film_display(window), affine((0.5, 0.5), (2.0, 0.0), (0.0, 2.0))))
    assert raster.render(1, 1).tolist() == [window_values(np.array([1.875]), window).tolist()]  # not rounded


def test_a_film_shown_below_half_size_but_above_a_quarter_takes_the_first_level() -> None:
    """Steps of 3 source pixels per screen pixel: level 1 (floor(log2 3) = 1), indices
    floor((3x + 0.5 + 0.5) / 2) into it: screen 0 → block 0, screen 1 → block 2."""
    window = Window(128, 256)
    values = np.repeat(np.repeat(np.array([[10, 20, 30, 40]], np.uint16), 2, axis=1), 2, axis=0)  # blocks 10..40
    raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), affine((0.5, 0.5), (3.0, 0.0), (0.0, 3.0))))
    assert raster.render(2, 1).tolist() == [window_values(np.array([10.0, 30.0]), window).tolist()]


def test_smooth_film_blends_grey_levels_as_a_texture_does() -> None:
    """Between pixel centres, the grey levels (after the window) mix linearly: at column 0.25 of
    [0, 200] under c 100.5, w 201 (grey = value * 255 / 200: 0 and 255) → 0.75*0 + 0.25*255 = 63.75 → 64."""
    window = Window(100.5, 201)
    values = np.array([[0, 200]], np.uint16)
    raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), affine((0.25, 0.0), (0.5, 0.0), (0.0, 1.0))))
    assert raster.render(2, 1, smooth=True).tolist() == [[64, 191]]  # 0.25 and 0.75 of the way
    assert raster.render(2, 1).tolist() == [[0, 255]]  # nearest: floor(0.25 + 0.5) = 0, floor(0.75 + 0.5) = 1


@pytest.mark.parametrize("name, marked", [("quarter turn", ((1, 2), (4, 6))), ("unit, shifted", ((0, 1), (3, 5)))])
def test_a_film_mask_layer_follows_the_film(name: str, marked: tuple[tuple[int, int], ...]) -> None:
    mask = np.zeros(FILM.shape, bool)
    for j, i in marked:
        mask[j, i] = True
    raster = PlaneRaster(FilmOnScreen(Film(FILM, WINDOW), film_display(WINDOW), MAPS[name]))
    shown = raster.image_mask(mask, 11, 9)
    assert np.array_equal(shown, expected_mask(mask, MAPS[name], 11, 9)) and shown.sum() == 2


def test_a_rotated_film_is_left_to_vtk() -> None:
    turned = affine((0.0, 0.0), (math.cos(0.3), math.sin(0.3)), (-math.sin(0.3), math.cos(0.3)))
    raster = PlaneRaster(FilmOnScreen(Film(FILM, WINDOW), film_display(WINDOW), turned))
    assert not raster.supported()
    with pytest.raises(ValueError, match="axis-aligned"):
        raster.render(4, 4)
    both_on_columns = affine((0.0, 0.0), (1.0, 0.0), (1.0, 0.0))
    assert not PlaneRaster(FilmOnScreen(Film(FILM, WINDOW), film_display(WINDOW), both_on_columns)).supported()


# -- MPR planes of an axis-aligned volume -----------------------------------------------------
# 4 slices (k) of 3 rows (j) of 5 columns (i): value 100 k + 10 j + i; spacing 1 x 1 x 2 mm
VOLUME = (np.arange(4)[:, None, None] * 100 + np.arange(3)[None, :, None] * 10 + np.arange(5)[None, None, :]).astype(np.int16)
GEOMETRY = Geometry(origin=(0.0, 0.0, 0.0), spacing=(1.0, 1.0, 2.0))
CT_WINDOW = Window(200, 400)


def volume_display(window: Window = CT_WINDOW, slab: str = "none", thickness: float = 0.0) -> VolumeDisplay:
    display = VolumeDisplay()
    display.set_window(window)
    display.slab_mode, display.slab_thickness_mm = slab, thickness
    return display


def expected_plane(mapping: Mapping, width: int, height: int, normal: int, window: Window, invert: bool = False,
                   combine: Callable[[np.ndarray], float] | None = None, half_mm: float = 0.0) -> np.ndarray:
    """Nearest voxel along the plane; along the normal the nearest slice, clamped into the
    volume, or the slab's slices combined."""
    spacing = np.asarray(GEOMETRY.spacing)
    sizes = (5, 3, 4)  # i, j, k
    out = np.zeros((height, width), np.uint8)
    for r in range(height):
        for x in range(width):
            index = np.asarray(mapping(x, height - 1 - r), dtype=float) / spacing
            nearest = [math.floor(v + 0.5) for v in index]
            inplane = [a for a in range(3) if a != normal]
            if not all(0 <= nearest[a] < sizes[a] for a in inplane):
                continue
            if combine is None:
                nearest[normal] = min(max(nearest[normal], 0), sizes[normal] - 1)
                value = float(VOLUME[nearest[2], nearest[1], nearest[0]])
            else:
                half = half_mm / spacing[normal]
                span = [n for n in range(sizes[normal]) if index[normal] - half - 1e-9 <= n <= index[normal] + half + 1e-9]
                picks = []
                for n in span:
                    at = list(nearest)
                    at[normal] = n
                    picks.append(float(VOLUME[at[2], at[1], at[0]]))
                value = combine(np.array(picks))
            out[r, x] = window_values(np.array([value]), window, invert)[0]
    return out


PLANES = {
    # name: (mapping display → world mm, normal index axis)
    "axial at k = 1.4": (affine((-0.5, 2.6, 2.8), (0.75, 0.0, 0.0), (0.0, -0.75, 0.0)), 2),
    "axial beyond the last slice": (affine((0.0, 2.0, 9.0), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0)), 2),
    "coronal at j = 1": (affine((0.0, 1.2, 6.5), (1.0, 0.0, 0.0), (0.0, 0.0, -1.0)), 1),
    "sagittal at i = 3, flipped": (affine((3.3, 2.5, 0.0), (0.0, -0.5, 0.0), (0.0, 0.0, 1.5)), 0),
    "sagittal, screen x along k": (affine((1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 1.0, 0.0)), 0),
}


@pytest.mark.parametrize("name", sorted(PLANES))
@pytest.mark.parametrize("invert", [False, True])
def test_mpr_plane_pixel_by_pixel(name: str, invert: bool) -> None:
    mapping, normal = PLANES[name]
    display = volume_display()
    display.invert = invert
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), display, mapping))
    assert raster.supported()
    assert np.array_equal(raster.render(9, 7), expected_plane(mapping, 9, 7, normal, CT_WINDOW, invert))


@pytest.mark.parametrize("mode, combine", [("mip", np.max), ("minip", np.min), ("mean", None)])
def test_slabs_combine_the_slices_within_half_the_thickness(mode: str, combine) -> None:
    """An axial slab 5 mm thick at z = 3 mm (k = 1.5) takes k from 1.5 - 1.25 to 1.5 + 1.25:
    k = 1 and 2 (values 1xx and 2xx); the mean 1.5 (150 + 10 j + i) rounds half to even,
    kept integral for an integer volume."""
    mapping = affine((0.0, 2.0, 3.0), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0))
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(slab=mode, thickness=5.0), mapping))
    mean = lambda picks: float(np.rint(np.float32(picks.mean())))  # noqa: E731
    want = expected_plane(mapping, 5, 3, 2, CT_WINDOW, combine=combine or mean, half_mm=2.5)
    assert np.array_equal(raster.render(5, 3), want)
    floats = Volume(VOLUME.astype(np.float32) + 0.3, GEOMETRY)  # a float volume's mean is not rounded
    raster = PlaneRaster(PlaneOnScreen(floats, volume_display(slab=mode, thickness=5.0), mapping))
    top_left = {"mip": 200.3, "minip": 100.3, "mean": 150.3}[mode]  # the top row, y = 2, is j = 2 - 2 = 0; i = 0
    assert raster.render(5, 3)[0, 0] == window_values(np.array([top_left]), CT_WINDOW)[0]


def test_a_slab_thinner_than_a_slice_shows_the_nearest_slice() -> None:
    mapping = affine((0.0, 2.0, 3.1), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0))  # k = 1.55: none within 0.25
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(slab="mip", thickness=0.5), mapping))
    assert np.array_equal(raster.render(5, 3), expected_plane(mapping, 5, 3, 2, CT_WINDOW))


def test_smooth_mpr_interpolates_values_before_the_window() -> None:
    """Half-way between i = 1 and 2 of row j = 0, slice k = 0: values 1 and 2 → 1.5 → 2 (rounded
    half to even, integer volume), then windowed; VTK's reslice does the same."""
    window = Window(2, 4)  # grey = (x - 1.5) / 3 + 0.5 → 1: 85, 2: 170 (LINEAR: (x - (c - 0.5)) / (w - 1) + 0.5)
    mapping = affine((1.5, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(window), mapping))
    assert raster.render(1, 1, smooth=True).tolist() == [[170]]
    assert raster.render(1, 1).tolist() == [[170]]  # nearest: floor(1.5 + 0.5) = 2
    mapping = affine((1.25, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(window), mapping))
    assert raster.render(1, 1, smooth=True).tolist() == [[85]]  # 1.25 → 1
    floats = Volume(VOLUME.astype(np.float32), GEOMETRY)
    floats.array[0, 0, 1], floats.array[0, 0, 2] = 1.1, 2.3  # not integral: 1.1 + 0.25 * 1.2 = 1.4
    raster = PlaneRaster(PlaneOnScreen(floats, volume_display(window), mapping))
    assert raster.render(1, 1, smooth=True).tolist() == [window_values(np.array([1.4]), window).tolist()]


def test_a_volume_larger_than_the_screen_is_sampled_once_then_windowed() -> None:
    """More voxels than screen pixels: the samples are kept while only the window changes; a
    pan samples again."""
    big = np.arange(64 * 64, dtype=np.int16).reshape(1, 64, 64)
    geometry = Geometry(spacing=(1.0, 1.0, 1.0))
    display = volume_display(Window(1000, 2000))
    scene = PlaneOnScreen(Volume(big, geometry), display, affine((0.0, 63.0, 0.0), (8.0, 0.0, 0.0), (0.0, -8.0, 0.0)))
    raster = PlaneRaster(scene)

    def want(window: Window) -> np.ndarray:
        rows = [min(max(math.floor(63 - 8 * (7 - r) + 0.5), 0), 63) for r in range(8)]
        return window_values(big[0][np.ix_(rows, [8 * x for x in range(8)])].astype(float), window)

    assert np.array_equal(raster.render(8, 8), want(Window(1000, 2000)))
    display.set_window(Window(3000, 500))  # width and level
    assert np.array_equal(raster.render(8, 8), want(Window(3000, 500)))
    display.set_window(Window(3000, 4000))  # width only
    assert np.array_equal(raster.render(8, 8), want(Window(3000, 4000)))
    scene.mapping = affine((1.0, 63.0, 0.0), (8.0, 0.0, 0.0), (0.0, -8.0, 0.0))  # panned one voxel
    shifted = [min(max(math.floor(63 - 8 * (7 - r) + 0.5), 0), 63) for r in range(8)]
    assert np.array_equal(raster.render(8, 8),
                          window_values(big[0][np.ix_(shifted, [8 * x + 1 for x in range(8)])].astype(float), Window(3000, 4000)))


def test_an_oblique_stack_is_left_to_vtk_except_its_acquired_plane() -> None:
    turn = 0.2
    direction = np.array([[math.cos(turn), -math.sin(turn), 0], [math.sin(turn), math.cos(turn), 0], [0, 0, 1]])
    volume = Volume(VOLUME.copy(), Geometry(spacing=(1.0, 1.0, 2.0), direction=direction))
    along_index = lambda x, y: tuple(volume.geometry.origin + direction @ (np.array([x, 2.0 - y, 1.0]) * [1, 1, 2]))  # noqa: E731
    assert not PlaneRaster(PlaneOnScreen(volume, volume_display(), along_index, "axial")).supported()
    acquired = PlaneRaster(PlaneOnScreen(volume, volume_display(), along_index, "acquired"))
    assert acquired.supported()
    assert acquired.render(5, 3).tolist() == window_values(VOLUME[1].astype(float), CT_WINDOW).tolist()


def test_integral_float_sources_take_the_integer_table() -> None:
    """Stored values through an integer rescale come as integral floats: shown as 16-bit integers
    (signed when negative) with the same grey levels; above 65535 or non-integral they stay float."""
    mapping = affine((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0))
    for values, kind in ((np.array([[[0.0, 40000.0]]]), np.uint16), (np.array([[[-1024.0, 3071.0]]]), np.int16),
                         (np.array([[[-1.0, 70000.0]]]), np.float64), (np.array([[[0.5, 2.0]]]), np.float64),
                         (np.array([[[-40000.0, 0.0]]]), np.float64)):
        raster = PlaneRaster(PlaneOnScreen(Volume(values, Geometry()), volume_display(Window(0, 5000)), mapping))
        assert raster._source().dtype == kind, values
        assert raster.render(2, 1).tolist() == [window_values(values[0, 0], Window(0, 5000)).tolist()]


# -- edges the first round of mutants found untested ------------------------------------------
def test_a_colour_channel_is_drawn_from_the_source_given() -> None:
    channel = (FILM // 2).astype(np.uint16)
    mapping = MAPS["unit, shifted"]
    raster = PlaneRaster(FilmOnScreen(Film(FILM, WINDOW), film_display(WINDOW), mapping), source=channel)
    assert np.array_equal(raster.render(11, 9), expected_film(channel, mapping, 11, 9, WINDOW, False))


def test_the_integer_table_reaches_each_types_extremes() -> None:
    """The table has one entry per code: the largest code of each type must be in it."""
    one_to_one = affine((0.0, 0.0), (1.0, 0.0), (0.0, -1.0))
    for values in (np.array([[0, 255]], np.uint8), np.array([[-128, 127]], np.int8),
                   np.array([[0, 65535]], np.uint16), np.array([[-32768, 32767]], np.int16)):
        window = Window(float(values.mean()), float(values.max()) - float(values.min()))
        raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), one_to_one))
        assert raster.render(2, 1).tolist() == [window_values(values[0].astype(float), window).tolist()] == [[0, 255]]


def test_integral_float_sources_at_the_16_bit_limits() -> None:
    mapping = affine((0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0))
    for values, kind in ((np.array([[[0.0, 65535.0]]]), np.uint16), (np.array([[[0.0, 65536.0]]]), np.float64),
                         (np.array([[[-32768.0, 32767.0]]]), np.int16), (np.array([[[-32769.0, 0.0]]]), np.float64),
                         (np.array([[[-5.0, 32768.0]]]), np.float64)):
        raster = PlaneRaster(PlaneOnScreen(Volume(values, Geometry()), volume_display(Window(0, 70000)), mapping))
        assert raster._source().dtype == kind, values


@pytest.mark.parametrize("step_x, step_y, supported", [
    ((4.0, 1e-6), (0.0, 4.0), True),  # float noise: under 1e-6 of the larger step
    ((0.5, 7e-7), (0.0, 0.5), True),  # and under 1e-6 itself for steps below one pixel
    ((0.5, 1.5e-6), (0.0, 0.5), False),
    ((4.0, 2e-6), (0.0, 1.0), True),  # the larger step of the two sets the tolerance: 4e-6 here
    ((1.0, 2e-6), (0.0, 4.0), True),
    ((1.0, 0.5), (0.0, 1.0), False),  # sheared: screen x runs along both image axes
    ((1.0, 0.0), (0.5, 1.0), False),
])
def test_what_counts_as_running_along_an_image_axis(step_x, step_y, supported: bool) -> None:
    raster = PlaneRaster(FilmOnScreen(Film(FILM, WINDOW), film_display(WINDOW), affine((0.0, 0.0), step_x, step_y)))
    assert raster.supported() is supported


def test_what_the_raster_refuses_says_why() -> None:
    turned = affine((0.0, 0.0), (math.cos(0.3), math.sin(0.3)), (-math.sin(0.3), math.cos(0.3)))
    raster = PlaneRaster(FilmOnScreen(Film(FILM, WINDOW), film_display(WINDOW), turned))
    with pytest.raises(ValueError, match=r"^this view is not axis-aligned: draw it with VTK$"):
        raster.render(4, 4)
    with pytest.raises(ValueError, match=r"^only an axis-aligned view has a mask layer here$"):
        raster.image_mask(np.zeros(FILM.shape, bool), 4, 4)
    coronal, _ = PLANES["coronal at j = 1"]
    plane = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(), coronal))
    with pytest.raises(ValueError, match=r"^the view does not show the layer's plane$"):
        plane.image_mask(np.zeros((3, 5), bool), 4, 4)


@pytest.mark.parametrize("shape", [(1, 8), (8, 1)])
def test_a_film_one_pixel_thin_shown_small_keeps_its_pixels(shape: tuple[int, int]) -> None:
    """No 2x2 pyramid of a one-pixel-thin film: it is sampled at full resolution."""
    values = (np.arange(8, dtype=np.uint16) * 10).reshape(shape)
    window = Window(40, 80)
    mapping = affine((0.5, 0.0), (2.0, 0.0), (0.0, 2.0)) if shape[0] == 1 else affine((0.0, 0.5), (2.0, 0.0), (0.0, 2.0))
    width, height = (4, 1) if shape[0] == 1 else (1, 4)
    raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), mapping))
    assert np.array_equal(raster.render(width, height), expected_film(values, mapping, width, height, window, False))


def test_an_odd_sized_film_at_half_size_drops_its_last_row_and_column() -> None:
    """The 5 x 7 film (100 r + 7 c + 1000) halves to 2 x 3 block means, each 1053.5 + 200 R + 14 C,
    rounded half to even: 1054 + 200 R + 14 C (1053 + even is odd, so .5 goes up)."""
    mapping = affine((0.5, 2.5), (2.0, 0.0), (0.0, -2.0))
    raster = PlaneRaster(FilmOnScreen(Film(FILM, WINDOW), film_display(WINDOW), mapping))
    means = np.array([[1054, 1068, 1082], [1254, 1268, 1282]], float)
    assert np.array_equal(raster.render(3, 2), window_values(means, WINDOW))
    assert raster._level(1).dtype == np.uint16  # the pyramid keeps the film's integers: windowing stays a lookup


def test_a_float_films_pyramid_is_not_rounded() -> None:
    """Mean of [[0, 0], [0, 1.2]] = 0.3, windowed as 0.3: under c 0.5, w 2 that is (0.3 - 0) / 1 + 0.5
    → 0.8 → 204, where a rounded 0 would give 128."""
    window = Window(0.5, 2)
    values = np.array([[0.0, 0.0], [0.0, 1.2]], np.float32)
    raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), affine((0.5, 0.5), (2.0, 0.0), (0.0, 2.0))))
    assert raster.render(1, 1).tolist() == [[204]]


def test_smooth_interpolates_down_the_rows_too_and_inverts() -> None:
    """Row 0.25 of [[0], [200]] under c 100.5, w 201: 0.75 * 0 + 0.25 * 255 = 63.75 → 64; inverted
    (MONOCHROME1) each grey is 255 - grey before blending: 0.75 * 255 + 0.25 * 0 → 191."""
    window = Window(100.5, 201)
    values = np.array([[0], [200]], np.uint16)
    mapping = affine((0.0, 0.25), (1.0, 0.0), (0.0, 0.5))  # display y 0: row 0.25; y 1: row 0.75
    for monochrome1, want in ((False, [[191], [64]]), (True, [[64], [191]])):
        raster = PlaneRaster(FilmOnScreen(Film(values, window, invert=monochrome1), film_display(window), mapping))
        smooth = raster.render(1, 2, smooth=True)
        assert smooth.tolist() == want and smooth.dtype == np.uint8


def test_smooth_stops_at_the_image_edge() -> None:
    """A screen pixel inside the image's outer half pixel takes the edge pixel's grey: no
    extrapolation past it, no wrap-around to the other side."""
    window = Window(100.5, 201)
    values = np.array([[0, 200]], np.uint16)
    mapping = affine((-0.25, 0.0), (1.5, 0.0), (0.0, 1.0))  # columns -0.25, 1.25, 2.75 (outside)
    raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), mapping))
    assert raster.render(3, 1, smooth=True).tolist() == [[0, 255, 0]]
    tall = np.array([[0], [200]], np.uint16)
    mapping = affine((0.0, -0.25), (1.0, 0.0), (0.0, 1.5))  # rows -0.25 (y 0), 1.25 (y 1)
    raster = PlaneRaster(FilmOnScreen(Film(tall, window), film_display(window), mapping))
    assert raster.render(1, 2, smooth=True).tolist() == [[255], [0]]


def test_smooth_at_half_size_interpolates_between_block_centres() -> None:
    """At 1/2, a block of source pixels 2p and 2p + 1 has its centre at source 2p + 0.5: there the
    smooth frame shows the block's own grey; half-way between two centres, the mean of theirs."""
    window = Window(100.5, 201)
    values = np.array([[0, 0, 200, 200], [0, 0, 200, 200]], np.uint16)  # blocks 0 and 200
    at_centres = affine((0.5, 0.5), (2.0, 0.0), (0.0, 2.0))
    raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), at_centres))
    assert raster.render(2, 1, smooth=True).tolist() == [[0, 255]]
    between = affine((1.5, 0.5), (2.0, 0.0), (0.0, 2.0))
    raster = PlaneRaster(FilmOnScreen(Film(values, window), film_display(window), between))
    assert raster.render(1, 1, smooth=True).tolist() == [[128]]  # (0 + 255) / 2 = 127.5 → 128
    rows = values.T.copy()  # the same down the rows: blocks 0 (rows 0, 1) and 200 (rows 2, 3)
    down = affine((0.5, 0.5), (2.0, 0.0), (0.0, 2.0))  # display y 0: row 0.5, y 1: row 2.5
    raster = PlaneRaster(FilmOnScreen(Film(rows, window), film_display(window), down))
    assert raster.render(1, 2, smooth=True).tolist() == [[255], [0]]


def test_smooth_planes_invert_too() -> None:
    window = Window(2, 4)
    mapping = affine((1.5, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    display = volume_display(window)
    display.invert = True
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), display, mapping))
    assert raster.render(1, 1, smooth=True).tolist() == [[255 - 170]]


@pytest.mark.parametrize("centre_mm, thickness, half_mm", [
    (0.0, 5.0, 2.5),  # at the first slice: k -1.25 .. 1.25 → 0, 1
    (6.0, 5.0, 2.5),  # at the last: k 1.75 .. 4.25 → 2, 3
    (3.0, 2.0, 1.0),  # k 1.5 ± 0.5: slices 1 and 2 lie on the slab's faces and count
    (3.0, 6.0, 3.0),  # k 1.5 ± 1.5 → 0 .. 3
])
@pytest.mark.parametrize("mode, combine", [("mip", np.max), ("minip", np.min)])
def test_slabs_at_the_volumes_ends_and_on_slice_faces(centre_mm: float, thickness: float, half_mm: float,
                                                       mode: str, combine) -> None:
    mapping = affine((0.0, 2.0, centre_mm), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0))
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(slab=mode, thickness=thickness),
                                       mapping))
    assert np.array_equal(raster.render(5, 3), expected_plane(mapping, 5, 3, 2, CT_WINDOW, combine=combine, half_mm=half_mm))


def test_no_slab_mode_shows_one_slice_whatever_the_thickness() -> None:
    mapping = affine((0.0, 2.0, 3.1), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0))
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(slab="none", thickness=10.0),
                                       mapping))
    assert np.array_equal(raster.render(5, 3), expected_plane(mapping, 5, 3, 2, CT_WINDOW))


def test_an_integer_slabs_mean_is_rounded_half_to_even() -> None:
    """Two slices 0 and 1: mean 0.5 → 0 (half to even), an integer again; under c 1, w 2 that is
    black, where the unrounded 0.5 would be mid-grey (128)."""
    volume = Volume(np.array([[[0]], [[1]]], np.int16), Geometry(spacing=(1.0, 1.0, 1.0)))
    mapping = affine((0.0, 0.0, 0.5), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
    raster = PlaneRaster(PlaneOnScreen(volume, volume_display(Window(1, 2), slab="mean", thickness=1.0), mapping))
    assert raster.render(1, 1).tolist() == [[0]]


def test_a_plane_before_the_first_slice_shows_the_first() -> None:
    mapping = affine((0.0, 2.0, -3.0), (1.0, 0.0, 0.0), (0.0, -1.0, 0.0))
    raster = PlaneRaster(PlaneOnScreen(Volume(VOLUME.copy(), GEOMETRY), volume_display(), mapping))
    assert raster.render(5, 3).tolist() == window_values(VOLUME[0].astype(float), CT_WINDOW).tolist()


def test_a_large_volume_sampled_once_is_inverted_too() -> None:
    big = np.arange(64 * 64, dtype=np.int16).reshape(1, 64, 64)
    display = volume_display(Window(1000, 2000))
    display.invert = True
    scene = PlaneOnScreen(Volume(big, Geometry()), display, affine((0.0, 63.0, 0.0), (8.0, 0.0, 0.0), (0.0, -8.0, 0.0)))
    rows = [min(max(math.floor(63 - 8 * (7 - r) + 0.5), 0), 63) for r in range(8)]
    want = window_values(big[0][np.ix_(rows, [8 * x for x in range(8)])].astype(float), Window(1000, 2000), True)
    assert np.array_equal(PlaneRaster(scene).render(8, 8), want)
