"""Multiplanar reformatting: one axial, coronal or sagittal plane through a :class:`Volume`, or
its acquired plane (the slices as acquired, however oblique), with a linked crosshair and optional
thick slab (MIP / MinIP / mean).

Planes are the patient's (LPS) planes, whatever the acquisition's orientation:
``vtkImageResliceMapper`` samples the oriented ``vtkImageData`` on the plane through the
camera's focal point that faces the camera. Screen conventions are the radiological ones:
axial seen from the feet (patient's right on the screen's left, anterior up), coronal seen from
the front (head up), sagittal seen from the patient's left (anterior on the left, head up).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import vtkImageSlice, vtkRenderer
from vtkmodules.vtkRenderingImage import vtkImageResliceMapper, vtkImageStack

from ..display import VolumeDisplay
from ..fusion import Fusion
from ..geometry import ACQUIRED, PLANES, ellipse_outline, ellipsoid_cut, nearest_plane, plane_axes
from ..geometry import acquired_axes as geometry_acquired_axes
from ..geometry import first_plane as geometry_first_plane
from ..measure import SPHERE, Measurement, RoiStatistics, sphere_radius, volume_roi_statistics
from ..orientation import direction_label
from ..sphere_voi import sphere_statistics
from ..value_text import format_value, window_text
from ..volume import Volume
from .measurements import MeasurementOverlay, PlaneScene
from .overlays import (
    OVERLAY_PLANE_RGB,
    ColourBar,
    CornerText,
    EdgeLabels,
    OverlayPlaneLayer,
    PlacedText,
    Polylines,
    RenderRequest,
    ScaleBar,
    StateEllipsoid,
    StateGraphicsLayer,
    StateMark,
)
from .text import patient_block, study_block
from .voi_tables import VoiTables, fusion_table
from .vtk_data import to_vtk_image

SECTION_PLANES = ("axial", "coronal", "sagittal")
REFERENCE_LINE_COLOR = (0.3, 0.75, 1.0)  # another pane's slice: blue, apart from the planes' own colours
ELLIPSOID_CUT_SEGMENTS = 72  # another reader's ellipsoid, cut by a plane: drawn as a polygon of so many sides
# 3D Slicer's colours: red axial, green coronal, yellow sagittal.
PLANE_COLORS = {"axial": (0.95, 0.3, 0.3), "coronal": (0.35, 0.85, 0.35), "sagittal": (0.95, 0.85, 0.25)}


def acquired_axes(volume: Volume) -> tuple[np.ndarray, np.ndarray]:
    """(normal, view-up) of a volume's acquired slices (:func:`..geometry.acquired_axes`)."""
    return geometry_acquired_axes(volume.geometry)


def first_plane(volume: Volume) -> str:
    """The plane a volume opens in (:func:`..geometry.first_plane`)."""
    return geometry_first_plane(volume.geometry)


def section_planes(volume: Volume) -> list[str]:
    """The three planes of an MPR layout: the acquired slices first (an axial acquisition: simply
    axial), then the patient planes other than the one nearest the acquisition (a 4° oblique
    brain MR: acquired, coronal, sagittal; not a second, nearly identical axial)."""
    if first_plane(volume) == "axial":
        return list(SECTION_PLANES)
    nearest, _ = nearest_plane(acquired_axes(volume)[0])
    return [ACQUIRED] + [p for p in SECTION_PLANES if p != nearest]


def snap_to_voxel(volume: Volume, point: np.ndarray) -> np.ndarray:
    """The centre of the voxel nearest to ``point`` (inside the volume): a crosshair on voxel
    centres shows whole slices, never a blend of two."""
    g = volume.geometry
    k, j, i = volume.shape
    # Half-way rounds up, so the middle of an even stack is slice n // 2, the one the loader previews.
    index = np.clip(np.floor(g.world_to_index(np.asarray(point, dtype=float)) + 0.5), 0, [i - 1, j - 1, k - 1])
    return g.index_to_world(index)


def volume_center(volume: Volume) -> np.ndarray:
    """The voxel centre nearest to the middle of the volume."""
    lo, hi = volume.bounds()
    return snap_to_voxel(volume, (lo + hi) / 2)


