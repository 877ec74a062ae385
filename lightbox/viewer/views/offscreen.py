"""Render scenes into an offscreen window, laid out in a grid, and read the pixels back."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .vtk_data import new_render_window, read_pixels

GRID_GAP = 2  # device pixels of black between panes, as between the window's viewports


def grid_viewports(rows: int, cols: int, width: int, height: int) -> list[tuple[float, float, float, float]]:
    """Normalised viewports (xmin, ymin, xmax, ymax), row-major from the top left."""
    ports = []
    gx, gy = GRID_GAP / width / 2, GRID_GAP / height / 2
    for r in range(rows):
        for c in range(cols):
            x0, x1 = c / cols, (c + 1) / cols
            y1, y0 = 1 - r / rows, 1 - (r + 1) / rows
            ports.append(
                (x0 + (gx if c else 0), y0 + (gy if r < rows - 1 else 0), x1 - (gx if c < cols - 1 else 0), y1 - (gy if r else 0))
            )
    return ports


def render_grid(scenes: Sequence[object], rows: int, cols: int, width: int, height: int) -> np.ndarray:
    """Render up to ``rows * cols`` scenes (``None`` leaves a pane black) into an RGB array."""
    window = new_render_window(width, height, offscreen=True)
    try:
        for scene, port in zip(scenes, grid_viewports(rows, cols, width, height)):
            if scene is None:
                continue
            renderer = scene.renderer  # type: ignore[attr-defined]
            renderer.SetViewport(*port)
            window.AddRenderer(renderer)
        for scene in scenes:
            if scene is None:
                continue
            if hasattr(scene, "fall_back_to_cpu"):
                scene.fall_back_to_cpu(window)
            scene.fit()  # type: ignore[attr-defined]
        window.Render()
        return read_pixels(window)
    finally:
        for scene in scenes:
            if scene is not None:
                window.RemoveRenderer(scene.renderer)  # type: ignore[attr-defined]
        window.Finalize()
