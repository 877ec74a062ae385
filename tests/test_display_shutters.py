"""Display shutters (PS3.3 C.7.6.11): what lies outside a film's shutter is shown in the Shutter
Presentation Value (black when absent), not as pixels; Shift+H shows the whole image. Rectangular
edges and circle centres count pixels from 1; shapes given together show what lies inside all
of them. Every expected mask below is written out from those rules by hand; the window's pixels
are read back from the screen."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import restamp, write_film
from pydicom.dataset import Dataset
from PySide6.QtCore import Qt

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film
from lightbox.viewer.shutters import display_shutter
from lightbox.viewer.thumbnails import series_thumbnail


def header(**attributes: object) -> Dataset:
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def test_a_rectangle_counts_pixels_from_one_and_keeps_its_edges() -> None:
    shutter, notes = display_shutter(header(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=2, ShutterRightVerticalEdge=4,
                                            ShutterUpperHorizontalEdge=3, ShutterLowerHorizontalEdge=4), 5, 6)
    assert notes == [] and shutter is not None and shutter.grey == 0
    expected = np.zeros((5, 6), bool)
    expected[2:4, 1:4] = True  # rows 3..4, columns 2..4 counted from 1
    assert (shutter.shown == expected).all()


def test_a_circle_and_a_polygon_by_hand() -> None:
    circle, _ = display_shutter(header(ShutterShape="CIRCULAR", CenterOfCircularShutter=[3, 3], RadiusOfCircularShutter=1), 5, 5)
    assert circle is not None
    expected = np.zeros((5, 5), bool)
    expected[2, 1:4] = expected[1:4, 2] = True  # the centre (3, 3) and its four neighbours at distance 1
    assert (circle.shown == expected).all()
    # a right triangle with vertices (row, column) (1, 1), (1, 4), (4, 1): the pixels with r + c <= 5
    triangle, _ = display_shutter(header(ShutterShape="POLYGONAL", VerticesOfThePolygonalShutter=[1, 1, 1, 4, 4, 1]), 5, 5)
    assert triangle is not None
    rows, columns = np.mgrid[1:6, 1:6]
    assert (triangle.shown == (rows + columns <= 5)).all()


def test_shapes_together_show_what_lies_inside_all_and_the_presentation_value_is_a_p_value() -> None:
    both, _ = display_shutter(header(ShutterShape="RECTANGULAR\\CIRCULAR", ShutterLeftVerticalEdge=1, ShutterRightVerticalEdge=3,
                                     ShutterUpperHorizontalEdge=1, ShutterLowerHorizontalEdge=5, CenterOfCircularShutter=[3, 3],
                                     RadiusOfCircularShutter=1, ShutterPresentationValue=32768), 5, 5)
    assert both is not None and both.grey == 128  # 32768 / 65535 * 255 = 127.5: rounds to 128
    expected = np.zeros((5, 5), bool)
    expected[2, 1:3] = expected[1:4, 2] = True  # the circle, its column 4 cut off by the rectangle
    assert (both.shown == expected).all()


@pytest.mark.parametrize(("attributes", "note"), [
    ({"ShutterShape": "BITMAP", "ShutterOverlayGroup": 0x6000},
     "a bitmap display shutter is not applied (it has no Overlay Data in group 6000)"),
    ({"ShutterShape": "RECTANGULAR", "ShutterLeftVerticalEdge": 5, "ShutterRightVerticalEdge": 2,
      "ShutterUpperHorizontalEdge": 1, "ShutterLowerHorizontalEdge": 3}, "a rectangular display shutter without usable edges"),
    ({"ShutterShape": "CIRCULAR", "CenterOfCircularShutter": [3, 3]}, "a circular display shutter without a usable centre"),
    ({"ShutterShape": "POLYGONAL", "VerticesOfThePolygonalShutter": [1, 1, 2, 2]}, "a polygonal display shutter without three"),
    ({"ShutterShape": "STAR"}, "display shutter shape 'STAR' is not one the standard defines"),
    ({"ShutterShape": "RECTANGULAR", "ShutterLeftVerticalEdge": 20, "ShutterRightVerticalEdge": 30,
      "ShutterUpperHorizontalEdge": 20, "ShutterLowerHorizontalEdge": 30}, "the display shutter hides the whole image"),
])
def test_what_cannot_be_applied_is_said_and_the_whole_image_shown(attributes: dict[str, object], note: str) -> None:
    shutter, notes = display_shutter(header(**attributes), 5, 5)
    assert shutter is None and len(notes) == 1 and notes[0].startswith(note)
    assert display_shutter(header(), 5, 5) == (None, [])  # no shutter: nothing said


def collimated_film(path: Path, presentation: int | None = None) -> Path:
    """A 30 x 40 MONOCHROME1 film: a gradient from 1000 in a collimated field of rows 6..25,
    columns 11..30 (counted from 1), 0 around it (unexposed: white on MONOCHROME1)."""
    stored = np.full((30, 40), 0, np.uint16)
    rows, columns = np.mgrid[0:20, 0:20]
    stored[5:25, 10:30] = 1000 + 10 * (rows + columns)
    film = write_film(path, stored, photometric="MONOCHROME1")
    tags = {"ShutterShape": "RECTANGULAR", "ShutterLeftVerticalEdge": 11, "ShutterRightVerticalEdge": 30,
            "ShutterUpperHorizontalEdge": 6, "ShutterLowerHorizontalEdge": 25}
    if presentation is not None:
        tags["ShutterPresentationValue"] = presentation
    restamp([film], **tags)
    return film


def test_the_automatic_window_is_that_of_the_field_not_of_the_unexposed_border(tmp_path: Path) -> None:
    path = collimated_film(tmp_path / "cr" / "film.dcm")
    (series,) = build_index(path.parent).all_series()
    film = load_film(series)
    field = np.full((30, 40), False)
    field[5:25, 10:30] = True
    assert film.shutter is not None and (film.shutter.shown == field).all()
    low, high = np.percentile(film.values[field], [0.5, 99.5])  # the field alone: 1000..1380
    assert film.window.bounds() == pytest.approx((low, high))
    thumbnail = series_thumbnail(series, size=40)
    assert (thumbnail[~field] == 0).all()  # the border in the shutter's black, not the film's glaring white
    assert thumbnail[field].max() == 255 and thumbnail[field].min() == 0  # the field spread over the grey scale


def first_pane_bare(window, qtbot, path: Path):
    """Open ``path`` in the window; its first pane's widget and scene, the corner texts hidden
    (so that screen pixels read back are the image's)."""
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    widget.scene.set_overlays_visible(False)
    qtbot.wait(300)
    return widget, widget.scene


@pytest.mark.parametrize("presentation", [None, 32768])
def test_the_window_shows_the_shutter_and_shift_h_the_whole_image(any_renderer_window, qtbot, tmp_path: Path,
                                                                   presentation: int | None) -> None:
    window = any_renderer_window
    widget, scene = first_pane_bare(window, qtbot, collimated_film(tmp_path / "cr" / "film.dcm", presentation))

    def grey_at(column: int, row: int) -> int:
        x, y = scene.image_to_display(column, row)
        pixels = widget.grab_pixels()  # top row first; display y counts from the bottom
        return int(pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))][0])

    shutter_grey = 128 if presentation == 32768 else 0
    # MONOCHROME1 in the automatic window of the field: its lowest value (1000) white, the border
    # (0, below the window) would glare white; the shutter shows it in its own grey instead
    # inside, away from its edges: 1100 light, 1300 dark (MONOCHROME1)
    assert grey_at(15, 10) > 150 and grey_at(25, 20) < 100
    for column, row in ((0, 0), (9, 15), (30, 15), (20, 4), (20, 25)):
        assert grey_at(column, row) == shutter_grey, (column, row)
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)  # View → Show / hide display shutters
    qtbot.wait(300)
    assert "Display shutters hidden" in window.statusBar().currentMessage()
    for column, row in ((0, 0), (5, 15), (35, 15)):  # (not beside the field: the film is drawn interpolated)
        assert grey_at(column, row) == 255, (column, row)  # the unexposed 0, below the window: white on MONOCHROME1
    assert grey_at(15, 10) > 150 and grey_at(25, 20) < 100


