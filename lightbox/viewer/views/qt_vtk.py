"""Qt ↔ VTK glue: a widget that hosts one scene (pyvistaqt's QtInteractor idea, pared down).

VTK's own interactor styles are bypassed: Qt mouse events are translated into the scene's
``drag`` / ``wheel`` / click methods for the active tool, so the behaviour is the same in the
window, in tests and for the headless commands. Under Qt's ``offscreen`` platform the render
window must not be given the widget's native window id (it would render black): the window
is then an offscreen one and the widget is only an event source.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleUser

from ..measure import CALIBRATION, CARDIOTHORACIC, FREEHAND, LINE_KINDS, MARK_NAMES, POINTS_NEEDED, SPHERE, TWO_LINE_KINDS
from .qt_loupe import Loupe, magnifier_text
from .vtk_data import new_render_window, read_pixels

SETTLE_MS = 150  # the view counts as still this long after its last change


def still_timer(parent: QWidget, slot) -> QTimer:
    """A single-shot timer for work that waits until the view is still: each ``start()``
    restarts the countdown, ``slot`` runs SETTLE_MS after the last one."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(SETTLE_MS)
    timer.timeout.connect(slot)
    return timer

MEASURE_TOOLS = ("length", "angle", "cobb", CARDIOTHORACIC, "ellipse", "rectangle", SPHERE, "arrow", "text", CALIBRATION)
CLICK_TOOLS = {*MEASURE_TOOLS, FREEHAND, "crosshair"}  # FREEHAND: an outline dragged along an edge
DRAG_TOOLS = ("ellipse", "rectangle", SPHERE, "arrow")  # drawn by dragging (or by clicking both ends)
REPEATED_POINT = "{kind}: that point is where the one before it is; click where it ends, or drag to it"
SPHERE_ON_FILM = "Sphere VOI: draw it on a CT, MR or PET pane (a film has no depth)"
CALIBRATION_OFF_FILM = "Calibrate: for a film (a radiograph, a photo); a CT, MR or PET states its voxel size"
SERIES_MIME = "application/x-lightbox-series-uid"  # a series dragged from the study browser
STUDY_MIME = "application/x-lightbox-study-uid"  # a study dragged from the Studies window (the study database)
ROI_DRAG_PIXELS = 3  # a release this far from the press places an ROI's second corner (drag); nearer: click-click
TRACE_STEP_PIXELS = 2.0  # a freehand outline takes a point each time the mouse has moved this far (device px)
MAGNIFIER = "magnifier"  # the tool: a lens over the image while the left button is held (qt_loupe.py)


def headless_platform() -> bool:
    return QGuiApplication.platformName() in ("offscreen", "minimal")


