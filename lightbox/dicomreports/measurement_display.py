"""Another reader's measurement report (PS3.16 TID 1500, from another system: OHIF, a PACS) shown
as theirs: each planar ROI group's region on the image it references, with its values in words,
as a read-only view of the image (:class:`.presentation_display.ImagePresentation`) that the
window's View → Presentation state offers beside the presentation states.

Not imported as the reader's own marks: saved again in the reader's report they would carry the
reader's name as their observer (TID 1002), which they are not.

A length or an area is shown as written, and measured again on the region with the pixel size
Lightbox gives the image (viewer.calibration): where the two differ (another system took the
detector's Imager Pixel Spacing where Lightbox corrects for magnification, PS3.3 10.7.1, or a
mis-calibrated export), both are shown, "Length 5.0 mm" over "(3.0 mm by this image's Pixel Spacing)",
so that a reader comparing a prior's lengths with today's knows which scale each is on.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from ..viewer.calibration import frame_calibration
from ..viewer.measure import length
from ..viewer.pixels import element_values, readable_value
from .pixel_coordinates import from_dicom
from .presentation_display import ImagePresentation, StateGraphic
from .scoord3d import ImagePlane, ellipsoid_section, image_plane, planar_region

MEASUREMENT_REPORTS = ("1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34")  # Comprehensive, 3D SR
UNIT_WORDS = {"mm": "mm", "mm2": "mm²", "cm": "cm", "cm2": "cm²", "[hnsf'U]": "HU", "{SUVbw}g/ml": "SUVbw",
              "deg": "°", "1": ""}
# (concept, unit) pairs whose unit's word says what was measured: Attenuation Coefficient in HU,
# SUVbw in {SUVbw}g/ml
UNIT_NAMES_CONCEPT = {("112031", "[hnsf'U]"), ("126401", "{SUVbw}g/ml")}
COBB_ANGLE = "285285000"  # SCT Cobb angle (PS3.16 CID 7550): its region is two lines' four ends
REGION_KINDS = {"POLYLINE": "POLYLINE", "ELLIPSE": "ELLIPSE", "CIRCLE": "CIRCLE", "POINT": "POINT",
                "MULTIPOINT": "POINT"}


def is_measurement_report(header: Dataset) -> bool:
    return str(readable_value(header, "SOPClassUID") or "") in MEASUREMENT_REPORTS and \
        _template(header) in ("1500", "")


def _template(header: Dataset) -> str:
    templates = readable_value(header, "ContentTemplateSequence") or []
    return str(readable_value(templates[0], "TemplateIdentifier") or "") if templates else ""


def report_references_image(header: Dataset, uid: str) -> bool:
    """Whether the report's evidence (Current Requested Procedure Evidence, PS3.3 C.17.2) lists ``uid``."""
    for study in readable_value(header, "CurrentRequestedProcedureEvidenceSequence") or []:
        for series in readable_value(study, "ReferencedSeriesSequence") or []:
            for reference in readable_value(series, "ReferencedSOPSequence") or []:
                if str(readable_value(reference, "ReferencedSOPInstanceUID") or "") == uid:
                    return True
    return False


def observer_name(report: Dataset) -> str:
    """The Person Observer Name (DCM 121008) of the report's observation context, as written."""
    for item in readable_value(report, "ContentSequence") or []:
        code = (readable_value(item, "ConceptNameCodeSequence") or [None])[0]
        if code is not None and str(readable_value(code, "CodeValue") or "") == "121008":
            return str(readable_value(item, "PersonName") or "").replace("^", " ").strip()
    return ""


LENGTH_CODE, AREA_CODE = "410668003", "42798000"  # SCT Length (mm), Area (mm2): as Lightbox writes them
SOURCE_WORDS = {"PixelSpacing": "Pixel Spacing", "ImagerPixelSpacing": "Imager Pixel Spacing",
                "ERMF": "magnification-corrected pixel size", "SequenceOfUltrasoundRegions": "ultrasound regions"}


def image_scale(image: Dataset, frame: int | None) -> tuple[tuple[float, float], str] | None:
    """The image's pixel size (row, column mm) as Lightbox measures with it, and where it comes
    from in words; None when uncalibrated."""
    try:
        calibration = frame_calibration(image, (frame or 1) - 1)
    except Exception:  # noqa: BLE001 - a pixel size damaged past reading: the values shown as written
        return None
    if calibration.spacing is None:
        return None
    return calibration.spacing, SOURCE_WORDS.get(calibration.source, calibration.source or "pixel size")


