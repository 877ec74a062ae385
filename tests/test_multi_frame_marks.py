"""Marks on multi-frame images go to the frame they were drawn on: the window keeps a film's mark by
its place among the films it shows (every frame of every instance), and the documents about them
(presentation state, TID 1500 report) reference that instance and frame (PS3.3 C.10.5); an RT dose
grid's frames lie where its Grid Frame Offset Vector puts them (C.8.8.3.2). Expectations are built
here from the files' own values, read back with pydicom."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import base_dataset, set_pixels

from lightbox.app.cli import main
from lightbox.dicomreports.measurements import read_measurements
from lightbox.dicomreports.presentation import read_graphics
from lightbox.studydb.annotations import StoredAnnotation, save_annotations
from lightbox.studydb.catalog import StudyCatalog

XA_MULTI_FRAME = "1.2.840.10008.5.1.4.1.1.12.1"  # X-Ray Angiographic Image Storage: frames, no functional groups


STUDY = "1.2.826.0.1.3680043.8.498.1"


def write_xa_cine(folder: Path, series_uid: str, instance: int, frames: int = 3) -> pydicom.Dataset:
    """A grey XA cine (one study) whose frame f holds 100 * instance + 10 * (f + 1) everywhere."""
    ds = base_dataset(XA_MULTI_FRAME, modality="XA", series_uid=series_uid, study_uid=STUDY)
    stored = np.stack([np.full((40, 50), 100 * instance + 10 * (f + 1), np.uint16) for f in range(frames)])
    set_pixels(ds, stored)
    ds.NumberOfFrames = frames
    ds.FrameIncrementPointer = pydicom.tag.Tag("FrameTime")
    ds.FrameTime = 33.3
    ds.ImagerPixelSpacing = [0.5, 0.5]
    ds.InstanceNumber = instance
    folder.mkdir(parents=True, exist_ok=True)
    ds.save_as(folder / f"xa{instance}.dcm", enforce_file_format=True)
    return ds


def reports(tmp_path: Path, folder: Path, series_uid: str, image: str, marks: list[StoredAnnotation],
            more: dict[str, list[StoredAnnotation]] | None = None) -> tuple:
    """The presentation state and the measurement report ``lightbox report`` writes of ``marks``
    kept on ``image`` (and ``more``, by image) as the window keeps them."""
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), series_uid, image, marks)
    for other, kept in (more or {}).items():
        save_annotations(StudyCatalog(db), series_uid, other, kept)
    state, sr = tmp_path / "state.dcm", tmp_path / "sr.dcm"
    assert main(["report", "annotations", str(folder), "--out", str(state), "--db", db]) == 0
    if not any(m.kind in ("length", "ellipse", "rectangle") for m in marks):
        return pydicom.dcmread(state), None
    assert main(["report", "measurements", str(folder), "--out", str(sr), "--db", db]) == 0
    return pydicom.dcmread(state), pydicom.dcmread(sr)


def test_a_mark_on_a_frame_of_the_second_cine_references_that_cine_and_frame(tmp_path: Path) -> None:
    """Two 3-frame XA cines: the window shows six films; "film 4" is the second cine's second
    frame. It was written as the fifth instance's (there is none: left out) and "film 1" as the
    second cine with no frame: an arrow on the wrong image, shown on all its frames."""
    from pydicom.uid import generate_uid

    series_uid = generate_uid()
    first, second = (write_xa_cine(tmp_path / "xa", series_uid, n) for n in (1, 2))
    arrow = StoredAnnotation("arrow", [(5.0, 30.0), (25.0, 10.0)])
    box = StoredAnnotation("rectangle", [(9.5, 9.5), (19.5, 14.5)])  # 10 x 5 pixels
    text = StoredAnnotation("text", [(3.0, 3.0)], "stenosis")
    state, sr = reports(tmp_path, tmp_path / "xa", series_uid, "film 4", [arrow, box], {"film 2": [text]})
    assert sorted(read_graphics(state), key=lambda g: g[4]) == [
        (second.SOPInstanceUID, "arrow", [(5.0, 30.0), (25.0, 10.0)], "", 2),
        (first.SOPInstanceUID, "text", [(3.0, 3.0)], "stenosis", 3)]  # "film 2": the first cine's third frame
    assert state.SOPClassUID == "1.2.840.10008.5.1.4.1.1.11.1"  # grey: a GSPS, written with the cine's own display
    ((_, uid, _, values, frame),) = read_measurements(sr)
    assert (uid, frame) == (second.SOPInstanceUID, 2)
    assert values["Area"] == pytest.approx(10 * 0.5 * 5 * 0.5)


def test_the_state_gives_the_cine_the_window_it_was_shown_with_and_the_marks_come_back(tmp_path: Path) -> None:
    """highdicom reads a grey image's display settings of a multi-frame IOD only from functional
    groups (it refused XA, US, NM, RT dose): the state gives them, the window the viewer showed;
    lying beside the images, it puts the arrow back on the frame it was drawn on."""
    from pydicom.uid import generate_uid

    from lightbox.app.compose import open_path
    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.viewer.index import build_index

    series_uid = generate_uid()
    for n in (1, 2):
        write_xa_cine(tmp_path / "xa", series_uid, n)
    state, _ = reports(tmp_path, tmp_path / "xa", series_uid, "film 4", [StoredAnnotation("arrow", [(5.0, 30.0), (25.0, 10.0)])])
    opened, _ = open_path(tmp_path / "xa")
    assert opened.series.kind == "film" and len(opened.films) == 6
    shown = opened.films[3].window  # the second cine opens on its first frame, with this window
    voi = state.SoftcopyVOILUTSequence[0]
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (pytest.approx(shown.center), pytest.approx(shown.width))
    shutil.copy(tmp_path / "state.dcm", tmp_path / "xa" / "gsps.dcm")
    index = build_index(tmp_path / "xa")
    (series,) = [s for s in index.all_series() if s.kind == "film"]
    ((image, mark),) = marks_from_archive(index.documents, series)
    assert (image, mark.kind, mark.points) == ("film 4", "arrow", [(5.0, 30.0), (25.0, 10.0)])


def test_a_grey_cine_is_shown_frame_by_frame_not_as_a_volume(tmp_path: Path) -> None:
    """One grey XA cine without per-frame positions: frames in time. It was opened as a volume,
    its frames stacked 1 mm apart (reformats of a time axis); two such cines of a series were
    already films. RT dose and other multi-frame objects with positions stay volumes."""
    from pydicom.uid import generate_uid

    from lightbox.app.compose import open_path

    write_xa_cine(tmp_path / "xa", generate_uid(), 1, frames=4)
    opened, _ = open_path(tmp_path / "xa")
    assert opened.series.kind == "film" and opened.volume is None
    assert [float(f.values[0, 0]) for f in opened.films] == [110.0, 120.0, 130.0, 140.0]
    assert "4 frames in time, shown one by one" in " ".join(opened.series.warnings)


@pytest.fixture
def dose(tmp_path: Path) -> Path:
    from pydicom.data import get_testdata_file

    (tmp_path / "dose").mkdir()
    return Path(shutil.copy(get_testdata_file("rtdose.dcm"), tmp_path / "dose" / "rtdose.dcm"))


def test_an_rt_dose_grid_lies_where_its_frame_offsets_put_it(dose: Path) -> None:
    """pydicom's RT dose: 15 frames 5 mm apart (Grid Frame Offset Vector 0, 5, ..., 70). They were
    stacked 1 mm apart: the grid shown at a fifth of its depth. Relative offsets (first 0) and the
    older absolute ones (z coordinates, axial grids) give the same positions."""
    from lightbox.app.compose import open_path

    ds = pydicom.dcmread(dose)
    offsets = [float(v) for v in ds.GridFrameOffsetVector]
    assert offsets[0] == 0 and len(set(np.diff(offsets))) == 1
    opened, _ = open_path(dose.parent)
    geometry = opened.volume.geometry
    assert geometry.spacing[2] == pytest.approx(offsets[1] - offsets[0])
    z0 = float(ds.ImagePositionPatient[2])
    assert geometry.index_to_world((0.0, 0.0, 14.0))[2] == pytest.approx(z0 + offsets[-1])
    ds.GridFrameOffsetVector = [z0 + v for v in offsets]  # absolute: the frames' z coordinates
    ds.save_as(dose)
    opened, _ = open_path(dose.parent)
    assert opened.volume.geometry.spacing[2] == pytest.approx(5.0)
    assert opened.volume.geometry.index_to_world((0.0, 0.0, 14.0))[2] == pytest.approx(z0 + offsets[-1])


def test_a_mark_on_a_dose_slice_references_its_frame_with_the_window_shown(tmp_path: Path, dose: Path) -> None:
    """A slice of a multi-frame volume is one of its frames: an arrow and a box on the slice 20 mm
    into the grid are on frame 5 (the state's window is the viewer's; highdicom had refused)."""
    from lightbox.app.compose import open_path

    ds = pydicom.dcmread(dose)
    x0, y0, z0 = (float(v) for v in ds.ImagePositionPatient)
    row_mm, col_mm = (float(v) for v in ds.PixelSpacing)

    def plane(column: float, row: float) -> tuple[float, float]:  # the axial plane's (u, v) = (x, -y) in mm
        return x0 + column * col_mm, -(y0 + row * row_mm)

    state, sr = reports(tmp_path, dose.parent, str(ds.SeriesInstanceUID), "axial", [
        StoredAnnotation("arrow", [plane(1, 1), plane(5, 5)], plane=z0 + 20.0),
        StoredAnnotation("rectangle", [plane(1.5, 1.5), plane(4.5, 3.5)], plane=z0 + 20.0)])
    ((uid, kind, points, _, frame),) = read_graphics(state)
    assert (uid, kind, frame) == (ds.SOPInstanceUID, "arrow", 5)
    assert np.allclose(points, [(1, 1), (5, 5)])
    ((_, uid, _, values, frame),) = read_measurements(sr)
    assert (uid, frame) == (ds.SOPInstanceUID, 5) and values["Area"] == pytest.approx(3 * col_mm * 2 * row_mm)
    shown = open_path(dose.parent)[0].volume.window
    voi = state.SoftcopyVOILUTSequence[0]
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (pytest.approx(shown.center), pytest.approx(shown.width))


def test_in_the_window_an_arrow_on_the_fifth_film_is_saved_on_that_cine_and_frame(qtbot, tmp_path: Path, monkeypatch) -> None:
    """As a reader: open a series of two cines, step with Down to the fifth film (the second cine's
    second frame), drag an arrow, AI → Save arrows and texts as DICOM presentation state."""
    from conftest import shown_window
    from pydicom.uid import generate_uid
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    told: list[str] = []  # a message box instead of the state would wait for a click: said here instead
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: told.append(a[2]))
    series_uid = generate_uid()
    first, second = (write_xa_cine(tmp_path / "xa", series_uid, n) for n in (1, 2))
    window = shown_window(qtbot)
    window.open_path(tmp_path / "xa")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    widget.setFocus()
    for _ in range(4):
        qtbot.keyClick(widget, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.area.viewports[0].scene.film is window.area.opened.films[4], timeout=5000)
    scene = window.area.viewports[0].scene
    assert float(scene.film.values[0, 0]) == 220.0  # the second cine's second frame
    window.set_tool("arrow")

    def at(column: float, row: float) -> QPoint:
        x, y = scene.image_to_display(column, row)
        ratio = widget.devicePixelRatioF()
        return QPoint(int(round(x / ratio)), int(round(widget.height() - 1 - y / ratio)))

    with qtbot.waitSignal(widget.measured, timeout=2000):
        qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=at(10, 30))
        qtbot.mouseMove(widget, at(20, 20))
        qtbot.mouseMove(widget, at(30, 10))
        qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=at(30, 10))
    path = window.save_presentation_state()
    assert path is not None, told
    ((uid, kind, points, _, frame),) = read_graphics(pydicom.dcmread(path))
    assert (uid, kind, frame) == (second.SOPInstanceUID, "arrow", 2) and uid != first.SOPInstanceUID
    assert np.allclose(points, [(10, 30), (30, 10)], atol=1.5)
    window.close()


def test_a_key_frame_of_a_cine_is_named_in_the_key_image_document_and_comes_back(tmp_path: Path) -> None:
    """K on the second cine's second frame ("film 4") and on the first cine's first ("film 0"): the
    Key Object Selection names those instances and frames (it named the wrong instance, and no
    frame); lying beside the images it flags those two films again."""
    from pydicom.uid import generate_uid

    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.dicomreports.key_images import referenced_frames
    from lightbox.viewer.index import build_index

    series_uid = generate_uid()
    first, second = (write_xa_cine(tmp_path / "xa", series_uid, n) for n in (1, 2))
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    for image in ("film 4", "film 0"):
        save_annotations(StudyCatalog(db), series_uid, image, [StoredAnnotation("key", [])])
    out = tmp_path / "kos.dcm"
    assert main(["report", "keyimages", str(tmp_path / "xa"), "--out", str(out), "--db", db]) == 0
    assert sorted(referenced_frames(pydicom.dcmread(out))) == sorted([(first.SOPInstanceUID, 1), (second.SOPInstanceUID, 2)])
    shutil.copy(out, tmp_path / "xa" / "kos.dcm")
    index = build_index(tmp_path / "xa")
    (series,) = [s for s in index.all_series() if s.kind == "film"]
    keys = [image for image, mark in marks_from_archive(index.documents, series) if mark.kind == "key"]
    assert sorted(keys) == ["film 0", "film 4"]


def test_a_grey_cine_has_one_window_over_its_frames_and_keeps_the_readers_display(qtbot, tmp_path: Path) -> None:
    """Each frame of a grey cine that states no window got its own automatic window: frames of
    110, 120, 130 and 140 (a contrast bolus arriving) were all shown the same grey, and the reader's
    window and zoom were lost at each step. One window over all frames (their 0.5 to 99.5
    percentiles: 110 to 140, so W 31 / L 125.5) shows 110 black and 140 white, and stepping keeps
    what the reader set."""
    from conftest import shown_window
    from pydicom.uid import generate_uid
    from PySide6.QtCore import Qt

    from lightbox.app.compose import open_path
    from lightbox.viewer.pixels import Window, window_values

    write_xa_cine(tmp_path / "xa", generate_uid(), 1, frames=4)
    opened, _ = open_path(tmp_path / "xa")
    assert {(f.window.center, f.window.width) for f in opened.films} == {(125.5, 31.0)}
    shown = [int(window_values(np.array([f.values[0, 0]]), f.window)[0]) for f in opened.films]
    assert shown[0] == 0 and shown[-1] == 255 and shown == sorted(shown)
    window = shown_window(qtbot)
    window.open_path(tmp_path / "xa")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    widget.setFocus()
    first = window.area.viewports[0].scene
    first.display.set_window(Window(120.5, 11.0))
    first.display.zoom = 3.0
    qtbot.keyClick(widget, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.area.viewports[0].scene is not first, timeout=5000)
    second = window.area.viewports[0].scene
    assert second.film is window.area.opened.films[1]
    assert (second.display.window_center, second.display.window_width, second.display.zoom) == (120.5, 11.0, 3.0)
    window.close()


@pytest.mark.parametrize(("attributes", "rate"), [
    ({"RecommendedDisplayFrameRate": 25, "CineRate": 30, "FrameTime": 100.0}, 25.0),
    ({"CineRate": 30, "FrameTime": 100.0}, 30.0),
    ({"FrameTime": 66.5}, 1000 / 66.5),
    ({"FrameTimeVector": [0, 50, 50, 50]}, 20.0),
    ({"FrameTime": 0.0001}, None),  # 10 million frames per second: not believed
    ({}, None),
])
def test_the_rate_a_cine_says_it_plays_at(attributes: dict, rate: float | None) -> None:
    from pydicom.dataset import Dataset

    from lightbox.viewer.loading import cine_rate

    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    assert cine_rate(ds) == (None if rate is None else pytest.approx(rate))


def test_space_plays_a_cine_at_its_recorded_rate_and_the_menu_overrides_it(qtbot, tmp_path: Path) -> None:
    """An XA run recorded at 33.3 ms a frame played at the reader's 12 images/s (a 30/s run at less
    than half speed); now at 30/s, said on the status bar; View → Cine speed still chooses."""
    from conftest import shown_window
    from pydicom.uid import generate_uid
    from PySide6.QtCore import Qt

    write_xa_cine(tmp_path / "xa", generate_uid(), 1, frames=4)
    window = shown_window(qtbot)
    window.open_path(tmp_path / "xa")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    viewport = window.area.viewports[0]
    viewport.setFocus()
    qtbot.keyClick(viewport, Qt.Key.Key_Space)
    assert window.cine.isActive() and window.cine.interval() == 33
    assert "CINE 30/s as recorded" in window.cine_label.text()
    window.set_cine_rate(8)
    assert window.cine.interval() == 125 and "CINE 8/s " in window.cine_label.text()
    qtbot.keyClick(viewport, Qt.Key.Key_Space)
    assert not window.cine.isActive()
    window.close()


def test_the_corner_says_which_cine_and_frame_an_image_is(tmp_path: Path) -> None:
    """Two runs of a series: "Image 5/6" alone read as one run of six; one run's images are its frames."""
    from pydicom.uid import generate_uid

    from lightbox.app.compose import frame_text, open_path

    series_uid = generate_uid()
    for n in (1, 2):
        write_xa_cine(tmp_path / "two", series_uid, n)
    opened, _ = open_path(tmp_path / "two")
    assert [frame_text(opened, n) for n in (0, 2, 3, 4)] == [
        "Image 1/6 (cine 1/2, frame 1/3)", "Image 3/6 (cine 1/2, frame 3/3)", "Image 4/6 (cine 2/2, frame 1/3)",
        "Image 5/6 (cine 2/2, frame 2/3)"]
    write_xa_cine(tmp_path / "one", generate_uid(), 1, frames=4)
    opened, _ = open_path(tmp_path / "one")
    assert [frame_text(opened, n) for n in range(4)] == ["Image 1/4", "Image 2/4", "Image 3/4", "Image 4/4"]