class SceneInput:
    """Qt mouse events → the scene's ``drag`` / ``wheel`` / click methods for the active tool.
    Shared by the VTK host below and the CPU raster view (:mod:`.qt_raster`); the host provides
    ``scene``, ``tool``, ``wl_convention`` and the ``status`` / ``activated`` / ``measured``
    signals."""

    scene: Any  # a FilmScene, MprScene or VolumeScene (they share no base class)
    tool: str
    wl_convention: str
    # provided by the Qt host class (QWidget and its signals)
    status: Any
    activated: Any
    measured: Any
    said: Any
    series_dropped: Any
    maximise_requested: Any
    devicePixelRatioF: Callable[[], float]  # noqa: N815 - Qt's name
    height: Callable[[], int]

    def _init_input(self) -> None:
        """The input state both hosts start with (called from their ``__init__``)."""
        self.scene = None
        self.tool = "wl"
        self.wl_convention = "horizontal-width"
        # Preferences: what right and middle drags do, and which way the wheel scrolls
        self.right_drag = "zoom"
        self.middle_drag = "pan"
        self.wheel_sign = 1.0  # -1: the wheel turned towards you goes to the previous slice
        self._last: QPointF | None = None
        self._pressed_at: QPointF | None = None
        self._button = Qt.MouseButton.NoButton
        self._trace: list[tuple[float, float]] = []  # a freehand outline's display points while it is drawn
        self.pointer: tuple[float, float] | None = None  # the mouse over the pane (display point), or None
        self._moving_handle = False  # a mark's handle is being dragged (grab_handle took one)
        self._finish_on_release = False  # the press would finish a length, angle or Cobb angle: its point goes where it is let go
        self._placed_at: QPointF | None = None  # where this pane placed the last point of the line mark being drawn
        self._loupe: Loupe | None = None  # made at the first press of the magnifier
        self.setMinimumSize(120, 120)  # type: ignore[attr-defined]
        self.setAcceptDrops(True)  # type: ignore[attr-defined]  # a series from the study browser
        # a click on a pane takes the keyboard focus from the study browser, whose type-ahead
        # search would otherwise swallow the preset and tool keys (1-6, W, L, ...)
        self.setFocusPolicy(Qt.FocusPolicy.WheelFocus)  # type: ignore[attr-defined]

    def dragEnterEvent(self, ev) -> None:  # noqa: N802
        if ev.mimeData().hasFormat(SERIES_MIME) or ev.mimeData().hasFormat(STUDY_MIME):
            ev.acceptProposedAction()
        else:
            ev.ignore()  # files: the window opens them

    def dropEvent(self, ev) -> None:  # noqa: N802
        """A series (its UID) or a study of the database ("study:" and its UID) dropped here."""
        mime = ev.mimeData()
        if mime.hasFormat(SERIES_MIME):
            self.series_dropped.emit(self, bytes(mime.data(SERIES_MIME).data()).decode())
            ev.acceptProposedAction()
        elif mime.hasFormat(STUDY_MIME):
            self.series_dropped.emit(self, "study:" + bytes(mime.data(STUDY_MIME).data()).decode())
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def _display_xy(self, pos: QPointF) -> tuple[float, float]:
        """Qt logical position → VTK display pixels (origin bottom-left, device pixels)."""
        ratio = self.devicePixelRatioF()
        return pos.x() * ratio, (self.height() - 1 - pos.y()) * ratio

    def _tool_for(self, button: Qt.MouseButton, modifiers: Qt.KeyboardModifier) -> str:
        # Right drag zooms and middle drag pans in every tool, as in most PACS viewers.
        if button == Qt.MouseButton.RightButton:
            return self.right_drag
        if button == Qt.MouseButton.MiddleButton:
            return self.middle_drag
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            return "pan"
        if self.scene is not None and getattr(self.scene, "kind", "") == "3d":
            return "rotate" if self.tool not in ("pan", "zoom") else self.tool
        return self.tool

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        self.activated.emit(self)
        self._button = ev.button()
        self._last = ev.position()
        self._pressed_at = ev.position()
        if self.scene is None:
            return
        tool = self._tool_for(ev.button(), ev.modifiers())
        x, y = self._display_xy(ev.position())
        if tool == MAGNIFIER:
            self._magnify(ev.position(), pressed=True)
            return
        if tool == SPHERE and getattr(self.scene, "kind", "") != "mpr":
            if getattr(self.scene, "kind", "") == "film":
                self.said.emit(SPHERE_ON_FILM)
            return
        if tool == CALIBRATION and getattr(self.scene, "kind", "") != "film":
            if getattr(self.scene, "kind", "") == "mpr":
                self.said.emit(CALIBRATION_OFF_FILM)
            return
        if tool in MEASURE_TOOLS and hasattr(self.scene, "grab_handle") and self.scene.grab_handle(x, y):
            self._moving_handle = True  # an end, a corner or a sphere's edge taken: dragged, not a new mark
            return
        drawn = self.scene.mark_drawn_at(tool, x, y) if tool in LINE_KINDS and hasattr(self.scene, "mark_drawn_at") \
            else None
        if drawn is not None and len(drawn.points) + 1 == POINTS_NEEDED[tool]:
            # its last point goes where the button is let go: a click puts it here, a drag where the
            # drag ends (an angle's second arm drawn out from its vertex), its value following the mouse
            self._finish_on_release = True
            self.scene.preview_mark(x, y)
        elif drawn is not None and self._refuses_repeated_point(drawn, ev.position()):
            return  # said
        elif tool in MEASURE_TOOLS and hasattr(self.scene, "add_measurement_point"):
            self._add_measurement_point(tool, ev.position())
        elif tool == FREEHAND and hasattr(self.scene, "trace_outline"):
            self._trace = [(x, y)]
        elif tool == "crosshair" and hasattr(self.scene, "set_crosshair_at"):
            self.scene.set_crosshair_at(x, y)

    def mouseDoubleClickEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        """A double click with a tool that navigates (W/L, pan, zoom, scroll; the 3D pane's turn)
        fills the area with this pane, or brings the grid back; with a tool that places points it
        is two presses, as before (a measurement refuses the repeated point, said)."""
        if ev.button() == Qt.MouseButton.LeftButton and \
                self._tool_for(ev.button(), ev.modifiers()) in ("wl", "pan", "zoom", "scroll", "rotate"):
            self.maximise_requested.emit(self)
            return
        self.mousePressEvent(ev)

    def ask_text(self) -> str:
        """The words of a text annotation (Tools → Text); empty when cancelled."""
        from PySide6.QtWidgets import QInputDialog

        text, ok = QInputDialog.getText(self, "Text annotation", "Text:")  # type: ignore[arg-type]  # self: the Qt host
        return str(text).strip() if ok else ""

    def ask_known_length(self, prompt: str) -> float | None:
        """The true length in mm of a calibration line just drawn (Tools → Calibrate); None when cancelled."""
        from PySide6.QtWidgets import QInputDialog

        value, ok = QInputDialog.getDouble(self, "Calibrate by a known length", prompt,  # type: ignore[arg-type]  # self: the Qt host
                                           25.0, 0.01, 100000.0, 2)
        return float(value) if ok else None

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self.scene is None:
            return
        x, y = self._display_xy(ev.position())
        self.pointer = (x, y)  # where Delete deletes a mark
        if self._button == Qt.MouseButton.NoButton:
            self._show_handle_under(x, y)
            self._follow_pointer(x, y)
        if self._last is not None and self._button != Qt.MouseButton.NoButton:
            tool = self._tool_for(self._button, ev.modifiers())
            ratio = self.devicePixelRatioF()
            dx = (ev.position().x() - self._last.x()) * ratio
            dy = -(ev.position().y() - self._last.y()) * ratio  # VTK: y up
            self._last = ev.position()
            if self._moving_handle:
                self.scene.drag_handle(x, y)  # type: ignore[attr-defined]
            elif tool == MAGNIFIER:
                self._magnify(ev.position())
                return  # the status bar keeps the lens's words
            elif tool == "crosshair" and hasattr(self.scene, "set_crosshair_at"):
                self.scene.set_crosshair_at(x, y)
            elif tool in (*DRAG_TOOLS, *LINE_KINDS) and hasattr(self.scene, "preview_mark"):
                self.scene.preview_mark(x, y)
            elif tool == FREEHAND and self._trace:
                last_x, last_y = self._trace[-1]
                if max(abs(x - last_x), abs(y - last_y)) >= TRACE_STEP_PIXELS:
                    self._trace.append((x, y))
                    self.scene.trace_outline(self._trace)
            elif tool not in CLICK_TOOLS:
                self.scene.drag(tool, dx, dy, self.wl_convention)  # type: ignore[attr-defined]
        self.status.emit(self.scene.status_text(x, y))  # type: ignore[attr-defined]

    def _follow_pointer(self, x: float, y: float) -> None:
        """Between the clicks that draw a mark, its next point follows the mouse (a length's line
        and value, an ROI's outline), so the reader sees where the first point went and what the
        next click will make."""
        measure = getattr(self.scene, "measure", None)
        drawn = measure.open_mark() if measure is not None else None
        if drawn is not None and drawn.kind == self._tool_for(Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier):
            self.scene.preview_mark(x, y)

    def _near(self, a: QPointF, b: QPointF) -> bool:
        """Whether two Qt positions are within ROI_DRAG_PIXELS device pixels: a click, not a drag."""
        moved = a - b
        return max(abs(moved.x()), abs(moved.y())) * self.devicePixelRatioF() <= ROI_DRAG_PIXELS

    def _refuses_repeated_point(self, drawn: Any, at: QPointF) -> bool:
        """Whether a point of ``drawn`` (the mark being drawn there) at ``at`` (Qt position) falls
        where this pane placed the point before it (a double click: a length of 0 mm, an angle
        with an arm of none); if so it is refused, said."""
        if self._placed_at is None or not drawn.points:
            return False
        if drawn.kind in TWO_LINE_KINDS and len(drawn.points) == 2:
            return False  # the second line (endplate, thorax) may start anywhere
        if not self._near(at, self._placed_at):
            return False
        self.said.emit(REPEATED_POINT.format(kind=MARK_NAMES[drawn.kind].capitalize()))
        return True

    def _show_handle_under(self, x: float, y: float) -> None:
        """The move cursor over a finished mark's handle while a measurement tool is in hand: a
        press there moves the end, corner or edge instead of starting a new mark, and the reader
        should see which of the two a click will do before making it."""
        over = (self._tool_for(Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier) in MEASURE_TOOLS
                and hasattr(self.scene, "handle_under") and self.scene.handle_under(x, y) is not None)
        if over:
            self.setCursor(Qt.CursorShape.SizeAllCursor)  # type: ignore[attr-defined]
        else:
            self.unsetCursor()  # type: ignore[attr-defined]

    def _magnify(self, at: QPointF, pressed: bool = False) -> None:
        """The lens at Qt position ``at`` (made and shown at the press, moved with the drag), or
        why this pane cannot have one (said once, at the press)."""
        if self.scene is None:
            return
        if self._loupe is None:
            self._loupe = Loupe()
        if pressed:
            why = self._loupe.unavailable(self.scene)
            if why:
                self.said.emit(why)
                self._button = Qt.MouseButton.NoButton  # nothing follows this press
                return
        elif not self._loupe.isVisible():
            return
        self._loupe.show_at(self, self.scene, at, *self._display_xy(at))  # type: ignore[arg-type]  # self: the Qt host
        self.status.emit(magnifier_text(self._loupe.magnification))

    def hide_loupe(self) -> None:
        """The lens gone and its scene let go (the pane shows another scene, or none)."""
        if self._loupe is not None:
            self._loupe.forget()

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        tool = self._tool_for(self._button, ev.modifiers())
        pressed, self._pressed_at = self._pressed_at, None
        self._last = None
        self._button = Qt.MouseButton.NoButton
        if self._loupe is not None and self._loupe.isVisible():
            self._loupe.hide()
            return
        if self._moving_handle:
            self._moving_handle = False
            edited = self.scene.release_handle() if self.scene is not None else None  # type: ignore[attr-defined]
            if edited is not None:
                self.measured.emit(self._finished_text(edited))
            return
        if tool == FREEHAND and self._trace and self.scene is not None:
            traced, self._trace = self._trace, []
            outline = self.scene.add_outline(traced)
            if outline is not None:
                self.measured.emit(self._finished_text(outline))
            return
        if self._finish_on_release and self.scene is not None:
            self._finish_on_release = False
            x, y = self._display_xy(ev.position())
            drawn = self.scene.mark_drawn_at(tool, x, y)
            if drawn is not None and self._refuses_repeated_point(drawn, ev.position()):
                self.scene.preview_mark(x, y)
            else:
                self._add_measurement_point(tool, ev.position())
            return
        if (tool in (*DRAG_TOOLS, *LINE_KINDS) and pressed is not None and self.scene is not None
                and hasattr(self.scene, "measure") and self.scene.measure.open_mark() is not None
                and not self._near(ev.position(), pressed)):
            self._add_measurement_point(tool, ev.position())  # a drag: the next point where it was let go

    def _add_measurement_point(self, tool: str, at: QPointF) -> None:
        """A point of ``tool``'s mark at Qt position ``at``."""
        if tool == "text":
            words = self.ask_text()
            if not words:
                return  # cancelled or empty: no mark
        m = self.scene.add_measurement_point(tool, *self._display_xy(at))
        self._placed_at = at if m.kind in LINE_KINDS and not m.complete else None
        if tool == "text":
            m.text = words
            self.scene._refresh_measurements()
            self.scene.request_render()
        if m.complete and m.kind == CALIBRATION:
            made, words = self.scene.calibrate_with(m, self.ask_known_length(self.scene.calibration_prompt(m)))
            (self.measured if made else self.said).emit(words)  # made: kept with the study, as a mark is
            return
        if m.complete:
            self.measured.emit(self._finished_text(m))

    def _finished_text(self, m: Any) -> str:
        """The status bar's words for a mark finished (or moved): a measurement's values; a text
        or an arrow is placed, not measured."""
        label = self.scene.measure.label(m).replace("\n", "  ")
        if m.kind == "text":
            return f"Text placed: {label}"
        if m.kind == "arrow":
            return f"Arrow placed: {label}" if label else "Arrow placed"
        if m.kind == CALIBRATION:
            return self.scene.calibration_text() or f"Calibration: {label}"
        return f"Measured {label}"

    def wheelEvent(self, ev: QWheelEvent) -> None:  # noqa: N802
        if self._loupe is not None and self._loupe.isVisible():  # the wheel with the lens shown: its magnification
            if self._loupe.step(ev.angleDelta().y()):
                self._magnify(ev.position())
            return
        if self.scene is not None:
            steps = ev.angleDelta().y() / 120.0
            scrolls = getattr(self.scene, "kind", "") == "mpr"  # films and 3D: the wheel zooms either way
            self.scene.wheel(steps * (self.wheel_sign if scrolls else 1.0))  # type: ignore[attr-defined]

    def keyPressEvent(self, ev) -> None:  # noqa: N802
        ev.ignore()  # shortcuts belong to the window's actions

    def keyReleaseEvent(self, ev) -> None:  # noqa: N802
        ev.ignore()

    def enterEvent(self, ev) -> None:  # noqa: N802
        pass

    def leaveEvent(self, ev) -> None:  # noqa: N802
        self.pointer = None
        self.status.emit("")


