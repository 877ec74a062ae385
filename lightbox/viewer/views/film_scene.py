"""The film view: a 2D radiograph with window/level, zoom/pan/rotate/flip, overlays and
measurements. World coordinates are image pixels (x = column, y = row, pixel centres on
integers); the camera looks along +z with view-up −y, so row 0 is at the top."""
from __future__ import annotations

import math

import numpy as np
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import vtkImageSlice, vtkImageSliceMapper, vtkRenderer

from ...dicomreports.presentation_display import ImagePresentation, graphic_polylines, is_filled_outline
from ..calibration import (
    PLANE_WORDS,
    READER,
    calibration_prompt,
    known_length_problem,
    reader_calibration_text,
    reader_spacing,
)
from ..display import FilmDisplay
from ..loading import for_processing, quality_control
from ..measure import CALIBRATION, Measurement, film_roi_statistics
from ..orientation import film_screen_labels
from ..pixels import Window, auto_window, table_output_window, window_values
from ..shutters import DisplayShutter
from ..value_text import format_value, window_text
from ..volume import Film
from .measurements import MeasurementOverlay, PlaneScene
from .overlays import (
    CornerText,
    EdgeLabels,
    OverlayPlaneLayer,
    PlacedText,
    RenderRequest,
    ScaleBar,
    StateGraphicsLayer,
)
from .text import patient_block, study_block
from .voi_tables import VoiTables
from .vtk_data import rgb_vtk_image, to_vtk_image

ZOOM_LIMITS = (0.02, 40.0)


SIDE_WORDS = {"L": "LEFT", "R": "RIGHT", "B": "BOTH"}  # Image Laterality (0020,0062); "U" (unpaired) is not shown


