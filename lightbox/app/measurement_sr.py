"""The marks a reader left on a series (kept in the study database) as the images' own pixel
coordinates and values, for the TID 1500 measurement report (:mod:`..dicomreports.measurements`).
Composes the viewer (pixels, geometry), the study database and the report writer."""
from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

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


class ImagePlacer:
    """Where a kept mark lies on the series' own images: a film's by its place ("film N", points
    already in its pixels); an acquired-plane mark's on the slice at its plane position, its
    plane mm turned into that slice's (column, row)."""

    def __init__(self, series: Series) -> None:
        self.series = series
        self.film = series.kind == "film"
        if not self.film:
            self.geometry = series_geometry(series)
            self.members = volume_instances(series)
            self.plane_name = first_plane(self.geometry)
            if self.plane_name == "axial":
                self.normal, self.up = np.asarray(PLANES["axial"][0]), np.asarray(PLANES["axial"][1])
            else:
                self.normal, self.up = acquired_axes(self.geometry)
            self.right = np.cross(self.normal, self.up)

    def place(self, image: str, a: StoredAnnotation) -> tuple[int, list[tuple[float, float]]] | str:
        """(instance index in the series / volume order, pixel points), or why it has no image."""
        if self.film:
            n = int(image.split()[1]) if image.startswith("film ") else -1
            if not 0 <= n < len(self.series.instances) or self.series.instances[n].header is None:
                return f"{a.kind} on {image}: not a DICOM image of this series"
            return n, list(a.points)
        if image != self.plane_name:
            return f"{a.kind} on the {image} reformat: no acquired image to reference"
        points = a.points or [(0.0, 0.0)]
        index = [self.geometry.world_to_index(u * self.right + v * self.up + a.plane * self.normal) for u, v in points]
        k = int(np.rint(index[0][2]))
        if not 0 <= k < len(self.members) or self.members[k].header is None:
            return f"{a.kind} at {a.plane:.1f} mm: outside the acquired slices"
        return k, [(float(i[0]), float(i[1])) for i in index] if a.points else []

    def unplace(self, uid: str, pixel_points: list[tuple[float, float]]) -> tuple[str, list[tuple[float, float]], float] | None:
        """The other way: a mark on the image ``uid`` (pixel points) as the study database keeps
        it, ``(image, points, plane)``; None when ``uid`` is not one of the series' images."""
        if not hasattr(self, "_by_uid"):
            instances = self.series.instances if self.film else self.members
            self._by_uid = {str(i.header.get("SOPInstanceUID", "")): n for n, i in enumerate(instances) if i.header is not None}
        n = self._by_uid.get(uid)
        if n is None:
            return None
        if self.film:
            return f"film {n}", list(pixel_points), 0.0
        worlds = [self.geometry.index_to_world((c, r, float(n))) for c, r in pixel_points or [(0.0, 0.0)]]
        points = [(float(w @ self.right), float(w @ self.up)) for w in worlds] if pixel_points else []
        return self.plane_name, points, float(worlds[0] @ self.normal)

    def header(self, n: int) -> Dataset:
        header = (self.series.instances if self.film else self.members)[n].header
        assert header is not None
        return header


def series_marks(catalog: StudyCatalog, series: Series) -> tuple[list[ImageMark], list[str]]:
    """The series' lengths and ROIs on its own images, and what was left out (said)."""
    marks: list[ImageMark] = []
    left_out: list[str] = []
    stored = [(image, a) for image, a in load_series_annotations(catalog, series.uid) if a.kind in MEASURED]
    if not stored:
        return [], []
    is_ct = series.modality.upper() == "CT"
    placer = ImagePlacer(series)
    for image, a in stored:
        placed = placer.place(image, a)
        if isinstance(placed, str):
            left_out.append(placed)
            continue
        n, pixel_points = placed
        if placer.film:
            film = load_film(series, n)
            values, spacing = film.values, film.spacing
        else:
            values = _slice_values(placer.members[n]) if a.kind != "length" else np.zeros((1, 1))
            spacing = (float(placer.geometry.spacing[1]), float(placer.geometry.spacing[0]))  # (row, column) mm
        marks.append(ImageMark(a.kind, pixel_points, placer.header(n),
                               **_values(a.kind, pixel_points, values, spacing, is_ct)))  # type: ignore[arg-type]
    return marks, left_out


def series_graphics(catalog: StudyCatalog, series: Series) -> tuple[list[tuple[Dataset, str, list[tuple[float, float]], str]],
                                                                     list[str]]:
    """The series' arrows and texts as ``(image header, kind, pixel points, text)``, and what was
    left out, for a presentation state (GSPS)."""
    placer = ImagePlacer(series)
    out, left_out = [], []
    for image, a in load_series_annotations(catalog, series.uid):
        if a.kind not in ("arrow", "text"):
            continue
        placed = placer.place(image, a)
        if isinstance(placed, str):
            left_out.append(placed)
            continue
        out.append((placer.header(placed[0]), a.kind, placed[1], a.text))
    return out, left_out


def series_key_images(catalog: StudyCatalog, series: Series) -> list[object]:
    """The headers of the series' images flagged as key images (films by place, acquired slices
    by position), in series order."""
    flagged = [(image, a) for image, a in load_series_annotations(catalog, series.uid) if a.kind == "key"]
    if not flagged:
        return []
    placer = ImagePlacer(series)
    places = sorted({placed[0] for placed in (placer.place(image, a) for image, a in flagged) if not isinstance(placed, str)})
    return [placer.header(n) for n in places]


def marks_from_archive(documents: list, series: Series) -> list[tuple[str, StoredAnnotation]]:
    """The marks that documents found beside the images (``StudyIndex.documents``) place on this
    series' images, as the study database keeps them: lengths and ROIs from TID 1500 measurement
    reports, key images from Key Object Selections, arrows and texts from presentation states."""
    from pydicom import dcmread

    from ..dicomreports.key_images import referenced_instances
    from ..dicomreports.measurements import read_measurements
    from ..dicomreports.presentation import PRESENTATION_STATES, read_graphics

    placer = ImagePlacer(series)
    found: list[tuple[str, StoredAnnotation]] = []

    def add(uid: str, kind: str, pixel_points: list[tuple[float, float]], text: str = "") -> None:
        placed = placer.unplace(uid, pixel_points)
        if placed is not None:
            found.append((placed[0], StoredAnnotation(kind, placed[1], text, placed[2])))

    for path, header in documents:
        sop_class = str(header.get("SOPClassUID", ""))
        try:
            if sop_class == "1.2.840.10008.5.1.4.1.1.88.59":  # Key Object Selection
                for uid in referenced_instances(dcmread(path)):
                    add(uid, "key", [])
            elif sop_class in ("1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34"):
                for identifier, uid, points, _values in read_measurements(dcmread(path)):
                    kind = _kind_of(identifier, points)
                    if kind is not None:
                        add(uid, kind, _corners(kind, points))
            elif sop_class in PRESENTATION_STATES:
                for uid, kind, points, text in read_graphics(dcmread(path)):
                    add(uid, kind, points, text)
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
