"""A sphere VOI (Tools → Sphere VOI): a lesion's values in 3D. Every expected figure is worked out
here from the written files: each PET voxel's centre from its slice's Image Position and Pixel
Spacing, its SUVbw from its stored value (x Rescale Slope = Bq/mL, x weight / decayed dose), the
sphere's voxels by testing each centre's distance, the metabolic volume by construction (the
lesion's blocks that touch its hottest one, written so)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import PET_DOSE, PET_HALF_LIFE, PET_WEIGHT, write_film, write_pet_ct
from test_roi_statistics import drag, viewport_point

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.measure import SPHERE, sphere_section
from lightbox.viewer.sphere_voi import connected_to, sphere_statistics

CORE = (slice(8, 12), slice(10, 14), slice(20, 24))  # SUV 8: the lesion's hottest block
BESIDE = (slice(8, 12), slice(10, 14), slice(24, 26))  # SUV 4 (over 41 % of 8), touching the core
CORNER = (12, 14, 24)  # SUV 5, touching the core at one corner only (a 26-neighbour, not a 6-neighbour)
COOL = (slice(8, 12), slice(10, 14), slice(26, 27))  # SUV 3: under 41 % of 8, next to the lesion
APART = (slice(8, 10), slice(16, 18), slice(21, 23))  # SUV 6: hot, but apart from the lesion (SUV 1 between)
VOXEL_ML = 2.0 * 2.0 * 5.0 / 1000.0  # the PET's voxels: 2 x 2 mm pixels, slices 5 mm apart


def lesion_suv() -> np.ndarray:
    suv = np.zeros((20, 32, 32))
    suv[:, 4:28, 4:28] = 1.0
    suv[CORE], suv[BESIDE], suv[CORNER], suv[COOL], suv[APART] = 8.0, 4.0, 5.0, 3.0, 6.0
    return suv


def metabolic_by_construction() -> np.ndarray:
    """The voxels the lesion's 41 % isocontour holds, as written: core, the block beside it, the corner voxel."""
    region = np.zeros((20, 32, 32), bool)
    region[CORE] = region[BESIDE] = region[CORNER] = True
    return region


