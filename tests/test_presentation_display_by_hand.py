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


def test_a_presentation_lut_table_that_cannot_be_read_is_said() -> None:
    presentation = presentation_of(_state(PresentationLUTSequence=Sequence([_item(LUTDescriptor=[256, 0, 8])])), _image())
    assert presentation is not None and presentation.inverse is None and presentation.presentation_lut is None
    assert presentation.not_applied == ("its Presentation LUT table (it cannot be read)",)


def test_a_presentation_lut_table_by_hand_on_a_monochrome1_image() -> None:
    """C.11.6.1: the windowed grey scaled to the table's input range (here 4 entries: greys 0, 85,
    170, 255 land on entries 0..3), its output P-values scaled from its bits (8: 0..255). The
    table gives the P-values itself: a MONOCHROME1 image is not inverted again, nor cautioned."""
    table = _item(LUTDescriptor=[4, 0, 8])
    table.add_new(0x00283006, "US", [255, 200, 100, 0])
    presentation = presentation_of(_state(PresentationLUTSequence=Sequence([table])),
                                   _image(PhotometricInterpretation="MONOCHROME1"))
    assert presentation is not None and presentation.inverse is False and presentation.cautions == ()
    lut = presentation.presentation_lut
    assert lut is not None and len(lut) == 256
    assert [lut[g] for g in (0, 42, 43, 85, 127, 128, 170, 212, 213, 255)] == [255, 255, 200, 200, 200, 100, 100, 100, 0, 0]
    sixteen = _item(LUTDescriptor=[2, 0, 16])
    sixteen.add_new(0x00283006, "US", [0, 65535])
    lut = presentation_of(_state(PresentationLUTSequence=Sequence([sixteen])), _image()).presentation_lut  # type: ignore[union-attr]
    assert lut is not None and (lut[0], lut[127], lut[128], lut[255]) == (0, 0, 255, 255)
    shaped = presentation_of(_state(PresentationLUTShape="INVERSE", PresentationLUTSequence=Sequence([table])), _image())
    assert shaped is not None and shaped.presentation_lut is None and shaped.inverse is True  # the shape wins


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
    assert presentation.window is None and presentation.voi_table is None  # type: ignore[union-attr]
    # a descriptor without its data: no table to apply
    assert presentation.not_applied == (  # type: ignore[union-attr]
        "its VOI LUT table (it cannot be read: shown with the image's own window)",)
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
                            _graphic("POLYLINE", [1.0, 1.0, float("nan"), 2.0]),  # drawn with a gap until 2026-12-02
                            texts=(_item(UnformattedTextValue="lost"),
                                   _item(UnformattedTextValue="nowhere", AnchorPoint=[float("nan"), 2.0],
                                         AnchorPointAnnotationUnits="PIXEL")))
    presentation = presentation_of(_state(GraphicAnnotationSequence=Sequence([annotation])), _image())
    assert presentation is not None and presentation.graphics == ()
    assert presentation.not_applied == ("graphics in MATRIX units", "a graphic of type 'SPLINE'",
                                        "a circle with too few points", "a ellipse with too few points",
                                        "a polyline whose coordinates cannot be read", "a text without a place")
    # (the NaN-anchored text is the second "without a place": notes are said once each)


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
    # the last side, from (0,10) back to (0,0), between (10,10) and (10,0): out to (-1.25, 5)
    assert curve[28] == pytest.approx((-1.25, 5.0))


def test_states_are_listed_newest_first() -> None:
    image = _image()
    older = _state(PresentationCreationDate="20250101", PresentationCreationTime="120000")
    newer = _state(PresentationCreationDate="20250101", PresentationCreationTime="130000")
    report = _state()
    report.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"  # a report SR naming the image: not a state
    elsewhere = _state(_reference("5.6"))
    listed = presentation_states([("a", older), ("b", newer), ("c", report), ("d", elsewhere)], image)
    assert [path for path, _ in listed] == ["b", "a"]


