"""DICOM overlay planes (groups 6000-601E, PS3.3 C.9.2): one-bit graphics (a lesion outline, an
arrow, a region) or ROI masks that the modality or a workstation attached to an image.

Read with pydicom's :func:`pydicom.overlays.get_overlay_array` where the bits are in Overlay
Data (60xx,3000); overlays embedded in unused high bits of the pixel data (retired since 2004,
still found in older MR and CR: Overlay Bits Allocated 16 and an Overlay Bit Position) are read
from the stored pixel words here, since pydicom reads only Overlay Data. Each plane is placed on
the image grid at its Overlay Origin (60xx,0050; 1-based row, column; PS3.3 C.9.2.1.1), clipped
to the image.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID

OVERLAY_GROUPS = range(0x6000, 0x6020, 2)  # the 16 repeating groups (C.9.2)


@dataclass(frozen=True)
class OverlayPlane:
    """One overlay plane of one frame, on the image's pixel grid (``mask[row, column]``)."""

    group: int
    mask: np.ndarray  # bool, the image's rows x columns
    kind: str  # "G" graphics or "R" ROI (60xx,0040)
    label: str  # Overlay Label, else Overlay Description, else ""
    embedded: bool  # bits taken from the pixel data's unused high bits
    rgb: tuple[int, int, int] | None = None  # its own colour (a segment's); None: the overlay planes' green
    # a segment's filled mask on this slice (``mask`` is its outline), to cut it across the slices
    # for a reformatted plane (Volume.segment_cut); None for 60xx planes, which belong to their image
    filled: np.ndarray | None = None

    def describe(self) -> str:
        if self.kind == "S":  # a segment of a DICOM SEG, placed on this slice (segmentations.py)
            count = int(self.mask.sum())
            return f"{self.label}: segmentation outline, {count} pixel{'' if count == 1 else 's'}"
        what = {"G": "graphics", "R": "ROI"}.get(self.kind, self.kind or "graphics")
        source = "in the pixel data's high bits" if self.embedded else "Overlay Data"
        label = f" '{self.label}'" if self.label else ""
        count = int(self.mask.sum())
        return f"overlay {self.group:04X}{label}: {what}, {count} pixel{'' if count == 1 else 's'} set ({source})"


def outline(mask: np.ndarray) -> np.ndarray:
    """The segment's edge: its pixels with a 4-neighbour outside it (or at the image's edge). A
    filled segment would hide what it marks; its outline leaves the lesion to be seen."""
    padded = np.pad(mask, 1, constant_values=False)
    interior = (padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]) & mask
    return np.asarray(mask & ~interior, dtype=bool)


def _embedded(ds: Dataset, group: int) -> bool:
    """Whether the overlay of ``group`` keeps its bits in the pixel words: a bit position and no
    Overlay Data (C.9.2.1.3 of the 2003 standard)."""
    return (group, 0x3000) not in ds and (group, 0x0102) in ds


def has_embedded_overlay(ds: Dataset) -> bool:
    """Whether an overlay of ``ds`` needs its pixel words to be read (a header alone will not do)."""
    return any(_embedded(ds, group) for group in OVERLAY_GROUPS)


def _element(ds: Dataset, group: int, element: int) -> object:
    item = ds.get((group, element))
    return None if item is None else item.value


def _text(ds: Dataset, group: int, element: int) -> str:
    value = _element(ds, group, element)
    if isinstance(value, bytes):  # an element whose VR was not known (UN), read raw
        value = value.decode("ascii", "replace")
    return "" if value is None else str(value).strip(" \x00")


def _int(ds: Dataset, group: int, element: int, default: int) -> int:
    value = _element(ds, group, element)
    if isinstance(value, bytes):  # a US whose VR was not known (UN), read raw
        return int.from_bytes(value[:2], "little") if len(value) >= 2 else default
    try:
        number: int = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):  # absent, empty or not a number
        return default
    return number


def _stated(ds: Dataset, group: int, element: int, value: int) -> str:
    """``value`` as a message shows it: "(not given)" where the element is absent or empty."""
    return "(not given)" if _element(ds, group, element) in (None, "", b"") else str(value)


def _origin(ds: Dataset, group: int) -> tuple[int, int]:
    """Overlay Origin as 0-based (row, column) of the overlay's first pixel on the image; the
    image's first pixel where it is absent or unusable."""
    value = _element(ds, group, 0x0050)
    if isinstance(value, bytes):  # two SS whose VR was not known (UN), read raw
        values = [int.from_bytes(value[at:at + 2], "little", signed=True) for at in (0, 2)] if len(value) >= 4 else []
    else:
        try:
            values = [int(v) for v in value]  # type: ignore[attr-defined]
        except (TypeError, ValueError):  # absent (None), one value (an int), or not numbers
            values = []
    return (values[0] - 1, values[1] - 1) if len(values) >= 2 else (0, 0)


def _transfer_syntax(ds: Dataset) -> UID | None:
    value = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)  # an in-memory dataset may have none
    return UID(value) if value else None


