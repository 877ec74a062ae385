"""viewer.fusion without a window: colours, lookups, refusals and words, each worked out here from
the volumes' own geometry (index → patient mm), the window's formula and the palette's own table."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from lightbox.viewer.fusion import Fusion, default_window, fusion_of, fusion_problem, palette_colours
from lightbox.viewer.geometry import Geometry
from lightbox.viewer.pixels import Window
from lightbox.viewer.volume import Volume

TURNED = np.array([[0.8, -0.6, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])  # 36.87° about z: no axis of the patient's


def _volume(shape: tuple[int, int, int] = (6, 7, 8), origin=(10.0, -20.0, 30.0), spacing=(2.0, 3.0, 5.0),
            direction=TURNED, frame: str = "1.2.3", **extra: object) -> Volume:
    rng = np.random.default_rng(5)
    values = rng.uniform(0.5, 9.0, shape).astype(np.float32)  # no zero, edges included: every voxel coloured
    volume = Volume(values, Geometry(origin, spacing, direction), "PT", metadata={"frame_of_reference": frame,
                                                                                   "pet_units": "BQML"})
    for key, value in extra.items():
        setattr(volume, key, value)
    return volume


def _centre(volume: Volume, i: float, j: float, k: float) -> np.ndarray:
    """Voxel (i, j, k)'s centre in patient mm: origin + direction (index x spacing)."""
    g = volume.geometry
    return np.asarray(g.origin) + g.direction @ (np.array([i, j, k]) * np.asarray(g.spacing))


def test_grey_one_is_drawn_and_the_alpha_is_the_opacity_rounded() -> None:
    """SUV 5/255 is grey 1 of SUV 0-5: drawn (Hot Iron's entry 1), at 0.75 x 255 = 191.25 → 191."""
    fusion = Fusion(_volume(), Window(2.5, 5.0, "LINEAR_EXACT"), opacity=0.75)
    rgba = fusion.rgba(np.array([5.0 / 255, 0.0]))
    assert tuple(rgba[0]) == (*palette_colours("Hot Iron")[1], 191) and rgba[1, 3] == 0


def test_a_point_is_its_voxels_value_from_the_first_to_the_last() -> None:
    volume = _volume()
    fusion = Fusion(volume, Window(2.5, 5.0))
    k, j, i = volume.shape
    points = np.array([_centre(volume, 0, 0, 0), _centre(volume, i - 1, j - 1, k - 1), _centre(volume, 3, 2, 1),
                       _centre(volume, i, 0, 0), _centre(volume, 0, -1, 0), _centre(volume, 0, 0, k)])
    values, inside = fusion.sample(points)
    assert inside.tolist() == [True, True, True, False, False, False]
    a = volume.array
    assert values[:3].tolist() == [a[0, 0, 0], a[k - 1, j - 1, i - 1], a[1, 2, 3]]


@pytest.mark.parametrize("grid", ["oblique, past the edges", "along the volume, away from its first voxel", "tiny"])
def test_a_grid_is_each_points_own_colour(grid: str) -> None:
    """A grid's colours (made for the voxels the grid reaches, or for its gathered values) equal
    each point's own (Fusion.sample: the geometry's world_to_index, then Fusion.rgba); outside
    the volume transparent though its edge voxels are coloured."""
    volume = _volume()
    fusion = Fusion(volume, Window(2.5, 5.0, "LINEAR_EXACT"), opacity=0.5)
    g = volume.geometry
    if grid.startswith("oblique"):
        corner, step_x, step_y, width, height = (_centre(volume, -2.3, -1.7, -0.4), np.array([0.37, 0.11, 0.09]),
                                                 np.array([-0.05, 0.41, 0.13]), 90, 80)
    elif grid.startswith("along"):  # rows along j, columns along i, on slice 3: the packed path
        corner = _centre(volume, 2.26, 1.31, 3.0)
        step_x, step_y = g.direction[:, 0] * g.spacing[0] * 0.13, g.direction[:, 1] * g.spacing[1] * 0.09
        width, height = 40, 50
    else:
        corner, step_x, step_y, width, height = (_centre(volume, 0.3, 0.2, 0.1), np.array([3.1, 2.2, 4.3]),
                                                 np.array([1.7, 4.9, 2.8]), 2, 3)
    out = fusion.rgba_grid(corner, step_x, step_y, width, height)
    points = corner + np.arange(height)[:, None, None] * step_y + np.arange(width)[None, :, None] * step_x
    values, inside = fusion.sample(points)
    expected = fusion.rgba(values)
    expected[~inside] = 0
    assert out.shape == (height, width, 4) and (out == expected).all()
    if grid.startswith("oblique"):
        assert inside.any() and not inside.all()


