"""The marks a reader left on a series (kept in the study database) as the images' own pixel
coordinates and values, for the TID 1500 measurement report (:mod:`..dicomreports.measurements`).
Composes the viewer (pixels, geometry), the study database and the report writer."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from pydicom.dataset import Dataset

from ..dicomreports.measurements import ImageMark, PlaneMark, VolumeMark
from ..dicomreports.presentation import GraphicMark
from ..studydb.annotations import StoredAnnotation, load_series_annotations
from ..studydb.catalog import StudyCatalog
from ..viewer.geometry import ACQUIRED, PLANES, Geometry, acquired_axes, ellipsoid_axes, first_plane
from ..viewer.index import Series
from ..viewer.loading import _slice_values, film_places, load_film_frames, read_dataset, stored_pixels
from ..viewer.measure import (
    CALIBRATION,
    CARDIOTHORACIC,
    FREEHAND,
    ROI_KINDS,
    SPHERE,
    angle,
    cobb_angle,
    film_roi_statistics,
    length,
    roi_pixels,
)
from ..viewer.pixels import Padding, Window, auto_window, modality_values, pixel_padding
from ..viewer.series import multiframe_positions, series_geometry, slice_normal, volume_instances
from ..viewer.suv import suv_factor
from ..viewer.uptake_peak import peak_mean
from ..viewer.volume import Film, Volume
from .plane_marks import on_plane, plane_marks
from .sphere_marks import frames_of_reference, sphere_marks

MEASURED = ("length", "angle", "cobb", *ROI_KINDS)


def _values(kind: str, points: list[tuple[float, float]], pixels: np.ndarray, spacing: tuple[float, float] | None,
            modality: str, padding: Padding | None, shown: np.ndarray | None = None,
            suv: float | None = None, aspect: float = 1.0) -> dict[str, object]:
    """What a length, angle or ROI measures, as the view measures it; ``suv``: the factor that
    turns a PET series' Bq/mL into SUVbw (viewer.suv), as the view reads it; ``aspect``: an
    uncalibrated film's pixel height over width, as the view measures its angles."""
    if kind == "angle":  # in degrees whether calibrated or not, as the view shows it
        return {"angle_deg": angle(points, spacing, aspect)}
    if kind == "cobb":
        return {"angle_deg": cobb_angle(points, spacing, aspect)}
    if spacing is None:  # uncalibrated: the region is written, no value in mm
        return {}
    if kind == "length":
        return {"length_mm": length(points, spacing)[0]}
    if suv is not None:
        pixels = pixels * np.float32(suv)
        padding = Padding(padding.low * suv, padding.high * suv) if padding is not None else None
    is_ct = modality == "CT"
    stats = film_roi_statistics(pixels, kind, points, spacing, "HU" if is_ct else "", padding, shown)  # as the view counts
    if stats is None:
        return {}
    measured = (stats.mean, stats.sd, stats.minimum, stats.maximum)
    return {"area_mm2": stats.area, "hu": measured if is_ct else None, "suv": measured if suv is not None else None,
            "mr": measured if modality == "MR" else None}


class Placed(NamedTuple):
    """Where a kept mark lies: the instance (index in the series / volume order), its pixel
    points, and the frame (1-based) of a multi-frame instance (None for a single-frame image)."""

    instance: int
    points: list[tuple[float, float]]
    frame: int | None = None


