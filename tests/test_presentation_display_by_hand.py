"""What a presentation state says of one image, read from states built here attribute by attribute
(PS3.3 A.33.1), every expected value worked out by hand from the standard's rules."""
from __future__ import annotations

import math

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from lightbox.dicomreports.presentation_display import (
    DisplayedArea,
    StateGraphic,
    catmull_rom,
    graphic_polylines,
    presentation_of,
    presentation_states,
    references_image,
)
from lightbox.viewer.pixels import Window

GSPS, CSPS = "1.2.840.10008.5.1.4.1.1.11.1", "1.2.840.10008.5.1.4.1.1.11.2"


def _image(uid: str = "1.2.3.4", rows: int = 50, columns: int = 100, **attributes: object) -> Dataset:
    image = Dataset()
    image.SOPInstanceUID, image.Rows, image.Columns = uid, rows, columns
    for keyword, value in attributes.items():
        setattr(image, keyword, value)
    return image


def _reference(uid: str, frames: list[int] | None = None) -> Dataset:
    item = Dataset()
    item.ReferencedSOPInstanceUID = uid
    if frames:
        item.ReferencedFrameNumber = frames
    return item


def _state(*references: Dataset, **attributes: object) -> Dataset:
    state = Dataset()
    state.SOPClassUID = GSPS
    series = Dataset()
    series.SeriesInstanceUID = "9.9"
    series.ReferencedImageSequence = Sequence(list(references) or [_reference("1.2.3.4")])
    state.ReferencedSeriesSequence = Sequence([series])
    for keyword, value in attributes.items():
        setattr(state, keyword, value)
    return state


def _item(**attributes: object) -> Dataset:
    item = Dataset()
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


def test_which_images_and_frames_a_state_presents() -> None:
    state = _state(_reference("1.2.3.4", [2, 4]), _reference("5.6"))
    assert references_image(state, "1.2.3.4", 2) and references_image(state, "1.2.3.4", 4)
    assert not references_image(state, "1.2.3.4", 3)  # a frame it does not name
    assert references_image(state, "1.2.3.4")  # the image as a whole
    assert references_image(state, "5.6", 7)  # no frame numbers: every frame (C.10.5)
    assert not references_image(state, "7.7")
    assert presentation_of(state, _image("1.2.3.4"), 3) is None
    assert presentation_of(state, _image("1.2.3.4"), 4) is not None


def test_the_states_own_words_and_the_image_size_it_needs() -> None:
    state = _state(ContentLabel="PRIOR", ContentDescription="as reported", ContentCreatorName="Smith^Anna^^Dr",
                   PresentationCreationDate="20261130")
    presentation = presentation_of(state, _image())
    assert presentation is not None
    assert (presentation.label, presentation.description, presentation.creator, presentation.created, presentation.kind) \
        == ("PRIOR", "as reported", "Smith Anna  Dr", "20261130", "GSPS")
    assert presentation.title() == "PRIOR - as reported (Smith Anna  Dr, 2026-11-30)"
    assert presentation_of(_state(), _image()).title() == "UNNAMED"  # type: ignore[union-attr]
    state.SOPClassUID = CSPS
    assert presentation_of(state, _image()).kind == "CSPS"  # type: ignore[union-attr]
    assert presentation_of(state, _image(rows=1, columns=1)) is not None  # a one-pixel image is an image
    with pytest.raises(ValueError, match="the image states no size"):
        presentation_of(state, _image(rows=0))


@pytest.mark.parametrize("shape, inverse", [("INVERSE", True), ("IDENTITY", False), ("", None)])
def test_the_presentation_lut_shape(shape: str, inverse: bool | None) -> None:
    state = _state(PresentationLUTShape=shape) if shape else _state()
    presentation = presentation_of(state, _image())
    assert presentation is not None and presentation.inverse is inverse and presentation.not_applied == ()


