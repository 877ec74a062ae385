"""DICOM Segmentations (SEG) drawn on the CT they segment: a SEG written by highdicom over a real
series (a four-slice CT from dicom_factory), read back by Lightbox as overlay planes of the very
slices its frames were derived from. The expected masks are the arrays handed to highdicom."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series, write_segmentation

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.series import volume_instances

pytest.importorskip("highdicom")  # it writes the SEGs


def ct_with_segmentation(root: Path, *, shuffle: bool = False) -> tuple[list[Path], np.ndarray]:
    """A 4-slice CT and, beside it, a SEG of two segments: "lesion" (rows 4..7, columns 2..6 on
    every slice) and "node" (rows 10..11, columns 10..12 on the second and third source images).
    Returns the CT's files in the order given to highdicom and its mask (slice, row, column, segment)."""
    paths = write_ct_series(root / "ct", axial_positions(4), rows=16, columns=16)
    if shuffle:  # the SEG's frames in another order than the slices'
        paths = [paths[2], paths[0], paths[3], paths[1]]
    mask = np.zeros((4, 16, 16, 2), bool)
    mask[:, 4:8, 2:7, 0] = True
    mask[1:3, 10:12, 10:13, 1] = True
    # the lesion recommends red (CIELab); the node recommends nothing: the palette's second colour
    write_segmentation(root / "ct" / "seg.dcm", paths, mask, ["lesion", "node"], [(255, 0, 0), None])
    return paths, mask


# the lesion's outline, by hand: rows 4..7 x columns 2..6, less its interior rows 5..6 x columns 3..5
LESION_OUTLINE = np.zeros((16, 16), bool)
LESION_OUTLINE[4:8, 2:7] = True
LESION_OUTLINE[5:7, 3:6] = False


@pytest.mark.parametrize("shuffle", [False, True])
def test_each_segment_lies_on_the_slice_its_frame_was_derived_from(tmp_path: Path, shuffle: bool) -> None:
    paths, mask = ct_with_segmentation(tmp_path, shuffle=shuffle)
    ct = next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT")
    assert [p.name for p in ct.segmentations] == ["seg.dcm"]
    volume = load_volume(ct)
    order = [m.sop_instance_uid for m in volume_instances(ct)]
    for source, path in enumerate(paths):
        k = order.index(str(pydicom.dcmread(path).SOPInstanceUID))
        planes = {p.label: p.mask for p in volume.overlay_planes.get(k, [])}
        assert np.array_equal(planes["segment 1 lesion"], LESION_OUTLINE)
        if mask[source, :, :, 1].any():
            assert np.array_equal(planes["segment 2 node"], mask[source, :, :, 1])  # two rows: all edge
        else:
            assert "segment 2 node" not in planes


def test_the_segmentation_is_on_screen_and_listed_by_inspect(tmp_path: Path, capsys) -> None:
    from lightbox.app.cli import main

    ct_with_segmentation(tmp_path)
    ct = next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT")
    out = tmp_path / "shot.png"
    assert main(["screenshot", str(tmp_path / "ct"), "--series", ct.uid, "--out", str(out), "--size", "256x256"]) == 0
    from PIL import Image

    pixels = np.asarray(Image.open(out).convert("RGB"))
    red = np.all(pixels == (255, 0, 0), axis=-1).sum()
    assert red > 100  # the lesion's outline (14 pixels) in its recommended red, over the slice shown
    capsys.readouterr()
    assert main(["inspect", str(tmp_path / "ct")]) == 0
    printed = capsys.readouterr().out
    assert "slice 2: segment 2 node: segmentation outline, 6 pixels" in printed
    assert "slice 2: segment 1 lesion: segmentation outline, 14 pixels" in printed
    (tmp_path / "ct" / "seg.dcm").unlink()
    assert main(["screenshot", str(tmp_path / "ct"), "--out", str(out), "--size", "256x256"]) == 0
    assert np.all(np.asarray(Image.open(out).convert("RGB")) == (255, 0, 0), axis=-1).sum() == 0


def test_a_segmentation_of_other_images_is_not_drawn(tmp_path: Path) -> None:
    """A SEG that references another series (another CT of the study) leaves this one alone."""
    ct_with_segmentation(tmp_path)
    write_ct_series(tmp_path / "ct" / "other", axial_positions(4), rows=16, columns=16,
                    study_uid=str(pydicom.dcmread(next((tmp_path / "ct").glob("slice_*.dcm"))).StudyInstanceUID))
    series = build_index(tmp_path / "ct").all_series()
    other = next(s for s in series if s.modality == "CT" and s.instances[0].path.parent.name == "other")
    assert other.segmentations == [] and load_volume(other).overlay_planes == {}


