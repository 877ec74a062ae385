"""Another system's TID 1500 report read for display, from reports built here item by item
(PS3.16 TID 1500 / 1410 / 1419, PS3.3 C.17.3): its regions on the image they reference, its values
in words, its observer; every expected value written by hand."""
from __future__ import annotations

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from lightbox.dicomreports.measurement_display import (
    is_measurement_report,
    measurement_presentation,
    observer_name,
    report_references_image,
)
from lightbox.dicomreports.presentation_display import StateGraphic

COMPREHENSIVE = "1.2.840.10008.5.1.4.1.1.88.33"


def _code(value: str, meaning: str, scheme: str = "DCM") -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, scheme, meaning
    return code


def _item(value_type: str, concept: Dataset, **attributes: object) -> Dataset:
    item = Dataset()
    item.ValueType = value_type
    item.ConceptNameCodeSequence = Sequence([concept])
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


def _num(meaning: str, value: float, unit: str, derivation: str = "", code: str = "1") -> Dataset:
    measured = Dataset()
    measured.NumericValue = value
    measured.MeasurementUnitsCodeSequence = Sequence([_code(unit, unit, "UCUM")])
    item = _item("NUM", _code(code, meaning, "SCT"), MeasuredValueSequence=Sequence([measured]))
    if derivation:
        item.ContentSequence = Sequence([_item("CODE", _code("121401", "Derivation"),
                                               ConceptCodeSequence=Sequence([_code("2", derivation, "SCT")]))])
    return item


def _region(kind: str, data: list[float], uid: str = "1.2.3.4", frames: list[int] | None = None) -> Dataset:
    reference = Dataset()
    reference.ReferencedSOPClassUID, reference.ReferencedSOPInstanceUID = "1.2.840.10008.5.1.4.1.1.1", uid
    if frames:
        reference.ReferencedFrameNumber = frames
    image = _item("IMAGE", _code("121112", "Source of Measurement"), ReferencedSOPSequence=Sequence([reference]))
    return _item("SCOORD", _code("111030", "Image Region"), GraphicType=kind, GraphicData=data,
                 ContentSequence=Sequence([image]))


def _report(*groups: list[Dataset], observer: str = "Doe^Ann", **attributes: object) -> Dataset:
    report = Dataset()
    report.SOPClassUID = COMPREHENSIVE
    report.Manufacturer = "OHIF"
    measurements = _item("CONTAINER", _code("126010", "Imaging Measurements"), ContentSequence=Sequence(
        [_item("CONTAINER", _code("125007", "Measurement Group"), ContentSequence=Sequence(group)) for group in groups]))
    other = _item("CONTAINER", _code("111028", "Image Library"), ContentSequence=Sequence(
        [_item("CONTAINER", _code("125007", "Measurement Group"),
               ContentSequence=Sequence([_region("POINT", [1.5, 1.5])]))]))
    content = [_item("PNAME", _code("121008", "Person Observer Name"), PersonName=observer)] if observer else []
    report.ContentSequence = Sequence([_item("TEXT", _code("121106", "Comment"), TextValue="x"), *content, other,
                                       measurements])
    for keyword, value in attributes.items():
        setattr(report, keyword, value)
    return report


def _image(uid: str = "1.2.3.4") -> Dataset:
    image = Dataset()
    image.SOPInstanceUID = uid
    return image


def test_which_documents_are_measurement_reports() -> None:
    report = _report()
    assert is_measurement_report(report)  # no template stated: read as one
    template = Dataset()
    template.TemplateIdentifier, template.MappingResource = "1500", "DCMR"
    report.ContentTemplateSequence = Sequence([template])
    assert is_measurement_report(report)
    template.TemplateIdentifier = "2000"  # a Basic Diagnostic Imaging Report
    assert not is_measurement_report(report)
    report.ContentTemplateSequence = Sequence([])
    assert is_measurement_report(report)
    report.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"  # Enhanced SR: not the classes TID 1500 is written in here
    assert not is_measurement_report(report)
    report.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    assert is_measurement_report(report)


def test_the_evidence_names_the_images() -> None:
    report = _report()
    assert not report_references_image(report, "1.2.3.4")
    reference = Dataset()
    reference.ReferencedSOPInstanceUID = "1.2.3.4"
    other = Dataset()
    other.ReferencedSOPInstanceUID = "9.9"
    series, study = Dataset(), Dataset()
    series.ReferencedSOPSequence = Sequence([other, reference])
    study.ReferencedSeriesSequence = Sequence([series])
    report.CurrentRequestedProcedureEvidenceSequence = Sequence([study])
    assert report_references_image(report, "1.2.3.4") and report_references_image(report, "9.9")
    assert not report_references_image(report, "1.2.3")


