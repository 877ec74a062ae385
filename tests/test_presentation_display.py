"""A softcopy presentation state from another system applied to a film (PS3.4 N.2; PS3.3
A.33.1): its window in the state's own rescale, Presentation LUT Shape, flip and rotation,
displayed area, shutter, overlay activation and graphics in PIXEL and DISPLAY units. The states
are written with highdicom (plus the modules it leaves to the caller); the expected numbers and
pixels are worked out here from the standard, not read back from Lightbox."""
from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import foreign_measurement_report, write_film
from highdicom.pr import (
    AnnotationUnitsValues,
    GraphicAnnotation,
    GraphicLayer,
    GraphicObject,
    GraphicTypeValues,
    GrayscaleSoftcopyPresentationState,
    SoftcopyVOILUTTransformation,
    TextObject,
)
from PIL import Image
from pydicom.uid import generate_uid
from window_helpers import opened_window, screen_greys

from lightbox.app.cli import main
from lightbox.dicomreports.presentation_display import presentation_of
from lightbox.viewer.pixels import Window

TYPE2 = ("PatientBirthDate", "PatientSex", "ReferringPhysicianName", "StudyID", "AccessionNumber", "StudyDate", "StudyTime")


def _film(path: Path, stored: np.ndarray, **options: object) -> pydicom.Dataset:
    write_film(path, stored, **options)  # type: ignore[arg-type]
    film = pydicom.dcmread(path)
    for keyword in TYPE2:  # what highdicom copies into a state from the image
        if keyword not in film:
            setattr(film, keyword, "")
    film.save_as(path)
    return film


def _state(film: pydicom.Dataset, *, window: tuple[float, float] | None = None, objects: list | None = None,
           texts: list | None = None, layer_grey: int | None = None, **extra: object) -> pydicom.Dataset:
    layer = GraphicLayer(layer_name="PRIOR", order=1)
    if layer_grey is not None:
        layer.GraphicLayerRecommendedDisplayGrayscaleValue = layer_grey
    annotations = [GraphicAnnotation(referenced_images=[film], graphic_layer=layer, graphic_objects=objects or None,
                                     text_objects=texts or None)] if objects or texts else None
    voi = [SoftcopyVOILUTTransformation(window_center=window[0], window_width=window[1])] if window else None
    state = GrayscaleSoftcopyPresentationState(
        referenced_images=[film], series_instance_uid=generate_uid(), series_number=80, sop_instance_uid=generate_uid(),
        instance_number=1, manufacturer="Another PACS", manufacturer_model_name="Viewer", software_versions="7",
        device_serial_number="1", content_label="PRIOR_READ", content_description="as reported",
        graphic_annotations=annotations, graphic_layers=[layer] if annotations else None, voi_lut_transformations=voi)
    for keyword, value in extra.items():
        if keyword == "area":
            item = state.DisplayedAreaSelectionSequence[0]
            (item.DisplayedAreaTopLeftHandCorner, item.DisplayedAreaBottomRightHandCorner) = value  # type: ignore[misc]
        else:
            setattr(state, keyword, value)
    return state


def test_the_window_is_read_in_the_states_rescale_and_given_in_the_films_values(tmp_path: Path) -> None:
    """The image stores s and shows 2 s - 1000; the state's Modality LUT is the identity (slope 1,
    intercept 0) and its window 600 / 200 in stored values: the film's values 2 * 600 - 1000 = 200,
    400 wide."""
    film = _film(tmp_path / "cr.dcm", np.full((20, 30), 600, np.uint16), slope=2.0, intercept=-1000.0)
    state = _state(film, window=(600.0, 200.0))
    state.RescaleSlope, state.RescaleIntercept, state.RescaleType = 1, 0, "US"
    presentation = presentation_of(state, film)
    assert presentation is not None and presentation.window == Window(200.0, 400.0)
    assert presentation.label == "PRIOR_READ" and presentation.not_applied == ()
    # a state without a rescale of its own reads its window in the image's values
    del state.RescaleSlope, state.RescaleIntercept, state.RescaleType
    assert presentation_of(state, film).window == Window(600.0, 200.0)  # type: ignore[union-attr]
    # a state that presents another image says nothing of this one
    other = pydicom.dcmread(tmp_path / "cr.dcm")
    other.SOPInstanceUID = generate_uid()
    assert presentation_of(state, other) is None


def test_display_units_follow_the_displayed_area_as_turned(tmp_path: Path) -> None:
    """DISPLAY units are fractions of the displayed area as shown (C.10.5.1.2). The area is
    columns 1..100, rows 1..50 (1-based); turned 90 degrees clockwise, the screen's top-left
    corner is the image's bottom-left: the pixel edge at column -0.5, row 49.5 (pixel centres on
    whole numbers), and the screen's centre the area's, (49.5, 24.5)."""
    film = _film(tmp_path / "cr.dcm", np.zeros((80, 120), np.uint16))
    corner = GraphicObject(GraphicTypeValues.POLYLINE, np.array([(0.0, 0.0), (0.5, 0.5)]), AnnotationUnitsValues.DISPLAY)
    text = TextObject("here", AnnotationUnitsValues.PIXEL, anchor_point=(10.5, 20.5))
    state = _state(film, objects=[corner], texts=[text], area=([1, 1], [100, 50]), ImageRotation=90)
    presentation = presentation_of(state, film)
    assert presentation is not None and presentation.rotation == 90
    area = presentation.area
    assert area is not None and (area.left, area.top, area.right, area.bottom, area.mode) == (0, 0, 99, 49, "SCALE TO FIT")
    line, words = presentation.graphics
    assert line.kind == "POLYLINE" and line.points == ((-0.5, 49.5), (49.5, 24.5))
    assert (words.kind, words.points, words.text) == ("TEXT", ((10.0, 20.0),), "here")
    # flipped first, then turned (C.10.6.1): the flip brings the bottom-right corner to the
    # bottom-left, which the turn brings to the screen's top-left
    state.ImageHorizontalFlip = "Y"
    assert presentation_of(state, film).graphics[0].points[0] == (99.5, 49.5)  # type: ignore[union-attr]


