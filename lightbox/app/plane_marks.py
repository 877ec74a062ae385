"""A reader's lengths, angles and ROIs kept on a reformatted plane of a volume (a coronal of an
axial CT, which has no image of its own) as the measurement report's marks in patient
coordinates (:class:`..dicomreports.measurements.PlaneMark`, SCOORD3D), measured as the pane
measures them; and such a mark read back from a report onto the plane it was drawn on."""
from __future__ import annotations

import re

import numpy as np

from ..dicomreports.measurements import PlaneMark
from ..studydb.annotations import StoredAnnotation
from ..viewer.geometry import Geometry, plane_axes
from ..viewer.index import Series
from ..viewer.measure import ROI_KINDS, angle, cobb_angle, length, volume_roi_statistics
from ..viewer.volume import Volume
from .sphere_marks import frame_at, values_in_unit

COPLANAR_MM = 0.01  # how far a read-back point may lie off its plane (the report's decimal places)


def plane_marks(reformats: list[tuple[str, StoredAnnotation, str]], drawn_on: Geometry, series: Series,
                volume: Volume) -> tuple[list[PlaneMark], list[str]]:
    """``reformats`` (plane, kept mark, its finding) drawn on reformatted planes (named as
    :func:`..viewer.geometry.plane_axes` names them) of a volume of geometry ``drawn_on``,
    measured in ``series`` (read as ``volume``) as the pane measures them:
    a length and an angle in mm, an ROI's voxels within half a slice step of its plane
    (viewer.measure.volume_roi_statistics); what was left out, said."""
    if not reformats:
        return [], []
    if not volume.calibrated:  # its "mm" are pixels: no place in the patient's coordinates
        return [], [f"{len(reformats)} mark(s) on reformatted planes: {series.label()} states no pixel spacing"]
    marks: list[PlaneMark] = []
    left_out: list[str] = []
    for image, a, finding in reformats:
        right, up, normal = plane_axes(image, drawn_on)  # a reformat's plane: a patient plane, or the acquired one
        centre = np.mean([u * right + v * up + a.plane * normal for u, v in a.points], axis=0)
        frame = frame_at(series, centre)
        if not frame:
            left_out.append(f"{a.kind} on the {image} plane: {series.label()} states no Frame of Reference to place it in")
            continue
        values: dict[str, object] = {}
        if a.kind == "length":
            values["length_mm"] = length(a.points, (1.0, 1.0))[0]
        elif a.kind in ("angle", "cobb"):
            values["angle_deg"] = (angle if a.kind == "angle" else cobb_angle)(a.points, (1.0, 1.0))
        elif a.kind in ROI_KINDS:
            stats = volume_roi_statistics(volume, (right, up, normal), a.plane, volume.step_along(normal) / 2,
                                          a.kind, a.points)
            if stats is not None:  # else no voxel inside: the region is written without values
                is_mr = volume.modality.strip().upper() == "MR"
                values.update(values_in_unit(stats, volume.unit), area_mm2=stats.area,
                              mr=(stats.mean, stats.sd, stats.minimum, stats.maximum) if is_mr else None)
        marks.append(PlaneMark(a.kind, list(a.points), image, _triple(right), _triple(up), _triple(normal), float(a.plane),
                               series.uid, frame, finding=finding, **values))  # type: ignore[arg-type]
    return marks, left_out


def _triple(vector: np.ndarray) -> tuple[float, float, float]:
    return float(vector[0]), float(vector[1]), float(vector[2])


def on_plane(identifier: str, points: np.ndarray, planes: list[str],
             geometry: Geometry) -> tuple[str, list[tuple[float, float]], float] | None:
    """Where a region given in patient mm (``points``, N x 3) lies among a volume's ``planes``
    ("coronal", ...), as the study database keeps a mark: ``(plane, points in mm along its right
    and up, position along its normal)``. The plane the tracking identifier names ("length 2 on
    the coronal plane", as Lightbox writes it), else the first the points lie in; None when they
    lie in none of them."""
    named = re.search(r" on the (\w+) plane$", identifier)
    order = sorted(planes, key=lambda p: named is None or p != named.group(1))
    for plane in order:
        right, up, normal = plane_axes(plane, geometry)
        depth = points @ normal
        if float(np.ptp(depth)) <= COPLANAR_MM:
            return plane, [(float(p @ right), float(p @ up)) for p in points], float(depth.mean())
    return None