def test_series_that_only_touch_overlap_and_one_a_hair_beyond_does_not() -> None:
    base = _volume(direction=np.eye(3))
    k, j, i = base.shape
    far_x = 10.0 + 2.0 * (i - 1)  # the base's last column's centre
    touching = _volume(origin=(far_x, -20.0, 30.0), direction=np.eye(3))
    assert fusion_problem(base, touching) == ""
    beyond = _volume(origin=(far_x + 0.01, -20.0, 30.0), direction=np.eye(3))
    assert fusion_problem(base, beyond) == "the two series do not overlap in the patient"
    below = _volume(origin=(10.0, -20.0 - 3.0 * (j - 1) - 0.01, 30.0), direction=np.eye(3))
    assert fusion_problem(base, below) == "the two series do not overlap in the patient"
    above = _volume(origin=(10.0, -20.0, 30.0 + 5.0 * (k - 1) + 0.01), direction=np.eye(3))
    assert fusion_problem(base, above) == "the two series do not overlap in the patient"
    for axis, step, count in ((0, 2.0, i), (1, 3.0, j), (2, 5.0, k)):  # touching from above and below, each axis
        for sign in (1, -1):
            origin = np.array([10.0, -20.0, 30.0])
            origin[axis] += sign * step * (count - 1)
            assert fusion_problem(base, _volume(origin=tuple(origin), direction=np.eye(3))) == "", (axis, sign)
    unstated = _volume()
    del unstated.metadata["frame_of_reference"]
    assert fusion_problem(base, unstated).startswith("a series states no Frame of Reference UID")
    assert fusion_problem(unstated, base).startswith("a series states no Frame of Reference UID")
    assert fusion_problem(base, _volume(frame="")).startswith("a series states no Frame of Reference UID")
    assert fusion_problem(_volume(frame=""), base).startswith("a series states no Frame of Reference UID")
    assert fusion_problem(base, _volume(frame="9.9")).startswith("the two series are not in the same frame")


def test_the_window_a_fused_volume_opens_with() -> None:
    from lightbox.viewer.pixels import Padding, auto_window

    pet = _volume()
    pet.array *= np.arange(1, 7, dtype=np.float32)[:, None, None]  # each slice its own range
    pet.array[3, :2] = -5.0  # padding in the middle slice
    pet.padding = Padding(-5.0, -5.0)
    pet.metadata["pet_units"] = ""
    assert pet.unit == ""
    # no window of its own: the automatic one of its middle slice (of 6: the fourth), padding left out
    assert default_window(pet) == auto_window(pet.array[3], padding=Padding(-5.0, -5.0))
    assert default_window(pet) != auto_window(pet.array[3])
    pet.window = Window(40.0, 400.0)
    assert default_window(pet) == Window(40.0, 400.0)


def test_what_the_corner_says() -> None:
    pet = _volume()
    assert Fusion(pet, Window(2.5, 5.0, "LINEAR_EXACT"), label="#3 PT").describe() == \
        "Fused: #3 PT 0-5 Bq/mL, Hot Iron, 50 %"
    pet.metadata["pet_units"] = ""
    assert Fusion(pet, Window(200.0, 100.0), opacity=0.75, palette="PET", label="#5 MR").describe() == \
        "Fused: #5 MR 150-250, PET, 75 %"
    assert Fusion(pet, Window(200.0, 100.0)).describe() == "Fused: 150-250, Hot Iron, 50 %"  # no label


