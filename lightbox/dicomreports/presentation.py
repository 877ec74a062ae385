"""Arrows and texts as a Grayscale Softcopy Presentation State (PS3.3 A.33.1, written with
highdicom): graphics on the images they were drawn on, in pixel coordinates, on one layer, so
that a PACS viewer shows the reader's marks over the images. (Measurements, which carry values,
go in the TID 1500 report: :mod:`.measurements`.)"""
from __future__ import annotations

import math

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from ..viewer.measure import arrow_head

GSPS_SERIES_NUMBER = 994


def arrow_polylines(tail: tuple[float, float], head: tuple[float, float]) -> list[np.ndarray]:
    """The shaft and the head (barb, tip, barb) of an arrow, as Lightbox draws it."""
    size = max(3.0, 0.18 * math.hypot(head[0] - tail[0], head[1] - tail[1]))
    barbs = arrow_head([tail, head], size)
    return [np.array([tail, head], dtype=float)] + ([np.array(barbs, dtype=float)] if barbs else [])


def presentation_state(marks: list[tuple[Dataset, str, list[tuple[float, float]], str]], reader: str = "") -> Dataset:
    """The GSPS of ``marks``: ``(image header, "arrow" | "text", pixel points, text)``."""
    from highdicom.pr import (
        AnnotationUnitsValues,
        GraphicAnnotation,
        GraphicLayer,
        GraphicObject,
        GraphicTypeValues,
        GrayscaleSoftcopyPresentationState,
        TextObject,
    )

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
    return GrayscaleSoftcopyPresentationState(
        referenced_images=images, series_instance_uid=generate_uid(), series_number=GSPS_SERIES_NUMBER,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="Lightbox", manufacturer_model_name="Lightbox",
        software_versions="1", device_serial_number="0", content_label="LIGHTBOX_MARKS",
        content_description="Reader's arrows and texts", graphic_annotations=annotations, graphic_layers=[layer],
        content_creator_name=reader or None)