class ImagePlacer:
    """Where a kept mark lies on the series' own images: a film's by its place ("film N": the Nth
    film the window shows, every frame of every instance in order; points already in its pixels);
    an acquired-plane mark's on the slice at its plane position, its plane mm turned into that
    slice's (column, row), a slice of a multi-frame volume being one of its frames."""

    def __init__(self, series: Series) -> None:
        self.series = series
        self.film = series.kind == "film"
        self.places = film_places(series) if self.film else []
        if not self.film:
            try:
                self._place_slices(series)
            except Exception as exc:  # noqa: BLE001 - a damaged orientation or position: said, as a ValueError
                raise ValueError(f"{series.label()}: where its images lie cannot be read ({type(exc).__name__}: {exc})") \
                    from exc

    def _place_slices(self, series: Series) -> None:
        """The acquired slices' geometry, order and plane (a volume's marks are kept in plane mm)."""
        self.geometry = series_geometry(series)
        self.members = volume_instances(series)
        self.plane_name = first_plane(self.geometry)
        if self.plane_name == "axial":
            self.normal, self.up = np.asarray(PLANES["axial"][0]), np.asarray(PLANES["axial"][1])
        else:
            self.normal, self.up = acquired_axes(self.geometry)
        self.right = np.cross(self.normal, self.up)
        # a multi-frame volume's slices are its frames, in the order the loader stacks them
        # (by position along the normal when the frames state positions)
        self.frame_order: list[int] = []
        if len(self.members) == 1 and self.members[0].frames > 1:
            positions, orientation = multiframe_positions(series)
            self.frame_order = ([int(f) for f in np.argsort(positions @ slice_normal(orientation))]
                                if positions is not None and orientation is not None
                                else list(range(self.members[0].frames)))

    def is_reformat(self, image: str) -> bool:
        """Whether ``image`` names a plane of the volume other than its acquired one (a coronal of
        an axial stack): no image of the series lies in it."""
        return not self.film and image != self.plane_name and image in (*PLANES, ACQUIRED)

    @property
    def reformat_planes(self) -> list[str]:
        """The planes the viewer draws on that are reformats of the volume ([] for a film)."""
        return [plane for plane in (*PLANES, ACQUIRED) if self.is_reformat(plane)]

    def place(self, image: str, a: StoredAnnotation) -> Placed | str:
        """Where the mark ``a`` kept on ``image`` lies, or why it has no image."""
        if self.film:
            n = int(image.split()[1]) if image.startswith("film ") and image.split()[1].isdigit() else -1
            if not 0 <= n < len(self.places) or self.series.instances[self.places[n][0]].header is None:
                return f"{a.kind} on {image}: not a DICOM image of this series"
            instance, frame = self.places[n]
            return Placed(instance, list(a.points), frame + 1 if self.series.instances[instance].frames > 1 else None)
        if image != self.plane_name:
            return f"{a.kind} on the {image} reformat: no acquired image to reference"
        points = a.points or [(0.0, 0.0)]
        index = [self.geometry.world_to_index(u * self.right + v * self.up + a.plane * self.normal) for u, v in points]
        k = int(np.rint(index[0][2]))
        if not 0 <= k < self.slice_count or self.members[0 if self.frame_order else k].header is None:
            return f"{a.kind} at {a.plane:.1f} mm: outside the acquired slices"
        pixel_points = [(float(i[0]), float(i[1])) for i in index] if a.points else []
        if self.frame_order:
            return Placed(0, pixel_points, self.frame_order[k] + 1)
        return Placed(k, pixel_points)

    @property
    def slice_count(self) -> int:
        """The acquired slices: a multi-frame volume's frames, else its instances."""
        return len(self.frame_order) or len(self.members)

    def volume_slice(self, placed: Placed) -> int:
        """The slice of the volume (in the loader's order) a mark placed on the acquired plane lies on."""
        return self.frame_order.index(placed.frame - 1) if self.frame_order and placed.frame else placed.instance

    def unplace(self, uid: str, pixel_points: list[tuple[float, float]],
                frame_number: int | None = None) -> tuple[str, list[tuple[float, float]], float] | None:
        """The other way: a mark on the image ``uid`` (pixel points; ``frame_number``, 1-based, in
        a multi-frame one) as the study database keeps it, ``(image, points, plane)``; None when
        ``uid`` is not one of the series' images, or the frame not one the window shows."""
        n = self.index_of(uid)
        if n is None:
            return None
        if self.film:
            frame = (frame_number or 1) - 1
            if (n, frame) not in self.places:
                return None
            return f"film {self.places.index((n, frame))}", list(pixel_points), 0.0
        k = float(n)
        if self.frame_order:  # a frame of a multi-frame volume: its slice
            if frame_number is None or frame_number - 1 not in self.frame_order:
                return None  # the whole object, or no frame of it: no one slice to keep it on
            k = float(self.frame_order.index(frame_number - 1))
        worlds = [self.geometry.index_to_world((c, r, k)) for c, r in pixel_points or [(0.0, 0.0)]]
        points = [(float(w @ self.right), float(w @ self.up)) for w in worlds] if pixel_points else []
        return self.plane_name, points, float(worlds[0] @ self.normal)

    def sphere_of(self, axes: np.ndarray) -> StoredAnnotation:
        """A sphere written as an ELLIPSOID (its three axes' ends, patient mm) kept as the window
        keeps one drawn on the series' first plane: its centre and a point on its edge to the right."""
        centre, half_axes = ellipsoid_axes(axes)
        radius = float(np.linalg.norm(half_axes[:, 0]))
        u, v = float(centre @ self.right), float(centre @ self.up)
        return StoredAnnotation(SPHERE, [(u, v), (u + radius, v)], "", float(centre @ self.normal))

    def frames_shown(self, uid: str) -> list[int | None]:
        """The frames (1-based) of the image ``uid`` that the window shows, in its order: every
        frame of a multi-frame one; [None] for a single-frame image (or one not in the series)."""
        n = self.index_of(uid)
        if n is None:
            return [None]
        if self.film:
            frames: list[int | None] = [frame + 1 for instance, frame in self.places if instance == n]
            return frames if self.series.instances[n].frames > 1 else [None]
        return [f + 1 for f in self.frame_order] if self.frame_order else [None]

    def index_of(self, uid: str) -> int | None:
        """The index of the image ``uid`` in the series (a film) or volume order; None if not one of them."""
        if not hasattr(self, "_by_uid"):
            instances = self.series.instances if self.film else self.members
            self._by_uid = {str(i.header.get("SOPInstanceUID", "")): n for n, i in enumerate(instances) if i.header is not None}
        return self._by_uid.get(uid)

    def header(self, n: int) -> Dataset:
        header = (self.series.instances if self.film else self.members)[n].header
        assert header is not None
        return header

    def film_of(self, placed: Placed) -> Film:
        """The film (the frame of a cine) a mark was placed on, of a film series."""
        return load_film_frames(self.series, placed.instance, all_frames=placed.frame is not None)[(placed.frame or 1) - 1]

    def values(self, placed: Placed) -> np.ndarray:
        """The modality values of the image (the frame) a mark was placed on."""
        if self.film:
            return self.film_of(placed).values
        if placed.frame is not None:
            ds = read_dataset(self.members[0].path)
            stored = stored_pixels(ds, self.members[0].path)
            return modality_values(ds, stored[placed.frame - 1], frame=placed.frame - 1)
        return _slice_values(self.members[placed.instance])