def test_what_is_not_applied_is_said(tmp_path: Path) -> None:
    film = _film(tmp_path / "cr.dcm", np.zeros((40, 40), np.uint16))
    state = _state(film, area=([1, 1], [40, 40]), ImageRotation=45, ShutterShape="BITMAP")
    state.DisplayedAreaSelectionSequence[0].PresentationSizeMode = "TRUE SIZE"
    state.DisplayedAreaSelectionSequence[0].PresentationPixelSpacing = [0.2, 0.2]
    presentation = presentation_of(state, film)
    assert presentation is not None and presentation.rotation == 0
    assert presentation.not_applied == (
        "a bitmap presentation state's shutter is not applied (it names no Shutter Overlay Group): the whole image is shown",
        "a rotation of 45 degrees (the standard allows 0, 90, 180, 270)")
    area = presentation.area  # TRUE SIZE is the display's to do, knowing its pixel pitch (FilmScene)
    assert area is not None and (area.mode, area.pixel_spacing) == ("TRUE SIZE", (0.2, 0.2))
    state.DisplayedAreaSelectionSequence[0].PresentationPixelSpacing = [0.2, 0]
    presentation = presentation_of(state, film)
    assert presentation is not None and presentation.area is not None and presentation.area.pixel_spacing is None
    assert presentation.not_applied[-1] == \
        "a Presentation Pixel Spacing that is not two positive numbers (the image's own used)"


@pytest.mark.usefixtures("qtbot")
def test_a_states_true_size_shows_a_millimetre_as_a_millimetre_by_the_pitch_set(qtbot, tmp_path: Path,
                                                                                monkeypatch) -> None:
    """TRUE SIZE (C.10.4.1.1) by the state's Presentation Pixel Spacing: its columns 0.5 mm apart
    (the film says 0.2) on a display of 0.25 mm pixels is 2 screen pixels a column, so the 20
    columns of its displayed area (10 mm) span 40 screen pixels, 10 mm; kept through a resize and
    Reset view. Without the pitch it is scaled to fit the area, and said."""
    from lightbox.app.preferences import Preferences

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, np.zeros((100, 100), np.uint16), spacing=(0.2, 0.2))
    state = _state(film, area=([11, 21], [30, 40]))  # columns 10..29, rows 20..39 (0-based): centred on (19.5, 29.5)
    state.DisplayedAreaSelectionSequence[0].PresentationSizeMode = "TRUE SIZE"
    state.DisplayedAreaSelectionSequence[0].PresentationPixelSpacing = [0.5, 0.5]
    state.save_as(tmp_path / "film" / "state.dcm", enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "film")
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    scene = window.area.active_scene()
    width, height = scene.size  # type: ignore[attr-defined]
    assert scene.display.zoom == pytest.approx(min(width, height) / 20)  # type: ignore[attr-defined]
    assert window.statusBar().currentMessage().endswith(
        "; not applied: TRUE SIZE (scaled to fit: the display's pixel pitch is not known; set it in File → Preferences)")
    prefs = Preferences.load()
    prefs.display_pixel_pitch_mm = 0.25
    window.apply_preferences(prefs)
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    assert scene.display.zoom == 2.0  # type: ignore[attr-defined]
    assert 20 * scene.display.zoom * 0.25 == 10.0  # 10 mm by the state's spacing, in mm on the screen
    assert "not applied" not in window.statusBar().currentMessage()
    # centred on the area: 30 columns left of the film's middle (49.5), 20 rows above it (world y runs with the rows)
    assert (scene.display.pan_x, scene.display.pan_y) == pytest.approx((-30.0, -20.0))  # type: ignore[attr-defined]
    window.resize(window.width() - 120, window.height() - 80)
    qtbot.waitUntil(lambda: scene.size != (width, height), timeout=5000)  # type: ignore[attr-defined]
    scene.resized()  # type: ignore[attr-defined]
    assert scene.display.zoom == 2.0  # type: ignore[attr-defined]
    window.reset_view()
    assert scene.display.zoom == 2.0  # type: ignore[attr-defined]
    window.close()


def _grey(shot: Path, x: int, y: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in np.asarray(Image.open(shot).convert("RGB"))[y, x])  # type: ignore[return-value]


def test_the_screenshot_shows_the_film_as_the_state_says(tmp_path: Path, capsys) -> None:
    """A 100 x 100 film whose top-left quarter stores 1000 and the rest 0, its own window 500 / 2000
    (greys: 191 and 64). The state: window 1000 / 2 (1000 white, 0 black), turned 90 degrees
    clockwise (the top-left quarter goes to the top-right), a rectangular shutter over columns
    1..100, rows 51..100 shown (the top half hidden, in white, P-value FFFFH), and a horizontal
    line of its layer's grey (0x8000 of FFFFH: 128) across row 75. Shown 400 x 400: 4 screen pixels
    an image pixel."""
    stored = np.zeros((100, 100), np.uint16)
    stored[:50, :50] = 1000
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, stored, window=(500.0, 2000.0), spacing=None, patient_orientation=None)
    line = GraphicObject(GraphicTypeValues.POLYLINE, np.array([(10.5, 75.5), (90.5, 75.5)]), AnnotationUnitsValues.PIXEL)
    state = _state(film, window=(1000.0, 2.0), objects=[line], layer_grey=0x8000, ImageRotation=90,
                   ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=1, ShutterRightVerticalEdge=100,
                   ShutterUpperHorizontalEdge=51, ShutterLowerHorizontalEdge=100, ShutterPresentationValue=0xFFFF)
    state.save_as(tmp_path / "state.dcm", enforce_file_format=True)
    shot = tmp_path / "shot.png"
    assert main(["screenshot", str(path), "--presentation", str(tmp_path / "state.dcm"), "--out", str(shot),
                 "--size", "400x400"]) == 0
    # turned clockwise, image row r lies at screen column (99 - r) * 4 .. and image column c at screen row c * 4 ..
    # image rows 50..99 (shown by the shutter): screen columns 0..199; the top quarter's rows 0..49 hidden (white)
    assert _grey(shot, 100, 100) == (0, 0, 0)  # image row 75, column 25: stored 0, black in the state's window
    assert _grey(shot, 100, 300) == (0, 0, 0)  # image row 75, column 75: stored 0
    assert _grey(shot, 300, 100) == (255, 255, 255)  # image row 25, column 25: under the shutter (white)
    assert _grey(shot, 300, 300) == (255, 255, 255)  # image row 25, column 75: under the shutter
    # the line along image row 75 from column 10 to 90: screen column (99 - 75) * 4 + 2 = 98, rows 42..362
    column = np.asarray(Image.open(shot).convert("RGB"))[120:340, 96:101]
    assert (column == 128).all(axis=2).any(axis=1).all()  # every row crosses the grey line
    # as acquired: the film's own window, not turned, no shutter, no line
    plain = tmp_path / "plain.png"
    assert main(["screenshot", str(path), "--out", str(plain), "--size", "400x400"]) == 0
    # C.11.2.1.2.1: ((x - (c - 0.5)) / (w - 1) + 0.5) * 255 = 191.3 for 1000, 63.8 for 0 (c 500, w 2000)
    assert _grey(plain, 100, 100) == (191, 191, 191)  # the top-left quarter where it was acquired
    assert _grey(plain, 300, 300) == (64, 64, 64)


