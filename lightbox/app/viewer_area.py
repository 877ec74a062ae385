"""The central image area: a grid of VTK viewports (1x1, 1x2, 2x2) and what each one shows."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from ..viewer.display import FilmDisplay, VolumeDisplay
from ..viewer.views.film_scene import FilmScene
from ..viewer.views.mpr_scene import MprScene, volume_center
from ..viewer.views.qt_vtk import VtkWidget
from ..viewer.views.volume_scene import VolumeScene
from ..viewer.views.vtk_data import to_vtk_image
from ..viewer.volume import Film
from .compose import LAYOUTS, Opened, frame_text

VOLUME_PANES = {"1x1": ["axial"], "1x2": ["axial", "coronal"], "2x2": ["axial", "coronal", "sagittal", "3d"]}


class ViewerArea(QWidget):
    """Owns the viewports and builds their scenes from an :class:`Opened` image set."""

    status = Signal(str)
    active_changed = Signal(object)
    measured = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(2)
        self.viewports: list[VtkWidget] = []
        self.layout_name = "1x1"
        self.opened: Opened | None = None
        self.volume_display: VolumeDisplay | None = None
        self.films_shown: list[tuple[Film, str, bool]] = []  # (film, frame text, demo) per viewport
        self.active: VtkWidget | None = None
        self.tool = "wl"
        self.wl_convention = "horizontal-width"
        self.set_layout("1x1")

    # -- layout ---------------------------------------------------------------------------
    def set_layout(self, name: str) -> None:
        rows, cols = LAYOUTS[name]
        self.layout_name = name
        for widget in self.viewports:
            widget.set_scene(None)
            self.grid.removeWidget(widget)
            widget.Finalize()
            widget.deleteLater()
        self.viewports = []
        for r in range(rows):
            for c in range(cols):
                widget = VtkWidget(self)
                widget.tool = self.tool
                widget.wl_convention = self.wl_convention
                widget.status.connect(self.status)
                widget.activated.connect(self._activate)
                widget.measured.connect(self.measured)
                self.grid.addWidget(widget, r, c)
                self.viewports.append(widget)
        self.active = self.viewports[0]
        if self.opened is not None:
            self._build_scenes()

    def _activate(self, widget: VtkWidget) -> None:
        self.active = widget
        self.active_changed.emit(widget)

    def set_tool(self, tool: str) -> None:
        self.tool = tool
        for widget in self.viewports:
            widget.tool = tool

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
            self.films_shown[n] = (opened.films[0], "", opened.is_demo)
            self.active.set_scene(self._film_scene(*self.films_shown[n]))
            return
        self.opened = opened
        if opened.is_volume:
            self.films_shown = []
        else:
            self.films_shown = [(f, frame_text(opened, n), opened.is_demo) for n, f in enumerate(opened.films)]
        self._build_scenes()

    def show_preview(self, values, title: str) -> None:
        """Show a single slice at once (the first slice read) while the volume loads."""
        from ..viewer.pixels import auto_window

        film = Film(values, auto_window(values), metadata={"series_description": f"{title} (loading...)"})
        self.viewports[0].set_scene(self._film_scene(film, "loading...", False))

    def _film_scene(self, film: Film, caption: str, demo: bool) -> FilmScene:
        display = FilmDisplay()
        display.set_window(film.window)
        return FilmScene(film, display, frame_text=caption, demo_notice=demo)

    def _build_scenes(self) -> None:
        opened = self.opened
        assert opened is not None
        if opened.volume is not None:
            volume = opened.volume
            display = VolumeDisplay()
            display.set_window(volume.window) if volume.window else None
            display.crosshair = tuple(float(v) for v in volume_center(volume))
            self.volume_display = display
            image = to_vtk_image(volume.array, volume.geometry)
            for widget, pane in zip(self.viewports, VOLUME_PANES[self.layout_name]):
                if pane == "3d":
                    scene = VolumeScene(volume, display, image=image, demo_notice=opened.is_demo)
                else:
                    scene = MprScene(volume, display, pane, image=image, demo_notice=opened.is_demo)
                widget.set_scene(scene)
        else:
            self.volume_display = None
            for n, widget in enumerate(self.viewports):
                if n < len(self.films_shown):
                    widget.set_scene(self._film_scene(*self.films_shown[n]))
                else:
                    widget.set_scene(None)

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
