"""A DICOM SEG on a gantry-tilted CT: the stack is resampled onto a regular grid before it is shown
(viewer.regularise), and its segments are moved with it. They were not drawn at all ("1
segmentation(s) not shown: the stack was resampled"). Every expected voxel is computed here from
the CT files' own Image Position / Orientation and Pixel Spacing."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_ct_series, write_segmentation

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.segment_table import segment_summaries

pytest.importorskip("highdicom")  # it writes the SEGs

ROW_MM, COLUMN_MM, STEP_MM = 0.7, 0.8, 2.0
SLICES, ROWS, COLUMNS = slice(2, 6), slice(10, 16), slice(5, 10)  # the lesion: 4 x 6 x 5 voxels


def tilted_ct_with_lesion(root: Path, along: str = "rows", columns: slice = COLUMNS) -> list[Path]:
    """Eight axial slices 2 mm apart, each one row (0.7 mm) further along y than the last: the
    table moved along its own axis under a tilted gantry (atan(0.7 / 2) = 19.3°); or, ``along``
    "columns", one column (0.8 mm) further along x (21.8°)."""
    if along == "rows":
        positions = [(-10.0, -20.0 + ROW_MM * n, -50.0 + STEP_MM * n) for n in range(8)]
    else:
        positions = [(-10.0 + COLUMN_MM * n, -20.0, -50.0 + STEP_MM * n) for n in range(8)]
    paths = write_ct_series(root / "ct", positions, rows=32, columns=24, spacing=(ROW_MM, COLUMN_MM))
    mask = np.zeros((8, 32, 24, 1), bool)
    mask[SLICES, ROWS, columns, 0] = True
    write_segmentation(root / "ct" / "seg.dcm", paths, mask, ["lesion"], [(255, 0, 0)])
    return paths


def lesion_points(paths: list[Path], columns: slice = COLUMNS) -> set[tuple[float, float, float]]:
    """Each lesion pixel's centre in patient space (mm, LPS), from its file (C.7.6.2.1.1)."""
    points = set()
    for n in range(SLICES.start, SLICES.stop):
        ds = pydicom.dcmread(paths[n])
        origin = np.array(ds.ImagePositionPatient, float)
        along_row, along_column = np.array(ds.ImageOrientationPatient[:3], float), np.array(ds.ImageOrientationPatient[3:], float)
        row_step, column_step = (float(v) for v in ds.PixelSpacing)
        for r in range(ROWS.start, ROWS.stop):
            for c in range(columns.start, columns.stop):
                p = origin + c * column_step * along_row + r * row_step * along_column
                points.add(tuple(round(float(v), 3) for v in p))
    return points


def test_the_segment_is_moved_with_the_tilted_stack_to_where_the_files_put_it(tmp_path: Path) -> None:
    paths = tilted_ct_with_lesion(tmp_path)
    ct = next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT")
    volume = load_volume(ct)
    assert any(w.startswith("resampled onto a regular grid: gantry tilt 19.3°") for w in volume.warnings)
    assert not any("not shown" in w for w in volume.warnings), volume.warnings
    shown = set()
    for k, planes in volume.overlay_planes.items():
        (plane,) = planes
        assert plane.label == "segment 1 lesion" and plane.rgb == (255, 0, 0) and plane.filled is not None
        for r, c in np.argwhere(plane.filled):
            shown.add(tuple(round(float(v), 3) for v in volume.geometry.index_to_world((float(c), float(r), float(k)))))
    assert shown == lesion_points(paths)  # every voxel where its file puts it, and no other
    # by hand: slice n's rows move down n rows onto the grid of the first slice's origin
    assert sorted(volume.overlay_planes) == [2, 3, 4, 5]
    assert np.argwhere(volume.overlay_planes[3][0].filled)[[0, -1]].tolist() == [[13, 5], [18, 9]]
    (summary,) = segment_summaries(volume)
    assert summary.voxels == 4 * 6 * 5 and summary.volume_ml == pytest.approx(120 * ROW_MM * COLUMN_MM * STEP_MM / 1000)
    for planes in volume.overlay_planes.values():  # what is drawn: each slice's outline of its mask
        assert np.array_equal(planes[0].mask, planes[0].filled & ~_interior(planes[0].filled))


def _interior(mask: np.ndarray) -> np.ndarray:
    """Pixels whose four neighbours are all in the mask, by hand."""
    inner = np.zeros_like(mask)
    inner[1:-1, 1:-1] = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    return inner


def test_a_tilt_along_the_columns_moves_a_lesion_to_the_image_s_edge(tmp_path: Path) -> None:
    """Each slice one column further along x: the lesion at columns 14..18 of slices 2..5 lies at
    columns 16..20 to 19..23 of the regular grid, the last at the image's edge (24 columns)."""
    paths = tilted_ct_with_lesion(tmp_path, "columns", slice(14, 19))
    volume = load_volume(next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT"))
    assert any(w.startswith("resampled onto a regular grid: gantry tilt 21.8°") for w in volume.warnings)
    shown = set()
    for k, (plane,) in volume.overlay_planes.items():
        for r, c in np.argwhere(plane.filled):
            shown.add(tuple(round(float(v), 3) for v in volume.geometry.index_to_world((float(c), float(r), float(k)))))
    assert shown == lesion_points(paths, slice(14, 19))
    assert np.argwhere(volume.overlay_planes[5][0].filled)[[0, -1]].tolist() == [[10, 19], [15, 23]]


def test_an_uneven_stack_s_segment_is_interpolated_across_the_new_slices(tmp_path: Path) -> None:
    """Slices 2 mm apart, then 4 mm: resampled to 2 mm, a slice made half-way between two acquired
    ones holds the segment where both do (the mask interpolated, cut at one half); one made
    half-way between a slice in it and one outside it does not (the segment is not grown)."""
    z = [-50.0, -48.0, -46.0, -44.0, -40.0, -36.0]
    paths = write_ct_series(tmp_path / "ct", [(-10.0, -20.0, v) for v in z], rows=16, columns=16)
    mask = np.zeros((6, 16, 16, 1), bool)
    mask[3:5, 4:8, 4:8, 0] = True  # on the slices at -44 and -40: the new slice at -42 between them
    write_segmentation(tmp_path / "ct" / "seg.dcm", paths, mask, ["lesion"])
    volume = load_volume(next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT"))
    assert any("slice spacing 2.00 to 4.00 mm made 2.00 mm" in w for w in volume.warnings)
    # the regular slices: -50, -48, ..., -36 (k 0..7); the segment at -44, -42 (made), -40; not at -38
    assert sorted(volume.overlay_planes) == [3, 4, 5]
    for k in (3, 4, 5):
        assert np.argwhere(volume.overlay_planes[k][0].filled)[[0, -1]].tolist() == [[4, 4], [7, 7]]
