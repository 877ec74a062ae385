"""The grayscale pixel pipeline of PS3.3 C.11 (Figure C.11-1), in the order the standard requires.

stored values → Modality LUT (C.11.1: Rescale Slope/Intercept or Modality LUT Sequence)
→ VOI LUT (C.11.2: Window Center/Width with its VOI LUT Function, or a VOI LUT Sequence)
→ MONOCHROME1 inversion (C.7.6.3.1.2: "the minimum sample value is intended to be displayed
as white after any VOI gray scale transformations have been performed") → display.

The modality step is pydicom's (``apply_modality_lut``); the windowing formulas are written out
here because the viewer needs them both as numpy functions (AI input, tests, exports) and as
the parameters of VTK's linear window (see :func:`vtk_window_level`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from pydicom.tag import Tag

VoiFunction = Literal["LINEAR", "LINEAR_EXACT", "SIGMOID"]


@dataclass(frozen=True)
class Window:
    """A VOI window: center and width in modality units (HU for CT)."""

    center: float
    width: float
    function: VoiFunction = "LINEAR"

    def bounds(self) -> tuple[float, float]:
        """Values mapped to black and to white (LINEAR, C.11.2.1.2.1)."""
        if self.function == "LINEAR":
            return (self.center - 0.5 - (self.width - 1) / 2, self.center - 0.5 + (self.width - 1) / 2)
        return (self.center - self.width / 2, self.center + self.width / 2)


def element_values(value: object) -> list:
    """The values of a possibly multi-valued element as a list: a MultiValue's (or a list's), one
    value as a list of one, None as none (frame numbers, window centers, grid offsets)."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, MultiValue)) else [value]


def readable_value(ds: Dataset, keyword: str) -> Any:
    """``ds``'s value of ``keyword``; None when absent, or damaged past reading (an unknown VR, an
    odd length, a sequence cut short: pydicom raises when it converts the raw element)."""
    try:
        return ds.get(keyword)
    except Exception:  # noqa: BLE001 - a damaged element is no value, as an absent one
        return None


def _first(value: object) -> float | None:
    """First value of a possibly multi-valued DS/IS element."""
    try:  # None and "" fail float() like any other non-number
        return float(value[0]) if hasattr(value, "__len__") and not isinstance(value, str) else float(value)  # type: ignore[index,arg-type]
    except (TypeError, ValueError, IndexError):
        return None


def functional_group_item(ds: Dataset, sequence: str, frame: int) -> Dataset | None:
    """Item of a functional group macro for ``frame`` (per-frame first, then shared; C.7.6.16)."""
    for groups, index in (("PerFrameFunctionalGroupsSequence", frame), ("SharedFunctionalGroupsSequence", 0)):
        seq = ds.get(groups)
        if seq and len(seq) > index and sequence in seq[index]:
            inner = seq[index][sequence]
            if inner:
                item: Dataset = inner[0]
                return item
    return None


def modality_values(ds: Dataset, stored: np.ndarray, frame: int = 0) -> np.ndarray:
    """Apply the Modality LUT stage (C.11.1) and return float32 values (HU for CT).

    Enhanced multi-frame objects keep their rescale in the Pixel Value Transformation functional
    group (C.7.6.16.2.9); classic objects in the top-level Rescale Slope/Intercept (read by
    :func:`rescale`, as every other reader here reads it) or the Modality LUT Sequence, which
    pydicom's ``apply_modality_lut`` applies.
    """
    linear = frame_rescale(ds, frame)
    if linear is None:
        return np.asarray(apply_modality_lut(stored, ds), dtype=np.float32)
    if linear == UNUSABLE_RESCALE:
        return stored.astype(np.float32)
    slope, intercept = linear
    return (stored.astype(np.float64) * slope + intercept).astype(np.float32)  # float64, as pydicom computes it


UNUSABLE_RESCALE = (1.0, 0.0)  # what a rescale no pixel can be put through is read as: the stored values