def test_the_observer_by_name() -> None:
    assert observer_name(_report(observer="Doe^Ann^^Dr")) == "Doe Ann  Dr"
    assert observer_name(_report(observer="")) == ""


@pytest.mark.parametrize("item, words", [
    (_num("Length", 12.34, "mm"), "Length 12.3 mm"),
    (_num("Area", 30.0, "mm2"), "Area 30.0 mm²"),
    (_num("Area", 3.0, "cm2"), "Area 3.0 cm²"),
    (_num("Diameter", 1.25, "cm"), "Diameter 1.2 cm"),
    (_num("Attenuation Coefficient", 35.0, "[hnsf'U]", derivation="Mean"), "Mean Attenuation Coefficient 35.0 HU"),
    # the unit names the quantity (DCM 112031 in HU, DCM 126401 in SUVbw): the derivation alone
    (_num("Attenuation Coefficient", 35.0, "[hnsf'U]", derivation="Mean", code="112031"), "Mean 35.0 HU"),
    (_num("SUVbw", 4.44, "{SUVbw}g/ml", derivation="Maximum", code="126401"), "Maximum 4.4 SUVbw"),
    (_num("SUVbw", 4.44, "{SUVbw}g/ml", derivation="Maximum"), "Maximum SUVbw 4.4 SUVbw"),  # another code: as written
    (_num("Attenuation Coefficient", 35.0, "[hnsf'U]", code="112031"), "Attenuation Coefficient 35.0 HU"),  # no derivation
    (_num("Angle", 30.0, "deg"), "Angle 30.0°"),
    (_num("Ratio", 2.0, "1"), "Ratio 2.0"),
    (_num("Time", 5.0, "ms"), "Time 5.0 ms"),
])
def test_values_in_words(item: Dataset, words: str) -> None:
    region = _region("POLYLINE", [0.5, 0.5, 10.5, 0.5])
    presentation = measurement_presentation(_report([region, item]), _image())
    assert presentation is not None and presentation.graphics[-1].text == words


def test_regions_on_their_image_and_frame_with_their_words_beside() -> None:
    """Coordinates in DICOM's pixel space (centres at +0.5): a length from (10.5, 20.5) to
    (40.5, 20.5) is (10, 20)-(40, 20); its words 3 pixels right of its right end, (43, 20)."""
    length = [_region("POLYLINE", [10.5, 20.5, 40.5, 20.5]), _num("Length", 6.0, "mm")]
    ellipse = [_region("ELLIPSE", [0.5, 5.5, 10.5, 5.5, 5.5, 3.5, 5.5, 7.5], frames=[2]), _num("Area", 31.4, "mm2")]
    points = [_region("MULTIPOINT", [1.5, 1.5, 2.5, 2.5])]
    circle = [_region("CIRCLE", [5.5, 5.5, 7.5, 5.5])]
    elsewhere = [_region("POLYLINE", [1.5, 1.5, 2.5, 2.5], uid="9.9"), _num("Length", 1.0, "mm")]
    odd = [_region("SPLINE", [1.5, 1.5, 2.5, 2.5])]
    empty = [_region("POLYLINE", [])]
    no_region = [_num("Length", 1.0, "mm")]
    # the groups that give nothing first: the ones after them are still read
    report = _report(odd, empty, no_region, length, ellipse, points, circle, elsewhere, ContentDate="20261130")
    first = measurement_presentation(report, _image(), 1)
    assert first is not None
    assert (first.label, first.description, first.creator, first.created, first.kind) == \
        ("MEASUREMENTS", "by Doe Ann", "Doe Ann", "20261130", "SR")
    assert first.title() == "MEASUREMENTS - by Doe Ann (Doe Ann, 2026-11-30)"
    assert first.graphics == (
        StateGraphic("POLYLINE", ((10.0, 20.0), (40.0, 20.0))), StateGraphic("TEXT", ((43.0, 20.0),), "Length 6.0 mm",
                                                                              other_side=(7.0, 20.0)),
        StateGraphic("POINT", ((1.0, 1.0),)), StateGraphic("POINT", ((2.0, 2.0),)),
        StateGraphic("CIRCLE", ((5.0, 5.0), (7.0, 5.0))))
    assert first.not_applied == ("a region of type 'SPLINE'",)
    second = measurement_presentation(report, _image(), 2)  # the ellipse is on frame 2
    assert second is not None and StateGraphic("ELLIPSE", ((0.0, 5.0), (10.0, 5.0), (5.0, 3.0), (5.0, 7.0))) in \
        second.graphics and StateGraphic("TEXT", ((13.0, 5.0),), "Area 31.4 mm²", other_side=(-3.0, 5.0)) in second.graphics
    whole = measurement_presentation(report, _image())  # the image as a whole: every frame's regions
    assert whole is not None and len(whole.graphics) == len(second.graphics)
    assert measurement_presentation(report, _image("7.7")) is None  # nothing on another image
    assert measurement_presentation(_report(length, observer=""), _image()).description == "another reader's"  # type: ignore[union-attr]


