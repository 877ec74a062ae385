"""numpy ↔ VTK conversions and offscreen pixel read-back."""
from __future__ import annotations

import functools
import os

import numpy as np
import vtkmodules.vtkInteractionStyle  # noqa: F401  (registers the default interactor style)
import vtkmodules.vtkRenderingFreeType  # noqa: F401  (text rendering)
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (OpenGL render window factories)
import vtkmodules.vtkRenderingVolumeOpenGL2  # noqa: F401  (GPU volume mapper)
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkObject
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkRenderingCore import vtkRenderWindow, vtkWindowToImageFilter

from ..geometry import Geometry

# VTK prints a warning to stderr when an X11 window class is probed with DISPLAY unset (the
# EGL window is used instead): noise for users of the headless commands.
if not os.environ.get("LIGHTBOX_VTK_WARNINGS"):
    vtkObject.GlobalWarningDisplayOff()


def to_vtk_image(array: np.ndarray, geometry: Geometry | None = None) -> vtkImageData:
    """Wrap ``array[k, j, i]`` as ``vtkImageData`` (zero copy for C-contiguous input).

    The returned object keeps a reference to the array (``_numpy_ref``) so it outlives it.
    """
    data = np.ascontiguousarray(array)
    if data.ndim == 2:
        data = data[np.newaxis]
    if data.dtype == np.float64:
        data = data.astype(np.float32)
    image = vtkImageData()
    image.SetDimensions(data.shape[2], data.shape[1], data.shape[0])
    g = geometry or Geometry()
    image.SetOrigin(*g.origin)
    image.SetSpacing(*g.spacing)
    image.SetDirectionMatrix(g.direction.ravel().tolist())
    scalars = numpy_to_vtk(data.ravel(), deep=False)
    image.GetPointData().SetScalars(scalars)
    image._numpy_ref = data  # type: ignore[attr-defined]
    return image


def rgb_vtk_image(rgb: np.ndarray) -> vtkImageData:
    """An RGB image (``rgb[row, column, channel]``, uint8) as a 3-component ``vtkImageData`` laid
    out as :func:`to_vtk_image` lays out a 2D array (column = x, row = y); zero copy."""
    data = np.ascontiguousarray(rgb, dtype=np.uint8)
    rows, columns, _ = data.shape
    image = vtkImageData()
    image.SetDimensions(columns, rows, 1)
    scalars = numpy_to_vtk(data.reshape(-1, 3), deep=False)
    image.GetPointData().SetScalars(scalars)
    image._numpy_ref = data  # type: ignore[attr-defined]
    return image


def new_render_window(width: int = 512, height: int = 512, offscreen: bool = True) -> vtkRenderWindow:
    window = vtkRenderWindow()
    window.SetOffScreenRendering(1 if offscreen else 0)
    window.SetSize(width, height)
    window.SetMultiSamples(0)
    return window


SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swiftshader", "software rasterizer", "swr")


@functools.cache
def opengl_is_software() -> bool:
    """Whether VTK's OpenGL is a software rasteriser (Mesa llvmpipe and kin): asked once of a
    16 x 16 offscreen window (about 0.3 s)."""
    window = new_render_window(16, 16, offscreen=True)
    try:
        window.Render()
        report = window.ReportCapabilities().lower()
    finally:
        window.Finalize()
    renderer = next((line for line in report.splitlines() if "renderer string" in line), report)
    return any(name in renderer for name in SOFTWARE_RENDERERS)


def read_pixels(window: vtkRenderWindow) -> np.ndarray:
    """The rendered RGB image, top row first (as a screenshot or ``QImage`` has it)."""
    grab = vtkWindowToImageFilter()
    grab.SetInput(window)
    grab.SetInputBufferTypeToRGB()
    grab.ReadFrontBufferOff()
    grab.ShouldRerenderOff()
    grab.Update()
    out = grab.GetOutput()
    w, h, _ = out.GetDimensions()
    pixels = vtk_to_numpy(out.GetPointData().GetScalars()).reshape(h, w, -1)
    return np.ascontiguousarray(pixels[::-1, :, :3])