def test_the_model_is_shown_the_film_as_the_reader_sees_it(tmp_path: Path) -> None:
    """The AI's input: the field through its window, the border in the shutter's grey (it was the
    unexposed glare), the field itself untouched."""
    from lightbox.app.ai_inputs import model_images
    from lightbox.app.compose import open_path

    path = collimated_film(tmp_path / "cr" / "film.dcm", presentation=32768)
    opened, _ = open_path(path)
    (image,), _, _ = model_images(opened)
    field = np.zeros((30, 40), bool)
    field[5:25, 10:30] = True
    assert (image[~field] == 128).all()
    film = opened.films[0]
    low, high = film.window.bounds()
    values = film.values[field]
    expected = np.rint((1.0 - np.clip((values - low) / (high - low), 0.0, 1.0)) * 255)  # MONOCHROME1: inverted
    assert np.abs(image[field][:, 0].astype(float) - expected).max() <= 1.0


def test_the_frames_of_a_cine_share_one_shutter(tmp_path: Path) -> None:
    """An angiography run of 12 frames with a circular shutter: one mask for the run, not twelve."""
    from lightbox.viewer.loading import load_film_frames

    frames = np.stack([np.full((32, 32), 100 * (n + 1), np.uint16) for n in range(12)])
    path = write_film(tmp_path / "xa" / "run.dcm", frames[0], modality="XA", window=(600, 1200))
    import pydicom

    ds = pydicom.dcmread(path)
    ds.NumberOfFrames, ds.PixelData = 12, frames.tobytes()
    ds.ShutterShape, ds.CenterOfCircularShutter, ds.RadiusOfCircularShutter = "CIRCULAR", [16, 16], 14
    ds.save_as(path)
    (series,) = build_index(path.parent).all_series()
    films = load_film_frames(series)
    assert len(films) == 12 and films[0].shutter is not None
    assert all(f.shutter is films[0].shutter for f in films)
    assert films[5].shutter.shown[15, 15] and not films[5].shutter.shown[0, 0]


