"""Which way round a grey image is shown, worked out from the standard by hand for every pair of
Photometric Interpretation (C.7.6.3.1.2) and Presentation LUT Shape (C.11.6.1.1)."""
from __future__ import annotations

import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from lightbox.viewer.polarity import image_polarity


def _image(photometric: str | None, shape: str | None) -> Dataset:
    ds = Dataset()
    if photometric is not None:
        ds.PhotometricInterpretation = photometric
    if shape is not None:
        ds.PresentationLUTShape = shape
    return ds


@pytest.mark.parametrize(("photometric", "shape", "inverse"), [
    ("MONOCHROME1", None, True), ("MONOCHROME2", None, False), (None, None, False),  # no shape: the photometric
    ("MONOCHROME1", "INVERSE", True), ("MONOCHROME2", "IDENTITY", False),  # as the standard requires: one inversion
    ("RGB", "IDENTITY", False), ("PALETTE COLOR", "INVERSE", True),  # not a grey photometric: the shape, nothing said
])
def test_agreeing_or_alone_nothing_is_said(photometric, shape, inverse) -> None:
    polarity = image_polarity(_image(photometric, shape))
    assert (polarity.inverse, polarity.note) == (inverse, None)


def test_a_contradiction_follows_the_shape_and_says_which_way() -> None:
    inverted = image_polarity(_image("MONOCHROME2", "INVERSE"))
    assert inverted.inverse is True
    assert inverted.note == ("its Presentation LUT Shape INVERSE contradicts its Photometric Interpretation MONOCHROME2 "
                             "(PS3.3 C.11.6.1.1 says IDENTITY): shown inverted (minimum value white), as the "
                             "Presentation LUT Shape (the last stage of the grey pipeline) says; View → Invert shows "
                             "it the other way round")
    upright = image_polarity(_image("MONOCHROME1", "IDENTITY"))
    assert upright.inverse is False
    assert upright.note is not None and upright.note.startswith(
        "its Presentation LUT Shape IDENTITY contradicts its Photometric Interpretation MONOCHROME1 (PS3.3 "
        "C.11.6.1.1 says INVERSE): shown minimum value black, as")


def test_a_shape_no_display_applies_is_said_and_the_photometric_decides() -> None:
    for photometric, inverse in (("MONOCHROME1", True), ("MONOCHROME2", False)):
        polarity = image_polarity(_image(photometric, "LIN OD"))
        assert polarity.inverse is inverse
        assert polarity.note == (f"its Presentation LUT Shape 'LIN OD' is not one a display applies (IDENTITY or "
                                 f"INVERSE): shown as its Photometric Interpretation {photometric} says")
    unstated = image_polarity(_image(None, "FOO"))
    assert unstated.inverse is False and unstated.note is not None and "Interpretation MONOCHROME2 says" in unstated.note


def test_lower_case_and_raw_values_as_the_fast_header_reader_keeps_them() -> None:
    assert image_polarity(_image("monochrome2", "inverse")).inverse is True
    ds = Dataset()
    ds[Tag("PhotometricInterpretation")] = RawDataElement(Tag(0x00280004), "CS", 12, b"MONOCHROME2 ", 0, False, True)
    ds[Tag("PresentationLUTShape")] = RawDataElement(Tag(0x20500020), "CS", 8, b"INVERSE ", 0, False, True)
    assert image_polarity(ds).inverse is True
