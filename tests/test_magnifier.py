"""Tools → Magnifier (viewer/views/qt_loupe.py, PlaneRaster.magnified): while the left button is held
over a film or a slice, a lens shows the image's own pixels enlarged, as the view shows them
(window, inversion, rotation, flips), nearest; the wheel steps 1:1 to 8:1; an oblique reformat and
a slab are said, not magnified.

Expected pixels are the film's stored values through the DICOM LINEAR window computed here
(PS3.3 C.11.2.1.2.1), at the image pixels each lens pixel falls on, written out by hand.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from dicom_factory import axial_positions, write_ct_series, write_film
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from test_views import Rendered
from window_helpers import image_point

from lightbox.viewer.display import FilmDisplay
from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film
from lightbox.viewer.pixels import Window
from lightbox.viewer.views.film_scene import FilmScene
from lightbox.viewer.views.raster import PlaneRaster

RNG = np.random.default_rng(11)
CENTRE, WIDTH = 500.0, 1000.0
# a lens of 8 pixels at 2:1 centred on an image pixel's centre: lens pixel u falls on image pixel
# centre + OFFSETS[u] (the centre pixel under lens pixels 3 and 4, its neighbours under two each)
OFFSETS = np.array([-2, -1, -1, 0, 0, 1, 1, 2])


def _grey(stored: np.ndarray) -> np.ndarray:
    """DICOM LINEAR window (C.11.2.1.2.1), 0..255, rounded."""
    y = np.clip((stored - (CENTRE - 0.5)) / (WIDTH - 1) + 0.5, 0.0, 1.0) * 255.0
    return np.rint(y).astype(int)


def _film(tmp_path: Path, shape: tuple[int, int] = (48, 64)) -> tuple[Path, np.ndarray]:
    stored = RNG.integers(0, 1001, size=shape).astype(np.uint16)
    return write_film(tmp_path / "film.dcm", stored, window=(CENTRE, WIDTH)), stored


def _lens_at(scene, column: int, row: int, magnification: int = 2, size: int = 8) -> np.ndarray:
    x, y = scene.image_to_display(column, row)
    return PlaneRaster(scene).magnified(x, y, size, magnification).astype(int)


def test_the_lens_shows_the_films_own_pixels_as_the_view_turns_them(tmp_path: Path) -> None:
    path, stored = _film(tmp_path)
    display = FilmDisplay()
    scene = FilmScene(load_film(build_index(path).all_series()[0]), display)
    view = Rendered(scene)  # the whole film in 200 x 200: about 3 screen pixels per image pixel
    try:
        grey = _grey(stored.astype(float))
        column, row = 20, 30
        plain = grey[np.ix_(row + OFFSETS, column + OFFSETS)]
        assert (_lens_at(scene, column, row) == plain).all()
        # 4:1: each image pixel under four lens pixels (8 pixels: the centre pixel and one either side, halves at the ends)
        four = grey[np.ix_(row + np.array([-1, -1, 0, 0, 0, 0, 1, 1]), column + np.array([-1, -1, 0, 0, 0, 0, 1, 1]))]
        assert (_lens_at(scene, column, row, magnification=4) == four).all()
        display.flip_horizontal = True  # the lens is flipped with the view
        scene.fit()
        assert (_lens_at(scene, column, row) == plain[:, ::-1]).all()
        display.flip_horizontal = False
        display.rotate(90)  # a quarter turn clockwise: the lens turns with it
        scene.fit()
        assert (_lens_at(scene, column, row) == np.rot90(plain, -1)).all()
        display.rotate(-90)
        display.invert = True  # the reader's inversion
        scene.fit()
        assert (_lens_at(scene, column, row) == 255 - plain).all()
        display.invert = False
        display.set_window(Window(100.0, 50.0))  # another window: the lens windows as the view
        scene.fit()
        narrow = np.clip((stored.astype(float) - 99.5) / 49 + 0.5, 0, 1) * 255
        assert (_lens_at(scene, column, row) == np.rint(narrow).astype(int)[np.ix_(row + OFFSETS, column + OFFSETS)]).all()
        # at the film's corner the lens shows black beyond it
        corner = _lens_at(scene, 0, 0)
        assert (corner[:3] == 0).all() and (corner[:, :3] == 0).all() and corner[3:, 3:].any()
    finally:
        view.close()


def _press(qtbot, widget, at: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=at)


def _wheel(widget, at: QPoint, steps: int) -> None:
    QApplication.sendEvent(widget, QWheelEvent(QPointF(at), QPointF(widget.mapToGlobal(at)), QPoint(0, 0),
                                               QPoint(0, 120 * steps), Qt.MouseButton.LeftButton,
                                               Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False))


def test_held_over_a_film_in_the_window(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    path, stored = _film(tmp_path, (768, 1024))  # shown whole: under one screen pixel per film pixel
    window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.tool_actions["magnifier"].trigger()  # Tools → Magnifier
    pane = window.area.viewports[0]
    scene = pane.scene
    at = image_point(pane, scene, 20, 30)
    _press(qtbot, pane, at)
    loupe = pane._loupe
    assert loupe is not None and loupe.isVisible()
    assert window.cursor_label.text().startswith("Magnifier 2:1 (each image pixel 2 screen pixels)")
    lens = loupe.pixels[..., 0].astype(int)
    assert lens.shape == (256, 256)
    # the lens's middle is the pressed pixel's neighbourhood at 2:1: every lens pixel one of the
    # image pixels around (20, 30), through the window, and all nine of the nearest shown
    grey = _grey(stored.astype(float))
    middle = lens[126:130, 126:130]
    assert set(middle.ravel()) <= set(grey[29:32, 19:22].ravel())
    assert set(grey[29:32, 19:22].ravel()) <= set(lens[123:133, 123:133].ravel())
    # the global position: centred on the pointer
    centre = loupe.geometry().center()
    assert abs(centre.x() - pane.mapToGlobal(at).x()) <= 1 and abs(centre.y() - pane.mapToGlobal(at).y()) <= 1
    _wheel(pane, at, 1)  # the wheel while held: 4:1, not a zoom of the film
    zoom = scene.zoom if hasattr(scene, "zoom") else None
    assert loupe.magnification == 4 and window.cursor_label.text().startswith("Magnifier 4:1")
    _wheel(pane, at, 5)
    assert loupe.magnification == 8
    assert (getattr(scene, "zoom", None)) == zoom
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, pos=at)
    assert not loupe.isVisible()
    # the film zoomed in to 2.5 screen pixels per pixel: the lens starts at least 1.5 times
    # larger (3.75), at 4:1; at 1.97 (a MONOCHROME1 film at 197 %) 2:1 had magnified nothing
    loupe.magnification = 2
    scene.zoom_by(2.5 / PlaneRaster(scene).screen_scale())
    at = image_point(pane, scene, 20, 30)
    _press(qtbot, pane, at)
    assert loupe.isVisible() and loupe.magnification == 4
    _wheel(pane, at, -1)  # and goes no lower than that
    assert loupe.magnification == 4
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, pos=at)
    loupe.magnification = 2
    scene.zoom_by(1.97 / PlaneRaster(scene).screen_scale())
    _press(qtbot, pane, image_point(pane, scene, 20, 30))
    assert loupe.magnification == 4  # twice the view, not 2:1 at 1.97
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, pos=image_point(pane, scene, 20, 30))


def test_a_slice_is_magnified_a_slab_is_said(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    write_ct_series(tmp_path / "ct", axial_positions(16, spacing=2.0), rows=40, columns=40)
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    window.set_layout("2x2")
    qtbot.waitUntil(lambda: not window.is_loading(), timeout=30000)
    window.set_tool("magnifier")
    axial = next(w for w in window.area.viewports if getattr(w.scene, "plane", "") == "axial")
    middle = QPoint(axial.width() // 2, axial.height() // 2)
    _press(qtbot, axial, middle)
    assert axial._loupe.isVisible()
    lens = axial._loupe.pixels[..., 0]
    assert len(np.unique(lens)) > 1  # the slice's values, windowed (the factory's slice, its marker square)
    qtbot.mouseRelease(axial, Qt.MouseButton.LeftButton, pos=middle)
    # the 3D pane: a left drag turns it whatever the tool (as with the measuring tools), no lens
    three_d = next(w for w in window.area.viewports if getattr(w.scene, "kind", "") == "3d")
    _press(qtbot, three_d, QPoint(three_d.width() // 2, three_d.height() // 2))
    assert three_d._loupe is None
    qtbot.mouseRelease(three_d, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    axial.scene.display.slab_mode, axial.scene.display.slab_thickness_mm = "mip", 10.0
    _press(qtbot, axial, middle)
    assert not axial._loupe.isVisible()
    assert "not on a slab" in window.statusBar().currentMessage()
    qtbot.mouseRelease(axial, Qt.MouseButton.LeftButton, pos=middle)
