"""How a softcopy presentation state says to show one image: the grayscale pipeline of PS3.4
N.2 as the Grayscale Softcopy Presentation State IOD carries it (PS3.3 A.33.1) — the state's
Modality LUT and Softcopy VOI LUT (C.11.1, C.11.8), its Presentation LUT Shape (C.11.6), Display
Shutter (C.11.12 / C.7.6.11), Spatial Transformation (C.10.6), Displayed Area (C.10.4), Overlay
Activation (C.11.7) and Graphic Annotations on their layers (C.10.5, C.10.7).

A reading room's PACS stores what a colleague set on a prior (the window, the zoomed region, a
rotation, circles and words on the film) as such a state; showing the image without it shows
something else than what the report was written on. What a state asks that Lightbox does not do
is listed in words (``not_applied``), never dropped silently: a Presentation LUT table, VOI LUT
table or bitmap shutter that cannot be read, TRUE SIZE on a display without a known pixel pitch,
graphic types the standard does not define.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from ..viewer.geometry import ellipse_outline
from ..viewer.pixels import VoiTable, Window, cielab_rgb, element_values, readable_value, rescale
from ..viewer.polarity import image_polarity
from ..viewer.shutters import DisplayShutter, display_shutter
from .pixel_coordinates import from_dicom

STATE_CLASSES = {"1.2.840.10008.5.1.4.1.1.11.1": "GSPS", "1.2.840.10008.5.1.4.1.1.11.2": "CSPS"}
SIZE_MODES = ("SCALE TO FIT", "TRUE SIZE", "MAGNIFY")
SHAPES = ("IDENTITY", "INVERSE")  # Presentation LUT Shape's defined terms (C.11.6.1.1); a table otherwise
GRAPHIC_TYPES = ("POINT", "POLYLINE", "INTERPOLATED", "CIRCLE", "ELLIPSE")
CURVE_SEGMENTS = 72  # a circle or an ellipse of a presentation state, drawn as a polygon


@dataclass(frozen=True)
class StateGraphic:
    """One graphic or text of a state on the image: ``kind`` is a Graphic Type (C.10.5.1.2) or
    "TEXT"; ``points`` in the image's (column, row) with pixel centres on whole numbers (a text:
    its anchor, or its box's top-left and bottom-right corners); the colour its layer recommends
    (C.10.7.1.1), or None for the viewer's; a text beside a region (a report's values) may name
    ``other_side``: where it goes, ending there, when it would pass the pane's right edge."""

    kind: str
    points: tuple[tuple[float, float], ...]
    text: str = ""
    filled: bool = False
    layer: str = ""
    colour: tuple[int, int, int] | None = None
    other_side: tuple[float, float] | None = None


@dataclass(frozen=True)
class DisplayedArea:
    """The part of the image to show (C.10.4): first and last column and row (0-based, both
    shown), and how: "SCALE TO FIT" the viewport, "MAGNIFY" by ``magnification`` screen pixels
    per image pixel, or "TRUE SIZE": 1 mm in the patient over 1 mm of the display, by
    ``pixel_spacing`` (Presentation Pixel Spacing, row then column, in mm; None: the image's own),
    which the viewer can do only knowing its display's pixel pitch (C.10.4.1.1)."""

    left: int
    top: int
    right: int
    bottom: int
    mode: str = "SCALE TO FIT"
    magnification: float | None = None
    pixel_spacing: tuple[float, float] | None = None


