"""Non-square pixels are shown at their true shape (PS3.3 C.7.6.3.1.7): a film of 40 rows x 80
columns whose rows are 0.2 mm apart and columns 0.1 mm apart is 8 mm square, and is drawn square
by either 2D renderer — it was drawn twice as wide as tall, silently. The same from Pixel Aspect
Ratio when the film has no spacing. Expected sizes are the millimetres written into the file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dicom_factory import restamp, write_film


def white_run(line: np.ndarray) -> int:
    """Length of the white run through the middle of a line of grey levels."""
    white = line > 200
    middle = len(line) // 2
    assert white[middle]
    left = middle - int(np.argmin(white[middle::-1])) + 1 if not white[:middle + 1].all() else 0
    right = middle + int(np.argmin(white[middle:])) if not white[middle:].all() else len(line)
    return right - left


def shown_size(window, qtbot, path: Path, rotation: int = 0) -> tuple[int, int]:
    """(width, height) in screen pixels of the white film in the open pane."""
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    pane = window.area.viewports[0]
    pane.scene.set_overlays_visible(False)
    if rotation:
        pane.scene.display.rotation = rotation
        pane.scene.fit()
    grey = pane.grab_pixels()[..., 0]
    return white_run(grey[grey.shape[0] // 2]), white_run(grey[:, grey.shape[1] // 2])


@pytest.mark.parametrize(("tags", "rotation", "mm"), [
    ({"PixelSpacing": [0.2, 0.1]}, 0, (8.0, 8.0)),  # rows 0.2 mm apart: 40 rows are 8 mm, 80 columns of 0.1 mm are 8 mm
    ({"PixelAspectRatio": [2, 1]}, 0, (80.0, 80.0)),  # no spacing: a pixel twice as tall as wide, in column widths
    ({"PixelSpacing": [0.1, 0.1]}, 0, (8.0, 4.0)),  # square pixels: as wide as it is stored
    ({"PixelSpacing": [0.4, 0.05]}, 90, (16.0, 4.0)),  # 16 mm tall, 4 mm wide, turned a quarter: 16 wide, 4 tall
])
def test_a_film_with_non_square_pixels_is_shown_at_its_shape(any_renderer_window, qtbot, tmp_path: Path, tags, rotation,
                                                             mm) -> None:
    stored = np.full((40, 80), 1000, np.uint16)
    stored[0, 0] = 0  # (a film of one value would get an automatic window)
    path = write_film(tmp_path / "film.dcm", stored, window=(500, 1000), spacing=None, patient_orientation=None)
    restamp([path], **tags)
    width, height = shown_size(any_renderer_window, qtbot, path, rotation)
    assert abs(width / height - mm[0] / mm[1]) < 0.03, (width, height)


def test_the_browser_thumbnail_has_the_films_shape(tmp_path: Path) -> None:
    from lightbox.viewer.index import build_index
    from lightbox.viewer.thumbnails import series_thumbnail

    stored = np.full((40, 80), 1000, np.uint16)
    stored[0, 0] = 0
    path = write_film(tmp_path / "a" / "film.dcm", stored, window=(500, 1000), spacing=(0.2, 0.1), patient_orientation=None)
    (series,) = build_index(path.parent).all_series()
    assert series_thumbnail(series, 96).shape == (80, 80)  # 8 x 8 mm: square, 80 column widths a side
    square = write_film(tmp_path / "b" / "film.dcm", stored, window=(500, 1000), spacing=(0.1, 0.1), patient_orientation=None)
    (series,) = build_index(square.parent).all_series()
    assert series_thumbnail(series, 96).shape == (40, 80)  # square pixels: as stored


def test_an_angle_on_an_uncalibrated_film_of_tall_pixels_is_the_angle_shown() -> None:
    """Two lines meeting at 90° as shown on a film whose pixels are twice as tall as wide: in
    stored pixels one runs 2 columns right and 1 row down (shown 2 by 2: 45° below the
    horizontal), the other 1 column right and 1 row up (shown 1 by 2)."""
    from lightbox.viewer.measure import angle, length

    vertex = (10.0, 10.0)
    arm_a, arm_b = (12.0, 11.0), (12.0, 8.0)  # shown: (2, 2) and (2, -4) from the vertex
    # cos = (2*2 + 2*-4) / (|(2,2)| |(2,-4)|) = -4 / (2.828 * 4.472): 108.43°, by hand
    assert angle([arm_a, vertex, arm_b], None, aspect=2.0) == pytest.approx(108.4349, abs=1e-3)
    assert angle([arm_a, vertex, arm_b], None) == pytest.approx(71.5651, abs=1e-3)  # square pixels: another angle
    assert length([vertex, (10.0, 13.0)], None, aspect=2.0) == (6.0, "px")  # 3 rows: 6 column widths


def test_the_films_measurement_labels_use_its_aspect() -> None:
    from lightbox.viewer.display import FilmDisplay
    from lightbox.viewer.pixels import Window
    from lightbox.viewer.views.film_scene import FilmScene
    from lightbox.viewer.volume import Film

    scene = FilmScene(Film(np.zeros((40, 80), np.float32), Window(0, 100), aspect=2.0), FilmDisplay())
    for point in ((10.0, 10.0), (10.0, 13.0)):
        m = scene.measure.add_point("length", point)
    assert scene.measure.label(m) == "6.0 px"


@pytest.mark.parametrize(("tags", "side"), [
    ({"ImageLaterality": "L"}, "L"),
    ({"Laterality": "R"}, "R"),  # the series' Laterality where the image's is absent
    ({"ImageLaterality": "B", "Laterality": "R"}, "B"),  # the image's first
    ({}, None),
])
def test_a_films_side_is_read_once_from_image_or_series_laterality(tmp_path: Path, tags, side) -> None:
    """One metadata key, ``laterality``, for the overlay's "CR AP LEFT" and the report header's
    "CR KNEE LEFT" (PS3.3 C.7.6.1.1.3, C.7.3.1.1)."""
    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import load_film

    stored = np.full((8, 8), 1000, np.uint16)
    path = write_film(tmp_path / "film.dcm", stored, window=(500, 1000))
    if tags:
        restamp([path], **tags)
    (series,) = build_index(tmp_path).all_series()
    metadata = load_film(series, 0).metadata
    assert metadata.get("laterality") == side and "series_laterality" not in metadata
