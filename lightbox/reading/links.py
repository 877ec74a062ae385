"""Linked panes: scroll by patient position, the same window, the same zoom and pan.

The window is the same window only where the panes' values share a calibrated unit (CT in HU,
PET in SUVbw, a dose in Gy: :func:`shared_unit`). A radiograph's or an MR's values are the
acquisition's own (a prior film 0..1023 beside a current one 0..4095): there the other pane
follows the change relative to the window each pane had when the link was made (the same share
of its own range), as the absolute numbers would blow the prior out.

Scenes are linked by what they expose (duck typing, no Qt): an MPR scene has ``display`` (with
``crosshair`` and the window), ``normal``, ``position()`` / ``move_to()`` and its ``zoom`` /
``pan``; a film scene has ``display`` (window, zoom, pan). Scrolling follows the position along
the slice normal in patient coordinates (PS3.3 C.7.6.2.1.1): when two series share a Frame of
Reference, the same millimetre is the same place in the patient; when they do not (a prior from
another visit), the link keeps the offset between the slices shown when it was made, and
:meth:`SceneLink.pair_here` sets it again ("these two slices show the same level").
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ..viewer.pixels import Window


def shared_unit(a: Any, b: Any) -> str:
    """The calibrated unit two panes' values share ("HU", "SUVbw", "Gy", ...), or "" (a film's
    or an MR's values, in no unit, or in different ones)."""
    units = [getattr(getattr(s, "volume", None) or getattr(s, "film", None), "unit", "") for s in (a, b)]
    return units[0] if units[0] and units[0] == units[1] else ""


class SceneLink:
    """Keeps ``scenes`` in step; ``scroll``, ``window`` and ``zoom`` can be switched off and on."""

    def __init__(self, scenes: list[Any], same_frame_of_reference: bool, scroll: bool = True, window: bool = True,
                 zoom: bool = True) -> None:
        self.scenes = scenes
        self.scroll, self.zoom = scroll, zoom
        self._window = window
        self._baselines = {id(s): s.display.window for s in scenes}  # each pane's own window when linked
        self._busy = False
        self.offsets = {id(s): 0.0 for s in scenes}
        if not same_frame_of_reference:
            self.pair_here()
        self._disconnect: list[Callable[[], None]] = []
        for scene in scenes:
            events = scene.display.events
            if hasattr(scene, "move_to"):
                self._connect(events.crosshair, lambda *_a, s=scene: self._scrolled(s))
            for name in ("window_center", "window_width", "window_function"):
                self._connect(getattr(events, name), lambda *_a, s=scene: self._windowed(s))
            for name in ("zoom", "pan_x", "pan_y"):  # a film's zoom and pan live in its display
                if hasattr(events, name):
                    self._connect(getattr(events, name), lambda *_a, s=scene: self._zoomed(s))
            if hasattr(scene, "view_listeners"):  # an MPR scene's zoom and pan live on the scene
                listener: Callable[[], None] = partial(self._zoomed, scene)
                scene.view_listeners.append(listener)
                self._disconnect.append(partial(scene.view_listeners.remove, listener))

        if same_frame_of_reference and scenes and hasattr(scenes[0], "position"):
            self._scrolled(scenes[0])  # the same place in the patient from the start
        if window and scenes:  # the same window from the start: a prior CT beside a current one in
            self._windowed(scenes[0])  # the lung window was shown in its own until the window was touched

    def _connect(self, signal: Any, slot: Callable[..., None]) -> None:
        signal.connect(slot)
        self._disconnect.append(lambda: signal.disconnect(slot))

    def close(self) -> None:
        """Unlink (the panes keep what they show)."""
        for undo in self._disconnect:
            undo()
        self._disconnect = []

    def pair_here(self) -> None:
        """The slices shown now show the same level: scroll keeps them paired from here on."""
        movable = [s for s in self.scenes if hasattr(s, "position")]
        if movable:
            reference = movable[0].position()
            self.offsets = {id(s): (s.position() - reference if hasattr(s, "position") else 0.0) for s in self.scenes}

    def _each_other(self, source: Any, action: Callable[[Any], None]) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            for target in self.scenes:
                if target is not source:
                    action(target)
        finally:
            self._busy = False

    def _scrolled(self, source: Any) -> None:
        if not self.scroll:
            return
        level = source.position() - self.offsets[id(source)]
        self._each_other(source, lambda t: t.move_to(level + self.offsets[id(t)]) if hasattr(t, "move_to") else None)

    @property
    def window(self) -> bool:
        """Whether the window follows; switched on again, the panes' windows then are the baselines."""
        return self._window

    @window.setter
    def window(self, on: bool) -> None:
        if on and not self._window:
            self._baselines = {id(s): s.display.window for s in self.scenes}
        self._window = on

    def _windowed(self, source: Any) -> None:
        if not self.window:
            return
        d = source.display

        def follow(target: Any) -> None:
            # a film shown through a VOI LUT table is windowed over the table's output, not in its
            # unit: the others follow it relatively (a window in the unit, a preset's, replaces a
            # table as it would on the film itself); one following relatively stays on its table
            through_table = getattr(target.display, "voi_table", False)
            if shared_unit(source, target) and not getattr(d, "voi_table", False):
                target.display.set_window(d.window, d.preset)
                return
            before, theirs = self._baselines[id(source)], self._baselines[id(target)]
            scale = theirs.width / before.width if before.width > 0 else 1.0
            target.display.set_window(Window(theirs.center + (d.window_center - before.center) * scale,
                                             d.window_width * scale, theirs.function),
                                      **({"voi_table": True} if through_table else {}))

        self._each_other(source, follow)

    def _zoomed(self, source: Any) -> None:
        if not self.zoom:
            return
        self._each_other(source, lambda t: t.follow_view(source) if hasattr(t, "follow_view") else None)