def test_the_readers_arrows_as_a_presentation_state_keep_the_films_shutter(tmp_path: Path, capsys) -> None:
    """A presentation state's own shutter replaces the image's (PS3.3 C.11.12): the GSPS of the
    reader's arrow repeats the film's rectangle (and a black presentation value), so a PACS viewer
    applying it does not show the collimated border again; a film without one gets none."""
    import pydicom
    from test_measurement_sr import film_document

    from lightbox.studydb.annotations import StoredAnnotation

    path = collimated_film(tmp_path / "cr" / "film.dcm")
    out = film_document(tmp_path, "annotations", pydicom.dcmread(path), path.parent,
                        [StoredAnnotation("arrow", [(12.0, 8.0), (20.0, 15.0)])])
    gsps = pydicom.dcmread(out)
    assert gsps.ShutterShape == "RECTANGULAR" and gsps.ShutterPresentationValue == 0
    assert (gsps.ShutterLeftVerticalEdge, gsps.ShutterRightVerticalEdge, gsps.ShutterUpperHorizontalEdge,
            gsps.ShutterLowerHorizontalEdge) == (11, 30, 6, 25)
    shutter, _ = display_shutter(gsps, 30, 40)  # read back as the image's own
    film_shutter, _ = display_shutter(pydicom.dcmread(path), 30, 40)
    assert shutter is not None and film_shutter is not None and (shutter.shown == film_shutter.shown).all()
    plain = write_film(tmp_path / "plain" / "film.dcm", np.full((30, 40), 500, np.uint16), window=(500, 1000))
    (tmp_path / "db.sqlite").unlink()
    out = film_document(tmp_path, "annotations", pydicom.dcmread(plain), plain.parent,
                        [StoredAnnotation("arrow", [(12.0, 8.0), (20.0, 15.0)])])
    assert "ShutterShape" not in pydicom.dcmread(out)


