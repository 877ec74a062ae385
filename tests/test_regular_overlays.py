"""DICOM overlay planes (60xx) on a gantry-tilted or unevenly spaced stack: the stack is
resampled onto a regular grid before it is shown (viewer.regularise) and each slice's overlay
is moved whole with it. They were not drawn at all ("2 slice(s) carry DICOM overlay planes (60xx):
not drawn on a resampled stack"). Where each overlay pixel belongs is computed here from the
files' own Image Position / Orientation and Pixel Spacing (C.7.6.2.1.1)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import add_overlay, write_ct_series

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.regular_overlays import shifted

ROW_MM, COLUMN_MM = 0.7, 0.8
CROSS = np.zeros((5, 7), bool)
CROSS[2, :] = CROSS[:, 3] = True  # a one-pixel-wide cross, 11 pixels


def _load(folder: Path):
    ct = next(s for s in build_index(folder).all_series() if s.modality == "CT")
    return load_volume(ct)


def _overlay_points(path: Path, origin: tuple[int, int]) -> set[tuple[float, float, float]]:
    """Each set overlay pixel's centre in the patient (mm), from its file."""
    ds = pydicom.dcmread(path)
    corner = np.array(ds.ImagePositionPatient, float)
    along_row, along_column = np.array(ds.ImageOrientationPatient[:3], float), np.array(ds.ImageOrientationPatient[3:], float)
    row_mm, column_mm = (float(v) for v in ds.PixelSpacing)
    return {tuple(round(float(v), 3) for v in corner + (origin[1] - 1 + c) * column_mm * along_row
                  + (origin[0] - 1 + r) * row_mm * along_column) for r, c in np.argwhere(CROSS)}


def _drawn_points(volume) -> set[tuple[float, float, float]]:
    points = set()
    for k, planes in volume.overlay_planes.items():
        for plane in planes:
            for r, c in np.argwhere(plane.mask):
                points.add(tuple(round(float(v), 3) for v in volume.geometry.index_to_world((c, r, k))))
    return points


def test_a_tilted_stacks_overlay_is_drawn_where_its_file_puts_it(tmp_path: Path) -> None:
    """Eight axial slices 2 mm apart, each one row (0.7 mm) further along y: tilt atan(0.7 / 2)
    = 19.3°. The cross on slices 3 and 6 lies, pixel for pixel, where their files say."""
    positions = [(-10.0, -20.0 + ROW_MM * n, -50.0 + 2.0 * n) for n in range(8)]
    paths = write_ct_series(tmp_path / "ct", positions, rows=32, columns=24, spacing=(ROW_MM, COLUMN_MM))
    for n in (3, 6):
        add_overlay(paths[n], CROSS, origin=(12, 8), label="mark")
    volume = _load(tmp_path / "ct")
    assert any(w.startswith("resampled onto a regular grid: gantry tilt 19.3°") for w in volume.warnings)
    assert not any("overlay" in w for w in volume.warnings), volume.warnings
    assert sorted(volume.overlay_planes) == [3, 6]
    assert all(int(p.mask.sum()) == 11 for planes in volume.overlay_planes.values() for p in planes)  # whole
    assert _drawn_points(volume) == _overlay_points(paths[3], (12, 8)) | _overlay_points(paths[6], (12, 8))


def test_an_overlay_half_a_pixel_off_the_grid_stays_whole_within_half_a_pixel(tmp_path: Path) -> None:
    """Each slice 0.35 mm (half a row) further along y: the pixels are interpolated half-way, the
    overlay is moved to the nearest row, all 11 pixels set, each within half a row (0.35 mm) of
    where its file puts it."""
    positions = [(-10.0, -20.0 + ROW_MM / 2 * n, -50.0 + 2.0 * n) for n in range(8)]
    paths = write_ct_series(tmp_path / "ct", positions, rows=32, columns=24, spacing=(ROW_MM, COLUMN_MM))
    add_overlay(paths[5], CROSS, origin=(12, 8))
    volume = _load(tmp_path / "ct")
    assert volume.resampled
    (plane,) = volume.overlay_planes[5]
    assert int(plane.mask.sum()) == 11
    drawn = np.array(sorted(_drawn_points(volume)))
    wanted = np.array(sorted(_overlay_points(paths[5], (12, 8))))
    assert np.abs(drawn - wanted).max() == pytest.approx(ROW_MM / 2, abs=1e-3)


def test_an_unevenly_spaced_stacks_overlay_is_on_the_nearest_slice_and_said(tmp_path: Path) -> None:
    """Slices at z = 0, 2, 4, 7, 10 mm: the regular grid is 2 mm (0, 2, ..., 10); the overlay of
    the slice at 4 mm is on regular slice 2 exactly, that at 7 mm 1 mm from a regular slice (the
    one at 8 mm, rounded half to even), and the warning says how far."""
    positions = [(0.0, 0.0, z) for z in (0.0, 2.0, 4.0, 7.0, 10.0)]
    paths = write_ct_series(tmp_path / "ct", positions, rows=32, columns=24, spacing=(ROW_MM, COLUMN_MM))
    add_overlay(paths[2], CROSS, origin=(3, 3))
    add_overlay(paths[3], CROSS, origin=(20, 10))
    for end in (0, 4):  # the first and the last slice: on the grid's first and last
        add_overlay(paths[end], CROSS, origin=(10, 10))
    volume = _load(tmp_path / "ct")
    assert volume.array.shape[0] == 6
    assert sorted(volume.overlay_planes) == [0, 2, 4, 5]
    assert np.argwhere(volume.overlay_planes[2][0].mask).min(axis=0).tolist() == [2, 2]
    assert np.argwhere(volume.overlay_planes[4][0].mask).min(axis=0).tolist() == [19, 9]
    assert "overlay planes (60xx) are drawn on the resampled slice nearest their own (up to 1.0 mm from it)" \
        in volume.warnings


def test_a_mask_moved_whole_is_cut_at_the_edge() -> None:
    mask = np.zeros((4, 5), bool)
    mask[0, 0] = mask[3, 4] = mask[1, 2] = True
    assert np.argwhere(shifted(mask, 1, -2)).tolist() == [[2, 0]]  # (0, 0) and (3, 4) move off it
    assert np.argwhere(shifted(mask, -1, 2)).tolist() == [[0, 4]]
    assert not shifted(mask, 4, 0).any() and not shifted(mask, 0, -5).any()
    assert not shifted(mask, 6, 1).any() and not shifted(mask, 1, -7).any()  # off the image along one axis
    assert (shifted(mask, 0, 0) == mask).all()
