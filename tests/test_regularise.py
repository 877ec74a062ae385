"""Gantry-tilted and unevenly spaced stacks are resampled onto a regular grid, checked against a
phantom defined in patient space: every voxel must hold the value the phantom has where the
volume's geometry says the voxel lies (a tilted stack stacked along its normal put the top slice
tens of millimetres from its place)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_ct_series

from lightbox.app.cli import main
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume


def phantom(world: np.ndarray) -> np.ndarray:
    """A smooth field in patient space (mm): linear, so linear interpolation reproduces it."""
    return 1000.0 + 2.0 * world[..., 1] + 3.0 * world[..., 2]


def write_stack(folder: Path, positions: np.ndarray, row: np.ndarray, col: np.ndarray, pixel: float, size: int = 32) -> None:
    """One slice per position, each sampling ``phantom`` at its own pixels' patient positions."""
    write_ct_series(folder, [tuple(p) for p in positions], rows=size, columns=size, orientation=(*row, *col),
                    spacing=(pixel, pixel), window=None)
    files = sorted(folder.glob("*.dcm"))
    jj, ii = np.mgrid[0:size, 0:size]
    for path, position in zip(files, positions):
        ds = pydicom.dcmread(path)
        world = position + ii[..., None] * pixel * row + jj[..., None] * pixel * col
        ds.PixelData = np.rint(phantom(world)).astype(np.uint16).tobytes()
        ds.save_as(path)


def check_against_phantom(volume, margin: int = 3, tolerance: float = 1.5) -> None:
    k, j, i = np.mgrid[1:volume.shape[0] - 1, margin:volume.shape[1] - margin, margin:volume.shape[2] - margin]
    world = volume.geometry.index_to_world(np.column_stack([i.ravel(), j.ravel(), k.ravel()]))
    expected = phantom(world) - 1024.0
    got = volume.array[k.ravel(), j.ravel(), i.ravel()].astype(float)
    inside = got > volume.array.min()  # voxels the shear moved outside the acquired field are blank
    assert inside.mean() > 0.6
    assert np.abs(got[inside] - expected[inside]).max() <= tolerance


def test_gantry_tilted_ct_is_placed_where_it_was_acquired(tmp_path: Path) -> None:
    tilt = math.radians(18.5)
    row, col = np.array([1.0, 0.0, 0.0]), np.array([0.0, math.cos(tilt), math.sin(tilt)])
    table = 8.0  # mm per slice along z; 19 slices: 144 mm of table travel
    positions = np.array([[-30.0, -30.0, table * n] for n in range(19)])
    write_stack(tmp_path, positions, row, col, pixel=2.0)
    (series,) = build_index(tmp_path).all_series()
    volume = load_volume(series)
    assert any(w.startswith("resampled onto a regular grid: gantry tilt 18.5°") for w in volume.warnings)
    assert volume.resampled.startswith("gantry tilt 18.5°")
    # along the normal the slices are table * cos(tilt) = 7.59 mm apart; the last acquired slice's
    # origin lies at 18 steps: 18 * 7.587 = 136.6 mm along the normal, and it is where it was written
    assert volume.geometry.spacing[2] == pytest.approx(table * math.cos(tilt), abs=1e-3)
    last = volume.geometry.index_to_world((0, 0, 18)) + (positions[-1] - positions[0]) @ col * col
    assert np.linalg.norm(last - positions[-1]) < 0.5
    check_against_phantom(volume)
    np.testing.assert_allclose(volume.acquired_positions, positions)


def test_uneven_spacing_is_resampled_and_a_gap_stays_blank(tmp_path: Path) -> None:
    row, col = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    z = [0.0, 4.0, 8.0, 12.0, 19.0, 26.0, 33.0]  # 4 mm, then 7 mm (a protocol change)
    write_stack(tmp_path / "uneven", np.array([[0.0, 0.0, v] for v in z]), row, col, pixel=1.0)
    (series,) = build_index(tmp_path / "uneven").all_series()
    volume = load_volume(series)
    assert volume.geometry.spacing[2] == 4.0 and volume.shape[0] == 9  # 0, 4, ..., 32 mm
    assert "slice spacing 4.00 to 7.00 mm made 4.00 mm" in volume.resampled
    check_against_phantom(volume, tolerance=1.0)
    gap = [0.0, 4.0, 8.0, 20.0, 24.0]  # 12 mm where 4 mm on both sides: missing slices
    write_stack(tmp_path / "gap", np.array([[0.0, 0.0, v] for v in gap]), row, col, pixel=1.0)
    (series,) = build_index(tmp_path / "gap").all_series()
    volume = load_volume(series)
    assert volume.shape[0] == 7 and "1 gap(s) left blank" in volume.resampled
    floor = volume.array.min()
    assert (volume.array[3] == floor).all() and (volume.array[4] == floor).all()  # 12 and 16 mm: not invented
    assert volume.array[5, 10, 10] == pytest.approx(phantom(np.array([10.0, 10.0, 20.0])) - 1024, abs=1)