@dataclass(frozen=True)
class ImagePresentation:
    """What a state says of one image (or one frame of it)."""

    label: str
    description: str = ""
    creator: str = ""
    created: str = ""  # Presentation Creation Date, YYYYMMDD
    kind: str = "GSPS"
    window: Window | None = None  # in the image's own values (its rescale applied), as the film holds them
    # the state's own VOI LUT table (C.11.2.1.1) where it gives one for the image and it is not the
    # image's own, and (scale, offset) from the image's values to the values it indexes (the
    # state's Modality LUT output: scale x image value + offset)
    voi_table: VoiTable | None = None
    voi_table_input: tuple[float, float] = (1.0, 0.0)
    # its Presentation LUT table (C.11.6.1) as 256 grey levels (0..255) indexed by the windowed grey
    presentation_lut: tuple[int, ...] | None = None
    inverse: bool | None = None  # Presentation LUT Shape INVERSE (None: the state gives no shape)
    rotation: int = 0  # degrees clockwise, applied after the flip (C.10.6.1.1)
    flip_horizontal: bool = False
    area: DisplayedArea | None = None
    shutter: DisplayShutter | None = None
    overlays_shown: bool = False  # the state activates the image's overlay planes (C.11.7)
    graphics: tuple[StateGraphic, ...] = ()
    not_applied: tuple[str, ...] = field(default_factory=tuple)
    cautions: tuple[str, ...] = ()  # what is applied as the state says but may not be what its author saw
    source: str = ""  # where the state was read from (a path), to tell which one is applied

    def with_source(self, source: str) -> ImagePresentation:
        return replace(self, source=source)

    def title(self) -> str:
        """"LABEL - description (creator, date)", as a menu and the corner text name it."""
        extra = ", ".join(x for x in (self.creator, _date(self.created)) if x)
        return " - ".join(x for x in (self.label, self.description) if x) + (f" ({extra})" if extra else "")


def _date(text: str) -> str:
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else text


def _text(ds: Dataset, keyword: str) -> str:
    value = readable_value(ds, keyword)
    return "" if value is None else str(value).strip()


def _numbers(ds: Dataset, keyword: str) -> list[float]:
    try:
        return [float(v) for v in element_values(readable_value(ds, keyword))]
    except (TypeError, ValueError):
        return []


def _finite(ds: Dataset, keyword: str) -> list[float]:
    """:func:`_numbers` of a place, [] when one is not a finite number (an FL value can hold a NaN)."""
    numbers = _numbers(ds, keyword)
    return numbers if all(math.isfinite(n) for n in numbers) else []


def _lists(references: Any, uid: str, frame: int | None) -> bool:
    """Whether a Referenced Image Sequence names image ``uid`` and frame ``frame`` (a reference
    without frame numbers: every frame; no frame asked for: the image as a whole)."""
    for reference in references:
        if _text(reference, "ReferencedSOPInstanceUID") != uid:
            continue
        frames = [int(f) for f in _numbers(reference, "ReferencedFrameNumber")]
        if not frames or frame is None or frame in frames:
            return True
    return False


def _applies(item: Dataset, uid: str, frame: int | None) -> bool:
    """Whether an item with an optional Referenced Image Sequence applies to image ``uid``
    (frame ``frame``, 1-based): without the sequence, to every image of the state (C.10.4,
    C.10.5, C.11.8)."""
    references = readable_value(item, "ReferencedImageSequence")
    return references is None or _lists(references, uid, frame)


def references_image(state: Dataset, uid: str, frame: int | None = None) -> bool:
    """Whether ``state`` presents image ``uid`` (frame ``frame``): its Referenced Series Sequence
    lists it (C.11.11)."""
    return any(_lists(readable_value(series, "ReferencedImageSequence") or [], uid, frame)
               for series in readable_value(state, "ReferencedSeriesSequence") or [])


def presentation_of(state: Dataset, image: Dataset, frame: int | None = None) -> ImagePresentation | None:
    """What ``state`` says of ``image`` (its header; ``frame``, 1-based, in a multi-frame one),
    or None when the state does not present it. Raises ValueError on a state too damaged to read."""
    try:
        return _presentation_of(state, image, frame)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a value damaged past reading (an unknown VR, a sequence cut short)
        raise ValueError(f"the presentation state cannot be read ({type(exc).__name__}: {exc})") from exc


