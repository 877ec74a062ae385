"""Another system's TID 1500 regions given in patient coordinates (SCOORD3D, written here with
highdicom as another system writes them): a planar ROI (TID 1410) drawn on the one slice it lies
in, an ellipsoid VOI (TID 1411) as its cut on every slice it reaches. Every expected outline is
worked out here from the geometry: each drawn point taken back to patient mm by hand and put in
the ellipsoid's equation."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import write_ct_series
from pydicom.uid import generate_uid

from lightbox.dicomreports.measurement_display import measurement_presentation
from lightbox.dicomreports.presentation_display import graphic_polylines

SPACING = (0.5, 0.8)  # mm between rows, between columns
ORIGIN = (-100.0, -80.0)
# a 12 x 6 x 4 mm (half axes) ellipsoid at (-60, -40, 30), as its three axes' six ends
ELLIPSOID = np.array([np.array([-60.0, -40.0, 30.0]) + sign * np.diag([12.0, 6.0, 4.0])[k]
                      for k in range(3) for sign in (-1, 1)])
# an ellipsoid 10 mm round (-150, -145, -140): off every slice of the series
FAR = np.array([[-150.0, -150.0, -150.0], [-150.0, -150.0, -130.0], [-150.0, -140.0, -150.0],
                [-150.0, -140.0, -130.0], [-140.0, -145.0, -140.0], [-160.0, -145.0, -140.0]])
# a closed triangle on z = 20 (slice 5), 10 mm wide and 10 mm high: 50 mm²
TRIANGLE = np.array([[-90.0, -70.0, 20.0], [-80.0, -70.0, 20.0], [-85.0, -60.0, 20.0], [-90.0, -70.0, 20.0]])


def _other_systems_report(images: list[pydicom.Dataset], groups: list) -> pydicom.Dataset:
    """A TID 1500 report of measurement ``groups`` as another system writes it (observer Other^Reader)."""
    from highdicom.sr import (
        Comprehensive3DSR,
        MeasurementReport,
        ObservationContext,
        ObserverContext,
        PersonObserverIdentifyingAttributes,
    )
    from pydicom.sr.codedict import codes
    from pydicom.sr.coding import Code

    observer = ObserverContext(observer_type=codes.DCM.Person,
                               observer_identifying_attributes=PersonObserverIdentifyingAttributes(name="Other^Reader"))
    content = MeasurementReport(observation_context=ObservationContext(observer_person_context=observer),
                                procedure_reported=Code("363679005", "SCT", "Imaging procedure"),
                                imaging_measurements=groups)
    return Comprehensive3DSR(evidence=images, content=content[0], series_instance_uid=generate_uid(), series_number=5,
                             sop_instance_uid=generate_uid(), instance_number=1, manufacturer="Other PACS")


def _report(images: list[pydicom.Dataset], frame_of_reference: str, ellipsoid: np.ndarray,
            polygon: np.ndarray | None = None) -> pydicom.Dataset:
    """The report another system writes: a volumetric ROI, an ellipsoid with its volume and mean,
    and (given) a planar polygon with its area, in patient mm."""
    from highdicom.sr import (
        GraphicTypeValues3D,
        ImageRegion3D,
        PlanarROIMeasurementsAndQualitativeEvaluations,
        SourceSeriesForSegmentation,
        TrackingIdentifier,
        VolumeSurface,
        VolumetricROIMeasurementsAndQualitativeEvaluations,
    )
    from highdicom.sr import Measurement as SrMeasurement
    from pydicom.sr.coding import Code

    groups: list = [VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=TrackingIdentifier(uid=generate_uid(), identifier="lesion 1"),
        referenced_volume_surface=VolumeSurface(GraphicTypeValues3D.ELLIPSOID, ellipsoid, frame_of_reference,
                                                source_series=SourceSeriesForSegmentation(images[0].SeriesInstanceUID)),
        measurements=[SrMeasurement(Code("118565006", "SCT", "Volume"), 2.4, Code("ml", "UCUM", "milliliter"))])]
    if polygon is not None:
        groups.append(PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=TrackingIdentifier(uid=generate_uid(), identifier="node"),
            referenced_region=ImageRegion3D(GraphicTypeValues3D.POLYGON, polygon, frame_of_reference),
            measurements=[SrMeasurement(Code("42798000", "SCT", "Area"), 99.0, Code("mm2", "UCUM", "square millimeter"))]))
    return _other_systems_report(images, groups)


def _series(tmp_path: Path, orientation: tuple[float, ...] = (1, 0, 0, 0, 1, 0)) -> list[pydicom.Dataset]:
    """20 slices 2 mm apart (2 mm thick) from z = 10, 0.5 x 0.8 mm pixels, first pixel at (-100, -80)."""
    paths = write_ct_series(tmp_path / "ct", [(*ORIGIN, 10.0 + 2 * k) for k in range(20)], rows=200, columns=150,
                            spacing=SPACING, orientation=orientation)
    images = [pydicom.dcmread(p) for p in paths]
    frame_of_reference = generate_uid()
    for image in images:
        image.SliceThickness = 2.0
        image.FrameOfReferenceUID = frame_of_reference
        image.PositionReferenceIndicator = ""
        for keyword in ("PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "AccessionNumber",
                        "ReferringPhysicianName", "StudyID"):  # the study's attributes highdicom copies
            setattr(image, keyword, getattr(image, keyword, ""))
    return images


def _patient(image: pydicom.Dataset, column: float, row: float) -> np.ndarray:
    """Lightbox's (column, row) on ``image`` in patient mm, by PS3.3 C.7.6.2.1.1's equation."""
    orientation = np.asarray(image.ImageOrientationPatient, dtype=float)
    return (np.asarray(image.ImagePositionPatient, dtype=float) + column * SPACING[1] * orientation[:3]
            + row * SPACING[0] * orientation[3:])


def _outline(presentation) -> list[tuple[float, float]]:  # noqa: ANN001
    (ellipse,) = [g for g in presentation.graphics if g.kind == "ELLIPSE"]
    (points,) = graphic_polylines(ellipse)
    return points


def test_an_ellipsoid_is_drawn_as_its_cut_on_each_slice_it_reaches(tmp_path: Path) -> None:
    """A 12 x 6 x 4 mm (half axes) ellipsoid at (-60, -40, 30): on z = 30 its cut is the ellipse
    ((x + 60)/12)² + ((y + 40)/6)² = 1; on z = 32 the same shrunk by sqrt(1 - (2/4)²); on z = 36
    and beyond nothing; its volume written beside it on each."""
    images = _series(tmp_path)
    report = _report(images, images[0].FrameOfReferenceUID, ELLIPSOID)
    for z, shrink in ((30.0, 1.0), (32.0, math.sqrt(0.75)), (28.0, math.sqrt(0.75)), (26.0 + 1e-9, 0.0)):
        image = images[int((z - 10) / 2)]
        presentation = measurement_presentation(report, image)
        if shrink == 0.0:  # 4 mm off: touching at a point at most
            assert presentation is None
            continue
        assert presentation is not None and presentation.description == "by Other Reader"
        outline = _outline(presentation)
        for column, row in outline:
            x, y, on = _patient(image, column, row)
            assert on == z
            assert ((x + 60) / 12) ** 2 + ((y + 40) / 6) ** 2 == pytest.approx(shrink ** 2, rel=1e-6)
        # the whole ellipse, not an arc: its widest columns reach the x half axis
        columns = [c for c, _ in outline]
        assert (max(columns) - min(columns)) * SPACING[1] == pytest.approx(24 * shrink, rel=1e-3)
        (words,) = [g.text for g in presentation.graphics if g.kind == "TEXT"]
        assert words == "Volume 2.4 ml"
    for k in (0, 12, 19):
        assert measurement_presentation(report, images[k]) is None


def test_a_turned_plane_and_an_oblique_ellipsoid(tmp_path: Path) -> None:
    """Slices turned 30° about the feet-head axis and an ellipsoid whose long axis runs along
    (1, 1, 0)/√2: on z = 30, its centre's slice, every drawn point is on
    (d·a/10)² + (d·b/5)² = 1, d its offset from the centre, a and b the axes' directions."""
    turn = math.radians(30)
    images = _series(tmp_path, (math.cos(turn), math.sin(turn), 0.0, -math.sin(turn), math.cos(turn), 0.0))
    centre = np.array([-60.0, -40.0, 30.0])
    a = np.array([1.0, 1.0, 0.0]) / math.sqrt(2)
    b = np.array([-1.0, 1.0, 0.0]) / math.sqrt(2)
    c = np.array([0.0, 0.0, 1.0])
    ends = np.array([centre - 10 * a, centre + 10 * a, centre - 5 * b, centre + 5 * b, centre - 3 * c, centre + 3 * c])
    image = images[10]
    presentation = measurement_presentation(_report(images, images[0].FrameOfReferenceUID, ends), image)
    assert presentation is not None
    for column, row in _outline(presentation):
        offset = _patient(image, column, row) - centre
        assert offset[2] == pytest.approx(0.0, abs=1e-9)
        assert (offset @ a / 10) ** 2 + (offset @ b / 5) ** 2 == pytest.approx(1.0, rel=1e-6)