def test_a_file_that_is_no_state_or_presents_another_image_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, np.zeros((20, 20), np.uint16))
    assert main(["screenshot", str(path), "--presentation", str(path), "--out", str(tmp_path / "a.png")]) == 2
    assert "is not a softcopy presentation state (GSPS or CSPS)" in capsys.readouterr().err
    other = pydicom.dcmread(path)
    other.SOPInstanceUID = generate_uid()
    _state(other).save_as(tmp_path / "other.dcm", enforce_file_format=True)
    assert main(["screenshot", str(path), "--presentation", str(tmp_path / "other.dcm"), "--out", str(tmp_path / "b.png")]) == 2
    assert "presents none of the images of" in capsys.readouterr().err
    (tmp_path / "junk.dcm").write_bytes(b"not dicom at all")
    assert main(["screenshot", str(path), "--presentation", str(tmp_path / "junk.dcm"), "--out", str(tmp_path / "c.png")]) == 2
    assert "cannot be read as DICOM" in capsys.readouterr().err
    assert film.SOPInstanceUID != other.SOPInstanceUID


@pytest.mark.usefixtures("qtbot")
def test_the_view_menu_lists_and_applies_the_state_found_with_the_film(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Opening a folder where a state lies beside the film: the status bar says so; View →
    Presentation state lists it; choosing it turns the film as the state says and puts its name in
    the corner; As acquired turns it back."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, np.zeros((100, 100), np.uint16))
    _state(film, window=(10.0, 20.0), ImageRotation=180).save_as(tmp_path / "film" / "state.dcm", enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "film")
    assert "1 presentation state(s) present this image" in window.statusBar().currentMessage()
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    titles = [a.text() for a in menu.actions() if a.text()]
    assert titles == ["As acquired (no presentation state)", "PRIOR_READ - as reported"]
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    scene = window.area.active_scene()
    assert scene.display.rotation == 180 and scene.display.window == Window(10.0, 20.0)  # type: ignore[attr-defined]
    assert "Presentation state: PRIOR_READ" in scene.corners.actors["lower_left"].GetInput()  # type: ignore[attr-defined]
    scene.display.rotate(90)  # type: ignore[attr-defined]
    window.auto_window()
    window.reset_view()  # back to what the state says, not to the image's own window
    assert scene.display.rotation == 180 and scene.display.window == Window(10.0, 20.0)  # type: ignore[attr-defined]
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("As acquired")).trigger()
    assert scene.display.rotation == 0 and scene.presentation is None  # type: ignore[attr-defined]
    assert "Presentation state" not in scene.corners.actors["lower_left"].GetInput()  # type: ignore[attr-defined]
    window.close()


def test_a_state_whose_manufacturer_cannot_be_read_is_still_applied(tmp_path: Path) -> None:
    """Fuzzing found it: a Manufacturer element of an unknown VR ("LX") raised NotImplementedError
    from the check whether Lightbox wrote the state (its coordinates); it reads as absent."""
    import io

    film = _film(tmp_path / "cr.dcm", np.zeros((40, 40), np.uint16))
    line = GraphicObject(GraphicTypeValues.POLYLINE, np.array([(1.5, 2.5), (30.5, 2.5)]), AnnotationUnitsValues.PIXEL)
    buffer = io.BytesIO()
    _state(film, objects=[line]).save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    tag = b"\x08\x00\x70\x00LO"  # (0008,0070) Manufacturer, explicit VR little endian
    damaged = pydicom.dcmread(io.BytesIO(data.replace(tag, b"\x08\x00\x70\x00LX", 1)), force=True)
    with pytest.raises(NotImplementedError):
        _ = damaged.Manufacturer  # the state's own, the first in the file
    presentation = presentation_of(damaged, film)
    assert presentation is not None and presentation.graphics[0].points == ((1.0, 2.0), (30.0, 2.0))


def test_inspect_names_the_state_and_the_images_it_presents(tmp_path: Path, capsys) -> None:
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, np.zeros((20, 20), np.uint16))
    _state(film).save_as(tmp_path / "film" / "state.dcm", enforce_file_format=True)
    assert main(["inspect", str(tmp_path / "film"), "--no-pixels"]) == 0
    assert (f"state.dcm: Grayscale Softcopy Presentation State \"PRIOR_READ - as reported\", presents "
            f"#{film.get('SeriesNumber', '-')} CR: 1 image(s)") in capsys.readouterr().out