def test_a_presentation_lut_table_is_said() -> None:
    presentation = presentation_of(_state(PresentationLUTSequence=Sequence([_item(LUTDescriptor=[256, 0, 8])])), _image())
    assert presentation is not None and presentation.inverse is None
    assert presentation.not_applied == ("its Presentation LUT table",)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_the_four_rotations_and_the_flip(rotation: int) -> None:
    presentation = presentation_of(_state(ImageRotation=rotation, ImageHorizontalFlip="Y"), _image())
    assert presentation is not None and (presentation.rotation, presentation.flip_horizontal) == (rotation, True)
    assert presentation.not_applied == ()


def test_overlay_activation_is_read_from_the_tags_of_an_overlay_group() -> None:
    state = _state()
    assert presentation_of(state, _image()).overlays_shown is False  # type: ignore[union-attr]
    state.add_new(0x60021001, "CS", "LAYER")  # the second overlay group (6002)
    assert presentation_of(state, _image()).overlays_shown is True  # type: ignore[union-attr]
    other = _state()
    other.add_new(0x60021002, "CS", "X")  # another element of the group
    other.add_new(0x60031001, "CS", "X")  # an odd (private) group
    other.add_new(0x70001001, "CS", "X")  # not an overlay group
    assert presentation_of(other, _image()).overlays_shown is False  # type: ignore[union-attr]


def test_windows_per_image_and_their_functions() -> None:
    """Two VOI items, each naming its image; several centres (the first is the one, C.11.2)."""
    first = _item(WindowCenter=[40, 500], WindowWidth=[400, 2000], VOILUTFunction="SIGMOID",
                  ReferencedImageSequence=Sequence([_reference("1.2.3.4")]))
    second = _item(WindowCenter=-600, WindowWidth=1500, ReferencedImageSequence=Sequence([_reference("5.6")]))
    state = _state(_reference("1.2.3.4"), _reference("5.6"), SoftcopyVOILUTSequence=Sequence([second, first]))
    assert presentation_of(state, _image("1.2.3.4")).window == Window(40.0, 400.0, "SIGMOID")  # type: ignore[union-attr]
    assert presentation_of(state, _image("5.6")).window == Window(-600.0, 1500.0)  # type: ignore[union-attr]
    state.SoftcopyVOILUTSequence[1].VOILUTFunction = "CURVED"
    presentation = presentation_of(state, _image("1.2.3.4"))
    assert presentation.window == Window(40.0, 400.0)  # type: ignore[union-attr]
    assert presentation.not_applied == ("VOI LUT function 'CURVED' (shown as LINEAR)",)  # type: ignore[union-attr]


def test_windows_that_cannot_be_used_are_said() -> None:
    table = _state(SoftcopyVOILUTSequence=Sequence([_item(VOILUTSequence=Sequence([_item(LUTDescriptor=[4, 0, 8])]))]))
    presentation = presentation_of(table, _image())
    assert presentation.window is None  # type: ignore[union-attr]
    assert presentation.not_applied == ("its VOI LUT table (shown with the image's own window)",)  # type: ignore[union-attr]
    zero = presentation_of(_state(SoftcopyVOILUTSequence=Sequence([_item(WindowCenter=10, WindowWidth=0)])), _image())
    assert zero.window is None and zero.not_applied == ("its window (not usable numbers)",)  # type: ignore[union-attr]
    lut = _state(SoftcopyVOILUTSequence=Sequence([_item(WindowCenter=100, WindowWidth=50)]),
                 ModalityLUTSequence=Sequence([_item(LUTDescriptor=[4, 0, 8])]))
    read = presentation_of(lut, _image(RescaleSlope=2, RescaleIntercept=10))
    assert read.window == Window(100.0, 50.0)  # type: ignore[union-attr]
    assert read.not_applied == ("its Modality LUT table (the window read in the image's values)",)  # type: ignore[union-attr]