def _embedded_bits(ds: Dataset, group: int, frame: int) -> np.ndarray | str:
    """The overlay bit of each stored pixel word of frame ``frame`` (0-based) of an uncompressed
    image, on the image's grid (C.9.2.1.3 of the 2003 standard, retired since): the bit in a
    pixel's word marks that pixel. Else why it cannot be read."""
    allocated, position = _int(ds, group, 0x0100, 0), _int(ds, group, 0x0102, -1)
    if allocated != 16:
        return f"Overlay Bits Allocated is {_stated(ds, group, 0x0100, allocated)} and there is no Overlay Data"
    if not 0 <= position < 16:
        return f"Overlay Bit Position {_stated(ds, group, 0x0102, position)} is not a bit of a 16-bit pixel word"
    image_allocated = int(ds.get("BitsAllocated") or 0)
    if image_allocated != 16:
        return f"its bits are said to be in the pixel data, whose Bits Allocated is {image_allocated}, not 16"
    syntax = _transfer_syntax(ds)
    if syntax is not None and syntax.is_compressed:
        return f"its bits are in compressed pixel data ({syntax.name}), which Lightbox does not read overlays from"
    data = ds.get("PixelData")
    rows, columns = int(ds.Rows), int(ds.Columns)
    count = rows * columns
    if not isinstance(data, bytes) or len(data) < (frame + 1) * count * 2:
        return f"the pixel data holds no frame {frame + 1} of {rows} x {columns} 16-bit words to take its bits from"
    big_endian = syntax is not None and not syntax.is_little_endian
    words = np.frombuffer(data, dtype=">u2" if big_endian else "<u2", count=count, offset=frame * count * 2)
    return ((words >> position) & 1).astype(bool).reshape(rows, columns)


def _placed(bits: np.ndarray, top: int, left: int, image_rows: int, image_columns: int) -> np.ndarray:
    """``bits`` on an image's grid with its first pixel at 0-based (``top``, ``left``), the part off
    the image cut away (an origin may be 0 or negative, C.9.2.1.1)."""
    mask = np.zeros((image_rows, image_columns), bool)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + bits.shape[0], image_rows), min(left + bits.shape[1], image_columns)
    if r1 > r0 and c1 > c0:
        mask[r0:r1, c0:c1] = bits[r0 - top:r1 - top, c0 - left:c1 - left]
    return mask


def overlay_bitmap(ds: Dataset, group: int, image_rows: int, image_columns: int) -> np.ndarray | str:
    """The Overlay Data of ``group`` in ``ds`` (a presentation state's bitmap shutter, PS3.3
    C.7.6.15: its own overlay, on the image's grid) placed on an image of the size given, or why
    it cannot be."""
    if not (0x6000 <= group <= 0x601E and group % 2 == 0):
        return f"its overlay group {group:04X} is not one of 6000-601E"
    if (group, 0x3000) not in ds:
        return f"it has no Overlay Data in group {group:04X}"
    try:
        return _overlay_data(ds, group, 0, image_rows, image_columns)
    except Exception as exc:  # noqa: BLE001 - said, the image shown whole
        return f"overlay {group:04X} cannot be read ({type(exc).__name__}: {exc})"


def _overlay_data(ds: Dataset, group: int, index: int, image_rows: int, image_columns: int) -> np.ndarray:
    """Frame ``index`` of the overlay's own frames in its Overlay Data (pydicom reads them),
    placed on the image by its origin. Raises what pydicom raises on damaged data."""
    from pydicom.overlays import get_overlay_array

    bits = np.asarray(get_overlay_array(ds, group))
    if bits.ndim == 3:
        bits = bits[index]
    top, left = _origin(ds, group)
    return _placed(bits.astype(bool), top, left, image_rows, image_columns)


def read_overlay_planes(ds: Dataset, frame: int = 0) -> tuple[list[OverlayPlane], list[str]]:
    """The overlay planes of ``frame`` (0-based) of an image, placed on its grid, and what could
    not be read (a warning each: an overlay is never dropped silently)."""
    planes: list[OverlayPlane] = []
    problems: list[str] = []
    image_rows, image_columns = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
    for group in OVERLAY_GROUPS:
        embedded = _embedded(ds, group)
        if not embedded and (group, 0x3000) not in ds:
            continue  # no overlay in this group (a stray size alone is none)
        rows, columns = _int(ds, group, 0x0010, 0), _int(ds, group, 0x0011, 0)
        if rows <= 0 or columns <= 0:
            problems.append(f"overlay {group:04X} cannot be shown: its size is {_stated(ds, group, 0x0010, rows)} rows "
                            f"x {_stated(ds, group, 0x0011, columns)} columns")
            continue
        # multi-frame overlays (C.9.2.1.2): frames 60xx,0051 (1-based) .. + 60xx,0015 - 1
        first = _int(ds, group, 0x0051, 1) - 1
        count = _int(ds, group, 0x0015, 1)
        if not first <= frame < first + count:
            continue
        top, left = _origin(ds, group)
        try:
            if embedded:
                frame_bits = _embedded_bits(ds, group, frame)
                if isinstance(frame_bits, str):
                    problems.append(f"overlay {group:04X} cannot be shown: {frame_bits}")
                    continue
                # the overlay's extent cut out of the frame's bits, where they lie
                mask = frame_bits & _placed(np.ones((rows, columns)), top, left, image_rows, image_columns)
            else:
                mask = _overlay_data(ds, group, frame - first, image_rows, image_columns)
        except Exception as exc:  # noqa: BLE001 - a broken overlay is reported, the image still shows
            problems.append(f"overlay {group:04X} cannot be read ({type(exc).__name__}: {exc})")
            continue
        label = _text(ds, group, 0x1500) or _text(ds, group, 0x0022)
        planes.append(OverlayPlane(group, mask, _text(ds, group, 0x0040).upper()[:1] or "G", label, embedded))
    return planes, problems
