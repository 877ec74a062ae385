"""A film's own VOI LUT table (PS3.3 C.11.2.1.1) is how it is first shown; its values stay the
modality values. The table's output replaced the film's values: the status bar read "value 2202"
where the pixel is 310 (its stored 180 through Rescale Slope 2, Intercept -50), ROI statistics
and reports read the table's output, and a window the reader picked (Auto, a presentation
state's: in modality values, C.11.2) was laid over the table's output.

The film: three bands of stored 100, 180, 300 (modality 150, 310, 550) and a square-root table
of 1,024 entries to 4000. Every expected grey is computed here by hand from C.11.2.1.2.1."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import write_film
from pydicom.dataset import Dataset
from window_helpers import screen_greys

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film

STORED = (100, 180, 300)
MODALITY = tuple(2 * s - 50 for s in STORED)  # 150, 310, 550
TABLE = np.array([round(4000 * math.sqrt(x / 1023)) for x in range(1024)])
OUTPUT = tuple(int(TABLE[m]) for m in MODALITY)  # 1532, 2202, 2933


def linear_grey(x: float, low: float, high: float) -> int:
    """C.11.2.1.2.1 for the window that spans low..high whole (centre (low + high) / 2 + 0.5, width
    high - low + 1), 0..255."""
    c, w = (low + high) / 2 + 0.5, high - low + 1
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
    return int(np.rint(min(max(y, 0.0), 255.0)))


def _film(folder: Path) -> Path:
    stored = np.repeat(np.array(STORED, np.uint16), 10)[np.newaxis].repeat(20, axis=0)  # 20 x 30, three bands
    write_film(folder / "voi.dcm", stored, spacing=(0.5, 0.5), slope=2.0, intercept=-50.0,
               voi_lut=(1024, 0, TABLE))
    return folder


def _greys(window, scene) -> list[int]:
    """The three bands' greys on screen, at row 10."""
    return screen_greys(window, scene, [(5, 10), (15, 10), (25, 10)])


def test_the_table_is_applied_for_the_screen_and_the_values_stay_modality_values(tmp_path: Path) -> None:
    assert OUTPUT == (1532, 2202, 2933)
    (series,) = build_index(_film(tmp_path / "voi")).all_series()
    film = load_film(series)
    assert [float(film.values[10, c]) for c in (5, 15, 25)] == list(MODALITY)
    assert film.voi_output is not None and [float(film.voi_output[10, c]) for c in (5, 15, 25)] == list(OUTPUT)
    assert film.window.bounds() == pytest.approx((OUTPUT[0], OUTPUT[2]))  # the table's output, shown whole


def test_the_window_shows_the_table_reads_modality_values_and_a_picked_window_replaces_the_table(
        any_renderer_window, qtbot, tmp_path: Path) -> None:
    w = any_renderer_window
    w.open_path(_film(tmp_path / "voi"))
    qtbot.waitUntil(lambda: w.area.opened is not None and not w.is_loading(), timeout=20000)
    scene = w.area.active_scene()
    through_table = [linear_grey(v, OUTPUT[0], OUTPUT[2]) for v in OUTPUT]
    assert through_table == [0, 122, 255]  # the square root lifts the middle band: 102 on a ramp
    assert _greys(w, scene) == through_table
    assert scene.corners.texts["lower_left"].split("\n")[0] == "VOI LUT W 1402  L 2233"
    x, y = scene.image_to_display(15, 10)
    assert scene.status_text(x, y).endswith("value 310")  # the pixel's modality value, not the table's 2202

    w.auto_window()  # Window → Auto window (A): a window on the modality values, in place of the table
    assert _greys(w, scene) == [linear_grey(v, MODALITY[0], MODALITY[2]) for v in MODALITY] == [0, 102, 255]
    assert "VOI LUT" not in scene.corners.texts["lower_left"]

    w.default_window()  # Window → Image's own windows (D): its table again
    assert _greys(w, scene) == through_table
    scene.drag("wl", 40, 0)  # a drag through the table widens the window over the table's output
    assert scene.display.voi_table and scene.corners.texts["lower_left"].startswith("VOI LUT W 1511")
    scene.reset()
    assert _greys(w, scene) == through_table


