"""3D volume rendering of a :class:`Volume` with transfer-function presets.

GPU ray casting (``vtkGPUVolumeRayCastMapper``) where the OpenGL context supports it, and the
CPU ``vtkFixedPointVolumeRayCastMapper`` otherwise or on request: on software OpenGL (Mesa
llvmpipe, the headless CI) the CPU mapper is about ten times faster than the GPU one.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from vtkmodules.vtkCommonDataModel import vtkImageData, vtkPiecewiseFunction
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkRenderingCore import vtkColorTransferFunction, vtkRenderer, vtkVolume, vtkVolumeProperty
from vtkmodules.vtkRenderingVolume import vtkFixedPointVolumeRayCastMapper, vtkGPUVolumeRayCastMapper

from ..display import VolumeDisplay
from ..presets import TransferFunction, volume_rendering_presets
from ..segment_table import segment_masks
from ..volume import Volume
from .mpr_scene import volume_center
from .overlays import CornerText, RenderRequest
from .segment_surfaces import SegmentSurfaces
from .vtk_data import to_vtk_image

# Interactive level of detail of the CPU ray caster while the reader rotates, zooms or pans: a
# ray per 2 x 2 screen pixels and a sample every 2 voxel spacings (LIDC 512 x 512 x 275 at
# 512 x 512 on 2 cores: 170 -> 40 ms a frame); the full-quality frame follows once the view is
# still. (VTK's own AutoAdjustSampleDistances needs its interactor's desired update rate, which
# Lightbox's own mouse handling does not drive.)
INTERACTIVE_IMAGE_SAMPLE_DISTANCE = 2.0
INTERACTIVE_SAMPLE_FACTOR = 2.0


def preferred_mapper() -> str:
    """``"cpu"`` or ``"gpu"``: ``LIGHTBOX_VOLUME_MAPPER`` if set; else the GPU mapper where
    OpenGL runs on a GPU, and the CPU mapper on a software rasteriser (Mesa llvmpipe), where the
    GPU mapper's shaders run on the CPU about 15 times slower (LIDC: 2.5 s a frame against 0.17 s)."""
    chosen = os.environ.get("LIGHTBOX_VOLUME_MAPPER", "auto").lower()
    if chosen in ("cpu", "gpu"):
        return chosen
    from .vtk_data import opengl_is_software

    return "cpu" if opengl_is_software() else "gpu"


def patient_matrix(volume: Volume) -> vtkMatrix4x4:
    """Index-space millimetres (i, j, k times the spacing) to patient LPS: the direction cosines
    and the origin."""
    g = volume.geometry
    matrix = vtkMatrix4x4()
    for row in range(3):
        for column in range(3):
            matrix.SetElement(row, column, float(g.direction[row, column]))
        matrix.SetElement(row, 3, float(g.origin[row]))
    return matrix