def _presentation_of(state: Dataset, image: Dataset, frame: int | None) -> ImagePresentation | None:
    uid = _text(image, "SOPInstanceUID")
    if not uid or not references_image(state, uid, frame):
        return None
    rows, columns = int(image.get("Rows", 0) or 0), int(image.get("Columns", 0) or 0)
    if rows < 1 or columns < 1:
        raise ValueError("the image states no size")
    notes: list[str] = []
    shutter, shutter_notes = display_shutter(state, rows, columns, colour=_text(state, "SOPClassUID").endswith(".11.2"))
    notes += [n.replace("display shutter", "presentation state's shutter") for n in shutter_notes]
    rotation = int(_numbers(state, "ImageRotation")[0]) if _numbers(state, "ImageRotation") else 0
    if rotation not in (0, 90, 180, 270):
        notes.append(f"a rotation of {rotation} degrees (the standard allows 0, 90, 180, 270)")
        rotation = 0
    area = _displayed_area(state, uid, frame, notes)
    graphics = _graphics(state, uid, frame, rows, columns, area, rotation, _text(state, "ImageHorizontalFlip") == "Y",
                         notes)
    p_lut = presentation_lut(state) if _text(state, "PresentationLUTShape").upper() not in SHAPES else None
    inverse, cautions = _polarity(state, image, p_lut, notes)
    table, table_input = _voi_table(state, image, uid, frame, notes)
    return ImagePresentation(
        voi_table=table, voi_table_input=table_input, presentation_lut=p_lut,
        label=_text(state, "ContentLabel") or "UNNAMED", description=_text(state, "ContentDescription"),
        creator=_text(state, "ContentCreatorName").replace("^", " ").strip(),
        created=_text(state, "PresentationCreationDate"), kind=STATE_CLASSES.get(_text(state, "SOPClassUID"), "GSPS"),
        window=_window(state, image, uid, frame, notes), inverse=inverse, rotation=rotation,
        flip_horizontal=_text(state, "ImageHorizontalFlip") == "Y", area=area, shutter=shutter,
        overlays_shown=_activates_overlays(state),
        graphics=tuple(graphics), not_applied=tuple(dict.fromkeys(notes)), cautions=cautions)


def _activates_overlays(state: Dataset) -> bool:
    """Whether the state activates an overlay plane of the image: an Overlay Activation Layer
    (60xx,1001) in an even group 6000-601E (C.11.7); tags only, no value converted."""
    tags = list(state.keys())
    return any(tag.group & 0xFF01 == 0x6000 and tag.element == 0x1001 for tag in tags)


def _voi_table(state: Dataset, image: Dataset, uid: str, frame: int | None,
               notes: list[str]) -> tuple[VoiTable | None, tuple[float, float]]:
    """The state's VOI LUT table for the image, where its item for the image gives a table and
    no window, and the (scale, offset) from the image's values to the state's Modality LUT
    output it indexes; None for the image's own table (Lightbox writes a state so: the image is
    shown through it as it is) and for a table that cannot be read (said)."""
    for item in readable_value(state, "SoftcopyVOILUTSequence") or []:
        if not _applies(item, uid, frame):
            continue
        if (_numbers(item, "WindowCenter") and _numbers(item, "WindowWidth")) or readable_value(item, "VOILUTSequence") is None:
            return None, (1.0, 0.0)
        table = VoiTable.of(item)
        if table is None:
            notes.append("its VOI LUT table (it cannot be read: shown with the image's own window)")
            return None, (1.0, 0.0)
        if table == VoiTable.of(image):
            return None, (1.0, 0.0)
        if readable_value(state, "ModalityLUTSequence") is not None:
            notes.append("its Modality LUT table (its VOI LUT table indexed by the image's values)")
            return table, (1.0, 0.0)
        state_slope, state_intercept = rescale(state) if "RescaleSlope" in state else rescale(image)
        image_slope, image_intercept = rescale(image)
        if not all(math.isfinite(v) for v in (state_slope, state_intercept, image_slope, image_intercept)) \
                or state_slope == 0 or image_slope == 0:
            return table, (1.0, 0.0)
        scale = state_slope / image_slope  # state value per image value, through the stored value
        return table, (scale, state_intercept - image_intercept * scale)
    return None, (1.0, 0.0)


