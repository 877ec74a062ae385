"""A PET region's peak (PERCIST's SUVpeak: the highest mean in a 1 cm³ sphere centred in the region),
checked against sphere means worked out here voxel by voxel from the voxels' positions in mm."""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pydicom
import pytest

from lightbox.viewer.geometry import Geometry
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.measure import volume_roi_statistics
from lightbox.viewer.pixels import Padding
from lightbox.viewer.uptake_peak import SPHERE_RADIUS_MM, peak_mean, sphere_offsets
from tests.test_pet_suv import rectangle_report, slices_in_z, suv_by_hand, write_pet

RADIUS = (3 * 1000 / (4 * math.pi)) ** (1 / 3)  # mm: a sphere of 1 cm³


def brute_peak(values: np.ndarray, positions: np.ndarray, centres: list[tuple[int, int, int]],
               padding: tuple[float, float] | None = None) -> float:
    """``positions[k, j, i]``: each voxel's centre in mm. Every sphere's mean by looping over every voxel."""
    best = -math.inf
    for centre in centres:
        found = []
        for k, j, i in itertools.product(*(range(n) for n in values.shape)):
            if np.sum((positions[k, j, i] - positions[centre]) ** 2) <= RADIUS ** 2:
                value = float(values[k, j, i])
                if padding is None or not padding[0] <= value <= padding[1]:
                    found.append(value)
        if found:
            best = max(best, sum(found) / len(found))
    return best


def positions_of(shape: tuple[int, int, int], origin: np.ndarray, steps: np.ndarray, direction: np.ndarray) -> np.ndarray:
    out = np.zeros((*shape, 3))
    for k, j, i in itertools.product(*(range(n) for n in shape)):
        out[k, j, i] = origin + direction @ (np.array([i, j, k]) * steps)
    return out


def pet_by_hand(folder: Path) -> tuple[list[pydicom.Dataset], np.ndarray, np.ndarray]:
    """The written PET's slices in z order, its SUVbw worked out from their pixels, slopes and dose
    (injected 08:30, scanned 09:30), and each voxel's centre in mm from Image Position and Pixel Spacing."""
    slices = slices_in_z(folder)
    suv = suv_by_hand(np.stack([d.pixel_array * float(d.RescaleSlope) for d in slices]), 3600.0)
    row_mm, col_mm = (float(v) for v in slices[0].PixelSpacing)
    positions = np.zeros((*suv.shape, 3))
    for k, j, i in itertools.product(*(range(n) for n in suv.shape)):
        x, y, z = (float(v) for v in slices[k].ImagePositionPatient)
        positions[k, j, i] = (x + i * col_mm, y + j * row_mm, z)
    return slices, suv, positions


AXIAL = (np.array([1.0, 0, 0]), np.array([0, -1.0, 0]), np.array([0, 0, 1.0]))  # right, up (anterior, -y), normal


def second_slice_rectangle(slices: list[pydicom.Dataset], first: tuple[float, float] = (1.6, 0.6),
                           last: tuple[float, float] = (9.4, 8.4)) -> tuple[float, list[tuple[float, float]]]:
    """The second slice's z and a rectangle's corners on it in the axial plane's mm, from pixel
    corners (column, row)."""
    x0, y0, z = (float(v) for v in slices[1].ImagePositionPatient)
    row_mm, col_mm = (float(v) for v in slices[1].PixelSpacing)
    return z, [(x0 + c * col_mm, -(y0 + r * row_mm)) for c, r in (first, last)]


def test_the_sphere_radius_holds_one_millilitre() -> None:
    assert abs(SPHERE_RADIUS_MM - 6.2035) < 1e-4
    assert 4 / 3 * math.pi * SPHERE_RADIUS_MM ** 3 == pytest.approx(1000.0)