def _ct_with_state(tmp_path: Path) -> tuple[list[pydicom.Dataset], pydicom.Dataset]:
    """Five axial CT slices 2 mm apart (stored s, shown s - 1024 HU) and a state on the third: a
    line from the centre of pixel (4, 10) to that of (20, 10), a text at pixel (4, 8), and a lung
    window -600 / 1500 HU given in the state's own Modality LUT (stored values: slope 1, 0)."""
    from dicom_factory import axial_positions, write_ct_series

    paths = write_ct_series(tmp_path / "ct", axial_positions(5, spacing=2.0), rows=30, columns=24)
    slices = [pydicom.dcmread(p, stop_before_pixels=True) for p in paths]
    third = slices[2]
    for keyword in TYPE2:
        if keyword not in third:
            setattr(third, keyword, "")
    line = GraphicObject(GraphicTypeValues.POLYLINE, np.array([(4.5, 10.5), (20.5, 10.5)]), AnnotationUnitsValues.PIXEL)
    words = TextObject("RUL nodule", AnnotationUnitsValues.PIXEL, anchor_point=(4.5, 8.5))
    state = _state(third, window=(-600.0 + 1024.0, 1500.0), objects=[line], texts=[words], layer_grey=0xFFFF)
    state.RescaleSlope, state.RescaleIntercept, state.RescaleType = 1, 0, "US"
    state.save_as(tmp_path / "ct" / "state.dcm", enforce_file_format=True)
    return slices, third


def test_a_state_on_a_ct_slice_gives_its_marks_on_that_slice_in_plane_mm(tmp_path: Path) -> None:
    """On the axial plane Lightbox keeps marks as u = x, v = -y in patient mm (LPS); pixel (c, r)
    of a slice lies at x0 + c * column spacing, y0 + r * row spacing (PS3.3 C.7.6.2.1.1)."""
    from lightbox.app.presentation_menu import volume_state
    from lightbox.viewer.index import build_index

    slices, third = _ct_with_state(tmp_path)
    (series,) = build_index(tmp_path / "ct").all_series()
    found = volume_state(series, pydicom.dcmread(tmp_path / "ct" / "state.dcm"))
    assert found is not None and found.plane == "axial" and found.label == "PRIOR_READ"
    assert found.window == Window(-600.0, 1500.0) and found.not_applied == []
    x0, y0, z = (float(v) for v in third.ImagePositionPatient)
    row_mm, col_mm = (float(v) for v in third.PixelSpacing)
    line, words = sorted(found.marks, key=lambda m: m.text)
    assert line.plane == pytest.approx(z) and words.plane == pytest.approx(z)
    assert np.allclose(line.points, [(x0 + 4 * col_mm, -(y0 + 10 * row_mm)), (x0 + 20 * col_mm, -(y0 + 10 * row_mm))])
    assert words.text == "RUL nodule" and np.allclose(words.points, [(x0 + 4 * col_mm, -(y0 + 8 * row_mm))])
    assert line.colour == (255, 255, 255)


@pytest.mark.usefixtures("qtbot")
def test_the_view_menu_applies_a_state_to_a_ct(qtbot, tmp_path: Path, monkeypatch) -> None:
    """Opening the CT: the status bar says a state presents its images; View → Presentation state
    on the axial pane sets the state's window and shows its line and text on the third slice only."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    slices, third = _ct_with_state(tmp_path)
    window = opened_window(qtbot, tmp_path / "ct")
    assert "1 presentation state(s) present images of this series" in window.statusBar().currentMessage()
    axial = next(s for s in window.area.scenes() if getattr(s, "plane", "") == "axial")
    window.area.active = next(w for w in window.area.viewports if w.scene is axial)
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    assert axial.display.window == Window(-600.0, 1500.0) and axial.state_label == "PRIOR_READ"
    z = float(third.ImagePositionPatient[2])

    def drawn() -> tuple[int, list[str]]:
        lines = sum(p._lines.GetNumberOfCells() for p in axial.state_graphics.lines.values())  # noqa: SLF001
        texts = [a.GetInput() for w in axial.state_graphics.texts.values() for a in w.actors if a.GetVisibility()]
        return lines, texts

    axial.move_to(z)
    assert drawn() == (1, ["RUL nodule"])
    assert "Presentation state: PRIOR_READ" in axial.corners.actors["lower_left"].GetInput()
    axial.move_to(z + 2.0)  # the next slice: not there
    assert drawn() == (0, [])
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("As acquired")).trigger()
    axial.move_to(z)
    assert drawn() == (0, []) and axial.display.window == Window(40.0, 400.0)  # the slices' own window
    window.close()


def test_the_screenshot_of_a_ct_with_a_state(tmp_path: Path, capsys) -> None:
    """`lightbox screenshot CT --presentation STATE`: the slice the state marks, in its window."""
    _ct_with_state(tmp_path)
    shot, plain = tmp_path / "shot.png", tmp_path / "plain.png"
    assert main(["screenshot", str(tmp_path / "ct"), "--presentation", str(tmp_path / "ct" / "state.dcm"),
                 "--out", str(shot), "--size", "240x300"]) == 0
    assert main(["screenshot", str(tmp_path / "ct"), "--out", str(plain), "--size", "240x300"]) == 0
    # the slices store 1000 + n (n = 0..4) shown s - 1024: the third, -22 HU, in the lung window
    # -600 / 1500 is ((-22 + 600.5) / 1499 + 0.5) * 255 = 225.9; as acquired the middle slice (the
    # third too) in its own window 40 / 400: ((-22 - 39.5) / 399 + 0.5) * 255 = 88.2
    centre = (120, 160)
    assert _grey(shot, *centre) == (226, 226, 226) and _grey(plain, *centre) == (88, 88, 88)


def test_an_interpolated_curve_is_smooth_through_its_points_and_a_pointer_text_draws_its_pointer(tmp_path: Path) -> None:
    """INTERPOLATED: a Catmull-Rom curve through (0,0), (10,10), (20,0) (the ends repeated): half
    way between the first two, 0.5 (2 p1 + (p2 - p0) t + (2 p0 - 5 p1 + 4 p2 - p3) t² + (3 p1 - p0 -
    3 p2 + p3) t³) at t = 0.5 is (4.375, 5.625), off the straight line's (5, 5). A text in a box
    with a visible anchor (C.10.5.1.1) gets the line from the box's nearest edge to the anchor."""
    from lightbox.dicomreports.presentation_display import graphic_polylines

    film = _film(tmp_path / "cr.dcm", np.zeros((60, 80), np.uint16))
    curve = GraphicObject(GraphicTypeValues.INTERPOLATED, np.array([(0.5, 0.5), (10.5, 10.5), (20.5, 0.5)]),
                          AnnotationUnitsValues.PIXEL)
    words = TextObject("effusion", AnnotationUnitsValues.PIXEL, bounding_box=(20.5, 10.5, 40.5, 15.5),
                       anchor_point=(60.5, 30.5), anchor_point_visible=True)
    presentation = presentation_of(_state(film, objects=[curve], texts=[words]), film)
    assert presentation is not None
    by_kind = {g.kind: g for g in presentation.graphics}
    (smooth,) = graphic_polylines(by_kind["INTERPOLATED"])
    assert smooth[0] == (0.0, 0.0) and smooth[-1] == (20.0, 0.0) and (10.0, 10.0) in smooth
    assert smooth[4] == pytest.approx((4.375, 5.625))
    assert by_kind["TEXT"].points == ((20.0, 10.0), (40.0, 15.0))
    assert by_kind["POLYLINE"].points == ((40.0, 15.0), (60.0, 30.0))


