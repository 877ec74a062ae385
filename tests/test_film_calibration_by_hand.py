"""viewer/calibration.py by hand, on headers written here: each rule of PS3.3 10.7.1 and C.8.5.5
at its edges, the user's sentences word for word (the mutants that survived the window-level
tests changed a boundary or a word)."""
from __future__ import annotations

import math

import pytest
from pydicom.dataset import Dataset

from lightbox.viewer.calibration import (
    Calibration,
    film_calibration,
    magnification_factor,
    projection_calibration,
    ultrasound_spacing,
    usable_spacing,
)

DETECTOR_NOTE = "calibrated at the detector (ImagerPixelSpacing): sizes include geometric magnification"
UNCALIBRATED = "uncalibrated: no usable PixelSpacing or ImagerPixelSpacing; measurements in pixels"
US_NOTE = "calibrated from the ultrasound region (2D, cm): distances are valid inside that region only"


def header(**attributes: object) -> Dataset:
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(("value", "usable"), [
    ([0.2, 0.3], (0.2, 0.3)), ([0, 0.2], None), ([0.2, 0], None), ([-0.1, 0.2], None), ([0.2, -0.1], None),
    ([math.inf, 0.2], None), ([0.2, math.nan], None), (["a", "b"], None), ([0.2], None), (None, None), ("0.2", None),
])
def test_a_pixel_size_is_two_positive_finite_numbers(value: object, usable: tuple | None) -> None:
    assert usable_spacing(value) == usable


@pytest.mark.parametrize(("value", "factor"), [
    ("1.0", 1.0), ("1.2", 1.2), ("9.99", 9.99), ("10", None), ("0.999", None), ("", None), (None, None), ("nan", None),
])
def test_a_magnification_factor_lies_from_1_up_to_10(value: str | None, factor: float | None) -> None:
    ds = header() if value is None else header(EstimatedRadiographicMagnificationFactor=value)
    assert magnification_factor(ds) == factor


def test_a_factor_of_exactly_1_is_a_correction_too() -> None:
    """SID = SOD: the object on the detector; the sizes are the detector's, said to be at the patient."""
    found = projection_calibration(header(ImagerPixelSpacing=[0.15, 0.16], EstimatedRadiographicMagnificationFactor="1"),
                                   None)
    assert (found.spacing, found.source) == ((0.15, 0.16), "ERMF")
    assert found.notes == ["sizes at the patient: the detector's 0.15 mm pixels divided by the estimated magnification 1 (ERMF)"]


@pytest.mark.parametrize(("kind", "description", "note"), [
    ("GEOMETRY", None, "calibrated for the geometric magnification: 0.13 mm pixels, 0.15 mm at the detector"),
    ("FIDUCIAL", "25 mm ball",
     "calibrated against an object of known size (25 mm ball): 0.13 mm pixels, 0.15 mm at the detector"),
    (None, None, "calibrated by the modality: 0.13 mm pixels, 0.15 mm at the detector"),
    ("OTHER", "", "calibrated by the modality: 0.13 mm pixels, 0.15 mm at the detector"),
])
def test_a_calibrated_pixel_spacing_is_said_word_for_word(kind: str | None, description: str | None, note: str) -> None:
    attributes: dict[str, object] = {"ImagerPixelSpacing": [0.15, 0.16]}
    if kind is not None:
        attributes["PixelSpacingCalibrationType"] = kind
    if description is not None:
        attributes["PixelSpacingCalibrationDescription"] = description
    found = projection_calibration(header(**attributes), (0.13, 0.14))
    assert (found.spacing, found.source, found.notes) == ((0.13, 0.14), "PixelSpacing", [note])


