"""Which pixel size a film is measured with, and in which plane that size is true.

A projection radiograph is magnified: the X-ray beam diverges from the source, so an object
between source and detector casts a larger shadow than it is. DICOM says where a stated size holds
(PS3.3 10.7.1, "Pixel Spacing and Imager Pixel Spacing"):

* Imager Pixel Spacing (0018,1164) is the pixel size at the front face of the detector (10.7.1.1);
  measured with it, an object in the patient reads larger than it is (a PA chest about 10 %).
* Estimated Radiographic Magnification Factor (0018,1114; the DX Positioning Module, C.8.11.5) is
  the source-to-detector over the source-to-object distance; the detector's size divided by it is
  the size in the plane the modality estimated the object in. This is the correction cornerstone3D
  calls "ERMF" and what the IHE Mammography Image profile asks a display to offer.
* Pixel Spacing (0028,0030) on a projection image is the detector's size again when it equals
  Imager Pixel Spacing; when it differs it was calibrated (10.7.1.3), for the geometry or against
  an object of known size, and says so in Pixel Spacing Calibration Type (0028,0A02: GEOMETRY or
  FIDUCIAL) and its description (0028,0A04).

An ultrasound image states its pixel size per region (C.8.5.5); see :func:`ultrasound_spacing`.
The rule here decides the number used for every length, area and scale bar on a film, so each
outcome comes with a sentence for the window's warnings that says which plane it is true in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydicom.dataset import Dataset

Spacing = tuple[float, float]  # (row spacing, column spacing) in mm


@dataclass(frozen=True)
class Calibration:
    """A film's pixel size in mm (None: uncalibrated, measured in pixels), the attribute it came
    from (``source``: "PixelSpacing", "ImagerPixelSpacing", "ERMF", "SequenceOfUltrasoundRegions"
    or "") and what the user is told about it."""

    spacing: Spacing | None
    source: str = ""
    notes: list[str] = field(default_factory=list)


def usable_spacing(value: object) -> Spacing | None:
    """Two positive numbers (row, column), else None: a zero (as the NEMA WG04 films state), a
    single value or text is no pixel size (10.7.1.3: both values are required and non-zero)."""
    try:
        row, column = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    if row > 0 and column > 0 and math.isfinite(row) and math.isfinite(column):
        return row, column
    return None


def magnification_factor(ds: Dataset) -> float | None:
    """The Estimated Radiographic Magnification Factor when it is a usable one: SID / SOD is never
    below 1 (the object cannot lie behind the detector) and a factor of 10 would put the patient
    at the tube; None when absent or outside that."""
    value = ds.get("EstimatedRadiographicMagnificationFactor")
    try:
        factor = float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
    return factor if factor is not None and math.isfinite(factor) and 1.0 <= factor < 10.0 else None


def _close(a: Spacing, b: Spacing) -> bool:
    """Equal as written (DS values are decimal strings; 1e-6 mm is far below any pixel)."""
    return all(abs(x - y) <= 1e-6 for x, y in zip(a, b, strict=True))


def projection_calibration(ds: Dataset, pixel_spacing: Spacing | None) -> Calibration:
    """The pixel size of a film whose Pixel Spacing (top level or Pixel Measures functional group)
    is ``pixel_spacing``, by the rules of PS3.3 10.7.1 (see the module's docstring)."""
    imager = usable_spacing(ds.get("ImagerPixelSpacing"))
    factor = magnification_factor(ds)
    raw_factor = ds.get("EstimatedRadiographicMagnificationFactor")
    if pixel_spacing is not None and (imager is None or not _close(pixel_spacing, imager)):
        if imager is None:
            return Calibration(pixel_spacing, "PixelSpacing")
        kind = str(ds.get("PixelSpacingCalibrationType", "") or "").strip().upper()
        how = {"GEOMETRY": "for the geometric magnification",
               "FIDUCIAL": "against an object of known size"}.get(kind, "by the modality")
        described = str(ds.get("PixelSpacingCalibrationDescription", "") or "").strip()
        return Calibration(pixel_spacing, "PixelSpacing",
                           [f"calibrated {how}{f' ({described})' if described else ''}: "
                            f"{pixel_spacing[0]:g} mm pixels, {imager[0]:g} mm at the detector"])
    # here Pixel Spacing is absent or repeats Imager Pixel Spacing: the detector's size, or none
    detector = imager
    if detector is None:
        return Calibration(None, "", [])
    source = "ImagerPixelSpacing"
    if factor is not None:
        corrected = (detector[0] / factor, detector[1] / factor)
        return Calibration(corrected, "ERMF",
                           [f"sizes at the patient: the detector's {detector[0]:g} mm pixels divided by the "
                            f"estimated magnification {factor:g} (ERMF)"])
    notes = ["calibrated at the detector (ImagerPixelSpacing): sizes include geometric magnification"]
    if raw_factor is not None and raw_factor != "":
        notes.append(f"unusable Estimated Radiographic Magnification Factor {raw_factor!r}: sizes at the detector")
    return Calibration(detector, source, notes)


READER = "reader"  # a film's spacing_source when the reader calibrated it against an object of known size

# the plane a film's pixel size holds in, as the corner beside the size says it (sources not named
# here are sizes in the patient or, for a cross-section, simply the image's)
PLANE_WORDS = {"ERMF": "ERMF", "ImagerPixelSpacing": "at detector", READER: "by reader"}

SHORTEST_CALIBRATION_PX = 10.0  # a shorter line cannot be placed on an object's ends to a few per cent
READER_SPACING_MM = (0.01, 5.0)  # film pixel sizes outside this are a length mistyped (2500 for 25.00)


def line_pixels(points: list[tuple[float, float]], aspect: float) -> float:
    """The length of the line between ``points`` (image column, row) in column widths, a row being
    ``aspect`` of them high."""
    (c0, r0), (c1, r1) = points
    return math.hypot(c1 - c0, (r1 - r0) * aspect)


def known_length_spacing(points: list[tuple[float, float]], known_mm: float, aspect: float) -> Spacing:
    """The pixel size (row, column) in mm that makes the line between ``points`` ``known_mm`` long,
    the pixels' shape kept (``aspect``: a row's height over a column's width). This is the
    calibration PS3.3 10.7.1.3 calls FIDUCIAL (against an object of known size in the image: a
    calibration sphere, a ruler), made by the reader: it holds in the plane of that object only,
    as any calibration of a projection image does."""
    column = known_mm / line_pixels(points, aspect)
    return column * aspect, column


def known_length_problem(points: list[tuple[float, float]], known_mm: float, aspect: float) -> str:
    """Why a line and a known length cannot calibrate a film, in words; "" when they can."""
    if not (math.isfinite(known_mm) and known_mm > 0):
        return "the known length must be a positive number of millimetres"
    pixels = line_pixels(points, aspect)
    if pixels < SHORTEST_CALIBRATION_PX:
        return (f"the line is {pixels:.1f} pixels long: draw it along the whole object of known size "
                f"(at least {SHORTEST_CALIBRATION_PX:.0f} pixels)")
    column = known_mm / pixels
    low, high = READER_SPACING_MM
    if not low <= column <= high:
        return (f"{known_mm:g} mm over {pixels:.1f} pixels is {column:.4g} mm per pixel, which no radiograph has "
                f"({low:g} to {high:g}): check the length typed")
    return ""


def reader_spacing(points: list[tuple[float, float]], known_text: str, aspect: float) -> Spacing | None:
    """The pixel size a calibration line and its known length (as kept: the mm in words) give;
    None when they give none (a length that is no number, or one :func:`known_length_problem` refuses)."""
    try:
        known = float(known_text)
    except ValueError:
        return None
    return None if known_length_problem(points, known, aspect) else known_length_spacing(points, known, aspect)


def calibration_prompt(points: list[tuple[float, float]], aspect: float, own: Spacing | None, source: str,
                       replaced_mm: str = "") -> str:
    """What the reader is asked of a calibration line just drawn: how long it is in pixels and, where
    the image states a pixel size (``own``, from ``source``), in mm by it; ``replaced_mm``: the
    known length of the calibration it replaces."""
    (c0, r0), (c1, r1) = points
    plane = PLANE_WORDS.get(source, "")
    said = (f", {math.hypot((c1 - c0) * own[1], (r1 - r0) * own[0]):.1f} mm by the image's own pixel size"
            f"{f' ({plane})' if plane else ''}" if own is not None else ", and the image states no pixel size")
    replaces = f"\nIt replaces the calibration of {replaced_mm} mm." if replaced_mm else ""
    return f"The line is {line_pixels(points, aspect):.1f} pixels long{said}.{replaces}\nThe object's true length (mm):"


def reader_calibration_text(points: list[tuple[float, float]], aspect: float, known_text: str, column_mm: float) -> str:
    """A film's calibration by the reader in words, for the status bar."""
    return (f"Calibrated by reader: {line_pixels(points, aspect):.1f} px = {known_text} mm, {column_mm:.4f} mm per "
            "pixel; this film's lengths and areas use it (delete the calibration line to take it back)")

CENTIMETRES = 3  # PhysicalUnitsX/YDirection code for cm (PS3.3 C.8.5.5.1.15)
TISSUE_OR_FLOW_2D = 1  # RegionSpatialFormat: a 2D image region (C.8.5.5.1.1)


def ultrasound_spacing(ds: Dataset) -> tuple[Spacing | None, str]:
    """(row, column) spacing in mm from the Sequence of Ultrasound Regions (PS3.3 C.8.5.5), and a
    note for the user. Only 2D regions calibrated in cm count (a Doppler strip's axes are time and
    velocity); when such regions disagree there is no one spacing for the image."""
    regions = ds.get("SequenceOfUltrasoundRegions") or []
    found = set()
    for region in regions:
        try:
            if int(region.get("RegionSpatialFormat", 0)) != TISSUE_OR_FLOW_2D:
                continue
            if int(region.get("PhysicalUnitsXDirection", 0)) != CENTIMETRES or \
                    int(region.get("PhysicalUnitsYDirection", 0)) != CENTIMETRES:
                continue
            dx, dy = abs(float(region.PhysicalDeltaX)) * 10, abs(float(region.PhysicalDeltaY)) * 10
        except (AttributeError, TypeError, ValueError):
            continue
        if dx > 0 and dy > 0:
            found.add((round(dy, 9), round(dx, 9)))
    if len(found) == 1:
        return next(iter(found)), ("calibrated from the ultrasound region (2D, cm): distances are valid inside "
                                   "that region only")
    if len(found) > 1:
        return None, "the ultrasound regions state different pixel sizes: uncalibrated"
    return None, ""


def film_calibration(ds: Dataset, pixel_spacing: Spacing | None) -> Calibration:
    """A film's calibration: a projection image's by :func:`projection_calibration`, else its
    Pixel Spacing, else its ultrasound regions', else none (said)."""
    calibration = projection_calibration(ds, pixel_spacing)
    if calibration.spacing is None:
        spacing, note = ultrasound_spacing(ds)
        calibration = Calibration(spacing, "SequenceOfUltrasoundRegions" if spacing is not None else "",
                                  [note] if note else [])
    if calibration.spacing is None:
        calibration.notes.append("uncalibrated: no usable PixelSpacing or ImagerPixelSpacing; measurements in pixels")
    return calibration


def frame_calibration(ds: Dataset, frame: int = 0) -> Calibration:
    """Frame ``frame``'s (0-based) calibration, as :func:`film_calibration` gives it: an enhanced
    object keeps its Pixel Spacing in the Pixel Measures functional group (C.7.6.16.2.1, per
    frame, else shared), before the top level's (its frames shown as films were "uncalibrated")."""
    from .pixels import functional_group_item

    measures = functional_group_item(ds, "PixelMeasuresSequence", frame)
    stated = usable_spacing(measures.get("PixelSpacing")) if measures is not None else None
    return film_calibration(ds, stated or usable_spacing(ds.get("PixelSpacing")))