def test_a_regular_stack_is_left_as_it_is(tmp_path: Path) -> None:
    write_stack(tmp_path, np.array([[0.0, 0.0, 2.5 * n] for n in range(6)]), np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), 1.0)
    (series,) = build_index(tmp_path).all_series()
    volume = load_volume(series)
    assert volume.resampled == "" and volume.shape[0] == 6 and volume.array.dtype == np.int16


def test_inspect_and_screenshot_say_so(tmp_path: Path, capsys) -> None:
    tilt = math.radians(18.5)
    positions = np.array([[-30.0, -30.0, 8.0 * n] for n in range(8)])
    write_stack(tmp_path / "ct", positions, np.array([1.0, 0, 0]), np.array([0.0, math.cos(tilt), math.sin(tilt)]), 2.0)
    assert main(["inspect", str(tmp_path / "ct")]) == 0
    assert "gantry tilt" in capsys.readouterr().out


def test_the_mpr_panes_say_the_volume_was_resampled(tmp_path: Path) -> None:
    from lightbox.viewer.display import VolumeDisplay
    from lightbox.viewer.views.mpr_scene import MprScene

    tilt = math.radians(18.5)
    positions = np.array([[-30.0, -30.0, 8.0 * n] for n in range(8)])
    write_stack(tmp_path, positions, np.array([1.0, 0, 0]), np.array([0.0, math.cos(tilt), math.sin(tilt)]), 2.0)
    (series,) = build_index(tmp_path).all_series()
    scene = MprScene(load_volume(series), VolumeDisplay(), "axial")
    assert "RESAMPLED: gantry tilt 18.5°" in scene.corners.texts["lower_right"]


def test_slices_sharing_positions_are_split_by_what_tells_them_apart(tmp_path: Path) -> None:
    """A dual-echo series: two images at each of 5 positions, EchoTime 10 and 90 ms. Each echo is
    its own volume (the second echo's five images were dropped as 'duplicated' slices)."""
    from dicom_factory import axial_positions
    from pydicom.uid import generate_uid

    uid, study = generate_uid(), generate_uid()
    for echo, base in ((10, 1000), (90, 2000)):
        paths = write_ct_series(tmp_path / "mr", axial_positions(5), rows=16, columns=16, series_uid=uid, study_uid=study,
                                base=base, names=[f"e{echo}_{n}.dcm" for n in range(5)])
        for path in paths:
            ds = pydicom.dcmread(path)
            ds.EchoTime = echo
            ds.save_as(path)
    series = build_index(tmp_path / "mr").all_series()
    assert sorted(s.description for s in series) == ["[EchoTime 10.0]", "[EchoTime 90.0]"]
    assert all(s.kind == "volume" and s.frame_count == 5 for s in series)
    by_echo = {s.description: load_volume(s) for s in series}
    assert int(by_echo["[EchoTime 10.0]"].array[2, 10, 10]) == 1000 + 2 - 1024
    assert int(by_echo["[EchoTime 90.0]"].array[2, 10, 10]) == 2000 + 2 - 1024


def test_images_all_at_one_position_are_shown_one_by_one(tmp_path: Path) -> None:
    write_ct_series(tmp_path, [(0.0, 0.0, 5.0)] * 20, rows=16, columns=16)
    (series,) = build_index(tmp_path).all_series()
    assert series.kind == "film" and series.frame_count == 20
    assert "20 images at one position: shown one by one" in " ".join(series.warnings)