def test_a_planar_polygon_in_patient_coordinates_is_on_its_slice_only(tmp_path: Path) -> None:
    """A triangle at z = 20 (slice 5), closed as C.18.9.1.2 has it: drawn there, at ((x + 100)/0.8, (y + 80)/0.5) with
    its area (and the area it encloses); on z = 22 and z = 18 (2 mm off, the slices either side) not; nor anything of a
    report in another frame of reference."""
    images = _series(tmp_path)
    report = _report(images, images[0].FrameOfReferenceUID, FAR, TRIANGLE)
    presentation = measurement_presentation(report, images[5])
    assert presentation is not None
    (drawn,) = [g for g in presentation.graphics if g.kind == "POLYLINE"]
    expected = [((x + 100) / 0.8, (y + 80) / 0.5) for x, y, _ in TRIANGLE]
    assert np.asarray(drawn.points) == pytest.approx(np.asarray(expected))
    # the report says 99 mm²; the triangle drawn (10 mm base, 10 mm high) is 50 mm², said beside it
    words = [g.text for g in presentation.graphics if g.kind == "TEXT"]
    assert words == ["Area 99.0 mm²\n(50.0 mm² by this image's Pixel Spacing)"]
    assert measurement_presentation(report, images[4]) is None and measurement_presentation(report, images[6]) is None
    elsewhere = _report(images, generate_uid(), FAR, TRIANGLE)
    assert measurement_presentation(elsewhere, images[5]) is None