def _window(state: Dataset, image: Dataset, uid: str, frame: int | None, notes: list[str]) -> Window | None:
    """The state's window for the image, in the image's values: the state's VOI applies to the
    output of the state's Modality LUT (its rescale, C.11.1), which can differ from the image's."""
    for item in readable_value(state, "SoftcopyVOILUTSequence") or []:
        if not _applies(item, uid, frame):
            continue
        centres, widths = _numbers(item, "WindowCenter"), _numbers(item, "WindowWidth")
        if not centres or not widths:
            continue  # a table, or nothing: _voi_table
        function = _text(item, "VOILUTFunction").upper() or "LINEAR"
        if function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
            notes.append(f"VOI LUT function {function!r} (shown as LINEAR)")
            function = "LINEAR"
        if readable_value(state, "ModalityLUTSequence") is not None:
            notes.append("its Modality LUT table (the window read in the image's values)")
            state_slope, state_intercept = rescale(image)
        else:
            state_slope, state_intercept = rescale(state) if "RescaleSlope" in state else rescale(image)
        image_slope, image_intercept = rescale(image)
        if not all(math.isfinite(v) for v in (state_slope, state_intercept)) or state_slope == 0:
            notes.append("its rescale (not a usable slope)")
            state_slope, state_intercept = image_slope, image_intercept
        ratio = image_slope / state_slope  # image value per state value
        centre = (centres[0] - state_intercept) * ratio + image_intercept
        width = widths[0] * abs(ratio)
        if not (math.isfinite(centre) and math.isfinite(width) and width > 0):
            notes.append("its window (not usable numbers)")
            return None
        return Window(centre, width, function)  # type: ignore[arg-type]
    return None


def _polarity(state: Dataset, image: Dataset, p_lut: tuple[int, ...] | None,
              notes: list[str]) -> tuple[bool | None, tuple[str, ...]]:
    """The state's Presentation LUT Shape, and a caution when it says IDENTITY for an image shown
    inverted (MONOCHROME1): INVERSE "shall be used" there (PS3.3 C.11.6.1.1), and highdicom writes
    IDENTITY unless told, so such a state most likely meant the film as acquired, yet says its
    negative. Another system's is shown as it says (a state's shape is the whole display's), in
    words; Lightbox's own, written with highdicom's IDENTITY before its states said INVERSE for
    such images, is read as the INVERSE it meant (Lightbox never writes IDENTITY for them now)."""
    inverse = _inverse(state, p_lut, notes)
    if inverse is not False or not image_polarity(image).inverse or p_lut is not None:
        return inverse, ()
    if _text(state, "Manufacturer") == "Lightbox":
        return True, ()
    return False, ("it says Presentation LUT Shape IDENTITY for an image shown inverted (MONOCHROME1), where "
                   "PS3.3 C.11.6.1.1 says INVERSE: shown as it says, the film's negative (minimum value black); "
                   "View → Invert shows it as acquired",)


def _inverse(state: Dataset, p_lut: tuple[int, ...] | None, notes: list[str]) -> bool | None:
    shape = _text(state, "PresentationLUTShape").upper()
    if shape in SHAPES:
        return shape == "INVERSE"
    if readable_value(state, "PresentationLUTSequence") is not None:
        if p_lut is None:
            notes.append("its Presentation LUT table (it cannot be read)")
            return None
        return False  # the table gives the P-values itself, MONOCHROME1's inversion included (N.2)
    return None


