"""Resampling a stack onto a regular grid, on stacks small enough to work out by hand: the in-plane
shift (bilinear, blank outside), the tilt angle, which steps are gaps, where each target slice
comes from, and the warning's words. Written for the mutants `tools/mutation.py
lightbox/viewer/regularise.py` found alive (the phantom tests in test_regularise.py check the
whole result to within 1.5 HU, which let small slips through)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lightbox.viewer.geometry import Geometry
from lightbox.viewer.regularise import _shift_bilinear, regularise, tilt_degrees

FILL = -1.0


def test_shift_by_whole_pixels_moves_the_image_and_blanks_what_came_from_outside() -> None:
    image = np.arange(12, dtype=np.float64).reshape(3, 4)  # value 4 j + i
    out = _shift_bilinear(image, 1.0, 2.0, FILL)  # out[j, i] = image[j - 1, i - 2]
    assert out.tolist() == [[FILL] * 4,
                            [FILL, FILL, 0.0, 1.0],
                            [FILL, FILL, 4.0, 5.0]]
    back = _shift_bilinear(image, -1.0, -1.0, FILL)  # out[j, i] = image[j + 1, i + 1]
    assert back.tolist() == [[5.0, 6.0, 7.0, FILL],
                             [9.0, 10.0, 11.0, FILL],
                             [FILL] * 4]


def test_shift_by_fractions_interpolates_bilinearly() -> None:
    # a product image, not linear, so that a wrong corner or weight shows: image[j, i] = (j + 1) * (i + 1) ** 2
    jj, ii = np.mgrid[0:3, 0:4].astype(np.float64)
    image = (jj + 1) * (ii + 1) ** 2
    out = _shift_bilinear(image, 0.25, 0.5, FILL)  # samples at (j - 0.25, i - 0.5)
    # out[1, 1] samples (0.75, 0.5): rows 0 and 1 weighted 0.25 / 0.75, columns 0 and 1 weighted 0.5 / 0.5:
    # row 0: (1 + 4) / 2 = 2.5; row 1: (2 + 8) / 2 = 5 → 0.25 * 2.5 + 0.75 * 5 = 4.375
    assert out[1, 1] == pytest.approx(4.375)
    # out[2, 3] samples (1.75, 2.5): row 1: (2*9 + 2*16) / 2 = 25, row 2: (3*9 + 3*16) / 2 = 37.5
    # → 0.25 * 25 + 0.75 * 37.5 = 34.375
    assert out[2, 3] == pytest.approx(34.375)
    # row 0 and column 0 sample outside the image (j - 0.25 < 0, i - 0.5 < 0): blank
    assert (out[0] == FILL).all() and (out[:, 0] == FILL).all()
    up = _shift_bilinear(image, -0.5, -0.5, FILL)  # samples at (j + 0.5, i + 0.5): the last row and column are blank
    # up[1, 2] samples (1.5, 2.5): row 1: (2*9 + 2*16)/2 = 25, row 2: 37.5 → 31.25
    assert up[1, 2] == pytest.approx(31.25)
    assert (up[2] == FILL).all() and (up[:, 3] == FILL).all() and (up[:2, :3] != FILL).all()


def test_tilt_degrees_by_hand() -> None:
    normal = np.array([0.0, 0.0, 1.0])
    # axis first → last = (0, 5, 20): atan(5 / 20) = 14.04°; the middle slice does not count
    positions = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 10.0], [0.0, 5.0, 20.0]])
    assert tilt_degrees(positions, normal) == pytest.approx(math.degrees(math.atan2(5, 20)))
    # one millimetre between first and last, tilted: acos(0.8) = 36.87°
    assert tilt_degrees(np.array([[0.0, 0.0, 0.0], [0.0, 0.6, 0.8]]), normal) == pytest.approx(36.8699, abs=1e-4)
    assert tilt_degrees(np.zeros((3, 3)), normal) == 0.0  # every slice at one position: no axis
    # an axis along an oblique normal, where the cosine rounds to 1.0000000000000002: 0°, not NaN
    oblique = np.array([1.0, 1.0, 1.0]) / math.sqrt(3)
    assert tilt_degrees(np.array([[0.0, 0.0, 0.0], 3 * oblique]), oblique) == 0.0


def axial(spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> Geometry:
    return Geometry((0.0, 0.0, 0.0), spacing, np.eye(3))


def stack(count: int, rows: int = 3, columns: int = 4, dtype: type = np.int16) -> np.ndarray:
    """Slice k holds 100 k + 4 j + i: every voxel different, interpolation along k easy to follow."""
    k, j, i = np.mgrid[0:count, 0:rows, 0:columns]
    return (100 * k + 4 * j + i).astype(dtype)


def test_a_regular_stack_comes_back_as_it_was() -> None:
    array, geometry = stack(3), axial((0.5, 0.5, 2.0))
    done = regularise(array, geometry, np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 4.0]]))
    assert done.array is array and done.geometry is geometry and done.reason == "" and done.note == ""
    one = stack(1)
    single = regularise(one, geometry, np.array([[3.0, 4.0, 5.0]]))
    assert single.array is one and single.geometry is geometry and single.reason == "" and single.note == ""


def test_shear_is_undone_in_pixels_of_each_direction() -> None:
    # pixels 0.5 mm across a row (x), 2 mm down a column (y); each slice's origin moves 0.5 mm in x
    # and 2 mm in y: one pixel each way per slice, so slice k is moved back by k rows and k columns
    geometry = axial((0.5, 2.0, 1.0))
    positions = np.array([[0.5 * k, 2.0 * k, 1.0 * k] for k in range(3)])
    array = stack(3, rows=4, columns=4)
    done = regularise(array, geometry, positions)
    fill = int(array.min())
    assert done.array.dtype == np.int16 and done.array.shape == (3, 4, 4)
    assert done.array[0].tolist() == array[0].tolist()
    # out[k][j, i] = array[k][j - k, i - k] (columns follow x, rows follow y)
    assert done.array[1].tolist() == [[fill] * 4, [fill, 100, 101, 102], [fill, 104, 105, 106], [fill, 108, 109, 110]]
    assert done.array[2][2:, 2:].tolist() == [[200, 201], [204, 205]] and (done.array[2][:2] == fill).all()
    assert done.geometry.spacing == (0.5, 2.0, 1.0) and done.geometry.origin == (0.0, 0.0, 0.0)
    # the tilt: axis (1, 4, 2) against the normal z: acos(2 / sqrt(21)) = 64.1°
    assert done.reason == "gantry tilt 64.1°"
    assert done.note == "resampled onto a regular grid: gantry tilt 64.1° (3 acquired slices → 3)"


def test_a_half_pixel_shear_of_two_slices_is_a_sheared_stack() -> None:
    # 0.05 mm in x over 10 mm: 0.29°, under the 0.5° of a tilt, yet half a pixel of 0.1 mm: resampled
    geometry = axial((0.1, 0.1, 10.0))
    done = regularise(stack(2, dtype=np.float32), geometry, np.array([[0.0, 0.0, 0.0], [0.05, 0.0, 10.0]]))
    assert done.reason == "sheared stack" and done.array.dtype == np.float32
    # slice 1 moved back half a pixel along the row: out[1][j, i] = (a[1][j, i - 1] + a[1][j, i]) / 2
    assert done.array[1][0, 1:].tolist() == [100.5, 101.5, 102.5] and done.array[1][0, 0] == 0.0  # fill: the minimum


@pytest.mark.parametrize(("steps", "uneven"), [((5.0, 5.2), False), ((5.0, 5.3), True), ((5.0, 5.0, 6.0), True)])
def test_uneven_is_more_than_five_percent_of_the_median_step(steps: tuple[float, ...], uneven: bool) -> None:
    # 5.0 and 5.2: 0.2 mm apart, under 5 % of the median 5.1 (0.255 mm); 5.0 and 5.3: 0.3 mm, over
    d = np.concatenate([[0.0], np.cumsum(steps)])
    done = regularise(stack(len(d)), axial(), np.column_stack([np.zeros_like(d), np.zeros_like(d), d]))
    assert (done.reason != "") is uneven


def z_stack(d: list[float], dtype: type = np.int16) -> tuple[np.ndarray, object]:
    array = stack(len(d), dtype=dtype)
    positions = np.array([[0.0, 0.0, z] for z in d])
    return array, regularise(array, axial(), positions)


def test_uneven_spacing_interpolates_between_the_two_nearest_slices() -> None:
    # slices at 0, 5, 10.5: spacing 5 → targets 0, 5, 10 (10.5 is 0.5 past the last target)
    array, done = z_stack([0.0, 5.0, 10.5])
    assert done.array.shape == (3, 3, 4) and done.array.dtype == np.int16
    assert done.array[1].tolist() == array[1].tolist()
    # target 10 between 5 (slice 1) and 10.5 (slice 2): f = 5 / 5.5 → 100 + 100 * 0.909 = 190.9 → 191 (at j = i = 0)
    assert done.array[2][0, 0] == 191 and done.array[2][2, 3] == 191 + 11
    assert done.reason == "slice spacing 5.00 to 5.50 mm made 5.00 mm"
    assert done.geometry.spacing == (1.0, 1.0, 5.0)


def test_a_gap_between_two_slices_is_blank_and_its_ends_are_the_acquired_slices() -> None:
    # 0, 5, 20, 25: the 15 mm step is more than twice both neighbours: a gap; targets every 5 mm
    array, done = z_stack([0.0, 5.0, 20.0, 25.0])
    fill = int(array.min())
    assert done.array.shape[0] == 6
    assert done.array[1].tolist() == array[1].tolist()  # 5: the slice at the gap's start, not blank
    assert (done.array[2] == fill).all() and (done.array[3] == fill).all()  # 10, 15: inside the gap
    assert done.array[4].tolist() == array[2].tolist() and done.array[5].tolist() == array[3].tolist()
    assert done.reason == "slice spacing 5.00 to 15.00 mm made 5.00 mm, 1 gap(s) left blank"
    assert done.note.endswith("(4 acquired slices → 6)")


def test_a_gap_at_the_end_keeps_the_last_slice() -> None:
    # 0, 5, 10, 25: the last step (15) has one neighbour (5): a gap; the last target is the last slice
    array, done = z_stack([0.0, 5.0, 10.0, 25.0])
    assert done.array[5].tolist() == array[3].tolist()
    assert (done.array[3] == array.min()).all() and (done.array[4] == array.min()).all()


@pytest.mark.parametrize(("d", "gaps"), [
    ([0.0, 12.0, 27.0, 32.0], 0),  # 15 is not more than twice its left neighbour 12
    ([0.0, 5.0, 20.0, 32.0], 0),  # nor twice its right neighbour 12
    ([0.0, 5.0, 15.0, 20.0], 0),  # exactly twice is not more than twice
    ([0.0, 15.0, 20.0, 25.0], 1),  # the first step, twice as long as its one neighbour: a gap
])
def test_which_steps_are_gaps(d: list[float], gaps: int) -> None:
    _, done = z_stack(d)
    assert ("gap(s) left blank" in done.reason) is (gaps > 0)
    assert (f"{gaps} gap(s)" in done.reason) is (gaps > 0)


def test_float_stacks_stay_float32() -> None:
    _, done = z_stack([0.0, 5.0, 10.5], dtype=np.float32)
    assert done.array.dtype == np.float32
    assert done.array[2][0, 0] == pytest.approx(100 + 100 * 5 / 5.5, abs=1e-4)
