"""A freehand ROI (Tools → Freehand ROI): the reader drags along the edge of what to measure and
the outline closes on release. Its pixels are those whose centres lie inside the outline (even-odd
rule), its area the outline's own (shoelace). Every figure here is worked out by hand for an
L-shaped outline, concave, so a bounding box or an ellipse would count other pixels."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_film
from PySide6.QtCore import QPoint, Qt

from lightbox.viewer.measure import FREEHAND, inside_polygon, roi_area

# the L, through pixel edges (half-pixel positions): columns 10..40 on rows 10..20, and columns
# 10..20 on rows 21..40 (0-based pixel centres)
L_SHAPE = [(9.5, 9.5), (40.5, 9.5), (40.5, 20.5), (20.5, 20.5), (20.5, 40.5), (9.5, 40.5)]
L_PIXELS = 31 * 11 + 11 * 20  # 561
L_AREA_PX = 31 * 31 - 20 * 20  # 561 px², the outline's area (its edges run along pixel edges)
# the film's value is its column: the mean of the columns the L covers
L_MEAN = (11 * sum(range(10, 41)) + 20 * sum(range(10, 21))) / L_PIXELS


def test_an_l_shapes_pixels_and_area_by_hand() -> None:
    columns, rows = np.meshgrid(np.arange(60), np.arange(60))
    inside = inside_polygon(L_SHAPE, columns, rows)
    expected = np.zeros((60, 60), bool)
    expected[10:21, 10:41] = True
    expected[21:41, 10:21] = True
    assert (inside == expected).all()
    assert roi_area(FREEHAND, L_SHAPE) == L_AREA_PX
    assert roi_area(FREEHAND, L_SHAPE[::-1]) == L_AREA_PX  # drawn the other way round


def test_a_point_on_the_outline_is_inside_and_a_crossed_loop_counts_its_lobes() -> None:
    triangle = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)]
    assert inside_polygon(triangle, np.array([5.0, 0.0, 6.0, 5.01]), np.array([5.0, 0.0, 5.0, 5.0])).tolist() == \
        [True, True, False, False]  # (5, 5) on the slanted edge, (0, 0) a corner
    bow = [(0.0, 0.0), (10.0, 10.0), (10.0, 0.0), (0.0, 10.0)]  # a figure of eight: two triangles meeting at (5, 5)
    assert inside_polygon(bow, np.array([5.0, 2.0, 8.0]), np.array([2.0, 5.0, 5.0])).tolist() == [False, True, True]
    # a pentagram drawn in one stroke: its points are enclosed once, its centre twice (left out)
    star = [(np.cos(np.pi / 2 + k * 4 * np.pi / 5) * 10, np.sin(np.pi / 2 + k * 4 * np.pi / 5) * 10) for k in range(5)]
    assert inside_polygon(star, np.array([0.0, 0.0]), np.array([0.0, 8.0])).tolist() == [False, True]
    # drawn the other way round, the same points (the margin grows the outline either way)
    assert inside_polygon(triangle[::-1], np.array([5.0, 0.0, 6.0]), np.array([5.0, 0.0, 5.0])).tolist() == \
        [True, True, False]


def _trace(qtbot, widget, scene, points: list[tuple[float, float]]) -> None:
    """Drag through the image points (column, row), a mouse position every 3 screen pixels."""
    height = widget.height()

    def at(column: float, row: float) -> QPoint:
        x, y = scene.image_to_display(column, row)
        return QPoint(int(round(x)), int(round(height - 1 - y)))

    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=at(*points[0]))
    for (c0, r0), (c1, r1) in zip(points, points[1:], strict=False):
        start, end = at(c0, r0), at(c1, r1)
        steps = max(1, int(max(abs(end.x() - start.x()), abs(end.y() - start.y())) / 3))
        for n in range(1, steps + 1):
            qtbot.mouseMove(widget, start + (end - start) * (n / steps))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=at(*points[-1]))


def test_tools_freehand_measures_the_outline_dragged(any_renderer_window, qtbot, tmp_path: Path, monkeypatch) -> None:
    """A film whose value is its column, 0.5 mm pixels: the L dragged out with the Freehand tool
    counts its 561 pixels, their mean column 21.1, area 561 x 0.25 = 140.25 mm²; drawn in the
    measurement colour on its edge; kept with the study (back after reopening)."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    window = any_renderer_window
    write_film(tmp_path / "film" / "cr.dcm", np.tile(np.arange(60, dtype=np.uint16), (60, 1)), spacing=(0.5, 0.5))
    window.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    tools = next(a for a in window.menuBar().actions() if a.text().replace("&", "") == "Tools").menu()
    next(a for a in tools.actions() if a.text() == "Freehand ROI").trigger()
    widget = window.area.viewports[0]
    scene = widget.scene
    _trace(qtbot, widget, scene, [*L_SHAPE, L_SHAPE[0]])
    (outline,) = scene.measure.measurements
    assert outline.kind == FREEHAND and len(outline.points) > 6
    stats = outline.statistics
    assert stats is not None and stats.pixels == L_PIXELS
    assert stats.mean == pytest.approx(L_MEAN) and (stats.minimum, stats.maximum) == (10, 40)
    # the traced outline's own area: its corners are mouse positions, whole screen pixels, so each
    # edge may lie up to half a screen pixel off (1 / zoom image pixels each): within the L's
    # perimeter (124 image pixels) times that, in mm² (0.25 a pixel)
    slack = 124 * 0.5 / scene.display.zoom * 0.25
    assert stats.area == pytest.approx(L_AREA_PX * 0.25, abs=slack)
    assert window.statusBar().currentMessage().startswith(f"Measured mean {L_MEAN:.1f}")
    qtbot.wait(200)
    shot = widget.grab_pixels()
    x, y = scene.image_to_display(40.5, 15.0)  # on the L's right edge, away from its corners
    edge = shot[int(round(shot.shape[0] - 1 - y)), int(round(x))][:3]
    assert tuple(int(v) for v in edge) == pytest.approx((255, 199, 51), abs=2)  # MEASURE_COLOR (1, 0.78, 0.2)
    window.open_path(tmp_path / "film")  # the same film again: the outline is kept with the study
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.active_scene() is not scene, timeout=30000)
    (again,) = window.area.active_scene().measure.measurements
    assert again.kind == FREEHAND and again.statistics.pixels == L_PIXELS


