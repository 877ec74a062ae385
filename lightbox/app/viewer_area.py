"""The central image area: a grid of viewports (1x1 ... 3x3) and what each one shows.

The open image set (the study the reader is reading) fills the panes as its kind asks (a volume:
axial, coronal, sagittal, 3D; films: one per pane); any other series or study can be *placed*
in any pane (dragged from the study browser, a prior for comparison, a hanging protocol), with
its own display state, and panes can be linked (scroll, window, zoom: :mod:`.links`).

A viewport is a VTK widget, or, for films and MPR planes when OpenGL is a software rasteriser, a
CPU raster widget (:mod:`..viewer.views.qt_raster`: 60+ fps where VTK's image quad alone caps
the frame rate near 40). ``LIGHTBOX_2D_RENDERER`` = ``vtk`` / ``cpu`` / ``auto`` (default)
overrides the choice; 3D panes and oblique volumes always use VTK.
"""
from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from ..reading.links import SceneLink
from ..studydb.annotations import StoredAnnotation, load_annotations, save_annotations
from ..studydb.catalog import StudyCatalog
from ..viewer.calibration import READER
from ..viewer.display import FilmDisplay, VolumeDisplay
from ..viewer.measure import CARDIOTHORACIC, MARK_NAMES, ROI_KINDS, SPHERE, Measurement
from ..viewer.presets import default_render_preset
from ..viewer.views.film_scene import FilmScene
from ..viewer.views.mpr_scene import (
    MprScene,
    first_plane,
    section_planes,
    show_crosshair_of_other_panes,
    snap_to_voxel,
    volume_center,
)
from ..viewer.views.qt_raster import RasterWidget, raster_supported
from ..viewer.views.qt_vtk import VtkWidget
from ..viewer.views.text import dicom_date
from ..viewer.views.volume_scene import VolumeScene
from ..viewer.views.vtk_data import opengl_is_software, to_vtk_image
from ..viewer.volume import Film
from .compose import LAYOUTS, Opened, frame_text

_ALL_PANES = ["axial", "coronal", "sagittal", "3d"]
LOG = logging.getLogger("lightbox")
VOLUME_PANES = {"1x1": ["axial"], "1x2": ["axial", "coronal"], "2x2": _ALL_PANES, "2x3": _ALL_PANES, "3x3": _ALL_PANES}


def volume_panes(volume, layout: str, axial_first: bool = False) -> list[str]:
    """The panes a volume fills in ``layout``: its acquired slices first (an axial acquisition:
    simply axial), then the patient planes other than the one nearest the acquisition, then 3D;
    ``axial_first`` (MPR → First pane: axial reformat) puts the axial reformat first instead."""
    base = VOLUME_PANES[layout]
    return base if axial_first else (section_planes(volume) + ["3d"])[: len(base)]


# what a report gives as numbers (not arrows or texts), by the name a report gives them
MEASURED_NAMES = {**{kind: MARK_NAMES[kind] for kind in ("length", "angle", "cobb", CARDIOTHORACIC, *ROI_KINDS)},
                  SPHERE: "VOI"}


class Placed:
    """An image set shown in one pane beside the open one: its scene and display state."""

    def __init__(self, opened: Opened, view: str, scene: object) -> None:
        self.opened = opened
        self.view = view  # "axial", "coronal", "sagittal", "3d", or "film"
        self.scene = scene
Viewport = VtkWidget | RasterWidget


def use_cpu_raster() -> bool:
    """Draw films and MPR planes on the CPU: asked by ``LIGHTBOX_2D_RENDERER``, or (``auto``)
    when OpenGL is a software rasteriser."""
    choice = os.environ.get("LIGHTBOX_2D_RENDERER", "auto").strip().lower()
    if choice in ("cpu", "vtk"):
        return choice == "cpu"
    return opengl_is_software()