@pytest.mark.parametrize("sheared", [False, True])
def test_the_peak_is_the_highest_sphere_mean(sheared: bool) -> None:
    """Sheared: slices stepping along a tilted axis (a gantry tilt kept as acquired), where the
    sphere's voxels are not those of a box grid's (a rotation alone would keep every distance)."""
    rng = np.random.default_rng(7)
    shape = (9, 14, 11)
    values = rng.uniform(0, 10, shape)
    values[4, 5, 6] = 60.0  # a hot voxel: its sphere's mean, not 60, is the peak
    values[3, 5, 6] = 30.0
    steps = np.array([2.0, 2.5, 3.0])
    tilt = math.radians(60) if sheared else 0.0  # 60°: spheres reach 4 slices along k, not 6.2 / 3 = 2
    direction = np.array([[1.0, 0, 0], [0, 1.0, math.sin(tilt)], [0, 0, math.cos(tilt)]])
    geometry = Geometry((10.0, -5.0, 3.0), tuple(steps), direction)
    centres = [(k, j, i) for k in range(3, 6) for j in range(3, 8) for i in range(4, 9)]
    positions = positions_of(shape, np.array([10.0, -5.0, 3.0]), steps, direction)
    expected = brute_peak(values, positions, centres)
    assert peak_mean(values, geometry, np.array(centres)) == pytest.approx(expected)
    assert expected < 60.0  # the sphere averages the hot voxel with its neighbours


def test_padding_is_left_out_and_an_empty_region_has_no_peak() -> None:
    values = np.full((3, 6, 6), 4.0)
    values[1, 2, 2] = 9.0
    values[1, 2, 3] = -3000.0  # padding beside the hot voxel
    geometry = Geometry(spacing=(5.0, 5.0, 5.0))
    positions = positions_of(values.shape, np.zeros(3), np.array([5.0, 5.0, 5.0]), np.eye(3))
    centres = [(1, 2, 2)]
    expected = brute_peak(values, positions, centres, padding=(-3024.0, -3000.0))
    assert peak_mean(values, geometry, np.array(centres), Padding(-3024.0, -3000.0)) == pytest.approx(expected)
    assert expected == pytest.approx((9.0 + 4.0 * 5) / 6)  # the voxel and its 6 face neighbours at 5 mm, less the padding
    assert peak_mean(values, geometry, np.empty((0, 3))) is None


def test_a_sphere_at_the_volume_s_edge_counts_the_voxels_inside_it() -> None:
    values = np.arange(2 * 3 * 3, dtype=float).reshape(2, 3, 3)
    geometry = Geometry(spacing=(5.0, 5.0, 5.0))
    assert len(sphere_offsets(geometry)) == 7  # 5 mm steps: the centre and its 6 face neighbours
    assert peak_mean(values, geometry, np.array([(0, 0, 0)])) == pytest.approx((0 + 1 + 3 + 9) / 4)


def test_an_roi_on_a_pet_series_gives_its_suv_peak(tmp_path: Path) -> None:
    """A rectangle on the middle slice of a PET series in SUVbw: its peak from the written files'
    positions (Image Position, Pixel Spacing), slopes and dose, sphere by sphere; in the ROI's text."""
    folder = write_pet(tmp_path / "pet")
    slices, suv, positions = pet_by_hand(folder)
    volume = load_volume(build_index(folder).all_series()[0])
    z, corners = second_slice_rectangle(slices)
    stats = volume_roi_statistics(volume, AXIAL, z, 2.0, "rectangle", corners)
    centres = [(1, j, i) for j in range(1, 9) for i in range(2, 10)]  # centres inside: rows 1-8, columns 2-9
    assert stats is not None and stats.pixels == len(centres)
    expected = brute_peak(suv, positions, centres)
    assert stats.peak == pytest.approx(expected, rel=1e-5)
    assert stats.minimum < stats.peak < stats.maximum  # the marker square is smaller than the sphere
    assert f"\npeak {expected:.3f} SUVbw (1 cm³ sphere)\n" in stats.describe()


