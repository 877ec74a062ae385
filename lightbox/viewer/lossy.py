"""Whether an image's pixels went through lossy compression, in words for the overlay.

A reader must know that the values on the screen are not the acquired ones: PS3.3 C.7.6.1.1.5
(Lossy Image Compression (0028,2110) "01": the image "has been subjected to lossy compression",
at the Lossy Image Compression Ratio (0028,2112) and Method (0028,2114) of each step), and a
transfer syntax that can only be lossy (JPEG baseline / extended, JPEG-LS near-lossless, MPEG,
H.264, HEVC, JPEG XL) says so even where the attribute was not set. JPEG 2000 and HTJ2K may be
either: their attribute decides. Of the four radiographs in the shared data, three are lossy
(JPEG 2000 10:1, JPEG-LS near-lossless 2:1, JPEG baseline) and the window did not say.
"""
from __future__ import annotations

from pydicom.dataset import Dataset

from .pixels import element_values

# PS3.5 Table A-1 / PS3.6: transfer syntaxes whose decoded pixels are never the original values
LOSSY_TRANSFER_SYNTAXES = {
    "1.2.840.10008.1.2.4.50": "JPEG",  # JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51": "JPEG",  # JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
    **{f"1.2.840.10008.1.2.4.{n}": "MPEG-2" for n in (100, 101)},
    **{f"1.2.840.10008.1.2.4.{n}": "H.264" for n in (102, 103, 104, 105, 106)},
    **{f"1.2.840.10008.1.2.4.{n}": "HEVC" for n in (107, 108)},
    "1.2.840.10008.1.2.4.112": "JPEG XL",
}
# transfer syntaxes that may be lossy or lossless: named when the attribute says lossy and no method
EITHER_TRANSFER_SYNTAXES = {"1.2.840.10008.1.2.4.90": "JPEG 2000", "1.2.840.10008.1.2.4.91": "JPEG 2000",
                            **{f"1.2.840.10008.1.2.4.{n}": "HTJ2K" for n in (201, 202, 203)}}
# Lossy Image Compression Method (0028,2114) defined terms (PS3.3 C.7.6.1.1.5.1)
METHODS = {"ISO_10918_1": "JPEG", "ISO_14495_1": "JPEG-LS near-lossless", "ISO_15444_1": "JPEG 2000",
           "ISO_15444_15": "HTJ2K", "ISO_13818_2": "MPEG-2", "ISO_14496_10": "H.264", "ISO_23008_2": "HEVC",
           "ISO_18181_1": "JPEG XL"}


def _ratio(value: object) -> str:
    try:
        ratio = float(str(value))
    except ValueError:
        return ""
    return f"{ratio:g}:1" if ratio > 0 else ""


def _values(ds: Dataset, keyword: str) -> list[str]:
    """An attribute's values as text; none when it is absent or damaged (an element of the wrong
    VR fails to read: the others still say what they say)."""
    try:
        return [str(v) for v in element_values(ds.get(keyword))]
    except Exception:  # noqa: BLE001
        return []


def lossy_compression(ds: Dataset) -> str:
    """"LOSSY JPEG 2000 10:1", "LOSSY JPEG", "LOSSY" (nothing said of how) for an image whose
    pixels were lossy compressed; "" for one that says it was not (or says nothing, in a lossless
    encoding)."""
    meta = getattr(ds, "file_meta", None)
    syntax = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    flag = " ".join(_values(ds, "LossyImageCompression")).strip()
    ratios = [r for r in map(_ratio, _values(ds, "LossyImageCompressionRatio")) if r]
    methods = [METHODS.get(m.strip(), m.strip()) for m in _values(ds, "LossyImageCompressionMethod")]
    if flag != "01" and syntax not in LOSSY_TRANSFER_SYNTAXES:
        return ""
    encoding = LOSSY_TRANSFER_SYNTAXES.get(syntax) or EITHER_TRANSFER_SYNTAXES.get(syntax)
    methods = [m for m in methods if m] or ([encoding] if encoding else [])
    return " ".join(["LOSSY", *dict.fromkeys(methods), *ratios])