def measured_here(code: str, unit: str, shape: str, points: list[tuple[float, float]],
                  spacing: tuple[float, float]) -> float | None:
    """A length (mm) of a two-point line, or an area (mm²) of an ellipse (its axes' four ends) or
    a closed polyline (the shoelace formula), on pixels ``spacing`` (row, column mm) in size;
    None for what is not such a value."""
    if code == LENGTH_CODE and unit == "mm" and shape == "POLYLINE" and len(points) == 2:
        return length(points, spacing)[0]  # as the reader's own lengths are measured
    sy, sx = spacing
    mm = [(x * sx, y * sy) for x, y in points]
    if code == AREA_CODE and unit == "mm2":
        if shape == "ELLIPSE" and len(mm) == 4:
            return math.pi * math.dist(mm[0], mm[1]) / 2 * math.dist(mm[2], mm[3]) / 2
        if shape == "POLYLINE" and len(mm) >= 4 and points[0] == points[-1]:
            return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(mm, mm[1:], strict=False))) / 2
    return None


def _words(item: Dataset) -> str:
    """"Length 12.3 mm" of a NUM item, its derivation first; where the unit names the quantity
    (HU an attenuation, SUVbw an uptake: CID 7180's and CID 85's concepts) the derivation alone,
    "Mean 35.0 HU" rather than "Mean Attenuation Coefficient 35.0 HU", as a reader labels an ROI."""
    concept = item.ConceptNameCodeSequence[0]
    name = str(readable_value(concept, "CodeMeaning") or "")
    measured = item.MeasuredValueSequence[0]
    value = float(measured.NumericValue)
    unit = str(readable_value(measured.MeasurementUnitsCodeSequence[0], "CodeValue") or "")
    for modifier in readable_value(item, "ContentSequence") or []:
        if str(readable_value(modifier.ConceptNameCodeSequence[0], "CodeValue") or "") == "121401":  # Derivation
            derivation = str(modifier.ConceptCodeSequence[0].CodeMeaning)
            named_by_unit = (str(readable_value(concept, "CodeValue") or ""), unit) in UNIT_NAMES_CONCEPT
            name = derivation if named_by_unit else f"{derivation} {name}"
    word = UNIT_WORDS.get(unit, unit)
    return f"{name} {value:.1f}{' ' + word if word and word != '°' else word}"


def measurement_presentation(report: Dataset, image: Dataset, frame: int | None = None,
                             series_frames: frozenset[str] = frozenset()) -> ImagePresentation | None:
    """The regions and values ``report`` places on ``image`` (frame ``frame``), or None when it
    places none there. Raises ValueError on a report too damaged to read.

    A region in patient coordinates is placed when its frame of reference is the image's or one
    of ``series_frames``, those the image's series names: a series has one frame of reference
    (PS3.3 C.7.4.1), but a de-identified one may give each slice its own (the LIDC CT does), and
    a region measured on one slice of it lies in the whole series' space."""
    try:
        return _measurement_presentation(report, image, frame, series_frames)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a value damaged past reading: said
        raise ValueError(f"the measurement report cannot be read ({type(exc).__name__}: {exc})") from exc


def _measurement_presentation(report: Dataset, image: Dataset, frame: int | None,
                              series_frames: frozenset[str]) -> ImagePresentation | None:
    uid = str(readable_value(image, "SOPInstanceUID") or "")
    scale = image_scale(image, frame)
    graphics: list[StateGraphic] = []
    notes: list[str] = []
    plane = image_plane(image, frame)  # where regions given in patient coordinates go
    for group in _groups(report):
        if group.region is not None:
            placed = _on_image(group.region, report, uid, frame, notes)
        elif group.region_3d is not None:
            placed = _in_patient_space(group.region_3d, plane, series_frames, notes)
        else:
            continue
        if placed is None:
            continue
        shape, points = placed
        words = group.words
        if scale is not None:
            words = [_checked(text, item, shape, points, scale) for text, item in zip(words, group.numbers, strict=True)]
        graphics += region_graphics(shape, points, words, group.concepts)
    if not graphics:
        return None
    return report_presentation(report, graphics, notes)


def report_presentation(report: Dataset, graphics: list[StateGraphic] | None = None,
                        notes: list[str] | None = None) -> ImagePresentation:
    """The report as a read-only view ("MEASUREMENTS - by NAME (NAME, date)"), with ``graphics``."""
    observer = observer_name(report)
    return ImagePresentation(label="MEASUREMENTS", description=f"by {observer}" if observer else "another reader's",
                             creator=observer, created=str(readable_value(report, "ContentDate") or ""), kind="SR",
                             graphics=tuple(graphics or ()), not_applied=tuple(dict.fromkeys(notes or [])))