def test_more_of_the_states_words() -> None:
    from lightbox.dicomreports.presentation_display import ImagePresentation

    assert ImagePresentation("L", created="20261130").title() == "L (2026-11-30)"
    assert ImagePresentation("L", created="2026113").title() == "L (2026113)"  # not a DA: as it is
    assert ImagePresentation("L", created="2026-11-30").title() == "L (2026-11-30)"
    assert ImagePresentation("L").with_source("/a/state.dcm").source == "/a/state.dcm"
    with pytest.raises(ValueError, match="the image states no size"):
        presentation_of(_state(), _image(columns=0))
    unsized = _image()
    del unsized.Rows
    with pytest.raises(ValueError, match="the image states no size"):
        presentation_of(_state(), unsized)
    # a rotation of 1e400 degrees overflowed int(): any failure of a value is a ValueError naming it
    with pytest.raises(ValueError, match=r"the presentation state cannot be read \(OverflowError"):
        presentation_of(_state(ImageRotation="1e400"), _image())


def test_the_shutter_of_a_colour_state_is_in_its_colour() -> None:
    """A rectangular shutter over columns 11..100 (counted from 1): a Color Softcopy state's in
    its CIELab white; a grayscale state's in its grey P-value (0x8000: 128), the CIELab ignored."""
    shutter = dict(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=11, ShutterRightVerticalEdge=100,
                   ShutterUpperHorizontalEdge=1, ShutterLowerHorizontalEdge=50, ShutterPresentationValue=0x8000,
                   ShutterPresentationColorCIELabValue=[65535, 32896, 32896])
    colour = _state(**shutter)
    colour.SOPClassUID = CSPS
    shown = presentation_of(colour, _image()).shutter  # type: ignore[union-attr]
    assert shown is not None and shown.rgb == (255, 255, 255) and shown.shown[:, :10].sum() == 0
    assert shown.shown[:, 10:].all()
    grey = presentation_of(_state(**shutter), _image()).shutter  # type: ignore[union-attr]
    assert grey is not None and grey.rgb is None and grey.grey == 128


def test_windows_and_areas_for_one_frame() -> None:
    """A state on frames 2 and 3 of a cine, a window and an area for each frame."""
    two = _item(WindowCenter=20, WindowWidth=0.5, VOILUTFunction="LINEAR_EXACT",
                ReferencedImageSequence=Sequence([_reference("1.2.3.4", [2])]))
    three = _item(WindowCenter=30, WindowWidth=10, ReferencedImageSequence=Sequence([_reference("1.2.3.4", [3])]))
    area_two = _item(DisplayedAreaTopLeftHandCorner=[5, 5], DisplayedAreaBottomRightHandCorner=[5, 9],
                     PresentationSizeMode="MAGNIFY", PresentationPixelMagnificationRatio=0.5,
                     ReferencedImageSequence=Sequence([_reference("1.2.3.4", [2])]))
    area_three = _item(DisplayedAreaTopLeftHandCorner=[1, 1], DisplayedAreaBottomRightHandCorner=[9, 1],
                       ReferencedImageSequence=Sequence([_reference("1.2.3.4", [3])]))
    state = _state(_reference("1.2.3.4", [2, 3]), SoftcopyVOILUTSequence=Sequence([three, two]),
                   DisplayedAreaSelectionSequence=Sequence([area_three, area_two]))
    second, third = presentation_of(state, _image(), 2), presentation_of(state, _image(), 3)
    assert second is not None and third is not None
    # LINEAR_EXACT may be narrower than one value (C.11.2.1.3.2); one column, or one row, is an area
    assert second.window == Window(20.0, 0.5, "LINEAR_EXACT") and third.window == Window(30.0, 10.0)
    assert second.area == DisplayedArea(4, 4, 4, 8, "MAGNIFY", 0.5) and third.area == DisplayedArea(0, 0, 8, 0)
    assert second.not_applied == third.not_applied == ()


def test_an_unusable_rescale_is_said() -> None:
    state = _state(SoftcopyVOILUTSequence=Sequence([_item(WindowCenter=105, WindowWidth=20)]), RescaleSlope=0,
                   RescaleIntercept=5)
    presentation = presentation_of(state, _image(RescaleSlope=3, RescaleIntercept=-30))
    assert presentation.not_applied == ("its rescale (not a usable slope)",)  # type: ignore[union-attr]