@pytest.mark.usefixtures("qtbot")
def test_a_state_on_a_cine_follows_its_frames(qtbot, tmp_path: Path, monkeypatch) -> None:
    """A three-frame XA run; a state on frames 1 and 2 (a point on each, elsewhere) with a window.
    Chosen on frame 1, it stays as the reader steps on: frame 2 shows its own point; frame 3, which
    it does not present, none; a window the reader sets on frame 3 is kept back on frame 2 (the
    state is not applied again over it). As acquired takes it off every frame."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    frames = np.stack([np.full((40, 40), 100 * (n + 1), np.uint16) for n in range(3)])
    path = tmp_path / "xa" / "run.dcm"
    film = _film(path, frames[0], modality="XA", window=(200, 400))
    film.NumberOfFrames, film.PixelData = 3, frames.tobytes()
    film.save_as(path)
    film = pydicom.dcmread(path, stop_before_pixels=True)
    for keyword in TYPE2:
        if keyword not in film:
            setattr(film, keyword, "")
    state = _state(film, window=(150.0, 100.0), objects=[GraphicObject(
        GraphicTypeValues.POINT, np.array([(5.5, 5.5)]), AnnotationUnitsValues.PIXEL)])
    # the state's references name frames 1 and 2 (highdicom names frames of multi-frame classes
    # only; the run is stored as CR here): its annotation copied once per frame, each naming its own
    first = state.GraphicAnnotationSequence[0]
    second = copy.deepcopy(first)
    second.GraphicObjectSequence[0].GraphicData = [11.0, 5.5]
    for n, annotation in ((1, first), (2, second)):
        annotation.ReferencedImageSequence[0].ReferencedFrameNumber = n
    state.GraphicAnnotationSequence.append(second)
    state.ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedFrameNumber = [1, 2]
    state.save_as(tmp_path / "xa" / "state.dcm", enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "xa")
    assert len(window.area.opened.films) == 3
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()

    def shown() -> tuple[object, object]:
        scene = window.area.active_scene()
        presentation = scene.presentation  # type: ignore[attr-defined]
        return (presentation.graphics[0].points if presentation is not None else None), scene.display.window  # type: ignore[attr-defined]

    assert shown() == (((5.0, 5.0),), Window(150.0, 100.0))
    window._scroll_active(1)
    assert shown() == (((10.5, 5.0),), Window(150.0, 100.0))
    window._scroll_active(1)
    assert shown()[0] is None  # frame 3: not presented
    window.area.active_scene().display.set_window(Window(300.0, 50.0))  # type: ignore[attr-defined]
    window._scroll_active(-1)
    assert shown() == (((10.5, 5.0),), Window(300.0, 50.0))  # the reader's window, the state's point
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("As acquired")).trigger()
    window._scroll_active(-1)
    assert shown()[0] is None
    window.close()


def test_another_readers_report_on_a_ct_slice(tmp_path: Path, capsys) -> None:
    """OHIF's TID 1500 ellipse on the third of five CT slices (axes' ends at pixels (4,10)-(14,10),
    (9,8)-(9,12)), Area 12.5 mm²: on the axial plane its outline passes through the ends' plane mm
    (u = x, v = -y), on that slice; its words beside it, with the area its region has on the
    slice's pixels (0.7 mm rows, 0.8 mm columns): π × (10 × 0.8 / 2) × (4 × 0.7 / 2) = 17.6 mm²;
    `screenshot --presentation` shows it."""
    from lightbox.app.presentation_menu import volume_state
    from lightbox.viewer.index import build_index

    slices, third = _ct_with_state(tmp_path)
    (tmp_path / "ct" / "state.dcm").unlink()
    report = foreign_measurement_report(third, "ELLIPSE", [(4.5, 10.5), (14.5, 10.5), (9.5, 8.5), (9.5, 12.5)],
                                        ("42798000", "Area", 12.5, "mm2", "square millimeter"), "OHIF", "nodule")
    report.save_as(tmp_path / "ct" / "report.dcm", enforce_file_format=True)
    (series,) = build_index(tmp_path / "ct").all_series()
    found = volume_state(series, pydicom.dcmread(tmp_path / "ct" / "report.dcm"))
    assert found is not None and found.label == "MEASUREMENTS" and found.window is None
    x0, y0, z = (float(v) for v in third.ImagePositionPatient)
    row_mm, col_mm = (float(v) for v in third.PixelSpacing)
    outline, = [m for m in found.marks if not m.text]
    (words,) = [m for m in found.marks if m.text]
    assert words.text == "Area 12.5 mm²\n(17.6 mm² by this image's Pixel Spacing)"
    assert outline.plane == pytest.approx(z) and words.plane == pytest.approx(z)
    ends = [(x0 + 14 * col_mm, -(y0 + 10 * row_mm)), (x0 + 9 * col_mm, -(y0 + 12 * row_mm))]
    for end in ends:  # the outline reaches the axes' ends (its first point, and a quarter round)
        assert min(math.dist(end, p) for p in outline.points) < 1e-6
    shot = tmp_path / "shot.png"
    assert main(["screenshot", str(tmp_path / "ct"), "--presentation", str(tmp_path / "ct" / "report.dcm"),
                 "--out", str(shot), "--size", "240x300"]) == 0


def test_a_monochrome1_film_s_state_is_inverse_and_shows_the_film_as_acquired(tmp_path: Path) -> None:
    """PS3.3 C.11.6.1.1: INVERSE "shall be used" for MONOCHROME1. The reader's arrow on a
    MONOCHROME1 film went out with highdicom's IDENTITY, so a viewer applying the state (Lightbox's
    own View → Presentation state among them) showed the film's negative; the state now says
    INVERSE, and applied, the film is shown as acquired (minimum white)."""
    from lightbox.dicomreports.presentation import presentation_state
    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import load_film
    from lightbox.viewer.views.film_scene import FilmScene

    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, np.zeros((20, 20), np.uint16), photometric="MONOCHROME1")
    state = presentation_state([(film, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", None)])
    assert state.PresentationLUTShape == "INVERSE"
    (series,) = build_index(tmp_path / "film").all_series()
    scene = FilmScene(load_film(series))
    assert scene.film.invert
    scene.apply_presentation(presentation_of(state, film))
    assert scene.display.invert is False  # the film's MONOCHROME1 inversion, nothing added
    grey = _film(tmp_path / "grey" / "cr.dcm", np.zeros((20, 20), np.uint16))
    assert presentation_state([(grey, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", None)]).PresentationLUTShape == "IDENTITY"
    with pytest.raises(ValueError, match=r"images shown inverted \(MONOCHROME1\) and not in one presentation state"):
        presentation_state([(film, "text", [(1.0, 1.0)], "a", None), (grey, "text", [(1.0, 1.0)], "b", None)])
    # a MONOCHROME2 film whose own Presentation LUT Shape says INVERSE is shown inverted: its state says so
    grey.PresentationLUTShape = "INVERSE"
    assert presentation_state([(grey, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", None)]).PresentationLUTShape == "INVERSE"


def test_another_system_s_identity_state_on_a_monochrome1_film_is_its_negative_and_says_so(
        qtbot, tmp_path: Path, monkeypatch, capsys) -> None:
    """highdicom writes IDENTITY unless told, on a MONOCHROME1 film too, where PS3.3 C.11.6.1.1
    says INVERSE. Applied as it says (View → Presentation state), the film is its negative
    (minimum value black): it was so without a word; now a caution in the status bar, the corner
    and the CLI; View → Invert shows the film as acquired."""
    from lightbox.app.cli import main

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    folder = tmp_path / "film"
    film = _film(folder / "cr.dcm", np.tile(np.arange(0, 4000, 200, dtype=np.uint16), (20, 1)),
                 photometric="MONOCHROME1", window=(2000, 4000))
    state = _state(film)
    assert state.PresentationLUTShape == "IDENTITY"
    state.save_as(folder / "state.dcm", enforce_file_format=True)
    presentation = presentation_of(state, film)
    assert presentation is not None and presentation.inverse is False
    (caution,) = presentation.cautions
    assert "IDENTITY for an image shown inverted (MONOCHROME1)" in caution and "negative" in caution
    window = opened_window(qtbot, folder)
    scene = window.area.active_scene()
    scene.property.SetInterpolationTypeToNearest()

    def left_and_right_grey() -> tuple[int, int]:  # stored 0 at the left edge, 3800 at the right
        qtbot.wait(20)
        pixels = window.area.viewports[0].grab_pixels()
        greys = []
        for column in (0, 19):
            x, y = scene.image_to_display(column, 10)
            greys.append(int(pixels[int(round(pixels.shape[0] - 1 - y)), int(round(x)), 0]))
        return greys[0], greys[1]

    # PS3.3 C.11.2.1.2.1, window 2000 / 4000: 0 → ((0 - 1999.5) / 3999 + 0.5) * 255 = 0.0; 3800 → 242.3
    assert left_and_right_grey() == (255, 13)  # as acquired (MONOCHROME1): 255 - 0, 255 - 242
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    assert scene.display.invert is True  # the film's MONOCHROME1 inversion undone
    assert left_and_right_grey() == (0, 242)  # the negative: minimum value black
    assert "Caution: it says Presentation LUT Shape IDENTITY" in window.statusBar().currentMessage()
    assert "Presentation state: PRIOR_READ - shown as its negative" in scene.corners.actors["lower_left"].GetInput()
    window.toggle_invert()  # View → Invert: the film as acquired, the corner's word gone
    assert left_and_right_grey() == (255, 13)
    assert "shown as its negative" not in scene.corners.actors["lower_left"].GetInput()
    assert main(["screenshot", str(folder / "cr.dcm"), "--presentation", str(folder / "state.dcm"),
                 "--out", str(tmp_path / "shot.png"), "--size", "200x200"]) == 0
    assert "caution: the presentation state it says Presentation LUT Shape IDENTITY" in capsys.readouterr().err


def test_lightbox_s_own_identity_state_on_a_monochrome1_film_is_read_as_the_inverse_it_meant(tmp_path: Path) -> None:
    """Lightbox wrote highdicom's IDENTITY on MONOCHROME1 films until its states said INVERSE:
    those archived states meant the film as acquired, and are read so, without a caution."""
    film = _film(tmp_path / "cr.dcm", np.zeros((20, 20), np.uint16), photometric="MONOCHROME1")
    presentation = presentation_of(_state(film, Manufacturer="Lightbox"), film)
    assert presentation is not None and presentation.inverse is True and presentation.cautions == ()
    # a MONOCHROME1 film whose own Presentation LUT Shape says IDENTITY is shown so: IDENTITY agrees with it
    film.PresentationLUTShape = "IDENTITY"
    presentation = presentation_of(_state(film), film)
    assert presentation is not None and presentation.inverse is False and presentation.cautions == ()


def _bitmap(state: pydicom.Dataset, bits: np.ndarray, group: int = 0x6000, origin: tuple[int, int] = (1, 1)) -> None:
    """A bitmap display shutter (PS3.3 C.7.6.15): the state's own overlay ``group`` whose set bits
    are the shutter, at ``origin`` (1-based row, column) on the image."""
    from pydicom.pixels import pack_bits

    state.ShutterShape, state.ShutterOverlayGroup, state.ShutterPresentationValue = "BITMAP", group, 0xFFFF
    rows, columns = bits.shape
    state.add_new((group, 0x0010), "US", rows)
    state.add_new((group, 0x0011), "US", columns)
    state.add_new((group, 0x0040), "CS", "G")
    state.add_new((group, 0x0050), "SS", list(origin))
    state.add_new((group, 0x0100), "US", 1)
    state.add_new((group, 0x0102), "US", 0)
    state.add_new((group, 0x3000), "OW", pack_bits(bits.astype(np.uint8).ravel()))


def test_a_bitmap_shutter_hides_its_overlay_s_pixels_on_screen(tmp_path: Path) -> None:
    """A state's bitmap shutter: its overlay 20 x 40 at row 1, column 1 of a 40 x 40 film, set on
    its left half (columns 1..20 of rows 1..20): those pixels in white (FFFFH), the rest as the
    state's window shows them. It was said not applied and the whole film shown."""
    stored = np.full((40, 40), 1000, np.uint16)
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, stored, window=(500.0, 2000.0), spacing=None, patient_orientation=None)
    state = _state(film)
    bits = np.zeros((20, 40), bool)
    bits[:, :20] = True
    _bitmap(state, bits)
    presentation = presentation_of(state, film)
    assert presentation is not None and presentation.not_applied == ()
    expected = np.ones((40, 40), bool)
    expected[:20, :20] = False
    assert presentation.shutter is not None and np.array_equal(presentation.shutter.shown, expected)
    assert presentation.shutter.grey == 255
    state.save_as(tmp_path / "state.dcm", enforce_file_format=True)
    shot = tmp_path / "shot.png"
    assert main(["screenshot", str(path), "--presentation", str(tmp_path / "state.dcm"), "--out", str(shot),
                 "--size", "400x400"]) == 0
    assert _grey(shot, 100, 100) == (255, 255, 255)  # image row 10, column 10: under the shutter
    assert _grey(shot, 300, 100) == (191, 191, 191)  # row 10, column 30: 1000 in W 2000 / L 500 (C.11.2.1.2.1)
    assert _grey(shot, 100, 300) == (191, 191, 191)  # row 30, column 10: below the overlay


