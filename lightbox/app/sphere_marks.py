"""A reader's sphere VOIs (kept in the study database on the plane they were drawn on) measured in
a series, as the TID 1411 volume marks of the measurement report (:mod:`..dicomreports.measurements`):
the series' own, or the PET laid over the CT they were drawn on (one finding in two series)."""
from __future__ import annotations

import numpy as np

from ..dicomreports.measurements import VolumeMark
from ..studydb.annotations import StoredAnnotation
from ..viewer.geometry import Geometry, plane_axes
from ..viewer.index import Series
from ..viewer.measure import RoiStatistics, sphere_radius
from ..viewer.series import slice_normal
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


def frames_of_reference(series: Series) -> set[str]:
    """The Frame of Reference UIDs (C.7.4.1) the series' images state ("" for one that states none)."""
    return {str(i.header.get("FrameOfReferenceUID", "")) for i in series.instances if i.header is not None}


def frame_at(series: Series, point: np.ndarray) -> str:
    """The Frame of Reference UID a region around ``point`` (patient mm) is given in: the series'
    one; where its images state several, the frame of the image whose plane lies nearest the point
    (a de-identifier gave each slice a UID of its own: the LIDC CT here has 275 for its 275
    slices, which the viewer stacks by their positions as one volume all the same); "" when an
    image nearest it states none."""
    frames = frames_of_reference(series)
    if len(frames) == 1:
        return frames.pop()
    nearest, distance = "", np.inf
    for instance in series.instances:
        header = instance.header
        if header is None or "ImagePositionPatient" not in header or "ImageOrientationPatient" not in header:
            continue
        try:
            normal = slice_normal(tuple(float(v) for v in header.ImageOrientationPatient)[:6])
            away = abs(float((np.asarray(point, dtype=float) - np.asarray(header.ImagePositionPatient, dtype=float)) @ normal))
        except (TypeError, ValueError):  # a damaged position or orientation: not this image
            continue
        if away < distance:
            nearest, distance = str(header.get("FrameOfReferenceUID", "")), away
    return nearest


def sphere_marks(spheres: list[tuple[str, StoredAnnotation, str]], drawn_on: Geometry, series: Series,
                 volume: Volume) -> tuple[list[VolumeMark], list[str]]:
    """``spheres`` (image, kept sphere, its finding) drawn on a volume of geometry ``drawn_on``,
    measured in ``series`` (read as ``volume``) as the pane measures them; what was left out, said."""
    if not spheres:
        return [], []
    marks: list[VolumeMark] = []
    left_out: list[str] = []
    unit = volume.unit
    for image, a, finding in spheres:
        centre = sphere_centre(image, a, drawn_on)
        radius = sphere_radius(a.points)
        if centre is None or radius <= 0:
            left_out.append(f"sphere on the {image} plane: not a plane a sphere is kept on")
            continue
        frame = frame_at(series, centre)
        if not frame:
            left_out.append(f"sphere at ({', '.join(f'{c:.1f}' for c in centre)}) mm: {series.label()} states no "
                            "Frame of Reference to place it in")
            continue
        stats = sphere_statistics(volume, centre, radius)
        if stats is None:
            left_out.append(f"sphere at ({', '.join(f'{c:.1f}' for c in centre)}) mm: no voxel of {series.label()} "
                            "inside it")
            continue
        marks.append(VolumeMark(
            (float(centre[0]), float(centre[1]), float(centre[2])), radius, series.uid, frame, stats.volume_ml,
            mtv_ml=stats.mtv_ml, tlg=stats.tlg if unit == "SUVbw" else None, finding=finding,
            **values_in_unit(stats, unit)))  # type: ignore[arg-type]
    return marks, left_out


def values_in_unit(stats: RoiStatistics, unit: str) -> dict[str, object]:
    """A region's mean, SD, minimum and maximum as the report's HU (a CT's) or SUVbw (a PET's),
    with a PET's SUVpeak and SULpeak; none of them in another unit."""
    measured = (stats.mean, stats.sd, stats.minimum, stats.maximum)
    pet = unit == "SUVbw"
    return {"hu": measured if unit == "HU" else None, "suv": measured if pet else None,
            "suv_peak": stats.peak if pet else None, "sul_peak": stats.sul_peak if pet else None}