@pytest.mark.usefixtures("qtbot")
def test_a_series_whose_slices_each_name_a_frame_of_reference_shows_the_region(qtbot, tmp_path: Path,
                                                                                monkeypatch) -> None:
    """The LIDC CT's de-identification gave each slice its own Frame of Reference UID; a report
    measured on one slice names that one. Opened in the window, View → Presentation state lists
    the report and draws the triangle on its slice (z = 20), where it was measured: each drawn
    point back in patient mm is the triangle's."""
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    images = _series(tmp_path)
    for image in images:
        image.FrameOfReferenceUID = generate_uid()
        image.save_as(tmp_path / "ct" / f"slice_{int(image.InstanceNumber) - 1:04d}.dcm", enforce_file_format=True)
    report = _report(images, images[0].FrameOfReferenceUID, FAR, TRIANGLE)
    report.save_as(tmp_path / "ct" / "report.dcm", enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "ct")
    scene = window.area.active_scene()
    assert scene.kind == "mpr"
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "Measurements by Other Reader").trigger()
    (outline,) = [m for m in scene._state_marks if not m.text]
    drawn = np.array([scene._plane_to_world(uv, outline.plane) for uv in outline.points])
    assert drawn == pytest.approx(TRIANGLE)
    window.close()


def test_an_enhanced_multi_frame_images_frames_each_have_their_plane() -> None:
    """An enhanced CT keeps each frame's position in its per-frame functional groups and the
    pixel spacing, orientation and thickness in the shared ones (PS3.3 C.7.6.16.2.3 and .4):
    the ellipsoid of the first test cut on frame 3 (z = 32, 2 mm above its centre) is the same
    shrunk ellipse, and frame 1 (z = 26, 4 mm below: its pole) shows nothing."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from lightbox.dicomreports.scoord3d import ellipsoid_section, image_plane

    def item(**values: object) -> Dataset:
        ds = Dataset()
        for keyword, value in values.items():
            setattr(ds, keyword, value)
        return ds

    image = item(FrameOfReferenceUID="1.2.3", NumberOfFrames=3)
    shared = item(PixelMeasuresSequence=Sequence([item(PixelSpacing=list(SPACING), SliceThickness=2.0)]),
                  PlaneOrientationSequence=Sequence([item(ImageOrientationPatient=[1, 0, 0, 0, 1, 0])]))
    image.SharedFunctionalGroupsSequence = Sequence([shared])
    image.PerFrameFunctionalGroupsSequence = Sequence([
        item(PlanePositionSequence=Sequence([item(ImagePositionPatient=[*ORIGIN, z])])) for z in (26.0, 29.0, 32.0)])
    plane = image_plane(image, 3)
    assert plane is not None and plane.origin == pytest.approx([*ORIGIN, 32.0]) and plane.half_depth == 1.0
    cut = ellipsoid_section(plane, ELLIPSOID)
    assert cut is not None
    (left, _), (right, _) = cut[0], cut[1]  # the major axis' ELLIPSOID: along x, 24 mm x sqrt(1 - (2/4)²)
    assert abs(right - left) * SPACING[1] == pytest.approx(24 * math.sqrt(0.75))
    first = image_plane(image, 1)
    assert first is not None and ellipsoid_section(first, ELLIPSOID) is None



def _drawn_points(scene) -> np.ndarray:  # noqa: ANN001
    """Every point of the state's lines as the pane draws them (world: patient mm)."""
    points = [polylines._points for polylines in scene.state_graphics.lines.values()]  # noqa: SLF001
    return np.array([p.GetPoint(k) for p in points for k in range(p.GetNumberOfPoints())]).reshape(-1, 3)