def test_an_unknown_mode_is_scaled_to_fit_and_true_size_left_to_the_display() -> None:
    for mode, shown in (("TRUE SIZE", "TRUE SIZE"), ("STRETCH", "SCALE TO FIT")):
        item = _item(DisplayedAreaTopLeftHandCorner=[1, 1], DisplayedAreaBottomRightHandCorner=[10, 10],
                     PresentationSizeMode=mode)
        presentation = presentation_of(_state(DisplayedAreaSelectionSequence=Sequence([item])), _image())
        assert presentation.area.mode == shown  # type: ignore[union-attr]


def test_display_units_in_an_area_away_from_the_corner() -> None:
    """Area columns 11..60, rows 21..40 (1-based), not turned: DISPLAY 0\\0 is its top-left edge
    (9.5, 19.5), 1\\1 its bottom-right (59.5, 39.5)."""
    area = _item(DisplayedAreaTopLeftHandCorner=[11, 21], DisplayedAreaBottomRightHandCorner=[60, 40])
    corners = _annotated(_graphic("POLYLINE", [0.0, 0.0, 1.0, 1.0], units="DISPLAY"))
    state = _state(DisplayedAreaSelectionSequence=Sequence([area]), GraphicAnnotationSequence=Sequence([corners]))
    (line,) = presentation_of(state, _image()).graphics  # type: ignore[union-attr]
    assert line.points == ((9.5, 19.5), (59.5, 39.5))


def test_layer_greys_orders_and_texts_take_their_layers() -> None:
    """Grey 0 is black, FFFFH white, below 0 black; a layer without an order is order 0 (before
    order 1); an annotation on a layer the state does not list is order 0, no colour; a text and
    its pointer take their layer's colour; units written in lower case are read."""
    layers = [_item(GraphicLayer="BLACK", GraphicLayerOrder=1, GraphicLayerRecommendedDisplayGrayscaleValue=0),
              _item(GraphicLayer="WHITE", GraphicLayerOrder=2, GraphicLayerRecommendedDisplayGrayscaleValue=0xFFFF),
              _item(GraphicLayer="LOW", GraphicLayerOrder=3, GraphicLayerRecommendedDisplayGrayscaleValue=-5),
              _item(GraphicLayer="FIRST", GraphicLayerRecommendedDisplayGrayscaleValue=0x8000)]
    pointer = _item(UnformattedTextValue="see", AnchorPointAnnotationUnits="pixel", AnchorPoint=[30.5, 30.5],
                    AnchorPointVisibility="Y", BoundingBoxAnnotationUnits="pixel",
                    BoundingBoxTopLeftHandCorner=[10.5, 10.5], BoundingBoxBottomRightHandCorner=[20.5, 12.5])
    annotations = [_annotated(_graphic("POINT", [1.5, 1.5]), layer="WHITE"),
                   _annotated(_graphic("POINT", [2.5, 2.5]), layer="LOW"),
                   _annotated(texts=(pointer,), layer="BLACK"),
                   _annotated(_graphic("POINT", [3.5, 3.5]), layer="FIRST"),
                   _annotated(_graphic("POINT", [4.5, 4.5]), layer="UNLISTED")]
    state = _state(GraphicLayerSequence=Sequence(layers), GraphicAnnotationSequence=Sequence(annotations))
    graphics = presentation_of(state, _image()).graphics  # type: ignore[union-attr]
    assert [(g.kind, g.layer, g.colour, g.points) for g in graphics] == [
        ("POINT", "FIRST", (128, 128, 128), ((3.0, 3.0),)),
        ("POINT", "UNLISTED", None, ((4.0, 4.0),)),
        ("TEXT", "BLACK", (0, 0, 0), ((10.0, 10.0), (20.0, 12.0))),
        ("POLYLINE", "BLACK", (0, 0, 0), ((20.0, 12.0), (30.0, 30.0))),
        ("POINT", "WHITE", (255, 255, 255), ((1.0, 1.0),)),
        ("POINT", "LOW", (0, 0, 0), ((2.0, 2.0),))]