def test_a_window_in_the_states_rescale_by_hand() -> None:
    """Image: value = 3 s - 30. State: value' = 0.5 s + 5, window 105 / 20 in value'. The stored
    values it spans, centre (105 - 5) / 0.5 = 200, width 40; in the image's values 3 * 200 - 30 =
    570, 120 wide. A slope of 0 is no rescale: the window is read in the image's values, said."""
    state = _state(SoftcopyVOILUTSequence=Sequence([_item(WindowCenter=105, WindowWidth=20)]), RescaleSlope=0.5,
                   RescaleIntercept=5)
    image = _image(RescaleSlope=3, RescaleIntercept=-30)
    assert presentation_of(state, image).window == Window(570.0, 120.0)  # type: ignore[union-attr]
    state.RescaleSlope = -0.5  # a negative slope: the width stays positive
    assert presentation_of(state, image).window == Window(-30 + 3 * (105 - 5) / -0.5, 120.0)  # type: ignore[union-attr]
    state.RescaleSlope = 0
    presentation = presentation_of(state, image)
    assert presentation.window == Window(105.0, 20.0)  # type: ignore[union-attr]


@pytest.mark.parametrize("item, area, said", [
    (dict(DisplayedAreaTopLeftHandCorner=[11, 21], DisplayedAreaBottomRightHandCorner=[60, 40],
          PresentationSizeMode="MAGNIFY", PresentationPixelMagnificationRatio=2.5),
     DisplayedArea(10, 20, 59, 39, "MAGNIFY", 2.5), ()),
    (dict(DisplayedAreaTopLeftHandCorner=[1, 1], DisplayedAreaBottomRightHandCorner=[100, 50],
          PresentationSizeMode="MAGNIFY"),
     DisplayedArea(0, 0, 99, 49), ("MAGNIFY without a usable magnification ratio (scaled to fit)",)),
    (dict(DisplayedAreaTopLeftHandCorner=[1, 1], DisplayedAreaBottomRightHandCorner=[100, 50],
          PresentationSizeMode="STRETCH"),
     DisplayedArea(0, 0, 99, 49), ("presentation size mode 'STRETCH' (scaled to fit)",)),
    (dict(DisplayedAreaTopLeftHandCorner=[1, 1], DisplayedAreaBottomRightHandCorner=[100, 50]),
     DisplayedArea(0, 0, 99, 49), ()),
    (dict(DisplayedAreaTopLeftHandCorner=[50, 1], DisplayedAreaBottomRightHandCorner=[10, 50]),
     None, ("a displayed area whose corners are the wrong way round",)),
    (dict(DisplayedAreaTopLeftHandCorner=[1, 1]), None, ("a displayed area without its corners",)),
])
def test_the_displayed_area(item: dict, area: DisplayedArea | None, said: tuple[str, ...]) -> None:
    """Corners are column\\row counted from 1, both pixels shown (C.10.4): 0-based here."""
    presentation = presentation_of(_state(DisplayedAreaSelectionSequence=Sequence([_item(**item)])), _image())
    assert presentation is not None and presentation.area == area and presentation.not_applied == said


def test_a_displayed_area_for_another_image_is_not_this_ones() -> None:
    other = _item(DisplayedAreaTopLeftHandCorner=[5, 5], DisplayedAreaBottomRightHandCorner=[9, 9],
                  ReferencedImageSequence=Sequence([_reference("5.6")]))
    mine = _item(DisplayedAreaTopLeftHandCorner=[1, 1], DisplayedAreaBottomRightHandCorner=[20, 10],
                 ReferencedImageSequence=Sequence([_reference("1.2.3.4")]))
    state = _state(_reference("1.2.3.4"), _reference("5.6"), DisplayedAreaSelectionSequence=Sequence([other, mine]))
    assert presentation_of(state, _image("1.2.3.4")).area == DisplayedArea(0, 0, 19, 9)  # type: ignore[union-attr]


def _graphic(kind: str, data: list[float], units: str = "PIXEL", **more: object) -> Dataset:
    return _item(GraphicAnnotationUnits=units, GraphicDimensions=2, NumberOfGraphicPoints=len(data) // 2,
                 GraphicData=data, GraphicType=kind, **more)


def _annotated(*graphics: Dataset, texts: tuple[Dataset, ...] = (), layer: str = "A", **annotation: object) -> Dataset:
    item = _item(GraphicLayer=layer, **annotation)
    if graphics:
        item.GraphicObjectSequence = Sequence(list(graphics))
    if texts:
        item.TextObjectSequence = Sequence(list(texts))
    return item


