"""The marks a reader left on a series (kept in the study database) as the images' own pixel
coordinates and values, for the TID 1500 measurement report (:mod:`..dicomreports.measurements`).
Composes the viewer (pixels, geometry), the study database and the report writer."""
from __future__ import annotations

import numpy as np

from ..dicomreports.measurements import ImageMark
from ..studydb.annotations import StoredAnnotation, load_series_annotations
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


def marks_from_archive(documents: list, series: Series) -> list[tuple[str, StoredAnnotation]]:
    """Lengths, ROIs and key images that TID 1500 measurement reports and Key Object Selection
    documents found beside the images (``StudyIndex.documents``) place on this series' images, as
    the study database keeps marks: ``(image, mark)`` pairs."""
    from pydicom import dcmread

    from ..dicomreports.key_images import referenced_instances
    from ..dicomreports.measurements import read_measurements

    places: dict[str, tuple[str, int]] = {}  # SOP instance UID -> ("film", n) or ("slice", k)
    if series.kind == "film":
        for n, instance in enumerate(series.instances):
            if instance.header is not None:
                places[str(instance.header.get("SOPInstanceUID", ""))] = ("film", n)
    else:
        for k, instance in enumerate(volume_instances(series)):
            if instance.header is not None:
                places[str(instance.header.get("SOPInstanceUID", ""))] = ("slice", k)
    geometry = series_geometry(series) if series.kind != "film" else None
    plane_name = first_plane(geometry) if geometry is not None else ""
    if geometry is not None:
        normal, up = (np.asarray(PLANES["axial"][0]), np.asarray(PLANES["axial"][1])) if plane_name == "axial" \
            else acquired_axes(geometry)
        right = np.cross(normal, up)

    def on_image(uid: str, pixel_points: list[tuple[float, float]]) -> tuple[str, list[tuple[float, float]], float] | None:
        place = places.get(uid)
        if place is None:
            return None
        if place[0] == "film":
            return f"film {place[1]}", pixel_points, 0.0
        worlds = [geometry.index_to_world((c, r, float(place[1]))) for c, r in pixel_points or [(0.0, 0.0)]]  # type: ignore[union-attr]
        points = [(float(w @ right), float(w @ up)) for w in worlds] if pixel_points else []
        return plane_name, points, float(worlds[0] @ normal)

    found: list[tuple[str, StoredAnnotation]] = []
    for path, header in documents:
        sop_class = str(header.get("SOPClassUID", ""))
        try:
            if sop_class == "1.2.840.10008.5.1.4.1.1.88.59":  # Key Object Selection
                for uid in referenced_instances(dcmread(path)):
                    placed = on_image(uid, [])
                    if placed is not None:
                        found.append((placed[0], StoredAnnotation("key", [], "", placed[2])))
            elif sop_class in ("1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34"):
                for identifier, uid, points, _values in read_measurements(dcmread(path)):
                    kind = _kind_of(identifier, points)
                    if kind is None:
                        continue
                    corners = _corners(kind, points)
                    placed = on_image(uid, corners)
                    if placed is not None:
                        found.append((placed[0], StoredAnnotation(kind, placed[1], "", placed[2])))
        except (OSError, ValueError, AttributeError, KeyError, IndexError):
            continue  # a document that is not what it says: the images open all the same
    return found


def _kind_of(identifier: str, points: list[tuple[float, float]]) -> str | None:
    word = identifier.split()[0].lower() if identifier else ""
    if word in MEASURED:
        return word
    if len(points) == 2:
        return "length"
    if len(points) == 4:
        return "ellipse"
    if len(points) == 5 and points[0] == points[-1]:
        return "rectangle"
    return None


def _corners(kind: str, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Two opposite corners of the box of an ellipse (its 4 axis ends) or a rectangle (its closed
    polyline), or a length's two ends, as Lightbox keeps them."""
    if kind == "length":
        return points[:2]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [(min(xs), min(ys)), (max(xs), max(ys))]