def test_inspect_names_the_shutter_and_the_padding(tmp_path: Path, capsys) -> None:
    from lightbox.app.cli import main

    collimated_film(tmp_path / "cr" / "film.dcm")
    assert main(["inspect", str(tmp_path / "cr"), "--no-pixels"]) == 0
    assert "      display shutter: RECTANGULAR" in capsys.readouterr().out.splitlines()
    from test_pixel_padding import padded_ct

    padded_ct(tmp_path / "ct" / "padded.dcm")
    assert main(["inspect", str(tmp_path / "ct"), "--no-pixels"]) == 0
    assert "      pixel padding: -2000 (stored)" in capsys.readouterr().out.splitlines()


def test_an_roi_measures_what_the_reader_sees(any_renderer_window, qtbot, tmp_path: Path) -> None:
    """A rectangle across the shutter's edge: the pixels the shutter hides are left out and said
    ("N px under the shutter left out"); with the shutter hidden (Shift+H), they are measured."""
    import pydicom
    from test_roi_statistics import drag, viewport_point

    window = any_renderer_window
    path = collimated_film(tmp_path / "cr" / "film.dcm")
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    qtbot.keyClick(window, Qt.Key.Key_B)  # Tools → Rectangle ROI
    with qtbot.waitSignal(widget.measured, timeout=2000):
        drag(qtbot, widget, viewport_point(widget, scene.image_to_display(4, 8)),
             viewport_point(widget, scene.image_to_display(15, 12)))
    (m,) = scene.measurements
    (ca, ra), (cb, rb) = m.points
    columns = range(int(np.ceil(min(ca, cb))), int(np.floor(max(ca, cb))) + 1)
    rows = range(int(np.ceil(min(ra, rb))), int(np.floor(max(ra, rb))) + 1)
    stored = pydicom.dcmread(path).pixel_array.astype(float)
    seen = [stored[r, c] for r in rows for c in columns if 10 <= c <= 29 and 5 <= r <= 24]
    hidden = len(rows) * len(columns) - len(seen)
    assert hidden > 0 and seen  # the drag crossed the edge (columns 4..15 against the field from 10)
    assert (m.statistics.pixels, m.statistics.shuttered) == (len(seen), hidden)
    assert m.statistics.mean == pytest.approx(np.mean(seen))
    assert m.statistics.describe().endswith(f"\n{hidden} px under the shutter left out")
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ShiftModifier)  # the whole image: all measured
    (m,) = window.area.viewports[0].scene.measurements
    assert (m.statistics.pixels, m.statistics.shuttered) == (len(seen) + hidden, 0)
    assert m.statistics.mean == pytest.approx(np.mean([stored[r, c] for r in rows for c in columns]))


def enhanced_xa(path: Path, shared: Dataset | None, per_frame: list[Dataset | None]) -> Path:
    """A three-frame Enhanced XA-like cine (no positions: its frames are films) whose shutters
    live in the Frame Display Shutter functional group, shared and/or per frame."""
    from dicom_factory import base_dataset, set_pixels

    ds = base_dataset("1.2.840.10008.5.1.4.1.1.12.1.1", modality="XA")
    set_pixels(ds, np.stack([np.full((20, 30), 100 * (n + 1), np.uint16) for n in range(3)]))
    ds.NumberOfFrames = 3
    shared_item = Dataset()
    if shared is not None:
        shared_item.FrameDisplayShutterSequence = [shared]
    ds.SharedFunctionalGroupsSequence = [shared_item]
    frames = []
    for item in per_frame:
        frame = Dataset()
        if item is not None:
            frame.FrameDisplayShutterSequence = [item]
        frames.append(frame)
    ds.PerFrameFunctionalGroupsSequence = frames
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def test_an_enhanced_cine_takes_its_shutter_from_the_frame_display_shutter_group(tmp_path: Path) -> None:
    """Enhanced XA / XRF keep the shutter in the Frame Display Shutter functional group (0018,9472),
    shared or per frame: the collimated border was shown. Masks written out by hand."""
    from lightbox.viewer.loading import load_film_frames

    rectangle = header(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=5, ShutterRightVerticalEdge=20,
                       ShutterUpperHorizontalEdge=3, ShutterLowerHorizontalEdge=12)
    inside = np.zeros((20, 30), bool)
    inside[2:12, 4:20] = True  # rows 3..12, columns 5..20 counted from 1
    circle = header(ShutterShape="CIRCULAR", CenterOfCircularShutter=[10, 15], RadiusOfCircularShutter=4,
                    ShutterPresentationValue=65535)
    rr, cc = np.mgrid[1:21, 1:31]
    in_circle = (rr - 10) ** 2 + (cc - 15) ** 2 <= 16

    path = enhanced_xa(tmp_path / "shared" / "xa.dcm", rectangle, [None, None, None])
    (series,) = build_index(path.parent).all_series()
    films = load_film_frames(series, 0)
    assert len(films) == 3 and all(np.array_equal(f.shutter.shown, inside) for f in films)
    assert films[0].shutter is films[2].shutter  # one mask for the cine

    path = enhanced_xa(tmp_path / "per-frame" / "xa.dcm", rectangle, [None, circle, None])
    (series,) = build_index(path.parent).all_series()
    films = load_film_frames(series, 0)
    assert np.array_equal(films[0].shutter.shown, inside) and np.array_equal(films[2].shutter.shown, inside)
    assert np.array_equal(films[1].shutter.shown, in_circle) and films[1].shutter.grey == 255


