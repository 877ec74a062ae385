"""What each DICOM SEG segment holds (viewer/segment_table.py) and View → Segments..., against
numbers worked out here from the written CT files and the mask given to highdicom: voxel counts,
mL from Pixel Spacing and the slice step, HU from stored values x slope + intercept."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from window_helpers import opened_window

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_volume
from lightbox.viewer.overlay_planes import OverlayPlane, outline
from lightbox.viewer.pixels import Padding
from lightbox.viewer.segment_table import segment_summaries, voxel_volume_ml
from tests.test_segmentations import ct_with_segmentation

pytest.importorskip("highdicom")  # it writes the SEGs


def by_hand(paths: list[Path], mask: np.ndarray, segment: int) -> dict[str, object]:
    """The segment's numbers from the files: slices in the order of their z (the volume's order)."""
    headers = [pydicom.dcmread(p) for p in paths]
    z_order = sorted(range(len(paths)), key=lambda n: float(headers[n].ImagePositionPatient[2]))
    values, per_slice = [], {}
    for k, n in enumerate(z_order):
        hu = headers[n].pixel_array * float(headers[n].RescaleSlope) + float(headers[n].RescaleIntercept)
        inside = mask[n, :, :, segment]
        values += list(hu[inside])
        if inside.any():
            per_slice[k] = int(inside.sum())
    row_mm, column_mm = (float(v) for v in headers[0].PixelSpacing)
    step = abs(float(headers[z_order[1]].ImagePositionPatient[2]) - float(headers[z_order[0]].ImagePositionPatient[2]))
    largest = max(per_slice.values())
    return {"voxels": len(values), "ml": len(values) * row_mm * column_mm * step / 1000.0,
            "slices": (min(per_slice), max(per_slice)), "largest": min(k for k, c in per_slice.items() if c == largest),
            "mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)), "min": float(min(values)),
            "max": float(max(values))}


@pytest.mark.parametrize("shuffle", [False, True])
def test_each_segment_s_size_and_values(tmp_path: Path, shuffle: bool) -> None:
    paths, mask = ct_with_segmentation(tmp_path, shuffle=shuffle)
    ct = next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT")
    lesion, node = segment_summaries(load_volume(ct))
    for summary, segment, label in ((lesion, 0, "segment 1 lesion"), (node, 1, "segment 2 node")):
        expected = by_hand(paths, mask, segment)
        assert summary.label == label and summary.unit == "HU"
        assert summary.voxels == expected["voxels"] and summary.volume_ml == pytest.approx(expected["ml"])
        assert summary.slices == expected["slices"] and summary.largest_slice == expected["largest"]
        assert (summary.mean, summary.sd, summary.minimum, summary.maximum) == (
            pytest.approx(expected["mean"]), pytest.approx(expected["sd"]), expected["min"], expected["max"])
    assert (lesion.voxels, node.voxels) == (4 * 4 * 5, 2 * 2 * 3)  # rows 4-7 x columns 2-6 on 4 slices; 2 x 3 on 2
    assert lesion.rgb == (255, 0, 0)
    assert node.centre == (11.0, 10.5)  # columns 10-12, rows 10-11
    first, last = by_hand(paths, mask, 1)["slices"]  # type: ignore[misc]
    assert node.describe() == (f"segment 2 node: 12 voxels, {by_hand(paths, mask, 1)['ml']:.3g} mL, slices "
                               f"{first + 1}-{last + 1} (largest on {first + 1}), mean {node.mean:.1f} HU, "
                               f"SD {node.sd:.1f}, min {node.minimum:.0f}, max {node.maximum:.0f}")


def test_padding_is_left_out_of_the_values_not_of_the_volume(tmp_path: Path) -> None:
    from dataclasses import replace

    ct_with_segmentation(tmp_path)
    volume = load_volume(next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT"))
    node_only = {k: [p for p in planes if p.label.endswith("node")] for k, planes in volume.overlay_planes.items()}
    array = volume.array.copy()
    array[1, 10, 10:13] = -3024  # one row of the node on slice 2: padding
    padded = replace(volume, array=array, overlay_planes=node_only, padding=Padding(-3024, -3024))
    (node,) = segment_summaries(padded)
    kept = np.concatenate([array[1, 11, 10:13], array[2, 10:12, 10:13].ravel()]).astype(float)
    assert node.voxels == 12 and (node.mean, node.minimum) == (pytest.approx(kept.mean()), kept.min())
    every = np.zeros(volume.shape[1:], bool)
    every[0:2, 0:2] = True
    array[0, 0:2, 0:2] = -3024
    lone = OverlayPlane(0, outline(every), "S", "segment 3 air", False, None, filled=every)
    (air,) = segment_summaries(replace(padded, array=array, overlay_planes={0: [lone]}))
    assert air.voxels == 4 and air.mean is None and air.sd is None and air.maximum is None
    assert air.describe().endswith("slice 1, every voxel padding")


def test_the_volume_of_a_voxel() -> None:
    from lightbox.viewer.geometry import Geometry
    from lightbox.viewer.volume import Volume

    flat = Volume(np.zeros((2, 2, 2)), Geometry(spacing=(0.5, 0.8, 2.5)))
    assert voxel_volume_ml(flat) == pytest.approx(0.5 * 0.8 * 2.5 / 1000)
    tilt = np.radians(20)  # slices stepping along a tilted axis: the slab's thickness is the step x cos(tilt)
    sheared = Volume(np.zeros((2, 2, 2)), Geometry(spacing=(0.5, 0.8, 2.5),
                                                   direction=np.array([[1, 0, 0], [0, 1, np.sin(tilt)],
                                                                       [0, 0, np.cos(tilt)]])))
    assert voxel_volume_ml(sheared) == pytest.approx(0.5 * 0.8 * 2.5 * np.cos(tilt) / 1000)
    assert voxel_volume_ml(Volume(np.zeros((2, 2, 2)), Geometry(), calibrated=False)) is None


def test_view_segments_lists_them_and_goes_to_each(qtbot, tmp_path: Path, monkeypatch) -> None:
    """View → Segments... in a real window: the table as the numbers above; double-clicking the
    node puts the crosshair on its largest slice, at its middle, and the acquired pane shows that slice."""
    from PySide6.QtWidgets import QMenu

    from lightbox.app.main_window import MainWindow

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    paths, mask = ct_with_segmentation(tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and window.area.opened.volume is not None, timeout=30000)
    view_menu: QMenu = next(a for a in window.menuBar().actions() if a.text() == "&View").menu()
    next(a for a in view_menu.actions() if a.text() == "Segments...").trigger()
    dialog = window.segments_dialog
    table = dialog.table
    assert table.rowCount() == 2
    node = by_hand(paths, mask, 1)
    assert [table.item(1, c).text() for c in range(1, 6)] == [
        "segment 2 node", "12", f"{node['ml']:.3g}", "2-3 (largest 2)", f"{node['mean']:.1f}"]
    swatch = table.item(0, 0).icon().pixmap(16, 16).toImage()
    assert swatch.pixelColor(8, 8).getRgb()[:3] == (255, 0, 0)  # the lesion's recommended red
    dialog.go_to(1)
    volume = window.area.opened.volume
    expected = volume.geometry.index_to_world((11.0, 10.5, 1))  # the node's middle on slice 2 (index 1)
    assert np.allclose(window.area.volume_display.crosshair, expected)
    scene = window.area.viewports[0].scene
    assert scene.slice_count()[0] == 2
    dialog.close()
    window.close()


def test_a_segment_hidden_in_the_list_leaves_every_pane(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """View → Segments..., the lesion's box unticked: the axial pane draws the node and no longer the
    lesion, in either renderer; the node's unticked: the coronal reformat through it no longer draws
    its cut; ticked again, each is back."""
    import math

    from lightbox.viewer.segmentations import PALETTE

    ct_with_segmentation(tmp_path)
    window = any_renderer_window
    window.set_layout("1x2")
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and getattr(window.area.viewports[0].scene, "plane", "") == "axial", timeout=30000)
    window.show_segments()
    dialog = window.segments_dialog
    dialog.go_to(1)  # the node's slice, where both segments lie
    qtbot.wait(300)
    axial = window.area.viewports[0]
    volume = axial.scene.volume
    for widget in window.area.viewports:
        widget.scene.set_overlays_visible(False)

    def colours(widget) -> set[tuple[int, int, int]]:
        pixels = widget.grab_pixels()
        return {tuple(int(v) for v in p) for p in pixels.reshape(-1, 3)}

    def colour_at(column: float, row: float) -> tuple[int, int, int]:
        world = volume.geometry.index_to_world((column, row, float(dialog.summaries[1].largest_slice)))
        x, y = axial.scene.world_to_display(world)[:2]
        pixels = axial.grab_pixels()
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))])

    assert colour_at(2, 4) == (255, 0, 0) and colour_at(10, 10) == PALETTE[1]
    dialog.set_shown(0, False)
    qtbot.wait(300)
    assert window.area.volume_display.hidden_segments == ("segment 1 lesion",)
    assert colour_at(2, 4) != (255, 0, 0) and colour_at(10, 10) == PALETTE[1]
    assert all((255, 0, 0) not in colours(widget) for widget in window.area.viewports)
    dialog.set_shown(0, True)
    qtbot.wait(300)
    assert window.area.volume_display.hidden_segments == ()
    assert colour_at(2, 4) == (255, 0, 0)
    reformat = window.area.viewports[1]
    assert reformat.scene.plane != "axial" and PALETTE[1] in colours(reformat)  # the node's cut
    dialog.set_shown(1, False)
    qtbot.wait(300)
    assert all(PALETTE[1] not in colours(widget) for widget in window.area.viewports)
    dialog.set_shown(1, True)
    qtbot.wait(300)
    assert PALETTE[1] in colours(reformat) and window.area.volume_display.hidden_segments == ()
    dialog.close()


def test_the_hidden_segments_by_hand(tmp_path: Path) -> None:
    ct_with_segmentation(tmp_path)
    volume = load_volume(next(s for s in build_index(tmp_path / "ct").all_series() if s.modality == "CT"))
    k = next(k for k, planes in volume.overlay_planes.items() if len(planes) == 2)
    both = volume.overlay_rgba(k, (0, 255, 0))
    node_only = volume.overlay_rgba(k, (0, 255, 0), hidden=("segment 1 lesion",))
    assert both is not None and node_only is not None
    lesion_pixels = np.all(both[..., :3] == (255, 0, 0), axis=-1)
    assert lesion_pixels.sum() == 14 and not np.all(node_only[..., :3] == (255, 0, 0), axis=-1).any()
    assert volume.overlay_rgba(k, (0, 255, 0), hidden=("segment 1 lesion", "segment 2 node")) is None
    cut = volume.segment_cut(1, 5, (0, 255, 0), hidden=("segment 2 node",))  # row 5 crosses the lesion only
    assert cut is not None and volume.segment_cut(1, 5, (0, 255, 0), hidden=("segment 1 lesion",)) is None


def test_the_table_on_planes_written_here() -> None:
    """Planes made by hand: 60xx planes and slices outside the volume are not segments; one segment
    stated twice on a slice (two SEGs, or two frames) counts its pixels once; segments in the order
    of their numbers (10 after 2); one voxel: SD 0, "1 voxel"; an uncalibrated stack: no mL."""
    from lightbox.viewer.geometry import Geometry
    from lightbox.viewer.volume import Volume

    def plane(label: str, cells: list[tuple[int, int]], kind: str = "S") -> OverlayPlane:
        filled = np.zeros((6, 6), bool)
        for r, c in cells:
            filled[r, c] = True
        return OverlayPlane(0x6000, outline(filled), kind, label, False, (1, 2, 3) if kind == "S" else None,
                            filled=filled if kind == "S" else None)

    array = np.arange(3 * 6 * 6, dtype=float).reshape(3, 6, 6)
    planes = {
        0: [plane("overlay", [(5, 5)], kind="G"), plane("segment 10 liver", [(0, 0), (0, 1)])],
        1: [plane("segment 10 liver", [(0, 0), (1, 1), (2, 2)]), plane("segment 10 liver", [(0, 0), (3, 3)]),
            plane("segment 2 dot", [(4, 4)]), plane("segment 3 empty", [])],
        2: [plane("segment 10 liver", [(5, 0), (5, 1), (5, 2), (5, 3)])],
        3: [plane("segment 2 dot", [(0, 0)])],  # no such slice (the volume has 3)
    }
    volume = Volume(array, Geometry(spacing=(2.0, 2.0, 5.0)), "MR", overlay_planes=planes)
    dot, liver = segment_summaries(volume)
    assert (dot.label, liver.label) == ("segment 2 dot", "segment 10 liver")
    assert dot.voxels == 1 and dot.sd == 0.0 and dot.mean == dot.minimum == dot.maximum == array[1, 4, 4]
    assert dot.slices == (1, 1)
    assert dot.describe() == "segment 2 dot: 1 voxel, 0.02 mL, slice 2, mean 64.0, SD 0.0, min 64, max 64"
    liver_cells = [(0, 0, 0), (0, 0, 1), (1, 0, 0), (1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 5, 0), (2, 5, 1), (2, 5, 2), (2, 5, 3)]
    values = [array[c] for c in liver_cells]
    assert liver.voxels == 10 and liver.volume_ml == pytest.approx(10 * 20 / 1000)
    assert liver.slices == (0, 2) and liver.largest_slice == 1  # 4 on slice 2 and on 3: the first
    assert liver.centre == (1.5, 1.5)
    assert (liver.mean, liver.sd) == (pytest.approx(np.mean(values)), pytest.approx(np.std(values, ddof=1)))
    assert liver.rgb == (1, 2, 3)
    flat = Volume(array, Geometry(), "MR", overlay_planes={1: [plane("segment 1 a", [(2, 2), (2, 3)])]}, calibrated=False)
    (a,) = segment_summaries(flat)
    assert a.volume_ml is None and a.describe().startswith("segment 1 a: 2 voxels, no mL (no pixel spacing), slice 2, ")
    assert a.sd == pytest.approx(np.std([array[1, 2, 2], array[1, 2, 3]], ddof=1))
    labels = ("segment 12 left lower lobe", "segment b", "segment 3", "segment 1 c")
    named = Volume(array, Geometry(), "MR", overlay_planes={0: [plane(label, [(1, 1)]) for label in labels]})
    assert [s.label for s in segment_summaries(named)] == ["segment b", "segment 1 c", "segment 3",
                                                            "segment 12 left lower lobe"]


def test_clicking_the_seg_in_the_study_browser_shows_the_ct_it_segments(qtbot, tmp_path: Path, monkeypatch) -> None:
    """The SEG's masks alone are black-and-white frames: clicking the SEG series opens the CT it
    segments, with its segments drawn, and says so."""

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    ct_with_segmentation(tmp_path)
    window = opened_window(qtbot, tmp_path / "ct")
    seg = next(s for s in window.index.all_series() if s.modality == "SEG")
    ct = next(s for s in window.index.all_series() if s.modality == "CT")
    window.open_series(seg)  # the SEG itself, as File → Open would show it: its frames
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened.series.uid == seg.uid, timeout=30000)
    assert window.area.opened.volume is None
    window.browser.itemClicked.emit(window.series_items[seg.uid], 0)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened.series.uid == ct.uid, timeout=30000)
    assert window.area.opened.volume is not None and window.area.opened.volume.overlay_planes
    assert window.statusBar().currentMessage() == (
        f"{seg.label()} is a segmentation: shown on {ct.label()}, the series it segments (View → Segments... lists "
        "its segments)")
    window.close()


def test_a_segment_s_box_holds_it_whole_and_nothing_else() -> None:
    """SegmentMask.block (the 3D pane's surfaces): the segment within its bounding box, by hand:
    an L on slice 3 (rows 2..4 of column 5, row 4 of columns 5..7), one voxel on slice 4 at row 3,
    column 6 and one on slice 6 at row 6, column 1: box slices 3..6, rows 2..6, columns 1..7."""
    from lightbox.viewer.segment_table import SegmentMask

    third, fourth, sixth = np.zeros((9, 10), bool), np.zeros((9, 10), bool), np.zeros((9, 10), bool)
    third[2:5, 5] = True
    third[4, 5:8] = True
    fourth[3, 6] = True
    sixth[6, 1] = True
    (k, row, column), block = SegmentMask("segment 1 x", None, {3: third, 4: fourth, 6: sixth}).block()
    assert (k, row, column) == (3, 2, 1) and block.shape == (4, 5, 7) and block.dtype == bool
    expected = np.zeros((4, 5, 7), bool)
    expected[0, 0:3, 4] = True
    expected[0, 2, 4:7] = True
    expected[1, 1, 5] = True
    expected[3, 4, 0] = True
    assert np.array_equal(block, expected)  # the slice between, 5, empty


def test_segments_come_in_label_order_with_their_colours_and_empty_ones_left_out() -> None:
    from lightbox.viewer.geometry import Geometry
    from lightbox.viewer.segment_table import segment_masks
    from lightbox.viewer.volume import Volume

    on = np.zeros((6, 6), bool)
    on[1:3, 2:4] = True
    empty = np.zeros((6, 6), bool)
    volume = Volume(np.zeros((3, 6, 6), np.float32), Geometry())
    volume.overlay_planes = {
        0: [OverlayPlane(0, outline(on), "S", "segment 10 liver", False, (1, 2, 3), filled=on)],
        1: [OverlayPlane(0, outline(on), "S", "segment 2 node", False, (4, 5, 6), filled=on),
            OverlayPlane(0, outline(on), "S", "segment 10 liver", False, (1, 2, 3), filled=on),
            OverlayPlane(0, empty, "S", "segment 3 empty", False, (7, 8, 9), filled=empty),
            OverlayPlane(0x6000, on, "G", "an overlay plane", False)],
        7: [OverlayPlane(0, outline(on), "S", "segment 2 node", False, (4, 5, 6), filled=on)],  # beyond the volume
    }
    node, liver = segment_masks(volume)
    assert (node.label, node.rgb, sorted(node.by_slice)) == ("segment 2 node", (4, 5, 6), [1])
    assert (liver.label, liver.rgb, sorted(liver.by_slice)) == ("segment 10 liver", (1, 2, 3), [0, 1])
    assert np.array_equal(liver.by_slice[1], on)
