"""Display state: the small evented models that views and the status bar listen to.

Following napari's evented models (psygnal), a view never owns state: it subscribes to
``state.events`` and redraws. Nothing here imports Qt or VTK.
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from psygnal import evented

from .pixels import VoiFunction, Window

SLAB_MODES = ("none", "mip", "minip", "mean")
MIN_EXACT_WIDTH = 1e-12  # a LINEAR_EXACT / SIGMOID width must be above 0 (C.11.2.1.3)
# Mouse window/level conventions. The default is the common PACS one (RadiAnt, Horos, Weasis):
# horizontal drag changes the width (right = wider = less contrast), vertical drag the level
# (down = higher level = darker image).
WL_CONVENTIONS = ("horizontal-width", "horizontal-level")


class _Windowed:
    """What the film and volume display states share: window/level, and setting several fields
    as one change."""

    window_center: float
    window_width: float
    window_function: VoiFunction
    preset: str
    events: Any  # the SignalGroup psygnal's @evented adds to each subclass

    @property
    def window(self) -> Window:
        return Window(self.window_center, self.window_width, self.window_function)

    def _update(self, **values: object) -> None:
        """Set several fields as one change: listeners hear of it once, and only when a value
        changed (setting them one by one redrew the views once per field; and a field set to
        its own value emits nothing, so a change ending on one was never heard at all)."""
        old = {name: getattr(self, name) for name in values}
        # each field's own signal blocked, not the group: psygnal's SignalGroup.blocked() is not
        # re-entrant (0.16: a group block inside another records its signals as "already
        # blocked", so the outer one's end leaves every field's signal blocked for good). A
        # window set under a caller's group block (Reset view, a presentation state applied)
        # left the film deaf: its corner still read the old W/L and zoom after every change.
        with ExitStack() as stack:
            for name in values:
                stack.enter_context(getattr(self.events, name).blocked())
            for name, value in values.items():
                setattr(self, name, value)
        changed = next((name for name in values if getattr(self, name) != old[name]), None)
        if changed is not None:
            getattr(self.events, changed).emit(getattr(self, changed), old[changed])

    def set_window(self, window: Window, preset: str = "", **more: object) -> None:
        """Width, center, VOI function and preset, as one change. The function is the image's
        (a mammogram's SIGMOID, C.11.2.1.3.1): a window shown as LINEAR that the modality stated
        as a sigmoid has another contrast. A LINEAR width is at least 1 (C.11.2.1.2.1); the other
        functions' need only be above 0 (C.11.2.1.3), and a fine fractional image needs that."""
        floor = 1.0 if window.function == "LINEAR" else MIN_EXACT_WIDTH
        self._update(window_width=max(floor, float(window.width)), window_center=float(window.center),
                     window_function=window.function, preset=preset, **more)

    def _kept_by_drag(self) -> dict[str, object]:
        """Fields a W/L drag carries over (besides the function)."""
        return {}

    def drag_window(self, dx: float, dy: float, sensitivity: float, convention: str = "horizontal-width") -> None:
        """Apply a mouse drag of ``(dx, dy)`` screen pixels (y down) with ``sensitivity``
        modality units per pixel, following one of :data:`WL_CONVENTIONS`; the function stays."""
        d_width, d_center = (dx, dy) if convention == "horizontal-width" else (dy, dx)
        self.set_window(Window(self.window_center + d_center * sensitivity, self.window_width + d_width * sensitivity,
                               self.window_function), "", **self._kept_by_drag())


@evented
@dataclass
class FilmDisplay(_Windowed):
    """How a 2D image is shown: window, view geometry and flags."""

    window_center: float = 0.0
    window_width: float = 1.0
    window_function: VoiFunction = "LINEAR"
    invert: bool = False  # the user's invert, on top of MONOCHROME1 handling
    zoom: float = 1.0  # screen pixels per image pixel
    pan_x: float = 0.0  # image-pixel offset of the view centre from the image centre
    pan_y: float = 0.0
    rotation: int = 0  # degrees clockwise, multiples of 90
    flip_horizontal: bool = False
    flip_vertical: bool = False
    preset: str = ""
    # the window applies to a VOI LUT table's output (the film's own, Film.voi_output, or an
    # applied presentation state's), not to its modality values: true only while it is shown
    # through a table (a drag keeps it; any other window set, a preset's or a presentation
    # state's window, is in modality values)
    voi_table: bool = False

    def set_window(self, window: Window, preset: str = "", **more: object) -> None:
        super().set_window(window, preset, **{"voi_table": False, **more})

    def _kept_by_drag(self) -> dict[str, object]:
        return {"voi_table": self.voi_table}

    def rotate(self, degrees: int) -> None:
        self.rotation = (self.rotation + degrees) % 360

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the view centre by (dx, dy) image pixels, as one change."""
        self._update(pan_x=self.pan_x + float(dx), pan_y=self.pan_y + float(dy))


@evented
@dataclass
class VolumeDisplay(_Windowed):
    """Shared state of the MPR and 3D panes: crosshair (a world point), window, slab, 3D preset."""

    window_center: float = 40.0
    window_width: float = 400.0
    window_function: VoiFunction = "LINEAR"
    crosshair: tuple[float, float, float] = (0.0, 0.0, 0.0)  # world point (mm, LPS) all planes pass through
    slab_mode: str = "none"
    slab_thickness_mm: float = 10.0
    preset: str = ""
    render_preset: str = "bone"
    invert: bool = False
    # the DICOM SEG segments the reader hid (View → Segments...), by their overlay label
    hidden_segments: tuple[str, ...] = ()
