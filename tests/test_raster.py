"""The CPU raster path (films and MPR planes without OpenGL) shows the very pixels of the VTK
view, and the window picks it where OpenGL is a software rasteriser."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from test_gui import wait_loaded, window  # noqa: F401  (the window fixture)
from test_views import SIZE, Rendered, ramp_volume

from lightbox.viewer.display import FilmDisplay, VolumeDisplay
from lightbox.viewer.geometry import Geometry
from lightbox.viewer.pixels import Window, window_values
from lightbox.viewer.views.film_scene import FilmScene
from lightbox.viewer.views.mpr_scene import MprScene
from lightbox.viewer.views.qt_raster import RasterWidget
from lightbox.viewer.views.qt_vtk import VtkWidget
from lightbox.viewer.views.raster import PlaneRaster
from lightbox.viewer.volume import Film, Volume

RNG = np.random.default_rng(7)


def _compare(view: Rendered) -> tuple[np.ndarray, np.ndarray]:
    """(VTK's grey levels with nearest sampling, the raster's) for the image layer alone."""
    scene = view.scene
    scene.set_overlays_visible(False)
    for lines in getattr(scene, "cross_lines", {}).values():
        lines.actor.SetVisibility(False)
    scene.property.SetInterpolationTypeToNearest()
    vtk = view.pixels()[..., 0]
    raster = PlaneRaster(scene)
    assert raster.supported()
    return vtk, raster.render(SIZE, SIZE)


@pytest.mark.parametrize("rotation, flip", [(0, False), (90, False), (180, True), (270, False), (90, True)])
@pytest.mark.parametrize("zoom", [1.0, 3.3])
def test_film_pixels_equal_vtks(rotation: int, flip: bool, zoom: float) -> None:
    film = Film(RNG.integers(0, 1000, (50, 70)).astype(np.float32), Window(500, 800))
    display = FilmDisplay()
    display.set_window(film.window)
    view = Rendered(FilmScene(film, display))
    display.rotation, display.flip_horizontal = rotation, flip
    view.scene.fit()
    display.zoom *= zoom
    display.pan_x = 3.0
    vtk, raster = _compare(view)
    assert np.array_equal(vtk, raster)
    assert len(np.unique(raster)) > 50  # an image, not a blank
    view.close()


@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_mpr_pixels_equal_vtks(plane: str) -> None:
    volume = ramp_volume()
    volume.array[:] = RNG.integers(-100, 100, volume.array.shape)
    display = VolumeDisplay()
    display.set_window(Window(0, 150))
    display.crosshair = (8.0, 10.0, 10.0)
    view = Rendered(MprScene(volume, display, plane))
    vtk, raster = _compare(view)
    assert np.array_equal(vtk, raster)
    display.invert = True
    vtk, inverted = _compare(view)
    outside = (inverted == 0) & (raster == 0)  # black around the volume stays black
    assert np.all((inverted == 255 - raster) | outside)  # C.7.6.3.1.2: inversion after the VOI window
    assert np.count_nonzero(~outside) > SIZE * SIZE // 4
    assert np.abs(vtk.astype(int) - inverted).max() <= 1  # VTK's inverted ramp is a 4096-entry table
    view.close()


def test_settled_frame_interpolates_as_vtk_does() -> None:
    """Once still, magnified images are interpolated like the VTK views (linear sampling): a
    film's grey levels, an MPR plane's values before the window."""
    film = Film(RNG.integers(0, 1000, (30, 40)).astype(np.float32), Window(500, 800))
    display = FilmDisplay()
    display.set_window(film.window)
    view = Rendered(FilmScene(film, display))
    display.rotation = 90
    view.scene.fit()
    display.zoom *= 1.7
    view.scene.set_overlays_visible(False)
    smooth = PlaneRaster(view.scene).render(SIZE, SIZE, smooth=True)
    # OpenGL filters textures with fixed-point weights (8 bits in llvmpipe): a level or two
    assert np.abs(view.pixels()[..., 0].astype(int) - smooth).max() <= 2
    assert len(np.unique(smooth)) > len(np.unique(PlaneRaster(view.scene).render(SIZE, SIZE)))  # blends
    view.close()
    volume = ramp_volume()
    volume.array[:] = RNG.integers(-100, 100, volume.array.shape)
    vdisplay = VolumeDisplay()
    vdisplay.set_window(Window(0, 150))  # narrower than the values: windowing before or after
    vdisplay.crosshair = (8.0, 10.0, 10.0)  # interpolating differs, VTK interpolates first
    view = Rendered(MprScene(volume, vdisplay, "coronal"))
    view.scene.set_overlays_visible(False)
    for lines in view.scene.cross_lines.values():
        lines.actor.SetVisibility(False)
    smooth = PlaneRaster(view.scene).render(SIZE, SIZE, smooth=True)
    # interpolated values are rounded to whole units before the window, and one unit is 1.7
    # grey levels in this window: VTK and the raster may round a half differently
    assert np.abs(view.pixels()[..., 0].astype(int) - smooth).max() <= 2
    # minified (a small pane of a grid: fewer screen pixels than voxels) it still interpolates
    vdisplay.zoom = 0.37
    smooth = PlaneRaster(view.scene).render(SIZE, SIZE, smooth=True)
    assert np.abs(view.pixels()[..., 0].astype(int) - smooth).max() <= 2
    assert not np.array_equal(smooth, PlaneRaster(view.scene).render(SIZE, SIZE))
    view.close()


def test_minified_film_shows_the_mean_of_the_pixels_it_covers() -> None:
    """Shown at a quarter of its size, each screen pixel is the mean of a 4 x 4 block (a mipmap),
    not one pixel picked out of it (which aliases fine lines away)."""
    values = np.zeros((800, 800), np.float32)
    values[:, 1::4] = 1000.0  # one-pixel lines every fourth column
    film = Film(values, Window(500, 1001))
    display = FilmDisplay()
    display.set_window(film.window)
    view = Rendered(FilmScene(film, display))
    display.zoom = 0.25
    raster = PlaneRaster(view.scene)
    grey = raster.render(SIZE, SIZE)
    assert set(np.unique(grey)) == {int(window_values(np.array([250.0]), film.window)[0])}
    view.close()


def test_mip_slab_on_the_cpu() -> None:
    volume = ramp_volume()
    volume.array[:] = 0
    volume.array[7] = 1000
    display = VolumeDisplay()
    display.set_window(volume.window)
    display.crosshair = (8.0, 10.0, 10.0)  # k = 5: black
    view = Rendered(MprScene(volume, display, "axial"))
    raster = PlaneRaster(view.scene)
    assert raster.render(SIZE, SIZE)[SIZE // 2, SIZE // 2] == 0
    display.slab_thickness_mm = 10.0  # k 2.5 .. 7.5 holds the bright k = 7
    display.slab_mode = "mip"
    assert raster.render(SIZE, SIZE)[SIZE // 2, SIZE // 2] == 255
    display.slab_mode = "minip"
    assert raster.render(SIZE, SIZE)[SIZE // 2, SIZE // 2] == 0
    view.close()


def test_oblique_volume_is_left_to_vtk() -> None:
    t = math.radians(20)
    tilted = np.array([[1, 0, 0], [0, math.cos(t), -math.sin(t)], [0, math.sin(t), math.cos(t)]])
    volume = Volume(np.zeros((10, 20, 20), np.int16), Geometry(spacing=(1, 1, 1), direction=tilted), "CT", Window(0, 100))
    display = VolumeDisplay()
    display.set_window(volume.window)
    view = Rendered(MprScene(volume, display, "axial"))
    assert not PlaneRaster(view.scene).supported()
    view.close()


@pytest.mark.parametrize("width", range(420, 700, 20))
def test_corner_text_painted_by_qt_keeps_clear_of_the_orientation_letter(qtbot, width: int) -> None:
    """Qt paints the corner texts with the system's "Arial", wider than the one VTK fitted them
    with: the painted text still ends before the letter at the middle of the top edge."""
    film = Film(np.zeros((64, 64), np.float32), Window(500, 800))
    display = FilmDisplay()
    display.set_window(film.window)
    scene = FilmScene(film, display)
    widget = RasterWidget()
    qtbot.addWidget(widget)
    widget.resize(width, 600)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_scene(scene)
    scene.edges.set({"top": "H", "bottom": "F", "left": "R", "right": "L"})
    scene.corners.set("upper_right", "Synthetic chest phantom (demo, not a patient)\n2026-01-01\n"
                                     "Demo PA chest film (projection of the phantom)")
    pixels = widget.grab_pixels()
    h, w, _ = pixels.shape
    bright = np.flatnonzero((pixels[: h // 10].max(axis=2) > 120).any(axis=0))  # columns with text
    letter = bright[np.abs(bright - w / 2) < 8]
    assert letter.size >= 5  # the H is there, at the middle
    right_of_letter = bright[bright > letter.max()]
    assert right_of_letter.min() - letter.max() >= 4  # a clear gap before the corner text begins
    widget.close()


# -- in the window ------------------------------------------------------------------------------


def test_window_draws_films_and_planes_on_the_cpu_when_asked(window, qtbot, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "cpu")
    window.resize(1800, 1100)  # quarters big enough to hold the corner texts counted below
    window.open_path("demo:ct")
    wait_loaded(qtbot, window)
    window.set_layout("2x2")
    qtbot.wait(50)
    kinds = [type(w) for w in window.area.viewports]
    assert kinds == [RasterWidget, RasterWidget, RasterWidget, VtkWidget]  # the 3D pane stays VTK
    axial = window.area.viewports[0]
    scene = axial.scene
    pixels = axial.grab_pixels()
    h, w, _ = pixels.shape
    assert (h, w) == (axial.height(), axial.width())
    # overlays are drawn: the crosshair's coronal (green) line crosses the axial plane at the
    # crosshair's row, and the corners hold text (grey levels other than the image's)
    x, y = scene.world_to_display(np.asarray(scene.display.crosshair))
    row = pixels[int(round(h - 1 - y))]
    assert any(g > 150 and r < 120 for r, g, _ in row[w // 8: w // 2])
    corner = pixels[: h // 12, : w // 4]
    assert np.count_nonzero(corner.max(axis=2) > 150) > 50
    # the image under the centre is the raster's: W/L drag changes it as the display says
    before = scene.display.window
    window.set_tool("wl")
    centre = axial.rect().center()
    qtbot.mousePress(axial, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(axial, centre + QPoint(40, 0))
    qtbot.mouseRelease(axial, Qt.MouseButton.LeftButton, pos=centre + QPoint(40, 0))
    assert scene.display.window.width > before.width
    # frames during the drag repeat the nearest voxel; once still, the view is interpolated
    assert not axial._settled
    nearest = axial.frame(settled=False)
    qtbot.waitUntil(lambda: axial._settled, timeout=2000)
    assert axial.frame() != nearest
    monkeypatch.setenv("LIGHTBOX_2D_RENDERER", "vtk")
    window.open_path("demo:film")
    wait_loaded(qtbot, window)
    assert type(window.area.viewports[0]) is VtkWidget