def test_a_bitmap_shutter_placed_by_its_origin_and_what_cannot_be_used_said() -> None:
    from lightbox.viewer.shutters import display_shutter

    state = pydicom.Dataset()
    bits = np.array([[1, 1, 0], [0, 1, 0]], bool)
    _bitmap(state, bits, group=0x6002, origin=(0, 4))  # its first row above the image: cut away
    shutter, notes = display_shutter(state, 3, 6)
    assert notes == [] and shutter is not None
    assert (~shutter.shown).astype(int).tolist() == [[0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]
    state.ShutterOverlayGroup = 0x6004  # a group with no overlay in the state
    assert display_shutter(state, 3, 6) == (None, [
        "a bitmap display shutter is not applied (it has no Overlay Data in group 6004): the whole image is shown"])
    state.ShutterOverlayGroup = 0x5000
    assert display_shutter(state, 3, 6)[1] == [
        "a bitmap display shutter is not applied (its overlay group 5000 is not one of 6000-601E): the whole image is shown"]


@pytest.mark.parametrize(("filled", "kind"), [(True, "POLYLINE"), (False, "POLYLINE"), (True, "CIRCLE")])
def test_a_filled_graphic_is_filled_translucently_in_both_renderers(any_renderer_window, qtbot, tmp_path: Path,
                                                                      monkeypatch, filled: bool, kind: str) -> None:
    """A closed polyline with Graphic Filled Y (C.10.5.1.2: "displayed as filled, distinguishable
    from an unfilled" one) in its layer's white over a film of grey 191 (1000 in W 2000 / L 500):
    inside, 30 % white over the film, by hand 0.3 x 255 + 0.7 x 191 = 210.2 (210 with the alpha
    held in 8 bits, 76 or 77 of 255, either way); outside, the film's 191. It was drawn as its
    outline only; unfilled it still is."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, np.full((40, 40), 1000, np.uint16), window=(500.0, 2000.0), spacing=None, patient_orientation=None)
    square = np.array([(10.5, 10.5), (30.5, 10.5), (30.5, 30.5), (10.5, 30.5), (10.5, 10.5)])
    circle = np.array([(20.5, 20.5), (30.5, 20.5)])  # centre and a point on it: radius 10 (its last point
    # computed at 2 pi is not exactly its first: a circle was never filled for that)
    outline = GraphicObject(GraphicTypeValues[kind], square if kind == "POLYLINE" else circle, AnnotationUnitsValues.PIXEL,
                            is_filled=filled)
    _state(film, objects=[outline], layer_grey=0xFFFF).save_as(tmp_path / "film" / "state.dcm", enforce_file_format=True)
    w = any_renderer_window
    w.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: w.area.opened is not None and not w.is_loading(), timeout=20000)
    menu = w.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    scene = w.area.active_scene()
    assert screen_greys(w, scene, [(20, 20), (4, 4), (35, 20)]) == [210 if filled else 191, 191, 191]


def test_a_bitmap_shutter_s_group_range_damage_and_frames() -> None:
    """C.7.6.15 names an overlay group 6000-601E (even): both ends work, an odd or a later group is
    refused; Overlay Data too short to read is said with its error; an overlay of two frames shuts
    with its first."""
    from lightbox.viewer.shutters import display_shutter

    bits = np.array([[1, 0, 0], [0, 0, 0]], bool)
    for group in (0x6000, 0x601E):
        state = pydicom.Dataset()
        _bitmap(state, bits, group=group)
        shutter, notes = display_shutter(state, 2, 3)
        assert notes == [] and shutter is not None and (~shutter.shown).astype(int).tolist() == [[1, 0, 0], [0, 0, 0]]
    for group in (0x6001, 0x6020):
        state = pydicom.Dataset()
        _bitmap(state, bits, group=group)
        assert display_shutter(state, 2, 3)[1] == [f"a bitmap display shutter is not applied (its overlay group "
                                                   f"{group:04X} is not one of 6000-601E): the whole image is shown"]
    state = pydicom.Dataset()
    _bitmap(state, np.ones((40, 40), bool))
    state[0x60003000].value = b"\x00\x00"  # 1,600 bits stated, 16 given
    shutter, (note,) = display_shutter(state, 40, 40)
    assert shutter is None and note.startswith("a bitmap display shutter is not applied (overlay 6000 cannot be read (")
    assert "NoneType" not in note and note.endswith("): the whole image is shown")
    from pydicom.pixels import pack_bits

    two = pydicom.Dataset()
    _bitmap(two, bits)
    two.add_new((0x6000, 0x0015), "IS", 2)  # Number of Frames in Overlay
    two[0x60003000].value = pack_bits(np.concatenate([bits.ravel(), ~bits.ravel()]).astype(np.uint8))
    shutter, notes = display_shutter(two, 2, 3)
    assert notes == [] and shutter is not None and (~shutter.shown).astype(int).tolist() == [[1, 0, 0], [0, 0, 0]]


def test_a_presentation_lut_table_maps_the_windowed_grey_in_both_renderers(any_renderer_window, qtbot, tmp_path: Path,
                                                                             monkeypatch) -> None:
    """A state's Presentation LUT table (C.11.6.1; no Presentation LUT Shape): 256 entries of 12
    bits squaring the windowed grey. The film's bands 500, 1000, 1500 in W 2000 / L 1000 are greys
    64, 128, 191 (C.11.2.1.2.1, by hand); through the table round(255 (g / 255)^2): 16, 64, 143.
    It was said not applied and the film shown as windowed."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    stored = np.repeat(np.array([500, 1000, 1500], np.uint16), 10)[np.newaxis].repeat(20, axis=0)
    path = tmp_path / "film" / "cr.dcm"
    film = _film(path, stored, window=(1000.0, 2000.0), spacing=None, patient_orientation=None)
    state = _state(film, window=(1000.0, 2000.0))
    if "PresentationLUTShape" in state:
        del state.PresentationLUTShape
    item = pydicom.Dataset()
    item.LUTDescriptor = [256, 0, 12]
    item.add_new(0x00283006, "US", [round(4095 * (i / 255) ** 2) for i in range(256)])
    state.PresentationLUTSequence = [item]
    state.save_as(tmp_path / "film" / "state.dcm", enforce_file_format=True)
    presentation = presentation_of(state, film)
    assert presentation is not None and presentation.not_applied == () and presentation.inverse is False
    assert presentation.presentation_lut is not None and presentation.presentation_lut[128] == 64
    w = any_renderer_window
    w.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: w.area.opened is not None and not w.is_loading(), timeout=20000)
    scene = w.area.active_scene()

    def greys() -> list[int]:
        return screen_greys(w, scene, [(5, 10), (15, 10), (25, 10)])

    assert greys() == [64, 128, 191]
    menu = w.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    assert greys() == [16, 64, 143]
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("As acquired")).trigger()
    assert greys() == [64, 128, 191]