class MprScene(PlaneScene):
    """One MPR plane of a volume; shares a :class:`VolumeDisplay` with its sibling planes."""

    kind = "mpr"

    def __init__(
        self, volume: Volume, display: VolumeDisplay, plane: str = "axial", *, image=None, demo_notice: bool = False
    ) -> None:
        self.volume = volume
        self.display = display
        self.plane = plane
        self.demo_notice = demo_notice
        self.request_render: RenderRequest = lambda: None
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0, 0, 0)
        self.image = image if image is not None else to_vtk_image(volume.array, volume.geometry)
        self.mapper = vtkImageResliceMapper()
        self.mapper.SetInputData(self.image)
        self.mapper.SliceFacesCameraOn()
        self.mapper.SliceAtFocalPointOn()
        self.mapper.ResampleToScreenPixelsOn()
        self.mapper.BorderOn()  # whole edge voxels (VTK's default cuts the outer half of each off)
        self.actor = vtkImageSlice()
        self.actor.SetMapper(self.mapper)
        self.property = self.actor.GetProperty()
        self.property.SetInterpolationTypeToLinear()
        self.voi_tables = VoiTables()
        self.renderer.AddViewProp(self.actor)
        self.renderer.GetActiveCamera().ParallelProjectionOn()
        self.corners = CornerText(self.renderer)
        self.edges = EdgeLabels(self.renderer)
        self.scale_bar = ScaleBar(self.renderer)
        self.colour_bar = ColourBar(self.renderer)  # a fused layer's palette and window
        # the acquired slices' overlay planes (60xx), drawn on the acquired plane only
        self.overlay_planes_visible = True
        self._overlay_layer: OverlayPlaneLayer | None = None
        # (slice, hidden segments) shown: (axis, index) on the acquired and axis-aligned planes, an
        # oblique plane's own key there
        self._overlay_slice: tuple[tuple[object, ...], tuple[str, ...]] | None = None
        # the last oblique plane's segments: ((key, hidden), RGBA, matrix), not sampled again unchanged
        self._oblique_layer: tuple[tuple[object, ...], np.ndarray, vtkMatrix4x4] | None = None
        # the crosshair line of each plane another pane may show: the patient planes, and the
        # acquired slices in the colour of the patient plane nearest them (an oblique stack's line
        # is drawn at its own angle: its slices are what that pane shows)
        acquired_colour = PLANE_COLORS[nearest_plane(acquired_axes(volume)[0])[0]]
        self.cross_lines = {p: Polylines(self.renderer, PLANE_COLORS.get(p, acquired_colour), 1.0)
                            for p in [*PLANES, ACQUIRED] if p != plane}
        # the planes whose lines are drawn (None: those of an MPR layout of this volume): the
        # window draws those another pane shows
        self.crosshair_planes: set[str] | None = None
        # where the slices shown in other panes (another series of the same frame of reference)
        # cut this plane: reference lines, as PACS draw a localiser's
        self.reference_lines = Polylines(self.renderer, REFERENCE_LINE_COLOR, 1.0)
        self._reference_lines_shown: list[list[tuple[float, ...]]] = []
        # points in mm on the plane; an uncalibrated volume's "mm" are pixels, and are labelled so
        self.measure = MeasurementOverlay(
            self.renderer, self._plane_to_world, lambda: (1.0, 1.0) if self.volume.calibrated else None,
            self._roi_statistics)
        # a presentation state's graphics on the acquired slices (View → Presentation state): by
        # slice position, in mm on this plane, read-only; and the state's name for the corner
        self.state_label = ""
        self._state_marks: list[StateMark] = []
        self._state_ellipsoids: list[StateEllipsoid] = []  # cut by this plane wherever it lies
        self.state_graphics = StateGraphicsLayer(self.renderer)
        # another series of the same frame of reference laid over in colour (a PET over its CT):
        # its own reslice of the same plane, one layer above the image in a VTK image stack
        self.fusion: Fusion | None = None
        self._fusion_slice: vtkImageSlice | None = None
        self._fusion_mapper: vtkImageResliceMapper | None = None
        self._stack: vtkImageStack | None = None
        self._fusion_cache: tuple[tuple[object, ...], np.ndarray] | None = None  # the CPU path's last layer
        self.zoom = 1.0
        self.pan = np.zeros(2)
        self.view_listeners: list = []  # called after zoom or pan change (linked panes follow)
        self._lo, self._hi = volume.bounds()
        self.display.events.all.connect(self._on_display_changed)
        self._apply()

    # -- geometry -------------------------------------------------------------------------
    @property
    def normal(self) -> np.ndarray:
        return plane_axes(self.plane, self.volume.geometry)[2]

    @property
    def up(self) -> np.ndarray:
        return plane_axes(self.plane, self.volume.geometry)[1]

    def plane_label(self) -> str:
        """"Axial", or for the acquired plane its nearest patient plane and obliquity:
        "Sagittal (acquired)", "Axial oblique 15° (acquired)"."""
        if self.plane != ACQUIRED:
            return self.plane.capitalize()
        name, angle = nearest_plane(self.normal)
        return f"{name.capitalize()}{f' oblique {angle:.0f}°' if angle >= 0.5 else ''} (acquired)"

    @property
    def right(self) -> np.ndarray:
        return np.cross(self.normal, self.up)

    def _corners(self) -> np.ndarray:
        """World positions of the volume's eight corner voxel centres."""
        return self.volume.corner_points()

    def _extent_mm(self) -> tuple[float, float]:
        """The volume's extent across and up the screen (its corners projected: an oblique
        stack in its acquired plane fills the view, as an axis-aligned one does)."""
        corners = self._corners()
        across, up = corners @ self.right, corners @ self.up
        return float(across.max() - across.min()), float(up.max() - up.min())

    def fit_scale(self) -> float:
        """Parallel scale (half the view height in mm) at zoom 1: the volume fills the view."""
        w, h = self.size
        ew, eh = self._extent_mm()
        return max(eh / 2, ew / 2 * h / w) * 1.02

    def slice_step(self) -> float:
        """Scroll step (mm): the voxel spacing along the axis closest to this plane's normal."""
        return self.volume.step_along(self.normal)

    def slice_count(self) -> tuple[int, int]:
        """(current slice number from 1, number of slices) along this plane's normal."""
        return self._slice_number(float(np.asarray(self.display.crosshair) @ self.normal))

    def _slice_number(self, position: float) -> tuple[int, int]:
        """(number from 1, number of slices) of the plane at ``position`` (mm along the normal)."""
        step = self.slice_step()
        along = self._corners() @ self.normal  # (an oblique stack's bounding box would overstate it)
        lo, hi = float(along.min()), float(along.max())
        total = int(round((hi - lo) / step)) + 1
        return int(round((position - lo) / step)) + 1, total

    def image_at(self, position: float) -> str:
        """The plane at ``position`` (mm along the normal) in words: "axial image 138 of 275"."""
        number, total = self._slice_number(position)
        return f"{self.plane_label().removesuffix(' (acquired)').lower()} image {number} of {total}"

    def display_to_world(self, x: float, y: float) -> np.ndarray:
        """World point on this plane under display pixel ``(x, y)`` (origin bottom-left)."""
        w, h = self.size
        mm_per_pixel = 2 * self.fit_scale() / self.zoom / h
        centre = self._focal_point()
        return centre + ((x + 0.5 - w / 2) * self.right + (y + 0.5 - h / 2) * self.up) * mm_per_pixel

    def world_to_display(self, p: np.ndarray) -> tuple[float, float]:
        w, h = self.size
        mm_per_pixel = 2 * self.fit_scale() / self.zoom / h
        d = (np.asarray(p) - self._focal_point()) / mm_per_pixel
        return float(d @ self.right + w / 2 - 0.5), float(d @ self.up + h / 2 - 0.5)

    def _focal_point(self) -> np.ndarray:
        centre = (self._lo + self._hi) / 2  # the view stays centred on the volume in-plane
        cross = np.asarray(self.display.crosshair, dtype=float)
        in_plane = centre - self.normal * float((centre - cross) @ self.normal)
        return in_plane + self.pan[0] * self.right + self.pan[1] * self.up

    # -- state → VTK ----------------------------------------------------------------------
    def _apply(self) -> None:
        d = self.display
        self.voi_tables.apply(self.property, d.window, self.volume.invert != d.invert)  # MONOCHROME1 XOR the reader's
        mappers = [self.mapper] + ([self._fusion_mapper] if self._fusion_mapper is not None else [])
        for mapper in mappers:  # a PET laid over is combined over the same slab
            if d.slab_mode == "none":
                mapper.SetSlabThickness(0.0)
            else:
                mapper.SetSlabThickness(float(d.slab_thickness_mm))
                {"mip": mapper.SetSlabTypeToMax, "minip": mapper.SetSlabTypeToMin, "mean": mapper.SetSlabTypeToMean}[
                    d.slab_mode
                ]()
        camera = self.renderer.GetActiveCamera()
        focal = self._focal_point()
        camera.SetFocalPoint(*focal)
        camera.SetPosition(*(focal - self.normal * 2000.0))
        camera.SetViewUp(*self.up)
        camera.SetParallelScale(self.fit_scale() / self.zoom)
        camera.SetClippingRange(1.0, 4000.0)
        self._update_overlays()

    # -- fusion -----------------------------------------------------------------------------
    def set_fusion(self, fusion: Fusion | None) -> None:
        """Lay ``fusion``'s volume over this plane (None: take it away); after a change of its
        window, opacity or palette, call again with the same object."""
        if fusion is None:
            if self._stack is not None:
                self.renderer.RemoveViewProp(self._stack)
                self.renderer.AddViewProp(self.actor)
            self.fusion, self._fusion_slice, self._fusion_mapper, self._stack = None, None, None, None
        else:
            if self._fusion_slice is None or self.fusion is None or self.fusion.volume is not fusion.volume:
                self._fusion_mapper = mapper = vtkImageResliceMapper()
                mapper.SetInputData(to_vtk_image(fusion.volume.array, fusion.volume.geometry))
                mapper.SliceFacesCameraOn()
                mapper.SliceAtFocalPointOn()
                mapper.BorderOn()
                self._fusion_slice = vtkImageSlice()
                self._fusion_slice.SetMapper(mapper)
                self._fusion_slice.GetProperty().SetInterpolationTypeToLinear()
                self._fusion_slice.GetProperty().SetLayerNumber(1)
                if self._stack is None:
                    self.renderer.RemoveViewProp(self.actor)
                    self._stack = vtkImageStack()
                    self._stack.AddImage(self.actor)
                    self.renderer.AddViewProp(self._stack)
                else:
                    self._stack.GetImages().RemoveAllItems()
                    self._stack.AddImage(self.actor)
                self._stack.AddImage(self._fusion_slice)
                self._stack.SetActiveLayer(0)
            self.fusion = fusion
            prop = self._fusion_slice.GetProperty()
            table, lo, hi = fusion_table(fusion)
            prop.SetLookupTable(table)
            prop.SetUseLookupTableScalarRange(True)
            table.SetRange(lo, hi)
        self._apply()  # the fused reslice takes the pane's slab
        self.measure.remeasure()  # the ROIs' values in the fused volume (or no longer)
        self._update_overlays()
        self.request_render()

    def _roi_statistics(self, m: Measurement, plane: float) -> RoiStatistics | None:
        """An ROI's values in this volume, and, under a fusion, in the fused one too: its voxels
        on the slice nearest this plane (within half its own slice step) inside the shape, as a
        PET/CT reader takes a lesion's SUVmax and SUVpeak from an ROI drawn on the fused CT."""
        if m.kind == SPHERE:  # a VOI: the voxels within its radius, in this volume and the fused one
            centre, radius = np.asarray(self._plane_to_world(m.points[0], plane)), sphere_radius(m.points)
            stats = sphere_statistics(self.volume, centre, radius)
            if stats is None or self.fusion is None:
                return stats
            over = self.fusion.volume
            return replace(stats, fused=sphere_statistics(over, centre, radius), fused_name=over.modality or "fused")
        axes = (self.right, self.up, self.normal)
        stats = volume_roi_statistics(self.volume, axes, plane, self.slice_step() / 2, m.kind, m.points)
        if stats is None or self.fusion is None:
            return stats
        over = self.fusion.volume
        fused = volume_roi_statistics(over, axes, plane, over.step_along(self.normal) / 2, m.kind, m.points)
        return replace(stats, fused=fused, fused_name=over.modality or "fused")

    def fusion_rgba(self, width: int, height: int, smooth: bool = False) -> np.ndarray | None:
        """The fused layer as the CPU path paints it: RGBA (``height x width x 4``, top row first),
        each screen pixel's patient point looked up in the fused volume (nearest voxel; ``smooth``:
        interpolated, once the view is still, as VTK draws it); None without a fusion."""
        if self.fusion is None:
            return None
        f = self.fusion
        d = self.display
        slab = None if d.slab_mode == "none" else (d.slab_mode, float(d.slab_thickness_mm), self.normal)
        key = (width, height, self.size, tuple(self._focal_point()), self.zoom, tuple(self.right), tuple(self.up),
               id(f.volume), f.window, f.opacity, f.palette, smooth, slab and slab[:2])
        if self._fusion_cache is not None and self._fusion_cache[0] == key:  # a W/L drag: the same layer
            return self._fusion_cache[1]
        top_left = self.display_to_world(0.0, float(height - 1))  # the grid's first row is the screen's top
        step_x = self.display_to_world(1.0, float(height - 1)) - top_left
        step_y = self.display_to_world(0.0, float(height - 2)) - top_left
        rgba = f.rgba_grid(top_left, step_x, step_y, width, height, smooth, slab)
        self._fusion_cache = (key, rgba)
        return rgba

    # -- overlay planes of the acquired slices -----------------------------------------------
    def overlay_slice(self) -> tuple[tuple[int, int], np.ndarray, tuple[int, int]] | None:
        """What this pane shows of overlay planes: ``(key, RGBA layer, axes)``, ``axes`` the
        volume index axes (0 column, 1 row, 2 slice) of the layer's columns and rows. On the
        acquired slices, the slice's planes (the 60xx planes green, a segmentation's segments in
        their colours); on a reformat along the volume's rows or columns (a coronal or sagittal of
        an axial stack), the segments cut there (Volume.segment_cut); None otherwise (no planes
        there, or an oblique plane)."""
        v = self.volume
        if not v.overlay_planes:
            return None
        index = v.geometry.world_to_index(np.asarray(self.display.crosshair, dtype=float))
        if self.plane == first_plane(v):
            k = int(np.rint(index[2]))
            rgba = v.overlay_rgba(k, OVERLAY_PLANE_RGB, self.display.hidden_segments)
            return None if rgba is None else ((2, k), rgba, (0, 1))
        direction = np.asarray(v.geometry.direction, dtype=float)
        along = [abs(float(direction[:, a] @ self.normal)) for a in (0, 1)]
        axis = next((a for a in (0, 1) if along[a] > 0.9999), None)
        if axis is None:
            return None
        n = int(np.rint(index[axis]))
        rgba = v.segment_cut(axis, n, OVERLAY_PLANE_RGB, self.display.hidden_segments)
        return None if rgba is None else ((axis, n), rgba, (1 - axis, 2))

    def show_crosshair_of(self, planes: set[str] | None) -> None:
        """Draw the crosshair lines of ``planes`` only (None: of every other plane)."""
        if planes != self.crosshair_planes:
            self.crosshair_planes = planes
            self._update_overlays()
            self.request_render()

    def toggle_key_image(self) -> bool | None:
        """Flag the acquired slice shown as a key image, or unflag it; None on a reformat (a key
        image is an image of the study)."""
        if self.plane != first_plane(self.volume):
            return None
        flagged = self.measure.toggle_key(self.position(), self.slice_step() / 2)
        self._update_overlays()
        self.request_render()
        return flagged

    def set_overlay_planes_visible(self, visible: bool) -> None:
        self.overlay_planes_visible = visible
        self._update_overlay_planes()
        self.request_render()

    def oblique_segments(self) -> tuple[tuple[object, ...], np.ndarray, vtkMatrix4x4] | None:
        """The segments on this pane's plane where it runs along no index axis (a true coronal or
        sagittal of an oblique acquisition: they were not shown there): ``(key, RGBA layer, the
        layer's pixel → patient mm matrix)``, sampled at the volume's finest spacing over the
        volume's extent on the plane (Volume.segment_plane); None when none reaches it."""
        v = self.volume
        if not v.overlay_planes or self.plane == first_plane(v):
            return None
        step = float(min(v.geometry.spacing))
        corners = self._corners()
        across, up = corners @ self.right, corners @ self.up
        position = float(np.asarray(self.display.crosshair, dtype=float) @ self.normal)
        key = ("oblique", self.plane, round(position, 4), tuple(np.round(self.normal, 6)))
        if self._oblique_layer is not None and self._oblique_layer[0] == (key, self.display.hidden_segments):
            return key, self._oblique_layer[1], self._oblique_layer[2]
        columns = int(np.ceil((across.max() - across.min()) / step)) + 1
        rows = int(np.ceil((up.max() - up.min()) / step)) + 1
        origin = float(across.min()) * self.right + float(up.min()) * self.up + position * self.normal
        rgba = v.segment_plane(origin, self.right, self.up, step, (rows, columns), OVERLAY_PLANE_RGB,
                               self.display.hidden_segments)
        if rgba is None:
            self._oblique_layer = None
            return None
        near = origin - self.normal * 0.01 * step  # a hair towards the camera (it looks along +normal)
        matrix = vtkMatrix4x4()
        for row in range(3):
            matrix.SetElement(row, 0, float(self.right[row] * step))
            matrix.SetElement(row, 1, float(self.up[row] * step))
            matrix.SetElement(row, 2, float(self.normal[row]))
            matrix.SetElement(row, 3, float(near[row]))
        self._oblique_layer = ((key, self.display.hidden_segments), rgba, matrix)
        return key, rgba, matrix

    def _update_overlay_planes(self) -> None:
        shown = self.overlay_slice() if self.overlay_planes_visible else None
        oblique = self.oblique_segments() if shown is None and self.overlay_planes_visible else None
        if shown is None and oblique is None:
            if self._overlay_layer is not None:
                self._overlay_layer.set_visible(False)
            return
        if self._overlay_layer is None:
            self._overlay_layer = OverlayPlaneLayer(self.renderer)
        if oblique is not None:
            if (oblique[0], self.display.hidden_segments) != self._overlay_slice:
                self._overlay_layer.show_rgba(oblique[1])
                self._overlay_layer.place(oblique[2])
                self._overlay_slice = (oblique[0], self.display.hidden_segments)
            self._overlay_layer.set_visible(True)
            return
        assert shown is not None
        key, rgba, (x_axis, y_axis) = shown
        if (key, self.display.hidden_segments) != self._overlay_slice:  # another slice, or segments hidden / shown
            self._overlay_layer.show_rgba(rgba)
            # the layer's (column, row) are index axes x_axis, y_axis at index key[1] along axis
            # key[0] -> patient mm, a hair towards the camera (it looks along +normal)
            g = self.volume.geometry
            corner = [0.0, 0.0, 0.0]
            corner[key[0]] = float(key[1])
            origin = g.index_to_world(np.asarray(corner)) - self.normal * 0.01 * float(min(g.spacing))
            matrix = vtkMatrix4x4()
            for row in range(3):
                matrix.SetElement(row, 0, float(g.direction[row, x_axis] * g.spacing[x_axis]))
                matrix.SetElement(row, 1, float(g.direction[row, y_axis] * g.spacing[y_axis]))
                matrix.SetElement(row, 2, float(self.normal[row]))
                matrix.SetElement(row, 3, float(origin[row]))
            self._overlay_layer.place(matrix)
            self._overlay_slice = (key, self.display.hidden_segments)
        self._overlay_layer.set_visible(True)

    def _update_overlays(self) -> None:
        d, v = self.display, self.volume
        cross = np.asarray(d.crosshair, dtype=float)
        reach = 4000.0
        drawn = set(section_planes(v)) if self.crosshair_planes is None else self.crosshair_planes
        for plane, lines in self.cross_lines.items():
            direction = np.cross(self.normal, plane_axes(plane, v.geometry)[2])  # line where the planes meet
            if np.linalg.norm(direction) < 1e-6 or plane not in drawn:
                lines.set([])
                continue
            direction /= np.linalg.norm(direction)
            lines.set([[tuple(cross - direction * reach), tuple(cross + direction * reach)]])
        self.corners.set("upper_left", patient_block(v.metadata))
        self.corners.set("upper_right", study_block(v.metadata))
        number, total = self.slice_count()
        slab = "" if d.slab_mode == "none" else f"\n{d.slab_mode.upper()} slab {d.slab_thickness_mm:g} mm"
        self.corners.set(
            "lower_left",
            f"{self.plane_label()}  {number}/{total}\n"
            + window_text(d.window, self.volume.value_decimals)
            + (f"  ({d.preset})" if d.preset else "")
            + f"\nZoom {self.zoom * 100:.0f}%{slab}"
            + ("\nKEY IMAGE" if self.plane == first_plane(v) and self.measure.is_key(self.position(), self.slice_step() / 2)
               else "")
            + (f"\nPresentation state: {self.state_label}" if self.state_label else "")
            + (f"\n{self.fusion.describe()}" if self.fusion is not None else ""),
        )
        notice = "\nDEMO - not for clinical use" if self.demo_notice else ""
        resampled = f"\nRESAMPLED: {v.resampled}" if v.resampled else ""  # not the acquired slices: said on the image
        k, j, i = v.shape
        sx, sy, sz = v.geometry.spacing
        size = f"{sx:.2f} x {sy:.2f} x {sz:.2f} mm" if v.calibrated else "UNCALIBRATED (px)"
        lossy = f"{v.metadata['lossy']}\n" if v.metadata.get("lossy") else ""  # the values are not as acquired
        self.corners.set("lower_right", f"{lossy}{v.modality}  {i}x{j}x{k}\n{size}{resampled}{notice}")
        letters = {"right": direction_label(self.right), "left": direction_label(-self.right),
                   "top": direction_label(self.up), "bottom": direction_label(-self.up)}
        self.edges.set(letters if v.oriented else dict.fromkeys(letters, ""))  # never letters the header does not give
        h = self.size[1]
        self.scale_bar.update(h / (2 * self.fit_scale() / self.zoom) if v.calibrated else None)
        if self.fusion is not None:
            self.colour_bar.update(self.fusion.colours(), *self.fusion.scale_labels())
        else:
            self.colour_bar.update(None)
        position = float(np.asarray(d.crosshair, dtype=float) @ self.normal)
        half_step = self.slice_step() / 2
        self.measure.update(lambda plane: abs(plane - position) < half_step, label_offset=0.0, position=position)
        self._update_state_marks(position, half_step)
        self._update_overlay_planes()

    def show_state_marks(self, label: str, marks: list[StateMark], ellipsoids: list[StateEllipsoid] | None = None,
                         ) -> None:
        """Show a presentation state's graphics (``marks``: on this plane, by slice; ``ellipsoids``:
        in patient mm, cut by the plane shown, for a plane other than the acquired one) and its name
        in the corner; ``("", [])`` takes them away."""
        self.state_label = label
        self._state_marks = list(marks)
        self._state_ellipsoids = list(ellipsoids or [])
        self._update_overlays()
        self.request_render()

    def _update_state_marks(self, position: float, half_step: float) -> None:
        lines: dict[tuple[int, int, int] | None, list[list[tuple[float, float, float]]]] = {}
        texts: dict[tuple[int, int, int] | None, list[PlacedText]] = {}
        fills: dict[tuple[int, int, int] | None, list[list[tuple[float, float, float]]]] = {}
        for mark in self._state_marks:
            if abs(mark.plane - position) >= half_step:  # on its own slice only, as the reader's marks
                continue
            world = [self._plane_to_world(uv, mark.plane) for uv in mark.points]
            if mark.text:  # (a second point: the other side of what it labels)
                texts.setdefault(mark.colour, []).append((world[0], mark.text, world[1] if len(world) > 1 else None))
            else:
                lines.setdefault(mark.colour, []).append(world)
                if mark.filled:  # its inside filled, translucent, as on a film
                    fills.setdefault(mark.colour, []).append(world)
        for ellipsoid in self._state_ellipsoids:
            cut = ellipsoid_cut(np.asarray(ellipsoid.ends), position * self.normal, self.right, self.up)
            if cut is None:
                continue  # this plane passes beside it
            outline = ellipse_outline(cut, ELLIPSOID_CUT_SEGMENTS)
            lines.setdefault(ellipsoid.colour, []).append([self._plane_to_world(uv, position) for uv in outline])
            if ellipsoid.text:  # its values beside its right end (else its left), as on the acquired slices
                u, v = max(cut)
                texts.setdefault(ellipsoid.colour, []).append((self._plane_to_world((u + 3.0, v), position),
                                                               ellipsoid.text,
                                                               self._plane_to_world((min(cut)[0] - 3.0, v), position)))
        self.state_graphics.show(lines, texts, fills)

    # -- measurements (in mm on this plane, shown on their own slice only) ---------------------
    def _plane_to_world(self, uv: tuple[float, float], plane: float) -> tuple[float, float, float]:
        p = uv[0] * self.right + uv[1] * self.up + plane * self.normal
        return (float(p[0]), float(p[1]), float(p[2]))

    def _measurement_point(self, x: float, y: float) -> tuple[tuple[float, float], float]:
        p = self.display_to_world(x, y)
        return (float(p @ self.right), float(p @ self.up)), float(p @ self.normal)

    def _refresh_measurements(self) -> None:
        self._update_overlays()
        self.request_render()

    def _shown_plane(self) -> tuple[float, float] | None:
        return self.position(), self.slice_step() / 2

    # -- interaction ----------------------------------------------------------------------
    def position(self) -> float:
        """Where this plane lies along its normal, in patient mm."""
        return float(np.asarray(self.display.crosshair, dtype=float) @ self.normal)

    def move_to(self, position: float) -> None:
        """Show the slice nearest ``position`` (mm along the normal; clamped to the volume)."""
        cross = np.asarray(self.display.crosshair, dtype=float)
        x, y, z = snap_to_voxel(self.volume, cross + self.normal * (position - self.position()))
        if (x, y, z) != tuple(self.display.crosshair):
            self.display.crosshair = (float(x), float(y), float(z))

    def follow_view(self, source: MprScene) -> None:
        """Take ``source``'s zoom and pan (a linked pane)."""
        self.zoom, self.pan = source.zoom, np.array(source.pan, dtype=float)
        self._apply()
        self.request_render()

    def _view_changed(self) -> None:
        for listener in list(self.view_listeners):
            listener()

    def set_crosshair_at(self, x: float, y: float) -> None:
        """Move the shared crosshair to the point under the cursor (the other planes follow)."""
        p = snap_to_voxel(self.volume, self.display_to_world(x, y))
        self.display.crosshair = (float(p[0]), float(p[1]), float(p[2]))

    def scroll(self, steps: int) -> None:
        """Move this plane ``steps`` slices along its normal (clamped to the volume)."""
        cross = np.asarray(self.display.crosshair, dtype=float) + self.normal * self.slice_step() * steps
        x, y, z = snap_to_voxel(self.volume, cross)
        self.display.crosshair = (float(x), float(y), float(z))

    def wheel(self, steps: float) -> None:
        """``steps`` wheel notches, positive away from the user (Qt's angleDelta). Turning the wheel
        towards you (down) goes to the next slice, as the Down key does (it went the other way)."""
        self.scroll(-int(round(steps)))

    def window_sensitivity(self) -> float:
        if self.volume.modality.upper() == "CT":
            return 4.0
        # a 256th of the window per pixel; at least half a unit for whole numbers (a fine fractional
        # image, an ADC map's 0.0025 mm²/s wide window, would jump 200 windows a pixel)
        return max(self.display.window_width / 256.0, 0.5 if self.volume.value_decimals == 0 else 0.0)

    def drag(self, tool: str, dx: float, dy: float, convention: str = "horizontal-width") -> None:
        if tool == "wl":
            self.display.drag_window(dx, -dy, self.window_sensitivity(), convention)
        elif tool == "pan":
            mm_per_pixel = 2 * self.fit_scale() / self.zoom / self.size[1]
            self.pan -= np.array([dx, dy]) * mm_per_pixel
            self._apply()
            self.request_render()
            self._view_changed()
        elif tool == "zoom":
            self.zoom_by(float(np.exp(dy / 200.0)))
        elif tool == "scroll":
            self.scroll(int(round(dy / 4.0)))

    def show_reference_lines(self, planes: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Draw where each plane ``(point, normal)`` (other panes' slices, patient mm) cuts this
        one, within the volume's extent; parallel planes draw nothing."""
        lines = []
        own_point = np.asarray(self.display.crosshair, dtype=float)
        corners = self._corners()
        for point, normal in planes:
            direction = np.cross(self.normal, normal)
            if np.linalg.norm(direction) < 1e-6:
                continue
            direction /= np.linalg.norm(direction)
            # the point of both planes nearest this plane's crosshair (two plane equations and
            # one along the line)
            system = np.array([self.normal, normal, direction])
            rhs = np.array([self.normal @ own_point, normal @ np.asarray(point, float), direction @ own_point])
            on_both = np.linalg.solve(system, rhs)
            along = (corners - on_both) @ direction  # clipped to the volume's reach along the line
            lines.append([tuple(on_both + direction * along.min()), tuple(on_both + direction * along.max())])
        # called on every slice change of every pane: redraw only when the lines moved (with one
        # volume on screen there are none, and the scroll's own redraw is all there is to do)
        if lines == self._reference_lines_shown:
            return
        self._reference_lines_shown = lines
        self.reference_lines.set(lines)
        self.request_render()

    def set_overlays_visible(self, visible: bool) -> None:
        """Show or hide text, orientation letters, scale bar and crosshair lines."""
        self.edges.set_visible(visible)
        self.colour_bar.set_visible(visible)
        props = [*self.corners.actors.values(), *self.scale_bar.props]
        props += [lines.actor for lines in self.cross_lines.values()] + [self.reference_lines.actor]
        for prop in props:
            prop.SetVisibility(visible)
        self.request_render()

    def zoom_by(self, factor: float) -> None:
        self.zoom = float(min(max(self.zoom * factor, 0.05), 40.0))
        self._apply()
        self.request_render()
        self._view_changed()

    def fit(self) -> None:
        """The whole plane in view, centred (measurements stay: they belong to the image)."""
        self.zoom = 1.0
        self.pan = np.zeros(2)
        self._apply()

    def resized(self) -> None:
        """The viewport was shown or resized: zoom is relative to the fitted view, so the
        reader's zoom and pan carry over as they are."""
        self._apply()

    def value_at(self, point: np.ndarray) -> float | None:
        ijk = np.rint(self.volume.geometry.world_to_index(point)).astype(int)
        return self.volume.value_at((int(ijk[0]), int(ijk[1]), int(ijk[2])))

    def status_text(self, x: float, y: float) -> str:
        p = self.display_to_world(x, y)
        value = self.value_at(p)
        if value is None:
            return ""
        unit = f" {self.volume.unit}" if self.volume.unit else ""
        written = format_value(value, self.volume.value_decimals)
        shown = "padding (no image)" if self.volume.is_padding(value) else f"{written}{unit}"
        fused = ""
        if self.fusion is not None:  # the laid-over series' value at the same point, as a PET/CT reader reads it
            values, inside = self.fusion.sample(np.asarray(p, dtype=float)[None])
            over = self.fusion.volume
            if inside[0] and not over.is_padding(float(values[0])):
                fused = f"   {over.modality} {format_value(float(values[0]), over.value_decimals)}" + \
                        (f" {over.unit}" if over.unit else "")
        return f"{self.plane}  ({p[0]:.1f}, {p[1]:.1f}, {p[2]:.1f}) mm   {shown}{fused}"


def show_crosshair_of_other_panes(panes: list[MprScene], every: bool = False) -> None:
    """Each pane draws the crosshair lines of the planes other panes of its volume show, not of
    planes no pane shows (lines across the anatomy that tell the reader nothing); ``every``: those
    of an MPR layout as well (while the Crosshair tool is in hand). The window's panes and a
    screenshot's alike. A pane of acquired slices is drawn as those slices lie: on a 4° oblique
    brain MR its line on the sagittal is 4° from the horizontal axial plane's (drawn there until
    2026-12-02: 7 mm off the slice shown, 10 cm from the crosshair)."""
    for scene in panes:
        shown = {o.plane for o in panes if o is not scene and o.volume is scene.volume}
        if every:
            shown |= set(section_planes(scene.volume))
        scene.show_crosshair_of(shown - {scene.plane})