def presentation_lut(state: Dataset) -> tuple[int, ...] | None:
    """The state's Presentation LUT table (PS3.3 C.11.6.1: the VOI output scaled to its input
    range, its output P-values in 0 .. 2^bits - 1) as 256 grey levels indexed by the windowed grey
    0..255, or None (no table, or one that cannot be read)."""
    items = readable_value(state, "PresentationLUTSequence") or []
    try:
        item = items[0]
        count, _, bits = (int(v) for v in item.LUTDescriptor)
        data = item.LUTData
        entries = np.frombuffer(data, "<u2") if isinstance(data, bytes) else np.asarray(data, np.float64).ravel()
    except (IndexError, AttributeError, TypeError, ValueError):
        return None
    count = count or 65536  # 0 entries means 2^16 (C.11.6.1)
    if len(entries) < count or count < 2 or not 8 <= bits <= 16:
        return None
    top = float(2**bits - 1)
    picked = np.asarray(entries[:count], np.float64)[np.rint(np.arange(256) / 255.0 * (count - 1)).astype(int)]
    return tuple(int(v) for v in np.rint(np.clip(picked, 0, top) / top * 255.0))


def _displayed_area(state: Dataset, uid: str, frame: int | None, notes: list[str]) -> DisplayedArea | None:
    for item in readable_value(state, "DisplayedAreaSelectionSequence") or []:
        if not _applies(item, uid, frame):
            continue
        top_left, bottom_right = _numbers(item, "DisplayedAreaTopLeftHandCorner"), \
            _numbers(item, "DisplayedAreaBottomRightHandCorner")
        if len(top_left) < 2 or len(bottom_right) < 2:
            notes.append("a displayed area without its corners")
            return None
        # column\row, 1-based, both corners' pixels shown; an area may reach past the image (C.10.4)
        left, top, right, bottom = (int(v) - 1 for v in (top_left[0], top_left[1], bottom_right[0], bottom_right[1]))
        if right < left or bottom < top:
            notes.append("a displayed area whose corners are the wrong way round")
            return None
        mode = _text(item, "PresentationSizeMode").upper() or "SCALE TO FIT"
        magnification = None
        if mode == "MAGNIFY":
            ratio = _numbers(item, "PresentationPixelMagnificationRatio")
            if ratio and math.isfinite(ratio[0]) and ratio[0] > 0:
                magnification = ratio[0]
            else:
                notes.append("MAGNIFY without a usable magnification ratio (scaled to fit)")
                mode = "SCALE TO FIT"
        elif mode not in SIZE_MODES:
            notes.append(f"presentation size mode {mode!r} (scaled to fit)")
            mode = "SCALE TO FIT"
        spacing = _numbers(item, "PresentationPixelSpacing")
        usable = len(spacing) >= 2 and all(math.isfinite(v) and v > 0 for v in spacing[:2])
        if spacing and not usable and mode == "TRUE SIZE":
            notes.append("a Presentation Pixel Spacing that is not two positive numbers (the image's own used)")
        return DisplayedArea(left, top, right, bottom, mode, magnification,
                             (spacing[0], spacing[1]) if usable else None)
    return None


def _layers(state: Dataset) -> dict[str, tuple[int, tuple[int, int, int] | None]]:
    """Each graphic layer's order and recommended colour (CIELab, else grey, C.10.7.1.1)."""
    layers: dict[str, tuple[int, tuple[int, int, int] | None]] = {}
    for layer in readable_value(state, "GraphicLayerSequence") or []:
        name = _text(layer, "GraphicLayer")
        order = _numbers(layer, "GraphicLayerOrder")
        colour = cielab_rgb(readable_value(layer, "GraphicLayerRecommendedDisplayCIELabValue"))
        grey = _numbers(layer, "GraphicLayerRecommendedDisplayGrayscaleValue")
        if colour is None and grey:
            level = int(round(min(max(grey[0], 0.0), 65535.0) / 65535.0 * 255.0))
            colour = (level, level, level)
        layers[name] = (int(order[0]) if order else 0, colour)
    return layers