def frame_rescale(ds: Dataset, frame: int = 0) -> tuple[float, float] | None:
    """The rescale (slope, intercept) the Modality LUT stage puts frame ``frame`` through: the
    Pixel Value Transformation functional group's, else the top level's (:func:`modality_values`);
    :data:`UNUSABLE_RESCALE` where that one is unusable (a NaN, infinite or zero slope would make
    every pixel NaN or one value, a black image: the stored values are shown instead, and the
    series says why, series.rescale_warnings); None where a Modality LUT Sequence, a table, applies."""
    item = functional_group_item(ds, "PixelValueTransformationSequence", frame)
    source = item if item is not None and "RescaleSlope" in item else ds
    if rescale_problem(source) is not None:
        return UNUSABLE_RESCALE
    if source is ds and "ModalityLUTSequence" in ds:
        return None
    return rescale(source)


@dataclass(frozen=True)
class Padding:
    """The modality values that are padding, not image: Pixel Padding Value (0028,0120), alone or
    with Pixel Padding Range Limit (0028,0121), PS3.3 C.7.5.1.1.2 — e.g. the corners outside a
    CT's circular field of view. The standard names them "in order to prevent display
    applications from taking [them] into account when determining the dynamic range of an
    image": they are left out of automatic windows and ROI statistics and read as padding under
    the cursor; they are shown as stored (the standard keeps them at the black end)."""

    low: float
    high: float

    def mask(self, values: np.ndarray) -> np.ndarray:
        """Which of ``values`` are padding."""
        return np.asarray((values >= self.low) & (values <= self.high))

    def image(self, values: np.ndarray) -> np.ndarray:
        """``values`` without the padding, flattened; all of them when every one is padding
        (an image of padding alone still gets a window)."""
        flat = np.asarray(values).ravel()
        kept = flat[~self.mask(flat)]
        return kept if kept.size else flat


def pixel_padding(ds: Dataset, frame: int = 0) -> Padding | None:
    """The object's :class:`Padding` in modality values, or None. The padding is stated in stored
    values (C.7.5.1.1.2) and put through the same Modality LUT as the pixels (so that it equals
    the padded pixels' values exactly); only grayscale images have padding."""
    if str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper() not in ("MONOCHROME1", "MONOCHROME2"):
        return None
    try:  # a damaged or multi-valued element is no padding rather than a failed load
        value = _first(ds.get("PixelPaddingValue"))
        limit = _first(ds.get("PixelPaddingRangeLimit"))
    except Exception:  # noqa: BLE001
        return None
    if value is None:
        return None
    stored = [value, value if limit is None else limit]
    try:
        signed, bits = int(ds.get("PixelRepresentation", 0) or 0) == 1, int(ds.get("BitsAllocated", 16) or 16)
    except (TypeError, ValueError):
        signed, bits = False, 16
    if signed and 0 < bits <= 32:
        # written as US where the pixels are signed (the VR must follow Pixel Representation,
        # C.7.5.1.1.2; some writers do not): 63536 is the 16-bit word of -2000
        stored = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in stored]
    # integers, as stored values are (a Modality LUT Sequence is indexed by them)
    ends = modality_values(ds, np.array(stored, dtype=np.int64), frame=frame)
    return Padding(float(ends.min()), float(ends.max()))


def colour_warning(photometric: str) -> str:
    return (f"colour image ({photometric}): shown in colour, the window applied to each of R, G and B; "
            "pixel values and ROI statistics are its luminance")


def raw_text(ds: Dataset, keyword: str) -> str:
    """A text attribute without converting a raw element in place (the index's fast header reader
    keeps raw elements, and its own readers expect them raw)."""
    element = ds.get_item(Tag(keyword))
    if element is None or element.value is None:
        return ""
    value = element.value
    return value.decode("ascii", "replace").strip(" \x00") if isinstance(value, bytes) else str(value)


def _rescale_field(ds: Dataset, keyword: str) -> tuple[object, object]:
    """``(first value, value as written)`` of Rescale Slope or Intercept, ``(None, None)`` when it
    is absent or empty. The element is read as it is, raw bytes or value: ds.get() would convert a
    raw element in place, and the index's fast header readers read raw elements only. DS has VM 1
    here; a multi-valued one is read by its first value, as :func:`_first` reads windows."""
    element = ds.get_item(Tag(keyword))
    if element is None or element.value in (None, b"", ""):
        return None, None
    raw = element.value
    # DS may have leading and trailing spaces (PS3.5 6.2); a trailing NUL is tolerated padding, a
    # leading one is a damaged value (a fuzzed file), not a number
    text = raw.decode("ascii", "replace").lstrip(" ").rstrip(" \x00") if isinstance(raw, bytes) else raw
    return (text.split("\\")[0] if isinstance(text, str) else _first(text)), text


