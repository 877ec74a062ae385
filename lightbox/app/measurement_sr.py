"""The marks a reader left on a series (kept in the study database) as the images' own pixel
coordinates and values, for the TID 1500 measurement report (:mod:`..dicomreports.measurements`).
Composes the viewer (pixels, geometry), the study database and the report writer."""
from __future__ import annotations

import numpy as np

from ..dicomreports.measurements import ImageMark
from ..studydb.annotations import load_series_annotations
from ..studydb.catalog import StudyCatalog
from ..viewer.geometry import PLANES, acquired_axes, first_plane
from ..viewer.index import Series
from ..viewer.loading import _slice_values, load_film
from ..viewer.measure import film_roi_statistics, length
from ..viewer.series import series_geometry, volume_instances

MEASURED = ("length", "ellipse", "rectangle")


def _values(kind: str, points: list[tuple[float, float]], pixels: np.ndarray, spacing: tuple[float, float] | None,
            is_ct: bool) -> dict[str, object]:
    if spacing is None:  # uncalibrated: the region is written, no value in mm
        return {}
    if kind == "length":
        return {"length_mm": length(points, spacing)[0]}
    stats = film_roi_statistics(pixels, kind, points, spacing, "HU" if is_ct else "")
    if stats is None:
        return {}
    hu = (stats.mean, stats.sd, stats.minimum, stats.maximum) if is_ct else None
    return {"area_mm2": stats.area, "hu": hu}


def series_marks(catalog: StudyCatalog, series: Series) -> tuple[list[ImageMark], list[str]]:
    """The series' lengths and ROIs on its own images, and what was left out (said)."""
    marks: list[ImageMark] = []
    left_out: list[str] = []
    stored = [(image, a) for image, a in load_series_annotations(catalog, series.uid) if a.kind in MEASURED]
    if not stored:
        return [], []
    is_ct = series.modality.upper() == "CT"
    if series.kind == "film":
        for image, a in stored:
            n = int(image.split()[1]) if image.startswith("film ") else -1
            if not 0 <= n < len(series.instances) or series.instances[n].header is None:
                left_out.append(f"{a.kind} on {image}: not a DICOM image of this series")
                continue
            film = load_film(series, n)
            marks.append(ImageMark(a.kind, a.points, series.instances[n].header,  # type: ignore[arg-type]
                                   **_values(a.kind, a.points, film.values, film.spacing, is_ct)))  # type: ignore[arg-type]
        return marks, left_out
    geometry = series_geometry(series)
    members = volume_instances(series)
    plane_name = first_plane(geometry)
    if plane_name == "axial":
        normal, up = np.asarray(PLANES["axial"][0]), np.asarray(PLANES["axial"][1])
    else:
        normal, up = acquired_axes(geometry)
    right = np.cross(normal, up)
    spacing = (float(geometry.spacing[1]), float(geometry.spacing[0]))  # (row, column) mm
    for image, a in stored:
        if image != plane_name:
            left_out.append(f"{a.kind} on the {image} reformat: no acquired image to reference")
            continue
        index = [geometry.world_to_index(u * right + v * up + a.plane * normal) for u, v in a.points]
        k = int(np.rint(index[0][2]))
        if not 0 <= k < len(members) or members[k].header is None:
            left_out.append(f"{a.kind} at {a.plane:.1f} mm: outside the acquired slices")
            continue
        pixel_points = [(float(i[0]), float(i[1])) for i in index]
        values = _slice_values(members[k]) if a.kind != "length" else np.zeros((1, 1))
        marks.append(ImageMark(a.kind, pixel_points, members[k].header,  # type: ignore[arg-type]
                               **_values(a.kind, pixel_points, values, spacing, is_ct)))  # type: ignore[arg-type]
    return marks, left_out


def series_key_images(catalog: StudyCatalog, series: Series) -> list[object]:
    """The headers of the series' images flagged as key images (films by place, acquired slices
    by position), in series order."""
    flagged = [(image, a) for image, a in load_series_annotations(catalog, series.uid) if a.kind == "key"]
    if not flagged:
        return []
    if series.kind == "film":
        places = sorted({int(image.split()[1]) for image, _ in flagged if image.startswith("film ")})
        return [series.instances[n].header for n in places if 0 <= n < len(series.instances)]
    geometry = series_geometry(series)
    members = volume_instances(series)
    normal = acquired_axes(geometry)[0] if first_plane(geometry) != "axial" else np.asarray(PLANES["axial"][0])
    origin = geometry.index_to_world((0.0, 0.0, 0.0))
    slices = set()
    for image, a in flagged:
        if image != first_plane(geometry):
            continue
        k = int(np.rint(geometry.world_to_index(origin + normal * (a.plane - float(origin @ normal)))[2]))
        if 0 <= k < len(members):
            slices.add(k)
    return [members[k].header for k in sorted(slices)]