def test_fusion_of_loads_names_and_refuses(tmp_path: Path) -> None:
    from dicom_factory import write_pet_ct

    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import load_volume

    suv = np.ones((20, 32, 32))
    write_pet_ct(tmp_path / "same", suv)
    series = {s.modality: s for s in build_index(tmp_path / "same").all_series()}
    ct = load_volume(series["CT"])
    fusion = fusion_of(ct, series["CT"], series["PT"])
    assert (fusion.label, fusion.series_uid, fusion.window, fusion.opacity, fusion.palette) == \
        ("#3 PT", series["PT"].uid, Window(2.5, 5.0, "LINEAR_EXACT"), 0.5, "Hot Iron")
    assert fusion.volume.unit == "SUVbw"
    with pytest.raises(ValueError) as refused:
        fusion_of(ct, series["CT"], series["CT"])
    assert str(refused.value) == "it is the series shown"
    series["PT"].number = None
    assert fusion_of(ct, None, series["PT"]).label == "PT"
    write_pet_ct(tmp_path / "other", suv, pet_frame_of_reference="1.2.3.4")
    other = {s.modality: s for s in build_index(tmp_path / "other").all_series()}
    with pytest.raises(ValueError, match="not in the same frame of reference"):
        fusion_of(load_volume(other["CT"]), other["CT"], other["PT"])
    assert pydicom.dcmread(next((tmp_path / "other" / "pet").iterdir())).FrameOfReferenceUID == "1.2.3.4"


def test_the_smooth_layer_interpolates_between_the_eight_nearest_voxels() -> None:
    """Once the view is still, each point's value is the trilinear mean of its eight nearest
    voxels, weighted by how near (worked out here corner by corner), then coloured; outside the
    volume transparent, as the nearest layer is."""
    volume = _volume()
    fusion = Fusion(volume, Window(4.75, 8.5, "LINEAR_EXACT"))  # the values 0.5 .. 9: no grey clipped
    a = volume.array
    # (i, j, k), continuous; the last two within half a voxel past the first and the last (inside:
    # the edge voxel stands for the ones beyond it)
    at = [(2.25, 3.5, 1.75), (0.0, 0.0, 0.0), (6.9, 5.1, 4.4), (-0.3, 2.0, 2.0), (7.3, 6.4, 5.2)]
    step = np.zeros(3)

    def voxel(n: int, size: int) -> int:
        return max(0, min(size - 1, n))

    for i, j, k in at:
        grid = fusion.rgba_grid(_centre(volume, i, j, k), step, step, 1, 1, smooth=True)
        value = 0.0
        fi, fj, fk = i - np.floor(i), j - np.floor(j), k - np.floor(k)
        for di in (0, 1):
            for dj in (0, 1):
                for dk in (0, 1):
                    weight = (fi if di else 1 - fi) * (fj if dj else 1 - fj) * (fk if dk else 1 - fk)
                    value += weight * float(a[voxel(int(np.floor(k)) + dk, 6), voxel(int(np.floor(j)) + dj, 7),
                                              voxel(int(np.floor(i)) + di, 8)])
        assert tuple(grid[0, 0]) == tuple(fusion.rgba(np.array([value]))[0]), (i, j, k)
    outside = fusion.rgba_grid(_centre(volume, -0.7, 2.0, 2.0), step, step, 1, 1, smooth=True)
    assert tuple(outside[0, 0]) == (0, 0, 0, 0)


SLABS = {  # z of the plane (mm), thickness (mm): the slices (k, at 30 + 5 k mm) whose centres lie within
    "in the middle": (41.0, 12.0, [1, 2, 3]),  # 35, 40, 45 within 41 ± 6
    "at the first slice": (33.0, 15.0, [0, 1, 2]),  # 25.5..40.5: none before k 0
    "at the last slice": (52.0, 10.0, [4, 5]),  # 47..57: none after k 5
    "thinner than a slice": (42.0, 2.0, [2]),  # 41..43 holds no centre: the nearest slice, 40
}