def _peak_volume(series: Series, placer: ImagePlacer, loaded: Volume | None) -> Volume | None:
    """The PET volume in SUVbw to find an ROI's SUVpeak in (the sphere reaches the slices above and
    below), as the view loads it (``loaded``: the window's, already in memory); None where its
    slices are not the placer's one by one (a resampled stack) or it is not in SUVbw. A
    multi-frame PET's slices are its frames in the placer's frame order (the loader's)."""
    from ..viewer.loading import load_volume

    if placer.slice_count < 2:
        return None
    volume = loaded if loaded is not None else load_volume(series)
    if volume.resampled or volume.shape[0] != placer.slice_count or volume.unit != "SUVbw":
        return None
    return volume


def roi_peak(volume: Volume, k: int, kind: str, points: list[tuple[float, float]]) -> float | None:
    """The SUVpeak of an ROI drawn on slice ``k`` of ``volume`` (pixel points), its sphere centres
    the pixels the view counts (viewer.uptake_peak)."""
    rr, cc = roi_pixels(kind, points, *volume.shape[1:])
    centres = np.stack([np.full(rr.size, k), rr, cc], axis=1)
    if volume.padding is not None and len(centres):
        centres = centres[~volume.padding.mask(volume.array[k, centres[:, 1], centres[:, 2]])]
    return peak_mean(volume.array, volume.geometry, centres, volume.padding)