def _graphics(state: Dataset, uid: str, frame: int | None, rows: int, columns: int, area: DisplayedArea | None,
              rotation: int, flip: bool, notes: list[str]) -> list[StateGraphic]:
    layers = _layers(state)
    shown = area or DisplayedArea(0, 0, columns - 1, rows - 1)
    drawn: list[tuple[int, StateGraphic]] = []
    for annotation in readable_value(state, "GraphicAnnotationSequence") or []:
        if not _applies(annotation, uid, frame):
            continue
        layer = _text(annotation, "GraphicLayer")
        order, colour = layers.get(layer, (0, None))

        def image_points(values: Iterable[float], units: str) -> list[tuple[float, float]]:
            numbers = list(values)
            pairs = list(zip(numbers[0::2], numbers[1::2], strict=False))
            if units == "DISPLAY":
                return [_display_to_image(u, v, shown, rotation, flip) for u, v in pairs]
            return from_dicom(pairs, state)

        for graphic in readable_value(annotation, "GraphicObjectSequence") or []:
            units = _text(graphic, "GraphicAnnotationUnits").upper()
            kind = _text(graphic, "GraphicType").upper()
            if units not in ("PIXEL", "DISPLAY"):
                notes.append(f"graphics in {units or 'unstated'} units")
                continue
            if kind not in GRAPHIC_TYPES:
                notes.append(f"a graphic of type {kind or 'unstated'!r}")
                continue
            numbers = _finite(graphic, "GraphicData")
            if not numbers and _numbers(graphic, "GraphicData"):  # a NaN was drawn as a gap
                notes.append(f"a {kind.lower()} whose coordinates cannot be read")
                continue
            points = image_points(numbers, units)
            needed = {"POINT": 1, "CIRCLE": 2, "ELLIPSE": 4}.get(kind, 2)
            if len(points) < needed:
                notes.append(f"a {kind.lower()} with too few points")
                continue
            drawn.append((order, StateGraphic(kind, tuple(points), filled=_text(graphic, "GraphicFilled") == "Y",
                                              layer=layer, colour=colour)))
        for text in readable_value(annotation, "TextObjectSequence") or []:
            words = _text(text, "UnformattedTextValue")
            corners = [_finite(text, "BoundingBoxTopLeftHandCorner"), _finite(text, "BoundingBoxBottomRightHandCorner")]
            anchor = _finite(text, "AnchorPoint")
            if len(corners[0]) >= 2 and len(corners[1]) >= 2:
                box_units = _text(text, "BoundingBoxAnnotationUnits").upper() or "PIXEL"
                points = image_points(corners[0][:2] + corners[1][:2], box_units)
            elif len(anchor) >= 2:
                points = image_points(anchor[:2], _text(text, "AnchorPointAnnotationUnits").upper() or "PIXEL")
            else:
                notes.append("a text without a place")
                continue
            if words:
                drawn.append((order, StateGraphic("TEXT", tuple(points), words, layer=layer, colour=colour)))
            if len(points) == 2 and len(anchor) >= 2 and _text(text, "AnchorPointVisibility") == "Y":
                # the pointer from the text's box to what it labels (C.10.5.1.1: a line from the
                # box to the anchor point), from the box's edge nearest the anchor
                (tip,) = image_points(anchor[:2], _text(text, "AnchorPointAnnotationUnits").upper() or "PIXEL")
                (a, b), (c, d) = points
                near = (min(max(tip[0], min(a, c)), max(a, c)), min(max(tip[1], min(b, d)), max(b, d)))
                drawn.append((order, StateGraphic("POLYLINE", (near, tip), layer=layer, colour=colour)))
    return [g for _, g in sorted(drawn, key=lambda entry: entry[0])]  # lower layer order drawn first (C.10.7.1.1)