def test_a_report_too_damaged_to_read_is_a_value_error() -> None:
    report = _report([_region("POLYLINE", [1.5, 1.5, 2.5, 2.5])])
    group = report.ContentSequence[-1].ContentSequence[0]
    del group.ContentSequence[0].ContentSequence[0].ReferencedSOPSequence  # the region names no image
    with pytest.raises(ValueError, match=r"the measurement report cannot be read \(AttributeError"):
        measurement_presentation(report, _image())


def test_a_region_whose_coordinates_are_no_numbers_is_said_not_drawn() -> None:
    """A polyline with a NaN (Graphic Data is FL: a damaged or hostile report can hold one) was drawn
    with a gap at the NaN; now left out, in words, beside a readable one still drawn."""
    broken = [_region("POLYLINE", [1.5, 1.5, float("nan"), 2.5]), _num("Length", 5.0, "mm")]
    readable = [_region("POLYLINE", [5.5, 1.5, 5.5, 9.5]), _num("Length", 8.0, "mm")]
    presentation = measurement_presentation(_report(broken, readable), _image())
    assert presentation is not None
    assert [g.points for g in presentation.graphics if g.kind == "POLYLINE"] == [((5.0, 1.0), (5.0, 9.0))]
    assert presentation.not_applied == ("a POLYLINE whose coordinates cannot be read",)


def test_several_values_an_upright_line_an_odd_count_and_no_date() -> None:
    """Two values of one region, a line each; words beside an upright line's first-listed right
    end (both ends share the column: the first, (5, 1)); a region of five numbers read as its two
    pairs; a report without a Content Date names none."""
    upright = [_region("POLYLINE", [5.5, 1.5, 5.5, 9.5, 7.0]), _num("Area", 30.0, "mm2"),
               _num("Attenuation Coefficient", 35.0, "[hnsf'U]", derivation="Mean", code="112031")]
    presentation = measurement_presentation(_report(upright), _image())
    assert presentation is not None and presentation.title() == "MEASUREMENTS - by Doe Ann (Doe Ann)"
    line, words = presentation.graphics
    assert line.points == ((5.0, 1.0), (5.0, 9.0))
    # (and its other side, left of the line, for a pane whose right edge it would pass)
    assert words == StateGraphic("TEXT", ((8.0, 1.0),), "Area 30.0 mm²\nMean 35.0 HU", other_side=(2.0, 1.0))


def test_a_cobb_angle_is_its_two_endplate_lines_not_a_zigzag() -> None:
    """OHIF (dcmjs TID 300 CobbAngle) writes a Cobb angle (SCT 285285000) as one POLYLINE through
    the two lines' four ends; drawn as a polyline it had a third, meaningless segment joining
    them. Another angle's four-point polyline stays one polyline."""
    data = [10.5, 80.5, 50.5, 70.5, 60.5, 20.5, 100.5, 40.5]
    cobb = [_region("POLYLINE", data), _num("Cobb angle", 71.6, "deg", code="285285000")]
    shown = measurement_presentation(_report(cobb), _image())
    assert shown is not None and shown.graphics == (
        StateGraphic("POLYLINE", ((10.0, 80.0), (50.0, 70.0))), StateGraphic("POLYLINE", ((60.0, 20.0), (100.0, 40.0))),
        StateGraphic("TEXT", ((103.0, 40.0),), "Cobb angle 71.6°", other_side=(7.0, 40.0)))
    other = measurement_presentation(_report([_region("POLYLINE", data), _num("Angle", 30.0, "deg")]), _image())
    assert other is not None and other.graphics[0] == StateGraphic("POLYLINE", ((10.0, 80.0), (50.0, 70.0), (60.0, 20.0),
                                                                                (100.0, 40.0)))
    three = measurement_presentation(_report([_region("POLYLINE", data[:6]), _num("Cobb angle", 9.0, "deg",
                                                                                   code="285285000")]), _image())
    assert three is not None and three.graphics[0] == StateGraphic("POLYLINE", ((10.0, 80.0), (50.0, 70.0),
                                                                                (60.0, 20.0)))


