"""3D volume rendering of a :class:`Volume` with transfer-function presets.

GPU ray casting (``vtkGPUVolumeRayCastMapper``) where the OpenGL context supports it, and the
CPU ``vtkFixedPointVolumeRayCastMapper`` otherwise or on request: on software OpenGL (Mesa
llvmpipe, the headless CI) the CPU mapper is about ten times faster than the GPU one.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from vtkmodules.vtkCommonDataModel import vtkPiecewiseFunction
from vtkmodules.vtkRenderingCore import vtkColorTransferFunction, vtkRenderer, vtkVolume, vtkVolumeProperty
from vtkmodules.vtkRenderingVolume import vtkFixedPointVolumeRayCastMapper, vtkGPUVolumeRayCastMapper

from ..display import VolumeDisplay
from ..presets import TransferFunction, volume_rendering_presets
from ..volume import Volume
from .mpr_scene import volume_center
from .overlays import CornerText, RenderRequest
from .vtk_data import to_vtk_image


def preferred_mapper() -> str:
    """``"cpu"`` or ``"gpu"``: ``LIGHTBOX_VOLUME_MAPPER`` if set, else GPU."""
    return os.environ.get("LIGHTBOX_VOLUME_MAPPER", "gpu").lower()


class VolumeScene:
    """A rotatable 3D rendering of the volume, following ``display.render_preset``."""

    kind = "3d"

    def __init__(self, volume: Volume, display: VolumeDisplay, *, image=None, mapper: str | None = None,
                 demo_notice: bool = False) -> None:
        self.volume = volume
        self.display = display
        self.request_render: RenderRequest = lambda: None
        # a render that can wait until the view is still (the host may coalesce it; here: now)
        self.request_render_when_still: RenderRequest = lambda: self.request_render()
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(0.02, 0.02, 0.03)
        self.image = image if image is not None else to_vtk_image(volume.array, volume.geometry)
        self.mapper_kind = (mapper or preferred_mapper()).lower()
        self.mapper = self._make_mapper(self.mapper_kind)
        self.property = vtkVolumeProperty()
        self.property.SetInterpolationTypeToLinear()
        self.actor = vtkVolume()
        self.actor.SetMapper(self.mapper)
        self.actor.SetProperty(self.property)
        self.renderer.AddViewProp(self.actor)
        self.corners = CornerText(self.renderer)
        notice = "\nDEMO - not for clinical use" if demo_notice else ""
        self.corners.set("lower_right", f"{self.mapper_label()}{notice}")
        self.display.events.render_preset.connect(self._on_preset)
        self.display.events.window_center.connect(self._on_window)
        self.display.events.window_width.connect(self._on_window)
        self.apply_preset(display.render_preset)
        self.reset_camera()

    def _make_mapper(self, kind: str) -> Any:
        mapper: Any
        if kind == "gpu":
            mapper = vtkGPUVolumeRayCastMapper()
            mapper.SetAutoAdjustSampleDistances(True)
        else:
            mapper = vtkFixedPointVolumeRayCastMapper()
            mapper.SetAutoAdjustSampleDistances(False)
            mapper.SetImageSampleDistance(1.0)
        mapper.SetInputData(self.image)
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
            self.corners.set("lower_right", "3D CPU ray casting (GPU unavailable)")
            return True
        return False

    def _on_preset(self, name: str) -> None:
        self.apply_preset(name)
        self.request_render()

    def _follows_window(self, name: str) -> bool:
        """A MIP of a volume without Hounsfield units (MR, PET, ...): the preset's HU ramp means
        nothing there, so the ramp runs from black to white over the display window instead,
        and follows window/level like the MPR planes."""
        return name == "mip" and self.volume.modality.upper() != "CT"

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
            tf = TransferFunction("MIP (follows the window)", [(low, 0.0, 0.0, 0.0), (high, 1.0, 1.0, 1.0)],
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
            self.property.ShadeOn()
            self.property.SetAmbient(0.25)
            self.property.SetDiffuse(0.75)
            self.property.SetSpecular(0.2)
        else:
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
        self.request_render()

    def _right(self) -> tuple[float, float, float]:
        camera = self.renderer.GetActiveCamera()
        d = np.subtract(camera.GetFocalPoint(), camera.GetPosition())
        r = np.cross(d, camera.GetViewUp())
        return tuple(r / (np.linalg.norm(r) or 1.0))

    def wheel(self, steps: float) -> None:
        self.renderer.GetActiveCamera().Zoom(1.1**steps)
        self.renderer.ResetCameraClippingRange()
        self.request_render()

    def rotate(self, azimuth: float, elevation: float = 0.0) -> None:
        camera = self.renderer.GetActiveCamera()
        camera.Azimuth(azimuth)
        camera.Elevation(elevation)
        camera.OrthogonalizeViewUp()
        self.renderer.ResetCameraClippingRange()

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
