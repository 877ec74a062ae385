"""DICOM's 2D image coordinates against Lightbox's.

DICOM places a point on an image "with sub-pixel resolution such that the origin at the Top Left
Hand Corner (TLHC) of the TLHC pixel is 0.0\\0.0, the Bottom Right Hand Corner (BRHC) of the TLHC
pixel is 1.0\\1.0, and the BRHC of the BRHC pixel is Columns\\Rows" (PS3.3 C.18.6.1.1 for an SR's
SCOORD; C.10.5.1.2 says the same of a presentation state's graphics in PIXEL units): the centre
of the pixel in column c, row r lies at (c + 0.5, r + 0.5). Lightbox's own image coordinates (the
views, the study database, the ROI statistics) put pixel centres on whole numbers: (c, r).

Documents Lightbox wrote before it converted (Manufacturer "Lightbox" without a Software Versions
of :data:`SOFTWARE_VERSION`) hold pixel centres on whole numbers: they are read as written, so
marks archived then come back where they were drawn.
"""
from __future__ import annotations

from collections.abc import Iterable

from pydicom.dataset import Dataset

from ..viewer.pixels import readable_value

# Software Versions (0018,1020) of every document Lightbox writes with DICOM's pixel coordinates
SOFTWARE_VERSION = "Lightbox 2 (DICOM pixel coordinates)"
CENTRE = 0.5  # DICOM's coordinate of the first pixel's centre


def to_dicom(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Lightbox (column, row) points, pixel centres on whole numbers, in DICOM's coordinates."""
    return [(float(c) + CENTRE, float(r) + CENTRE) for c, r in points]


def written_by_lightbox(document: Dataset) -> bool:
    """Whether Lightbox wrote ``document`` (its Manufacturer; a damaged one reads as absent)."""
    return str(readable_value(document, "Manufacturer") or "") == "Lightbox"


def wrote_centres_on_whole_numbers(document: Dataset) -> bool:
    """Whether ``document`` is one Lightbox wrote before converting its coordinates."""
    manufacturer = str(readable_value(document, "Manufacturer") or "")  # a damaged element reads as absent
    versions = readable_value(document, "SoftwareVersions") or ""
    if not isinstance(versions, str):  # VM 1-n: several versions
        versions = "\\".join(str(v) for v in versions)
    return manufacturer == "Lightbox" and SOFTWARE_VERSION not in str(versions)


def from_dicom(points: Iterable[tuple[float, float]], document: Dataset) -> list[tuple[float, float]]:
    """``document``'s points on an image (DICOM's coordinates) as Lightbox's (column, row)."""
    shift = 0.0 if wrote_centres_on_whole_numbers(document) else CENTRE
    return [(float(c) - shift, float(r) - shift) for c, r in points]