def _drawn_texts(scene) -> list[str]:  # noqa: ANN001
    return [a.GetInput() for w in scene.state_graphics.texts.values() for a in w.actors if a.GetVisibility()]


@pytest.mark.usefixtures("qtbot")
def test_applying_a_report_brings_its_marked_slice_into_view(qtbot, tmp_path: Path, monkeypatch) -> None:
    """The window opens the series at its middle slice (z = 30); the report's triangle lies on
    z = 20 and its ellipsoid nowhere in the volume: applied, the axial pane goes to z = 20, where
    the triangle is drawn."""
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    images = _series(tmp_path)
    for image in images:
        image.save_as(tmp_path / "ct" / f"slice_{int(image.InstanceNumber) - 1:04d}.dcm", enforce_file_format=True)
    _report(images, images[0].FrameOfReferenceUID, FAR, TRIANGLE).save_as(tmp_path / "ct" / "report.dcm",
                                                                         enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "ct")
    scene = window.area.active_scene()
    assert scene.position() == pytest.approx(30.0)
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "Measurements by Other Reader").trigger()
    assert scene.position() == pytest.approx(20.0)
    assert [m for m in scene._state_marks if abs(m.plane - 20.0) < 1 and not m.text]
    window.close()


@pytest.mark.usefixtures("qtbot")
def test_an_ellipsoid_is_cut_by_the_coronal_and_sagittal_panes(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Opened in the window's 2x2 layout, View → Presentation state → the report brings every plane
    through the ellipsoid's centre (-60, -40, 30): the coronal pane (y = -40) draws
    ((x + 60)/12)² + ((z - 30)/4)² = 1 and the sagittal one (x = -60) ((y + 40)/6)² + ((z - 30)/4)² = 1,
    each with the volume beside it; the coronal plane moved 3 mm back (y = -37) draws the same
    shrunk by sqrt(1 - (3/6)²), and 7 mm back nothing. A crosshair in the ellipsoid stays put."""
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    images = _series(tmp_path)
    for image in images:
        image.save_as(tmp_path / "ct" / f"slice_{int(image.InstanceNumber) - 1:04d}.dcm", enforce_file_format=True)
    _report(images, images[0].FrameOfReferenceUID, ELLIPSOID).save_as(tmp_path / "ct" / "report.dcm",
                                                                     enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "ct")
    window.set_layout("2x2")
    panes = {getattr(w.scene, "plane", "3d"): w.scene for w in window.area.viewports}
    axial, coronal, sagittal = panes["axial"], panes["coronal"], panes["sagittal"]
    assert axial.display.crosshair != pytest.approx((-60.0, -40.0, 30.0))  # the volume's middle: outside it
    window.area.active = window.area.viewports[0]
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "Measurements by Other Reader").trigger()
    # every plane brought through its centre, a voxel centre (column 50, row 80, slice 10)
    assert {scene.display.crosshair for scene in (axial, coronal, sagittal)} == {(-60.0, -40.0, 30.0)}
    for scene, across, half, fixed, value in ((coronal, 0, 12.0, 1, -40.0), (sagittal, 1, 6.0, 0, -60.0)):
        drawn = _drawn_points(scene)
        assert len(drawn) > 40
        assert drawn[:, fixed] == pytest.approx(value)
        on = ((drawn[:, across] - (-60.0, -40.0)[across]) / half) ** 2 \
            + ((drawn[:, 2] - 30.0) / 4.0) ** 2
        assert on == pytest.approx(1.0, abs=1e-5)  # (vtkPoints keeps single precision)
        assert _drawn_texts(scene) == ["Volume 2.4 ml"]
    assert len(_drawn_points(axial)) > 40  # the acquired slice's cut, as before
    coronal.move_to(-37.0)
    drawn = _drawn_points(coronal)
    assert drawn[:, 1] == pytest.approx(-37.0)
    assert ((drawn[:, 0] + 60) / 12) ** 2 + ((drawn[:, 2] - 30) / 4) ** 2 == pytest.approx(0.75, abs=1e-5)
    coronal.move_to(-33.0)
    assert len(_drawn_points(coronal)) == 0 and _drawn_texts(coronal) == []
    axial.display.crosshair = (-55.2, -40.0, 30.0)  # in the ellipsoid, off its centre: applied again, left there
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "Measurements by Other Reader").trigger()
    assert sagittal.display.crosshair == (-55.2, -40.0, 30.0)
    window.close()


def test_the_screenshot_grid_shows_the_ellipsoid_and_its_values_in_each_plane_pane(tmp_path: Path) -> None:
    """`lightbox screenshot --layout mpr --presentation REPORT`: every plane through the ellipsoid's
    centre, its cut drawn in the axial, coronal and sagittal panes, and its volume beside it in
    each pane's own quarter of the picture. The panes share one render window, and the labels of
    the upper and right panes were pushed out of them (kept inside as if each pane began at 0)."""
    from lightbox.app.cli import _show_presentation
    from lightbox.app.compose import build_scenes, open_path
    from lightbox.app.presentation_menu import presented_volume
    from lightbox.viewer.views.offscreen import render_grid

    images = _series(tmp_path)
    for image in images:
        image.save_as(tmp_path / "ct" / f"slice_{int(image.InstanceNumber) - 1:04d}.dcm", enforce_file_format=True)
    report = tmp_path / "report.dcm"
    _report(images, images[0].FrameOfReferenceUID, ELLIPSOID).save_as(report, enforce_file_format=True)
    opened, _ = open_path(tmp_path / "ct")
    scenes, (rows, columns) = build_scenes(opened, "mpr")
    assert _show_presentation(scenes, presented_volume(opened, report)) == []
    width, height = 800, 600
    render_grid(scenes, rows, columns, width, height)
    planes = [s for s in scenes if getattr(s, "kind", "") == "mpr"]
    assert sorted(s.plane for s in planes) == ["axial", "coronal", "sagittal"]
    for scene in planes:
        assert scene.display.crosshair == pytest.approx((-60.0, -40.0, 30.0))
        (label,) = [a for w in scene.state_graphics.texts.values() for a in w.actors if a.GetVisibility()]
        assert label.GetInput() == "Volume 2.4 ml"
        x0, y0, x1, y1 = scene.renderer.GetViewport()  # the pane's share of the picture
        scene.renderer.SetWorldPoint(*label.GetPositionCoordinate().GetValue(), 1.0)
        scene.renderer.WorldToDisplay()
        x, y, _ = scene.renderer.GetDisplayPoint()
        assert x0 * width <= x <= x1 * width and y0 * height <= y <= y1 * height, (scene.plane, x, y)


@pytest.mark.parametrize("damage", [math.nan, math.inf])
def test_a_damaged_ellipsoid_draws_nothing_and_breaks_nothing(qtbot, tmp_path: Path, monkeypatch, damage: float) -> None:
    """A report whose ellipsoid has a coordinate that is no number, or an infinite one: no
    outline of NaNs, no exception while the panes draw; on every pane nothing of it, and the
    acquired slices' triangle still drawn where it lies."""
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    images = _series(tmp_path)
    for image in images:
        image.save_as(tmp_path / "ct" / f"slice_{int(image.InstanceNumber) - 1:04d}.dcm", enforce_file_format=True)
    report = _report(images, images[0].FrameOfReferenceUID, ELLIPSOID, TRIANGLE)
    groups = report.ContentSequence[-1].ContentSequence
    (region,) = [i for g in groups for i in g.ContentSequence if i.ValueType == "SCOORD3D" and i.GraphicType == "ELLIPSOID"]
    values = list(region.GraphicData)
    values[0] = damage
    region.GraphicData = values
    report.save_as(tmp_path / "ct" / "report.dcm", enforce_file_format=True)
    assert measurement_presentation(report, images[10]) is None  # its centre slice: nothing of it
    window = opened_window(qtbot, tmp_path / "ct")
    window.set_layout("2x2")
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "Measurements by Other Reader").trigger()
    planes = {getattr(w.scene, "plane", "3d"): w.scene for w in window.area.viewports}
    for name in ("coronal", "sagittal"):
        assert len(_drawn_points(planes[name])) == 0
    axial = planes["axial"]
    assert axial.position() == pytest.approx(20.0)  # brought to the triangle's slice
    drawn = _drawn_points(axial)
    assert len(drawn) and np.all(np.isfinite(drawn))
    window.close()