def region_graphics(shape: str, points: list[tuple[float, float]], words: list[str],
                    concepts: set[str]) -> list[StateGraphic]:
    """A region placed on a plane (``shape`` as :func:`_in_patient_space` gives it; its points in the
    plane's coordinates) as graphics, its values in words beside its right end."""
    drawn: list[Any] = [StateGraphic(REGION_KINDS[shape], (p,)) for p in points] if shape == "MULTIPOINT" \
        else [StateGraphic(REGION_KINDS.get(shape, "ELLIPSE"), tuple(points))]  # ELLIPSOID: its cut
    if COBB_ANGLE in concepts and shape == "POLYLINE" and len(points) == 4:
        # the two endplate lines, not a zigzag through them (dcmjs writes a Cobb angle so)
        drawn = [StateGraphic("POLYLINE", tuple(points[:2])), StateGraphic("POLYLINE", tuple(points[2:]))]
    if words:  # the values beside the region's right end, a value a line; its second point: the
        # other side (its left end), where the values go when they would pass the pane's right edge
        right = max(points, key=lambda p: p[0])
        left = min(p[0] for p in points)
        drawn.append(StateGraphic("TEXT", ((right[0] + 3.0, right[1]),), "\n".join(words), other_side=(left - 3.0, right[1])))
    return drawn


@dataclass
class _Group:
    """One measurement group of a TID 1500 report: its region (SCOORD on an image, or SCOORD3D in
    patient mm) and its values (NUM items, in words and as read)."""

    region: Dataset | None = None
    region_3d: Dataset | None = None
    words: list[str] = field(default_factory=list)
    concepts: set[str] = field(default_factory=set)
    numbers: list[Dataset] = field(default_factory=list)


def _groups(report: Dataset) -> Iterator[_Group]:
    """The measurement groups under the report's Imaging Measurements (DCM 126010)."""
    for container in readable_value(report, "ContentSequence") or []:
        if str(readable_value(container.ConceptNameCodeSequence[0], "CodeValue") or "") != "126010":
            continue
        for item_group in readable_value(container, "ContentSequence") or []:
            group = _Group()
            for item in readable_value(item_group, "ContentSequence") or []:
                kind = str(readable_value(item, "ValueType") or "")
                if kind == "SCOORD":
                    group.region = item
                elif kind == "SCOORD3D":
                    group.region_3d = item
                elif kind == "NUM":
                    group.words.append(_words(item))
                    group.concepts.add(str(readable_value(item.ConceptNameCodeSequence[0], "CodeValue") or ""))
                    group.numbers.append(item)
            yield group


def report_ellipsoids(report: Dataset, frames_of_reference: frozenset[str]) -> list[tuple[np.ndarray, str]]:
    """The report's ellipsoid volumes (TID 1411's Volume Surface, SCOORD3D ELLIPSOID) in one of
    ``frames_of_reference``, each as its axes' six ends (6 x 3 patient mm) and its values in words:
    for the planes that cut a volume anywhere (a reformat's), where the acquired slices take theirs
    from :func:`measurement_presentation`. Raises ValueError on a report too damaged to read."""
    try:
        out: list[tuple[np.ndarray, str]] = []
        for group in _groups(report):
            region = group.region_3d
            if region is None or str(readable_value(region, "GraphicType") or "") != "ELLIPSOID" or \
                    str(readable_value(region, "ReferencedFrameOfReferenceUID") or "") not in frames_of_reference:
                continue
            data = _patient_coordinates(region)
            if len(data) == 18:  # one that is not is said by measurement_presentation, on the acquired slices
                out.append((data.reshape(6, 3), "\n".join(group.words)))
        return out
    except Exception as exc:  # noqa: BLE001 - a value damaged past reading: said
        raise ValueError(f"the measurement report cannot be read ({type(exc).__name__}: {exc})") from exc


def report_planar_regions(report: Dataset, frames_of_reference: frozenset[str],
                          ) -> list[tuple[str, np.ndarray, list[str], set[str]]]:
    """The report's planar regions given in patient coordinates (TID 1410 as SCOORD3D: POINT,
    MULTIPOINT, POLYLINE, POLYGON, ELLIPSE) in one of ``frames_of_reference``: each as its graphic
    type, its points (N x 3 patient mm), its values in words and its concepts' codes; for the panes
    of planes the acquired slices are not (a coronal region of an axial CT: another reader measured
    on a reformat), where those slices take theirs from :func:`measurement_presentation`, which
    says which ones cannot be read. Raises ValueError on a report too damaged to read."""
    try:
        out: list[tuple[str, np.ndarray, list[str], set[str]]] = []
        for group in _groups(report):
            region = group.region_3d
            shape = str(readable_value(region, "GraphicType") or "") if region is not None else ""
            if region is None or shape not in (*REGION_KINDS, "POLYGON") or \
                    str(readable_value(region, "ReferencedFrameOfReferenceUID") or "") not in frames_of_reference:
                continue
            data = _patient_coordinates(region)
            if len(data) and not len(data) % 3 and np.all(np.isfinite(data)):
                out.append((shape, data.reshape(-1, 3), list(group.words), set(group.concepts)))
        return out
    except Exception as exc:  # noqa: BLE001 - a value damaged past reading: said
        raise ValueError(f"the measurement report cannot be read ({type(exc).__name__}: {exc})") from exc


