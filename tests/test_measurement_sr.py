"""A reader's lengths and ROIs as a DICOM SR measurement report (TID 1500): regions on the very
images they were drawn on (an acquired CT slice, a film), in pixel coordinates, with the values;
read back with pydicom, independently of the writer."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, write_ct_series, write_film
from window_helpers import opened_window

from lightbox.app.cli import main
from lightbox.dicomreports.measurements import read_measurements
from lightbox.studydb.annotations import StoredAnnotation, save_annotations
from lightbox.studydb.catalog import StudyCatalog


def test_ct_rois_and_a_length_on_an_acquired_slice(tmp_path: Path, capsys) -> None:
    paths = write_ct_series(tmp_path / "ct", axial_positions(10, spacing=2.0), rows=40, columns=40)
    slice5 = pydicom.dcmread(paths[5])
    x0, y0, z5 = (float(v) for v in slice5.ImagePositionPatient)
    row_mm, col_mm = (float(v) for v in slice5.PixelSpacing)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    catalog = StudyCatalog(db)
    # as the window keeps them: axial plane coordinates u = x, v = -y (mm), the plane's z
    marker = [(x0 + (3 - 0.3) * col_mm, -(y0 + (2 - 0.3) * row_mm)), (x0 + (7 + 0.3) * col_mm, -(y0 + (5 + 0.3) * row_mm))]
    line = [(x0 + 10 * col_mm, -(y0 + 10 * row_mm)), (x0 + 30 * col_mm, -(y0 + 25 * row_mm))]
    save_annotations(catalog, str(slice5.SeriesInstanceUID), "axial", [
        StoredAnnotation("rectangle", marker, plane=z5), StoredAnnotation("length", line, plane=z5),
        StoredAnnotation("arrow", line, plane=z5)])  # an arrow is not a measurement: not in the report
    # a reformat's mark is written in patient mm (test_reformat_measurements), which needs a Frame of
    # Reference: this CT states none
    save_annotations(catalog, str(slice5.SeriesInstanceUID), "coronal", [StoredAnnotation("length", line, plane=0.0)])
    out = tmp_path / "measurements.dcm"
    assert main(["report", "measurements", str(tmp_path / "ct"), "--out", str(out), "--db", db, "--reader", "Dr Roi"]) == 0
    printed = capsys.readouterr().out
    assert "left out: length on the coronal plane: #1 CT (10 images) states no Frame of Reference to place it in" in printed
    sr = pydicom.dcmread(out)
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    assert sr.StudyInstanceUID == slice5.StudyInstanceUID and sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    (roi_id, roi_uid, roi_points, roi_values, _), (len_id, len_uid, len_points, len_values, _) = read_measurements(sr)
    assert roi_uid == len_uid == slice5.SOPInstanceUID  # the slice they were drawn on
    assert np.allclose(roi_points, [(2.7, 1.7), (7.3, 1.7), (7.3, 5.3), (2.7, 5.3), (2.7, 1.7)], atol=1e-4)  # (column, row)
    assert roi_values["Area"] == pytest.approx(4.6 * col_mm * 3.6 * row_mm)
    # the marker square holds 1500 stored, rescaled by -1024 (dicom_factory): 476 HU, all 20 pixels
    assert (roi_values["Mean Attenuation Coefficient"], roi_values["Standard Deviation Attenuation Coefficient"],
            roi_values["Minimum Attenuation Coefficient"], roi_values["Maximum Attenuation Coefficient"]) == (476, 0, 476, 476)
    assert np.allclose(len_points, [(10.0, 10.0), (30.0, 25.0)], atol=1e-4)
    assert len_values["Length"] == pytest.approx(math.hypot(20 * col_mm, 15 * row_mm))
    assert roi_id.startswith("rectangle") and len_id.startswith("length")


def film_document(tmp_path: Path, kind: str, film: pydicom.Dataset, folder: Path, marks: list[StoredAnnotation]) -> Path:
    """``marks`` on the film, as the study database keeps them, written by ``lightbox report KIND``."""
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), str(film.SeriesInstanceUID), "film 0", marks)
    out = tmp_path / f"{kind}.dcm"
    assert main(["report", kind, str(folder), "--out", str(out), "--db", db]) == 0
    return out


def test_an_ellipse_on_a_film(tmp_path: Path) -> None:
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((100, 120), 700, np.uint16), spacing=(0.2, 0.1))
    film = pydicom.dcmread(path)
    out = film_document(tmp_path, "measurements", film, tmp_path / "film",
                        [StoredAnnotation("ellipse", [(20.0, 30.0), (60.0, 50.0)])])
    ((_, uid, points, values, _frame),) = read_measurements(pydicom.dcmread(out))
    assert uid == film.SOPInstanceUID
    # DICOM's ELLIPSE: the major axis' ends, then the minor axis' (columns 20..60 across, rows 30..50)
    assert np.allclose(points, [(20.0, 40.0), (60.0, 40.0), (40.0, 30.0), (40.0, 50.0)])
    assert values == {"Area": pytest.approx(math.pi * 20 * 0.1 * 10 * 0.2)}  # no HU on a radiograph


def test_nothing_measured_is_refused_with_a_reason(tmp_path: Path, capsys) -> None:
    write_film(tmp_path / "film" / "cr.dcm", np.full((10, 10), 1, np.uint16))
    assert main(["report", "measurements", str(tmp_path / "film"), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"]) == 2
    assert "no length, angle, ROI or sphere VOI to write" in capsys.readouterr().err


def test_the_windows_menu_writes_what_was_drawn(qtbot, tmp_path: Path, monkeypatch) -> None:
    """AI → Save measurements as DICOM SR, after a length drawn with the mouse on a film."""
    from PySide6.QtCore import QPoint, Qt


    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))  # the store and database of this test
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((200, 300), 500, np.uint16), spacing=(0.2, 0.1))
    window = opened_window(qtbot, path, (1100, 800))
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    window.set_tool("length")
    for c, r in ((50, 50), (250, 150)):
        x, y = scene.image_to_display(c, r)
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(widget.height() - 1 - y)))
    written = window.save_measurements_sr(send_to="")
    ((_, uid, points, values, _frame),) = read_measurements(pydicom.dcmread(written))
    (m,) = scene.measurements
    assert uid == pydicom.dcmread(path).SOPInstanceUID and np.allclose(points, m.points)
    assert values["Length"] == pytest.approx(float(scene.measure.label(m).split()[0]), abs=0.05)  # what the label said
    window.close()


def test_no_report_no_pdf(qtbot, tmp_path: Path, monkeypatch) -> None:
    """AI → Save report as DICOM PDF and the dock's Export with nothing drafted or typed: refused
    with a message; no blank "Radiology report" of the patient is filed in the store (it wrote a
    header over an empty body and offered to send it to the PACS)."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from lightbox.app.ai_panel import NO_REPORT, NoReport
    from lightbox.pacs.servers import store_dir

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text, *a: said.append(text))
    asked_for_a_file: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (asked_for_a_file.append("asked"), ("", ""))[1])
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((64, 64), 500, np.uint16))
    window = opened_window(qtbot, path)
    window.ai_panel.editor.setPlainText("  \n ")
    assert window.save_report_pdf(send_to="") is None
    assert said == [NO_REPORT] and not any(store_dir().rglob("*.dcm"))
    with pytest.raises(NoReport):
        window.ai_panel.export(tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()
    window.ai_panel._export_dialog()  # the dock's Export...: the message before any file dialog
    assert said == [NO_REPORT, NO_REPORT] and asked_for_a_file == []
    window.close()


def test_the_report_as_a_dicom_encapsulated_pdf(qtbot, tmp_path: Path, monkeypatch) -> None:
    """AI → Save report as DICOM PDF: the PDF export (patient and exam header, the text) wrapped as
    an Encapsulated PDF of the study; the document read back from the DICOM file says it all."""
    import shutil
    import subprocess


    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((64, 64), 500, np.uint16))
    image = pydicom.dcmread(path)
    window = opened_window(qtbot, path)
    window.ai_panel.editor.setPlainText("FINDINGS: No pneumothorax.\nIMPRESSION: Normal chest.")
    written = pydicom.dcmread(window.save_report_pdf(send_to=""))
    assert written.SOPClassUID == "1.2.840.10008.5.1.4.1.1.104.1" and written.MIMETypeOfEncapsulatedDocument == "application/pdf"
    assert (written.StudyInstanceUID, written.PatientID) == (image.StudyInstanceUID, image.PatientID)
    pdf = bytes(written.EncapsulatedDocument)[: written.EncapsulatedDocumentLength]
    assert pdf.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils is installed by tools/run-tests.sh"
    (tmp_path / "back.pdf").write_bytes(pdf)
    text = subprocess.run([pdftotext, "-layout", str(tmp_path / "back.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "No pneumothorax" in text and f"Patient ID: {image.PatientID}" in text
    window.close()


def test_arrows_and_texts_as_a_presentation_state(tmp_path: Path, capsys) -> None:
    """The reader's arrow and text on a film as a GSPS: its graphic annotation references the film,
    the arrow's shaft from tail to head and its head, the text anchored where it was placed. In
    DICOM's pixel coordinates (PS3.3 C.10.5.1.2: 0.0\\0.0 is the top-left corner of the top-left
    pixel), the centre of the pixel in column 10, row 80 is 10.5\\80.5: the state wrote 10\\80,
    which every other viewer drew half a pixel up and left of where the reader put it."""
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((100, 120), 700, np.uint16))
    film = pydicom.dcmread(path)
    out = film_document(tmp_path, "annotations", film, tmp_path / "film", [
        StoredAnnotation("arrow", [(10.0, 80.0), (60.0, 40.0)]), StoredAnnotation("text", [(90.0, 20.0)], "effusion"),
        StoredAnnotation("length", [(1.0, 1.0), (5.0, 5.0)])])  # a measurement: in the TID 1500 report, not here
    assert "presentation state (GSPS), 2 arrow(s) and text(s)" in capsys.readouterr().out
    gsps = pydicom.dcmread(out)
    assert gsps.SOPClassUID == "1.2.840.10008.5.1.4.1.1.11.1" and gsps.StudyInstanceUID == film.StudyInstanceUID
    (annotation,) = gsps.GraphicAnnotationSequence
    assert annotation.ReferencedImageSequence[0].ReferencedSOPInstanceUID == film.SOPInstanceUID
    shaft, head = ([float(v) for v in g.GraphicData] for g in annotation.GraphicObjectSequence)
    assert shaft == [10.5, 80.5, 60.5, 40.5] and head[2:4] == [60.5, 40.5]  # the head's tip is the arrow's point
    (text,) = annotation.TextObjectSequence
    assert text.UnformattedTextValue == "effusion" and [float(v) for v in text.AnchorPoint] == [90.5, 20.5]


def test_arrows_on_a_colour_image_as_a_color_presentation_state(tmp_path: Path, capsys) -> None:
    """pydicom's RGB secondary capture (RLE): a Grayscale Softcopy Presentation State may not
    reference it (highdicom refused: "all referenced images must have a single sample per pixel",
    and the window then said to draw arrows first); a Color Softcopy Presentation State (PS3.3
    A.33.2) with an ICC profile does, and its arrow reads back."""
    import shutil

    from pydicom.data import get_testdata_file

    from lightbox.dicomreports.presentation import read_graphics

    (tmp_path / "sc").mkdir()
    path = Path(shutil.copy(get_testdata_file("SC_rgb_rle_32bit.dcm"), tmp_path / "sc" / "rgb.dcm"))
    image = pydicom.dcmread(path)
    out = film_document(tmp_path, "annotations", image, tmp_path / "sc",
                        [StoredAnnotation("arrow", [(10.0, 80.0), (60.0, 40.0)])])
    assert "presentation state (CSPS), 1 arrow(s) and text(s)" in capsys.readouterr().out
    state = pydicom.dcmread(out)
    assert state.SOPClassUID == "1.2.840.10008.5.1.4.1.1.11.2" and len(state.ICCProfile) > 0
    assert read_graphics(state) == [(image.SOPInstanceUID, "arrow", [(10.0, 80.0), (60.0, 40.0)], "", None)]
    # lying beside the image (as retrieved from a PACS), it gives the arrow back when the study opens
    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.viewer.index import build_index

    shutil.copy(out, tmp_path / "sc" / "csps.dcm")
    index = build_index(tmp_path / "sc")
    (series,) = [s for s in index.all_series() if s.kind == "film"]
    ((_, mark),) = marks_from_archive(index.documents, series)
    assert (mark.kind, mark.points) == ("arrow", [(10.0, 80.0), (60.0, 40.0)])


def test_arrows_on_a_legacy_multi_frame_image_are_written_with_its_display() -> None:
    """pydicom's RT dose (15 frames, no functional groups): highdicom failed with "'Dataset' object
    has no attribute 'SharedFunctionalGroupsSequence'" (then Lightbox refused in words). The state
    now gives the display itself: the image's rescale (no Rescale Slope: its Dose Grid Scaling,
    1e-6, as the viewer applies it, C.8.8.3) and, as it states no window, the one it was shown
    with, its VOI function included; the arrow is on its frame."""
    from pydicom.data import get_testdata_file

    from lightbox.dicomreports.presentation import presentation_state, read_graphics
    from lightbox.viewer.pixels import Window

    dose = pydicom.dcmread(get_testdata_file("rtdose.dcm"), stop_before_pixels=True)
    assert "RescaleSlope" not in dose and "WindowCenter" not in dose and float(dose.DoseGridScaling) == 1e-6
    state = presentation_state([(dose, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", 3)],
                               windows={dose.SOPInstanceUID: Window(0.6, 1.2, "LINEAR_EXACT")})
    assert read_graphics(state) == [(dose.SOPInstanceUID, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", 3)]
    assert (float(state.RescaleSlope), float(state.RescaleIntercept)) == (1e-6, 0.0)
    voi = state.SoftcopyVOILUTSequence[0]
    assert (float(voi.WindowCenter), float(voi.WindowWidth), voi.VOILUTFunction) == (0.6, 1.2, "LINEAR_EXACT")
    # without the shown window: one spanning the 32 stored bits the header states, in dose units
    voi = presentation_state([(dose, "text", [(1.0, 1.0)], "PTV", None)]).SoftcopyVOILUTSequence[0]
    top = (2**32 - 1) * 1e-6
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (pytest.approx(top / 2 + 0.5), pytest.approx(top + 1))
    assert "VOILUTFunction" not in voi  # LINEAR, the default


def test_marks_only_on_a_reformat_are_said_to_lie_on_no_image_not_to_be_missing(tmp_path: Path, capsys) -> None:
    """A length and an arrow drawn only on a coronal reformat: the CLI said "measure in the window
    first" / "draw them in the window first", as if none had been drawn. The arrow has no image
    for a presentation state to reference; the length, which the report could give in patient mm,
    has no Frame of Reference here to give it in."""
    paths = write_ct_series(tmp_path / "ct", axial_positions(6, spacing=2.0), rows=20, columns=20)
    uid = str(pydicom.dcmread(paths[0]).SeriesInstanceUID)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), uid, "coronal", [StoredAnnotation("length", [(0.0, 0.0), (5.0, 5.0)]),
                                                         StoredAnnotation("arrow", [(1.0, 1.0), (4.0, 4.0)])])
    for kind, said, words in (
            ("measurements", "length on the coronal plane: #1 CT (6 images) states no Frame of Reference to place it in",
             "no measurement of #1 CT (6 images) could be written"),
            ("annotations", "on the coronal reformat: no acquired image to reference", "none of the 1 arrow(s) and text(s)")):
        assert main(["report", kind, str(tmp_path / "ct"), "--out", str(tmp_path / f"{kind}.dcm"), "--db", db]) == 2
        printed = capsys.readouterr()
        assert said in printed.out
        assert words in printed.err and "left out above" in printed.err and "first" not in printed.err


def test_an_angle_and_a_cobb_angle_go_in_the_report_in_degrees_measured_in_millimetres(tmp_path: Path,
                                                                                     capsys) -> None:
    """They were left out of the measurement report without a word (only lengths and ROIs were
    written), so a Cobb angle a reader measured never reached the archive. Pixels 0.1 mm wide and
    0.2 mm tall: every expected angle is worked out in millimetres here, by hand."""
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((100, 120), 700, np.uint16), spacing=(0.2, 0.1))
    film = pydicom.dcmread(path)
    # vertex (50, 50); arms to (90, 50): 4 mm right; and to (90, 10): 4 mm right, 8 mm up
    vertex_angle = [(90.0, 50.0), (50.0, 50.0), (90.0, 10.0)]
    # endplates (10, 80)-(50, 70): 4 mm right, 2 mm up; (60, 20)-(100, 40): 4 mm right, 4 mm down
    endplates = [(10.0, 80.0), (50.0, 70.0), (60.0, 20.0), (100.0, 40.0)]
    out = film_document(tmp_path, "measurements", film, tmp_path / "film",
                        [StoredAnnotation("angle", vertex_angle), StoredAnnotation("cobb", endplates)])
    assert "2 measurement group(s)" in capsys.readouterr().out
    sr = pydicom.dcmread(out)
    (angle_id, angle_uid, angle_points, angle_values, _), (cobb_id, _, cobb_points, cobb_values, _) = \
        read_measurements(sr)
    assert angle_id.startswith("angle") and cobb_id.startswith("cobb") and angle_uid == film.SOPInstanceUID
    assert np.allclose(angle_points, vertex_angle) and np.allclose(cobb_points, endplates)
    assert angle_values == {"Angle": pytest.approx(math.degrees(math.atan2(8, 4)))}  # 63.4°, not the 45° of pixels
    assert cobb_values == {"Cobb angle": pytest.approx(math.degrees(math.atan2(2, 4) + math.atan2(4, 4)))}  # 71.6°
    numbers = [item for container in sr.ContentSequence if container.ConceptNameCodeSequence[0].CodeValue == "126010"
               for group in container.ContentSequence for item in group.ContentSequence if item.ValueType == "NUM"]
    assert [(n.ConceptNameCodeSequence[0].CodeValue, n.ConceptNameCodeSequence[0].CodingSchemeDesignator,
             n.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue) for n in numbers] == \
        [("1483009", "SCT", "deg"), ("285285000", "SCT", "deg")]  # PS3.16 CID 7550's Cobb angle; UCUM degrees


def test_an_angle_on_an_uncalibrated_film_is_written_as_shown(tmp_path: Path) -> None:
    """No pixel spacing: the angle the view shows (pixels as drawn, each twice as tall as wide by
    its Pixel Aspect Ratio 2\\1, PS3.3 C.7.6.3.1.7) is still an angle; a length would have no
    millimetres and gets none."""
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((100, 120), 700, np.uint16), spacing=None)
    ds = pydicom.dcmread(path)
    ds.PixelAspectRatio = [2, 1]
    ds.save_as(path)
    out = film_document(tmp_path, "measurements", ds, tmp_path / "film",
                        [StoredAnnotation("angle", [(90.0, 50.0), (50.0, 50.0), (90.0, 10.0)])])
    ((_, _, _, values, _),) = read_measurements(pydicom.dcmread(out))
    assert values == {"Angle": pytest.approx(math.degrees(math.atan2(2 * 40, 40)))}  # 63.4°: 45° on square pixels


def test_angles_drawn_with_the_mouse_are_saved_and_come_back_when_the_study_opens(qtbot, tmp_path: Path,
                                                                                  monkeypatch) -> None:
    """Tools → Angle (three clicks) and Cobb angle (four) on a film; AI → Save measurements as
    DICOM SR writes the degrees the labels show; the document, beside the film, gives the same
    angles back (Lightbox's own report) when the folder is opened again."""
    from PySide6.QtCore import QPoint, Qt

    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.viewer.index import build_index

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((200, 300), 500, np.uint16), spacing=(0.2, 0.1))
    window = opened_window(qtbot, path)
    widget, scene = window.area.viewports[0], window.area.viewports[0].scene
    for tool, clicks in (("angle", ((200, 100), (100, 100), (200, 40))), ("cobb", ((20, 150), (120, 130), (150, 40),
                                                                                  (250, 80)))):
        window.set_tool(tool)
        for c, r in clicks:
            x, y = scene.image_to_display(c, r)
            qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(widget.height() - 1 - y)))
    angle, cobb = scene.measurements
    written = window.save_measurements_sr(send_to="")
    (_, _, angle_points, angle_values, _), (_, _, cobb_points, cobb_values, _) = read_measurements(pydicom.dcmread(written))
    assert np.allclose(angle_points, angle.points) and np.allclose(cobb_points, cobb.points)
    assert f"{angle_values['Angle']:.1f}°" == scene.measure.label(angle)  # what the label said
    assert f"Cobb {cobb_values['Cobb angle']:.1f}°" == scene.measure.label(cobb)
    window.close()
    pydicom.dcmread(written).save_as(tmp_path / "film" / "measurements.dcm")
    index = build_index(tmp_path / "film")
    (series,) = [s for s in index.all_series() if s.kind == "film"]
    back = {a.kind: a.points for _, a in marks_from_archive(index.documents, series)}
    assert set(back) == {"angle", "cobb"}
    assert np.allclose(back["angle"], angle.points, atol=1e-4) and np.allclose(back["cobb"], cobb.points, atol=1e-4)
