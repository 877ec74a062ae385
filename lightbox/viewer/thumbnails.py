"""Small greyscale previews of series for the study browser (Qt-free)."""
from __future__ import annotations

import numpy as np

from .index import Series
from .loading import _slice_values, load_film
from .pixels import auto_window, window_values
from .series import volume_instances


def _shrink(image: np.ndarray, size: int) -> np.ndarray:
    step = max(1, int(np.ceil(max(image.shape[:2]) / size)))
    return image[::step, ::step]


def series_thumbnail(series: Series, size: int = 96) -> np.ndarray:
    """A uint8 preview (at most ``size`` pixels on its long side) of the series' middle image,
    auto-windowed (MONOCHROME1 inverted); rows x columns, or rows x columns x 3 for a colour
    image. Raises on unreadable pixels."""
    if series.kind == "volume" and len(volume_instances(series)) > 1:
        members = volume_instances(series)
        values = _slice_values(members[len(members) // 2])
        invert = False
    else:
        film = load_film(series, 0)
        if film.colour is not None:  # in colour, as the view shows it (its own window: the identity)
            return np.ascontiguousarray(window_values(_shrink(film.colour, size), film.window))
        values, invert = film.values, film.invert
    small = _shrink(values, size)
    return np.ascontiguousarray(window_values(small, auto_window(small), invert=invert))