def series_marks(catalog: StudyCatalog, series: Series, volume: Volume | None = None,
                 ) -> tuple[list[ImageMark | PlaneMark | VolumeMark], list[str]]:
    """The series' lengths, angles and ROIs on its own images and on its volume's reformatted
    planes, its sphere VOIs in its volume, and what was left out (said). ``volume``: the series as
    the window loaded it, where it has (a PET's SUVpeak, a reformat's ROI and a sphere need the
    whole volume: not read twice)."""
    kept = load_series_annotations(catalog, series.uid)
    stored = [(image, a) for image, a in kept if a.kind in MEASURED]
    spheres = [(image, a, finding_of(image, a)) for image, a in kept if a.kind == SPHERE]
    marks: list[ImageMark | PlaneMark | VolumeMark] = []
    left_out: list[str] = []
    reformats: list[tuple[str, StoredAnnotation, str]] = []
    if stored:
        placer = ImagePlacer(series)
        acquired, reformats = _split(placer, stored)
        planar, left_out = _measured(acquired, series, volume, placer)
        marks += planar
    left_out += [f"the cardiothoracic ratio on {image}: not written (a TID 1500 report here holds lengths, angles "
                 "and regions; Tools → Insert measurements puts it in the report's text)"
                 for image, a in kept if a.kind == CARDIOTHORACIC]
    left_out += [f"the reader's calibration of {image} ({a.text} mm known length): the report's sizes use the "
                 "image's own pixel size (or pixels where it states none)" for image, a in kept if a.kind == CALIBRATION]
    if (spheres or reformats) and series.kind != "film":
        from ..viewer.loading import load_volume

        volume = volume if volume is not None else load_volume(series)
        more, reasons = _in_patient_space(reformats, spheres, volume.geometry, series, volume)
        marks, left_out = [*marks, *more], left_out + reasons
    return marks, left_out


def _split(placer: ImagePlacer, stored: list[tuple[str, StoredAnnotation]],
           ) -> tuple[list[tuple[str, StoredAnnotation]], list[tuple[str, StoredAnnotation, str]]]:
    """``stored`` marks on the series' own images, and those on its reformatted planes with their finding."""
    return ([(image, a) for image, a in stored if not placer.is_reformat(image)],
            [(image, a, finding_of(image, a)) for image, a in stored if placer.is_reformat(image)])


def _in_patient_space(reformats: list[tuple[str, StoredAnnotation, str]], spheres: list[tuple[str, StoredAnnotation, str]],
                      drawn_on: Geometry, series: Series, volume: Volume,
                      ) -> tuple[list[PlaneMark | VolumeMark], list[str]]:
    """Marks on reformatted planes and sphere VOIs drawn on a volume of geometry ``drawn_on``,
    measured in ``series`` (read as ``volume``), and what was left out."""
    on_planes, reasons = plane_marks(reformats, drawn_on, series, volume)
    spheres_measured, more_reasons = sphere_marks(spheres, drawn_on, series, volume)
    return [*on_planes, *spheres_measured], reasons + more_reasons


def report_marks(catalog: StudyCatalog, series: Series, volume: Volume | None = None,
                 fused: tuple[Series, Volume | None] | None = None,
                 ) -> tuple[list[ImageMark | PlaneMark | VolumeMark], list[str], list[Dataset]]:
    """What the TID 1500 report of ``series`` holds: its marks (:func:`series_marks`) and, with a
    series laid over it (``fused``: the series and its volume as read, if it has been), its ROIs
    measured there too (:func:`fused_marks`); what was left out; and the evidence, the headers
    of both series."""
    marks, left_out = series_marks(catalog, series, volume)
    evidence = [i.header for i in series.instances if i.header is not None]
    if fused is not None:
        more, reasons = fused_marks(catalog, series, *fused, own_volume=volume)
        marks, left_out = marks + more, left_out + reasons
        evidence += [i.header for i in fused[0].instances if i.header is not None]
    return marks, left_out, evidence


