"""Interaction frame times, offscreen: window/level drag on a 2048 x 2048 film, MPR scroll on a
CT volume, and volume-rendering rotation. Each frame is a state change plus a full render and
``glFinish`` (what the window does per mouse event); median, 95th percentile and frames/s.
The 2D interactions are also timed on the CPU raster path (``qt_raster``: the image by numpy,
the overlays by QPainter, into a picture of the view's size), which the window uses when OpenGL
is a software rasteriser."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ...viewer.display import FilmDisplay, VolumeDisplay
from ...viewer.geometry import Geometry
from ...viewer.pixels import Window
from ...viewer.views.film_scene import FilmScene
from ...viewer.views.mpr_scene import MprScene, volume_center
from ...viewer.views.volume_scene import VolumeScene
from ...viewer.views.vtk_data import new_render_window
from ...viewer.volume import Film, Volume

VIEW_SIZE = (1024, 1024)
_APP = None


def _timed(step: Callable[[int], None], draw: Callable[[], None], frames: int) -> dict[str, float]:
    """Time ``frames`` frames of ``step(n)`` then ``draw()``: median, 95th percentile, frames/s."""
    times = []
    for n in range(frames):
        t = time.perf_counter()
        step(n)
        draw()
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1000
    return {"frames": frames, "median_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95)),
            "fps": float(1000 / np.median(ms))}


def frame_times(scene, step: Callable[[int], None], frames: int, size: tuple[int, int] = VIEW_SIZE) -> dict[str, float]:
    window = new_render_window(*size)
    window.AddRenderer(scene.renderer)
    scene.request_render = lambda: None
    if hasattr(scene, "fall_back_to_cpu"):
        scene.fall_back_to_cpu(window)
    scene.fit()
    window.Render()  # first frame: textures and shaders; not timed
    def draw() -> None:
        window.Render()
        window.WaitForCompletion()

    result = _timed(step, draw, frames)
    window.RemoveRenderer(scene.renderer)
    window.Finalize()
    return result


def raster_frame_times(scene, step: Callable[[int], None], frames: int, size: tuple[int, int] = VIEW_SIZE) -> dict[str, float]:
    """As :func:`frame_times`, drawn by the CPU raster widget (a repaint's work: ``frame()``)."""
    from PySide6.QtWidgets import QApplication

    from ...viewer.views.qt_raster import RasterWidget

    global _APP
    if QApplication.instance() is None:  # widgets need one (kept: a collected one quits)
        _APP = QApplication([])
    widget = RasterWidget()
    widget.resize(*size)
    widget.set_scene(scene)
    scene.request_render = lambda: None
    widget.frame()  # first frame: pyramid and tables; not timed
    # what the user sees while dragging: nearest-pixel frames; the interpolated frame drawn
    # once the view is still is timed apart
    result: dict[str, Any] = _timed(step, lambda: None if widget.frame(settled=False) else None, frames)
    settled = _timed(lambda n: None, lambda: None if widget.frame(settled=True) else None, max(3, frames // 10))
    widget.set_scene(None)
    return {**result, "renderer": "cpu raster", "settled_frame_ms": settled["median_ms"]}


def synthetic_film(size: int = 2048) -> Film:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size]
    values = (2000 + 1500 * np.sin(x / 97.0) * np.cos(y / 131.0) + rng.normal(0, 40, (size, size))).astype(np.float32)
    return Film(values, Window(2000, 3000), spacing=(0.15, 0.15))


def synthetic_ct(slices: int = 600, size: int = 512) -> Volume:
    rng = np.random.default_rng(1)
    base = rng.integers(-1000, 1500, (size, size), dtype=np.int16)
    array = np.empty((slices, size, size), np.int16)
    for k in range(slices):
        array[k] = np.roll(base, k, axis=0)
    return Volume(array, Geometry(spacing=(0.7, 0.7, 0.8)), "CT", Window(40, 400))


def bench_window_level(frames: int = 120, raster: bool = False) -> dict[str, float]:
    display = FilmDisplay()
    scene = FilmScene(synthetic_film(), display)
    timer = raster_frame_times if raster else frame_times
    return timer(scene, lambda n: display.drag_window(3.0 if n % 40 < 20 else -3.0, 1.5, 5.0), frames)


def bench_mpr_scroll(volume: Volume, frames: int = 120, raster: bool = False) -> dict[str, float]:
    display = VolumeDisplay()
    display.set_window(Window(-600, 1500))
    display.crosshair = tuple(volume_center(volume))
    scene = MprScene(volume, display, "axial")
    direction = [1]

    def step(n: int) -> None:
        number, total = scene.slice_count()
        if number in (1, total):
            direction[0] *= -1
        scene.scroll(direction[0])

    return (raster_frame_times if raster else frame_times)(scene, step, frames)


def bench_volume_rotation(volume: Volume, frames: int = 30, mapper: str = "cpu") -> dict[str, Any]:
    """Rotation at 512 x 512: every frame at full quality (the peer), and as the window draws it
    (``progressive``): the level of detail while the mouse moves, the full frame once still, and
    the first frames after opening (unshaded, then shaded)."""
    display = VolumeDisplay(render_preset="bone")
    scene = VolumeScene(volume, display, mapper=mapper)
    result: dict[str, Any] = frame_times(scene, lambda n: scene.rotate(6.0), frames, (512, 512))
    result["mapper"] = scene.mapper_kind
    progressive = VolumeScene(volume, VolumeDisplay(render_preset="bone"), mapper=mapper, progressive=True)
    window = new_render_window(512, 512)
    window.AddRenderer(progressive.renderer)
    progressive.request_render = progressive.request_render_when_still = lambda: None
    progressive.fall_back_to_cpu(window)
    start = time.perf_counter()
    window.Render()
    window.WaitForCompletion()
    result["first_frame_s"] = time.perf_counter() - start  # unshaded when the CPU mapper draws it
    start = time.perf_counter()
    progressive.on_still()
    window.Render()
    window.WaitForCompletion()
    result["first_shaded_frame_s"] = time.perf_counter() - start

    def draw() -> None:
        window.Render()
        window.WaitForCompletion()

    moving = _timed(lambda n: progressive.drag("rotate", 12.0, 0.0), draw, frames)
    result["interactive"] = moving
    result["interactive_fps"] = moving["fps"]
    result["interactive_vs_full_speedup"] = moving["fps"] / result["fps"]
    still = _timed(lambda n: progressive.on_still(), draw, 3)
    result["settled_frame_ms"] = still["median_ms"]
    window.RemoveRenderer(progressive.renderer)
    window.Finalize()
    return result


def bench_linked_scroll(current: Volume, prior: Volume, frames: int = 120, size: tuple[int, int] = (768, 768)) -> dict[str, Any]:
    """Compare with prior: two volumes side by side, scroll linked in patient mm (the prior
    follows through :class:`...reading.links.SceneLink`), each frame both panes drawn by the CPU
    raster path (nearest pixels, as while scrolling). The peer: one pane alone, same size."""
    from PySide6.QtWidgets import QApplication

    from ...reading.links import SceneLink
    from ...viewer.views.qt_raster import RasterWidget

    global _APP
    if QApplication.instance() is None:
        _APP = QApplication([])
    displays = []
    for volume in (current, prior):
        display = VolumeDisplay()
        display.set_window(Window(-600, 1500))
        x, y, z = volume_center(volume)
        display.crosshair = (float(x), float(y), float(z))
        displays.append(display)
    scenes = [MprScene(volume, display, "axial") for volume, display in zip((current, prior), displays, strict=True)]
    widgets = []
    for scene in scenes:
        widget = RasterWidget()
        widget.resize(*size)
        widget.set_scene(scene)
        scene.request_render = lambda: None
        widget.frame()  # first frame: tables; not timed
        widgets.append(widget)
    link = SceneLink(scenes, same_frame_of_reference=True)
    direction = [1]

    def step(n: int) -> None:
        if n % 60 == 0:
            direction[0] = -direction[0]
        scenes[0].scroll(direction[0])

    def draw_both() -> None:
        for widget in widgets:
            widget.frame(settled=False)

    both = _timed(step, draw_both, frames)
    alone = _timed(step, lambda: None if widgets[0].frame(settled=False) else None, frames)
    # the prior at the current slice's level (both scroll ranges overlap here)
    followed = abs(scenes[1].position() - scenes[0].position()) <= scenes[1].slice_step() / 2
    link.close()
    for widget in widgets:
        widget.set_scene(None)
    return {**both, "renderer": "cpu raster, 2 panes linked", "one_pane_fps": alone["fps"],
            "two_pane_cost_ratio": alone["fps"] / both["fps"], "prior_followed": bool(followed)}