class ViewerArea(QWidget):
    """Owns the viewports and builds their scenes from an :class:`Opened` image set."""

    status = Signal(str)
    active_changed = Signal(object)
    measured = Signal(str)
    said = Signal(str)  # a pane's word for the status bar (a tool that does not apply there)
    series_dropped = Signal(int, str)  # pane index, series UID (dragged from the study browser)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        self.viewports: list[Viewport] = []
        self.layout_name = "1x1"
        self.opened: Opened | None = None
        self.volume_display: VolumeDisplay | None = None
        self.films_shown: list[tuple[Film, str, bool]] = []  # (film, frame text, demo) per viewport
        # The scenes of the open image set, kept across layout changes so that the reader's
        # slice, window, crosshair, zoom, pan and measurements survive Ctrl+1/2/3: MPR/3D
        # panes by pane name, films by the film they show.
        self.scene_cache: dict[object, object] = {}
        self.cine_displays: dict[str, FilmDisplay] = {}  # the one display of each cine's frames
        # a presentation state shown on a cine: what it says of each frame (View → Presentation state)
        self.cine_presentations: dict[str, Callable[[Film], Any]] = {}
        self.display_pixel_pitch_mm = 0.0  # File → Preferences: what a state's TRUE SIZE needs
        self.active: Viewport | None = None
        self.maximised: Viewport | None = None  # the pane filling the area, the rest of the grid hidden
        self.tool = "wl"
        self.wl_convention = "horizontal-width"
        self.right_drag, self.middle_drag, self.wheel_sign = "zoom", "pan", 1.0  # Preferences
        self.overlay_planes_visible = True  # DICOM overlay planes (60xx), for every pane
        self.shutters_visible = True  # display shutters (C.7.6.11), for every pane
        self.axial_first = False  # True: a volume's first pane is the axial reformat, not its acquired slices
        self.placed: dict[int, Placed] = {}  # pane index -> an image set placed there
        self.link: SceneLink | None = None  # panes kept in step (compare with prior)
        # displays whose slice changes redraw the reference lines (by id: they are unhashable dataclasses)
        self._watched_displays: dict[int, weakref.ref[object]] = {}
        self._sharing_crosshair = False  # one display's crosshair being given to the others of its volume
        self.catalog: StudyCatalog | None = None  # where measurements are kept with their images
        self.set_layout("1x1")

    # -- layout ---------------------------------------------------------------------------
    def set_layout(self, name: str) -> None:
        rows, cols = LAYOUTS[name]
        self.layout_name = name
        self.maximised = None
        for widget in self.viewports:
            self._discard(widget)
        self.viewports = []
        self._stretch(range(rows), range(cols))  # equal shares for the rows and columns in use
        for r in range(rows):
            for c in range(cols):
                widget = self._new_viewport(VtkWidget)
                self.grid.addWidget(widget, r, c)
                self.viewports.append(widget)
        self.active = self.viewports[0]
        self.placed = {n: p for n, p in self.placed.items() if n < len(self.viewports)}
        if self.opened is not None:
            self._build_scenes()

    def _stretch(self, rows: range | list[int], columns: range | list[int]) -> None:
        """Equal shares of the area for ``rows`` and ``columns`` of the grid, none for the others."""
        for n in range(max(max(shape) for shape in LAYOUTS.values())):
            self.grid.setRowStretch(n, int(n in rows))
            self.grid.setColumnStretch(n, int(n in columns))

    def toggle_maximised(self, widget: Viewport | None = None) -> bool:
        """One pane of a grid fills the area, the others hidden with their scenes as they are (a
        double click on it, View → Maximise the pane); again, the grid comes back as it was (each
        pane's slice, window and zoom kept, nothing rebuilt): as PACS viewers do. Whether a pane
        is maximised now."""
        if self.maximised is not None:
            self.restore_grid()
            self.said.emit("")  # the "fills the area" words go with it
            return False
        widget = widget if widget is not None else self.active
        if widget not in self.viewports or len(self.viewports) < 2:
            return False
        position: Any = self.grid.getItemPosition(self.grid.indexOf(widget))  # (row, column, spans)
        self._stretch([int(position[0])], [int(position[1])])
        for other in self.viewports:
            if other is not widget:
                other.hide()
        self.maximised = widget
        self._activate(widget)
        self.said.emit(f"Pane {self.viewports.index(widget) + 1} fills the area: double click it, or Ctrl+M, "
                       f"for the {self.layout_name} grid")
        return True

    def restore_grid(self) -> None:
        """The grid back after a maximised pane (and before a pane's scene or the layout changes)."""
        if self.maximised is None:
            return
        self.maximised = None
        rows, cols = LAYOUTS[self.layout_name]
        self._stretch(range(rows), range(cols))
        for widget in self.viewports:
            widget.show()

    def _new_viewport(self, kind: type) -> Viewport:
        widget = kind(self)
        widget.tool = self.tool
        widget.wl_convention = self.wl_convention
        widget.right_drag, widget.middle_drag, widget.wheel_sign = self.right_drag, self.middle_drag, self.wheel_sign
        widget.status.connect(self.status)
        widget.activated.connect(self._activate)
        widget.measured.connect(self.measured)
        widget.said.connect(self.said)
        widget.series_dropped.connect(self._on_series_dropped)
        widget.maximise_requested.connect(self.toggle_maximised)
        return widget

    def _on_series_dropped(self, widget: Viewport, uid: str) -> None:
        if widget in self.viewports:
            self.series_dropped.emit(self.viewports.index(widget), uid)

    def _discard(self, widget: Viewport) -> None:
        """Take a viewport out of the grid and release its scene and render window (hidden first:
        no paint event reaches it between here and its deletion)."""
        widget.set_scene(None)
        self.grid.removeWidget(widget)
        widget.hide()
        widget.Finalize()
        widget.deleteLater()

    def show_scene(self, n: int, scene: object | None) -> Viewport:
        """Show ``scene`` in viewport ``n``, first swapping the viewport for the kind of widget
        that should draw it (CPU raster or VTK) when it is not that kind already."""
        self.restore_grid()  # a pane given a new scene: the grid it belongs to, whole
        widget = self.viewports[n]
        kind = RasterWidget if scene is not None and use_cpu_raster() and raster_supported(scene) else VtkWidget
        if scene is not None and not isinstance(widget, kind):
            index = self.grid.indexOf(widget)
            position: Any = self.grid.getItemPosition(index)  # (row, column, row span, column span)
            row, column = int(position[0]), int(position[1])
            self._discard(widget)
            replacement = self._new_viewport(kind)
            self.grid.addWidget(replacement, row, column)
            if self.isVisible():  # a child added to a shown parent is shown later (queued): now,
                replacement.show()  # with its size, so a grab right after sees the scene
                self.grid.activate()
            self.viewports[n] = replacement
            if self.active is widget:
                self.active = replacement
            widget = replacement
        if scene is not None and hasattr(scene, "set_overlay_planes_visible"):
            scene.set_overlay_planes_visible(self.overlay_planes_visible)
        if scene is not None and hasattr(scene, "set_shutters_visible"):
            scene.set_shutters_visible(self.shutters_visible)
        widget.set_scene(scene)
        if scene is not None:
            self._watch_crosshair(scene)
            self.update_reference_lines()
        self.update_crosshair_lines()  # a pane emptied shows its plane no more
        return widget

    def set_overlay_planes_visible(self, visible: bool) -> None:
        self.overlay_planes_visible = visible
        for widget in self.viewports:
            if hasattr(widget.scene, "set_overlay_planes_visible"):
                widget.scene.set_overlay_planes_visible(visible)

    def set_shutters_visible(self, visible: bool) -> None:
        self.shutters_visible = visible
        for widget in self.viewports:
            if hasattr(widget.scene, "set_shutters_visible"):
                widget.scene.set_shutters_visible(visible)

    def _activate(self, widget: Viewport) -> None:
        self.active = widget
        self.active_changed.emit(widget)

    def set_tool(self, tool: str) -> None:
        put_down = tool != self.tool
        self.tool = tool
        for widget in self.viewports:
            widget.tool = tool
        if put_down:
            self.drop_open_marks()  # a length's first point left behind is not the next one's
        self.update_crosshair_lines()  # all of them while the Crosshair tool is in hand

    def drop_open_marks(self) -> bool:
        """Forget the marks being drawn in the panes (first points placed, last not); whether there was one."""
        dropped = [widget.scene.drop_open_mark() for widget in self.viewports if hasattr(widget.scene, "drop_open_mark")]
        return any(dropped)

    def set_mouse(self, right_drag: str, middle_drag: str, wheel_sign: float) -> None:
        self.right_drag, self.middle_drag, self.wheel_sign = right_drag, middle_drag, wheel_sign
        for widget in self.viewports:
            widget.right_drag, widget.middle_drag, widget.wheel_sign = right_drag, middle_drag, wheel_sign

    def set_display_pixel_pitch(self, pitch_mm: float) -> None:
        """The display's pixel pitch (File → Preferences), for the films shown and to come."""
        self.display_pixel_pitch_mm = pitch_mm
        for scene in [*self.scene_cache.values(), *(p.scene for p in self.placed.values())]:
            if isinstance(scene, FilmScene):
                scene.display_pixel_pitch_mm = pitch_mm

    def set_wl_convention(self, convention: str) -> None:
        self.wl_convention = convention
        for widget in self.viewports:
            widget.wl_convention = convention

    # -- content --------------------------------------------------------------------------
    def show_opened(self, opened: Opened, into_active: bool = False) -> None:
        """Show a loaded image set. A film set opens into the active viewport when asked (to
        compare films side by side); a volume fills all viewports."""
        if into_active and opened.films and self.opened is not None and not self.opened.is_volume and self.active is not None:
            n = self.viewports.index(self.active)
            while len(self.films_shown) <= n:
                self.films_shown.append(self.films_shown[-1] if self.films_shown else (opened.films[0], "", opened.is_demo))
            self.show_film(n, opened.films[0], "", opened.is_demo)
            return
        self._forget_open_set()
        self.opened = opened
        if opened.is_volume:
            self.films_shown = []
        else:
            self.films_shown = [(f, frame_text(opened, n), opened.is_demo) for n, f in enumerate(opened.films)]
        self._build_scenes()

    def _forget_open_set(self) -> None:
        """What belonged to the image set shown until now: its scenes, cine displays, what was
        placed beside it, the link between panes, its volume display."""
        self.opened = None
        self.scene_cache = {}
        self.cine_displays = {}
        self.cine_presentations = {}
        self.placed = {}  # another study opened: what was placed beside the last one goes
        self.unlink()
        self.volume_display = None
        self.films_shown = []

    def clear(self) -> None:
        """Show nothing, as before any image set was opened: a rating case whose study cannot be
        opened must not keep the previous case's images beside its reports."""
        self._forget_open_set()
        for n in range(len(self.viewports)):
            self.show_scene(n, None)

    def show_preview(self, values, title: str) -> None:
        """Show a single slice at once (the first slice read) while the volume loads."""
        from ..viewer.pixels import auto_window

        film = Film(values, auto_window(values), metadata={"series_description": f"{title} (loading...)"})
        self.show_scene(0, self._film_scene(film, "loading...", False))

    def _film_scene(self, film: Film, caption: str, demo: bool) -> FilmScene:
        """A scene of ``film`` with a display of its own, or its cine's: stepping through the frames
        of a cine keeps the reader's window, zoom and pan, as scrolling a volume does."""
        display = self.cine_displays.get(film.cine) if film.cine else None
        shown_before = next((s for s in self.scene_cache.values() if getattr(s, "display", None) is display), None) \
            if display is not None else None
        if display is None:
            display = FilmDisplay()  # the scene opens it on the film's own window (FilmScene.set_own_window)
            if film.cine:
                self.cine_displays[film.cine] = display
        scene = FilmScene(film, display, frame_text=caption, demo_notice=demo)
        scene.display_pixel_pitch_mm = self.display_pixel_pitch_mm
        if shown_before is not None:  # the reader's zoom is relative to the fit its frames share: not fitted anew
            scene._fitted_zoom = shown_before._fitted_zoom  # type: ignore[attr-defined]
        return scene

    def _build_scenes(self) -> None:
        """Fill the viewports from the open image set, reusing the scenes it already has."""
        opened = self.opened
        assert opened is not None
        if opened.volume is not None:
            volume = opened.volume
            if self.volume_display is None:
                display = VolumeDisplay(render_preset=default_render_preset(volume.modality))
                display.set_window(volume.window) if volume.window else None
                x, y, z = volume_center(volume)
                display.crosshair = (float(x), float(y), float(z))
                self.volume_display = display
            image = None
            for n, pane in enumerate(volume_panes(volume, self.layout_name, self.axial_first)[: len(self.viewports)]):
                scene = self.scene_cache.get(pane)
                if scene is not None and pane != "3d":
                    self._restore(opened, scene, again=True)
                if scene is None:
                    if image is None:
                        image = next((s.image for s in self.scene_cache.values() if hasattr(s, "image")), None) \
                            or to_vtk_image(volume.array, volume.geometry)  # one VTK image for every pane
                    if pane == "3d":
                        scene = VolumeScene(volume, self.volume_display, image=image, demo_notice=opened.is_demo,
                                            progressive=True)
                    else:
                        scene = MprScene(volume, self.volume_display, pane, image=image, demo_notice=opened.is_demo)
                        self._restore(opened, scene)
                        fused = next((s.fusion for s in self.scene_cache.values()  # a new layout's plane: fused too
                                      if isinstance(s, MprScene) and s.fusion is not None), None)
                        if fused is not None:
                            scene.set_fusion(fused)
                    self.scene_cache[pane] = scene
                self.show_scene(n, scene)
        else:
            self.volume_display = None
            used: set[int] = set()
            for n in range(len(self.viewports)):
                if n not in self.placed:
                    self.show_scene(n, self._cached_film_scene(*self.films_shown[n], used) if n < len(self.films_shown) else None)
        for n, placed in self.placed.items():
            self.show_scene(n, placed.scene)

    def update_crosshair_lines(self) -> None:
        """Each MPR pane draws the crosshair lines of the planes other panes of its volume show,
        not of planes no pane shows (lines across the lungs of the CT chest protocol's two axial
        panes, or of a 1x1 brain MR, told the reader nothing), but all of them while the
        Crosshair tool is in hand. Called when panes or the tool change, not on every scroll."""
        mpr = [w.scene for w in self.viewports if isinstance(w.scene, MprScene)]
        show_crosshair_of_other_panes(mpr, every=self.tool == "crosshair")

    def update_reference_lines(self) -> None:
        """Each MPR pane shows where the other panes' slices cut it, when they show another
        volume of the same Frame of Reference (the same patient space: C.7.4.1)."""
        mpr = [w.scene for w in self.viewports if getattr(w.scene, "kind", "") == "mpr"]
        for scene in mpr:
            frame = scene.volume.metadata.get("frame_of_reference", "")  # type: ignore[attr-defined]
            others = [(np.asarray(o.display.crosshair, dtype=float), o.normal) for o in mpr  # type: ignore[attr-defined]
                      if o.volume is not scene.volume and frame  # type: ignore[attr-defined]
                      and o.volume.metadata.get("frame_of_reference", "") == frame]  # type: ignore[attr-defined]
            scene.show_reference_lines(others)  # type: ignore[attr-defined]

    def _watch_crosshair(self, scene: object) -> None:
        """A plane pane's display, once: its crosshair moved redraws the reference lines and is
        given to the other panes of its patient space (:meth:`_share_crosshair`)."""
        display = getattr(scene, "display", None)
        known = self._watched_displays.get(id(display))
        if getattr(scene, "kind", "") == "mpr" and display is not None and (known is None or known() is not display):
            self._watched_displays[id(display)] = weakref.ref(display)
            display.events.crosshair.connect(lambda *_: self.update_reference_lines())
            source = weakref.ref(display)
            display.events.crosshair.connect(lambda *_: self._share_crosshair(source()))

    def _share_crosshair(self, source: VolumeDisplay | None) -> None:
        """One patient point for all the panes of one volume, and of the volumes in its Frame of
        Reference (the same patient space, PS3.3 C.7.4.1: a PET and its CT). A hanging protocol's
        panes window the series each on their own display (the CT chest's lung and mediastinum
        axials; PET/CT's CT, PET and fused panes), but the crosshair placed, or a slice scrolled,
        in one is where the others go: the sagittal beside the lung window's axial stayed where it
        was, and the PET pane's crosshair lines did not show where the CT's point was. Another
        volume takes the voxel centre nearest the point (a whole slice, never a blend of two)."""
        if source is None or self._sharing_crosshair:
            return
        volumes = [w.scene.volume for w in self.viewports if isinstance(w.scene, MprScene) and w.scene.display is source]
        frames = {v.metadata.get("frame_of_reference", "") for v in volumes} - {""}
        point = np.asarray(source.crosshair, dtype=float)
        self._sharing_crosshair = True
        try:
            for widget in self.viewports:
                display, volume = getattr(widget.scene, "display", None), getattr(widget.scene, "volume", None)
                if not isinstance(display, VolumeDisplay) or display is source or volume is None:
                    continue
                if any(volume is v for v in volumes):
                    there = point
                elif volume.metadata.get("frame_of_reference", "") in frames:
                    there = snap_to_voxel(volume, point)
                else:
                    continue
                if not np.allclose(display.crosshair, there):
                    display.crosshair = tuple(float(v) for v in there)  # type: ignore[assignment]
        finally:
            self._sharing_crosshair = False

    def link_panes(self, panes: list[int], same_frame_of_reference: bool, **sync: bool) -> SceneLink:
        """Keep the scenes of ``panes`` in step (scroll, window, zoom: ``sync`` switches)."""
        self.unlink()
        self.link = SceneLink([self.viewports[n].scene for n in panes], same_frame_of_reference, **sync)
        return self.link

    def unlink(self) -> None:
        if self.link is not None:
            self.link.close()
            self.link = None

    def place(self, n: int, opened: Opened, view: str = "", display: VolumeDisplay | None = None) -> Placed:
        """Show ``opened`` in pane ``n`` (its acquired slices, or ``view``; a film set: its first
        film) with a display of its own, or ``display`` (a VolumeDisplay shared with other panes
        of the same volume)."""
        if opened.volume is not None:
            volume = opened.volume
            view = view or ("axial" if self.axial_first else first_plane(volume))  # its acquired slices
            if display is None:
                display = VolumeDisplay(render_preset=default_render_preset(volume.modality))
                if volume.window:
                    display.set_window(volume.window)
                x, y, z = volume_center(volume)
                display.crosshair = (float(x), float(y), float(z))
            image = next((p.scene.image for p in self.placed.values()  # type: ignore[attr-defined]
                          if p.opened is opened and hasattr(p.scene, "image")), None)
            if image is None and opened is self.opened:
                image = next((s.image for s in self.scene_cache.values() if hasattr(s, "image")), None)
            image = image or to_vtk_image(volume.array, volume.geometry)
            scene: object = VolumeScene(volume, display, image=image, demo_notice=opened.is_demo, progressive=True) \
                if view == "3d" else MprScene(volume, display, view, image=image, demo_notice=opened.is_demo)
        else:
            view = "film"
            scene = self._film_scene(opened.films[0], frame_text(opened, 0), opened.is_demo)
        self._restore(opened, scene)
        placed = self.placed[n] = Placed(opened, view, scene)
        self.show_scene(n, scene)
        return placed

    # -- measurements kept with the study (the study database) ----------------------------------
    @staticmethod
    def _identity(opened: Opened | None, scene: object) -> tuple[str, str] | None:
        """(series UID, image) a scene's measurements belong to: "film N" or the MPR plane."""
        if opened is None or opened.series is None or not hasattr(scene, "measure"):
            return None
        if getattr(scene, "kind", "") == "film":
            index = next((i for i, f in enumerate(opened.films) if f is scene.film), None)  # type: ignore[attr-defined]
            return None if index is None else (opened.series.uid, f"film {index}")
        return (opened.series.uid, str(scene.plane)) if getattr(scene, "kind", "") == "mpr" else None  # type: ignore[attr-defined]

    def _restore(self, opened: Opened, scene: object, again: bool = False) -> None:
        """The scene's marks from the study database. ``again``: a scene shown anew from the cache
        drops the marks it holds for the stored ones, which are the newest: another pane of the same
        image (a hanging protocol's second axial pane, a series placed over it) may have changed
        them meanwhile, and saving the cached scene's old ones undid that (a key image flagged in
        the hanging protocol's pane was lost when MPR -> First pane rebuilt the panes)."""
        identity = self._identity(opened, scene)
        if identity is None or self.catalog is None:
            return
        try:
            stored = load_annotations(self.catalog, *identity)
        except Exception:  # noqa: BLE001 - the images open even when the database does not answer
            LOG.exception("could not read the measurements of %s", identity)
            return
        if again:  # a mark being drawn stays; the finished ones are those stored
            kept = [item for item in scene.measure.items if not item[0].complete]  # type: ignore[attr-defined]
            scene.measure.items[:] = kept  # type: ignore[attr-defined]
        for a in stored:
            scene.measure.add(Measurement(a.kind, list(a.points), text=a.text), a.plane)  # type: ignore[attr-defined]
        if stored or again:
            scene._refresh_measurements()  # type: ignore[attr-defined]

    def save_annotations(self, changed: object | None = None) -> None:
        """Keep every pane's finished measurements and annotations with their image (called when
        one is finished or the measurements are cleared): nothing a reader drew is lost.
        ``changed``: the scene the reader just acted in. Its marks are then its image's, and the
        other panes showing that image take them: taking every pane's marks together, a key image
        unflagged in the CT chest protocol's lung pane stayed flagged by the mediastinum pane."""
        if self.catalog is None:
            return
        by_image: dict[tuple[str, str], list[StoredAnnotation]] = {}
        seen_by_image: dict[tuple[str, str], set[tuple[object, ...]]] = {}
        opened_of = self.opened_of_panes()
        changed_identity = next((self._identity(opened_of[n], w.scene) for n, w in enumerate(self.viewports)
                                 if changed is not None and w.scene is changed), None)
        for n, widget in enumerate(self.viewports):
            scene = widget.scene
            identity = self._identity(opened_of[n], scene)
            if identity is None or (identity == changed_identity and scene is not changed):
                continue
            items = by_image.setdefault(identity, [])
            seen = seen_by_image.setdefault(identity, set())
            for m, plane in scene.measure.items:  # type: ignore[attr-defined]
                key = (m.kind, tuple(m.points), plane)
                if m.complete and key not in seen:  # two panes of one image: each mark once
                    seen.add(key)
                    items.append(StoredAnnotation(m.kind, list(m.points), m.text, plane))
        for identity, items in by_image.items():
            try:
                save_annotations(self.catalog, *identity, items)
            except Exception:  # noqa: BLE001 - said in the log; the panes keep them meanwhile
                LOG.exception("could not keep the measurements of %s", identity)
                return
        for n, widget in enumerate(self.viewports):
            if changed_identity is not None and widget.scene is not changed and \
                    self._identity(opened_of[n], widget.scene) == changed_identity:
                self._restore(opened_of[n], widget.scene, again=True)  # type: ignore[arg-type]

    def image_of(self, widget: Viewport) -> tuple[str, str] | None:
        """(series UID, image) whose marks a pane shows ("film 0", "axial", ...); None for a pane
        of no DICOM image (the demo, the 3D pane, an empty one)."""
        n = self.viewports.index(widget) if widget in self.viewports else None
        return None if n is None else self._identity(self.opened_of_panes()[n], widget.scene)

    def opened_of_panes(self) -> dict[int, Opened | None]:
        """Each pane's image set: the one placed there, else the open study's."""
        return {n: (self.placed[n].opened if n in self.placed else self.opened) for n in range(len(self.viewports))}

    def share_frame_of_reference(self, panes: list[int]) -> bool:
        """Whether the volumes of ``panes`` state one Frame of Reference UID: then their positions are
        one patient space, and linked scrolling goes by patient mm (else by the slices paired)."""
        frames = {getattr(getattr(self.viewports[n].scene, "volume", None), "metadata", {}).get("frame_of_reference", "")
                  for n in panes}
        return len(frames) == 1 and "" not in frames

    def measurement_lines(self) -> list[str]:
        """The finished lengths, angles and ROIs of the panes, each once (two panes of one image show
        the same marks), as a report gives them: where ("film 2", "axial image 138 of 275") and
        what, in one line ("ROI: mean 37.5 HU, SD 12.1, min 2, max 71, area 212.4 mm²")."""
        lines: list[str] = []
        seen: set[tuple[object, ...]] = set()
        opened_of = self.opened_of_panes()
        for n, widget in enumerate(self.viewports):
            scene, opened = widget.scene, opened_of[n]
            identity = self._identity(opened, scene)
            if identity is None or opened is None:
                continue
            for m, plane in scene.measure.items:  # type: ignore[attr-defined]
                key = (identity, m.kind, tuple(m.points), plane)
                if not m.complete or m.kind not in MEASURED_NAMES or key in seen:
                    continue
                seen.add(key)
                where = f"film {int(identity[1].split()[1]) + 1}" if identity[1].startswith("film ") \
                    else scene.image_at(plane)  # type: ignore[attr-defined]
                label = scene.measure.label(m)  # type: ignore[attr-defined]
                what = label.removeprefix("Cobb ").removeprefix("CTR ").replace("\n", ", ").replace("  ", ", ")
                series = opened.series.label() if opened.series is not None else opened.title
                # a size by the reader's calibration says so: the image itself states another, or none
                film = getattr(scene, "film", None)
                by_reader = " (calibrated by reader)" if film is not None and film.spacing_source == READER \
                    and m.kind not in ("angle", "cobb") else ""
                lines.append(f"{series}{self._other_study(opened)}, {where}: {MEASURED_NAMES[m.kind]} {what}{by_reader}")
        return lines

    def _other_study(self, opened: Opened) -> str:
        """" (study of 2025-03-02)" for a pane of another study than the open one (a prior), else ""."""
        own, other = (o.first_image.metadata if o is not None and o.first_image is not None else {}
                      for o in (self.opened, opened))
        if opened is self.opened or own.get("study_uid", "") == other.get("study_uid", ""):
            return ""
        return f" (study of {dicom_date(str(other.get('study_date', ''))) or 'unknown date'})"

    def show_film(self, n: int, film: Film, caption: str, demo: bool) -> None:
        """Show ``film`` in viewport ``n`` (as it was left there, if it was shown before)."""
        self.placed.pop(n, None)
        used = {id(w.scene) for i, w in enumerate(self.viewports) if i != n and w.scene is not None}
        self.films_shown[n] = (film, caption, demo)
        self.show_scene(n, self._cached_film_scene(film, caption, demo, used))

    def _cached_film_scene(self, film: Film, caption: str, demo: bool, used: set[int]) -> FilmScene:
        """The film's scene (its window, zoom, pan, rotation and measurements), or a new one; a
        film shown in two panes at once gets a second scene."""
        scene = self.scene_cache.get(id(film))
        if scene is None or id(scene) in used:
            scene = self._film_scene(film, caption, demo)
            if self.opened is not None:  # a second scene of a film shown twice shows its marks too
                self._restore(self.opened, scene)
            self.scene_cache.setdefault(id(film), scene)
        elif self.opened is not None:
            self._restore(self.opened, scene, again=True)
        if film.cine in self.cine_presentations:  # the state the reader chose for the cine, on this frame too
            scene.show_presentation_layers(self.cine_presentations[film.cine](film))  # type: ignore[attr-defined]
        used.add(id(scene))
        return scene  # type: ignore[return-value]

    # -- helpers for actions --------------------------------------------------------------
    def scenes(self) -> list[object]:
        return [w.scene for w in self.viewports if w.scene is not None]

    def active_scene(self) -> object | None:
        if self.active is not None and self.active.scene is not None:
            return self.active.scene
        scenes = self.scenes()
        return scenes[0] if scenes else None

    def render_all(self) -> None:
        for widget in self.viewports:
            widget.render()