def rescale_problem(ds: Dataset) -> str | None:
    """What is wrong with a header's Rescale Slope / Intercept (C.11.1.1.2: output = m * SV + b),
    or None: a slope that is not a finite, non-zero number, or an intercept that is not finite."""
    for keyword in ("RescaleSlope", "RescaleIntercept"):
        first, text = _rescale_field(ds, keyword)
        if text is None:
            continue
        try:
            value = float(first)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"{keyword} {text!r} is not a number"
        if not math.isfinite(value):
            return f"{keyword} is {value}"
        if keyword == "RescaleSlope" and value == 0:
            return "RescaleSlope is 0 (every pixel would have the same value)"
    return None


def rescale(ds: Dataset) -> tuple[float, float]:
    """``(slope, intercept)`` of C.11.1.1.2 (1 and 0 where absent), each its first value; for a
    header :func:`rescale_problem` accepts. The one reading of the rescale for films, volumes and
    their fast integer path, so that they cannot disagree."""
    slope, _ = _rescale_field(ds, "RescaleSlope")
    intercept, _ = _rescale_field(ds, "RescaleIntercept")
    if slope is None and intercept is None:
        slope = dose_grid_scaling(ds)
    return (1.0 if slope is None else float(slope),  # type: ignore[arg-type]
            0.0 if intercept is None else float(intercept))  # type: ignore[arg-type]


def dose_grid_scaling(ds: Dataset) -> float | None:
    """An RT Dose grid's Dose Grid Scaling (3004,000E), which "when multiplied by the dose grid
    data found in Pixel Data yields grid doses in the dose units" (PS3.3 C.8.8.3), when usable;
    None for any other object or an unusable value. An RT Dose has no Rescale Slope: without this
    its stored integers (1,254,000 for 1.254) were shown as the dose."""
    modality, _ = _rescale_field(ds, "Modality")
    if str(modality or "").strip().upper() != "RTDOSE":
        return None
    first, _ = _rescale_field(ds, "DoseGridScaling")
    try:
        value = float(first)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def dataset_windows(ds: Dataset, frame: int = 0) -> list[tuple[str, Window]]:
    """Every VOI window the object states, in its order, each with its explanation ("" when it
    gives none): Window Center / Width may hold several pairs, "alternative views" of the image
    (C.11.2.1.2; a head CT's BRAIN and SUBDURAL, a radiograph's NORMAL / HARDER / SOFTER), named by
    Window Center & Width Explanation (0028,1055). An enhanced object's are the frame's (Frame VOI
    LUT functional group). A pair that is no window (not a number, a LINEAR width under 1, any
    width not above 0) is left out, and a pair stated twice is one window."""
    item = functional_group_item(ds, "FrameVOILUTSequence", frame)
    source = item if item is not None and "WindowCenter" in item else ds
    centers, widths = element_values(source.get("WindowCenter")), element_values(source.get("WindowWidth"))
    explanations = element_values(source.get("WindowCenterWidthExplanation"))
    # absent or not one of the defined terms: LINEAR, the default of C.11.2.1.2
    stated = str(source.get("VOILUTFunction")).upper()
    function: VoiFunction = "LINEAR_EXACT" if stated == "LINEAR_EXACT" else "SIGMOID" if stated == "SIGMOID" else "LINEAR"
    windows: list[tuple[str, Window]] = []
    for n, (center, width) in enumerate(zip(centers, widths)):
        c, w = _first(center), _first(width)
        if c is None or w is None or not math.isfinite(c) or not math.isfinite(w) or w < (1 if function == "LINEAR" else 0) \
                or w == 0:
            continue
        window = Window(c, w, function)
        if all(window != seen for _, seen in windows):
            windows.append((str(explanations[n]).strip() if n < len(explanations) else "", window))
    return windows


