"""Lengths, angles and ROIs a reader draws on a reformatted plane (a coronal or sagittal of an
axial CT) go into the TID 1500 measurement report in patient coordinates (SCOORD3D) with the
values the pane measured, and come back onto the plane they were drawn on when the report is
found beside the images. Until 2026-12-02 they were left out of the report ("no acquired image
to reference"), so a coronal measurement never reached the archive.

Every expected coordinate and value is worked out here from the synthetic CT's known layout
(dicom_factory: slice n stores 1000 + n, rescaled by -1024; rows 0.7 mm, columns 0.8 mm apart)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, restamp, write_ct_series

from lightbox.app.cli import main
from lightbox.app.measurement_sr import marks_from_archive
from lightbox.dicomreports.measurements import read_measurements, read_plane_measurements
from lightbox.studydb.annotations import StoredAnnotation, save_annotations
from lightbox.studydb.catalog import StudyCatalog
from lightbox.viewer.index import build_index

ROW_MM, COLUMN_MM = 0.7, 0.8


def ct_with_a_frame(folder: Path) -> tuple[list[pydicom.Dataset], str]:
    paths = write_ct_series(folder, axial_positions(10, spacing=2.0), rows=40, columns=40)
    frame = pydicom.uid.generate_uid()
    restamp(paths, FrameOfReferenceUID=frame)
    return [pydicom.dcmread(p) for p in paths], frame


def test_coronal_and_sagittal_marks_are_written_in_patient_mm_with_the_panes_values(tmp_path: Path, capsys) -> None:
    slices, frame = ct_with_a_frame(tmp_path / "ct")
    x0, y0, _ = (float(v) for v in slices[0].ImagePositionPatient)
    z = {n: float(ds.ImagePositionPatient[2]) for n, ds in enumerate(slices)}
    series_uid = str(slices[0].SeriesInstanceUID)
    # coronal pane: u = x, v = z, at y (its position along the normal (0, 1, 0))
    y_row10 = y0 + 10 * ROW_MM
    low_z, high_z = sorted((z[2], z[5]))
    box = [(x0 + 9.7 * COLUMN_MM, low_z - 0.6), (x0 + 15.3 * COLUMN_MM, high_z + 0.6)]  # columns 10..15, slices 2..5
    oval = [(x0 + 5.0, low_z), (x0 + 15.0, low_z + 4.0)]  # 10 mm across, 4 mm up
    line = [(x0 + 2.0, low_z), (x0 + 8.0, high_z)]
    # sagittal pane: u = y, v = z, at -x (its normal is (-1, 0, 0)); a line straight up, which lies
    # in a coronal plane too
    x_column5 = x0 + 5 * COLUMN_MM
    upright = [(y0 + 3.0, low_z), (y0 + 3.0, high_z)]
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    catalog = StudyCatalog(db)
    save_annotations(catalog, series_uid, "coronal", [
        StoredAnnotation("rectangle", box, plane=y_row10), StoredAnnotation("ellipse", oval, plane=y_row10),
        StoredAnnotation("length", line, plane=y_row10)])
    save_annotations(catalog, series_uid, "sagittal", [StoredAnnotation("length", upright, plane=-x_column5)])
    out = tmp_path / "ct" / "measurements.dcm"
    assert main(["report", "measurements", str(tmp_path / "ct"), "--out", str(out), "--db", db]) == 0
    assert "left out" not in capsys.readouterr().out
    sr = pydicom.dcmread(out)
    assert read_measurements(sr) == []  # none lies on an acquired slice
    written = {identifier: (frame_uid, graphic, points, values)
               for identifier, frame_uid, graphic, points, values in read_plane_measurements(sr)}
    assert set(written) == {"rectangle 1 on the coronal plane", "ellipse 2 on the coronal plane",
                            "length 3 on the coronal plane", "length 4 on the sagittal plane"}
    assert {w[0] for w in written.values()} == {frame}
    # highdicom, reading it as another system would, finds four planar groups in patient coordinates
    import highdicom

    groups = highdicom.sr.Comprehensive3DSR.from_dataset(sr).content.get_planar_roi_measurement_groups()
    assert [(g.tracking_identifier, g.roi.graphic_type.value, g.roi.frame_of_reference_uid) for g in groups] == [
        ("rectangle 1 on the coronal plane", "POLYGON", frame), ("ellipse 2 on the coronal plane", "ELLIPSE", frame),
        ("length 3 on the coronal plane", "POLYLINE", frame), ("length 4 on the sagittal plane", "POLYLINE", frame)]

    frame_uid, graphic, points, values = written["rectangle 1 on the coronal plane"]
    (u0, v0), (u1, v1) = box
    assert graphic == "POLYGON"  # closed: its first point again at the end
    assert np.allclose(points, [(u0, y_row10, v0), (u1, y_row10, v0), (u1, y_row10, v1), (u0, y_row10, v1),
                                (u0, y_row10, v0)], atol=1e-4)
    # the voxels of row 10 (the plane), columns 10..15, slices 2..5: 1000 + n - 1024 HU each
    hu = np.repeat([1000 + n - 1024 for n in range(2, 6)], 6).astype(float)
    assert values["Area"] == pytest.approx((u1 - u0) * (v1 - v0))
    assert values["Mean Attenuation Coefficient"] == pytest.approx(hu.mean())
    assert values["Standard Deviation Attenuation Coefficient"] == pytest.approx(hu.std(ddof=1))
    assert (values["Minimum Attenuation Coefficient"], values["Maximum Attenuation Coefficient"]) == (hu.min(), hu.max())

    _, graphic, points, values = written["ellipse 2 on the coronal plane"]
    assert graphic == "ELLIPSE"  # the major axis' ends (10 mm along x), then the minor axis' (4 mm along z)
    assert np.allclose(points, [(x0 + 5.0, y_row10, low_z + 2.0), (x0 + 15.0, y_row10, low_z + 2.0),
                                (x0 + 10.0, y_row10, low_z), (x0 + 10.0, y_row10, low_z + 4.0)], atol=1e-4)
    assert values["Area"] == pytest.approx(math.pi * 5.0 * 2.0)

    _, graphic, points, values = written["length 3 on the coronal plane"]
    assert graphic == "POLYLINE" and np.allclose(points, [(x0 + 2.0, y_row10, low_z), (x0 + 8.0, y_row10, high_z)])
    assert values == {"Length": pytest.approx(math.hypot(6.0, high_z - low_z))}

    _, graphic, points, values = written["length 4 on the sagittal plane"]
    assert np.allclose(points, [(x_column5, y0 + 3.0, low_z), (x_column5, y0 + 3.0, high_z)])
    assert values == {"Length": pytest.approx(high_z - low_z)}

    # found beside the images (another workstation, an empty database): each comes back where it was drawn
    index = build_index(tmp_path / "ct")
    (series,) = index.all_series()
    back = {(image, a.kind): a for image, a in marks_from_archive(index.documents, series)}
    assert set(back) == {("coronal", "rectangle"), ("coronal", "ellipse"), ("coronal", "length"), ("sagittal", "length")}
    for image, kind, kept, plane in (("coronal", "rectangle", box, y_row10), ("coronal", "ellipse", oval, y_row10),
                                     ("coronal", "length", line, y_row10), ("sagittal", "length", upright, -x_column5)):
        assert np.allclose(back[image, kind].points, kept, atol=1e-4) and back[image, kind].plane == pytest.approx(plane)


def test_a_pet_laid_over_measures_a_coronal_roi_too(tmp_path: Path) -> None:
    """An ROI on the CT's coronal reformat with its PET laid over (one frame of reference): the
    report holds it twice, one finding; the PET's values are those of its own voxels in the plane
    (the CT's are 40 HU throughout: dicom_factory.write_pet_ct)."""
    from dicom_factory import write_pet_ct

    from lightbox.app.measurement_sr import report_marks

    k, j, i = np.meshgrid(np.arange(20), np.arange(32), np.arange(32), indexing="ij")
    write_pet_ct(tmp_path, (0.5 + 0.05 * k + 0.02 * i + 0.1 * j).astype(np.float32))
    index = build_index(tmp_path)
    ct, pet = (next(s for s in index.all_series() if s.modality == m) for m in ("CT", "PT"))
    catalog = StudyCatalog(f"sqlite:///{tmp_path / 'db.sqlite'}")
    # PET grid: x = -31 + 2 i, y = -31 + 2 j, z = 1.25 + 5 k. Row j = 10 (y = -11), columns 5..8, slices 3..4;
    # the plane 0.8 mm off the row's centres, within half the PET's 2 mm step (the CT's rows 1 mm apart:
    # its own row at y = -10)
    box = [(-21.6, 15.0), (-14.4, 22.5)]
    save_annotations(catalog, ct.uid, "coronal", [StoredAnnotation("rectangle", box, plane=-10.2)])
    marks, left_out, _ = report_marks(catalog, ct, fused=(pet, None))
    assert left_out == []
    on_ct, on_pet = marks
    assert on_ct.series_uid == ct.uid and on_pet.series_uid == pet.uid
    assert isinstance(on_ct.finding, str) and on_ct.finding and on_ct.finding == on_pet.finding
    assert on_ct.hu == (40.0, 0.0, 40.0, 40.0) and on_ct.suv is None and on_ct.mr is None and on_ct.suv_peak is None
    suv = np.array([0.5 + 0.05 * kk + 0.02 * ii + 0.1 * 10 for kk in (3, 4) for ii in (5, 6, 7, 8)])
    assert on_pet.suv == pytest.approx((suv.mean(), suv.std(ddof=1), suv.min(), suv.max()), rel=2e-3)
    assert on_pet.hu is None and on_pet.mr is None
    # SUVpeak: the highest mean in a 1 cm³ sphere centred on a voxel of the region; the uptake rises
    # linearly, so a sphere's mean is its centre's value: the region's highest voxel
    assert on_pet.suv_peak == pytest.approx(suv.max(), rel=2e-3)


def test_a_length_drawn_on_the_coronal_pane_reaches_the_report_the_window_saves(qtbot, tmp_path: Path,
                                                                               monkeypatch) -> None:
    """Layout 2x2, Tools → Length, two clicks on the coronal pane, AI → Save measurements as DICOM
    SR: the report holds the length where it was drawn, with the value its label shows."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QMessageBox
    from window_helpers import opened_window

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text, *_: said.append(text))
    slices, frame = ct_with_a_frame(tmp_path / "ct")
    x0, y0, _ = (float(v) for v in slices[0].ImagePositionPatient)
    zs = sorted(float(ds.ImagePositionPatient[2]) for ds in slices)
    window = opened_window(qtbot, tmp_path / "ct", (1100, 800))
    window.set_layout("2x2")
    (widget,) = [w for w in window.area.viewports if getattr(w.scene, "plane", "") == "coronal"]
    scene = widget.scene
    y = float(scene.display.crosshair[1])
    ends = [np.array([x0 + 4.0, y, zs[2]]), np.array([x0 + 20.0, y, zs[7]])]
    window.set_tool("length")
    for end in ends:
        x, yd = scene.world_to_display(end)
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(widget.height() - 1 - yd)))
    (m,) = scene.measurements
    written = window.save_measurements_sr(send_to="")
    assert said == [] and written is not None
    ((identifier, frame_uid, graphic, points, values),) = read_plane_measurements(pydicom.dcmread(written))
    assert identifier == "length 1 on the coronal plane" and frame_uid == frame and graphic == "POLYLINE"
    assert np.allclose(points[:, 1], y) and np.allclose(points, ends, atol=0.5)  # where the clicks fell (to a pixel)
    assert f"{values['Length']:.1f} mm" == scene.measure.label(m)  # what the label said
    window.close()


def test_a_series_whose_slices_each_state_a_frame_of_their_own_places_a_mark_by_its_nearest_slice(
        tmp_path: Path, capsys) -> None:
    """The LIDC CT here (TCIA's de-identification) gives each of its 275 slices a Frame of Reference
    UID of its own; the viewer stacks them by their positions as one volume all the same. Every
    coronal mark and sphere VOI on it was left out ("states no one Frame of Reference"): now each
    region is given in the frame of the slice nearest it, and comes back from the report."""
    paths = write_ct_series(tmp_path / "ct", axial_positions(10, spacing=2.0), rows=40, columns=40)
    frames = []
    for path in paths:
        frames.append(pydicom.uid.generate_uid())
        restamp([path], FrameOfReferenceUID=frames[-1])
    slices = [pydicom.dcmread(p) for p in paths]
    x0, y0, _ = (float(v) for v in slices[0].ImagePositionPatient)
    z = [float(ds.ImagePositionPatient[2]) for ds in slices]
    line = [(x0 + 2.0, z[1]), (x0 + 8.0, z[5] + 0.4)]  # centre nearest slice 3 (z[3] + 0.2 mm)
    ball = [(x0 + 10.0, -(y0 + 10.0)), (x0 + 13.0, -(y0 + 10.0))]  # drawn on the axial slice 7: a 3 mm sphere
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    catalog = StudyCatalog(db)
    uid = str(slices[0].SeriesInstanceUID)
    save_annotations(catalog, uid, "coronal", [StoredAnnotation("length", line, plane=y0 + 5.0)])
    save_annotations(catalog, uid, "axial", [StoredAnnotation("sphere", ball, plane=z[7])])
    out = tmp_path / "ct" / "measurements.dcm"
    assert main(["report", "measurements", str(tmp_path / "ct"), "--out", str(out), "--db", db]) == 0
    assert "left out" not in capsys.readouterr().out
    sr = pydicom.dcmread(out)
    ((_, frame_uid, _, _, _),) = read_plane_measurements(sr)
    assert frame_uid == frames[3]
    sphere_frames = [item.ReferencedFrameOfReferenceUID for group in sr.ContentSequence[-1].ContentSequence
                     for item in group.ContentSequence if item.ValueType == "SCOORD3D" and item.GraphicType == "ELLIPSOID"]
    assert sphere_frames == [frames[7]]
    index = build_index(tmp_path / "ct")
    (series,) = index.all_series()
    back = {(image, a.kind): a for image, a in marks_from_archive(index.documents, series)}
    assert set(back) == {("coronal", "length"), ("axial", "sphere")}
    assert np.allclose(back["coronal", "length"].points, line, atol=1e-4)


def test_an_mr_rois_signal_goes_in_the_report_on_its_slice_and_on_a_reformat(tmp_path: Path) -> None:
    """An MR's ROI values were left out of the report (only a CT's HU and a PET's SUVbw were
    written): a reader's lesion-to-CSF ratio never reached the archive. Now its mean, SD, minimum
    and maximum go in as MR signal intensity (DCM 110852, no units), the values stored (no rescale)."""
    paths = write_ct_series(tmp_path / "mr", axial_positions(10, spacing=2.0), rows=40, columns=40)
    restamp(paths, Modality="MR", SOPClassUID="1.2.840.10008.5.1.4.1.1.4", FrameOfReferenceUID=pydicom.uid.generate_uid(),
            RescaleSlope=None, RescaleIntercept=None, WindowCenter=None, WindowWidth=None)
    slices = [pydicom.dcmread(p) for p in paths]
    x0, y0, _ = (float(v) for v in slices[0].ImagePositionPatient)
    z = [float(ds.ImagePositionPatient[2]) for ds in slices]
    marker = [(x0 + 2.7 * COLUMN_MM, -(y0 + 1.7 * ROW_MM)), (x0 + 7.3 * COLUMN_MM, -(y0 + 5.3 * ROW_MM))]  # 1500 stored
    low, high = sorted((z[2], z[5]))
    box = [(x0 + 9.7 * COLUMN_MM, low - 0.6), (x0 + 15.3 * COLUMN_MM, high + 0.6)]  # row 10: 1000 + n, slices 2..5
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    catalog = StudyCatalog(db)
    uid = str(slices[0].SeriesInstanceUID)
    save_annotations(catalog, uid, "axial", [StoredAnnotation("rectangle", marker, plane=z[4])])
    save_annotations(catalog, uid, "coronal", [StoredAnnotation("rectangle", box, plane=y0 + 10 * ROW_MM)])
    out = tmp_path / "report.dcm"
    assert main(["report", "measurements", str(tmp_path / "mr"), "--out", str(out), "--db", db]) == 0
    sr = pydicom.dcmread(out)
    ((_, _, _, on_slice, _),) = read_measurements(sr)
    ((_, _, _, _, on_coronal),) = read_plane_measurements(sr)
    names = ("Mean MR signal intensity", "Standard Deviation MR signal intensity", "Minimum MR signal intensity",
             "Maximum MR signal intensity")
    assert [on_slice[n] for n in names] == [1500.0, 0.0, 1500.0, 1500.0]
    signal = np.repeat([1000.0 + n for n in range(2, 6)], 6)
    assert [on_coronal[n] for n in names] == pytest.approx([signal.mean(), signal.std(ddof=1), signal.min(), signal.max()])
    assert "Mean Attenuation Coefficient" not in on_slice


def test_an_angle_and_a_cobb_angle_on_the_sagittal_pane_in_degrees(tmp_path: Path) -> None:
    """A 30° angle and a 20° Cobb angle (the second endplate tilted by tan 20°) drawn on the
    sagittal reformat: written as their polylines in patient mm with the degrees worked out here."""
    slices, frame = ct_with_a_frame(tmp_path / "ct")
    x0, y0, z0 = (float(v) for v in slices[0].ImagePositionPatient)
    u0, v0 = y0 + 5.0, z0 + 2.0  # sagittal: u = y, v = z, at -x
    arms = [(u0 + 10.0, v0), (u0, v0), (u0 + 10.0 * math.cos(math.radians(30)), v0 + 10.0 * math.sin(math.radians(30)))]
    endplates = [(u0, v0), (u0 + 10.0, v0), (u0, v0 + 5.0), (u0 + 10.0, v0 + 5.0 + 10.0 * math.tan(math.radians(20)))]
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), str(slices[0].SeriesInstanceUID), "sagittal", [
        StoredAnnotation("angle", arms, plane=-(x0 + 4.0)), StoredAnnotation("cobb", endplates, plane=-(x0 + 4.0))])
    out = tmp_path / "report.dcm"
    assert main(["report", "measurements", str(tmp_path / "ct"), "--out", str(out), "--db", db]) == 0
    (angle_id, _, angle_shape, angle_points, angle_values), (cobb_id, _, _, cobb_points, cobb_values) = \
        read_plane_measurements(pydicom.dcmread(out))
    assert angle_id == "angle 1 on the sagittal plane" and cobb_id == "cobb 2 on the sagittal plane"
    assert angle_shape == "POLYLINE"
    assert np.allclose(angle_points, [(x0 + 4.0, u, v) for u, v in arms], atol=1e-4)
    assert np.allclose(cobb_points, [(x0 + 4.0, u, v) for u, v in endplates], atol=1e-4)
    assert angle_values == {"Angle": pytest.approx(30.0)} and cobb_values == {"Cobb angle": pytest.approx(20.0)}


def test_a_volume_without_pixel_spacing_has_no_patient_coordinates_to_give_them(tmp_path: Path, capsys) -> None:
    """Its panes measure in pixels (labelled so); a coronal length there has no place in the
    patient's mm: left out, said, not written at a made-up scale."""
    paths = write_ct_series(tmp_path / "ct", axial_positions(6, spacing=2.0), rows=20, columns=20)
    restamp(paths, FrameOfReferenceUID=pydicom.uid.generate_uid(), PixelSpacing=None)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), str(pydicom.dcmread(paths[0]).SeriesInstanceUID), "coronal",
                     [StoredAnnotation("length", [(0.0, 0.0), (5.0, 5.0)], plane=3.0)])
    assert main(["report", "measurements", str(tmp_path / "ct"), "--out", str(tmp_path / "r.dcm"), "--db", db]) == 2
    printed = capsys.readouterr()
    assert "left out: 1 mark(s) on reformatted planes: #1 CT (6 images) states no pixel spacing" in printed.out
