"""Marks in DICOM's pixel coordinates (PS3.3 C.18.6.1.1 for an SR's SCOORD, C.10.5.1.2 for a
presentation state's graphics): 0.0\\0.0 is the top-left corner of the top-left pixel, so the
centre of the pixel in column c, row r is (c + 0.5, r + 0.5). Lightbox wrote and read pixel centres
as (c, r): its lengths, ROIs and arrows lay half a pixel up and left in every other viewer, and
theirs half a pixel down and right in Lightbox. The expected numbers here are the standard's,
worked out by hand; the documents "from another system" are written with highdicom directly."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import foreign_measurement_report, write_film
from pydicom.uid import generate_uid
from window_helpers import opened_window

from lightbox.app.cli import main
from lightbox.app.measurement_sr import marks_from_archive
from lightbox.dicomreports.measurement_display import measurement_presentation
from lightbox.dicomreports.presentation import read_graphics
from lightbox.studydb.annotations import StoredAnnotation, save_annotations
from lightbox.studydb.catalog import StudyCatalog
from lightbox.viewer.index import build_index


def _film(tmp_path: Path) -> tuple[Path, pydicom.Dataset]:
    path = write_film(tmp_path / "film" / "cr.dcm", np.full((100, 120), 700, np.uint16), spacing=(0.2, 0.1))
    film = pydicom.dcmread(path)
    for keyword in ("PatientBirthDate", "PatientSex", "ReferringPhysicianName", "StudyID", "AccessionNumber",
                    "StudyDate", "StudyTime"):  # the Type 2 attributes highdicom copies into a document
        if keyword not in film:
            setattr(film, keyword, "")
    film.save_as(path)
    return path, film


def _written(tmp_path: Path, kind: str, film: pydicom.Dataset, marks: list[StoredAnnotation]) -> pydicom.Dataset:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), str(film.SeriesInstanceUID), "film 0", marks)
    out = tmp_path / f"{kind}.dcm"
    assert main(["report", kind, str(tmp_path / "film"), "--out", str(out), "--db", db]) == 0
    return pydicom.dcmread(out)


def _scoord(sr: pydicom.Dataset) -> list[float]:
    (container,) = [c for c in sr.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "126010"]
    (group,) = container.ContentSequence
    (item,) = [i for i in group.ContentSequence if i.ValueType == "SCOORD"]
    return [float(v) for v in item.GraphicData]


def test_a_length_and_a_rectangle_are_written_at_pixel_centres(tmp_path: Path) -> None:
    _, film = _film(tmp_path)
    sr = _written(tmp_path, "measurements", film, [StoredAnnotation("length", [(0.0, 0.0), (119.0, 99.0)])])
    # from the centre of the top-left pixel to the centre of the bottom-right one
    assert _scoord(sr) == [0.5, 0.5, 119.5, 99.5]
    sr = _written(tmp_path, "measurements", film, [StoredAnnotation("rectangle", [(10.0, 20.0), (30.0, 40.0)])])
    assert _scoord(sr) == [10.5, 20.5, 30.5, 20.5, 30.5, 40.5, 10.5, 40.5, 10.5, 20.5]


def _beside(tmp_path: Path, document: pydicom.Dataset) -> list[tuple[str, StoredAnnotation]]:
    """The marks ``document``, lying beside the film, gives the window when the film opens."""
    document.save_as(tmp_path / "film" / "document.dcm", enforce_file_format=True)
    index = build_index(tmp_path / "film")
    (series,) = [s for s in index.all_series() if s.kind == "film"]
    return marks_from_archive(index.documents, series)


def _foreign_length_report(tmp_path: Path) -> tuple[pydicom.Dataset, pydicom.Dataset]:
    """The film, and a TID 1500 report another system wrote of a 3 mm length on it, from the centre
    of pixel (10, 20) to that of (40, 20) (observer Other^Reader)."""
    _, film = _film(tmp_path)
    sr = foreign_measurement_report(film, "POLYLINE", [(10.5, 20.5), (40.5, 20.5)],
                                    ("410668003", "Length", 3.0, "mm", "millimeter"), "Another Vendor",
                                    "length of the clavicle fracture")
    return film, sr


def test_another_systems_length_lands_on_the_pixels_it_names(tmp_path: Path) -> None:
    """Lightbox shows the length between those pixels' centres, (10, 20) and (40, 20)."""
    film, sr = _foreign_length_report(tmp_path)
    line, words = measurement_presentation(sr, film).graphics  # type: ignore[union-attr]
    assert (line.kind, line.points) == ("POLYLINE", ((10.0, 20.0), (40.0, 20.0)))
    assert (words.kind, words.points, words.text) == ("TEXT", ((43.0, 20.0),), "Length 3.0 mm")
    # another reader's measurements are shown as theirs (View → Presentation state), not made the
    # reader's own marks when the study opens (saved again, they would carry the reader's name)
    assert _beside(tmp_path, sr) == []


