"""Which way round a grey image is shown: minimum value black, or white.

Two attributes say it. Photometric Interpretation (PS3.3 C.7.6.3.1.2): MONOCHROME1's minimum
sample value "is intended to be displayed as white after any VOI gray scale transformations";
and the image's own Presentation LUT Shape (2050,0020) (General Image Module C.7.6.1, and Type 1
in the DX, MG and IO image modules, C.8.11.1.1): IDENTITY, the VOI output is P-values; INVERSE,
that output "after inversion" is P-values. The standard makes them agree (INVERSE "shall be
used" for MONOCHROME1, IDENTITY for MONOCHROME2), and they do in conformant images. Some do not:
a CR or DX whose two attributes contradict each other (dcm4chee-arc issue 3155 names Fuji CR
films). The Presentation LUT Shape is the last stage of the grayscale pipeline (Figure C.11-1),
so it decides, as DCMTK's DiMonoImage and dcm4che do by default; the contradiction is said, so
that a reader who sees a negative knows why and that View → Invert turns it round.
"""
from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from .pixels import raw_text

SHAPES = ("IDENTITY", "INVERSE")


@dataclass(frozen=True)
class Polarity:
    """Whether the image is shown inverted (its minimum value white), and a sentence when its
    attributes disagree or one cannot be used."""

    inverse: bool
    note: str | None = None


def image_polarity(ds: Dataset) -> Polarity:
    """The polarity a grey image states for itself: its Presentation LUT Shape when it gives
    IDENTITY or INVERSE, else its Photometric Interpretation (MONOCHROME1: inverted)."""
    photometric = raw_text(ds, "PhotometricInterpretation").upper()
    monochrome1 = photometric == "MONOCHROME1"
    shape = raw_text(ds, "PresentationLUTShape").upper()
    if not shape:
        return Polarity(monochrome1)
    if shape not in SHAPES:
        # LIN OD is for hardcopy (C.11.6.1.1): optical density, which a screen does not show
        return Polarity(monochrome1, f"its Presentation LUT Shape {shape!r} is not one a display applies "
                                     f"(IDENTITY or INVERSE): shown as its Photometric Interpretation "
                                     f"{photometric or 'MONOCHROME2'} says")
    inverse = shape == "INVERSE"
    if inverse == monochrome1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        return Polarity(inverse)
    seen = "inverted (minimum value white)" if inverse else "minimum value black"
    return Polarity(inverse, f"its Presentation LUT Shape {shape} contradicts its Photometric Interpretation "
                             f"{photometric} (PS3.3 C.11.6.1.1 says {'INVERSE' if monochrome1 else 'IDENTITY'}): "
                             f"shown {seen}, as the Presentation LUT Shape (the last stage of the grey "
                             f"pipeline) says; View → Invert shows it the other way round")