def test_each_segment_in_its_colour_in_the_window_and_hidden_by_shift_o(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """File → Open the folder: the axial pane draws the lesion's outline in its recommended red and
    the node in the palette's yellow, on their pixels, in either renderer; Shift+O hides both."""
    import math

    from PySide6.QtCore import Qt

    from lightbox.viewer.segmentations import PALETTE

    paths, _ = ct_with_segmentation(tmp_path)
    window = any_renderer_window
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and getattr(window.area.viewports[0].scene, "plane", "") == "axial", timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    scene.set_overlays_visible(False)
    volume = scene.volume
    order = [m.sop_instance_uid for m in volume_instances(window.area.opened.series)]
    second = order.index(str(pydicom.dcmread(paths[1]).SOPInstanceUID))  # the node lies on the second source image
    scene.display.crosshair = tuple(volume.geometry.index_to_world((8.0, 8.0, float(second))))
    qtbot.wait(300)

    def colour_at(column: int, row: int) -> tuple[int, int, int]:
        world = volume.geometry.index_to_world((float(column), float(row), float(second)))
        x, y = scene.world_to_display(world)[:2]
        pixels = widget.grab_pixels()
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))])

    assert colour_at(2, 4) == (255, 0, 0) and colour_at(6, 7) == (255, 0, 0)  # the lesion's corners
    assert colour_at(10, 10) == PALETTE[1] and colour_at(12, 11) == PALETTE[1]  # the node
    assert colour_at(4, 5) not in ((255, 0, 0), PALETTE[1])  # inside the outline: the CT shows through
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    qtbot.wait(300)
    assert colour_at(2, 4) != (255, 0, 0) and colour_at(10, 10) != PALETTE[1]


def test_the_segments_cut_along_a_row_or_a_column_of_the_slices(tmp_path: Path) -> None:
    """A coronal (or sagittal) reformat of the axial stack shows each segment where it crosses
    that plane, as an outline: worked out by hand from the masks given to highdicom."""
    paths, mask = ct_with_segmentation(tmp_path)
    ct = next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT")
    volume = load_volume(ct)
    order = [m.sop_instance_uid for m in volume_instances(ct)]
    at = [order.index(str(pydicom.dcmread(p).SOPInstanceUID)) for p in paths]  # source image -> slice k
    # row 5 crosses the lesion (columns 2..6) on all four slices: its outline in that plane is the
    # first and last slices' whole run and the two middle slices' ends
    lesion = np.zeros((4, 16), bool)
    lesion[[0, 3], 2:7] = True
    lesion[[1, 2], 2] = lesion[[1, 2], 6] = True
    cut = volume.segment_cut(1, 5, (0, 255, 0))
    assert cut is not None and cut.shape == (4, 16, 4)
    assert np.array_equal(np.all(cut == (255, 0, 0, 255), axis=-1), lesion)
    assert not np.any(cut[..., 3][~lesion])  # nothing else on that row
    # row 10 crosses the node (columns 10..12) on the second and third source images only: two
    # slices thick, all of it edge
    node = np.zeros((4, 16), bool)
    for source in (1, 2):
        node[at[source], 10:13] = True
    cut = volume.segment_cut(1, 10, (0, 255, 0))
    assert cut is not None and np.array_equal(cut[..., 3] > 0, node)
    from lightbox.viewer.segmentations import PALETTE

    assert tuple(cut[node][0][:3]) == PALETTE[1]
    # column 4 (a sagittal plane) crosses the lesion's rows 4..7 on every slice
    sagittal = np.zeros((4, 16), bool)
    sagittal[[0, 3], 4:8] = True
    sagittal[[1, 2], 4] = sagittal[[1, 2], 7] = True
    cut = volume.segment_cut(0, 4, (0, 255, 0))
    assert cut is not None and np.array_equal(cut[..., 3] > 0, sagittal)
    assert volume.segment_cut(1, 0, (0, 255, 0)) is None and volume.segment_cut(0, 15, (0, 255, 0)) is None  # no segment there
    assert volume.segment_cut(1, 16, (0, 255, 0)) is None  # off the volume
    assert mask[:, 5, 2:7, 0].all()  # (the masks the expectations were worked from)


def test_a_coronal_reformat_shows_the_segments_in_either_renderer(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """The 2x2 MPR layout: the coronal pane draws the lesion where row 5 crosses it, in its red;
    inside the outline the CT shows through; Shift+O hides it."""
    import math

    from PySide6.QtCore import Qt

    ct_with_segmentation(tmp_path)
    window = any_renderer_window
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.set_layout("2x2")
    qtbot.waitUntil(lambda: any(getattr(v.scene, "plane", "") == "coronal" for v in window.area.viewports), timeout=30000)
    widget = next(v for v in window.area.viewports if getattr(v.scene, "plane", "") == "coronal")
    scene = widget.scene
    scene.set_overlays_visible(False)
    volume = scene.volume
    scene.display.crosshair = tuple(volume.geometry.index_to_world((8.0, 5.0, 1.0)))
    qtbot.wait(300)

    def colour_at(column: int, k: int) -> tuple[int, int, int]:
        world = volume.geometry.index_to_world((float(column), 5.0, float(k)))
        x, y = scene.world_to_display(world)[:2]
        pixels = widget.grab_pixels()
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))])

    assert colour_at(2, 0) == (255, 0, 0) and colour_at(6, 3) == (255, 0, 0) and colour_at(2, 1) == (255, 0, 0)
    assert colour_at(4, 1) != (255, 0, 0)  # inside: the CT
    assert colour_at(9, 1) != (255, 0, 0)  # beside it
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    qtbot.wait(300)
    assert colour_at(2, 0) != (255, 0, 0)
