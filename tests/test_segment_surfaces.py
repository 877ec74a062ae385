"""A DICOM SEG's segments in the 3D pane, as surfaces where the volume shows the lesion. The 3D
pane drew the volume alone: a segmented nodule was nowhere in it. Expected places are computed
here from the CT files' own Image Position / Orientation and Pixel Spacing, by hand."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series, write_segmentation

from lightbox.viewer.display import VolumeDisplay
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.segment_table import segment_masks

pytest.importorskip("highdicom")  # it writes the SEGs

SLICES, ROWS, COLUMNS = slice(2, 6), slice(12, 22), slice(8, 16)  # the lesion: 4 x 10 x 8 voxels
LABEL = "segment 1 lesion"


def ct_with_lesion(root: Path, orientation: tuple[float, ...], positions: list[tuple[float, float, float]]) -> list[Path]:
    paths = write_ct_series(root / "ct", positions, rows=32, columns=24, orientation=orientation)
    mask = np.zeros((len(paths), 32, 24, 1), bool)
    mask[SLICES, ROWS, COLUMNS, 0] = True
    write_segmentation(root / "ct" / "seg.dcm", paths, mask, ["lesion"], [(255, 0, 0)])
    return paths


def lesion_corners(paths: list[Path]) -> np.ndarray:
    """The patient (LPS) points half a voxel outside the lesion's corner voxels, from each
    file's Image Position (Patient), Image Orientation (Patient) and Pixel Spacing (C.7.6.2.1.1)."""
    points = []
    for n in range(SLICES.start, SLICES.stop):
        ds = pydicom.dcmread(paths[n])
        position = np.array(ds.ImagePositionPatient, float)
        along_row, along_column = np.array(ds.ImageOrientationPatient[:3], float), np.array(ds.ImageOrientationPatient[3:], float)
        row_step, column_step = (float(v) for v in ds.PixelSpacing)
        for row in (ROWS.start - 0.5, ROWS.stop - 0.5):
            for column in (COLUMNS.start - 0.5, COLUMNS.stop - 0.5):
                points.append(position + column * column_step * along_row + row * row_step * along_column)
    points = np.array(points)
    normal = np.cross(points[1] - points[0], points[2] - points[0])
    # the slices' own points are their centres' planes: half a slice step out on each side
    first, second = (np.array(pydicom.dcmread(p).ImagePositionPatient, float) for p in paths[:2])
    step = second - first
    assert abs(np.dot(normal, step)) > 0
    return np.concatenate([points - step / 2, points + step / 2])


@pytest.mark.parametrize("kind", ["axial", "sagittal"])
def test_the_surface_lies_where_the_files_put_the_lesion(tmp_path: Path, kind: str) -> None:
    from lightbox.viewer.views.segment_surfaces import segment_polydata
    from lightbox.viewer.views.volume_scene import VolumeScene

    if kind == "axial":
        paths = ct_with_lesion(tmp_path, (1, 0, 0, 0, 1, 0), axial_positions(8))
    else:  # rows run down (feet), columns front to back; slices stacked from right to left
        paths = ct_with_lesion(tmp_path, (0, 1, 0, 0, 0, -1), [(-30.0 + 2.0 * n, -20.0, 40.0) for n in range(8)])
    ct = next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT")
    volume = load_volume(ct)
    corners = lesion_corners(paths)
    low, high = corners.min(axis=0), corners.max(axis=0)
    scene = VolumeScene(volume, VolumeDisplay(render_preset="bone"), mapper="cpu")
    assert scene.corners.texts["lower_left"] == "Segments: 1"
    (surface,) = scene.segment_surfaces.surfaces  # type: ignore[union-attr]
    placed = np.array(surface.actor.GetBounds()).reshape(3, 2)
    # smoothed: its centre where the lesion's is, its extent within a fifth of a voxel of the box's
    assert placed.mean(axis=1) == pytest.approx((low + high) / 2, abs=0.05)
    assert placed[:, 1] - placed[:, 0] == pytest.approx(high - low, abs=0.4)
    # unsmoothed, flying edges cut half-way between a voxel in and one out: the box's faces exactly
    (segment,) = segment_masks(volume)
    raw = np.array(segment_polydata(segment, tuple(volume.geometry.spacing), smooth=False).GetBounds()).reshape(3, 2)
    in_index_mm = np.abs(np.linalg.inv(volume.geometry.direction) @ (high - low))  # the box along columns, rows, slices
    assert raw[:, 1] - raw[:, 0] == pytest.approx(in_index_mm, abs=1e-4)