def test_the_detector_and_its_factor_are_said_by_their_row_spacing() -> None:
    found = projection_calibration(header(ImagerPixelSpacing=[0.2, 0.1], EstimatedRadiographicMagnificationFactor="1.25"),
                                   (0.2, 0.1))
    assert found.spacing == pytest.approx((0.16, 0.08)) and found.source == "ERMF"
    assert found.notes == [
        "sizes at the patient: the detector's 0.2 mm pixels divided by the estimated magnification 1.25 (ERMF)"]
    nearly = projection_calibration(header(ImagerPixelSpacing=[0.2, 0.1]), (0.2 + 5e-7, 0.1))  # as written: the same
    assert nearly.source == "ImagerPixelSpacing" and nearly.notes == [DETECTOR_NOTE]


def test_a_pixel_spacing_alone_of_a_projection_film_is_used_without_a_word_and_no_size_at_all_is_none() -> None:
    alone = projection_calibration(header(), (0.3, 0.4))
    assert (alone.spacing, alone.source, alone.notes) == ((0.3, 0.4), "PixelSpacing", [])
    assert projection_calibration(header(), None) == Calibration(None, "", [])
    assert film_calibration(header(), None).notes == [UNCALIBRATED]  # no ultrasound note, no other
    assert film_calibration(header(), None).source == ""
    empty_factor = projection_calibration(header(ImagerPixelSpacing=[0.1, 0.1], EstimatedRadiographicMagnificationFactor=""),
                                          None)
    assert empty_factor.notes == [DETECTOR_NOTE]  # an empty factor is no factor: no "unusable" note


def region(fmt: int | None = 1, x: int | None = 3, y: int | None = 3, dx: float | None = 0.02, dy: float = 0.02) -> Dataset:
    item = Dataset()
    for keyword, value in (("RegionSpatialFormat", fmt), ("PhysicalUnitsXDirection", x), ("PhysicalUnitsYDirection", y),
                           ("PhysicalDeltaX", dx), ("PhysicalDeltaY", dy)):
        if value is not None:
            setattr(item, keyword, value)
    return item


@pytest.mark.parametrize(("regions", "spacing", "note"), [
    ([region(fmt=3, x=4, y=7), region(dx=0.03)], (0.2, 0.3), US_NOTE),  # a Doppler strip first: read past it
    ([region(x=4), region(dx=0.03)], (0.2, 0.3), US_NOTE),  # X in seconds first: read past it
    ([region(y=7), region(dy=0.04)], (0.4, 0.2), US_NOTE),  # Y in cm/s first: read past it
    ([region(fmt=None)], None, ""),  # no spatial format: not a 2D region
    ([region(x=None)], None, ""), ([region(y=None)], None, ""),  # units not stated: not cm
    ([region(dx=0.0)], None, ""), ([region(dy=0.0)], None, ""),  # no size
    ([region(dx=-0.02, dy=-0.03)], (0.3, 0.2), US_NOTE),  # a sign is a direction, not a size
    ([region(dx=0.01), region(dx=0.01 + 1e-12)], (0.2, 0.1), US_NOTE),  # the same size, written twice
    ([region(dx=0.01), region(dx=0.01 + 3e-11)], (0.2, 0.1), US_NOTE),  # 3e-10 mm apart: one size (to 1e-9 mm)
    ([region(dx=None), region(dx=0.03)], (0.2, 0.3), US_NOTE),  # a region without its size: read past it
    ([region(), region(dx=0.05)], None, "the ultrasound regions state different pixel sizes: uncalibrated"),
])
def test_ultrasound_regions_by_hand(regions: list[Dataset], spacing: tuple | None, note: str) -> None:
    found, said = ultrasound_spacing(header(SequenceOfUltrasoundRegions=regions))
    assert found == (pytest.approx(spacing) if spacing else None) and said == note
    calibration = film_calibration(header(SequenceOfUltrasoundRegions=regions), None)
    assert calibration.source == ("SequenceOfUltrasoundRegions" if spacing else "")
    assert calibration.notes == [n for n in (note, "" if spacing else UNCALIBRATED) if n]