def test_texts_placed_by_an_anchor_alone_in_display_units_and_graphics_of_enough_points() -> None:
    """A text with only half a box and an anchor in DISPLAY units (0.5\\0.5: the centre of the
    100 x 50 image, (49.5, 24.5)); a circle of two points, an ellipse of four, a polyline with an
    odd count of numbers (the last one left out); a graphic or text of no stated units or type is
    said as "unstated"."""
    half = _item(UnformattedTextValue="centre", BoundingBoxTopLeftHandCorner=[1.0, 1.0],
                 AnchorPointAnnotationUnits="DISPLAY", AnchorPoint=[0.5, 0.5])
    annotation = _annotated(_graphic("CIRCLE", [10.5, 10.5, 15.5, 10.5]),
                            _graphic("ELLIPSE", [0.5, 5.5, 10.5, 5.5, 5.5, 3.5, 5.5, 7.5]),
                            _graphic("POLYLINE", [1.5, 1.5, 3.5, 1.5, 9.0]),
                            _item(GraphicData=[1.0, 1.0], GraphicType="POINT"),
                            _item(GraphicAnnotationUnits="PIXEL", GraphicData=[1.0, 1.0]), texts=(half,))
    presentation = presentation_of(_state(GraphicAnnotationSequence=Sequence([annotation])), _image())
    assert presentation is not None
    assert [(g.kind, g.points, g.text) for g in presentation.graphics] == [
        ("CIRCLE", ((10.0, 10.0), (15.0, 10.0)), ""),
        ("ELLIPSE", ((0.0, 5.0), (10.0, 5.0), (5.0, 3.0), (5.0, 7.0)), ""),
        ("POLYLINE", ((1.0, 1.0), (3.0, 1.0)), ""),
        ("TEXT", ((49.5, 24.5),), "centre")]
    assert presentation.not_applied == ("graphics in unstated units", "a graphic of type 'unstated'")


def test_states_newest_first_whatever_their_file_names() -> None:
    image = _image()
    first = _state(PresentationCreationDate="20250102", PresentationCreationTime="080000")
    second = _state(PresentationCreationDate="20250101", PresentationCreationTime="230000")
    third = _state(_reference("1.2.3.4", [5]), PresentationCreationDate="20250103")
    listed = presentation_states([("z", second), ("a", first), ("m", third)], image)
    assert [path for path, _ in listed] == ["m", "a", "z"]
    assert [path for path, _ in presentation_states([("z", second), ("m", third)], image, 2)] == ["z"]  # frame 2


def test_curves_away_from_the_origin_by_hand() -> None:
    """Catmull-Rom through (100,200) (110,210) (120,200), the ends repeated: half way along the
    first segment p0 = p1 = (100,200), p2 = (110,210), p3 = (120,200), t = 0.5:
    x = 0.5 (200 + 10 · 0.5 + (200 - 500 + 440 - 120) · 0.25 + (300 - 100 - 330 + 120) · 0.125)
      = 0.5 (200 + 5 + 5 - 1.25) = 104.375; y likewise 205.625 (the origin's (4.375, 5.625) moved).
    A closed triangle (0,0) (10,0) (5,8) back to (0,0): half way along its first side, with (5,8)
    before and after, x = 0.5 (0 + 5 + (10 - 0 + 40 - 5) · 0.25 + (0 - 5 - 30 + 5) · 0.125) = 5.0,
    y = 0.5 (0 - 4 + (16 - 8) · 0.25 + (-8 + 8) · 0.125) = -1.0."""
    open_curve = catmull_rom([np.array(p, dtype=float) for p in ((100, 200), (110, 210), (120, 200))])
    assert open_curve[4] == pytest.approx((104.375, 205.625)) and open_curve[-1] == (120.0, 200.0)
    assert open_curve[12] == pytest.approx((115.625, 205.625))  # the last segment, its end repeated: the mirror image
    four = catmull_rom([np.array(p, dtype=float) for p in ((0, 0), (10, 5), (20, 0), (30, 5))])  # open: ends differ
    assert len(four) == 25 and four[0] == (0.0, 0.0) and four[-1] == (30.0, 5.0)
    triangle = catmull_rom([np.array(p, dtype=float) for p in ((0, 0), (10, 0), (5, 8), (0, 0))])
    assert len(triangle) == 25 and triangle[4] == pytest.approx((5.0, -1.0)) and triangle[-1] == (0.0, 0.0)