def test_graphics_by_layer_order_and_colour() -> None:
    """Layer B (order 1, a CIELab white) is drawn before layer A (order 2, grey 0x8000 of 0xFFFF:
    128); a layer without a colour leaves the viewer's; a filled polygon says so."""
    layers = [_item(GraphicLayer="A", GraphicLayerOrder=2, GraphicLayerRecommendedDisplayGrayscaleValue=0x8000),
              _item(GraphicLayer="B", GraphicLayerOrder=1, GraphicLayerRecommendedDisplayCIELabValue=[65535, 32896, 32896]),
              _item(GraphicLayer="C", GraphicLayerOrder=3)]
    annotations = [_annotated(_graphic("POLYLINE", [1.5, 1.5, 5.5, 1.5]), layer="A"),
                   _annotated(_graphic("POLYLINE", [0.5, 0.5, 2.5, 0.5, 2.5, 2.5, 0.5, 0.5], GraphicFilled="Y"), layer="B"),
                   _annotated(_graphic("POINT", [3.5, 3.5]), layer="C")]
    state = _state(GraphicLayerSequence=Sequence(layers), GraphicAnnotationSequence=Sequence(annotations))
    graphics = presentation_of(state, _image()).graphics  # type: ignore[union-attr]
    assert graphics == (
        StateGraphic("POLYLINE", ((0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 0.0)), filled=True, layer="B",
                     colour=(255, 255, 255)),
        StateGraphic("POLYLINE", ((1.0, 1.0), (5.0, 1.0)), layer="A", colour=(128, 128, 128)),
        StateGraphic("POINT", ((3.0, 3.0),), layer="C", colour=None))


def test_graphics_that_cannot_be_drawn_are_said() -> None:
    annotation = _annotated(_graphic("POLYLINE", [1.0, 1.0, 2.0, 2.0], units="MATRIX"),
                            _graphic("SPLINE", [1.0, 1.0, 2.0, 2.0]),
                            _graphic("CIRCLE", [1.0, 1.0]), _graphic("ELLIPSE", [1.0, 1.0, 2.0, 2.0]),
                            texts=(_item(UnformattedTextValue="lost"),))
    presentation = presentation_of(_state(GraphicAnnotationSequence=Sequence([annotation])), _image())
    assert presentation is not None and presentation.graphics == ()
    assert presentation.not_applied == ("graphics in MATRIX units", "a graphic of type 'SPLINE'",
                                        "a circle with too few points", "a ellipse with too few points",
                                        "a text without a place")


def test_an_annotation_for_another_frame_is_not_drawn_on_this_one() -> None:
    mine = _annotated(_graphic("POINT", [1.5, 1.5]), ReferencedImageSequence=Sequence([_reference("1.2.3.4", [2])]))
    other = _annotated(_graphic("POINT", [9.5, 9.5]), ReferencedImageSequence=Sequence([_reference("1.2.3.4", [3])]))
    state = _state(_reference("1.2.3.4", [2, 3]), GraphicAnnotationSequence=Sequence([mine, other]))
    assert [g.points for g in presentation_of(state, _image(), 2).graphics] == [((1.0, 1.0),)]  # type: ignore[union-attr]
    assert [g.points for g in presentation_of(state, _image(), 3).graphics] == [((9.0, 9.0),)]  # type: ignore[union-attr]


def test_texts_by_box_in_display_units_and_by_anchor() -> None:
    """A box in DISPLAY units on the whole 100 x 50 image, not turned: 0.1\\0.2 is 10 % of 100
    columns from the left edge (column -0.5 + 10 = 9.5) and 20 % of 50 rows down (row 9.5)."""
    box = _item(UnformattedTextValue="box", BoundingBoxAnnotationUnits="DISPLAY",
                BoundingBoxTopLeftHandCorner=[0.1, 0.2], BoundingBoxBottomRightHandCorner=[0.5, 0.4])
    anchored = _item(UnformattedTextValue="here", AnchorPointAnnotationUnits="PIXEL", AnchorPoint=[20.5, 30.5],
                     AnchorPointVisibility="N")
    state = _state(GraphicAnnotationSequence=Sequence([_annotated(texts=(box, anchored))]))
    first, second = presentation_of(state, _image()).graphics  # type: ignore[union-attr]
    assert (first.kind, first.text) == ("TEXT", "box") and np.allclose(first.points, [(9.5, 9.5), (49.5, 19.5)])
    assert (second.text, second.points) == ("here", ((20.0, 30.0),))


