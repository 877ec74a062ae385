"""Display shutters (PS3.3 C.7.6.11) worked out by hand: which pixels each shape shows, several
shapes together, the values a damaged or odd shutter holds, and the grey or colour the rest is
shown in. Pixel numbers as the standard counts them: rows and columns from 1."""
from __future__ import annotations

import numpy as np
import pytest
from dicom_factory import grey_header

from lightbox.viewer.pixels import cielab_rgb
from lightbox.viewer.shutters import DisplayShutter, _inside_polygon, display_shutter


def _grid(rows: int = 10, columns: int = 10) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(1, rows + 1, dtype=float)[:, None], np.arange(1, columns + 1, dtype=float)[None, :]


def test_a_diamond_with_its_vertices_on_pixel_rows() -> None:
    """Vertices (row, column) (1, 5), (5, 9), (9, 5), (5, 1): inside or on the border exactly where
    |row - 5| + |column - 5| <= 4 (the crossings at a vertex's own row must count once)."""
    r, c = _grid()
    expected = (np.abs(r - 5) + np.abs(c - 5)) <= 4
    assert np.array_equal(_inside_polygon(r, c, [(1, 5), (5, 9), (9, 5), (5, 1)]), expected)
    shutter, notes = display_shutter(grey_header(ShutterShape="POLYGONAL",
                                              VerticesOfThePolygonalShutter=[1, 5, 5, 9, 9, 5, 5, 1]), 10, 10)
    assert notes == [] and shutter is not None and np.array_equal(shutter.shown, expected)  # four vertices: eight values


def test_a_slanted_triangle_against_edge_sides_worked_out_separately() -> None:
    """Vertices (1, 1), (3, 10), (10, 4): a pixel centre is inside or on the border when it lies on
    the same side of all three edges (or on one), by the sign of each edge's cross product."""
    r, c = _grid(12, 12)
    vertices = [(1.0, 1.0), (3.0, 10.0), (10.0, 4.0)]
    sides = [(c1 - c0) * (r - r0) - (r1 - r0) * (c - c0)
             for (r0, c0), (r1, c1) in zip(vertices, vertices[1:] + vertices[:1], strict=True)]
    expected = np.all([s >= 0 for s in sides], axis=0) | np.all([s <= 0 for s in sides], axis=0)
    got = _inside_polygon(r, c, vertices)
    assert np.array_equal(got, expected) and 10 < expected.sum() < 60


def test_a_one_pixel_rectangle_and_edges_the_wrong_way_round() -> None:
    ds = grey_header(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=5, ShutterRightVerticalEdge=5,
                  ShutterUpperHorizontalEdge=3, ShutterLowerHorizontalEdge=3)
    shutter, notes = display_shutter(ds, 6, 8)
    assert notes == [] and shutter is not None
    assert np.argwhere(shutter.shown).tolist() == [[2, 4]]  # row 3, column 5 (from 1): index (2, 4)
    ds.ShutterUpperHorizontalEdge, ds.ShutterLowerHorizontalEdge = 4, 3
    assert display_shutter(ds, 6, 8) == (None, ["a rectangular display shutter without usable edges is not applied"])


def test_an_edge_given_twice_takes_its_first_value() -> None:
    ds = grey_header(ShutterShape="RECTANGULAR", ShutterLeftVerticalEdge=[2, 7], ShutterRightVerticalEdge=4,
                  ShutterUpperHorizontalEdge=1, ShutterLowerHorizontalEdge=2)
    shutter, _ = display_shutter(ds, 3, 6)
    assert shutter is not None and shutter.shown.tolist() == [[False, True, True, True, False, False]] * 2 + [[False] * 6]


def test_shapes_together_show_what_lies_inside_all_of_them() -> None:
    """A rectangle of columns 2..8, rows 2..8, and a circle of radius 3 about (5, 5): the circle,
    cut by the rectangle where it passes it (it does not); a polygon after a rectangle: both."""
    r, c = _grid()
    box = (c >= 2) & (c <= 8) & (r >= 2) & (r <= 8)
    circle = (r - 5) ** 2 + (c - 2) ** 2 <= 9  # centred on the box's left edge: half of it outside
    ds = grey_header(ShutterShape=["RECTANGULAR", "CIRCULAR"], ShutterLeftVerticalEdge=2, ShutterRightVerticalEdge=8,
                  ShutterUpperHorizontalEdge=2, ShutterLowerHorizontalEdge=8, CenterOfCircularShutter=[5, 2],
                  RadiusOfCircularShutter=3)
    shutter, _ = display_shutter(ds, 10, 10)
    assert shutter is not None and np.array_equal(shutter.shown, box & circle)
    ds.ShutterShape = ["CIRCULAR", "RECTANGULAR"]  # the other way round: the same pixels
    shutter, _ = display_shutter(ds, 10, 10)
    assert shutter is not None and np.array_equal(shutter.shown, box & circle)
    ds.ShutterShape = ["RECTANGULAR", "POLYGONAL"]
    ds.VerticesOfThePolygonalShutter = [1, 5, 5, 9, 9, 5, 5, 1]
    shutter, _ = display_shutter(ds, 10, 10)
    assert shutter is not None and np.array_equal(shutter.shown, box & ((np.abs(r - 5) + np.abs(c - 5)) <= 4))