class VolumeScene:
    """A rotatable 3D rendering of the volume, following ``display.render_preset``."""

    kind = "3d"

    def __init__(self, volume: Volume, display: VolumeDisplay, *, image=None, mapper: str | None = None,
                 demo_notice: bool = False, progressive: bool = False) -> None:
        """``progressive`` (the window): the first frame comes without shading (the CPU mapper's
        gradients for a 512 x 512 x 275 CT take 2.4 s on 2 cores; the unshaded frame 0.5 s), and
        frames while the view moves at the interactive level of detail; the host calls
        :meth:`on_still` once the view is still, which renders at full quality. Otherwise
        (``screenshot``, benchmarks) every frame is full quality."""
        self.volume = volume
        self.progressive = progressive
        self.quality = "full"
        self._shading_deferred = False  # the first frame of a shaded preset came unshaded
        self._shaded_once = False
        self.display = display
        self.request_render: RenderRequest = lambda: None
        # a render that can wait until the view is still (the host may coalesce it; here: now)
        self.request_render_when_still: RenderRequest = lambda: self.request_render()
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0.02, 0.02, 0.03)
        self.image = image if image is not None else to_vtk_image(volume.array, volume.geometry)
        # The CPU mapper ignores vtkImageData's direction matrix (VTK 9.x): a feet-first, prone,
        # sagittal or oblique stack was cast as if axial from the origin, off the frame and
        # mirrored. So the mapper reads the voxels (shared, not copied) in index space, and the
        # prop's matrix places them in patient space (PS3.3 C.7.6.2.1.1), for either mapper.
        self.render_image = vtkImageData()
        self.render_image.ShallowCopy(self.image)
        self.render_image.SetOrigin(0.0, 0.0, 0.0)
        self.render_image.SetDirectionMatrix(1, 0, 0, 0, 1, 0, 0, 0, 1)
        self.mapper_kind = (mapper or preferred_mapper()).lower()
        self.mapper = self._make_mapper(self.mapper_kind)
        self._full_sample_distance = float(self.mapper.GetSampleDistance())
        self.property = vtkVolumeProperty()
        self.property.SetInterpolationTypeToLinear()
        self.actor = vtkVolume()
        self.actor.SetUserMatrix(patient_matrix(volume))
        self.actor.SetMapper(self.mapper)
        self.actor.SetProperty(self.property)
        self.renderer.AddViewProp(self.actor)
        # a DICOM SEG's segments as surfaces, in their colours, where the volume shows the lesion
        segments = segment_masks(volume)
        self.segment_surfaces = SegmentSurfaces(self.renderer, volume, segments, patient_matrix(volume)) \
            if segments else None
        self.corners = CornerText(self.renderer)
        self._notice = "\nDEMO - not for clinical use" if demo_notice else ""
        self.display.events.render_preset.connect(self._on_preset)
        self.display.events.window_center.connect(self._on_window)
        self.display.events.window_width.connect(self._on_window)
        self.display.events.hidden_segments.connect(self._on_hidden_segments)
        self._on_hidden_segments()
        self.apply_preset(display.render_preset)
        self._show_mapper_label()
        self.reset_camera()

    # -- level of detail ------------------------------------------------------------------
    @property
    def needs_refinement(self) -> bool:
        """Whether the last frame was less than full quality (the host then calls on_still)."""
        return self.quality != "full" or self._shading_deferred

    def _set_quality(self, quality: str) -> None:
        if self.mapper_kind != "cpu" or quality == self.quality:
            return
        coarse = quality == "interactive"
        self.mapper.SetImageSampleDistance(INTERACTIVE_IMAGE_SAMPLE_DISTANCE if coarse else 1.0)
        self.mapper.SetSampleDistance(self._full_sample_distance * (INTERACTIVE_SAMPLE_FACTOR if coarse else 1.0))
        self.quality = quality

    def _moved(self) -> None:
        """The camera moved: a quick frame now, the full one when the view is still."""
        if self.progressive:
            self._set_quality("interactive")
        self.request_render()
        if self.progressive:
            self.request_render_when_still()

    def on_still(self) -> None:
        """The view has been still for a moment: render at full quality (shading included)."""
        self._set_quality("full")
        if self._shading_deferred:
            self._shading_deferred = False
            self._shaded_once = True
            self.property.ShadeOn()
            self._show_mapper_label()
        self.request_render()

    def _show_mapper_label(self) -> None:
        shading = "  (shading...)" if self._shading_deferred else ""
        self.corners.set("lower_right", f"{self.mapper_label()}{shading}{self._notice}")

    def _make_mapper(self, kind: str) -> Any:
        mapper: Any
        if kind == "gpu":
            mapper = vtkGPUVolumeRayCastMapper()
            mapper.SetAutoAdjustSampleDistances(True)
        else:
            mapper = vtkFixedPointVolumeRayCastMapper()
            mapper.SetAutoAdjustSampleDistances(False)
            mapper.SetImageSampleDistance(1.0)
        mapper.SetInputData(self.render_image)
        return mapper

    def mapper_label(self) -> str:
        """What actually renders: the GPU mapper on a software rasteriser (Mesa llvmpipe) is CPU
        work too, and the label says so rather than "GPU"."""
        if self.mapper_kind == "gpu":
            from .vtk_data import opengl_is_software

            return "3D ray casting: OpenGL in software (no GPU)" if opengl_is_software() else "3D GPU ray casting"
        return "3D CPU ray casting"

    def fall_back_to_cpu(self, render_window) -> bool:
        """Switch to the CPU mapper when the GPU one cannot render in ``render_window``."""
        if self.mapper_kind == "gpu" and not self.mapper.IsRenderSupported(render_window, self.property):
            self.mapper_kind = "cpu"
            self.mapper = self._make_mapper("cpu")
            self.actor.SetMapper(self.mapper)
            self._full_sample_distance = float(self.mapper.GetSampleDistance())
            self.quality = "full"
            self.corners.set("lower_right", "3D CPU ray casting (GPU unavailable)")
            return True
        return False

    def _on_hidden_segments(self, *_: object) -> None:
        """Show the segments the reader has not hidden (View → Segments...), and say how many."""
        if self.segment_surfaces is None:
            return
        self.segment_surfaces.show_only(self.display.hidden_segments)
        shown, every = len(self.segment_surfaces.shown()), len(self.segment_surfaces.surfaces)
        # short: it shares the bottom line with the mapper's label, and a long line is drawn smaller
        self.corners.set("lower_left", f"Segments: {shown} of {every} ({every - shown} hidden)" if shown < every
                         else f"Segments: {every}")
        self.request_render()

    def _on_preset(self, name: str) -> None:
        self.apply_preset(name)
        self.request_render()

    def _follows_window(self, name: str) -> bool:
        """A volume without Hounsfield units (MR, PET in SUV, ...): every preset's HU ramp means
        nothing there (bone's ramp drew an MR's brighter tissue as bone), so it is a MIP whose ramp
        runs from black to white over the display window, following window/level like the MPR
        planes, whichever preset is chosen (said in the corner)."""
        return self.volume.unit != "HU"

    def _on_window(self, *_values: object) -> None:
        if self._follows_window(self.display.render_preset):
            self.apply_preset(self.display.render_preset)
            # the MPR planes redraw on every W/L mouse step; a ray cast (about 200 ms on the CPU)
            # waits until the drag pauses
            self.request_render_when_still()

    def apply_preset(self, name: str) -> None:
        presets = volume_rendering_presets()
        tf: TransferFunction = presets.get(name) or presets["bone"]
        if self._follows_window(name):
            low, high = self.display.window.bounds()
            asked = "" if name == "mip" else f"; the {name} preset is for CT in HU"
            tf = TransferFunction(f"MIP (follows the window{asked})", [(low, 0.0, 0.0, 0.0), (high, 1.0, 1.0, 1.0)],
                                  [(low, 0.0), (high, 1.0)], shade=False, blend="maximum")
        color = vtkColorTransferFunction()
        for x, r, g, b in tf.color:
            color.AddRGBPoint(x, r, g, b)
        opacity = vtkPiecewiseFunction()
        for x, a in tf.opacity:
            opacity.AddPoint(x, a)
        self.property.SetColor(color)
        self.property.SetScalarOpacity(opacity)
        if tf.shade:
            first_frame = self.progressive and self.mapper_kind == "cpu" and not self._shaded_once
            self._shading_deferred = first_frame  # the first frame unshaded: its gradients come when still
            self.property.SetShade(0 if first_frame else 1)
            self._shaded_once = not first_frame
            self.property.SetAmbient(0.25)
            self.property.SetDiffuse(0.75)
            self.property.SetSpecular(0.2)
        else:
            self._shading_deferred = False
            self.property.ShadeOff()
        if tf.blend == "maximum":
            self.mapper.SetBlendModeToMaximumIntensity()
        else:
            self.mapper.SetBlendModeToComposite()
        self.corners.set("upper_left", f"Volume rendering: {tf.name}")

    def reset_camera(self) -> None:
        """Anterior view (looking from the front), head up."""
        camera = self.renderer.GetActiveCamera()
        centre = volume_center(self.volume)
        camera.SetFocalPoint(*centre)
        camera.SetPosition(centre[0], centre[1] - 1000.0, centre[2])
        camera.SetViewUp(0.0, 0.0, 1.0)
        self.renderer.ResetCamera()
        camera.Zoom(1.3)

    def drag(self, tool: str, dx: float, dy: float, convention: str = "horizontal-width") -> None:
        camera = self.renderer.GetActiveCamera()
        if tool == "zoom":
            camera.Zoom(1.0 + dy / 200.0)
        elif tool == "pan":
            scale = camera.GetDistance() / 800.0
            camera.SetFocalPoint(
                *[f - scale * (dx * r + dy * u) for f, r, u in zip(camera.GetFocalPoint(), self._right(), camera.GetViewUp())]
            )
            camera.SetPosition(
                *[p - scale * (dx * r + dy * u) for p, r, u in zip(camera.GetPosition(), self._right(), camera.GetViewUp())]
            )
        else:  # any other tool rotates: the 3D pane has no window/level of its own
            camera.Azimuth(-dx * 0.5)
            camera.Elevation(-dy * 0.5)
            camera.OrthogonalizeViewUp()
        self.renderer.ResetCameraClippingRange()
        self._moved()

    def _right(self) -> tuple[float, float, float]:
        camera = self.renderer.GetActiveCamera()
        d = np.subtract(camera.GetFocalPoint(), camera.GetPosition())
        r = np.cross(d, camera.GetViewUp())
        return tuple(r / (np.linalg.norm(r) or 1.0))

    def wheel(self, steps: float) -> None:
        self.renderer.GetActiveCamera().Zoom(1.1**steps)
        self.renderer.ResetCameraClippingRange()
        self._moved()

    def rotate(self, azimuth: float, elevation: float = 0.0) -> None:
        camera = self.renderer.GetActiveCamera()
        camera.Azimuth(azimuth)
        camera.Elevation(elevation)
        camera.OrthogonalizeViewUp()
        self.renderer.ResetCameraClippingRange()

    def spin(self, degrees: float) -> None:
        """Turn the view ``degrees`` about the patient's head-foot axis through the volume's
        centre (the camera's elevation kept): a cine step of the rotating MIP a PET is read from,
        whatever way the reader has tilted the view."""
        camera = self.renderer.GetActiveCamera()
        turn = np.radians(degrees)
        c, s = np.cos(turn), np.sin(turn)
        about_z = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        focal = np.asarray(camera.GetFocalPoint())
        camera.SetPosition(*(focal + about_z @ (np.asarray(camera.GetPosition()) - focal)))
        camera.SetViewUp(*(about_z @ np.asarray(camera.GetViewUp())))
        self.renderer.ResetCameraClippingRange()
        self._moved()

    def fit(self) -> None:
        self.reset_camera()

    def resized(self) -> None:
        """The viewport was shown or resized: the reader's rotation and zoom stay (the camera
        was placed when the scene was made)."""

    def set_overlays_visible(self, visible: bool) -> None:
        self.corners.set_visible(visible)
        self.request_render()

    def status_text(self, x: float, y: float) -> str:
        return ""