def _on_image(region: Dataset, report: Dataset, uid: str, frame: int | None, notes: list[str],
              ) -> tuple[str, list[tuple[float, float]]] | None:
    """A SCOORD region (C.18.6) on the image ``uid`` (frame ``frame``): its shape and points in
    Lightbox's pixel coordinates; None when it references another image or frame, or cannot be
    drawn (said in ``notes``)."""
    reference = region.ContentSequence[0].ReferencedSOPSequence[0]
    frames = [int(f) for f in element_values(readable_value(reference, "ReferencedFrameNumber"))]
    if str(readable_value(reference, "ReferencedSOPInstanceUID") or "") != uid or \
            (frames and frame is not None and frame not in frames):
        return None
    shape = str(readable_value(region, "GraphicType") or "")
    if shape not in REGION_KINDS:
        notes.append(f"a region of type {shape or 'unstated'!r}")
        return None
    data = [float(v) for v in element_values(readable_value(region, "GraphicData"))]
    if not all(math.isfinite(v) for v in data):
        notes.append(f"a {shape} whose coordinates cannot be read")
        return None
    points = from_dicom(zip(data[0::2], data[1::2], strict=False), report)
    return (shape, points) if points else None


def _patient_coordinates(region: Dataset) -> np.ndarray:
    """A SCOORD3D's Graphic Data (x, y, z in patient mm, one point after another) as read."""
    return np.asarray([float(v) for v in element_values(readable_value(region, "GraphicData"))])


def _in_patient_space(region: Dataset, plane: ImagePlane | None, series_frames: frozenset[str], notes: list[str],
                      ) -> tuple[str, list[tuple[float, float]]] | None:
    """A SCOORD3D region (:mod:`.scoord3d`) on the image: its shape as drawn ("ELLIPSOID" for an
    ellipsoid's cut, an ellipse; a POLYGON closed as a POLYLINE) and its points; None when it is
    in another frame of reference, off the image's slab, or cannot be drawn (said in ``notes``)."""
    shape = str(readable_value(region, "GraphicType") or "")
    if plane is None:
        notes.append("regions in patient coordinates (the image states no plane to place them on)")
        return None
    if str(readable_value(region, "ReferencedFrameOfReferenceUID") or "") not in {plane.frame_of_reference, *series_frames}:
        return None  # measured on another series' frame of reference
    data = _patient_coordinates(region)
    if not len(data) or len(data) % 3 or not np.all(np.isfinite(data)):  # (a NaN was drawn as a gap in the outline)
        notes.append(f"a {shape or 'region'} whose patient coordinates cannot be read")
        return None
    points = data.reshape(-1, 3)
    if shape == "ELLIPSOID":
        if len(points) != 6:
            notes.append("an ELLIPSOID without its three axes' six ends")
            return None
        cut = ellipsoid_section(plane, points)
        return None if cut is None else ("ELLIPSOID", cut)
    if shape not in (*REGION_KINDS, "POLYGON"):
        notes.append(f"a region of type {shape or 'unstated'!r}")
        return None
    placed = planar_region(plane, points)
    return None if placed is None else as_drawn(shape, placed)  # None: on another slice


def as_drawn(shape: str, points: list[tuple[float, float]]) -> tuple[str, list[tuple[float, float]]]:
    """A planar SCOORD3D region placed on a plane, as drawn: a POLYGON as a closed POLYLINE (its
    first and last vertices are the same, C.18.9.1.2; one sent open is closed), the others as they are."""
    if shape == "POLYGON":
        return "POLYLINE", points if np.allclose(points[0], points[-1]) else [*points, points[0]]
    return shape, points


def _checked(text: str, item: Dataset, shape: str, points: list[tuple[float, float]],
             scale: tuple[tuple[float, float], str]) -> str:
    """``text`` ("Length 5.0 mm"), and what the region measures on this image's pixel size when
    that differs from it (beyond 1 % and the rounding of one decimal)."""
    code = str(readable_value(item.ConceptNameCodeSequence[0], "CodeValue") or "")
    measured = item.MeasuredValueSequence[0]
    unit = str(readable_value(measured.MeasurementUnitsCodeSequence[0], "CodeValue") or "")
    if readable_value(item, "ContentSequence"):  # a derived value (a mean, a maximum) is not the region's size
        return text
    here = measured_here(code, unit, shape, points, scale[0])
    written = float(measured.NumericValue)
    if here is None or abs(here - written) <= max(0.01 * abs(here), 0.05):
        return text
    return f"{text}\n({here:.1f} {UNIT_WORDS[unit]} by this image's {scale[1]})"  # a line of its own: the words stay short