class FilmScene(PlaneScene):
    """Shows one :class:`Film` as :class:`FilmDisplay` says."""

    kind = "film"
    # the display's pixel pitch in mm (File → Preferences; 0: not known), for a state's TRUE SIZE
    display_pixel_pitch_mm = 0.0

    def __init__(self, film: Film, display: FilmDisplay | None = None, *, frame_text: str = "",
                 demo_notice: bool = False) -> None:
        self.film = film
        self.display = display or FilmDisplay()
        self.frame_text = frame_text
        self.demo_notice = demo_notice
        self.request_render: RenderRequest = lambda: None
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0, 0, 0)
        # a colour film shows its RGB, windowed here channel by channel with the DICOM function
        # (and inverted after it), and drawn by VTK as it is (VTK's own per-component window
        # cannot invert an RGB image)
        self._colour_key: tuple | None = None
        self._colour_shown = None if film.colour is None else np.ascontiguousarray(film.colour, dtype=np.uint8).copy()
        # the grey the window applies to: its modality values, or a VOI LUT table's output (its
        # own, or an applied presentation state's: _state_voi_output)
        self._state_voi_output: np.ndarray | None = None
        self._state_voi_of: ImagePresentation | None = None  # the state that output was made for
        self._shown_source = self.source
        self.image = to_vtk_image(self._shown_source.astype(np.float32, copy=False)) if self._colour_shown is None \
            else rgb_vtk_image(self._colour_shown)  # zero copy: VTK draws this buffer
        mapper = vtkImageSliceMapper()
        self.mapper = mapper
        mapper.SetInputData(self.image)
        mapper.BorderOn()  # whole edge pixels (VTK's default cuts the outer half of each off)
        self.actor = vtkImageSlice()
        self.actor.SetMapper(mapper)
        self.property = self.actor.GetProperty()
        self.property.SetInterpolationTypeToLinear()
        self.voi_tables = VoiTables()
        self.renderer.AddViewProp(self.actor)
        # the film's overlay planes (60xx), one layer over the image, shown unless hidden
        self.overlay_mask = np.logical_or.reduce([p.mask for p in film.overlays]) if film.overlays else None
        self.overlay_planes_visible = True
        self.overlay_layer: OverlayPlaneLayer | None = None
        if self.overlay_mask is not None:
            self.overlay_layer = OverlayPlaneLayer(self.renderer)
            self.overlay_layer.show(self.overlay_mask)
        # the display shutter (PS3.3 C.7.6.11): what lies outside it in its grey, under the overlay planes
        self.shutters_visible = True
        self.shutter_layer: OverlayPlaneLayer | None = None
        if film.shutter is not None:
            self.shutter_layer = OverlayPlaneLayer(self.renderer)
            self.shutter_layer.show(film.shutter.outside(), film.shutter.colour)
        # a presentation state applied to the film (File > Presentation state): its graphics, and
        # its shutter in place of the film's own
        self.presentation: ImagePresentation | None = None
        self.state_graphics = StateGraphicsLayer(self.renderer)
        camera = self.renderer.GetActiveCamera()
        camera.ParallelProjectionOn()
        self.corners = CornerText(self.renderer)
        self.edges = EdgeLabels(self.renderer)
        self.scale_bar = ScaleBar(self.renderer)
        self.measure = MeasurementOverlay(
            self.renderer, lambda p, _: self.image_to_world(*p), lambda: self.film.spacing,
            lambda m, _: film_roi_statistics(self.film.values, m.kind, m.points, self.film.spacing,
                                             self.film.unit, self.film.padding, self._measured_area(),
                                             self.film.value_decimals),
            aspect=lambda: self.film.aspect)
        image = film.padding.image(film.values) if film.padding is not None else film.values
        self._value_range = (float(image.min()), float(image.max()))  # the image's, not its padding's
        # the range of the table output the window last applied to, kept with that array
        self._table_range: tuple[np.ndarray, tuple[float, float]] | None = None
        self._fitted_zoom: float | None = None  # the zoom that fitted the viewport when last sized
        self._true_zoom: float | None = None  # the zoom that showed the film at its size, kept on a resize
        self.true_size_note = ""  # why a state's TRUE SIZE was scaled to fit, in words ("" when it was not)
        if self.display.window_width <= 1.0 and self.display.window_center == 0.0:
            self.set_own_window()
        self.display.events.all.connect(self._on_display_changed)
        self._apply()

    @property
    def source(self) -> np.ndarray:
        """What the display's window applies to now: an applied presentation state's VOI LUT
        table's output, else :meth:`Film.display_source`."""
        if self.display.voi_table and self._state_voi_output is not None:
            return self._state_voi_output
        return self.film.display_source(self.display.voi_table)

    @property
    def presentation_lut(self) -> np.ndarray | None:
        """An applied presentation state's Presentation LUT table as 256 grey levels (uint8) the
        windowed grey is put through (PS3.3 C.11.6.1), or None."""
        table = self.presentation.presentation_lut if self.presentation is not None else None
        return None if table is None else np.asarray(table, np.uint8)

    def set_own_window(self) -> None:
        """The film's own window: through its VOI LUT table where it has one."""
        self.display.set_window(self.film.window, voi_table=self.film.voi_output is not None)

    def _show_source(self) -> None:
        """Draw the modality values or a table's output, whichever the display's window is for."""
        source = self.source
        if source is self._shown_source or self._colour_shown is not None:
            return
        self._shown_source = source
        self.image = to_vtk_image(source.astype(np.float32, copy=False))
        self.mapper.SetInputData(self.image)

    def _source_range(self) -> tuple[float, float]:
        """The range of what the window applies to now (a drag through a table moves across its output)."""
        source = self.source
        if source is self.film.values:
            return self._value_range
        if self._table_range is None or self._table_range[0] is not source:
            self._table_range = (source, (float(source.min()), float(source.max())))
        return self._table_range[1]

    def _state_table(self, presentation: ImagePresentation | None) -> np.ndarray | None:
        """Take the state's own VOI LUT table (C.11.2.1.1), where it gives one: its output over the
        film's values (read in the state's Modality LUT), made once per state; None without one."""
        table = presentation.voi_table if presentation is not None else None
        if table is None:
            self._state_voi_output = self._state_voi_of = None
        elif presentation is not self._state_voi_of:
            scale, offset = presentation.voi_table_input  # type: ignore[union-attr]
            self._state_voi_output = table.apply(self.film.values * scale + offset)
            self._state_voi_of = presentation
        return self._state_voi_output

    def _window_colour(self, inverted: bool) -> None:
        """The displayed RGB: each channel through the window (a 256-entry table), then inverted."""
        key = (self.display.window, inverted)
        if key == self._colour_key:
            return
        assert self.film.colour is not None and self._colour_shown is not None
        table = window_values(np.arange(256, dtype=np.float64), self.display.window, inverted)
        self._colour_shown[...] = table[self.film.colour]  # the buffer VTK draws, in place
        self.image.Modified()
        self._colour_key = key

    def toggle_key_image(self) -> bool | None:
        """Flag this film as a key image, or unflag it (None: not possible here)."""
        flagged = self.measure.toggle_key()
        self._update_overlays()
        self.request_render()
        return flagged

    def set_overlay_planes_visible(self, visible: bool) -> None:
        """Show or hide the DICOM overlay planes (60xx) of the film."""
        self.overlay_planes_visible = visible
        if self.overlay_layer is not None:
            self.overlay_layer.set_visible(visible)
        self.request_render()

    @property
    def shown_shutter(self) -> DisplayShutter | None:
        """The shutter in effect: an applied presentation state's (which replaces the image's own,
        PS3.4 N.2), else the film's."""
        return self.presentation.shutter if self.presentation is not None else self.film.shutter

    def _measured_area(self) -> np.ndarray | None:
        """The pixels an ROI measures: those the shutter shows while it is shown, every one when
        it is hidden (Shift+H) and the reader sees them all."""
        shutter = self.shown_shutter
        return shutter.shown if shutter is not None and self.shutters_visible else None

    def set_shutters_visible(self, visible: bool) -> None:
        """Show the film's display shutter, or the whole image (what the shutter hides too)."""
        changed = visible != self.shutters_visible
        self.shutters_visible = visible
        if self.shutter_layer is not None:
            self.shutter_layer.set_visible(visible)
            if changed:  # an ROI measures what the reader sees: the pixels the shutter hid, or not
                self.measure.remeasure()
                self._update_measurements()
        self.request_render()

    # -- a presentation state -------------------------------------------------------------
    def apply_presentation(self, presentation: ImagePresentation | None) -> tuple[str, ...]:
        """Show the film as a softcopy presentation state says (PS3.4 N.2: its window, Presentation
        LUT Shape, flip and rotation, displayed area, shutter, overlay activation and graphics),
        or, given None, as acquired again (the image's own window and shutter, fitted). What this
        display could not do of it, in words (a TRUE SIZE without the display's pixel pitch)."""
        d, film = self.display, self.film
        with d.events.blocked():
            d.flip_vertical = False
            d.rotation = presentation.rotation if presentation is not None else 0
            d.flip_horizontal = presentation.flip_horizontal if presentation is not None else False
            inverse = presentation.inverse if presentation is not None else None
            # the state's INVERSE is the whole display's (P-values, C.11.6), MONOCHROME1 included
            d.invert = (inverse != film.invert) if inverse is not None else False
            window = presentation.window if presentation is not None else None
            output = self._state_table(presentation)
            if window is not None:  # in modality values: it replaces the image's own VOI (table or window)
                d.set_window(window, "PR")
            elif output is not None:  # its own table in place of the image's, its output shown whole
                d.set_window(table_output_window(output, film.values, film.padding), "PR", voi_table=True)
            else:
                self.set_own_window()
        self.show_presentation_layers(presentation)
        self.fit()
        self.request_render()
        return (self.true_size_note,) if self.true_size_note else ()

    def show_presentation_layers(self, presentation: ImagePresentation | None) -> None:
        """What a state draws on this film — its shutter in place of the image's, the overlay
        planes it activates, its graphics, the corner line — leaving the display (window, zoom,
        rotation) as it is: another frame of a cine shown with the state, the reader's window kept."""
        self.presentation = presentation
        self._state_table(presentation)  # this frame's values through the state's table (a cine's next frame)
        shutter = self.shown_shutter
        if shutter is not None:
            if self.shutter_layer is None:
                self.shutter_layer = OverlayPlaneLayer(self.renderer)
            self.shutter_layer.show(shutter.outside(), shutter.colour)
        if self.shutter_layer is not None:
            self.shutter_layer.set_visible(shutter is not None and self.shutters_visible)
        # the image's overlay planes are shown under a state only where it activates them (C.11.7)
        self.set_overlay_planes_visible(presentation.overlays_shown if presentation is not None else True)
        self.measure.remeasure()  # an ROI measures what the (new) shutter shows
        self._apply()

    def _update_state_graphics(self) -> None:
        """Draw the applied state's graphics and texts in their layers' colours (none: the state's
        default), over the image as it is turned and flipped."""
        graphics = self.presentation.graphics if self.presentation is not None else ()
        lines: dict[tuple[int, int, int] | None, list[list[tuple[float, float, float]]]] = {}
        texts: dict[tuple[int, int, int] | None, list[PlacedText]] = {}
        fills: dict[tuple[int, int, int] | None, list[list[tuple[float, float, float]]]] = {}
        for graphic in graphics:
            if graphic.kind == "TEXT":
                other_side = self.image_to_world(*graphic.other_side) if graphic.other_side is not None else None
                texts.setdefault(graphic.colour, []).append((self.image_to_world(*graphic.points[0]), graphic.text,
                                                             other_side))
                continue
            outlines = [[self.image_to_world(c, r) for c, r in line] for line in graphic_polylines(graphic)]
            lines.setdefault(graphic.colour, []).extend(outlines)
            if is_filled_outline(graphic):  # closed and filled: its inside too (C.10.5.1.2)
                fills.setdefault(graphic.colour, []).extend(outlines)
        self.state_graphics.show(lines, texts, fills)

    def _show_area(self) -> None:
        """Zoom and pan onto the state's displayed area: fitted to the viewport (SCALE TO FIT), at
        its magnification (MAGNIFY: screen pixels per image pixel) or at its size by the display's
        pixel pitch (TRUE SIZE; fitted, and said in ``true_size_note``, where that is not known),
        centred on the area."""
        assert self.presentation is not None and self.presentation.area is not None
        area, d = self.presentation.area, self.display
        width, height = float(area.right - area.left + 1), (area.bottom - area.top + 1) * self.film.aspect
        if d.rotation in (90, 270):
            width, height = height, width
        w, h = self.size
        zoom = area.magnification if area.magnification is not None else min(w / width, h / height)
        self.true_size_note, self._true_zoom = "", None
        if area.mode == "TRUE SIZE":
            true_zoom = self._zoom_at_true_size(self.display_pixel_pitch_mm, area.pixel_spacing)
            if isinstance(true_zoom, str):
                where = "; set it in File → Preferences" if self.display_pixel_pitch_mm <= 0 else ""
                self.true_size_note = f"TRUE SIZE (scaled to fit: {true_zoom}{where})"
            else:
                zoom = self._true_zoom = true_zoom
        self._fitted_zoom = self._zoom_to_fit()
        rows, cols = self.film.shape
        centre = np.array(self.image_to_world((area.left + area.right) / 2, (area.top + area.bottom) / 2)[:2])
        middle = np.array(self.image_to_world((cols - 1) / 2, (rows - 1) / 2)[:2])
        with d.events.blocked():
            d.pan_x, d.pan_y = (float(v) for v in centre - middle)
        d.zoom = float(min(max(zoom, ZOOM_LIMITS[0]), ZOOM_LIMITS[1]))
        self._apply()

    # -- geometry -------------------------------------------------------------------------
    def _flip_matrix(self) -> np.ndarray:
        """2D affine (3x3) image → world: rows scaled by the pixel's aspect (a world unit is a
        column's width: a pixel twice as tall as wide is drawn so, C.7.6.3.1.7), then flips about
        the image centre."""
        rows, cols = self.film.shape
        a = self.film.aspect
        sx = -1.0 if self.display.flip_horizontal else 1.0
        sy = -1.0 if self.display.flip_vertical else 1.0
        cx, cy = (cols - 1) / 2, a * (rows - 1) / 2
        return np.array([[sx, 0, cx - sx * cx], [0, sy * a, cy - sy * cy], [0, 0, 1.0]])

    def _world_centre(self) -> np.ndarray:
        """The world position the view centres on: the image centre moved by the pan."""
        rows, cols = self.film.shape
        return np.array([(cols - 1) / 2 + self.display.pan_x, self.film.aspect * (rows - 1) / 2 + self.display.pan_y])

    def image_to_world(self, c: float, r: float) -> tuple[float, float, float]:
        x, y, _ = self._flip_matrix() @ (c, r, 1.0)
        return (float(x), float(y), 0.0)

    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        """World directions of screen-right and screen-up."""
        t = math.radians(self.display.rotation)
        up = np.array([-math.sin(t), -math.cos(t)])  # 0° → −y: row 0 at the top
        right = np.array([math.cos(t), -math.sin(t)])  # VTK: direction of projection x view-up
        return right, up

    def display_to_image(self, x: float, y: float) -> tuple[float, float]:
        """Image (column, row) under display pixel ``(x, y)`` (VTK display coordinates:
        origin bottom-left, device pixels)."""
        w, h = self.size
        right, up = self._axes()
        world = self._world_centre() + ((x + 0.5 - w / 2) * right + (y + 0.5 - h / 2) * up) / self.display.zoom
        c, r, _ = np.linalg.solve(self._flip_matrix(), (world[0], world[1], 1.0))
        return float(c), float(r)

    def image_to_display(self, c: float, r: float) -> tuple[float, float]:
        w, h = self.size
        right, up = self._axes()
        wx, wy, _ = self.image_to_world(c, r)
        d = (np.array([wx, wy]) - self._world_centre()) * self.display.zoom
        return float(d @ right + w / 2 - 0.5), float(d @ up + h / 2 - 0.5)

    def _zoom_to_fit(self) -> float:
        w, h = self.size
        rows, cols = self.film.shape
        width, height = float(cols), rows * self.film.aspect  # world extents
        if self.display.rotation in (90, 270):
            width, height = height, width
        return float(min(w / width, h / height))

    def fit(self) -> None:
        """Zoom so the whole image fits the view, centred; with a presentation state applied that
        names a displayed area, show that area as the state says (C.10.4)."""
        if self.presentation is not None and self.presentation.area is not None:
            self._show_area()
            return
        zoom = self._fitted_zoom = self._zoom_to_fit()
        with self.display.events.blocked():
            self.display.pan_x = self.display.pan_y = 0.0
        self.display.zoom = zoom
        self._apply()

    def resized(self) -> None:
        """The viewport was shown or resized: keep the reader's zoom relative to the fitted one
        and the pan (a layout change or a window resize must not undo a zoom); fit the first time."""
        if self._fitted_zoom is None:
            self.fit()
            return
        fitted = self._zoom_to_fit()
        if self._true_zoom is not None and self.display.zoom == self._true_zoom:  # true size stays true size
            self._fitted_zoom = fitted
            self._apply()
            return
        zoom = self.display.zoom * fitted / self._fitted_zoom
        self._fitted_zoom = fitted
        self.display.zoom = float(min(max(zoom, ZOOM_LIMITS[0]), ZOOM_LIMITS[1]))
        self._apply()

    def follow_view(self, source: FilmScene) -> None:
        """Take ``source``'s zoom (relative to each film's fitted size) and pan (in proportion to
        each film's size): a linked pane, e.g. today's and the prior chest film."""
        rows, cols = self.film.shape
        source_rows, source_cols = source.film.shape
        d = self.display
        with d.events.blocked():
            d.pan_x = source.display.pan_x * cols / source_cols
            d.pan_y = source.display.pan_y * (rows * self.film.aspect) / (source_rows * source.film.aspect)
        d.zoom = source.display.zoom / source._zoom_to_fit() * self._zoom_to_fit()

    def one_to_one(self) -> None:
        self.display.zoom = 1.0

    def true_size(self, pixel_pitch_mm: float) -> str:
        """Show the film at its true size on a display whose pixels are ``pixel_pitch_mm`` wide:
        one image column (its column spacing in mm) over that many screen pixels. The reason it
        cannot, in words ("" when done): a film with no pixel spacing, a pitch not known."""
        zoom = self._zoom_at_true_size(pixel_pitch_mm)
        if isinstance(zoom, str):
            return zoom
        self.display.zoom = self._true_zoom = zoom
        return ""

    def _zoom_at_true_size(self, pixel_pitch_mm: float, spacing: tuple[float, float] | None = None) -> float | str:
        """Screen pixels per image column for 1 mm of film over 1 mm of display: the column
        spacing (``spacing``, a state's Presentation Pixel Spacing, else the film's) over the
        display's pixel pitch; or why not, in words."""
        if pixel_pitch_mm <= 0:
            return "the display's pixel pitch is not known"
        spacing = spacing or self.film.spacing
        if spacing is None:
            return "this film states no pixel spacing"
        return float(min(max(spacing[1] / pixel_pitch_mm, ZOOM_LIMITS[0]), ZOOM_LIMITS[1]))

    # -- state → VTK ----------------------------------------------------------------------
    def _apply(self) -> None:
        d = self.display
        inverted = self.film.invert != d.invert  # MONOCHROME1 XOR the user's invert
        if self.film.colour is not None:
            self._window_colour(inverted)
            self.voi_tables.apply(self.property, Window(128.0, 256.0), False)  # VTK's identity on 0..255
        else:
            self._show_source()
            self.voi_tables.apply(self.property, d.window, inverted, self.presentation_lut)
        matrix = vtkMatrix4x4()
        f = self._flip_matrix()
        for i, j in ((0, 0), (0, 2), (1, 1), (1, 2)):
            matrix.SetElement(i, 3 if j == 2 else j, f[i, j])
        self.actor.SetUserMatrix(matrix)
        for layer, depth in ((self.shutter_layer, -0.25), (self.overlay_layer, -0.5)):
            if layer is not None:  # just in front of the film (the camera looks along +z), the planes on top
                in_front = vtkMatrix4x4()
                in_front.DeepCopy(matrix)
                in_front.SetElement(2, 3, depth)
                layer.place(in_front)
        camera = self.renderer.GetActiveCamera()
        fx, fy = self._world_centre()
        camera.SetFocalPoint(fx, fy, 0.0)
        camera.SetPosition(fx, fy, -1000.0)
        _, up = self._axes()
        camera.SetViewUp(up[0], up[1], 0.0)
        camera.SetParallelScale(self.size[1] / (2.0 * d.zoom))
        self.renderer.ResetCameraClippingRange()
        self._update_overlays()

    def _update_overlays(self) -> None:
        film, d = self.film, self.display
        meta = film.metadata
        self.corners.set("upper_left", patient_block(meta))
        self.corners.set("upper_right", study_block(meta))
        through_table = d.voi_table and (film.voi_output is not None or self._state_voi_output is not None)
        lines = [("VOI LUT " if through_table else "") + window_text(d.window, 0 if through_table else film.value_decimals)
                 + (f"  ({d.preset})" if d.preset else ""),
                 f"Zoom {d.zoom * 100:.0f}%"]
        if self.frame_text:
            lines.append(self.frame_text)
        if self.measure.is_key():
            lines.append("KEY IMAGE")
        if self.presentation is not None:
            # a state whose shape turns the film to its negative, likely not what its author saw: in the corner
            negative = " - shown as its negative" if self.presentation.cautions and d.invert else ""
            lines.append(f"Presentation state: {self.presentation.label}{negative}")
        self.corners.set("lower_left", "\n".join(lines))
        rows, cols = film.shape
        plane = PLANE_WORDS.get(film.spacing_source, "")  # magnified at the detector, or corrected (PS3.3 10.7.1)
        cal = (f"{film.spacing[1]:.3f} x {film.spacing[0]:.3f} mm{f' {plane}' if plane else ''}" if film.spacing
               else "UNCALIBRATED (px)")
        notice = "\nDEMO - not for clinical use" if self.demo_notice else ""
        # which knee or hand: the edge letters of a film do not say (an AP knee is "L\\F" either side)
        side = SIDE_WORDS.get(meta.get("laterality", "").strip().upper(), "")
        heading = " ".join(x for x in (film.modality, meta.get("view_position", ""), side) if x)
        lossy = f"{meta['lossy']}\n" if meta.get("lossy") else ""  # above the heading: the values are not as acquired
        if for_processing(meta):  # raw detector values
            lossy = f"FOR PROCESSING - not for reading\n{lossy}"
        if quality_control(meta) == "YES":  # a phantom, not a patient
            lossy = f"QUALITY CONTROL IMAGE\n{lossy}"
        lower_right = f"{lossy}{heading}\n{cols} x {rows}  {cal}{notice}"
        self.corners.set("lower_right", lower_right.strip())
        orientation = meta.get("patient_orientation", "")
        parts = orientation.split("\\") if orientation else []
        self.edges.set(
            film_screen_labels(parts[0], parts[1], d.rotation, d.flip_horizontal, d.flip_vertical) if len(parts) == 2 else None
        )
        if film.spacing:
            # a world unit is a column's width whichever way the film is turned (rows are scaled to it)
            self.scale_bar.update(d.zoom / film.spacing[1])
        else:
            self.scale_bar.update(None)
        self._update_measurements()

    def _update_measurements(self) -> None:
        self.measure.update(label_offset=6 / self.display.zoom)
        if self.presentation is not None or self.state_graphics.lines:  # they follow a flip as the image does
            self._update_state_graphics()

    # -- interaction (called by the Qt glue or by tests) ----------------------------------
    def window_sensitivity(self) -> float:
        """Modality units per screen pixel of drag: the image's value range over 512 px."""
        lo, hi = self._source_range()
        # at least a twentieth of a unit for whole numbers; a fine fractional image (an ADC map
        # 0.0025 mm²/s wide) by its range alone: 0.05 a pixel jumped twenty of its ranges
        return max((hi - lo) / 512.0, 0.05 if self.film.value_decimals == 0 else 1e-12)

    def drag(self, tool: str, dx: float, dy: float, convention: str = "horizontal-width") -> None:
        """A mouse drag of ``(dx, dy)`` display pixels (y up, VTK convention) with ``tool``."""
        d = self.display
        if tool == "wl":
            d.drag_window(dx, -dy, self.window_sensitivity(), convention)  # clears the preset too
        elif tool == "pan":
            right, up = self._axes()
            shift = -(dx * right + dy * up) / d.zoom
            d.pan_by(float(shift[0]), float(shift[1]))
        elif tool == "zoom":
            self.zoom_by(math.exp(dy / 200.0))

    def set_overlays_visible(self, visible: bool) -> None:
        """Show or hide the text, orientation letters and scale bar (measurements stay)."""
        self.edges.set_visible(visible)
        for prop in (*self.corners.actors.values(), *self.scale_bar.props):
            prop.SetVisibility(visible)
        self.request_render()

    def zoom_by(self, factor: float) -> None:
        self.display.zoom = float(min(max(self.display.zoom * factor, ZOOM_LIMITS[0]), ZOOM_LIMITS[1]))

    def wheel(self, steps: float) -> None:
        self.zoom_by(1.15**steps)

    def auto_window(self) -> None:
        self.display.set_window(auto_window(self.film.shown_values(), padding=self.film.padding), "auto")

    def reset(self) -> None:
        if self.presentation is not None:  # back to what the applied presentation state says
            self.apply_presentation(self.presentation)
            return
        d = self.display
        with d.events.blocked():
            d.rotation = 0
            d.flip_horizontal = d.flip_vertical = d.invert = False
            self.set_own_window()
        self.fit()
        self.request_render()

    def _measurement_point(self, x: float, y: float) -> tuple[tuple[float, float], float]:
        return self.display_to_image(x, y), 0.0

    def _refresh_measurements(self) -> None:
        self._apply_reader_calibration()
        self._update_overlays()  # the "KEY IMAGE" line is a mark too; it draws the marks after the corners
        self.request_render()

    def reader_calibration(self) -> Measurement | None:
        """The finished calibration line on this film (the reader's known length), if any."""
        return next((m for m, _ in self.measure.items if m.kind == CALIBRATION and m.complete and m.text), None)

    def calibration_prompt(self, line: Measurement) -> str:
        """What the reader is asked when a calibration line is drawn (:func:`calibration.calibration_prompt`)."""
        own, source = self.film.stated_spacing or (self.film.spacing, self.film.spacing_source)
        earlier = self.reader_calibration()
        return calibration_prompt(line.points, self.film.aspect, own, source,
                                  earlier.text if earlier is not None and earlier is not line else "")

    def calibrate_with(self, line: Measurement, known_mm: float | None) -> tuple[bool, str]:
        """Make ``line`` (a calibration line just drawn) the film's calibration at ``known_mm``, any
        earlier one going; ``None`` (cancelled) or a length that cannot be takes the line away.
        Returns whether it was made and what the reader is told."""
        problem = "cancelled" if known_mm is None else known_length_problem(line.points, known_mm, self.film.aspect)
        if problem or known_mm is None:
            self.measure.items[:] = [(m, plane) for m, plane in self.measure.items if m is not line]
            self._refresh_measurements()
            return False, f"Calibration not made: {problem}"
        line.text = f"{known_mm:g}"
        self.measure.items[:] = [(m, plane) for m, plane in self.measure.items if m.kind != CALIBRATION or m is line]
        self._refresh_measurements()
        return True, self.calibration_text()

    def calibration_text(self) -> str:
        """The film's calibration by the reader in words, for the status bar ("" when none)."""
        line = self.reader_calibration()
        if line is None or self.film.spacing_source != READER or self.film.spacing is None:
            return ""
        return reader_calibration_text(line.points, self.film.aspect, line.text, self.film.spacing[1])

    def _apply_reader_calibration(self) -> None:
        """Measure the film with its calibration line's pixel size, or its own again when the line
        is gone (deleted, undone); the regions' areas are computed again with it."""
        line = self.reader_calibration()
        spacing = reader_spacing(line.points, line.text, self.film.aspect) if line is not None else None
        if (spacing is not None or self.film.stated_spacing is not None) and self.film.calibrate_by_reader(spacing):
            self.measure.remeasure()

    def status_text(self, x: float, y: float) -> str:
        """``"x 120 y 340  value 1234"`` for the pixel under display point ``(x, y)``."""
        c, r = self.display_to_image(x, y)
        ci, ri = int(round(c)), int(round(r))
        rows, cols = self.film.shape
        if not (0 <= ci < cols and 0 <= ri < rows):
            return ""
        value = float(self.film.values[ri, ci])
        unit = f" {self.film.unit}" if self.film.unit else ""
        shown = f"value {format_value(value, self.film.value_decimals)}{unit}"
        return f"x {ci}  y {ri}   " + ("padding (no image)" if self.film.is_padding(value) else shown)