class VtkWidget(SceneInput, QVTKRenderWindowInteractor):
    """Shows one scene (``FilmScene``, ``MprScene`` or ``VolumeScene``) and routes the mouse
    to it according to ``tool`` (``wl``, ``pan``, ``zoom``, ``scroll``, ``length``, ``angle``,
    ``crosshair``, ``rotate``)."""

    status = Signal(str)  # text for the status bar: the value under the cursor
    activated = Signal(object)  # emitted with self on any click: the active viewport
    measured = Signal(str)  # what the status bar says of a mark finished or moved ("Measured 12.3 mm")
    said = Signal(str)  # a word for the status bar: why a click did nothing
    series_dropped = Signal(object, str)  # self, the UID of a series dropped on the pane
    maximise_requested = Signal(object)  # self: a double click with a navigating tool (fill the area / the grid back)

    def __init__(self, parent: QWidget | None = None) -> None:
        window = new_render_window(offscreen=headless_platform())
        if headless_platform():
            # Shadow the method on this instance: QVTKRenderWindowInteractor calls it from Python.
            window.SetWindowInfo = lambda *_: None  # type: ignore[method-assign]
        super().__init__(parent, rw=window)
        self.render_window = window
        self._finalized = False  # the render window's context released: never drawn again
        self._Iren.SetInteractorStyle(vtkInteractorStyleUser())
        self._init_input()
        # renders a scene asks for only once the view is still (a 3D pane that follows the
        # window: one ray cast per W/L mouse step would cost 200 ms each)
        self._when_still = still_timer(self, self._on_still)

    # -- scene ----------------------------------------------------------------------------
    def set_scene(self, scene: object | None) -> None:
        self.hide_loupe()  # it showed the scene going
        if self.scene is not None:
            self.render_window.RemoveRenderer(self.scene.renderer)  # type: ignore[attr-defined]
            self.scene.request_render = lambda: None  # type: ignore[attr-defined]
            if hasattr(self.scene, "request_render_when_still"):
                self.scene.request_render_when_still = lambda: None  # type: ignore[attr-defined]
            self._when_still.stop()
        self.scene = scene
        if scene is not None:
            self.render_window.AddRenderer(scene.renderer)  # type: ignore[attr-defined]
            scene.request_render = self.render  # type: ignore[attr-defined]
            if hasattr(scene, "request_render_when_still"):
                scene.request_render_when_still = self._when_still.start  # restarts the countdown
            if hasattr(scene, "fall_back_to_cpu"):
                scene.fall_back_to_cpu(self.render_window)
            scene.resized()  # type: ignore[attr-defined]
        self.render()
        if getattr(scene, "needs_refinement", False):  # e.g. a 3D pane's first, unshaded frame
            self._when_still.start()

    def _on_still(self) -> None:
        """The view has been still for SETTLE_MS: the scene's full-quality frame (a 3D pane after
        a rotation at its interactive level of detail), or the render it was waiting for."""
        if hasattr(self.scene, "on_still"):
            busy = bool(getattr(self.scene, "_shading_deferred", False))  # the CPU mapper's one-time gradient pass
            if busy:
                QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                self.scene.on_still()
            finally:
                if busy:
                    QApplication.restoreOverrideCursor()
        else:
            self.render()

    def render(self) -> None:  # type: ignore[override]  # noqa: D401 - the scenes' redraw; QWidget.render is unused
        """Render now (synchronously, so that a read-back right after sees the new frame)."""
        if self.width() > 0 and self.height() > 0 and not self._finalized:
            self.render_window.Render()

    def Finalize(self) -> None:  # noqa: N802 - VTK's name
        """Release the render window (the pane is being discarded). A paint event that still
        reaches the widget before it is deleted must not draw into the released window: on an X
        display that crashed the application at start about one time in three (a hanging protocol
        swapping a pane's VTK widget for a CPU one; seen starting the window on the Brainix MR)."""
        self._finalized = True
        super().Finalize()

    def grab_pixels(self):
        """The last rendered frame as an RGB numpy array (top row first)."""
        self.render()
        return read_pixels(self.render_window)

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(ev)
        if self.scene is not None:
            self.scene.resized()  # type: ignore[attr-defined]
            self.render()

    def paintEvent(self, ev) -> None:  # noqa: N802
        self.render()