def _display_to_image(u: float, v: float, area: DisplayedArea, rotation: int, flip: bool) -> tuple[float, float]:
    """A point in DISPLAY units (fractions of the displayed area as shown, after the flip and the
    rotation: 0\\0 its top-left corner, 1\\1 its bottom-right, C.10.5.1.2) in image (column, row)."""
    width, height = area.right - area.left + 1, area.bottom - area.top + 1
    shown_w, shown_h = (height, width) if rotation in (90, 270) else (width, height)
    x, y = (u - 0.5) * shown_w, (v - 0.5) * shown_h  # from the area's centre, on screen
    for _ in range(rotation // 90):  # undo each clockwise quarter turn: (x, y) -> (y, -x)
        x, y = y, -x
    if flip:
        x = -x
    return ((area.left + area.right) / 2 + x, (area.top + area.bottom) / 2 + y)


def presentation_states(documents: Iterable[tuple[Any, Dataset]], image: Dataset,
                        frame: int | None = None) -> list[tuple[Any, Dataset]]:
    """The (path, header) of each presentation state among ``documents`` that presents ``image``
    (frame ``frame``), newest first."""
    uid = _text(image, "SOPInstanceUID")
    return newest_first([(path, header) for path, header in documents
                         if _text(header, "SOPClassUID") in STATE_CLASSES and uid and references_image(header, uid, frame)])


def newest_first(documents: list[tuple[Any, Dataset]]) -> list[tuple[Any, Dataset]]:
    """``documents`` by Presentation Creation Date and Time, newest first."""
    return sorted(documents, key=lambda d: (_text(d[1], "PresentationCreationDate"),
                                            _text(d[1], "PresentationCreationTime")), reverse=True)


def is_filled_outline(graphic: StateGraphic) -> bool:
    """Whether the graphic's inside is to be filled: Graphic Filled Y on a closed graphic (C.10.5.1.2:
    a CIRCLE or ELLIPSE, or a POLYLINE / INTERPOLATED one whose last point is its first)."""
    if not graphic.filled or graphic.kind not in ("CIRCLE", "ELLIPSE", "POLYLINE", "INTERPOLATED"):
        return False
    if graphic.kind in ("CIRCLE", "ELLIPSE"):
        return True
    return len(graphic.points) > 3 and bool(np.allclose(graphic.points[0], graphic.points[-1]))


def graphic_polylines(graphic: StateGraphic) -> list[list[tuple[float, float]]]:
    """A state's graphic as polylines in image (column, row): a POLYLINE through its points; an
    INTERPOLATED one as a smooth curve through them (a Catmull-Rom spline: the standard leaves the
    interpolation to the viewer); a CIRCLE from its centre and a point on it; an ELLIPSE from the
    ends of its major then minor axis (PS3.3 C.10.5.1.2); a POINT as a small cross."""
    points = [np.asarray(p, dtype=float) for p in graphic.points]
    if graphic.kind == "CIRCLE":
        centre, edge = points[0], points[1]
        radius = float(np.hypot(*(edge - centre)))
        t = np.linspace(0.0, 2 * math.pi, CURVE_SEGMENTS + 1)
        return [[(float(centre[0] + radius * math.cos(a)), float(centre[1] + radius * math.sin(a))) for a in t]]
    if graphic.kind == "ELLIPSE":
        return [ellipse_outline(list(graphic.points), CURVE_SEGMENTS)]
    if graphic.kind == "POINT":
        c, r = points[0]
        return [[(c - 2, r), (c + 2, r)], [(c, r - 2), (c, r + 2)]]
    if graphic.kind == "INTERPOLATED" and len(points) > 2:
        return [catmull_rom(points)]
    return [[(float(p[0]), float(p[1])) for p in points]]


def catmull_rom(points: list[np.ndarray], samples: int = 8) -> list[tuple[float, float]]:
    """A uniform Catmull-Rom curve through ``points`` (each one on it; the ends repeated so the
    curve starts and stops at the first and last; a closed outline, last point equal to the first,
    stays closed and smooth), ``samples`` steps per segment."""
    closed = len(points) > 3 and np.allclose(points[0], points[-1])
    ring = points[:-1] if closed else points
    padded = [ring[-1], *ring, ring[0], ring[1]] if closed else [points[0], *points, points[-1]]
    out: list[tuple[float, float]] = []
    for k in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[k - 1], padded[k], padded[k + 1], padded[k + 2]
        for t in np.linspace(0.0, 1.0, samples, endpoint=False):
            v = 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t
                       + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3)
            out.append((float(v[0]), float(v[1])))
    last = padded[len(padded) - 2]
    out.append((float(last[0]), float(last[1])))
    return out
