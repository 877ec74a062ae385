"""Arrows and texts as a softcopy presentation state (written with highdicom): graphics on the
images they were drawn on, in pixel coordinates, on one layer, so that a PACS viewer shows the
reader's marks over the images. Grey images get a Grayscale Softcopy Presentation State (PS3.3
A.33.1), colour ones (RGB, YBR: three samples per pixel) a Color Softcopy Presentation State
(A.33.2), which a grayscale one may not reference. (Measurements, which carry values, go in the
TID 1500 report: :mod:`.measurements`.)"""
from __future__ import annotations

import math
import pkgutil
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from ..viewer.measure import arrow_head

GSPS_SERIES_NUMBER = 994
# the SOP classes Lightbox writes and reads back (PS3.4 B.5): Grayscale and Color Softcopy Presentation State
GSPS_CLASS, CSPS_CLASS = "1.2.840.10008.5.1.4.1.1.11.1", "1.2.840.10008.5.1.4.1.1.11.2"
PRESENTATION_STATES = (GSPS_CLASS, CSPS_CLASS)


def arrow_polylines(tail: tuple[float, float], head: tuple[float, float]) -> list[np.ndarray]:
    """The shaft and the head (barb, tip, barb) of an arrow, as Lightbox draws it."""
    size = max(3.0, 0.18 * math.hypot(head[0] - tail[0], head[1] - tail[1]))
    barbs = arrow_head([tail, head], size)
    return [np.array([tail, head], dtype=float)] + ([np.array(barbs, dtype=float)] if barbs else [])


def presentation_state(marks: list[tuple[Dataset, str, list[tuple[float, float]], str]], reader: str = "") -> Dataset:
    """The presentation state of ``marks`` (GSPS; CSPS on colour images): ``(image header, "arrow" |
    "text", pixel points, text)``."""
    from highdicom.pr import (
        AnnotationUnitsValues,
        ColorSoftcopyPresentationState,
        GraphicAnnotation,
        GraphicLayer,
        GraphicObject,
        GraphicTypeValues,
        GrayscaleSoftcopyPresentationState,
        TextObject,
    )

    from .person_names import study_names_as_they_are, typed_name
    from .sr import _with_type2

    if not marks:
        raise ValueError("no arrow or text to write")
    layer = GraphicLayer(layer_name="LIGHTBOX", order=1, description="Reader's arrows and texts")
    by_image: dict[str, tuple[Dataset, list, list]] = {}
    for header, kind, points, text in marks:
        entry = by_image.setdefault(str(header.SOPInstanceUID), (_with_type2(header), [], []))
        if kind == "arrow" and len(points) >= 2:
            entry[1].extend(GraphicObject(GraphicTypeValues.POLYLINE, line, AnnotationUnitsValues.PIXEL)
                            for line in arrow_polylines(points[0], points[1]))
            if text:
                entry[2].append(TextObject(text, AnnotationUnitsValues.PIXEL, anchor_point=points[0]))
        elif kind == "text" and points and text:
            entry[2].append(TextObject(text, AnnotationUnitsValues.PIXEL, anchor_point=points[0]))
    annotations = [GraphicAnnotation(referenced_images=[image], graphic_layer=layer, graphic_objects=objects or None,
                                     text_objects=texts or None) for image, objects, texts in by_image.values()]
    images = [image for image, _, _ in by_image.values()]
    colour = [int(image.get("SamplesPerPixel", 1) or 1) == 3 for image in images]
    if any(colour) and not all(colour):
        raise ValueError("grey and colour images in one presentation state: a state is either grayscale or colour")
    common: dict[str, Any] = dict(
        referenced_images=images, series_instance_uid=generate_uid(), series_number=GSPS_SERIES_NUMBER,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="Lightbox", manufacturer_model_name="Lightbox",
        software_versions="1", device_serial_number="0", content_label="LIGHTBOX_MARKS",
        content_description="Reader's arrows and texts", graphic_annotations=annotations, graphic_layers=[layer],
        content_creator_name=typed_name(reader) or None)
    with study_names_as_they_are():
        if not all(colour):
            try:
                return GrayscaleSoftcopyPresentationState(**common)
            except AttributeError as exc:
                # highdicom reads the display settings (Modality and VOI LUT) of an image whose
                # IOD is multi-frame only from an enhanced image's functional groups, and fails on
                # X-ray angiography, ultrasound, NM or RT dose frames: said plainly
                if "FunctionalGroupsSequence" not in str(exc):
                    raise
                raise ValueError("arrows and texts on a multi-frame image without functional groups (e.g. X-ray "
                                 "angiography, ultrasound, NM, RT dose) cannot be written as a presentation state yet"
                                 ) from exc
        # the state's ICC profile (Type 1, PS3.3 C.11.15) is the images' own; an image without one
        # is shown as sRGB, as viewers do, so that profile is given (the one highdicom ships)
        srgb = None if any("ICCProfile" in image for image in images) else \
            pkgutil.get_data("highdicom", "_icc_profiles/sRGB_v4_ICC_preference.icc")
        return ColorSoftcopyPresentationState(**common, icc_profile=srgb)


def state_kind(state: Dataset) -> str:
    """"GSPS" or "CSPS", as the state's SOP class says (PS3.4 B.5)."""
    return "CSPS" if str(state.get("SOPClassUID", "")) == CSPS_CLASS else "GSPS"


def read_graphics(state: Dataset) -> list[tuple[str, str, list[tuple[float, float]], str]]:
    """``(referenced SOP Instance UID, "arrow" | "text", pixel points, text)`` of a presentation
    state's pixel-unit graphics: a two-point polyline followed by a three-point one (a head whose
    middle point is the shaft's end) is an arrow; a text object, a text at its anchor (or the
    centre of its box). Other graphics are not Lightbox marks and are left alone."""
    out: list[tuple[str, str, list[tuple[float, float]], str]] = []
    for annotation in state.get("GraphicAnnotationSequence", []):
        uids = [str(r.ReferencedSOPInstanceUID) for r in annotation.get("ReferencedImageSequence", [])]
        lines = [[float(v) for v in g.GraphicData] for g in annotation.get("GraphicObjectSequence", [])
                 if g.GraphicAnnotationUnits == "PIXEL" and g.GraphicType == "POLYLINE"]
        marks: list[tuple[str, list[tuple[float, float]], str]] = []
        n = 0
        while n < len(lines):
            shaft = lines[n]
            head = lines[n + 1] if n + 1 < len(lines) else []
            if len(shaft) == 4 and len(head) == 6 and head[2:4] == shaft[2:4]:
                marks.append(("arrow", [(shaft[0], shaft[1]), (shaft[2], shaft[3])], ""))
                n += 2
            else:
                n += 1
        for text in annotation.get("TextObjectSequence", []):
            if "AnchorPoint" in text and text.get("AnchorPointAnnotationUnits", "PIXEL") == "PIXEL":
                x, y = (float(v) for v in text.AnchorPoint)
            elif "BoundingBoxTopLeftHandCorner" in text and text.get("BoundingBoxAnnotationUnits", "PIXEL") == "PIXEL":
                (a, b), (c, d) = ([float(v) for v in text.BoundingBoxTopLeftHandCorner],
                                  [float(v) for v in text.BoundingBoxBottomRightHandCorner])
                x, y = (a + c) / 2, (b + d) / 2
            else:
                continue
            marks.append(("text", [(x, y)], str(text.UnformattedTextValue)))
        out += [(uid, kind, points, words) for uid in uids for kind, points, words in marks]
    return out
