"""View → Presentation state: show the film in the pane last clicked as a softcopy presentation
state found with the study says (a colleague's window, zoomed region, rotation, shutter, circles
and words on a prior), or as acquired again. Composes the study's documents (the index), the
Qt-free reading of a state (:mod:`..dicomreports.presentation_display`) and the film scene."""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydicom import dcmread
from pydicom.dataset import Dataset
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from ..dicomreports.presentation_display import STATE_CLASSES, ImagePresentation, presentation_of, presentation_states
from ..viewer.loading import film_places

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


def presented_film(opened: Any, path: Path) -> tuple[int, ImagePresentation]:
    """The first film of ``opened`` the state at ``path`` presents (its index) and what the state
    says of it (`lightbox screenshot --presentation`). Raises ValueError, in words."""
    if getattr(opened, "volume", None) is not None:
        raise ValueError(f"{opened.title} is a volume: a presentation state is applied here to films "
                         "(radiographs, single images and their frames)")
    try:
        state = dcmread(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - not DICOM, or damaged: said
        raise ValueError(f"{path} cannot be read as DICOM ({type(exc).__name__}: {exc})") from exc
    if str(state.get("SOPClassUID", "")) not in STATE_CLASSES:
        raise ValueError(f"{path} is not a softcopy presentation state (GSPS or CSPS)")
    for n, film in enumerate(opened.films):
        image = film_image(opened, film)
        try:
            presentation = presentation_of(state, image[0], image[1]) if image is not None else None
        except Exception as exc:  # noqa: BLE001 - a damaged state: said
            raise ValueError(f"{path}: the presentation state cannot be read ({type(exc).__name__}: {exc})") from exc
        if presentation is not None:
            return n, presentation.with_source(str(path))
    raise ValueError(f"{path} presents none of the images of {opened.title}")


class PresentationStateMenu:
    """The View menu's Presentation state submenu of ``window``."""

    def __init__(self, window: MainWindow, view_menu: QMenu) -> None:
        self.window = window
        self.menu = view_menu.addMenu("Presentation state")
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._fill)

    def _active(self) -> tuple[Any, Any] | None:
        """(opened image set, film scene) of the pane last clicked, when it shows a film."""
        area = self.window.area
        scene = area.active_scene()
        if getattr(scene, "kind", "") != "film":
            return None
        widget = area.active if area.active is not None and area.active.scene is scene else None
        n = area.viewports.index(widget) if widget in area.viewports else 0
        opened = area.placed[n].opened if n in area.placed else area.opened
        return opened, scene

    def states(self) -> list[tuple[Path, Dataset]]:
        """The presentation states among the folder's documents that present the active film."""
        active, index = self._active(), self.window.index
        if active is None or index is None:
            return []
        image = film_image(active[0], active[1].film)
        if image is None:
            return []
        return presentation_states(index.documents, image[0], image[1])

    def _fill(self) -> None:
        self.menu.clear()
        active = self._active()
        states = self.states()
        if active is None or not states:
            action = self.menu.addAction("No presentation state presents the image shown" if active is not None
                                         else "Click a pane showing a film first")
            action.setEnabled(False)
            return
        group = QActionGroup(self.menu)
        current = getattr(active[1], "presentation", None)
        plain = QAction(AS_ACQUIRED, self.menu, checkable=True)
        plain.setChecked(current is None)
        plain.triggered.connect(partial(self.apply, None))
        group.addAction(plain)
        self.menu.addAction(plain)
        self.menu.addSeparator()
        for path, header in states:
            label = str(header.get("ContentLabel", "") or "UNNAMED")
            title = " - ".join(x for x in (label, str(header.get("ContentDescription", "") or "")) if x)
            action = QAction(title, self.menu, checkable=True)
            action.setToolTip(str(path))
            action.setChecked(current is not None and current.source == str(path))
            action.triggered.connect(partial(self.apply, path))
            group.addAction(action)
            self.menu.addAction(action)

    def apply(self, path: Path | None) -> ImagePresentation | None:
        """Show the active film as the state at ``path`` says (None: as acquired); says in the
        status bar what the state asks that is not applied, or why it could not be read."""
        active = self._active()
        bar = self.window.statusBar()
        if active is None:
            bar.showMessage("Presentation state: click a pane showing a film first", 8000)
            return None
        opened, scene = active
        if path is None:
            scene.apply_presentation(None)
            bar.showMessage("Shown as acquired", 5000)
            return None
        image = film_image(opened, scene.film)
        try:
            if image is None:
                raise ValueError("the film shown is not a DICOM image of a series")
            presentation = presentation_of(dcmread(path), image[0], image[1])
            if presentation is None:
                raise ValueError("it does not present the image shown")
        except Exception as exc:  # noqa: BLE001 - a damaged state: said, the film stays as it is
            bar.showMessage(f"Cannot apply the presentation state {Path(path).name}: {exc}", 12000)
            return None
        presentation = presentation.with_source(str(path))
        scene.apply_presentation(presentation)
        left = f"; not applied: {'; '.join(presentation.not_applied)}" if presentation.not_applied else ""
        bar.showMessage(f"Presentation state {presentation.title()}{left}", 15000)
        return presentation

    def note_on_open(self, opened: Any) -> str:
        """A word for the status bar when a film opens that a state presents, or ""."""
        index = self.window.index
        if index is None or not getattr(opened, "films", None) or not index.documents:
            return ""
        image = film_image(opened, opened.films[0])
        if image is None:
            return ""
        found = presentation_states(index.documents, image[0], image[1])
        if not found:
            return ""
        return (f"{len(found)} presentation state(s) present this image (a colleague's window, zoom and marks): "
                "View → Presentation state")
