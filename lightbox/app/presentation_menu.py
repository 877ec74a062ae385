"""View → Presentation state: show the film in the pane last clicked as a softcopy presentation
state found with the study says (a colleague's window, zoomed region, rotation, shutter, circles
and words on a prior), or as acquired again; on a CT / MR volume, the state's window and its
graphics on the acquired slices they were drawn on. Composes the study's documents (the index),
the Qt-free reading of a state (:mod:`..dicomreports.presentation_display`), the placing of
image pixels on a volume's planes (:class:`.measurement_sr.ImagePlacer`) and the scenes."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from ..dicomreports.image_views import is_view, read_state, read_view, view_presents, view_title, views_of_image
from ..dicomreports.measurement_display import (
    as_drawn,
    is_measurement_report,
    region_graphics,
    report_ellipsoids,
    report_planar_regions,
    report_presentation,
)
from ..dicomreports.presentation_display import (
    STATE_CLASSES,
    ImagePresentation,
    StateGraphic,
    graphic_polylines,
    is_filled_outline,
    newest_first,
)
from ..viewer.geometry import ellipsoid_axes, inside_ellipsoid, plane_axes
from ..viewer.loading import film_places
from ..viewer.pixels import Window
from ..viewer.views.mpr_scene import snap_to_voxel
from ..viewer.views.overlays import StateEllipsoid, StateMark
from .sphere_marks import frames_of_reference

if TYPE_CHECKING:
    from .main_window import MainWindow

AS_ACQUIRED = "As acquired (no presentation state)"


def film_image(opened: Any, film: Any) -> tuple[Dataset, int | None] | None:
    """The header of the DICOM image a film of ``opened`` shows and its frame (1-based, in a
    multi-frame image; else None); None for a film that is no DICOM image of a series."""
    series = getattr(opened, "series", None)
    index = next((i for i, f in enumerate(getattr(opened, "films", [])) if f is film), None)
    if series is None or index is None or series.kind != "film":
        return None
    places = film_places(series)
    if index >= len(places):
        return None
    instance, frame = places[index]
    member = series.instances[instance]
    if member.header is None:
        return None
    return member.header, (frame + 1 if member.frames > 1 else None)


def presented_volume(opened: Any, path: Path) -> VolumeState:
    """What the state at ``path`` says of ``opened``'s volume (`lightbox screenshot
    --presentation` on a CT / MR). Raises ValueError, in words."""
    state = read_state(path)
    if getattr(opened, "series", None) is None:
        raise ValueError(f"{opened.title} is not a DICOM series")
    try:
        found = volume_state(opened.series, state)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged state: said
        raise ValueError(f"{path}: the presentation state cannot be read ({type(exc).__name__}: {exc})") from exc
    if found is None:
        raise ValueError(f"{path} presents none of the images of {opened.title}")
    return found


def states_of_series(documents: list[tuple[Any, Dataset]], series: Any) -> list[tuple[Any, Dataset]]:
    """The presentation states among ``documents`` that present any image of ``series``, newest first."""
    uids = {str(m.header.get("SOPInstanceUID", "")) for m in series.instances if m.header is not None}
    found = [(path, header) for path, header in documents if is_view(header)
             and any(view_presents(header, uid) for uid in uids)]
    return newest_first(found)


def presented_film(opened: Any, path: Path) -> tuple[int, ImagePresentation]:
    """The first film of ``opened`` the state at ``path`` presents (its index) and what the state
    says of it (`lightbox screenshot --presentation`). Raises ValueError, in words."""
    state = read_state(path)
    for n, film in enumerate(opened.films):
        image = film_image(opened, film)
        try:
            presentation = read_view(state, image[0], image[1]) if image is not None else None
        except Exception as exc:  # noqa: BLE001 - a damaged state: said
            raise ValueError(f"{path}: the presentation state cannot be read ({type(exc).__name__}: {exc})") from exc
        if presentation is not None:
            return n, presentation.with_source(str(path))
    raise ValueError(f"{path} presents none of the images of {opened.title}")


def _frames_of(opened: Any, state: Dataset, source: str) -> Callable[[Any], ImagePresentation | None]:
    """What ``state`` says of each frame of ``opened`` (None for a frame it does not present, or
    cannot be read for), each read once."""
    read: dict[int, ImagePresentation | None] = {}

    def presented(film: Any) -> ImagePresentation | None:
        if id(film) not in read:
            image = film_image(opened, film)
            try:
                found = read_view(state, image[0], image[1]) if image is not None else None
            except ValueError:
                found = None
            read[id(film)] = found.with_source(source) if found is not None else None
        return read[id(film)]

    return presented


class VolumeState:
    """What a state says of a volume's acquired slices: its name, the plane its graphics lie on
    (the acquired one, as the window names it), the graphics by slice, the window, and what of
    it is not applied, in words."""

    def __init__(self, label: str, title: str, plane: str, marks: list[StateMark], window: Window | None,
                 not_applied: list[str], ellipsoids: list[StateEllipsoid] | None = None,
                 reformat_marks: dict[str, list[StateMark]] | None = None) -> None:
        self.label, self.title, self.plane, self.marks, self.window = label, title, plane, marks, window
        self.not_applied = not_applied
        self.ellipsoids = ellipsoids or []  # a report's volumes in patient mm, for the other planes' panes
        # a report's planar regions measured on a reformat (in patient mm), by the plane they lie in
        self.reformat_marks = reformat_marks or {}

    def marks_for(self, plane: str) -> tuple[list[StateMark], list[StateEllipsoid]]:
        """What a pane of ``plane`` draws: the graphics by slice on the acquired plane's panes; on
        the others (a reformat: coronal, sagittal, oblique) the report's planar regions that lie in
        that plane, by slice, and its ellipsoids, cut where the pane lies."""
        return (self.marks, []) if plane == self.plane else (self.reformat_marks.get(plane, []), self.ellipsoids)


def volume_state(series: Any, state: Dataset) -> VolumeState | None:
    """The state's graphics on ``series``' acquired slices (each on the slice of the image it
    references, in mm on that plane, as the reader's marks are kept) and its window; None when it
    presents none of the series' images. Raises ValueError, in words."""
    from .measurement_sr import ImagePlacer

    placer = ImagePlacer(series)  # ValueError: where the images lie cannot be read
    marks: list[StateMark] = []
    windows: list[Window] = []
    notes: list[str] = []
    label, title, plane = "", "", ""
    # the frames of reference the slices name: one (C.7.4.1), or one each where de-identification
    # replaced them slice by slice (the LIDC CT): a region in patient mm lies in all of them
    series_frames = frozenset(frames_of_reference(series)) - {""}
    for member in series.instances:
        header = member.header
        if header is None:
            continue
        uid = str(header.get("SOPInstanceUID", ""))
        frames: list[int | None] = list(range(1, member.frames + 1)) if member.frames > 1 else [None]
        for frame in frames:
            if not view_presents(state, uid, frame):
                continue
            presentation = read_view(state, header, frame, series_frames)
            if presentation is None:
                continue
            label, title = presentation.label, presentation.title()
            notes += presentation.not_applied
            if presentation.rotation or presentation.flip_horizontal or presentation.shutter is not None:
                notes.append("its rotation, flip and shutter (applied to films only)")
            if presentation.window is not None:
                windows.append(presentation.window)
            for graphic in presentation.graphics:
                for shape in _shapes(graphic):
                    placed = placer.unplace(uid, shape, frame)
                    if placed is None:
                        continue
                    plane = placed[0]
                    marks.append(StateMark(placed[2], tuple(placed[1]), graphic.text, graphic.colour,
                                           filled=is_filled_outline(graphic)))
    if len(set(windows)) > 1:
        notes.append("a window per image (the first applied to the whole volume)")
    report = is_measurement_report(state)
    ellipsoids = [StateEllipsoid(tuple(tuple(float(v) for v in end) for end in ends), text)
                  for ends, text in report_ellipsoids(state, series_frames)] if report else []
    reformats = _reformat_marks(state, placer, series_frames) if report else {}
    if not label and (ellipsoids or reformats):  # measured in patient mm only, off the acquired slices
        shown = report_presentation(state)
        label, title = shown.label, shown.title()
    if not label:
        return None
    return VolumeState(label, title, plane or getattr(placer, "plane_name", ""), marks, windows[0] if windows else None,
                       list(dict.fromkeys(notes)), ellipsoids, reformats)


def _shapes(graphic: StateGraphic) -> list[list[tuple[float, float]]]:
    """A graphic as the polylines a pane draws (a text: its anchor, and the other side of what it
    labels where it names one)."""
    if graphic.kind == "TEXT":
        return [[graphic.points[0], graphic.other_side]] if graphic.other_side is not None else [[graphic.points[0]]]
    return graphic_polylines(graphic)


def _reformat_marks(report: Dataset, placer: Any, series_frames: frozenset[str]) -> dict[str, list[StateMark]]:
    """The report's planar regions in patient mm that lie in one of the volume's reformatted planes
    (every point within half a slice step of one plane of it: measured on a coronal pane, say), as
    that plane's marks by slice, with their values in words."""
    out: dict[str, list[StateMark]] = {}
    if placer.film:
        return out
    regions = report_planar_regions(report, series_frames)
    for name in placer.reformat_planes:
        right, up, normal = plane_axes(name, placer.geometry)
        for shape, points, words, concepts in regions:
            depth = points @ normal
            if float(np.ptp(depth)) >= placer.geometry.step_along(normal):
                continue  # across this plane's slices: not drawn on one of them
            drawn, placed = as_drawn(shape, [(float(p @ right), float(p @ up)) for p in points])
            for graphic in region_graphics(drawn, placed, words, concepts):
                out.setdefault(name, []).extend(
                    StateMark(float(depth.mean()), tuple(each), graphic.text, graphic.colour,
                              filled=is_filled_outline(graphic)) for each in _shapes(graphic))
    return out


def bring_into_view(state: VolumeState, scenes: list[Any]) -> None:
    """Move a volume's plane panes (``scenes``) to what ``state`` marks, unless they show it already
    (a reader there is not moved): every plane through the first ellipsoid whose centre lies in the
    volume, unless the crosshair is in one; else the acquired plane to the first marked slice,
    unless it shows a mark; else each reformat pane to the first region measured on its plane,
    unless it shows one. A report marking slice 40 of 275 was applied with nothing on the slice
    shown, and no word of where its marks were."""
    panes = [s for s in scenes if getattr(s, "kind", "") == "mpr"]
    acquired = [s for s in panes if s.plane == state.plane]
    if not panes:
        return
    low, high = panes[0].volume.bounds()
    centres = [ellipsoid_axes(np.asarray(e.ends))[0] for e in state.ellipsoids]
    inside = [(e, c) for e, c in zip(state.ellipsoids, centres, strict=True) if np.all((c >= low) & (c <= high))]
    if any(inside_ellipsoid(np.asarray(e.ends), np.asarray(panes[0].display.crosshair)) for e, _ in inside):
        return
    if not inside and \
            any(abs(mark.plane - pane.position()) < pane.slice_step() / 2 for pane in acquired for mark in state.marks):
        return
    if inside:
        centre = inside[0][1]
        for pane in panes:
            pane.display.crosshair = tuple(float(v) for v in snap_to_voxel(pane.volume, centre))
    elif state.marks and acquired:
        acquired[0].move_to(state.marks[0].plane)
    else:
        for pane in panes:
            marks = state.reformat_marks.get(pane.plane, [])
            if marks and not any(abs(m.plane - pane.position()) < pane.slice_step() / 2 for m in marks):
                pane.move_to(marks[0].plane)


class PresentationStateMenu:
    """The View menu's Presentation state submenu of ``window``."""

    def __init__(self, window: MainWindow, view_menu: QMenu) -> None:
        self.window = window
        self.menu = view_menu.addMenu("Presentation state")
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._fill)
        self.volume_applied: dict[int, str] = {}  # id(volume) -> the path of the state shown on it

    def _active(self) -> tuple[Any, Any] | None:
        """(opened image set, scene) of the pane last clicked, when it shows a film or an MPR plane."""
        area = self.window.area
        scene = area.active_scene()
        if getattr(scene, "kind", "") not in ("film", "mpr"):
            return None
        widget = area.active if area.active is not None and area.active.scene is scene else None
        n = area.viewports.index(widget) if widget in area.viewports else 0
        opened = area.placed[n].opened if n in area.placed else area.opened
        return opened, scene

    def states(self) -> list[tuple[Path, Dataset]]:
        """The presentation states among the folder's documents that present the active film, or
        any acquired slice of the active volume."""
        active, index = self._active(), self.window.index
        if active is None or index is None:
            return []
        opened, scene = active
        if scene.kind == "mpr":
            series = getattr(opened, "series", None)
            return states_of_series(index.documents, series) if series is not None else []
        image = film_image(opened, scene.film)
        if image is None:
            return []
        return views_of_image(index.documents, image[0], image[1])

    def _current(self, scene: Any) -> str | None:
        if scene.kind == "mpr":  # a pane built since (another layout) shows none
            return self.volume_applied.get(id(scene.volume)) if scene.state_label else None
        presentation = getattr(scene, "presentation", None)
        return presentation.source if presentation is not None else None

    def _fill(self) -> None:
        self.menu.clear()
        active = self._active()
        states = self.states()
        if active is None or not states:
            action = self.menu.addAction("No presentation state presents the images shown" if active is not None
                                         else "Click a pane showing a film or a CT / MR plane first")
            action.setEnabled(False)
            return
        group = QActionGroup(self.menu)
        current = self._current(active[1])
        plain = QAction(AS_ACQUIRED, self.menu, checkable=True)
        plain.setChecked(current is None)
        plain.triggered.connect(partial(self.apply, None))
        group.addAction(plain)
        self.menu.addAction(plain)
        self.menu.addSeparator()
        for path, header in states:
            action = QAction(view_title(header), self.menu, checkable=True)
            action.setToolTip(str(path))
            action.setChecked(current == str(path))
            action.triggered.connect(partial(self.apply, path))
            group.addAction(action)
            self.menu.addAction(action)

    def apply(self, path: Path | None) -> ImagePresentation | VolumeState | None:
        """Show the active film or volume as the state at ``path`` says (None: as acquired); says in
        the status bar what the state asks that is not applied, or why it could not be read."""
        active = self._active()
        bar = self.window.statusBar()
        if active is None:
            bar.showMessage("Presentation state: click a pane showing a film or a CT / MR plane first", 8000)
            return None
        opened, scene = active
        if scene.kind == "mpr":
            return self._apply_to_volume(opened, scene.volume, path)
        cine = scene.film.cine
        if path is None:
            scene.apply_presentation(None)
            self._cine_frames(cine, None)
            bar.showMessage("Shown as acquired", 5000)
            return None
        image = film_image(opened, scene.film)
        try:
            if image is None:
                raise ValueError("the film shown is not a DICOM image of a series")
            state = dcmread(path)
            presentation = read_view(state, image[0], image[1])
            if presentation is None:
                raise ValueError("it does not present the image shown")
        except Exception as exc:  # noqa: BLE001 - a damaged state: said, the film stays as it is
            bar.showMessage(f"Cannot apply the presentation state {Path(path).name}: {exc}", 12000)
            return None
        presentation = presentation.with_source(str(path))
        unable = scene.apply_presentation(presentation)
        if cine:  # the cine's other frames, as they are shown: what the state says of each
            self._cine_frames(cine, _frames_of(opened, state, str(path)))
        self._say(presentation.title(), [*presentation.not_applied, *unable], presentation.cautions)
        return presentation

    def _cine_frames(self, cine: str, presented: Callable[[Any], ImagePresentation | None] | None) -> None:
        """Keep (or, given None, drop) the state on every frame of the cine shown from now on, and
        on the frames whose scenes are kept already."""
        area = self.window.area
        if presented is None:
            area.cine_presentations.pop(cine, None)
        else:
            area.cine_presentations[cine] = presented
        scenes: list[Any] = list(area.scene_cache.values())
        for scene in scenes:
            if getattr(scene, "kind", "") == "film" and scene.film.cine == cine and scene is not area.active_scene():
                scene.show_presentation_layers(presented(scene.film) if presented is not None else None)

    def _volume_scenes(self, volume: Any) -> list[Any]:
        return [s for s in self.window.area.scenes() if getattr(s, "kind", "") == "mpr" and getattr(s, "volume", None) is volume]

    def _apply_to_volume(self, opened: Any, volume: Any, path: Path | None) -> VolumeState | None:
        bar = self.window.statusBar()
        display = self._volume_scenes(volume)[0].display
        if path is None:
            for scene in self._volume_scenes(volume):
                scene.show_state_marks("", [])
            self.volume_applied.pop(id(volume), None)
            if volume.window is not None:
                display.set_window(volume.window)
            bar.showMessage("Shown as acquired", 5000)
            return None
        try:
            if getattr(opened, "series", None) is None:
                raise ValueError("the volume shown is not a DICOM series")
            state = volume_state(opened.series, dcmread(path))
            if state is None:
                raise ValueError("it presents none of the slices shown")
        except Exception as exc:  # noqa: BLE001 - a damaged state: said, the volume stays as it is
            bar.showMessage(f"Cannot apply the presentation state {Path(path).name}: {exc}", 12000)
            return None
        for scene in self._volume_scenes(volume):  # the graphics on the panes of the plane they were drawn on
            scene.show_state_marks(state.label, *state.marks_for(scene.plane))
        bring_into_view(state, self._volume_scenes(volume))
        if state.window is not None:
            display.set_window(state.window, "PR")
        self.volume_applied[id(volume)] = str(path)
        self._say(state.title, state.not_applied)
        return state

    def _say(self, title: str, not_applied: list[str], cautions: tuple[str, ...] = ()) -> None:
        left = f"; not applied: {'; '.join(not_applied)}" if not_applied else ""
        warned = "".join(f". Caution: {caution}" for caution in cautions)
        self.window.statusBar().showMessage(f"Presentation state {title}{left}{warned}", 30000 if cautions else 15000)

    def note_on_open(self, opened: Any) -> str:
        """A word for the status bar when a film or a volume opens that a state presents, or ""."""
        index = self.window.index
        if index is None or not index.documents:
            return ""
        if getattr(opened, "volume", None) is not None:
            series = getattr(opened, "series", None)
            found = states_of_series(index.documents, series) if series is not None else []
            what = "images of this series (a colleague's window and marks)"
        else:
            image = film_image(opened, opened.films[0]) if getattr(opened, "films", None) else None
            found = views_of_image(index.documents, image[0], image[1]) if image is not None else []
            what = "this image (a colleague's window, zoom and marks)"
        if not found:
            return ""
        reports = sum(1 for _, header in found if str(header.get("SOPClassUID", "")) not in STATE_CLASSES)
        states = len(found) - reports
        said = " and ".join(x for x in (f"{states} presentation state(s)" if states else "",
                                         f"{reports} other reader's measurement report(s)" if reports else "") if x)
        return f"{said} present {what}: View → Presentation state"