def test_a_colour_film_shows_its_shutter_in_the_cielab_colour_it_states(tmp_path: Path) -> None:
    """PS3.3 C.7.6.11.1: the grey P-value is for grayscale images; a colour image's shutter colour is
    Shutter Presentation Color CIELab Value. White is L* 100, a* b* 0: (65535, 32896, 32896) in
    DICOM's scaled form. A grayscale film stating both keeps its grey."""
    from dicom_factory import base_dataset

    from lightbox.viewer.display import FilmDisplay
    from lightbox.viewer.views.film_scene import FilmScene
    from tests.test_views import SIZE, Rendered

    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 2] = 200  # blue everywhere
    ds = base_dataset("1.2.840.10008.5.1.4.1.1.7", modality="OT")
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 20, 30, 3, "RGB"
    ds.PlanarConfiguration, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 0, 8, 8, 7, 0
    ds.PixelData = rgb.tobytes()
    for keyword, value in dict(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=11, ShutterRightVerticalEdge=30,
                               ShutterUpperHorizontalEdge=1, ShutterLowerHorizontalEdge=20,
                               ShutterPresentationValue=0, ShutterPresentationColorCIELabValue=[65535, 32896, 32896]).items():
        setattr(ds, keyword, value)
    (tmp_path / "sc").mkdir()
    ds.save_as(tmp_path / "sc" / "sc.dcm", enforce_file_format=True)
    film = load_film(build_index(tmp_path / "sc").all_series()[0])
    assert film.colour is not None and film.shutter is not None
    assert film.shutter.colour == (255, 255, 255) and film.shutter.grey == 255
    assert film.shutter.outside()[:, :10].all() and not film.shutter.outside()[:, 10:].any()
    painted = film.shutter.paint(film.colour)
    assert (painted[:, :10] == 255).all() and (painted[:, 10:] == (0, 0, 200)).all()
    display = FilmDisplay()
    display.set_window(film.window)
    view = Rendered(FilmScene(film, display))
    try:
        pixels = view.pixels()
        x, y = view.scene.image_to_display(4, 10)  # inside the hidden band, away from its edge
        assert pixels[SIZE - 1 - int(y), int(x)].tolist() == [255, 255, 255]
    finally:
        view.close()
    grey = display_shutter(header(PhotometricInterpretation="MONOCHROME2", ShutterShape="RECTANGULAR",
                                  ShutterLeftVerticalEdge=2, ShutterRightVerticalEdge=5, ShutterUpperHorizontalEdge=2,
                                  ShutterLowerHorizontalEdge=5, ShutterPresentationColorCIELabValue=[65535, 32896, 32896]),
                           8, 8)[0]
    assert grey is not None and grey.rgb is None and grey.colour == (0, 0, 0)