def test_its_volume_is_the_voxels_and_it_is_drawn_in_its_colour_until_hidden(tmp_path: Path) -> None:
    from vtkmodules.vtkFiltersCore import vtkMassProperties
    from vtkmodules.vtkRenderingCore import vtkCoordinate

    from lightbox.viewer.views.volume_scene import VolumeScene
    from lightbox.viewer.views.vtk_data import new_render_window, read_pixels

    paths = ct_with_lesion(tmp_path, (1, 0, 0, 0, 1, 0), axial_positions(8))
    volume = load_volume(next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT"))
    display = VolumeDisplay(render_preset="bone")  # the CT's -24..-17 HU: transparent in it
    scene = VolumeScene(volume, display, mapper="cpu")
    (surface,) = scene.segment_surfaces.surfaces  # type: ignore[union-attr]
    mass = vtkMassProperties()
    mass.SetInputData(surface.polydata)
    mass.Update()
    voxels = 4 * 10 * 8 * 0.8 * 0.7 * 2.0  # 358.4 mm³
    assert mass.GetVolume() == pytest.approx(voxels, rel=0.05)  # its edges rounded off by the surface
    window = new_render_window(256, 256)
    window.AddRenderer(scene.renderer)
    scene.fit()  # anterior view: the lesion's front face turned to the reader, lit head on
    window.Render()
    corners = lesion_corners(paths)
    low, high = corners.min(axis=0), corners.max(axis=0)
    front = ((low[0] + high[0]) / 2, low[1], (low[2] + high[2]) / 2)  # anterior: the least y (LPS)
    point = vtkCoordinate()
    point.SetCoordinateSystemToWorld()
    point.SetValue(*front)
    x, y = point.GetComputedDisplayValue(scene.renderer)
    background = [round(0.02 * 255), round(0.02 * 255), round(0.03 * 255)]
    assert read_pixels(window)[255 - y, x].tolist() == [255, 0, 0]
    display.hidden_segments = (LABEL,)  # View → Segments...: hidden
    window.Render()
    assert read_pixels(window)[255 - y, x].tolist() == background
    assert scene.corners.texts["lower_left"] == "Segments: 0 of 1 (1 hidden)"
    window.RemoveRenderer(scene.renderer)
    window.Finalize()


def test_unticking_a_segment_hides_it_in_every_pane_of_a_hanging_protocol(qtbot, tmp_path: Path, monkeypatch) -> None:
    """A chest CT opens in the "lung and mediastinum windows" protocol: two axial panes with
    displays of their own. View → Segments (on the first) hid the segment in that pane alone;
    the mediastinum pane and the 3D pane still drew it."""
    from dicom_factory import restamp
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    paths = ct_with_lesion(tmp_path, (1, 0, 0, 0, 1, 0), axial_positions(8))
    restamp(paths, BodyPartExamined="CHEST")
    window = opened_window(qtbot, tmp_path / "ct", (1300, 850))
    qtbot.waitUntil(lambda: len(window.area.scenes()) >= 2, timeout=20000)
    window.layout_actions["2x2"].trigger()
    qtbot.waitUntil(lambda: any(s.kind == "3d" for s in window.area.scenes()), timeout=20000)
    displays = {id(s.display): s.display for s in window.area.scenes()}
    assert len(displays) >= 2  # the protocol's panes window on their own
    window.show_segments()
    window.segments_dialog.set_shown(0, False)
    assert all(LABEL in d.hidden_segments for d in displays.values())
    (scene3d,) = [s for s in window.area.scenes() if s.kind == "3d"]
    assert scene3d.corners.texts["lower_left"] == "Segments: 0 of 1 (1 hidden)"
    window.segments_dialog.set_shown(0, True)
    assert not any(LABEL in d.hidden_segments for d in displays.values())
    # Go to: every pane to the lesion's middle (column 11.5, row 16.5) on its first largest slice
    # (the third: z -46), by hand -10 + 11.5 x 0.8, -20 + 16.5 x 0.7; the sagittal pane stayed put
    window.segments_dialog.go_to(0)
    for display in displays.values():
        assert display.crosshair == pytest.approx((-0.8, -8.45, -46.0), abs=0.5)
