"""A reader's sphere VOIs (kept in the study database on the plane they were drawn on) measured in
a series, as the TID 1411 volume marks of the measurement report (:mod:`..dicomreports.measurements`):
the series' own, or the PET laid over the CT they were drawn on (one finding in two series)."""
from __future__ import annotations

import numpy as np

from ..dicomreports.measurements import VolumeMark
from ..studydb.annotations import StoredAnnotation
from ..viewer.geometry import Geometry, plane_axes
from ..viewer.index import Series
from ..viewer.measure import sphere_radius
from ..viewer.sphere_voi import sphere_statistics
from ..viewer.volume import Volume


def sphere_centre(image: str, a: StoredAnnotation, drawn_on: Geometry) -> np.ndarray | None:
    """The patient position (mm) of a sphere kept on the plane ``image`` ("axial", "acquired", ...)
    of a volume of geometry ``drawn_on``; None for a plane name the viewer does not give."""
    try:
        right, up, normal = plane_axes(image, drawn_on)
    except KeyError:
        return None
    u, v = a.points[0]
    return np.asarray(u * right + v * up + a.plane * normal)


def frame_of_reference(series: Series) -> str:
    """The series' Frame of Reference UID (C.7.4.1), "" when its images state none or several."""
    frames = {str(i.header.get("FrameOfReferenceUID", "")) for i in series.instances if i.header is not None}
    return frames.pop() if len(frames) == 1 else ""


def sphere_marks(spheres: list[tuple[str, StoredAnnotation, str]], drawn_on: Geometry, series: Series,
                 volume: Volume) -> tuple[list[VolumeMark], list[str]]:
    """``spheres`` (image, kept sphere, its finding) drawn on a volume of geometry ``drawn_on``,
    measured in ``series`` (read as ``volume``) as the pane measures them; what was left out, said."""
    frame = frame_of_reference(series)
    if not frame:
        return [], [f"{len(spheres)} sphere VOI(s): {series.label()} states no one Frame of Reference to place them in"]
    marks: list[VolumeMark] = []
    left_out: list[str] = []
    unit = volume.unit
    for image, a, finding in spheres:
        centre = sphere_centre(image, a, drawn_on)
        radius = sphere_radius(a.points)
        if centre is None or radius <= 0:
            left_out.append(f"sphere on the {image} plane: not a plane a sphere is kept on")
            continue
        stats = sphere_statistics(volume, centre, radius)
        if stats is None:
            left_out.append(f"sphere at ({', '.join(f'{c:.1f}' for c in centre)}) mm: no voxel of {series.label()} "
                            "inside it")
            continue
        values = (stats.mean, stats.sd, stats.minimum, stats.maximum)
        marks.append(VolumeMark(
            (float(centre[0]), float(centre[1]), float(centre[2])), radius, series.uid, frame, stats.volume_ml,
            hu=values if unit == "HU" else None, suv=values if unit == "SUVbw" else None,
            suv_peak=stats.peak if unit == "SUVbw" else None, sul_peak=stats.sul_peak if unit == "SUVbw" else None,
            mtv_ml=stats.mtv_ml, tlg=stats.tlg if unit == "SUVbw" else None, finding=finding))
    return marks, left_out