def _calibrated(**attributes: object) -> Dataset:
    image = _image()
    image.Modality = "CT"
    image.PixelSpacing = [0.5, 0.25]  # rows 0.5 mm, columns 0.25 mm
    for keyword, value in attributes.items():
        setattr(image, keyword, value)
    return image


def _texts(report: Dataset, image: Dataset, frame: int | None = None) -> list[str]:
    shown = measurement_presentation(report, image, frame)
    assert shown is not None
    return [g.text for g in shown.graphics if g.kind == "TEXT"]


def test_a_length_or_area_is_measured_again_on_the_images_pixels_and_a_difference_said() -> None:
    """Pixels 0.25 mm wide, 0.5 mm tall. A line from pixel (10, 20) to (40, 20): 30 × 0.25 = 7.5 mm.
    A rectangle (10, 20)-(30, 30) as a closed polyline: 20 × 0.25 × 10 × 0.5 = 25 mm². An ellipse
    with axes (10, 20)-(30, 20) and (20, 16)-(20, 24): π × 2.5 × 2 = 15.7 mm²."""
    line = _region("POLYLINE", [10.5, 20.5, 40.5, 20.5])
    box = _region("POLYLINE", [10.5, 20.5, 30.5, 20.5, 30.5, 30.5, 10.5, 30.5, 10.5, 20.5])
    ellipse = _region("ELLIPSE", [10.5, 20.5, 30.5, 20.5, 20.5, 16.5, 20.5, 24.5])
    length, area = ("Length", "410668003"), ("Area", "42798000")
    agreeing = _report([line, _num(*length[:1], 7.5, "mm", code=length[1])],
                       [box, _num(area[0], 25.2, "mm2", code=area[1])],  # within 1 %: as written, nothing added
                       [ellipse, _num(area[0], 15.7, "mm2", code=area[1])])
    assert _texts(agreeing, _calibrated()) == ["Length 7.5 mm", "Area 25.2 mm²", "Area 15.7 mm²"]
    differing = _report([line, _num(length[0], 10.0, "mm", code=length[1])],
                        [box, _num(area[0], 30.0, "mm2", code=area[1]), _num("Mean", 40.0, "[hnsf'U]", "Mean")],
                        [ellipse, _num(area[0], 20.0, "mm2", code=area[1])])
    assert _texts(differing, _calibrated()) == [
        "Length 10.0 mm\n(7.5 mm by this image's Pixel Spacing)",
        "Area 30.0 mm²\n(25.0 mm² by this image's Pixel Spacing)\nMean Mean 40.0 HU",  # a derived value: as written
        "Area 20.0 mm²\n(15.7 mm² by this image's Pixel Spacing)"]
    # an uncalibrated image: nothing to measure with; a length in another unit, a three-point
    # line, or a derived length (a mean of several) is not measured again
    assert _texts(differing, _image())[0] == "Length 10.0 mm"
    other = _report([line, _num(length[0], 1.0, "cm", code=length[1])],
                    [_region("POLYLINE", [10.5, 20.5, 40.5, 20.5, 40.5, 30.5]), _num(length[0], 99.0, "mm", code=length[1])],
                    [line, _num(length[0], 9.0, "mm", "Mean", code=length[1])])
    assert _texts(other, _calibrated()) == ["Length 1.0 cm", "Length 99.0 mm", "Mean Length 9.0 mm"]


def test_a_projection_film_is_measured_at_the_detector_and_an_enhanced_frame_by_its_own_pixel_measures() -> None:
    """A CR with only Imager Pixel Spacing 0.2 mm (PS3.3 10.7.1: a size at the detector): the line
    of 30 pixels is 6.0 mm there. An enhanced CT frame whose Pixel Measures say 0.1 mm columns:
    3.0 mm, not the top level's 7.5."""
    line = _region("POLYLINE", [10.5, 20.5, 40.5, 20.5])
    report = _report([line, _num("Length", 9.9, "mm", code="410668003")])
    film = _image()
    film.Modality, film.ImagerPixelSpacing = "CR", [0.2, 0.2]
    assert _texts(report, film) == ["Length 9.9 mm\n(6.0 mm by this image's Imager Pixel Spacing)"]
    measures = Dataset()
    measures.PixelSpacing = [0.1, 0.1]
    group = Dataset()
    group.PixelMeasuresSequence = Sequence([measures])
    enhanced = _calibrated(PerFrameFunctionalGroupsSequence=Sequence([Dataset(), group]))
    assert _texts(report, enhanced, 2) == ["Length 9.9 mm\n(3.0 mm by this image's Pixel Spacing)"]