def _without_frames(kos: Path) -> None:
    """The document as a system that flags whole images writes it: no Referenced Frame Number."""
    ds = pydicom.dcmread(kos)
    for item in ds.ContentSequence:
        for reference in item.get("ReferencedSOPSequence", []):
            if "ReferencedFrameNumber" in reference:
                del reference.ReferencedFrameNumber
    ds.save_as(kos)


def test_a_key_image_document_naming_a_whole_cine_flags_each_of_its_frames(tmp_path: Path) -> None:
    """A KOS that names the second cine with no frame flags every frame of it (PS3.3 Table 10-3:
    no Referenced Frame Number means all frames); before, only its first frame came back."""
    from pydicom.uid import generate_uid

    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.dicomreports.key_images import referenced_frames
    from lightbox.viewer.index import build_index

    series_uid = generate_uid()
    first, second = (write_xa_cine(tmp_path / "xa", series_uid, n) for n in (1, 2))
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    save_annotations(StudyCatalog(db), series_uid, "film 4", [StoredAnnotation("key", [])])
    out = tmp_path / "xa" / "kos.dcm"
    assert main(["report", "keyimages", str(tmp_path / "xa"), "--out", str(tmp_path / "kos.dcm"), "--db", db]) == 0
    shutil.copy(tmp_path / "kos.dcm", out)
    _without_frames(out)
    assert referenced_frames(pydicom.dcmread(out)) == [(second.SOPInstanceUID, None)]
    index = build_index(tmp_path / "xa")
    (series,) = [s for s in index.all_series() if s.kind == "film"]
    keys = [image for image, mark in marks_from_archive(index.documents, series) if mark.kind == "key"]
    # the first cine's 3 frames are films 0-2, the second's films 3-5
    assert sorted(keys) == ["film 3", "film 4", "film 5"]
    assert first.NumberOfFrames == second.NumberOfFrames == 3