def pet_by_hand(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(centres ``[k, j, i, xyz]`` in mm, SUVbw ``[k, j, i]``) from the PET's files alone."""
    slices = sorted((pydicom.dcmread(p) for p in folder.glob("*.dcm")), key=lambda d: float(d.ImagePositionPatient[2]))
    decayed = PET_DOSE * 2.0 ** (-3600.0 / PET_HALF_LIFE)  # the scan an hour after the injection
    suv = np.stack([d.pixel_array * float(d.RescaleSlope) * PET_WEIGHT * 1000.0 / decayed for d in slices])
    centres = np.zeros((*suv.shape, 3))
    for k, d in enumerate(slices):
        x0, y0, z = (float(v) for v in d.ImagePositionPatient)
        row_mm, column_mm = (float(v) for v in d.PixelSpacing)
        j, i = np.mgrid[0:suv.shape[1], 0:suv.shape[2]]
        centres[k] = np.stack([x0 + column_mm * i, y0 + row_mm * j, np.full(i.shape, z)], axis=-1)
    return centres, suv


def peak_by_hand(centres: np.ndarray, suv: np.ndarray, inside: np.ndarray) -> float:
    """The highest mean of the voxels within 6.2035 mm (1 cm³) of a voxel of the VOI, each sphere by brute force."""
    flat, values = centres.reshape(-1, 3), suv.ravel()
    means = [values[np.linalg.norm(flat - c, axis=1) <= 6.2035].mean() for c in centres[inside]]
    return float(max(means))


def _pet(tmp_path: Path):  # noqa: ANN202
    write_pet_ct(tmp_path, lesion_suv())
    series = {s.modality: s for s in build_index(tmp_path).all_series()}
    return load_volume(series["PT"]), load_volume(series["CT"])


def test_a_pet_sphere_by_hand(tmp_path: Path) -> None:
    """A 14 mm sphere about (13, -7, 50): its voxels, mean, SD, extremes and volume as counted
    here; MTV the lesion's 97 voxels (64 + 32 + the corner one; not the cooler block, not the hot
    spot apart) = 1.94 mL; TLG = MTV x their mean SUV; SUVpeak the best 1 cm³ mean about one of its voxels."""
    pet, _ = _pet(tmp_path)
    centre, radius = np.array([13.0, -7.0, 50.0]), 14.0
    centres, suv = pet_by_hand(tmp_path / "pet")
    inside = np.linalg.norm(centres - centre, axis=-1) <= radius
    stats = sphere_statistics(pet, centre, radius)
    assert stats is not None and stats.value_unit == "SUVbw"
    assert stats.pixels == int(inside.sum())
    assert stats.mean == pytest.approx(float(suv[inside].mean()), rel=1e-6)
    assert stats.sd == pytest.approx(float(suv[inside].std(ddof=1)), rel=1e-6)
    assert (stats.minimum, stats.maximum) == pytest.approx((float(suv[inside].min()), float(suv[inside].max())), rel=1e-6)
    assert stats.volume_ml == pytest.approx(inside.sum() * VOXEL_ML) and stats.radius_mm == radius
    assert inside[APART].any() and inside[COOL].all()  # the sphere does hold what the MTV must leave out
    metabolic = metabolic_by_construction()
    assert (inside & metabolic).sum() == metabolic.sum() == 97
    assert stats.mtv_ml == pytest.approx(97 * VOXEL_ML)
    assert stats.tlg == pytest.approx(97 * VOXEL_ML * float(suv[metabolic].mean()), rel=1e-6)
    assert stats.peak == pytest.approx(peak_by_hand(centres, suv, inside), rel=1e-6)
    text = stats.describe()
    assert "sphere 28 mm, " in text and f"MTV 41% {97 * VOXEL_ML:.2f} mL, TLG" in text and "area" not in text


def test_the_ct_under_the_sphere_has_no_metabolic_volume(tmp_path: Path) -> None:
    """On the CT (40 HU throughout, 1 x 1 x 2.5 mm voxels): the voxels within 10 mm counted by
    hand, mean 40 HU, no MTV, no TLG, no peak."""
    _, ct = _pet(tmp_path)
    centre = np.array([0.3, -0.2, 50.0])
    z = np.arange(40) * 2.5
    k, j, i = np.meshgrid(z, np.arange(64) - 32.0, np.arange(64) - 32.0, indexing="ij")
    count = int(((i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2 <= 100.0).sum())
    stats = sphere_statistics(ct, centre, 10.0)
    assert stats is not None and stats.pixels == count and stats.mean == pytest.approx(40.0)
    assert stats.volume_ml == pytest.approx(count * 2.5 / 1000.0)
    assert stats.mtv_ml is None and stats.tlg is None and stats.peak is None and "MTV" not in stats.describe()


def test_a_sphere_outside_the_volume_holds_nothing(tmp_path: Path) -> None:
    pet, _ = _pet(tmp_path)
    assert sphere_statistics(pet, np.array([500.0, 0.0, 50.0]), 10.0) is None


def test_26_neighbours_join_the_region() -> None:
    """Two voxels meeting at a corner are one region; two a voxel apart are not."""
    mask = np.zeros((3, 3, 3), bool)
    mask[0, 0, 0] = mask[1, 1, 1] = True
    assert connected_to(mask, (0, 0, 0)).sum() == 2
    mask[1, 1, 1], mask[2, 2, 2] = False, True
    assert connected_to(mask, (0, 0, 0)).sum() == 1


def test_the_cut_of_a_sphere_through_a_parallel_plane() -> None:
    """A 5 mm sphere 3 mm off its plane: a circle of 4 mm about the same point; 5 mm off: none."""
    assert sphere_section([(1.0, 2.0), (4.0, 6.0)], 3.0) == ((1.0, 2.0), pytest.approx(4.0))
    assert sphere_section([(1.0, 2.0), (4.0, 6.0)], -5.0) is None


def _tools(window, text: str) -> None:  # noqa: ANN001
    tools = next(a for a in window.menuBar().actions() if a.text().replace("&", "") == "Tools").menu()
    next(a for a in tools.actions() if a.text() == text).trigger()


def test_a_sphere_drawn_on_the_fused_ct(any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """Tools → Sphere VOI on the CT with its PET laid over, dragged from the lesion's centre 14 mm
    out: the CT's values and the PET's (MTV, TLG) in its label as counted here; drawn as its cut
    through each slice it reaches (a smaller circle two slices on, none 15 mm on); in the
    report's measurement lines; kept with the study."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    write_pet_ct(tmp_path, lesion_suv())
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.index = build_index(tmp_path)
    menu = window.fusion_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("Lay over")).trigger()
    qtbot.waitUntil(lambda: window.fusion_menu.current() is not None, timeout=10000)
    widget = window.area.viewports[0]
    scene = widget.scene
    scene.move_to(50.0 * float(scene.normal[2]))  # the CT slice at z = 50
    _tools(window, "Sphere VOI")
    assert widget.tool == SPHERE
    with qtbot.waitSignal(widget.measured, timeout=5000):
        drag(qtbot, widget, viewport_point(widget, scene.world_to_display(np.array([13.0, -7.0, 50.0]))),
             viewport_point(widget, scene.world_to_display(np.array([27.0, -7.0, 50.0]))))
    (sphere,) = scene.measurements
    assert sphere.kind == SPHERE
    # the sphere as the mouse placed it (whole screen pixels): its centre and radius, then counted here
    (cu, cv), (eu, ev) = sphere.points
    plane = scene.position()
    centre = cu * scene.right + cv * scene.up + plane * scene.normal
    radius = float(np.hypot(eu - cu, ev - cv))
    assert np.allclose(centre, [13.0, -7.0, 50.0], atol=0.2) and radius == pytest.approx(14.0, abs=0.2)
    centres, suv = pet_by_hand(tmp_path / "pet")
    inside = np.linalg.norm(centres - centre, axis=-1) <= radius
    stats = sphere.statistics
    assert stats is not None and stats.mean == pytest.approx(40.0) and stats.fused is not None
    assert stats.fused.pixels == int(inside.sum()) and stats.fused.maximum == pytest.approx(float(suv[inside].max()), rel=1e-6)
    assert stats.fused.mtv_ml == pytest.approx(97 * VOXEL_ML)
    assert stats.fused.tlg == pytest.approx(97 * VOXEL_ML * float(suv[metabolic_by_construction()].mean()), rel=1e-6)
    assert "PT mean" in widget.scene.measure.label(sphere) and "TLG" in window.statusBar().currentMessage()

    def drawn_at(offset_mm: float) -> bool:
        """Whether the measurement colour is on screen where the cut's rightmost point lies."""
        qtbot.wait(200)
        shot = widget.grab_pixels()
        section = sphere_section(sphere.points, offset_mm)
        r = section[1] if section is not None else radius / 2
        x, y = scene.world_to_display(centre + offset_mm * scene.normal + r * scene.right)
        near = shot[int(round(shot.shape[0] - 1 - y)) - 1:int(round(shot.shape[0] - 1 - y)) + 2,
                    int(round(x)) - 1:int(round(x)) + 2, :3].reshape(-1, 3).astype(int)
        return bool((np.abs(near - (255, 199, 51)).max(axis=1) <= 3).any())  # MEASURE_COLOR (1, 0.78, 0.2)

    assert drawn_at(0.0)
    scene.scroll(4)  # 10 mm on: a circle of sqrt(14² - 10²) = 9.8 mm
    offset = (scene.position() - plane)
    assert abs(offset) == pytest.approx(10.0) and drawn_at(offset)
    scene.scroll(2)  # 15 mm on: beyond the sphere, no circle
    assert sphere_section(sphere.points, scene.position() - plane) is None and not drawn_at(scene.position() - plane)
    lines = window.area.measurement_lines()
    assert any(": VOI mean 40.0 HU" in line and "MTV 41%" in line for line in lines)
    window.open_path(tmp_path / "ct")  # the study again: the sphere is kept with it
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.active_scene() is not scene, timeout=30000)
    (again,) = window.area.active_scene().measure.measurements
    assert again.kind == SPHERE and again.points == sphere.points and again.statistics.pixels == stats.pixels


def test_the_sphere_tool_on_a_film_says_why_it_does_nothing(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    write_film(tmp_path / "cr.dcm", np.tile(np.arange(60, dtype=np.uint16), (60, 1)), spacing=(0.5, 0.5))
    window.open_path(tmp_path / "cr.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    _tools(window, "Sphere VOI")
    widget = window.area.viewports[0]
    drag(qtbot, widget, viewport_point(widget, widget.scene.image_to_display(20, 20)),
         viewport_point(widget, widget.scene.image_to_display(40, 20)))
    assert widget.scene.measurements == []
    assert "draw it on a CT, MR or PET pane" in window.statusBar().currentMessage()
