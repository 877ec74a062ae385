"""A DICOM SEG's segments in the 3D pane, as surfaces in their recommended colours.

Each segment's voxels on the acquired slices (viewer.segment_table.segment_masks) are turned into
a surface as 3D Slicer shows a segmentation in 3D: VTK's flying edges at the boundary between a
voxel in and one out (iso-value 0.5 of the binary mask), then windowed-sinc smoothing, which
removes the voxel steps without shrinking the surface as Laplacian smoothing does. The surface
lies in the volume's index millimetres and is placed in patient space by the same matrix as the
volume rendering (volume_scene.patient_matrix), so it sits where the volume shows the lesion.
A segment the reader hid (View → Segments...) is hidden here too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData, vtkPolyData
from vtkmodules.vtkCommonMath import vtkMatrix4x4
from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D, vtkPolyDataNormals, vtkWindowedSincPolyDataFilter
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper, vtkRenderer

from ..segment_table import SegmentMask
from ..volume import Volume

DEFAULT_RGB = (255, 255, 0)  # a segment that recommends no colour (segmentations.py gives one to each)
# the pass band of 3D Slicer's closed-surface smoothing at its factor 0.25, "average smoothing"
# (10^(-4 x 0.25) = 0.1; its default 0.5 gives 0.01, rounder still); 15 iterations, not Slicer's
# 20: with 20 a lesion 4 slices thick came out 0.5 mm (6 %) thicker than its voxels
SMOOTHING_ITERATIONS = 15
SMOOTHING_PASS_BAND = 0.1


@dataclass
class SegmentSurface:
    label: str
    polydata: vtkPolyData
    actor: vtkActor


def segment_polydata(segment: SegmentMask, spacing: tuple[float, float, float], smooth: bool = True) -> vtkPolyData:
    """The segment's closed surface in index millimetres (x along columns, y along rows, z along
    slices, each times its spacing): a border of empty voxels closes it where it reaches the
    edge of its box."""
    (k0, r0, c0), block = segment.block()
    padded = np.pad(block, 1).astype(np.uint8)
    image = vtkImageData()
    image.SetDimensions(padded.shape[2], padded.shape[1], padded.shape[0])
    sx, sy, sz = spacing
    image.SetSpacing(sx, sy, sz)
    image.SetOrigin((c0 - 1) * sx, (r0 - 1) * sy, (k0 - 1) * sz)
    scalars = numpy_to_vtk(np.ascontiguousarray(padded).ravel(), deep=True)
    image.GetPointData().SetScalars(scalars)
    edges = vtkFlyingEdges3D()
    edges.SetInputData(image)
    edges.SetValue(0, 0.5)
    edges.ComputeNormalsOff()
    last: vtkFlyingEdges3D | vtkWindowedSincPolyDataFilter = edges
    if smooth:
        smoother = vtkWindowedSincPolyDataFilter()
        smoother.SetInputConnection(edges.GetOutputPort())
        smoother.SetNumberOfIterations(SMOOTHING_ITERATIONS)
        smoother.SetPassBand(SMOOTHING_PASS_BAND)
        smoother.BoundarySmoothingOff()
        smoother.FeatureEdgeSmoothingOff()
        smoother.NonManifoldSmoothingOn()
        smoother.NormalizeCoordinatesOn()
        last = smoother
    normals = vtkPolyDataNormals()
    normals.SetInputConnection(last.GetOutputPort())
    normals.ConsistencyOn()
    normals.SplittingOff()
    normals.Update()
    out = vtkPolyData()
    out.DeepCopy(normals.GetOutput())
    return out


class SegmentSurfaces:
    """The segments of ``volume`` as surface actors in ``renderer``, placed by ``placement``."""

    def __init__(self, renderer: vtkRenderer, volume: Volume, segments: list[SegmentMask], placement: vtkMatrix4x4) -> None:
        self.surfaces: list[SegmentSurface] = []
        spacing = tuple(float(v) for v in volume.geometry.spacing)
        for segment in segments:
            polydata = segment_polydata(segment, (spacing[0], spacing[1], spacing[2]))
            mapper = vtkPolyDataMapper()
            mapper.SetInputData(polydata)
            mapper.ScalarVisibilityOff()
            actor = vtkActor()
            actor.SetMapper(mapper)
            actor.SetUserMatrix(placement)
            r, g, b = segment.rgb or DEFAULT_RGB
            prop = actor.GetProperty()
            prop.SetColor(r / 255, g / 255, b / 255)
            # lit by the camera's headlight: a face turned to the reader shows the segment's own colour
            prop.SetAmbient(0.3)
            prop.SetDiffuse(0.7)
            prop.SetSpecular(0.0)
            renderer.AddActor(actor)
            self.surfaces.append(SegmentSurface(segment.label, polydata, actor))

    def show_only(self, hidden: tuple[str, ...]) -> None:
        for surface in self.surfaces:
            surface.actor.SetVisibility(surface.label not in hidden)

    def shown(self) -> list[str]:
        return [s.label for s in self.surfaces if s.actor.GetVisibility()]