def fused_marks(catalog: StudyCatalog, series: Series, fused: Series, fused_volume: Volume | None = None,
                own_volume: Volume | None = None) -> tuple[list[ImageMark | PlaneMark | VolumeMark], list[str]]:
    """The ROIs drawn on ``series`` (a CT) measured in ``fused`` (its PET, laid over it: View →
    Fusion) as the fused pane shows them: each region on the PET slice nearest its plane, in that
    slice's pixel coordinates, with the PET's values (SUVbw, SUVpeak), each mark's ``finding`` its
    ROI's on ``series`` (the report tracks the two as one finding). Only where the two series
    share a Frame of Reference (C.7.4.1), and for ROIs on the acquired slices only where the two
    series' acquired slices share one plane: else those ROIs are left out, said. Its ROIs on
    reformatted planes and its sphere VOIs likewise, in patient coordinates (the frame alone
    places them)."""
    kept = load_series_annotations(catalog, series.uid)
    rois = [(image, a) for image, a in kept if a.kind in ROI_KINDS]
    spheres = [(image, a, finding_of(image, a)) for image, a in kept if a.kind == SPHERE]
    if not rois and not spheres:
        return [], []
    frames = {str(i.header.get("FrameOfReferenceUID", "")) for s in (series, fused) for i in s.instances
              if i.header is not None}
    if len(frames) != 1 or "" in frames:
        return [], [f"{fused.label()}: not in the frame of reference of {series.label()} (its ROIs are not measured in it)"]
    own = ImagePlacer(series)
    rois, reformats = _split(own, rois)
    marks: list[ImageMark | PlaneMark | VolumeMark] = []
    left_out: list[str] = []
    if spheres or reformats:
        from ..viewer.loading import load_volume

        drawn_on = (own_volume if own_volume is not None else load_volume(series)).geometry
        fused_volume = fused_volume if fused_volume is not None else load_volume(fused)
        in_space, left_out = _in_patient_space(reformats, spheres, drawn_on, fused, fused_volume)
        marks += in_space
    if not rois:
        return marks, left_out
    other = ImagePlacer(fused)
    if own.film or other.film or own.plane_name != other.plane_name or not (
            np.allclose(own.normal, other.normal, atol=1e-4) and np.allclose(own.up, other.up, atol=1e-4)):
        return marks, left_out + [f"{fused.label()}: its slices do not lie in the plane of {series.label()}'s (its "
                                  "ROIs are not measured in it)"]
    planar, reasons = _measured(rois, fused, fused_volume, other)
    return marks + planar, left_out + reasons


def finding_of(image: str, a: StoredAnnotation) -> str:
    """One mark's identity in a study (its image, plane, kind and points): the measurement groups
    of one ROI in its own series and in one laid over it are one finding."""
    return f"{image}|{a.plane:.3f}|{a.kind}|" + ";".join(f"{u:.3f},{v:.3f}" for u, v in a.points)


def _measured(stored: list[tuple[str, StoredAnnotation]], series: Series, volume: Volume | None,
              placer: ImagePlacer | None = None) -> tuple[list[ImageMark], list[str]]:
    """The ``stored`` marks placed on ``series``' images and measured there (its values, a PET's
    in SUVbw with its SUVpeak), and what was left out (said)."""
    marks: list[ImageMark] = []
    left_out: list[str] = []
    placer = placer or ImagePlacer(series)
    suv, peak_volume = None, None
    if series.modality.upper() == "PT" and not placer.film:  # read in SUVbw, as the view reads the volume
        suv, _ = suv_factor([m.header for m in placer.members if m.header is not None])
        if suv is not None and any(a.kind in ROI_KINDS for _, a in stored):
            peak_volume = _peak_volume(series, placer, volume)
    for image, a in stored:
        placed = placer.place(image, a)
        if isinstance(placed, str):
            left_out.append(placed)
            continue
        header = placer.header(placed.instance)
        shown, aspect = None, 1.0
        if placer.film:  # the film (the frame) it was drawn on
            film = placer.film_of(placed)
            values, spacing, padding, aspect = film.values, film.spacing, film.padding, film.aspect
            shown = film.shutter.shown if film.shutter is not None else None  # as the view measures, the shutter shown
        else:
            values = placer.values(placed) if a.kind in ROI_KINDS else np.zeros((1, 1))
            spacing = (float(placer.geometry.spacing[1]), float(placer.geometry.spacing[0]))  # (row, column) mm
            padding = pixel_padding(header, (placed.frame or 1) - 1)
        measured = _values(a.kind, placed.points, values, spacing, series.modality.upper(), padding, shown, suv, aspect)
        if peak_volume is not None and a.kind in ROI_KINDS and measured.get("suv") is not None:
            measured["suv_peak"] = peak = roi_peak(peak_volume, placer.volume_slice(placed), a.kind, placed.points)
            ratio = peak_volume.sul_per_suv
            measured["sul_peak"] = peak * ratio if peak is not None and ratio is not None else None
        marks.append(ImageMark(a.kind, placed.points, header, frame=placed.frame,
                               finding=finding_of(image, a), **measured))  # type: ignore[arg-type]
    return marks, left_out