def test_the_thumbnail_and_the_model_see_it_through_its_table(tmp_path: Path) -> None:
    from lightbox.app.ai_inputs import to_rgb8
    from lightbox.viewer.thumbnails import series_thumbnail

    (series,) = build_index(_film(tmp_path / "voi")).all_series()
    film = load_film(series)
    model_input = to_rgb8(film.as_acquired(), film.window.center, film.window.width, film.invert)
    assert [int(model_input[10, c, 0]) for c in (5, 15, 25)] == [0, 122, 255]
    thumbnail = series_thumbnail(series)
    middle = thumbnail[thumbnail.shape[0] // 2]
    assert int(middle[len(middle) // 2]) == 122


def test_a_cines_presentation_state_carries_its_table_and_is_shown_through_it_again(tmp_path: Path) -> None:
    """The marks on an XA cine shown through its VOI LUT table go into a presentation state with
    that table (highdicom reads a legacy multi-frame image's display only from functional
    groups, so Lightbox gives it): it was given the window over the table's output, which a
    state applies to modality values, so the cine came back windowed wrong. Read back, the
    state's table is the image's own: shown through it, nothing said to be left out."""
    import pydicom
    from pydicom.dataset import Dataset
    from pydicom.uid import generate_uid
    from test_multi_frame_marks import reports, write_xa_cine

    from lightbox.dicomreports.presentation_display import presentation_of
    from lightbox.studydb.annotations import StoredAnnotation

    series_uid = generate_uid()
    cine = write_xa_cine(tmp_path / "xa", series_uid, 1)
    item = Dataset()
    item.LUTDescriptor = [1024, 0, 16]
    item.add_new(0x00283006, "US", [int(v) for v in TABLE])
    item.LUTExplanation = "SQUARE ROOT"
    cine.VOILUTSequence = [item]
    cine.save_as(tmp_path / "xa" / "xa1.dcm", enforce_file_format=True)
    state, _ = reports(tmp_path, tmp_path / "xa", series_uid, "film 2", [StoredAnnotation("arrow", [(5.0, 30.0), (25.0, 10.0)])])
    (voi,) = state.SoftcopyVOILUTSequence
    assert "WindowCenter" not in voi
    (table,) = voi.VOILUTSequence
    assert [int(v) for v in table.LUTDescriptor] == [1024, 0, 16] and table.LUTExplanation == "SQUARE ROOT"
    data = table.LUTData
    entries = np.frombuffer(data, "<u2") if isinstance(data, bytes) else np.asarray(data)
    assert entries.tolist() == TABLE.tolist()
    image = pydicom.dcmread(tmp_path / "xa" / "xa1.dcm")
    presentation = presentation_of(state, image, 2)
    assert presentation is not None and presentation.window is None and presentation.not_applied == ()
    # another table than the image's: the state's, applied
    state.SoftcopyVOILUTSequence[0].VOILUTSequence[0].LUTData = [int(v) // 2 for v in TABLE]
    other = presentation_of(state, image, 2)
    assert other is not None and other.not_applied == () and other.voi_table is not None
    assert other.voi_table.entries == tuple(int(v) // 2 for v in TABLE) and other.voi_table.first_mapped == 0


SQUARE = np.array([round(4000 * (x / 1023) ** 2) for x in range(1024)])  # a state's own table


def _film_with_state(folder: Path) -> tuple[Path, Path]:
    """The film beside a presentation state whose VOI LUT table squares, indexed by the stored
    values (the state's rescale: the identity, where the film's is 2 x - 50)."""
    from highdicom import VOILUT
    from highdicom.pr import GrayscaleSoftcopyPresentationState, SoftcopyVOILUTTransformation
    from pydicom.uid import generate_uid
    from test_presentation_display import _film

    stored = np.repeat(np.array(STORED, np.uint16), 10)[np.newaxis].repeat(20, axis=0)
    path = folder / "voi.dcm"
    film = _film(path, stored, spacing=(0.5, 0.5), slope=2.0, intercept=-50.0, voi_lut=(1024, 0, TABLE))
    state = GrayscaleSoftcopyPresentationState(
        referenced_images=[film], series_instance_uid=generate_uid(), series_number=80, sop_instance_uid=generate_uid(),
        instance_number=1, manufacturer="Another PACS", manufacturer_model_name="Viewer", software_versions="7",
        device_serial_number="1", content_label="SQUARED", content_description="a colleague's table",
        voi_lut_transformations=[SoftcopyVOILUTTransformation(
            voi_luts=[VOILUT(first_mapped_value=0, lut_data=SQUARE.astype(np.uint16), lut_explanation="SQUARE")])])
    state.RescaleSlope, state.RescaleIntercept = 1, 0
    state.save_as(folder / "state.dcm", enforce_file_format=True)
    return path, folder / "state.dcm"


def test_a_presentation_state_s_own_table_is_applied_in_the_window(any_renderer_window, qtbot, tmp_path: Path,
                                                                    monkeypatch) -> None:
    """A state's VOI LUT table (C.11.2.1.1) in place of the image's own: it was said not applied,
    the film shown through its own table. Its entries for stored 100, 180, 300 (the state's
    Modality LUT is the identity): 38, 124, 344."""
    monkeypatch.setenv("LIGHTBOX_DATA_DIR", str(tmp_path / "data"))
    squared = [int(SQUARE[s]) for s in STORED]
    assert squared == [38, 124, 344]
    through_state = [linear_grey(v, squared[0], squared[2]) for v in squared]
    assert through_state == [0, 72, 255]
    _film_with_state(tmp_path / "film")
    w = any_renderer_window
    w.open_path(tmp_path / "film")
    qtbot.waitUntil(lambda: w.area.opened is not None and not w.is_loading(), timeout=20000)
    scene = w.area.active_scene()
    menu = w.presentation_menu.menu
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("SQUARED")).trigger()
    assert _greys(w, scene) == through_state
    assert scene.corners.texts["lower_left"].split("\n")[0] == "VOI LUT W 307  L 192  (PR)"
    assert "not applied" not in w.statusBar().currentMessage()
    x, y = scene.image_to_display(15, 10)
    assert scene.status_text(x, y).endswith("value 310")  # the film's modality value still
    w.auto_window()  # a window on the modality values, in place of the state's table
    assert _greys(w, scene) == [0, 102, 255]
    w.reset_view()  # back to what the state says: its table
    assert _greys(w, scene) == through_state
    menu.aboutToShow.emit()
    next(a for a in menu.actions() if a.text().startswith("As acquired")).trigger()
    assert _greys(w, scene) == [0, 122, 255]  # the film's own table


def test_the_screenshot_with_the_state_shows_its_table(tmp_path: Path) -> None:
    from PIL import Image

    from lightbox.app.cli import main

    path, state = _film_with_state(tmp_path / "film")
    shot = tmp_path / "shot.png"
    assert main(["screenshot", str(path), "--presentation", str(state), "--out", str(shot), "--size", "300x200"]) == 0
    row = np.asarray(Image.open(shot).convert("L"))[100]
    assert [int(row[c]) for c in (50, 150, 250)] == [0, 72, 255]  # 10 screen pixels an image pixel


def test_a_table_maps_below_its_first_value_to_its_first_entry_and_past_its_end_to_its_last() -> None:
    """C.11.2.1.1, by hand and against pydicom's apply_voi_lut on the image's own table."""
    from dicom_factory import voi_table_dataset
    from pydicom.pixels import apply_voi_lut

    from lightbox.viewer.pixels import VoiTable

    ds = voi_table_dataset()  # stored 10, 11, 12 -> 0, 1000, 4000
    table = VoiTable.of(ds)
    assert table == VoiTable(10, (0, 1000, 4000), "")
    values = np.array([5, 9, 10, 11, 12, 13, 400], np.int32)
    assert table.apply(values).tolist() == [0, 0, 0, 1000, 4000, 4000, 4000]
    assert table.apply(values).tolist() == apply_voi_lut(values, ds, prefer_lut=True).tolist()
    assert table.apply(np.array([10.6, 11.4])).tolist() == [1000, 1000]  # the nearest entry
    assert VoiTable.of(Dataset()) is None  # no table


def test_a_state_s_table_on_a_film_without_one_is_said_in_the_corner_and_dragged_over_its_output() -> None:
    """A film with no table of its own shown through a state's table: the corner says "VOI LUT"
    (it read a bare W/L, as if in the film's values), and a drag moves over the table's output."""
    from lightbox.dicomreports.presentation_display import ImagePresentation
    from lightbox.viewer.pixels import VoiTable, Window
    from lightbox.viewer.views.film_scene import FilmScene
    from lightbox.viewer.volume import Film

    values = np.repeat(np.array(MODALITY, np.float32), 10)[np.newaxis].repeat(20, axis=0)
    scene = FilmScene(Film(values, Window(350.5, 401), modality="CR"))
    assert scene.corners.texts["lower_left"].split("\n")[0] == "W 401  L 350"
    squared = [int(SQUARE[m]) for m in MODALITY]  # 86, 367, 1156
    scene.apply_presentation(ImagePresentation("SQUARED", voi_table=VoiTable(0, tuple(int(v) for v in SQUARE), "")))
    assert scene.display.voi_table and scene.source[10, 15] == squared[1]
    assert scene.corners.texts["lower_left"].split("\n")[0] == "VOI LUT W 1071  L 622  (PR)"
    assert scene.window_sensitivity() == pytest.approx((squared[2] - squared[0]) / 512)  # the output's range
    scene.apply_presentation(None)  # as acquired: its own window on its values
    assert not scene.display.voi_table and scene.source is scene.film.values
