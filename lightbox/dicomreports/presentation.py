"""Arrows and texts as a softcopy presentation state (written with highdicom): graphics on the
images they were drawn on, in pixel coordinates, on one layer, so that a PACS viewer shows the
reader's marks over the images. Grey images get a Grayscale Softcopy Presentation State (PS3.3
A.33.1), colour ones (RGB, YBR: three samples per pixel) a Color Softcopy Presentation State
(A.33.2), which a grayscale one may not reference. (Measurements, which carry values, go in the
TID 1500 report: :mod:`.measurements`.)"""
from __future__ import annotations

import math
import pkgutil
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from ..viewer.measure import arrow_head
from ..viewer.pixels import VoiTable, Window, dataset_window, element_values, rescale
from ..viewer.polarity import image_polarity
from ..viewer.shutters import SHUTTER_GEOMETRY, object_shutter_source, shutter_key
from .pixel_coordinates import SOFTWARE_VERSION, from_dicom, to_dicom
from .text_encoding import in_utf8

GSPS_SERIES_NUMBER = 994
# the SOP classes Lightbox writes and reads back (PS3.4 B.5): Grayscale and Color Softcopy Presentation State
GSPS_CLASS, CSPS_CLASS = "1.2.840.10008.5.1.4.1.1.11.1", "1.2.840.10008.5.1.4.1.1.11.2"
PRESENTATION_STATES = (GSPS_CLASS, CSPS_CLASS)
# (image header, "arrow" | "text", pixel points, text, frame number: 1-based in a multi-frame image, else None)
GraphicMark = tuple[Dataset, str, list[tuple[float, float]], str, int | None]


def arrow_polylines(tail: tuple[float, float], head: tuple[float, float]) -> list[np.ndarray]:
    """The shaft and the head (barb, tip, barb) of an arrow, as Lightbox draws it."""
    size = max(3.0, 0.18 * math.hypot(head[0] - tail[0], head[1] - tail[1]))
    barbs = arrow_head([tail, head], size)
    return [np.array([tail, head], dtype=float)] + ([np.array(barbs, dtype=float)] if barbs else [])


