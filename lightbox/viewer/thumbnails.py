"""Small greyscale previews of series for the study browser (Qt-free)."""
from __future__ import annotations

import numpy as np

from .index import Series
from .loading import _slice_values, load_film
from .pixels import auto_window, pixel_padding, window_values
from .polarity import image_polarity
from .series import volume_instances
from .shutters import DisplayShutter


def _shrink(image: np.ndarray, size: int, aspect: float = 1.0) -> np.ndarray:
    """Every n-th pixel, to at most ``size`` on the long side; a film of non-square pixels
    (``aspect``: a pixel's height over its width) sampled so that the preview has its true shape."""
    if aspect == 1.0:
        step = max(1, int(np.ceil(max(image.shape[:2]) / size)))
        return np.asarray(image[::step, ::step])
    rows, columns = image.shape[:2]
    scale = min(1.0, size / max(rows * aspect, columns))  # preview pixels per column width
    out_rows, out_columns = max(1, round(rows * aspect * scale)), max(1, round(columns * scale))
    return np.asarray(image[(np.arange(out_rows) * rows // out_rows)][:, (np.arange(out_columns) * columns // out_columns)])


def series_thumbnail(series: Series, size: int = 96) -> np.ndarray:
    """A uint8 preview (at most ``size`` pixels on its long side) of the series' middle image,
    auto-windowed (MONOCHROME1 inverted); rows x columns, or rows x columns x 3 for a colour
    image. Raises on unreadable pixels."""
    shutter, shown = None, None
    if series.kind == "volume" and len(volume_instances(series)) > 1:
        members = volume_instances(series)
        middle = members[len(members) // 2]
        values = _slice_values(middle)
        invert, aspect = (image_polarity(middle.header).inverse if middle.header is not None else False), 1.0
        padding = pixel_padding(middle.header) if middle.header is not None else None
    else:
        film = load_film(series, 0)
        shutter = film.shutter
        shown = _shrink(shutter.shown, size, film.aspect) if shutter is not None else None
        if film.colour is not None:  # in colour, as the view shows it (its own window: the identity)
            preview = window_values(_shrink(film.colour, size, film.aspect), film.window)
            return np.ascontiguousarray(_shuttered(preview, shutter, shown))
        # as the view first shows it: through its own VOI LUT table where it has one (whose output
        # is no modality value: its padding is not the padding's value there)
        values, invert, aspect = film.as_acquired(), film.invert, film.aspect
        padding = film.padding if film.voi_output is None else None
    small = _shrink(values, size, aspect)
    preview = window_values(small, auto_window(small[shown] if shown is not None else small, padding=padding),
                            invert=invert)
    return np.ascontiguousarray(_shuttered(preview, shutter, shown))


def _shuttered(preview: np.ndarray, shutter: DisplayShutter | None, shown: np.ndarray | None) -> np.ndarray:
    """The preview with what its display shutter hides (``shown``: the shutter's mask at the
    preview's size) in the shutter's grey, as the view shows it."""
    if shutter is None or shown is None:
        return preview
    return shutter.paint(preview, ~shown)