def test_a_planar_region_whose_coordinates_are_no_numbers_is_said_not_drawn(tmp_path: Path) -> None:
    """The triangle with a NaN in its second point: drawn on its slice as a polyline through
    (nan, nan) until now; left out (said in words where the report places anything else on the
    image: the by-hand test of the 2D regions)."""
    images = _series(tmp_path)
    report = _report(images, images[0].FrameOfReferenceUID, FAR, TRIANGLE)
    groups = report.ContentSequence[-1].ContentSequence
    (region,) = [i for g in groups for i in g.ContentSequence if i.ValueType == "SCOORD3D" and i.GraphicType == "POLYGON"]
    values = list(region.GraphicData)
    values[3] = math.nan
    region.GraphicData = values
    assert measurement_presentation(report, images[5]) is None  # the triangle was all there was on its slice


# measured by another reader on reformats: a rectangle on the coronal plane y = -40 (row 80) and a
# length on the sagittal plane x = -68 (column 40), neither in any one axial slice
CORONAL_BOX = np.array([[-80.0, -40.0, 20.0], [-60.0, -40.0, 20.0], [-60.0, -40.0, 30.0], [-80.0, -40.0, 30.0],
                        [-80.0, -40.0, 20.0]])
SAGITTAL_LINE = np.array([[-68.0, -60.0, 24.0], [-68.0, -50.0, 36.0]])