def series_graphics(catalog: StudyCatalog, series: Series) -> tuple[list[GraphicMark], list[str]]:
    """The series' arrows and texts as ``(image header, kind, pixel points, text, frame number)``
    (the frame, 1-based, in a multi-frame image; else None), and what was left out, for a
    presentation state (GSPS)."""
    placer = ImagePlacer(series)
    out, left_out = [], []
    for image, a in load_series_annotations(catalog, series.uid):
        if a.kind not in ("arrow", "text"):
            continue
        placed = placer.place(image, a)
        if isinstance(placed, str):
            left_out.append(placed)
            continue
        out.append((placer.header(placed.instance), a.kind, placed.points, a.text, placed.frame))
    return out, left_out


def shown_windows(series: Series, marks: list[GraphicMark]) -> dict[str, Window]:
    """The window by SOP Instance UID of each legacy multi-frame image the marks lie on that
    states no window: the window Lightbox showed it with (a volume's: the automatic window of its
    middle slice; a cine's: the one over all its frames), for the presentation state to give."""
    placer = ImagePlacer(series)
    windows: dict[str, Window] = {}
    for header, *_ in marks:
        uid = str(header.get("SOPInstanceUID", ""))
        if (uid in windows or int(header.get("NumberOfFrames", 1) or 1) < 2 or "WindowCenter" in header
                or "SharedFunctionalGroupsSequence" in header):
            continue
        if placer.film:
            instance = placer.index_of(uid)
            assert instance is not None  # the marks lie on the series' own images
            window = load_film_frames(series, instance)[0].window  # all frames: a cine's one window
        else:
            middle = placer.frame_order[len(placer.frame_order) // 2] + 1 if placer.frame_order else None
            window = auto_window(placer.values(Placed(0, [], middle)))
        windows[uid] = window
    return windows


def series_key_images(catalog: StudyCatalog, series: Series) -> tuple[list[Dataset], dict[str, list[int]]]:
    """The headers of the series' images flagged as key images (films by place, acquired slices
    by position), in series order, and by SOP Instance UID the flagged frames of a multi-frame one."""
    flagged = [(image, a) for image, a in load_series_annotations(catalog, series.uid) if a.kind == "key"]
    if not flagged:
        return [], {}
    placer = ImagePlacer(series)
    placed = [p for p in (placer.place(image, a) for image, a in flagged) if not isinstance(p, str)]
    headers = [placer.header(n) for n in sorted({p.instance for p in placed})]
    frames: dict[str, list[int]] = {}
    for p in placed:
        if p.frame is not None:
            frames.setdefault(str(placer.header(p.instance).SOPInstanceUID), []).append(p.frame)
    return headers, frames


def marks_from_archive(documents: list, series: Series) -> list[tuple[str, StoredAnnotation]]:
    """The marks that documents found beside the images (``StudyIndex.documents``) place on this
    series' images, as the study database keeps them: lengths, angles and ROIs from TID 1500 measurement
    reports and arrows and texts from presentation states Lightbox wrote (another system's are
    shown as theirs, not taken as the reader's marks), key images from Key Object Selections."""
    from pydicom import dcmread

    from ..dicomreports.key_images import referenced_frames
    from ..dicomreports.measurements import read_measurements, read_plane_measurements, read_volume_measurements
    from ..dicomreports.pixel_coordinates import written_by_lightbox
    from ..dicomreports.presentation import PRESENTATION_STATES, read_graphics

    try:
        placer = ImagePlacer(series)
    except ValueError:  # its images' geometry cannot be read: nothing can be placed on them
        return []
    found: list[tuple[str, StoredAnnotation]] = []

    def add(uid: str, kind: str, pixel_points: list[tuple[float, float]], text: str = "", frame: int | None = None) -> None:
        placed = placer.unplace(uid, pixel_points, frame)
        if placed is not None:
            found.append((placed[0], StoredAnnotation(kind, placed[1], text, placed[2])))

    for path, header in documents:
        sop_class = str(header.get("SOPClassUID", ""))
        before = len(found)
        try:
            if sop_class == "1.2.840.10008.5.1.4.1.1.88.59":  # Key Object Selection
                for uid, frame in referenced_frames(dcmread(path)):
                    # no frame named: the reference applies to every frame of a multi-frame image
                    # (Referenced Frame Number is required only "if the reference does not apply
                    # to all frames", PS3.3 Table 10-3), so each frame the window shows is flagged
                    for each in [frame] if frame is not None else placer.frames_shown(uid):
                        add(uid, "key", [], frame=each)
            elif sop_class in ("1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34") \
                    and written_by_lightbox(header):
                # another system's report is another reader's: shown as theirs (View → Presentation
                # state), never made this reader's marks (saved again they would carry this name)
                report = dcmread(path)
                for identifier, uid, points, _values, frame in read_measurements(report):
                    kind = _kind_of(identifier, points)
                    if kind is not None:
                        add(uid, kind, _corners(kind, points), frame=frame)
                for _, source, axes, _ in read_volume_measurements(report) if not placer.film else []:
                    if source == series.uid:  # a sphere VOI measured in this series
                        found.append((placer.plane_name, placer.sphere_of(axes)))
                reformats, frames = placer.reformat_planes, frames_of_reference(series)
                for identifier, frame_uid, _, region, _ in read_plane_measurements(report) if reformats else []:
                    where = on_plane(identifier, region, reformats, placer.geometry) if frame_uid in frames else None
                    kind = _kind_of(identifier, where[1]) if where is not None else None
                    if where is not None and kind is not None:  # a mark drawn on a reformatted plane
                        found.append((where[0], StoredAnnotation(kind, _corners(kind, where[1]), "", where[2])))
            elif sop_class in PRESENTATION_STATES and written_by_lightbox(header):
                # another system's state is a colleague's view, shown as it is (View → Presentation
                # state), never made this reader's own marks (they would be saved under this name)
                for uid, kind, points, text, frame in read_graphics(dcmread(path)):
                    add(uid, kind, points, text, frame)
        except Exception:  # noqa: BLE001 - a damaged document (a value cut short) adds nothing; the others still do
            del found[before:]
    return found


def _kind_of(identifier: str, points: list[tuple[float, float]]) -> str | None:
    word = identifier.split()[0].lower() if identifier else ""
    if word in MEASURED:
        return word
    if len(points) == 2:
        return "length"
    if len(points) == 4:
        return "ellipse"
    if len(points) == 5 and points[0] == points[-1] and len({p[0] for p in points}) == 2 == len({p[1] for p in points}):
        return "rectangle"  # a closed box along the image's rows and columns
    if len(points) > 3 and points[0] == points[-1]:  # another closed outline: a freehand region
        return FREEHAND
    return None


def _corners(kind: str, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Two opposite corners of the box of an ellipse (its 4 axis ends) or a rectangle (its closed
    polyline), a length's two ends, or an angle's points, as Lightbox keeps them."""
    if kind == "length":
        return points[:2]
    if kind in ("angle", "cobb"):
        return points
    if kind == FREEHAND:  # its outline, without the point that closes it
        return points[:-1] if len(points) > 3 and points[0] == points[-1] else points
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [(min(xs), min(ys)), (max(xs), max(ys))]