def test_the_measurement_report_writes_and_reads_back_the_outline(tmp_path: Path) -> None:
    """`lightbox report measurements`: the outline as a closed POLYLINE (its first point again at
    the end) with its area and mean; found beside the film, it comes back a freehand ROI of the
    same points."""
    from lightbox.app.cli import main
    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.dicomreports.measurements import read_measurements
    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog
    from lightbox.viewer.index import build_index

    write_film(tmp_path / "film" / "cr.dcm", np.tile(np.arange(60, dtype=np.uint16), (60, 1)), spacing=(0.5, 0.5))
    film = pydicom.dcmread(tmp_path / "film" / "cr.dcm")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), str(film.SeriesInstanceUID), "film 0", [StoredAnnotation(FREEHAND, L_SHAPE)])
    assert main(["report", "measurements", str(tmp_path / "film"), "--out", str(tmp_path / "film" / "sr.dcm"),
                 "--db", db]) == 0
    ((name, uid, _, values, _),) = read_measurements(pydicom.dcmread(tmp_path / "film" / "sr.dcm"))
    assert name.startswith("freehand") and uid == film.SOPInstanceUID
    assert values["Area"] == pytest.approx(L_AREA_PX * 0.25)
    sr = pydicom.dcmread(tmp_path / "film" / "sr.dcm")
    kinds = [e.value for e in sr.iterall() if e.keyword == "GraphicType"]
    (data,) = [e.value for e in sr.iterall() if e.keyword == "GraphicData"]
    assert kinds == ["POLYLINE"] and len(data) == 2 * 7  # six corners and the first again
    index = build_index(tmp_path / "film")
    series = next(s for s in index.all_series() if s.modality == "CR")
    ((image, mark),) = marks_from_archive(index.documents, series)
    assert mark.kind == FREEHAND and np.allclose(mark.points, L_SHAPE)


def test_on_a_ct_plane_the_outline_counts_that_slices_voxels(tmp_path: Path) -> None:
    """An axial CT whose slice n stores 1000 + n (HU = stored - 1024), 0.7 x 0.8 mm pixels: the L
    drawn in the axial plane's mm on slice 2 (its points at the pixel edges' positions in mm)
    counts that slice's 561 voxels, all -22 HU, and its area in mm² by its pixels' sizes."""
    from dicom_factory import axial_positions, write_ct_series

    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import load_volume
    from lightbox.viewer.measure import volume_roi_statistics

    paths = write_ct_series(tmp_path, axial_positions(5, spacing=3.0), rows=60, columns=60, spacing=(0.7, 0.8))
    volume = load_volume(build_index(tmp_path).all_series()[0])
    ds = pydicom.dcmread(paths[2])
    x0, y0, z = (float(v) for v in ds.ImagePositionPatient)
    right, up, normal = np.array([1.0, 0, 0]), np.array([0, -1.0, 0]), np.array([0, 0, 1.0])  # axial, seen from the feet
    outline = [(x0 + c * 0.8, -(y0 + r * 0.7)) for c, r in L_SHAPE]  # (u, v) = (x, -y) in mm
    stats = volume_roi_statistics(volume, (right, up, normal), z, 1.5, FREEHAND, outline)
    assert stats is not None and stats.pixels == L_PIXELS
    assert (stats.mean, stats.minimum, stats.maximum) == (1002 - 1024, 1002 - 1024, 1002 - 1024)
    assert stats.area == pytest.approx(L_AREA_PX * 0.7 * 0.8)


def test_a_closed_outline_without_a_name_is_a_box_only_along_rows_and_columns() -> None:
    """A Lightbox report's region names its kind ("freehand 2"); without one, a closed polyline of
    five points is a rectangle only when it runs along the rows and columns, else an outline."""
    from lightbox.app.measurement_sr import _kind_of

    box = [(1.0, 1.0), (5.0, 1.0), (5.0, 4.0), (1.0, 4.0), (1.0, 1.0)]
    diamond = [(3.0, 0.0), (6.0, 3.0), (3.0, 6.0), (0.0, 3.0), (3.0, 0.0)]
    assert (_kind_of("", box), _kind_of("", diamond), _kind_of("freehand 2", box)) == ("rectangle", FREEHAND, FREEHAND)