def test_a_key_image_document_naming_a_whole_dose_grid_flags_each_of_its_slices(tmp_path: Path, dose: Path) -> None:
    """A multi-frame volume named with no frame: every slice is flagged, at the planes its Grid
    Frame Offset Vector gives (read here from the file); before, nothing came back."""
    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.viewer.index import build_index

    ds = pydicom.dcmread(dose)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    z0 = float(ds.ImagePositionPatient[2])
    save_annotations(StudyCatalog(db), str(ds.SeriesInstanceUID), "axial", [StoredAnnotation("key", [], plane=z0 + 20.0)])
    kos = tmp_path / "kos.dcm"
    assert main(["report", "keyimages", str(dose.parent), "--out", str(kos), "--db", db]) == 0
    _without_frames(kos)
    shutil.copy(kos, dose.parent / "kos.dcm")
    index = build_index(dose.parent)
    (series,) = [s for s in index.all_series() if s.uid == str(ds.SeriesInstanceUID)]
    keys = [(image, mark.plane) for image, mark in marks_from_archive(index.documents, series) if mark.kind == "key"]
    assert [image for image, _ in keys] == ["axial"] * int(ds.NumberOfFrames)
    expected = sorted(z0 + float(v) for v in ds.GridFrameOffsetVector)
    assert sorted(plane for _, plane in keys) == pytest.approx(expected)