def presentation_state(marks: list[GraphicMark], reader: str = "",
                       windows: Mapping[str, Window] | None = None) -> Dataset:
    """The presentation state of ``marks`` (GSPS; CSPS on colour images): ``(image header, "arrow" |
    "text", pixel points, text, frame number)``. A mark on a frame of a multi-frame image is
    annotated on that frame only (Referenced Frame Number, PS3.3 C.10.5). ``windows``: by SOP
    Instance UID, the window (and its VOI function) an image that states none was shown with (for a
    legacy multi-frame image, whose display settings the state must give itself)."""
    from highdicom.pr import (
        AnnotationUnitsValues,
        ColorSoftcopyPresentationState,
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
    by_image: dict[tuple[str, int | None], tuple[Dataset, list, list]] = {}
    headers: dict[str, Dataset] = {}
    for header, kind, image_points, text, frame in marks:
        points = to_dicom(image_points)  # a pixel's centre half a pixel in (PS3.3 C.10.5.1.2)
        uid = str(header.SOPInstanceUID)
        image = headers.setdefault(uid, _with_type2(header))
        entry = by_image.setdefault((uid, frame), (image, [], []))
        if kind == "arrow" and len(points) >= 2:
            entry[1].extend(GraphicObject(GraphicTypeValues.POLYLINE, line, AnnotationUnitsValues.PIXEL)
                            for line in arrow_polylines(points[0], points[1]))
            if text:
                entry[2].append(TextObject(text, AnnotationUnitsValues.PIXEL, anchor_point=points[0]))
        elif kind == "text" and points and text:
            entry[2].append(TextObject(text, AnnotationUnitsValues.PIXEL, anchor_point=points[0]))
    annotations = [_annotation(image, frame, layer, objects, texts) for (_, frame), (image, objects, texts) in by_image.items()]
    images = list(headers.values())
    colour = [int(image.get("SamplesPerPixel", 1) or 1) == 3 for image in images]
    if any(colour) and not all(colour):
        raise ValueError("grey and colour images in one presentation state: a state is either grayscale or colour")
    common: dict[str, Any] = dict(
        referenced_images=images, series_instance_uid=generate_uid(), series_number=GSPS_SERIES_NUMBER,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="Lightbox", manufacturer_model_name="Lightbox",
        software_versions=SOFTWARE_VERSION, device_serial_number="0", content_label="LIGHTBOX_MARKS",
        content_description="Reader's arrows and texts", graphic_annotations=annotations, graphic_layers=[layer],
        content_creator_name=typed_name(reader) or None)
    with study_names_as_they_are():
        if not all(colour):
            state = GrayscaleSoftcopyPresentationState(**common, **_legacy_multi_frame_display(images, windows or {}),
                                                       presentation_lut_transformation=_presentation_lut(images))
            return in_utf8(_with_display_shutter(state, images))
        # the state's ICC profile (Type 1, PS3.3 C.11.15) is the images' own; an image without one
        # is shown as sRGB, as viewers do, so that profile is given (the one highdicom ships)
        srgb = None if any("ICCProfile" in image for image in images) else \
            pkgutil.get_data("highdicom", "_icc_profiles/sRGB_v4_ICC_preference.icc")
        return in_utf8(ColorSoftcopyPresentationState(**common, icc_profile=srgb))


def _presentation_lut(images: list[Dataset]) -> Any:
    """INVERSE for images shown inverted (MONOCHROME1, or an image whose own Presentation LUT Shape
    says INVERSE: :func:`~lightbox.viewer.polarity.image_polarity`), IDENTITY otherwise: the
    Presentation LUT Shape "shall" be INVERSE for MONOCHROME1 (PS3.3 C.11.6.1.1), a state's output
    being P-values whatever the image's photometric interpretation. highdicom writes IDENTITY for
    all: a viewer applying the state showed a MONOCHROME1 chest film as its negative (lungs
    white). Images of both kinds in one state cannot share one shape: refused."""
    from highdicom.content import PresentationLUTTransformation

    inverse = {image_polarity(image).inverse for image in images}  # as Lightbox shows each image
    if len(inverse) > 1:
        raise ValueError("images shown inverted (MONOCHROME1) and not in one presentation state: "
                         "save them one image at a time")
    return PresentationLUTTransformation(presentation_lut_shape="INVERSE" if inverse == {True} else "IDENTITY")


def _with_display_shutter(state: Dataset, images: list[Dataset]) -> Dataset:
    """The state with its images' display shutter (when they share one; a state has one shutter
    for all the images it references), and its Shutter Presentation Value (Type 1C in the
    Presentation State Shutter Module, C.11.12: black, 0, where the image gives none). Without
    it, a PACS viewer applying the reader's arrows showed the film's collimated border again."""
    # an enhanced X-ray cine states its shutter in the Frame Display Shutter functional group
    found = [object_shutter_source(image) for image in images]
    sources = [source for source in found if source is not None]
    if len(sources) != len(found):  # frames with different shutters: no one shutter to repeat
        return state
    shapes = {tuple(str(v) for v in element_values(source.get("ShutterShape"))) for source in sources}
    if len(shapes) != 1 or not next(iter(shapes)) or "BITMAP" in next(iter(shapes)):
        return state
    first = sources[0]
    if any(shutter_key(source) != shutter_key(first) for source in sources):
        return state
    for keyword in SHUTTER_GEOMETRY:
        if keyword in first:
            state[keyword] = first[keyword]
    state.ShutterPresentationValue = int(first.get("ShutterPresentationValue", 0) or 0)
    return state


def _annotation(image: Dataset, frame: int | None, layer: Any, objects: list, texts: list) -> Any:
    """The graphic annotation of one image (of one of its frames when ``frame``). highdicom names
    a frame only of an image whose IOD defines frames; an object whose IOD does not but which has
    frames all the same (pydicom's two-frame RGB secondary capture) gets its Referenced Frame
    Number set here, so the marks stay on the frame they were drawn on."""
    from highdicom.pr import GraphicAnnotation

    try:
        return GraphicAnnotation(referenced_images=[image], graphic_layer=layer, referenced_frame_number=frame,
                                 graphic_objects=objects or None, text_objects=texts or None)
    except TypeError:
        if frame is None:
            raise
    annotation = GraphicAnnotation(referenced_images=[image], graphic_layer=layer, graphic_objects=objects or None,
                                   text_objects=texts or None)
    annotation.ReferencedImageSequence[0].ReferencedFrameNumber = frame
    return annotation


def _legacy_multi_frame_display(images: list[Dataset], windows: Mapping[str, Window]) -> dict[str, Any]:
    """The Modality LUT and VOI LUT of a state on multi-frame images without functional groups
    (X-ray angiography, ultrasound, NM, RT dose), given explicitly: highdicom reads them from an
    image only through an enhanced image's functional groups, and failed on these. They are the
    image's own (PS3.3 C.11.1 rescale, an RT dose's Dose Grid Scaling as its slope as the viewer
    applies it; C.11.2 window): the first window the image states, else the
    one it was shown with (``windows``), else one spanning the stored range its header states
    (Smallest / Largest Image Pixel Value, else the bits stored: a 32-bit RT dose would be shown
    black). Other images: {} (highdicom reads theirs)."""
    from highdicom import ModalityLUTTransformation, ReferencedImageSequence
    from highdicom.pr import SoftcopyVOILUTTransformation

    legacy = [image for image in images if int(image.get("NumberOfFrames", 1) or 1) > 1
              and "SharedFunctionalGroupsSequence" not in image]
    if not legacy:
        return {}
    displays = [_display_of(image, windows) for image in images]
    if len(legacy) != len(images) or len({(slope, intercept) for slope, intercept, _ in displays}) != 1:
        # one Modality LUT serves the whole state (PS3.3 C.11.1 in A.33.1); windows may differ
        raise ValueError("arrows and texts on multi-frame images with different rescales (or beside single-frame ones) "
                         "cannot share one presentation state: save them one image at a time")
    slope, intercept = displays[0][:2]

    def transformation(window: Window | VoiTable, **where: Any) -> SoftcopyVOILUTTransformation:
        if isinstance(window, VoiTable):  # the image's own table, as it was shown through it
            from highdicom import VOILUT

            table = VOILUT(first_mapped_value=window.first_mapped, lut_data=np.asarray(window.entries, np.uint16),
                           lut_explanation=window.explanation or None)
            return SoftcopyVOILUTTransformation(voi_luts=[table], **where)
        # the function too: a fractional image's LINEAR_EXACT window drawn as LINEAR would be another ramp
        function = None if window.function == "LINEAR" else window.function
        return SoftcopyVOILUTTransformation(window_center=window.center, window_width=window.width,
                                            voi_lut_function=function, **where)

    if len({window for _, _, window in displays}) == 1:
        voi = [transformation(displays[0][2])]
    else:  # a window per image, each naming its image
        voi = [transformation(window, referenced_images=ReferencedImageSequence(referenced_images=[image]))
               for image, (_, _, window) in zip(images, displays, strict=True)]
    return {"modality_lut_transformation": ModalityLUTTransformation(rescale_intercept=intercept, rescale_slope=slope,
                                                                     rescale_type="US"),
            "voi_lut_transformations": voi}


def _display_of(image: Dataset, windows: Mapping[str, Window]) -> tuple[float, float, Window | VoiTable]:
    """(rescale slope, rescale intercept, window or VOI LUT table) of a legacy multi-frame image:
    its own window, else its own table (as it is shown), else the window it was shown with."""
    slope, intercept = rescale(image)
    center, width = image.get("WindowCenter"), image.get("WindowWidth")
    if center is not None and width is not None:
        # several windows: the first is the default (C.11.2)
        stated = dataset_window(image)
        if stated is not None:
            return slope, intercept, stated
        return slope, intercept, Window(float(element_values(center)[0]), max(float(element_values(width)[0]), 1.0))
    table = VoiTable.of(image)
    if table is not None:
        return slope, intercept, table
    shown = windows.get(str(image.get("SOPInstanceUID", "")))
    if shown is not None:
        floor = 1.0 if shown.function == "LINEAR" else 0.0  # LINEAR's width is at least 1 (C.11.2.1.2.1)
        return slope, intercept, Window(float(shown.center), max(float(shown.width), floor), shown.function)
    bits = int(image.get("BitsStored", 8) or 8)
    signed = int(image.get("PixelRepresentation", 0) or 0) == 1
    low = float(image.get("SmallestImagePixelValue", -(2 ** (bits - 1)) if signed else 0))
    high = float(image.get("LargestImagePixelValue", 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1))
    low, high = sorted((low * slope + intercept, high * slope + intercept))
    return slope, intercept, Window((low + high) / 2 + 0.5, max(high - low, 1.0) + 1.0)


def state_kind(state: Dataset) -> str:
    """"GSPS" or "CSPS", as the state's SOP class says (PS3.4 B.5)."""
    return "CSPS" if str(state.get("SOPClassUID", "")) == CSPS_CLASS else "GSPS"


def read_graphics(state: Dataset) -> list[tuple[str, str, list[tuple[float, float]], str, int | None]]:
    """``(referenced SOP Instance UID, "arrow" | "text", pixel points, text, frame number)`` of a
    presentation state's pixel-unit graphics (the frame a graphic annotation references, 1-based;
    None when it references the whole image; one entry per frame it names): a two-point polyline
    followed by a three-point one (a head whose middle point is the shaft's end) is an arrow; a
    text object, a text at its anchor (or the centre of its box). Other graphics are not Lightbox
    marks and are left alone. Points are the image's (column, row) with pixel centres on whole
    numbers, as Lightbox keeps them (:func:`.pixel_coordinates.from_dicom`)."""
    out: list[tuple[str, str, list[tuple[float, float]], str, int | None]] = []
    for annotation in state.get("GraphicAnnotationSequence", []):
        images: list[tuple[str, int | None]] = []
        for reference in annotation.get("ReferencedImageSequence", []):
            frames: list[int | None] = [int(f) for f in element_values(reference.get("ReferencedFrameNumber"))]
            images += [(str(reference.ReferencedSOPInstanceUID), f) for f in frames or [None]]
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
        out += [(uid, kind, from_dicom(points, state), words, frame)
                for uid, frame in images for kind, points, words in marks]
    return out