def test_volume_calibration_comes_from_the_header_or_is_said_to_be_missing(tmp_path: Path) -> None:
    from dicom_factory import axial_positions, write_enhanced_ct

    from lightbox.viewer.display import VolumeDisplay
    from lightbox.viewer.views.mpr_scene import MprScene

    # an enhanced CT with its spacing only in the shared Pixel Measures functional group
    path = write_enhanced_ct(tmp_path / "enhanced" / "ct.dcm", axial_positions(4))
    ds = pydicom.dcmread(path)
    del ds.PixelSpacing
    ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing = [0.39, 0.39]
    ds.save_as(path)
    (series,) = build_index(tmp_path / "enhanced").all_series()
    volume = load_volume(series)
    assert volume.geometry.spacing[:2] == pytest.approx((0.39, 0.39)) and volume.calibrated  # was an invented 1.0
    # a stack without PixelSpacing nor orientation: no invented mm, no invented letters
    for path in write_ct_series(tmp_path / "bare", axial_positions(4), rows=16, columns=16):
        ds = pydicom.dcmread(path)
        del ds.PixelSpacing
        del ds.ImageOrientationPatient
        ds.save_as(path)
    (series,) = build_index(tmp_path / "bare").all_series()
    volume = load_volume(series)
    assert not volume.calibrated and not volume.oriented
    assert any(w.startswith("uncalibrated: no usable PixelSpacing") for w in volume.warnings)
    scene = MprScene(volume, VolumeDisplay(), "axial")
    assert "UNCALIBRATED (px)" in scene.corners.texts["lower_right"]
    assert not any(scene.edges.labels.values())
    w, h = scene.size
    scene.add_measurement_point("length", w / 2, h / 2)
    m = scene.add_measurement_point("length", w / 2 + 30, h / 2)
    assert scene.measure.label(m).endswith("px")


def test_films_show_letters_from_patient_orientation_and_refuse_an_absurd_window(tmp_path: Path) -> None:
    from dicom_factory import write_film

    from lightbox.viewer.loading import load_film
    from lightbox.viewer.views.film_scene import FilmScene

    stored = (np.arange(64 * 64).reshape(64, 64) % 1024).astype(np.uint16)  # values 0..1023
    write_film(tmp_path / "a" / "film.dcm", stored, patient_orientation="L\\F", window=(15000, 30000))
    film = load_film(build_index(tmp_path / "a").all_series()[0])
    # PatientOrientation L\F: rows run to the patient's left, columns to the feet (C.7.6.1.1.1)
    assert FilmScene(film).edges.labels == {"right": "L", "left": "R", "bottom": "F", "top": "H"}
    # W 30000 for values 0..1023 is no window anyone meant: automatic instead, and said
    assert film.window.width < 2000
    assert any("the stated window (W 30000 / L 15000) cannot suit these values" in w for w in film.warnings)
    write_film(tmp_path / "b" / "film.dcm", stored, patient_orientation=None, window=(512, 1024))
    film = load_film(build_index(tmp_path / "b").all_series()[0])
    assert (film.window.center, film.window.width) == (512, 1024) and not any(FilmScene(film).edges.labels.values())


def test_inspect_decodes_small_inputs_and_says_what_only_decoding_shows(tmp_path: Path, capsys) -> None:
    from dicom_factory import axial_positions

    paths = write_ct_series(tmp_path / "ct", axial_positions(5), rows=16, columns=16)
    data = paths[2].read_bytes()
    paths[2].write_bytes(data[: len(data) - 200])  # a slice cut short inside the series
    assert main(["inspect", str(tmp_path / "ct")]) == 0
    out = capsys.readouterr().out
    assert "Pixels (decoded):" in out and "slice 3 (" in out and "unreadable" in out
    assert main(["inspect", str(tmp_path / "ct"), "--no-pixels"]) == 0
    assert "Pixels not decoded" in capsys.readouterr().out


def test_screenshot_says_when_a_layout_cannot_apply(tmp_path: Path, capsys) -> None:
    from dicom_factory import write_film

    write_film(tmp_path / "film.dcm", np.zeros((32, 32), np.uint16))
    assert main(["screenshot", str(tmp_path / "film.dcm"), "--layout", "mpr", "--out", str(tmp_path / "s.png"),
                 "--size", "64x64"]) == 0
    assert "the mpr layout needs a volume" in capsys.readouterr().err