def test_a_circle_and_an_ellipse_away_from_the_diagonal() -> None:
    (circle,) = graphic_polylines(StateGraphic("CIRCLE", ((10.0, 20.0), (10.0, 23.0))))  # radius 3
    assert circle[0] == pytest.approx((13.0, 20.0)) and circle[18] == pytest.approx((10.0, 23.0))
    (ellipse,) = graphic_polylines(StateGraphic("ELLIPSE", ((2.0, 1.0), (12.0, 1.0), (7.0, -1.0), (7.0, 3.0))))
    assert ellipse[0] == pytest.approx((12.0, 1.0)) and ellipse[36] == pytest.approx((2.0, 1.0))
    assert ellipse[18] == pytest.approx((7.0, 3.0))


def test_references_by_image_and_frame_inside_an_item() -> None:
    """A VOI item naming another image first and this one (no frames) second applies to every frame
    of this one; a state of an unregistered class is read as grayscale."""
    item = _item(WindowCenter=5, WindowWidth=10, ReferencedImageSequence=Sequence([_reference("5.6"),
                                                                                   _reference("1.2.3.4")]))
    state = _state(SoftcopyVOILUTSequence=Sequence([item]))
    assert presentation_of(state, _image(), 2).window == Window(5.0, 10.0)  # type: ignore[union-attr]
    del state.SOPClassUID
    assert presentation_of(state, _image()).kind == "GSPS"  # type: ignore[union-attr]
    centre_only = _state(SoftcopyVOILUTSequence=Sequence([_item(WindowCenter=5)]))
    assert presentation_of(centre_only, _image()).window is None  # type: ignore[union-attr]
    sizeless = _image()
    del sizeless.Columns
    with pytest.raises(ValueError, match="the image states no size"):
        presentation_of(_state(), sizeless)


def test_a_magnification_of_zero_is_not_one() -> None:
    item = _item(DisplayedAreaTopLeftHandCorner=[1, 1], DisplayedAreaBottomRightHandCorner=[10, 10],
                 PresentationSizeMode="MAGNIFY", PresentationPixelMagnificationRatio=0)
    presentation = presentation_of(_state(DisplayedAreaSelectionSequence=Sequence([item])), _image())
    assert presentation.area == DisplayedArea(0, 0, 9, 9)  # type: ignore[union-attr]
    assert presentation.not_applied == ("MAGNIFY without a usable magnification ratio (scaled to fit)",)  # type: ignore[union-attr]


def test_a_pointer_to_an_anchor_in_display_units_and_a_lightbox_state_read_as_written() -> None:
    """The pointer's tip at DISPLAY 1\\1 (the 100 x 50 image's bottom-right edge, (99.5, 49.5)); a
    state Lightbox wrote before DICOM's coordinates (Manufacturer "Lightbox", no Software Versions)
    has its pixel centres on whole numbers: read as written."""
    pointer = _item(UnformattedTextValue="see", AnchorPointAnnotationUnits="DISPLAY", AnchorPoint=[1.0, 1.0],
                    AnchorPointVisibility="Y", BoundingBoxTopLeftHandCorner=[10.5, 10.5],
                    BoundingBoxBottomRightHandCorner=[20.5, 12.5])
    state = _state(GraphicAnnotationSequence=Sequence([_annotated(texts=(pointer,))]))
    text, line = presentation_of(state, _image()).graphics  # type: ignore[union-attr]
    assert line.points == ((20.0, 12.0), (99.5, 49.5)) and text.text == "see"
    # a text with no place is said, and the texts after it are still drawn
    lost_first = _state(GraphicAnnotationSequence=Sequence([_annotated(texts=(_item(UnformattedTextValue="lost"), pointer))]))
    assert [g.kind for g in presentation_of(lost_first, _image()).graphics] == ["TEXT", "POLYLINE"]  # type: ignore[union-attr]
    old = _state(Manufacturer="Lightbox", GraphicAnnotationSequence=Sequence([_annotated(_graphic("POINT", [3.0, 4.0]))]))
    assert presentation_of(old, _image()).graphics[0].points == ((3.0, 4.0),)  # type: ignore[union-attr]