def dataset_window(ds: Dataset, frame: int = 0) -> Window | None:
    """The first VOI window the object declares (its default, C.11.2.1.2), or ``None``."""
    windows = dataset_windows(ds, frame)
    return windows[0][1] if windows else None


@dataclass(frozen=True)
class VoiTable:
    """An image's VOI LUT table (PS3.3 C.11.2.1.1): its first mapped value and its entries."""

    first_mapped: int
    entries: tuple[int, ...]
    explanation: str

    @classmethod
    def of(cls, holder: Dataset) -> VoiTable | None:
        """The first VOI LUT table of an image (or of a presentation state's Softcopy VOI LUT
        item), or None: none, or one that cannot be read."""
        items = readable_value(holder, "VOILUTSequence") or []
        try:
            item = items[0]
            count, first, _ = (int(v) for v in item.LUTDescriptor)
            data = item.LUTData
            # LUT Data read as OW comes as bytes: 16-bit little-endian words, one per entry
            entries = np.frombuffer(data, "<u2") if isinstance(data, bytes) else np.asarray(data).ravel()
        except (IndexError, AttributeError, TypeError, ValueError):
            return None
        count = count or 65536  # 0 entries means 2^16 (C.11.2.1.1)
        if len(entries) < count or first >= 2**16 or first < -(2**15):
            return None
        return cls(first, tuple(int(v) for v in entries[:count]), str(item.get("LUTExplanation", "") or ""))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``values`` through the table, float32 (C.11.2.1.1: a value below the first mapped one
        takes the first entry, one past the last the last). pydicom's apply_voi_lut needs the
        image's dataset; a presentation state's table is applied to the image's values."""
        table = np.asarray(self.entries, np.float32)
        index = np.rint(np.asarray(values, np.float64)) - self.first_mapped
        return np.asarray(table[np.clip(index, 0, len(table) - 1).astype(np.intp)], np.float32)


def table_output_window(output: np.ndarray, values: np.ndarray, padding: Padding | None) -> Window:
    """The window an image is first shown with through a VOI LUT table: the table's output over
    its pixels spanned whole (the table's own output is what it is to look like), the padding's
    pixels (``values`` in ``padding``) left out."""
    shown = output[~padding.mask(values)] if padding is not None else output
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (0.0, 0.0)
    return Window((lo + hi) / 2 + 0.5, max(hi - lo, 1.0) + 1.0)


def has_voi_lut_table(ds: Dataset) -> bool:
    """True when the object carries a VOI LUT Sequence (a table, not a window)."""
    return bool(ds.get("VOILUTSequence"))


def apply_voi_table(ds: Dataset, values: np.ndarray) -> np.ndarray:
    """Apply the first VOI LUT Sequence table (C.11.2.1.1) with pydicom; float32 output.

    The table is indexed by integers: integral modality values are passed as integers (a
    float input makes pydicom warn that the lookup may be wrong)."""
    if np.issubdtype(values.dtype, np.floating) and np.array_equal(values, np.round(values)):
        values = values.astype(np.int32)
    return np.asarray(apply_voi_lut(values, ds, prefer_lut=True), dtype=np.float32)


def window_values(values: np.ndarray, window: Window, invert: bool = False) -> np.ndarray:
    """Map modality values through a VOI window to display grey levels 0..255 (uint8).

    Implements C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID)
    with ``ymin = 0`` and ``ymax = 255``, then, when ``invert`` (MONOCHROME1 or the user's
    invert), ``255 - y`` — inversion comes after VOI, as C.7.6.3.1.2 requires.
    """
    x = np.asarray(values, dtype=np.float64)
    c, w = float(window.center), float(window.width)
    if window.function == "SIGMOID":
        y = 255.0 / (1.0 + np.exp(-4.0 * (x - c) / w))
    elif window.function == "LINEAR_EXACT":
        y = np.clip((x - c) / w + 0.5, 0.0, 1.0) * 255.0
    elif w > 1:
        # the ramp formula of C.11.2.1.2.1; its two "x <= ..." / "x > ..." cases are where the
        # ramp leaves 0..1, so clipping it is the same function
        y = np.clip((x - (c - 0.5)) / (w - 1) + 0.5, 0.0, 1.0) * 255.0
    else:
        # w = 1: the ramp has no width, the function is a threshold at c - 0.5
        y = np.where(x <= c - 0.5, 0.0, 255.0)
    out = np.rint(y).astype(np.uint8)
    return 255 - out if invert else out