def test_a_rectangle_drawn_on_a_pet_in_the_window_says_its_peak(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Tools → Rectangle ROI (B) on the PET's middle slice in a real window: the text the reader sees
    ends its values with the peak, worked out here sphere by sphere."""
    from PySide6.QtCore import Qt

    from lightbox.app.main_window import MainWindow
    from tests.test_roi_statistics import drag, viewport_point

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    folder = write_pet(tmp_path / "pet")
    slices, suv, positions = pet_by_hand(folder)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_path(folder)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and getattr(window.area.viewports[0].scene, "plane", "") == "axial", timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    qtbot.keyClick(window, Qt.Key.Key_B)
    z = scene.display.crosshair[2]
    k = int(np.argmin([abs(float(d.ImagePositionPatient[2]) - z) for d in slices]))
    geometry = scene.volume.geometry
    corner_a, corner_b = geometry.index_to_world((2 - 0.4, 1 - 0.4, 0)), geometry.index_to_world((9 + 0.4, 8 + 0.4, 0))
    with qtbot.waitSignal(widget.measured, timeout=2000) as signal:
        drag(qtbot, widget, viewport_point(widget, scene.world_to_display(np.array([*corner_a[:2], z]))),
             viewport_point(widget, scene.world_to_display(np.array([*corner_b[:2], z]))))
    assert scene.measurements[0].statistics.pixels == 64
    expected = brute_peak(suv, positions, [(k, j, i) for j in range(1, 9) for i in range(2, 10)])
    assert f"peak {expected:.3f} SUVbw (1 cm³ sphere)" in signal.args[0]

    # AI → Save measurements as DICOM SR: the same peak, from the volume the window holds (not read again)
    from lightbox.dicomreports.measurements import read_measurements
    from lightbox.viewer import loading

    def read_again(*_: object, **__: object) -> None:
        raise AssertionError("the PET was read again for its report")

    monkeypatch.setattr(loading, "load_volume", read_again)
    ((_, _, _, values, _),) = read_measurements(pydicom.dcmread(window.save_measurements_sr(send_to="")))
    assert values["Peak Value Within ROI SUVbw"] == pytest.approx(expected, rel=1e-5)
    window.close()


def test_no_peak_but_on_a_pet(tmp_path: Path) -> None:
    """SUVpeak is PET's measure: a CT region's text has no peak line (its hottest sphere means nothing)."""
    from tests.dicom_factory import axial_positions, write_ct_series

    write_ct_series(tmp_path / "ct", axial_positions(3, spacing=4.0), rows=16, columns=16)
    volume = load_volume(build_index(tmp_path / "ct").all_series()[0])
    origin = volume.geometry.index_to_world((0, 0, 1))
    stats = volume_roi_statistics(volume, AXIAL, float(origin[2]), 2.0, "rectangle",
                                  [(origin[0] + 1.0, -origin[1] - 1.0), (origin[0] + 8.0, -origin[1] - 6.0)])
    assert stats is not None and stats.pixels > 0 and stats.peak is None and "peak" not in stats.describe()


def test_spheres_at_every_edge_and_away_from_the_corner() -> None:
    """Centres in the middle (the summed block starts away from index 0, differently along each
    axis) and at the far corner (spheres reaching past the last slice, row and column); a grid
    sheared along the columns (runs along a row off-centre) at the first column."""
    rng = np.random.default_rng(11)
    values = rng.uniform(0, 10, (20, 22, 24))
    geometry = Geometry(spacing=(1.0, 1.0, 1.0))
    positions = positions_of(values.shape, np.zeros(3), np.ones(3), np.eye(3))
    middle = [(8, 10, 12), (9, 11, 13), (8, 11, 12)]
    corner = [(19, 21, 23), (18, 21, 22)]
    for centres in (middle, corner, middle + corner):
        assert peak_mean(values, geometry, np.array(centres)) == pytest.approx(brute_peak(values, positions, centres))
    shear = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.0], [0.0, 0.0, 0.8]])  # slices step sideways along i
    small = values[:6, :8, :8]
    steps = np.array([2.0, 2.0, 2.5])
    sheared = Geometry(spacing=tuple(steps), direction=shear)
    positions = positions_of(small.shape, np.zeros(3), steps, shear)
    for centre in [(k, j, i) for k in range(6) for j in (0, 7) for i in (0, 7)]:  # each sphere's own mean
        assert peak_mean(small, sheared, np.array([centre])) == pytest.approx(brute_peak(small, positions, [centre]))


def test_spheres_of_padding_and_a_sphere_of_one_voxel() -> None:
    """A centre whose sphere is all padding is no candidate; one whose sphere keeps a single voxel
    is (its mean is that voxel); a region of padding alone has no peak."""
    values = np.full((3, 9, 9), -3000.0)
    values[1, 1, 1] = 50.0  # alone among padding
    values[1, 6:9, 6:9] = 2.0
    geometry = Geometry(spacing=(4.0, 4.0, 4.0))
    padding = Padding(-3024.0, -3000.0)
    positions = positions_of(values.shape, np.zeros(3), np.full(3, 4.0), np.eye(3))
    centres = [(1, 1, 1), (1, 4, 4), (1, 7, 7), (0, 4, 0)]
    expected = brute_peak(values, positions, centres, padding=(-3024.0, -3000.0))
    assert expected == 50.0
    assert peak_mean(values, geometry, np.array(centres), padding) == pytest.approx(expected)
    assert peak_mean(values, geometry, np.array([(1, 4, 4), (0, 4, 0)]), padding) is None
    assert peak_mean(values, geometry, np.array([(1, 1, 1)]), padding) == 50.0  # a sphere of one voxel


def test_the_measurement_report_gives_the_suv_peak(tmp_path: Path) -> None:
    """`lightbox report measurements` on a rectangle kept on the PET's middle slice: the TID 1500
    report gives its SUVpeak (SUVbw derived as Peak Value Within ROI, DCM 126031), sphere by sphere."""
    folder = write_pet(tmp_path / "pet")
    _, suv, positions = pet_by_hand(folder)
    second, uid, values = rectangle_report(tmp_path, folder)
    expected = brute_peak(suv, positions, [(1, j, i) for j in range(2, 8) for i in range(3, 9)])
    assert uid == second.SOPInstanceUID
    assert values["Peak Value Within ROI SUVbw"] == pytest.approx(expected, rel=1e-5)
    assert values["Mean SUVbw"] != pytest.approx(expected, rel=1e-5)


def test_the_peak_in_sul_where_sex_weight_and_height_allow(tmp_path: Path) -> None:
    """A man of 74 kg and 1.80 m: SUL = SUVbw x LBM / weight, LBM = 9270 x 74 / (6680 + 216 x 74 / 1.8²)
    = 685980 / 11613.33 = 59.068 kg (Janmahasatian): the ROI text gives SULpeak beside SUVpeak, and
    the measurement report gives it as SUVlbm(Janma) (DCM 126405) with the Peak derivation."""
    folder = write_pet(tmp_path / "pet", PatientSex="M", PatientSize=1.8)
    volume = load_volume(build_index(folder).all_series()[0])
    assert volume.sul_per_suv == pytest.approx(59.068 / 74, abs=2e-5)
    assert "SUL: lean body mass 59.1 kg of 74 kg (man, 1.8 m; Janmahasatian)" in volume.warnings
    z, corners = second_slice_rectangle(slices_in_z(folder))
    stats = volume_roi_statistics(volume, AXIAL, z, 2.0, "rectangle", corners)
    assert stats is not None and stats.peak is not None
    assert stats.sul_peak == pytest.approx(stats.peak * 59.068 / 74, rel=2e-5)
    assert f"peak {stats.peak:.3f} SUVbw (1 cm³ sphere), SULpeak {stats.sul_peak:.3f}\n" in stats.describe()

    _, _, values = rectangle_report(tmp_path, folder, (1.6, 0.6), (9.4, 8.4))
    assert values["Peak Value Within ROI SUVbw"] == pytest.approx(stats.peak, rel=1e-5)
    assert values["Peak Value Within ROI SUVlbm(Janma)"] == pytest.approx(stats.peak * 59.068 / 74, rel=2e-5)
    plain = write_pet(tmp_path / "no-height")  # no height: no SUL, said, and none in the text
    assert load_volume(build_index(plain).all_series()[0]).sul_per_suv is None


def enhanced_pet(folder: Path, out: Path) -> Path:
    """The single-frame PET in ``folder`` as one Enhanced PET object (PS3.3 A.56), its frames stored
    head to feet (the volume's order is not the frames'), each frame's position and Rescale Slope in
    its per-frame functional groups."""
    import copy

    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid

    from tests.dicom_factory import set_pixels

    slices = slices_in_z(folder)[::-1]
    ds = copy.deepcopy(slices[0])
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.130"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    for keyword in ("ImagePositionPatient", "RescaleSlope", "RescaleIntercept", "SliceThickness"):
        delattr(ds, keyword)
    set_pixels(ds, np.stack([s.pixel_array for s in slices]))
    ds.NumberOfFrames = len(slices)
    shared, orientation, measures = Dataset(), Dataset(), Dataset()
    orientation.ImageOrientationPatient = list(slices[0].ImageOrientationPatient)
    measures.PixelSpacing, measures.SliceThickness = list(slices[0].PixelSpacing), 4.0
    shared.PlaneOrientationSequence, shared.PixelMeasuresSequence = [orientation], [measures]
    ds.SharedFunctionalGroupsSequence = [shared]
    frames = []
    for s in slices:
        item, plane, transform = Dataset(), Dataset(), Dataset()
        plane.ImagePositionPatient = list(s.ImagePositionPatient)
        transform.RescaleSlope, transform.RescaleIntercept, transform.RescaleType = float(s.RescaleSlope), 0.0, "BQML"
        item.PlanePositionSequence, item.PixelValueTransformationSequence = [plane], [transform]
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = frames
    out.mkdir(parents=True, exist_ok=True)
    ds.save_as(out / "pet.dcm", enforce_file_format=True)
    return out


def test_a_multi_frame_pets_report_gives_the_suv_peak(tmp_path: Path) -> None:
    """The PET as one Enhanced PET object, frames head to feet: a rectangle kept on its highest
    slice (the volume's third, frame 1) gets, in the TID 1500 report, the SUVpeak worked out here from the single-frame
    slices' pixels, slopes and positions (it had SUVbw values but no peak)."""
    from lightbox.app.cli import main
    from lightbox.dicomreports.measurements import read_measurements
    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog

    folder = write_pet(tmp_path / "pet")
    slices, suv, positions = pet_by_hand(folder)
    multi = pydicom.dcmread(enhanced_pet(folder, tmp_path / "multi") / "pet.dcm")
    x0, y0, z0 = (float(v) for v in slices[2].ImagePositionPatient)
    row_mm, col_mm = (float(v) for v in slices[2].PixelSpacing)
    corners = [(x0 + c * col_mm, -(y0 + r * row_mm)) for c, r in ((2.5, 1.5), (8.5, 7.5))]
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), str(multi.SeriesInstanceUID), "axial", [StoredAnnotation("rectangle", corners, plane=z0)])
    assert main(["report", "measurements", str(tmp_path / "multi"), "--out", str(tmp_path / "sr.dcm"), "--db", db]) == 0
    ((_, uid, _, values, frame),) = read_measurements(pydicom.dcmread(tmp_path / "sr.dcm"))
    assert (uid, frame) == (multi.SOPInstanceUID, 1)
    expected = brute_peak(suv, positions, [(2, j, i) for j in range(2, 8) for i in range(3, 9)])
    assert values["Peak Value Within ROI SUVbw"] == pytest.approx(expected, rel=1e-5)