@pytest.mark.parametrize(("first", "note"), [
    ({"ShutterShape": ["RECTANGULAR", "CIRCULAR"]}, "a rectangular display shutter without usable edges is not applied"),
    ({"ShutterShape": ["BITMAP", "CIRCULAR"]},
     "a bitmap display shutter is not applied (it names no Shutter Overlay Group): the whole image is shown"),
    ({"ShutterShape": ["OVAL", "CIRCULAR"]}, "display shutter shape 'OVAL' is not one the standard defines: not applied"),
    ({"ShutterShape": ["POLYGONAL", "CIRCULAR"], "VerticesOfThePolygonalShutter": [1, 1, 2, 2, 3]},
     "a polygonal display shutter without three or more vertices is not applied"),
])
def test_a_shape_that_cannot_be_used_leaves_the_next_one_applied(first, note) -> None:
    r, c = _grid()
    ds = grey_header(CenterOfCircularShutter=[5, 5], RadiusOfCircularShutter=2, **first)
    shutter, notes = display_shutter(ds, 10, 10)
    assert notes == [note] and shutter is not None
    assert np.array_equal(shutter.shown, (r - 5) ** 2 + (c - 5) ** 2 <= 4)


def test_a_bad_circle_before_a_polygon_and_a_zero_radius() -> None:
    ds = grey_header(ShutterShape=["CIRCULAR", "POLYGONAL"], CenterOfCircularShutter=[5, 5], RadiusOfCircularShutter=0,
                  VerticesOfThePolygonalShutter=[1, 5, 5, 9, 9, 5, 5, 1])
    shutter, notes = display_shutter(ds, 10, 10)
    assert notes == ["a circular display shutter without a usable centre and radius is not applied"]
    r, c = _grid()
    assert shutter is not None and np.array_equal(shutter.shown, (np.abs(r - 5) + np.abs(c - 5)) <= 4)


def test_an_empty_value_in_the_shape_list_is_no_shape() -> None:
    ds = grey_header(ShutterShape=["CIRCULAR", ""], CenterOfCircularShutter=[2, 2], RadiusOfCircularShutter=1)
    shutter, notes = display_shutter(ds, 4, 4)
    assert notes == [] and shutter is not None and int(shutter.shown.sum()) == 5  # the centre and its 4 neighbours


def test_the_presentation_value_as_a_grey_level() -> None:
    """A P-value of 0..FFFFH onto 0..255: 32768 → 32768 / 65535 × 255 = 127.502 → 128; 33025 →
    128.502 → 129 (over 65536 it would be 128.498 → 128); out of range values clamp."""
    for value, grey in ((32768, 128), (33025, 129), (65535, 255), (0, 0), (70000, 255)):
        shutter, _ = display_shutter(grey_header(ShutterShape="CIRCULAR", CenterOfCircularShutter=[2, 2],
                                              RadiusOfCircularShutter=1, ShutterPresentationValue=value), 4, 4)
        assert shutter is not None and shutter.grey == grey and shutter.rgb is None


@pytest.mark.parametrize(("photometric", "colour", "coloured"), [
    ("RGB", None, True), ("YBR_FULL", None, True),  # the image's own photometric says colour
    ("MONOCHROME1", None, False), ("MONOCHROME2", None, False), ("", None, False), (None, None, False),
    (None, True, True),  # a functional group item: the caller says
])
def test_a_colour_shutter_only_on_a_colour_image(photometric, colour, coloured) -> None:
    lab = [26000, 53000, 45000]  # a saturated red (L*, a*, b* scaled to 0..FFFFH, PS3.3 C.10.7.1.1)
    ds = grey_header(ShutterShape="CIRCULAR", CenterOfCircularShutter=[2, 2], RadiusOfCircularShutter=1,
                  ShutterPresentationColorCIELabValue=lab, ShutterPresentationValue=0)
    if photometric is None:
        del ds.PhotometricInterpretation
    else:
        ds.PhotometricInterpretation = photometric
    shutter, _ = display_shutter(ds, 4, 4, colour)
    assert shutter is not None
    if not coloured:
        assert shutter.rgb is None and shutter.grey == 0
        return
    rgb = cielab_rgb(lab)
    assert rgb is not None and shutter.rgb == rgb and rgb[0] > rgb[1] + 50  # red, not grey
    # the grey then the colour's luminance (Rec. 601), worked from the colour's channels
    assert shutter.grey == round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def test_painting_a_colour_image_uses_the_colour_and_a_grey_one_the_grey() -> None:
    shown = np.array([[True, False]])
    shutter = DisplayShutter(shown, grey=76, rgb=(255, 0, 0))
    assert shutter.paint(np.zeros((1, 2, 3), np.uint8)).tolist() == [[[0, 0, 0], [255, 0, 0]]]
    assert shutter.paint(np.zeros((1, 2), np.uint8)).tolist() == [[0, 76]]
    hidden = np.array([[True, False]])
    assert shutter.paint(np.zeros((1, 2), np.uint8), hidden).tolist() == [[76, 0]]