@pytest.mark.parametrize("mode", ["mip", "minip", "mean"])
@pytest.mark.parametrize("way", ["slices combined first", "each slice gathered"])
@pytest.mark.parametrize("where", list(SLABS))
@pytest.mark.parametrize("grid", ["over the whole volume", "inside it, away from its first voxel"])
def test_a_slab_combines_the_slices_whose_centres_lie_in_it(mode: str, way: str, where: str, grid: str,
                                                            monkeypatch) -> None:
    """A thick slab on an axial pane over a turned volume (slices 5 mm apart from z = 30): e.g. at
    z = 41 with 12 mm, the slices at 35, 40 and 45 mm lie within 41 ± 6 (k 1, 2, 3); each screen
    point takes the value of its nearest (i, j) in each and their highest, lowest or mean, worked
    out point by point; outside the volume in-plane, transparent. At the volume's ends only its
    own slices; thinner than a slice, the nearest one. Both ways of making it (the fast one along
    the volume's axis, the general one an oblique pane takes)."""
    z, thickness, slices = SLABS[where]
    volume = _volume()
    fusion = Fusion(volume, Window(5.0, 9.0, "LINEAR_EXACT"))
    if way == "each slice gathered":
        monkeypatch.setattr(Fusion, "_slab_along_axis", lambda *a, **k: None)
    corner, step_x, step_y = np.array([-5.3, -30.2, z]), np.array([0.93, 0.0, 0.0]), np.array([0.0, 1.07, 0.0])
    width, height = 40, 35
    if grid != "over the whole volume":  # its voxels from (i, j) = (2, 3) on: the block's offsets matter
        corner = _centre(volume, 2.3, 3.2, 0) * [1, 1, 0] + [0.0, 0.0, z]
        width, height = 6, 5
    got = fusion.rgba_grid(corner, step_x, step_y, width, height, slab=(mode, thickness, np.array([0.0, 0.0, 1.0])))
    g = volume.geometry
    k_size, j_size, i_size = volume.shape
    combine = {"mip": max, "minip": min, "mean": lambda v: sum(v) / len(v)}[mode]
    coloured = 0
    for r in range(height):
        for c in range(width):
            p = corner + c * step_x + r * step_y
            at = (TURNED.T @ (p - np.asarray(g.origin)))[:2] / np.asarray(g.spacing)[:2]
            if np.any(np.abs(at - np.floor(at) - 0.5) < 1e-6):
                continue  # half-way between two voxels: either is right
            i, j = (round(float(v)) for v in at)
            if not (0 <= i < i_size and 0 <= j < j_size):
                assert got[r, c, 3] == 0, (r, c)
                continue
            expected = fusion.rgba(np.array([combine([float(volume.array[k, j, i]) for k in slices])]))[0]
            assert np.abs(got[r, c].astype(int) - expected.astype(int)).max() <= 1, (r, c, mode)
            coloured += 1
    assert coloured > (200 if grid == "over the whole volume" else 20)
    plain = fusion.rgba_grid(corner, step_x, step_y, width, height)  # no slab: the nearest slice alone
    assert np.array_equal(plain, got) == (len(slices) == 1)
    for none in ((mode, 0.0, np.array([0.0, 0.0, 1.0])), ("none", thickness, np.array([0.0, 0.0, 1.0]))):
        assert np.array_equal(fusion.rgba_grid(corner, step_x, step_y, width, height, slab=none), plain)


def test_a_smooth_slab_takes_each_slices_interpolated_value() -> None:
    """Once the view is still: at z = 41 with 12 mm (k 1, 2, 3, the grid moved onto each slice's
    centre), each point's value in each slice interpolated between its four nearest voxels there
    (bilinear, worked out here; an edge voxel stands for the ones past it), then the highest."""
    volume = _volume()
    fusion = Fusion(volume, Window(5.0, 9.0, "LINEAR_EXACT"))
    corner, step_x, step_y = np.array([-5.3, -30.2, 41.0]), np.array([0.93, 0.0, 0.0]), np.array([0.0, 1.07, 0.0])
    got = fusion.rgba_grid(corner, step_x, step_y, 30, 25, smooth=True, slab=("mip", 12.0, np.array([0.0, 0.0, 1.0])))
    g = volume.geometry
    _, j_size, i_size = volume.shape

    def bilinear(k: int, i: float, j: float) -> float:
        i0, j0 = int(np.floor(i)), int(np.floor(j))
        total = 0.0
        for di in (0, 1):
            for dj in (0, 1):
                weight = (i - i0 if di else 1 - (i - i0)) * (j - j0 if dj else 1 - (j - j0))
                total += weight * float(volume.array[k, min(max(j0 + dj, 0), j_size - 1), min(max(i0 + di, 0), i_size - 1)])
        return total

    checked = 0
    for r in range(25):
        for c in range(30):
            p = corner + c * step_x + r * step_y
            i, j = (TURNED.T @ (p - np.asarray(g.origin)))[:2] / np.asarray(g.spacing)[:2]
            if not (0 <= round(i) < i_size and 0 <= round(j) < j_size) or min(abs(i % 1 - 0.5), abs(j % 1 - 0.5)) < 1e-6:
                continue
            expected = fusion.rgba(np.array([max(bilinear(k, i, j) for k in (1, 2, 3))]))[0]
            assert np.abs(got[r, c].astype(int) - expected.astype(int)).max() <= 1, (r, c)
            checked += 1
    assert checked > 150