def test_display_units_under_each_rotation() -> None:
    """The displayed area's top-left corner as shown, (0, 0) in DISPLAY units, on a 100 x 50 image:
    not turned, the image's top-left edge (-0.5, -0.5); turned 90 degrees clockwise, its bottom-left
    (-0.5, 49.5); 180, its bottom-right (99.5, 49.5); 270, its top-right (99.5, -0.5)."""
    expected = {0: (-0.5, -0.5), 90: (-0.5, 49.5), 180: (99.5, 49.5), 270: (99.5, -0.5)}
    for rotation, corner in expected.items():
        state = _state(ImageRotation=rotation,
                       GraphicAnnotationSequence=Sequence([_annotated(_graphic("POINT", [0.0, 0.0], units="DISPLAY"))]))
        (point,) = presentation_of(state, _image()).graphics  # type: ignore[union-attr]
        assert point.points == (corner,), rotation


def test_circles_ellipses_and_points_as_drawn() -> None:
    (circle,) = graphic_polylines(StateGraphic("CIRCLE", ((10.0, 10.0), (13.0, 14.0))))  # radius 5
    assert len(circle) == 73 and circle[0] == pytest.approx((15.0, 10.0)) and circle[-1] == pytest.approx(circle[0])
    assert all(math.hypot(x - 10, y - 10) == pytest.approx(5.0) for x, y in circle)
    assert circle[18] == pytest.approx((10.0, 15.0))  # a quarter turn: rows grow downwards
    (ellipse,) = graphic_polylines(StateGraphic("ELLIPSE", ((0.0, 0.0), (10.0, 0.0), (5.0, -2.0), (5.0, 2.0))))
    assert ellipse[0] == pytest.approx((10.0, 0.0)) and ellipse[18] == pytest.approx((5.0, 2.0))
    assert all(((x - 5) / 5) ** 2 + (y / 2) ** 2 == pytest.approx(1.0) for x, y in ellipse)
    assert graphic_polylines(StateGraphic("POINT", ((4.0, 6.0),))) == [[(2.0, 6.0), (6.0, 6.0)], [(4.0, 4.0), (4.0, 8.0)]]
    assert graphic_polylines(StateGraphic("INTERPOLATED", ((0.0, 0.0), (3.0, 4.0)))) == [[(0.0, 0.0), (3.0, 4.0)]]


def test_a_closed_interpolated_outline_stays_closed_and_smooth() -> None:
    """The square (0,0) (10,0) (10,10) (0,10) closed: half way along its first side, with the
    neighbours (0,10) before and (10,10) after, the curve bulges out to (5, -1.25) (by the
    Catmull-Rom formula); an open curve would use (0,0) twice and reach only (5, -0.625)."""
    ring = [np.array(p, dtype=float) for p in ((0, 0), (10, 0), (10, 10), (0, 10), (0, 0))]
    curve = catmull_rom(ring)
    assert len(curve) == 33 and curve[0] == curve[-1] == (0.0, 0.0)
    assert curve[4] == pytest.approx((5.0, -1.25)) and [curve[8 * k] for k in range(4)] == \
        [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]


def test_states_are_listed_newest_first() -> None:
    image = _image()
    older = _state(PresentationCreationDate="20250101", PresentationCreationTime="120000")
    newer = _state(PresentationCreationDate="20250101", PresentationCreationTime="130000")
    report = _state()
    report.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"  # a report SR naming the image: not a state
    elsewhere = _state(_reference("5.6"))
    listed = presentation_states([("a", older), ("b", newer), ("c", report), ("d", elsewhere)], image)
    assert [path for path, _ in listed] == ["b", "a"]
