"""Another reader's measurement report (PS3.16 TID 1500, from another system: OHIF, a PACS) shown
as theirs: each planar ROI group's region on the image it references, with its values in words,
as a read-only view of the image (:class:`.presentation_display.ImagePresentation`) that the
window's View → Presentation state offers beside the presentation states.

Not imported as the reader's own marks: saved again in the reader's report they would carry the
reader's name as their observer (TID 1002), which they are not.
"""
from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

from ..viewer.pixels import element_values, readable_value
from .pixel_coordinates import from_dicom
from .presentation_display import ImagePresentation, StateGraphic

MEASUREMENT_REPORTS = ("1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.34")  # Comprehensive, 3D SR
UNIT_WORDS = {"mm": "mm", "mm2": "mm²", "cm": "cm", "cm2": "cm²", "[hnsf'U]": "HU", "{SUVbw}g/ml": "SUVbw",
              "deg": "°", "1": ""}
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


def _words(item: Dataset) -> str:
    """"Length 12.3 mm" of a NUM item (its derivation first: "Mean Attenuation 35.0 HU")."""
    name = str(readable_value(item.ConceptNameCodeSequence[0], "CodeMeaning") or "")
    for modifier in readable_value(item, "ContentSequence") or []:
        if str(readable_value(modifier.ConceptNameCodeSequence[0], "CodeValue") or "") == "121401":  # Derivation
            name = f"{modifier.ConceptCodeSequence[0].CodeMeaning} {name}"
    measured = item.MeasuredValueSequence[0]
    value = float(measured.NumericValue)
    unit = str(readable_value(measured.MeasurementUnitsCodeSequence[0], "CodeValue") or "")
    word = UNIT_WORDS.get(unit, unit)
    return f"{name} {value:.1f}{' ' + word if word and word != '°' else word}"


def measurement_presentation(report: Dataset, image: Dataset, frame: int | None = None) -> ImagePresentation | None:
    """The regions and values ``report`` places on ``image`` (frame ``frame``), or None when it
    places none there. Raises ValueError on a report too damaged to read."""
    try:
        return _measurement_presentation(report, image, frame)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a value damaged past reading: said
        raise ValueError(f"the measurement report cannot be read ({type(exc).__name__}: {exc})") from exc


def _measurement_presentation(report: Dataset, image: Dataset, frame: int | None) -> ImagePresentation | None:
    uid = str(readable_value(image, "SOPInstanceUID") or "")
    graphics: list[StateGraphic] = []
    notes: list[str] = []
    for container in readable_value(report, "ContentSequence") or []:
        if str(readable_value(container.ConceptNameCodeSequence[0], "CodeValue") or "") != "126010":
            continue  # Imaging Measurements
        for group in readable_value(container, "ContentSequence") or []:
            region, words, concepts = None, [], set()
            for item in readable_value(group, "ContentSequence") or []:
                kind = str(readable_value(item, "ValueType") or "")
                if kind == "SCOORD":
                    region = item
                elif kind == "NUM":
                    words.append(_words(item))
                    concepts.add(str(readable_value(item.ConceptNameCodeSequence[0], "CodeValue") or ""))
            if region is None:
                continue
            reference = region.ContentSequence[0].ReferencedSOPSequence[0]
            frames = [int(f) for f in element_values(readable_value(reference, "ReferencedFrameNumber"))]
            if str(readable_value(reference, "ReferencedSOPInstanceUID") or "") != uid or \
                    (frames and frame is not None and frame not in frames):
                continue
            shape = str(readable_value(region, "GraphicType") or "")
            if shape not in REGION_KINDS:
                notes.append(f"a region of type {shape or 'unstated'!r}")
                continue
            data = [float(v) for v in element_values(readable_value(region, "GraphicData"))]
            points = from_dicom(zip(data[0::2], data[1::2], strict=False), report)
            if not points:
                continue
            drawn: list[Any] = [StateGraphic(REGION_KINDS[shape], (p,)) for p in points] if shape == "MULTIPOINT" \
                else [StateGraphic(REGION_KINDS[shape], tuple(points))]
            if COBB_ANGLE in concepts and shape == "POLYLINE" and len(points) == 4:
                # the two endplate lines, not a zigzag through them (dcmjs writes a Cobb angle so)
                drawn = [StateGraphic("POLYLINE", tuple(points[:2])), StateGraphic("POLYLINE", tuple(points[2:]))]
            graphics += drawn
            if words:
                right = max(points, key=lambda p: p[0])  # the values beside the region's right end
                graphics.append(StateGraphic("TEXT", ((right[0] + 3.0, right[1]),), "; ".join(words)))
    if not graphics:
        return None
    observer = observer_name(report)
    return ImagePresentation(label="MEASUREMENTS", description=f"by {observer}" if observer else "another reader's",
                             creator=observer, created=str(readable_value(report, "ContentDate") or ""), kind="SR",
                             graphics=tuple(graphics), not_applied=tuple(dict.fromkeys(notes)))