def _reformat_report(images: list[pydicom.Dataset]) -> pydicom.Dataset:
    """Another system's report of two planar regions in patient mm (TID 1410 as SCOORD3D)."""
    from highdicom.sr import (
        GraphicTypeValues3D,
        ImageRegion3D,
        PlanarROIMeasurementsAndQualitativeEvaluations,
        TrackingIdentifier,
    )
    from highdicom.sr import Measurement as SrMeasurement
    from pydicom.sr.coding import Code

    frame = images[0].FrameOfReferenceUID
    groups = [PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=TrackingIdentifier(uid=generate_uid(), identifier=name),
        referenced_region=ImageRegion3D(graphic, points, frame), measurements=[SrMeasurement(*measured)])
        for name, graphic, points, measured in (
            ("box", GraphicTypeValues3D.POLYGON, CORONAL_BOX,
             (Code("42798000", "SCT", "Area"), 200.0, Code("mm2", "UCUM", "square millimeter"))),
            ("line", GraphicTypeValues3D.POLYLINE, SAGITTAL_LINE,
             (Code("410668003", "SCT", "Length"), 15.6, Code("mm", "UCUM", "millimeter"))))]
    return _other_systems_report(images, groups)


@pytest.mark.usefixtures("qtbot")
def test_regions_measured_on_reformats_are_drawn_on_the_coronal_and_sagittal_panes(qtbot, tmp_path: Path,
                                                                                   monkeypatch) -> None:
    """A report whose regions lie only in a coronal and a sagittal plane: it was not offered as a
    view of the volume at all (no acquired slice holds them). Applied in the 2x2 layout, the
    coronal pane goes to y = -40 and draws the rectangle there, the sagittal to x = -68 and draws
    the line, each with its value beside it; one slice further, nothing."""
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    images = _series(tmp_path)
    for image in images:
        image.save_as(tmp_path / "ct" / f"slice_{int(image.InstanceNumber) - 1:04d}.dcm", enforce_file_format=True)
    _reformat_report(images).save_as(tmp_path / "ct" / "report.dcm", enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "ct")
    window.set_layout("2x2")
    panes = {getattr(w.scene, "plane", "3d"): w.scene for w in window.area.viewports}
    axial, coronal, sagittal = panes["axial"], panes["coronal"], panes["sagittal"]
    window.area.active = window.area.viewports[0]
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text() == "Measurements by Other Reader").trigger()
    assert coronal.display.crosshair[1] == pytest.approx(-40.0) and sagittal.display.crosshair[0] == pytest.approx(-68.0)
    assert np.allclose(_drawn_points(coronal), CORONAL_BOX, atol=1e-4)  # the closed outline, where it was measured
    assert _drawn_texts(coronal) == ["Area 200.0 mm²"]
    assert np.allclose(_drawn_points(sagittal), SAGITTAL_LINE, atol=1e-4) and _drawn_texts(sagittal) == ["Length 15.6 mm"]
    assert len(_drawn_points(axial)) == 0
    coronal.move_to(-40.5)  # the next row
    assert len(_drawn_points(coronal)) == 0 and _drawn_texts(coronal) == []
    window.close()