def test_which_graphics_are_filled() -> None:
    from lightbox.dicomreports.presentation_display import StateGraphic, is_filled_outline

    closed = ((1.0, 1.0), (5.0, 1.0), (5.0, 5.0), (1.0, 1.0 + 1e-12))  # closed but for float noise
    assert is_filled_outline(StateGraphic("POLYLINE", closed, filled=True))
    assert is_filled_outline(StateGraphic("INTERPOLATED", closed, filled=True))
    assert not is_filled_outline(StateGraphic("POLYLINE", closed[:3], filled=True))  # open: nothing to fill
    assert not is_filled_outline(StateGraphic("POLYLINE", closed, filled=False))
    assert is_filled_outline(StateGraphic("CIRCLE", ((5.0, 5.0), (8.0, 5.0)), filled=True))
    assert is_filled_outline(StateGraphic("ELLIPSE", ((1.0, 5.0), (9.0, 5.0), (5.0, 3.0), (5.0, 7.0)), filled=True))
    assert not is_filled_outline(StateGraphic("POINT", ((5.0, 5.0),), filled=True))
    assert not is_filled_outline(StateGraphic("TEXT", ((5.0, 5.0),), "a", filled=True))


def test_a_filled_graphic_on_a_ct_slice_is_filled_on_that_slice_only(qtbot, tmp_path: Path, monkeypatch) -> None:
    """A state's filled square on the third slice of a CT (the volume's marks from a state): its
    inside filled on that slice as on a film, nothing on the next."""
    from dicom_factory import axial_positions, write_ct_series

    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    paths = write_ct_series(tmp_path / "ct", axial_positions(5, spacing=2.0), rows=30, columns=24)
    third = pydicom.dcmread(paths[2], stop_before_pixels=True)
    for keyword in TYPE2:
        if keyword not in third:
            setattr(third, keyword, "")
    square = np.array([(4.5, 4.5), (14.5, 4.5), (14.5, 14.5), (4.5, 14.5), (4.5, 4.5)])
    filled = GraphicObject(GraphicTypeValues.POLYLINE, square, AnnotationUnitsValues.PIXEL, is_filled=True)
    _state(third, objects=[filled], layer_grey=0xFFFF).save_as(tmp_path / "ct" / "state.dcm", enforce_file_format=True)
    window = opened_window(qtbot, tmp_path / "ct")
    axial = next(s for s in window.area.scenes() if getattr(s, "plane", "") == "axial")
    window.area.active = next(w for w in window.area.viewports if w.scene is axial)
    menu = window.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("PRIOR_READ")).trigger()
    z = float(third.ImagePositionPatient[2])

    def filled_outlines() -> int:
        return sum(len(f.actor.polygons) for f in axial.state_graphics.fills.values())

    axial.move_to(z)
    assert filled_outlines() == 1
    axial.move_to(z + 2.0)
    assert filled_outlines() == 0
    window.close()