def vtk_window_level(window: Window) -> tuple[float, float]:
    """``(ColorWindow, ColorLevel)`` for VTK's linear ramp that equals :func:`window_values`.

    VTK maps ``[level - window/2, level + window/2]`` linearly onto black..white; the DICOM
    LINEAR function is the ramp ``[c - 0.5 - (w-1)/2, c - 0.5 + (w-1)/2]``, hence
    ``window = w - 1`` and ``level = c - 0.5``. LINEAR_EXACT is the plain ``(w, c)`` ramp.
    """
    if window.function == "LINEAR":
        return (max(window.width - 1.0, 1e-3), window.center - 0.5)
    return (window.width, window.center)


def cielab_rgb(values: object) -> tuple[int, int, int] | None:
    """A DICOM CIELab colour (three 16-bit scaled L*a*b* values, PS3.3 C.10.7.1.1: a segment's
    Recommended Display CIELab Value, a shutter's Presentation Color) as sRGB, with highdicom's
    conversion; a colour outside sRGB's gamut (a saturated red a PACS picked in Lab) clipped to
    the nearest it holds; None when it is not three numbers in range."""
    try:
        numbers = [int(v) for v in element_values(values)]
        if len(numbers) != 3:
            return None
        from highdicom.color import CIELabColor

        rgb = CIELabColor.from_dicom_value(numbers).to_rgb(clip=True)
    except Exception:  # noqa: BLE001 - a value out of range or not a number: no colour
        return None
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def whole_numbers(values: np.ndarray, samples: int = 65536) -> bool:
    """Whether an image's values are whole numbers (judged on an evenly strided sample): stored
    integers through an integral rescale (CT's 1 / -1024), as opposed to a float rescale (an ADC
    map at 1e-6 mm²/s per step, an RT dose's Dose Grid Scaling) or Float Pixel Data. A CT stack
    resampled for a gantry tilt has fractions but steps of 1 HU: see :func:`auto_window`."""
    flat = np.asarray(values).ravel()
    if flat.dtype.kind in "iub":
        return True
    sample = flat[:: max(1, flat.size // samples)]
    sample = sample[np.isfinite(sample)]
    return bool(np.all(sample == np.round(sample)))


def auto_window(values: np.ndarray, low_percentile: float = 0.5, high_percentile: float = 99.5,
                padding: Padding | None = None) -> Window:
    """A window spanning the ``low..high`` percentiles of a (sub-sampled) image: "auto W/L"; the
    image's ``padding`` is no part of its range (C.7.5.1.1.2, Note 2).

    Values in steps of 1 (or wide enough for a step of 1 not to matter, as a resampled CT's) get
    the LINEAR function with its width of at least 1 (C.11.2.1.2.1). Fine fractional values (an
    ADC map from 0.0005 to 0.003 mm²/s, a dose in Gy) get LINEAR_EXACT (C.11.2.1.3.2), whose width
    need only be above 0: held to LINEAR's width of 1 such an image was one flat grey."""
    flat = padding.image(values) if padding is not None else np.asarray(values).ravel()
    step = max(1, flat.size // 262144)  # a quarter-million samples is plenty for two percentiles
    sample = flat[::step]
    lo, hi = (float(v) for v in np.percentile(sample, [low_percentile, high_percentile]))
    if hi - lo >= 64 or whole_numbers(sample):
        width = max(hi - lo, 1.0)
        return Window((lo + hi) / 2 + 0.5, width + 1.0)
    if hi <= lo:  # one value: a narrow ramp around it, as a width of 1 is around an integer
        spread = max(abs(lo), 1e-6) * 1e-3
        lo, hi = lo - spread, hi + spread
    return Window((lo + hi) / 2, hi - lo, "LINEAR_EXACT")
