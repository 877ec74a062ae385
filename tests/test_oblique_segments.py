"""A DICOM SEG on a plane that runs along no index axis of its volume — the true coronal and
sagittal of an oblique acquisition (a brain MR tilted along the AC-PC line, a gantry-tilted CT):
the segments were shown on the acquired slices and on reformats along the slices' rows and
columns, and on these not at all, without a word."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import write_ct_series, write_segmentation

from lightbox.viewer.geometry import Geometry
from lightbox.viewer.overlay_planes import OverlayPlane
from lightbox.viewer.volume import Volume

ANGLE = math.radians(20.0)  # the slices tilted 20 degrees about the patient's left-right axis


def _tilted_volume() -> Volume:
    """An 8 x 16 x 16 volume, 1 mm voxels, its rows along x and its columns tilted 20 degrees from y
    towards z; a segment filling rows 5..10, columns 5..10 of slices 2..5 ('lesion', red)."""
    direction = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(ANGLE), -math.sin(ANGLE)], [0.0, math.sin(ANGLE), math.cos(ANGLE)]])
    volume = Volume(np.zeros((8, 16, 16), np.float32), Geometry((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), direction))
    for k in range(2, 6):
        filled = np.zeros((16, 16), bool)
        filled[5:11, 5:11] = True
        volume.overlay_planes[k] = [OverlayPlane(0, filled, "S", "lesion", False, (255, 0, 0), filled)]
    return volume


def test_the_segment_on_a_true_coronal_plane_by_hand() -> None:
    """The coronal plane y = 6 (right = +x, up = +z): each point (x, 6, z) falls in the voxel whose
    index is the point turned back by the slices' direction and rounded, worked out here one
    point at a time; the layer is that mask's outline."""
    volume = _tilted_volume()
    rows, columns, step = 24, 28, 0.5
    origin = np.array([0.25, 6.0, -0.85])
    rgba = volume.segment_plane(origin, np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), step, (rows, columns), (0, 255, 0))
    assert rgba is not None
    inverse = np.linalg.inv(volume.geometry.direction)
    expected = np.zeros((rows, columns), bool)
    for r in range(rows):
        for c in range(columns):
            i, j, k = (int(math.floor(v + 0.5)) for v in inverse @ (origin + np.array([c * step, 0.0, r * step])))
            expected[r, c] = 2 <= k <= 5 and 5 <= j <= 10 and 5 <= i <= 10
    assert 40 < expected.sum() < rows * columns // 2
    edge = expected.copy()
    for r in range(rows):
        for c in range(columns):
            if expected[r, c] and 0 < r < rows - 1 and 0 < c < columns - 1:
                edge[r, c] = not (expected[r - 1, c] and expected[r + 1, c] and expected[r, c - 1] and expected[r, c + 1])
    assert np.array_equal(rgba[..., 3] > 0, edge)
    assert {tuple(p) for p in rgba[edge][:, :3]} == {(255, 0, 0)}  # the segment's own colour
    assert volume.segment_plane(origin, np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), step, (rows, columns),
                                (0, 255, 0), hidden=("lesion",)) is None  # hidden in View → Segments
    assert volume.segment_plane(origin + [0, 40.0, 0], np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), step,
                                (rows, columns), (0, 255, 0)) is None  # a plane the segment does not reach


def _tilted_ct_with_segment(root: Path) -> None:
    rows = columns = 32
    tilt = (1.0, 0.0, 0.0, 0.0, math.cos(ANGLE), math.sin(ANGLE))  # rows along x, columns tilted towards z
    normal = np.cross(np.array(tilt[:3]), np.array(tilt[3:]))
    paths = write_ct_series(root / "ct", [tuple(float(v) for v in n * 2.0 * normal) for n in range(12)],
                            orientation=tilt, rows=rows, columns=columns, spacing=(1.0, 1.0))
    mask = np.zeros((12, rows, columns, 1), bool)
    mask[3:9, 10:22, 10:22, 0] = True
    write_segmentation(root / "ct" / "seg.dcm", paths, mask, ["lesion"], [(255, 0, 0)])


def _red_pixels(widget) -> int:
    """Pixels of the segment's own red (the axial crosshair line, (242, 77, 77), is not one)."""
    pixels = widget.grab_pixels().astype(int)
    return int(((pixels[..., 0] > 230) & (pixels[..., 1] < 30) & (pixels[..., 2] < 30)).sum())


def test_the_coronal_pane_of_a_tilted_ct_shows_its_segment(qtbot, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("highdicom")
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    _tilted_ct_with_segment(tmp_path)
    window = opened_window(qtbot, tmp_path / "ct")
    window.set_layout("2x2")
    qtbot.wait(50)
    panes = {getattr(w.scene, "plane", ""): w for w in window.area.viewports}
    coronal = panes["coronal"]
    centre = coronal.scene.volume.geometry.index_to_world(np.array([16.0, 16.0, 6.0]))
    coronal.scene.display.crosshair = tuple(float(v) for v in centre)  # through the lesion
    qtbot.wait(50)
    assert coronal.scene.oblique_segments() is not None
    assert _red_pixels(coronal) > 20
    coronal.scene.display.hidden_segments = ("segment 1 lesion",)  # as View → Segments... hides it
    qtbot.wait(50)
    assert _red_pixels(coronal) == 0