def test_the_presentation_state_of_marks_on_an_enhanced_cine_repeats_its_frame_shutter(tmp_path: Path) -> None:
    """A shared Frame Display Shutter (or per-frame ones that agree) is one shutter for the state
    (C.11.12) and is repeated; frames that state different shutters leave the state without one."""
    import pydicom

    from lightbox.dicomreports.presentation import presentation_state

    rectangle = header(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=5, ShutterRightVerticalEdge=20,
                       ShutterUpperHorizontalEdge=3, ShutterLowerHorizontalEdge=12)
    circle = header(ShutterShape="CIRCULAR", CenterOfCircularShutter=[10, 15], RadiusOfCircularShutter=4)
    shared = pydicom.dcmread(enhanced_xa(tmp_path / "shared" / "xa.dcm", rectangle, [None, None, None]))
    state = presentation_state([(shared, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", 2)])
    assert state.ShutterShape == "RECTANGULAR" and state.ShutterPresentationValue == 0
    assert (state.ShutterLeftVerticalEdge, state.ShutterRightVerticalEdge, state.ShutterUpperHorizontalEdge,
            state.ShutterLowerHorizontalEdge) == (5, 20, 3, 12)
    agreeing = pydicom.dcmread(enhanced_xa(tmp_path / "agree" / "xa.dcm", None, [circle, circle, circle]))
    assert presentation_state([(agreeing, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", 1)]).ShutterShape == "CIRCULAR"
    differing = pydicom.dcmread(enhanced_xa(tmp_path / "differ" / "xa.dcm", None, [circle, rectangle, circle]))
    assert "ShutterShape" not in presentation_state([(differing, "arrow", [(1.0, 1.0), (5.0, 5.0)], "", 1)])


def test_a_colour_cine_s_frame_shutter_is_shown_in_its_cielab_colour(tmp_path: Path) -> None:
    """A Frame Display Shutter item (0018,9472) states no Photometric Interpretation: the object's
    says the image is colour, so the item's Shutter Presentation Color CIELab Value is used (C.7.6.11.1);
    judged by the item alone, the colour cine's shutter was the grey's black. White: L* 100, a* b* 0."""
    from dicom_factory import base_dataset

    from lightbox.viewer.loading import load_film_frames

    rgb = np.zeros((2, 20, 30, 3), np.uint8)
    rgb[..., 1] = 180  # green everywhere
    ds = base_dataset("1.2.840.10008.5.1.4.1.1.7.4", modality="OT")  # multi-frame true colour SC
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 20, 30, 3, "RGB"
    ds.PlanarConfiguration, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 0, 8, 8, 7, 0
    ds.NumberOfFrames, ds.PixelData = 2, rgb.tobytes()
    shutter = header(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=11, ShutterRightVerticalEdge=30,
                     ShutterUpperHorizontalEdge=1, ShutterLowerHorizontalEdge=20, ShutterPresentationValue=0,
                     ShutterPresentationColorCIELabValue=[65535, 32896, 32896])
    group = Dataset()
    group.FrameDisplayShutterSequence = [shutter]
    ds.SharedFunctionalGroupsSequence = [group]
    ds.PerFrameFunctionalGroupsSequence = [Dataset(), Dataset()]
    (tmp_path / "cine").mkdir()
    ds.save_as(tmp_path / "cine" / "sc.dcm", enforce_file_format=True)
    films = load_film_frames(build_index(tmp_path / "cine").all_series()[0], 0)
    assert len(films) == 2
    for film in films:
        assert film.colour is not None and film.shutter is not None
        assert film.shutter.colour == (255, 255, 255)
        painted = film.shutter.paint(film.colour)
        assert (painted[:, :10] == 255).all() and (painted[:, 10:] == (0, 180, 0)).all()
    # frames stating the same shape in two colours are two shutters (the colour is part of a shutter's key)
    black = header(**{k: shutter.get(k) for k in shutter.dir()})
    black.ShutterPresentationColorCIELabValue = [0, 32896, 32896]
    per_frame = []
    for item in (shutter, black):
        frame = Dataset()
        frame.FrameDisplayShutterSequence = [item]
        per_frame.append(frame)
    ds.SharedFunctionalGroupsSequence = [Dataset()]
    ds.PerFrameFunctionalGroupsSequence = per_frame
    ds.save_as(tmp_path / "cine" / "sc.dcm", enforce_file_format=True)
    films = load_film_frames(build_index(tmp_path / "cine").all_series()[0], 0)
    assert [f.shutter.colour for f in films if f.shutter is not None] == [(255, 255, 255), (0, 0, 0)]