def test_another_systems_arrow_and_text_land_on_the_pixels_they_name(tmp_path: Path) -> None:
    from highdicom.pr import (
        AnnotationUnitsValues,
        GraphicAnnotation,
        GraphicLayer,
        GraphicObject,
        GraphicTypeValues,
        GrayscaleSoftcopyPresentationState,
        TextObject,
    )

    _, film = _film(tmp_path)
    layer = GraphicLayer(layer_name="MARKS", order=1)
    # an arrow from pixel (60, 40) to pixel (10, 80), its head a three-point polyline ending there
    shaft = GraphicObject(GraphicTypeValues.POLYLINE, np.array([(60.5, 40.5), (10.5, 80.5)]), AnnotationUnitsValues.PIXEL)
    head = GraphicObject(GraphicTypeValues.POLYLINE, np.array([(14.5, 74.5), (10.5, 80.5), (17.5, 78.5)]),
                         AnnotationUnitsValues.PIXEL)
    words = TextObject("effusion", AnnotationUnitsValues.PIXEL, anchor_point=(90.5, 20.5))
    annotation = GraphicAnnotation(referenced_images=[film], graphic_layer=layer, graphic_objects=[shaft, head],
                                   text_objects=[words])
    state = GrayscaleSoftcopyPresentationState(
        referenced_images=[film], series_instance_uid=generate_uid(), series_number=7, sop_instance_uid=generate_uid(),
        instance_number=1, manufacturer="Another Vendor", manufacturer_model_name="Viewer", software_versions="9",
        device_serial_number="1", content_label="MARKS", graphic_annotations=[annotation], graphic_layers=[layer])
    found = sorted(((kind, points, text) for _, kind, points, text, _ in read_graphics(state)), key=lambda m: m[0])
    assert found == [("arrow", [(60.0, 40.0), (10.0, 80.0)], ""), ("text", [(90.0, 20.0)], "effusion")]
    # a colleague's arrows are shown as the state (View → Presentation state), not made the
    # reader's own marks when the study opens (saved again, they would carry the reader's name)
    assert _beside(tmp_path, state) == []


def test_documents_lightbox_wrote_before_come_back_where_they_were_drawn(tmp_path: Path) -> None:
    """A measurement report and a presentation state Lightbox archived before it wrote DICOM's
    coordinates (Manufacturer "Lightbox", Software Versions absent or "1": centres on whole
    numbers) are read as they were written, not half a pixel off."""
    _, film = _film(tmp_path)
    sr = _written(tmp_path, "measurements", film, [StoredAnnotation("length", [(10.0, 20.0), (40.0, 20.0)])])
    del sr.SoftwareVersions
    (group,) = [c for c in sr.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "126010"][0].ContentSequence
    (item,) = [i for i in group.ContentSequence if i.ValueType == "SCOORD"]
    item.GraphicData = [10.0, 20.0, 40.0, 20.0]  # as the old writer put it
    ((_, mark),) = _beside(tmp_path, sr)
    assert mark.points == [(10.0, 20.0), (40.0, 20.0)]
    state = _written(tmp_path, "annotations", film, [StoredAnnotation("text", [(90.0, 20.0)], "effusion")])
    (tmp_path / "film" / "document.dcm").unlink()
    state.SoftwareVersions = "1"
    state.GraphicAnnotationSequence[0].TextObjectSequence[0].AnchorPoint = [90.0, 20.0]
    ((_, mark),) = _beside(tmp_path, state)
    assert (mark.kind, mark.points) == ("text", [(90.0, 20.0)])


def test_documents_lightbox_writes_now_come_back_where_they_were_drawn(tmp_path: Path) -> None:
    """Written at +0.5 (Software Versions names the convention), read at -0.5: the marks the
    reader drew, whole; Software Versions of several values (VM 1-n) naming it, likewise."""
    from lightbox.dicomreports.pixel_coordinates import SOFTWARE_VERSION, from_dicom

    _, film = _film(tmp_path)
    sr = _written(tmp_path, "measurements", film, [StoredAnnotation("length", [(10.0, 20.0), (40.0, 20.0)])])
    assert sr.SoftwareVersions == SOFTWARE_VERSION and _scoord(sr) == [10.5, 20.5, 40.5, 20.5]
    ((_, mark),) = _beside(tmp_path, sr)
    assert mark.points == [(10.0, 20.0), (40.0, 20.0)]
    sr.SoftwareVersions = ["7.1", SOFTWARE_VERSION]
    assert from_dicom([(10.5, 20.5)], sr) == [(10.0, 20.0)]
    sr.SoftwareVersions = ["7.1", "2"]  # Lightbox's, but not naming the convention: written before it
    assert from_dicom([(10.5, 20.5)], sr) == [(10.5, 20.5)]


@pytest.mark.usefixtures("qtbot")
def test_another_readers_report_is_offered_in_the_view_menu(qtbot, tmp_path: Path, monkeypatch) -> None:
    """The film opens with another system's TID 1500 report beside it: the status bar says so, the
    film has none of its marks as the reader's own, View → Presentation state lists "Measurements
    by Other Reader" and shows its length and values."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    _, sr = _foreign_length_report(tmp_path)
    sr.save_as(tmp_path / "film" / "report.dcm", enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "film")
    assert "1 other reader's measurement report(s) present this image" in window.statusBar().currentMessage()
    scene = window.area.active_scene()
    assert scene.measurements == []  # type: ignore[attr-defined]
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    assert [a.text() for a in menu.actions() if a.text()] == ["As acquired (no presentation state)",
                                                               "Measurements by Other Reader"]
    next(a for a in menu.actions() if a.text().startswith("Measurements")).trigger()
    assert [g.text for g in scene.presentation.graphics if g.kind == "TEXT"] == ["Length 3.0 mm"]  # type: ignore[attr-defined]
    assert "Presentation state: MEASUREMENTS" in scene.corners.actors["lower_left"].GetInput()  # type: ignore[attr-defined]
    window.close()
