"""Key images: K flags the film or acquired slice shown ("KEY IMAGE" in its corner), kept in the
study database (back on reopening, not cleared with the marks), and written as a DICOM Key Object
Selection that references exactly those instances (read back with pydicom)."""
from __future__ import annotations

from pathlib import Path

import pydicom
from conftest import shown_window
from dicom_factory import axial_positions, restamp, write_ct_series
from PySide6.QtCore import QPoint, Qt

from lightbox.app.cli import main
from lightbox.dicomreports.key_images import referenced_instances


def test_flagged_slices_come_back_and_become_a_key_object_selection(qtbot, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    paths = write_ct_series(tmp_path / "ct", axial_positions(10, spacing=2.0), rows=32, columns=32)
    window = shown_window(qtbot, active=True)
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    first = scene.slice_count()[0] - 1  # the slice shown (0-based)
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert "KEY IMAGE" in scene.corners.texts["lower_left"]
    qtbot.keyClick(window, Qt.Key.Key_Down)
    qtbot.keyClick(window, Qt.Key.Key_Down)
    assert "KEY IMAGE" not in scene.corners.texts["lower_left"]  # only the flagged slice says so
    qtbot.keyClick(window, Qt.Key.Key_K)
    second = scene.slice_count()[0] - 1
    qtbot.keyClick(window, Qt.Key.Key_Delete)  # clearing the marks keeps the key images
    assert "KEY IMAGE" in scene.corners.texts["lower_left"]
    window.close()

    again = shown_window(qtbot, active=True)
    again.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not again.is_loading() and again.area.opened is not None, timeout=30000)
    restored = again.area.viewports[0].scene
    restored.move_to(restored.position() + (second - (restored.slice_count()[0] - 1)) * 2.0 * float(restored.normal[2]))
    assert restored.slice_count()[0] - 1 == second and "KEY IMAGE" in restored.corners.texts["lower_left"]
    kos_path = again.save_key_images()
    again.close()
    by_z = sorted(paths, key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))  # slice order, independently
    expected = {str(pydicom.dcmread(by_z[k]).SOPInstanceUID) for k in (first, second)}
    kos = pydicom.dcmread(kos_path)
    assert kos.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.59" and set(referenced_instances(kos)) == expected
    assert kos.ConceptNameCodeSequence[0].CodeValue == "113000"  # Of Interest
    out = tmp_path / "kos.dcm"  # the command line says the same
    assert main(["report", "keyimages", str(tmp_path / "ct"), "--out", str(out)]) == 0
    assert set(referenced_instances(pydicom.dcmread(out))) == expected
    assert "2 key image(s)" in capsys.readouterr().out


def test_measurements_and_key_images_archived_with_a_study_come_back_on_another_workstation(
        qtbot, tmp_path: Path, monkeypatch) -> None:
    """The TID 1500 report, the KOS and the GSPS written on one workstation, lying beside the
    images (as retrieved from the PACS), give another workstation the same ROI, key image, arrow
    and text, once."""
    import numpy as np
    import pytest

    from lightbox.studydb.annotations import StoredAnnotation, save_annotations
    from lightbox.studydb.catalog import StudyCatalog

    paths = write_ct_series(tmp_path / "study", axial_positions(8, spacing=2.0), rows=32, columns=32)
    slice3 = pydicom.dcmread(sorted(paths, key=lambda p: float(pydicom.dcmread(p).ImagePositionPatient[2]))[3])
    x0, y0, z3 = (float(v) for v in slice3.ImagePositionPatient)
    rows_mm, cols_mm = (float(v) for v in slice3.PixelSpacing)
    first = f"sqlite:///{tmp_path / 'first.sqlite'}"  # the first workstation's database
    roi = [(x0 + 2.7 * cols_mm, -(y0 + 1.7 * rows_mm)), (x0 + 7.3 * cols_mm, -(y0 + 5.3 * rows_mm))]
    arrow = [(x0 + 20 * cols_mm, -(y0 + 25 * rows_mm)), (x0 + 9 * cols_mm, -(y0 + 12 * rows_mm))]
    label = [(x0 + 22 * cols_mm, -(y0 + 27 * rows_mm))]
    save_annotations(StudyCatalog(first), str(slice3.SeriesInstanceUID), "axial",
                     [StoredAnnotation("rectangle", roi, plane=z3), StoredAnnotation("key", [], plane=z3),
                      StoredAnnotation("arrow", arrow, plane=z3), StoredAnnotation("text", label, "lesion", z3)])
    assert main(["report", "measurements", str(tmp_path / "study"), "--db", first, "--out",
                 str(tmp_path / "study" / "measurements.dcm")]) == 0
    kos = tmp_path / "study" / "kos.dcm"
    assert main(["report", "keyimages", str(tmp_path / "study"), "--db", first, "--out", str(kos)]) == 0
    gsps = tmp_path / "study" / "gsps.dcm"
    assert main(["report", "annotations", str(tmp_path / "study"), "--db", first, "--out", str(gsps)]) == 0

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "second"))  # another workstation: nothing kept yet
    for _ in range(2):  # opened twice: the archived marks are taken once
        window = shown_window(qtbot, active=True)
        window.open_path(tmp_path / "study")
        qtbot.waitUntil(lambda w=window: not w.is_loading() and w.area.opened is not None, timeout=30000)
        scene = window.area.viewports[0].scene
        scene.move_to(z3)
        rois = [(m, plane) for m, plane in scene.measure.items if m.kind == "rectangle"]
        assert len(rois) == 1 and rois[0][1] == pytest.approx(z3)
        assert np.allclose(rois[0][0].points, roi, atol=1e-3) and rois[0][0].statistics.mean == 476.0
        assert "KEY IMAGE" in scene.corners.texts["lower_left"]
        marks = {m.kind: m for m, _ in scene.measure.items if m.kind in ("arrow", "text")}
        assert len([m for m, _ in scene.measure.items if m.kind in ("arrow", "text")]) == 2  # once each
        assert np.allclose(marks["arrow"].points, arrow, atol=1e-3) and marks["text"].text == "lesion"
        assert np.allclose(marks["text"].points, label, atol=1e-3)
        assert window.index.errors == []  # the SR, KOS and GSPS are documents of the study, not unreadable files
        window.close()


def test_key_images_of_a_study_with_an_invalid_patient_sex(qtbot, tmp_path: Path, monkeypatch) -> None:
    """As Brainix: Patient's Sex "0000". Nothing flagged: the dialog says so; flagged: the KOS is
    written (it was refused with "'0000' is not a valid PatientSexValues: flag the images with K
    first", though the image was flagged), with the sex left empty and the study's own files as
    they were."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text, *a: said.append(text))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: said.append(text))
    paths = write_ct_series(tmp_path / "ct", axial_positions(4, spacing=2.0), rows=16, columns=16)
    restamp(paths, PatientSex="0000")
    window = shown_window(qtbot, active=True)
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.save_key_images() is None and said == ["No key image flagged: flag the images with K first."]
    qtbot.mouseClick(window.area.viewports[0], Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.keyClick(window, Qt.Key.Key_K)
    kos = pydicom.dcmread(window.save_key_images())
    assert len(said) == 1 and kos.PatientSex == "" and len(referenced_instances(kos)) == 1
    assert all(pydicom.dcmread(p).PatientSex == "0000" for p in paths)
    window.close()
