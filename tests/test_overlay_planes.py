"""DICOM overlay planes (60xx): read as pydicom reads Overlay Data, placed at their origin,
embedded ones taken from the high bits without touching the image values, listed by ``inspect``
and drawn exactly on their pixels in the window (each renderer), hidden and shown by Shift+O."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import add_overlay, write_film
from pydicom.overlays import get_overlay_array
from PySide6.QtCore import Qt

from lightbox.app.cli import main
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film
from lightbox.viewer.views.overlays import OVERLAY_PLANE_RGB

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def only_film(path: Path):
    (series,) = build_index(path).all_series()
    return load_film(series)


def test_a_siemens_overlay_reads_as_pydicom_reads_it() -> None:
    path = PYDICOM_FILES / "examples_overlay.dcm"
    film = only_film(path)
    (plane,) = film.overlays
    expected = get_overlay_array(pydicom.dcmread(path), 0x6000).astype(bool)  # origin 1\1, the image's size
    assert plane.mask.shape == film.shape and np.array_equal(plane.mask, expected) and int(expected.sum()) == 222
    assert (plane.group, plane.kind, plane.label, plane.embedded) == (0x6000, "G", "Siemens MedCom Object Graphics", False)


def test_an_overlay_is_placed_at_its_origin_and_clipped_to_the_image(tmp_path: Path) -> None:
    path = write_film(tmp_path / "film.dcm", np.full((40, 50), 100, np.uint16))
    mask = np.zeros((10, 12), bool)
    mask[0, :] = mask[-1, :] = mask[:, 0] = mask[:, -1] = True  # a 10 x 12 frame
    add_overlay(path, mask, origin=(5, 8), label="lesion")  # 1-based: rows 4..13, columns 7..18
    add_overlay(path, np.ones((6, 6), bool), group=0x6002, origin=(38, 48))  # 3 x 3 of it lies on the image
    first, second = only_film(path).overlays
    expected = np.zeros((40, 50), bool)
    expected[4:14, 7:19] = mask
    assert np.array_equal(first.mask, expected) and first.label == "lesion"
    assert second.group == 0x6002 and int(second.mask.sum()) == 9 and second.mask[37:40, 47:50].all()


def test_an_embedded_overlay_is_read_from_the_high_bits_and_the_image_values_stay(tmp_path: Path) -> None:
    rows, columns = np.mgrid[0:32, 0:32]
    stored = (rows * 100 + columns).astype(np.uint16)  # 12-bit values
    path = tmp_path / "old-mr.dcm"
    write_film(path, stored)
    ds = pydicom.dcmread(path)
    ds.BitsStored, ds.HighBit = 12, 11
    ds.save_as(path)
    diagonal = np.eye(32, dtype=bool)
    add_overlay(path, diagonal, embedded_bit=15)
    film = only_film(path)
    (plane,) = film.overlays
    assert plane.embedded and np.array_equal(plane.mask, diagonal)
    assert np.array_equal(film.values, stored)  # bit 15 is an overlay bit, not 32768 added to the diagonal


def test_inspect_lists_the_overlay_planes(tmp_path: Path, capsys) -> None:
    path = write_film(tmp_path / "film.dcm", np.full((20, 20), 100, np.uint16))
    add_overlay(path, np.ones((2, 3), bool), label="marked lesion")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "image 1: overlay 6000 'marked lesion': graphics, 6 pixels set (Overlay Data)" in out


def test_overlay_pixels_are_drawn_exactly_and_hidden_by_shift_o(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    path = write_film(tmp_path / "film.dcm", np.full((60, 80), 500, np.uint16), window=(500, 1000))
    ring = np.zeros((20, 20), bool)
    ring[0, :] = ring[-1, :] = ring[:, 0] = ring[:, -1] = True
    add_overlay(path, ring, origin=(21, 31))  # the ring's corners at rows 20/39, columns 30/49
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    scene.display.zoom = 2.0  # as a zoom drag would leave it
    qtbot.wait(300)  # the settled frame

    def colour_at(column: int, row: int) -> tuple[int, int, int]:
        # at 2:1 an image pixel covers 2 x 2 screen pixels around its centre: the screen pixel
        # whose centre lies nearest to it (never on a border between two image pixels)
        x, y = scene.image_to_display(column, row)
        pixels = widget.grab_pixels()  # device pixels, top row first; display y counts from the bottom
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))])

    grey = 128  # 500 in W 1000 / L 500: (500 - 499.5) / 999 * 255 + 127.5 rounds to 128
    for column, row in ((30, 20), (49, 39), (40, 20), (30, 30)):
        assert colour_at(column, row) == OVERLAY_PLANE_RGB, (column, row)
    for column, row in ((40, 30), (31, 21), (29, 20), (50, 39)):  # inside the ring and just outside it
        assert colour_at(column, row) == (grey, grey, grey), (column, row)
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    qtbot.wait(300)
    assert colour_at(30, 20) == (grey, grey, grey)
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    qtbot.wait(300)
    assert colour_at(30, 20) == OVERLAY_PLANE_RGB


@pytest.mark.parametrize("origin", [(0, 0), (-3, 5)])
def test_an_origin_above_the_image_is_clipped(tmp_path: Path, origin) -> None:
    """Overlay Origin is 1-based and may be negative or 0 (C.9.2.1.1): the part off the image
    is not drawn and the rest stays in place."""
    path = write_film(tmp_path / "film.dcm", np.full((10, 10), 1, np.uint16))
    add_overlay(path, np.ones((4, 4), bool), origin=origin)
    (plane,) = only_film(path).overlays
    top, left = origin[0] - 1, origin[1] - 1
    expected = np.zeros((10, 10), bool)
    expected[max(top, 0):top + 4, max(left, 0):left + 4] = True
    assert np.array_equal(plane.mask, expected)


def test_overlays_of_acquired_slices_are_drawn_on_their_slice(any_renderer_window, qtbot, tmp_path: Path, capsys) -> None:
    """An MR stack whose slices 2 and 3 carry a lesion outline: drawn on those slices of the
    acquired-plane pane, exactly on the overlay's pixels, not on the others; Shift+O hides them;
    ``inspect`` lists them by slice."""
    from dicom_factory import axial_positions, write_ct_series
    from PySide6.QtWidgets import QApplication

    window = any_renderer_window
    paths = write_ct_series(tmp_path, axial_positions(6, spacing=3.0), rows=40, columns=40, window=(1000, 2000))
    ring = np.zeros((10, 10), bool)
    ring[0, :] = ring[-1, :] = ring[:, 0] = ring[:, -1] = True
    for n in (2, 3):
        add_overlay(paths[n], ring, origin=(25, 5), label="lesion")  # rows 24..33, columns 4..13 (off the crosshair)
    assert main(["inspect", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "slice 3: overlay 6000 'lesion': graphics, 36 pixels set (Overlay Data)" in out
    assert "slice 4: overlay 6000 'lesion'" in out and "slice 2: overlay" not in out
    window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    widget = window.area.viewports[0]
    scene = widget.scene
    scene.property.SetInterpolationTypeToNearest()
    geometry = scene.volume.geometry

    def colour_at(column: int, row: int, k: int) -> tuple[int, ...]:
        x, y = scene.world_to_display(geometry.index_to_world((column, row, k)))
        pixels = widget.grab_pixels()
        return tuple(int(v) for v in pixels[pixels.shape[0] - 1 - int(math.floor(y)), int(math.floor(x))])

    def show_slice(k: int) -> None:
        scene.move_to(float(geometry.index_to_world((0, 0, k)) @ scene.normal))
        qtbot.wait(250)

    show_slice(2)
    assert colour_at(4, 24, 2) == OVERLAY_PLANE_RGB and colour_at(13, 33, 2) == OVERLAY_PLANE_RGB
    assert colour_at(8, 28, 2) != OVERLAY_PLANE_RGB  # inside the ring
    show_slice(1)  # no overlay on this slice
    assert colour_at(4, 24, 1) != OVERLAY_PLANE_RGB
    show_slice(3)
    assert colour_at(4, 24, 3) == OVERLAY_PLANE_RGB
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    qtbot.wait(250)
    assert colour_at(4, 24, 3) != OVERLAY_PLANE_RGB


def test_an_embedded_overlay_of_a_stack_slice_is_read_from_its_pixel_words(tmp_path: Path, capsys) -> None:
    """An old MR stack whose slice 2 keeps an outline in bit 14 of its 12-bit words: the index
    reads headers only, so that slice's words are read for it; the outline is on slice 2 only, and
    the slice's values stay (1001 stored, 500 more in the marker square; HU = stored - 1024)."""
    from dicom_factory import axial_positions, write_ct_series

    from lightbox.viewer.loading import load_volume

    paths = write_ct_series(tmp_path, axial_positions(4, spacing=3.0), rows=20, columns=20, window=None)
    diagonal = np.eye(20, dtype=bool)
    add_overlay(paths[1], diagonal, embedded_bit=14, label="old outline")
    (series,) = build_index(tmp_path).all_series()
    volume = load_volume(series)
    assert set(volume.overlay_planes) == {1} and not [w for w in volume.warnings if "overlay" in w]
    (plane,) = volume.overlay_planes[1]
    assert plane.embedded and np.array_equal(plane.mask, diagonal)
    expected = np.full((20, 20), 1001 - 1024)
    expected[2:6, 3:8] = 1500 - 1024
    assert np.array_equal(volume.array[1], expected)
    assert main(["inspect", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "slice 2: overlay 6000 'old outline': graphics, 20 pixels set (in the pixel data's high bits)" in out
