"""Overlay planes (PS3.3 C.9.2) read from datasets built here, each expected mask written out by
hand: the 16 groups and no other, frames of multi-frame overlays, the origin in every form it
comes in (a signed pair, raw bytes of an element whose VR was not known, missing), embedded
overlays in the high bits of the pixel words (bit positions, byte order, frames, the overlay's
extent), the words ``inspect`` prints, and the exact reason for each overlay that cannot be shown."""
from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pack_bits
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, RLELossless

from lightbox.viewer.overlay_planes import OverlayPlane, read_overlay_planes


def image(rows: int, columns: int, words: np.ndarray | None = None, *, syntax: str | None = ExplicitVRLittleEndian,
          bits_allocated: int = 16) -> Dataset:
    """A 12-bit image (its words' bits 12..15 free for embedded overlays); ``words`` is frames x
    rows x columns (or rows x columns), zero when not given."""
    ds = Dataset()
    if syntax is not None:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = syntax
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = rows, columns, bits_allocated, 12, 11
    stored = np.zeros((rows, columns), np.uint16) if words is None else words
    ds.PixelData = stored.astype(">u2" if syntax == ExplicitVRBigEndian else "<u2").tobytes()
    return ds


def overlay_data(ds: Dataset, bits: np.ndarray, *, group: int = 0x6000, origin: list[int] | None = None,
                 first_frame: int | None = None) -> Dataset:
    """Overlay Data (60xx,3000) packed one bit a pixel; ``bits`` of 3 dimensions is a multi-frame
    overlay (C.9.2.1.2)."""
    frames, rows, columns = bits.shape if bits.ndim == 3 else (1, *bits.shape)
    ds.add_new((group, 0x0010), "US", rows)
    ds.add_new((group, 0x0011), "US", columns)
    ds.add_new((group, 0x0040), "CS", "G")
    if origin is not None:
        ds.add_new((group, 0x0050), "SS", origin)
    ds.add_new((group, 0x0100), "US", 1)
    ds.add_new((group, 0x0102), "US", 0)
    if bits.ndim == 3:
        ds.add_new((group, 0x0015), "IS", frames)
    if first_frame is not None:
        ds.add_new((group, 0x0051), "US", first_frame)
    ds.add_new((group, 0x3000), "OW", pack_bits(bits.astype(np.uint8).ravel()))
    return ds


def embedded(ds: Dataset, rows: int, columns: int, bit: int, *, group: int = 0x6000, origin: list[int] | None = None,
             allocated: int = 16) -> Dataset:
    """An overlay whose bits are bit ``bit`` of the pixel words (no Overlay Data)."""
    ds.add_new((group, 0x0010), "US", rows)
    ds.add_new((group, 0x0011), "US", columns)
    ds.add_new((group, 0x0040), "CS", "G")
    if origin is not None:
        ds.add_new((group, 0x0050), "SS", origin)
    ds.add_new((group, 0x0100), "US", allocated)
    ds.add_new((group, 0x0102), "US", bit)
    return ds


def grid(rows: int, columns: int, *cells: tuple[int, int]) -> np.ndarray:
    mask = np.zeros((rows, columns), bool)
    for row, column in cells:
        mask[row, column] = True
    return mask


def only_plane(ds: Dataset, frame: int = 0) -> OverlayPlane:
    planes, problems = read_overlay_planes(ds, frame)
    assert problems == [] and len(planes) == 1, (planes, problems)
    return planes[0]


def only_problem(ds: Dataset, frame: int = 0) -> str:
    planes, problems = read_overlay_planes(ds, frame)
    assert planes == [] and len(problems) == 1, (planes, problems)
    return problems[0]


# -- what `lightbox inspect` prints ---------------------------------------------------------------------

@pytest.mark.parametrize(("plane", "expected"), [
    (OverlayPlane(0x6000, grid(2, 3, (0, 0), (1, 1), (1, 2)), "G", "lesion", False),
     "overlay 6000 'lesion': graphics, 3 pixels set (Overlay Data)"),
    (OverlayPlane(0x601E, grid(2, 3, (1, 0)), "R", "", True),
     "overlay 601E: ROI, 1 pixel set (in the pixel data's high bits)"),
    (OverlayPlane(0x600A, grid(2, 3), "X", "", False), "overlay 600A: X, 0 pixels set (Overlay Data)"),
    (OverlayPlane(0x6002, grid(2, 3, (0, 1), (0, 2)), "", "two words", False),
     "overlay 6002 'two words': graphics, 2 pixels set (Overlay Data)"),
])
def test_describe_names_group_label_kind_count_and_source(plane: OverlayPlane, expected: str) -> None:
    assert plane.describe() == expected


# -- which groups are overlays ----------------------------------------------------------------------

def test_each_of_the_sixteen_groups_is_read_and_no_other() -> None:
    ds = image(2, 18)
    for n, group in enumerate(range(0x6000, 0x6020, 2)):  # 6000, 6002, ..., 601E
        overlay_data(ds, grid(1, 1, (0, 0)), group=group, origin=[1, n + 1])  # group n marks column n
    overlay_data(ds, grid(1, 1, (0, 0)), group=0x6020, origin=[2, 17])  # past the last repeating group
    overlay_data(ds, grid(1, 1, (0, 0)), group=0x6001, origin=[2, 18])  # odd: a private group
    planes, problems = read_overlay_planes(ds)
    assert problems == []
    assert [plane.group for plane in planes] == [0x6000 + 2 * n for n in range(16)]
    for n, plane in enumerate(planes):
        assert np.array_equal(plane.mask, grid(2, 18, (0, n))), hex(plane.group)


def test_a_size_alone_is_no_overlay() -> None:
    ds = image(3, 3)
    ds.add_new((0x6000, 0x0010), "US", 2)
    ds.add_new((0x6000, 0x0011), "US", 2)  # a size, but neither Overlay Data nor a bit position
    assert read_overlay_planes(ds) == ([], [])


def test_an_overlay_without_a_usable_size_says_so() -> None:
    ds = overlay_data(image(3, 3), grid(0, 2), group=0x6002)  # 0 rows
    overlay_data(ds, np.zeros((2, 0), bool), group=0x6004)  # 0 columns
    embedded(ds, 2, 2, 15, group=0x6006)
    del ds[(0x6006, 0x0010)]
    ds.add_new((0x6006, 0x0011), "UN", b"")
    overlay_data(ds, grid(2, 2), group=0x6008)
    del ds[(0x6008, 0x0010)]
    overlay_data(ds, grid(2, 2), group=0x600A)
    del ds[(0x600A, 0x0011)]
    assert read_overlay_planes(ds) == ([], [
        "overlay 6002 cannot be shown: its size is 0 rows x 2 columns",
        "overlay 6004 cannot be shown: its size is 2 rows x 0 columns",
        "overlay 6006 cannot be shown: its size is (not given) rows x (not given) columns",
        "overlay 6008 cannot be shown: its size is (not given) rows x 2 columns",
        "overlay 600A cannot be shown: its size is 2 rows x (not given) columns"])


def test_an_overlay_that_cannot_be_shown_does_not_hide_the_next() -> None:
    """Groups 6000..6006 each fail differently (broken Overlay Data, an embedded overlay in 8-bit
    words, another frame's overlay, no size); 6008 is drawn."""
    ds = overlay_data(image(2, 2), grid(2, 2, (0, 0)))
    ds[(0x6000, 0x3000)].value = b""
    embedded(ds, 2, 2, 15, group=0x6002, allocated=8)
    overlay_data(ds, grid(2, 2, (1, 0)), group=0x6004, first_frame=2)
    overlay_data(ds, grid(0, 2), group=0x6006)
    overlay_data(ds, grid(2, 2, (1, 1)), group=0x6008)
    planes, problems = read_overlay_planes(ds)
    assert [plane.group for plane in planes] == [0x6008] and np.array_equal(planes[0].mask, grid(2, 2, (1, 1)))
    assert len(problems) == 3 and problems[0].startswith("overlay 6000 cannot be read (ValueError: The length of")
    assert problems[1:] == ["overlay 6002 cannot be shown: Overlay Bits Allocated is 8 and there is no Overlay Data",
                            "overlay 6006 cannot be shown: its size is 0 rows x 2 columns"]


def test_an_image_without_a_size_gets_empty_masks() -> None:
    ds = overlay_data(image(2, 2), grid(2, 2, (0, 0)))
    del ds.Rows, ds.Columns
    assert only_plane(ds).mask.shape == (0, 0)


# -- kind and label -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "expected"), [("G", "G"), ("R", "R"), ("r", "R"), ("ROI", "R"), (" R ", "R"), (None, "G")])
def test_the_kind_is_graphics_unless_it_says_roi(kind: str | None, expected: str) -> None:
    ds = overlay_data(image(2, 2), grid(2, 2, (0, 0)))
    if kind is None:
        del ds[(0x6000, 0x0040)]
    else:
        ds[(0x6000, 0x0040)].value = kind
    assert only_plane(ds).kind == expected


def test_the_label_is_the_overlay_label_else_its_description() -> None:
    ds = overlay_data(image(2, 2), grid(2, 2, (0, 0)))
    assert only_plane(ds).label == ""
    ds.add_new((0x6000, 0x0022), "LO", "X marks the box X ")  # only spaces and NULs are padding
    assert only_plane(ds).label == "X marks the box X"
    ds.add_new((0x6000, 0x1500), "LO", " the label\x00")
    assert only_plane(ds).label == "the label"
    ds[(0x6000, 0x1500)].value = ""
    assert only_plane(ds).label == "X marks the box X"


# -- where it lies --------------------------------------------------------------------------------------

def test_without_an_origin_the_overlay_starts_at_the_first_pixel() -> None:
    ds = overlay_data(image(3, 4), grid(2, 2, (0, 1), (1, 0)))
    assert np.array_equal(only_plane(ds).mask, grid(3, 4, (0, 1), (1, 0)))


@pytest.mark.parametrize("origin", [[3], ["a", "b"]])
def test_an_unusable_origin_starts_at_the_first_pixel(origin: list) -> None:
    ds = overlay_data(image(3, 4), grid(2, 2, (0, 1), (1, 0)))
    ds.add_new((0x6000, 0x0050), "LO" if isinstance(origin[0], str) else "SS", origin)
    assert np.array_equal(only_plane(ds).mask, grid(3, 4, (0, 1), (1, 0)))


def test_an_origin_moves_rows_and_columns_apart() -> None:
    # 1-based (2, 3): the overlay's pixel (0, 0) on image row 1, column 2; its (1, 1) on 2, 3
    ds = overlay_data(image(4, 5), grid(2, 2, (0, 0), (1, 1)), origin=[2, 3])
    assert np.array_equal(only_plane(ds).mask, grid(4, 5, (1, 2), (2, 3)))


def test_an_overlay_beyond_the_right_and_bottom_is_cut_there() -> None:
    # 1-based (3, 4) on a 4 x 5 image: overlay rows 0..1, columns 0..1 are on it; the rest is off
    ds = overlay_data(image(4, 5), grid(3, 3, (0, 0), (1, 1), (2, 2), (0, 2), (2, 0)), origin=[3, 4])
    assert np.array_equal(only_plane(ds).mask, grid(4, 5, (2, 3), (3, 4)))


@pytest.mark.parametrize("origin", [[4, 1], [1, 4], [1, -1], [-1, 1], [1, -2], [-2, 1], [-5, -5]])
def test_an_overlay_wholly_off_the_image_sets_no_pixel(origin: list[int]) -> None:
    """Below, right of, left of and above the image; ending one pixel before its first row or
    column, or further (a negative end must not count from the far edge)."""
    plane = only_plane(overlay_data(image(3, 3), np.ones((2, 2), bool), origin=origin))
    assert plane.mask.shape == (3, 3) and not plane.mask.any()


def test_elements_whose_vr_was_not_known_are_read_from_their_bytes() -> None:
    """A header written with the overlay elements as UN (an anonymiser, a private dictionary) hands
    back raw little-endian bytes: sizes and bit numbers as US, the origin as two SS, texts padded."""
    words = np.zeros((4, 5), np.uint16)
    for row, column in ((1, 2), (2, 3), (3, 4), (0, 0)):
        words[row, column] = 1 << 13  # (0, 0) lies outside the overlay's 3 x 3 from row 1, column 2
    words[3, 2] = 1 << 12  # another bit
    ds = image(4, 5, words)
    for element, raw in ((0x0010, b"\x03\x00"), (0x0011, b"\x03\x00"), (0x0050, b"\x02\x00\x03\x00"),
                         (0x0100, b"\x10\x00"), (0x0102, b"\x0d\x00"), (0x0040, b"R "), (0x1500, b"old MR\x00")):
        ds.add_new((0x6000, element), "UN", raw)
    plane = only_plane(ds)
    assert (plane.kind, plane.label, plane.embedded) == ("R", "old MR", True)
    assert np.array_equal(plane.mask, grid(4, 5, (1, 2), (2, 3), (3, 4)))


def test_a_negative_origin_in_raw_bytes_is_signed() -> None:
    ds = overlay_data(image(3, 6), np.ones((4, 4), bool))
    ds.add_new((0x6000, 0x0050), "UN", b"\xfe\xff\x03\x00")  # -2, 3: overlay row 3 on image row 0, column 0 on 2
    assert np.array_equal(only_plane(ds).mask, grid(3, 6, (0, 2), (0, 3), (0, 4), (0, 5)))


@pytest.mark.parametrize(("raw", "cells"), [
    (b"\x02\x00\x03\x00\x09\x00", [(1, 2), (1, 3), (2, 2), (2, 3)]),  # a third value is ignored
    (b"\x02\x00", [(0, 0), (0, 1), (1, 0), (1, 1)]),  # one value is no origin: the first pixel
])
def test_a_raw_origin_of_another_length(raw: bytes, cells: list[tuple[int, int]]) -> None:
    ds = overlay_data(image(4, 5), np.ones((2, 2), bool))
    ds.add_new((0x6000, 0x0050), "UN", raw)
    assert np.array_equal(only_plane(ds).mask, grid(4, 5, *cells))


def test_a_label_in_raw_bytes_that_is_not_ascii_is_shown_with_a_replacement_mark() -> None:
    ds = overlay_data(image(2, 2), grid(2, 2, (0, 0)))
    ds.add_new((0x6000, 0x1500), "UN", b"L\xe9sion ")
    assert only_plane(ds).label == "L\ufffdsion"


@pytest.mark.parametrize(("raw", "rows"), [(b"\x02", 0), (b"\x02\x00\x09\x00", 2), (b"\x00\x01", 256)])
def test_a_raw_size_is_the_first_little_endian_word(raw: bytes, rows: int) -> None:
    """One byte is no US (no overlay); of two values the first counts; 00 01 is 256, not 1."""
    words = np.zeros((300, 2), np.uint16)
    words[:, 0] = 1 << 15
    ds = embedded(image(300, 2, words), 1, 1, 15)
    ds.add_new((0x6000, 0x0010), "UN", raw)
    planes, problems = read_overlay_planes(ds)
    assert problems == ([] if rows else ["overlay 6000 cannot be shown: its size is 0 rows x 1 columns"])
    assert [int(plane.mask.sum()) for plane in planes] == ([rows] if rows else [])


@pytest.mark.parametrize("value", ["", "many"])
def test_a_frame_count_or_first_frame_that_is_no_number_means_one(value: str) -> None:
    words = np.zeros((2, 2, 2), np.uint16)
    words[:, 1, 1] = 1 << 15  # both frames carry the bit: only the first is the overlay's
    ds = embedded(image(2, 2, words), 2, 2, 15)
    ds.add_new((0x6000, 0x0015), "LO", value)
    ds.add_new((0x6000, 0x0051), "LO", value)
    assert np.array_equal(only_plane(ds).mask, grid(2, 2, (1, 1)))
    assert read_overlay_planes(ds, 1) == ([], [])


# -- multi-frame overlays -------------------------------------------------------------------------------

def test_a_multi_frame_overlay_covers_its_frames_from_the_first_it_names() -> None:
    """Number of Frames in Overlay 3 from Image Frame Origin 2 (1-based): image frames 2..4 carry
    overlay frames 1..3 (C.9.2.1.2); frame 1 and frame 5 carry none."""
    frames = np.zeros((3, 2, 3), bool)
    frames[0, 0, 0] = frames[1, 0, 2] = frames[2, 1, 1] = True
    ds = overlay_data(image(2, 3), frames, first_frame=2)
    assert read_overlay_planes(ds, 0) == ([], [])
    assert np.array_equal(only_plane(ds, 1).mask, grid(2, 3, (0, 0)))
    assert np.array_equal(only_plane(ds, 2).mask, grid(2, 3, (0, 2)))
    assert np.array_equal(only_plane(ds, 3).mask, grid(2, 3, (1, 1)))
    assert read_overlay_planes(ds, 4) == ([], [])


def test_a_single_frame_overlay_belongs_to_the_first_frame() -> None:
    ds = overlay_data(image(2, 2), grid(2, 2, (0, 1)))
    assert np.array_equal(only_plane(ds, 0).mask, grid(2, 2, (0, 1)))
    assert read_overlay_planes(ds, 1) == ([], [])


def test_overlay_data_shorter_than_its_size_is_reported() -> None:
    ds = overlay_data(image(4, 8), np.ones((4, 8), bool))  # 32 pixels: 4 bytes
    ds[(0x6000, 0x3000)].value = b"\xff\xff"
    assert only_problem(ds) == (
        "overlay 6000 cannot be read (ValueError: The length of the overlay data in the dataset (2 bytes) doesn't match "
        "the expected length (4 bytes). The dataset may be corrupted or there may be an issue with the overlay data "
        "handler.)")


# -- embedded in the pixel words (retired, older MR and CR) ---------------------------------------------

@pytest.mark.parametrize("bit", [0, 12, 15])
def test_an_embedded_overlay_is_that_bit_of_each_word(bit: int) -> None:
    words = np.full((3, 4), 0x0FFF & ~(1 << bit) if bit < 12 else 0x0ABC, np.uint16)
    words[0, 3] |= 1 << bit
    words[2, 0] |= 1 << bit
    for other in {0, 12, 15} - {bit}:
        words[1, 1] |= 1 << other  # another bit set elsewhere is not this overlay
    plane = only_plane(embedded(image(3, 4, words), 3, 4, bit))
    assert plane.embedded and np.array_equal(plane.mask, grid(3, 4, (0, 3), (2, 0)))


def test_an_embedded_overlay_is_read_where_its_extent_lies() -> None:
    """The bit in a pixel's word marks that pixel: an overlay of 2 x 2 from (2, 3) takes the bits
    of image rows 1..2, columns 2..3 and no other (their bit is set elsewhere too)."""
    words = np.full((4, 5), 1 << 14, np.uint16)
    words[2, 3] = 0
    plane = only_plane(embedded(image(4, 5, words), 2, 2, 14, origin=[2, 3]))
    assert np.array_equal(plane.mask, grid(4, 5, (1, 2), (1, 3), (2, 2)))


def test_an_embedded_overlay_reaching_past_the_image_is_cut_there() -> None:
    words = np.full((3, 3), 1 << 15, np.uint16)
    plane = only_plane(embedded(image(3, 3, words), 4, 4, 15, origin=[0, 2]))  # rows -1..2, columns 1..4
    assert np.array_equal(plane.mask, grid(3, 3, (0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)))


def test_an_embedded_overlay_in_big_endian_words() -> None:
    words = np.zeros((2, 3), np.uint16)
    words[0, 1] = 1 << 15  # little-endian reading would find bit 7 set here, not bit 15
    words[1, 2] = 1 << 7
    plane = only_plane(embedded(image(2, 3, words, syntax=ExplicitVRBigEndian), 2, 3, 15))
    assert np.array_equal(plane.mask, grid(2, 3, (0, 1)))


def test_a_dataset_without_file_meta_is_read_as_little_endian() -> None:
    words = np.zeros((2, 3), np.uint16)
    words[1, 0] = 1 << 13
    plane = only_plane(embedded(image(2, 3, words, syntax=None), 2, 3, 13))
    assert np.array_equal(plane.mask, grid(2, 3, (1, 0)))


def test_file_meta_without_a_transfer_syntax_is_read_as_little_endian() -> None:
    words = np.zeros((2, 3), np.uint16)
    words[0, 2] = 1 << 15
    ds = embedded(image(2, 3, words), 2, 3, 15)
    del ds.file_meta.TransferSyntaxUID
    assert np.array_equal(only_plane(ds).mask, grid(2, 3, (0, 2)))


def test_an_embedded_overlay_of_a_later_frame_is_in_that_frame_s_words() -> None:
    words = np.zeros((3, 2, 2), np.uint16)
    words[0, 0, 0] = words[1, 0, 1] = words[2, 1, 1] = 1 << 12
    ds = embedded(image(2, 2, words), 2, 2, 12)
    ds.add_new((0x6000, 0x0015), "IS", 3)
    assert [np.argwhere(only_plane(ds, frame).mask).tolist() for frame in range(3)] == [[[0, 0]], [[0, 1]], [[1, 1]]]


def test_pixel_data_exactly_one_frame_long_is_enough() -> None:
    words = np.zeros((2, 2), np.uint16)
    words[1, 1] = 1 << 12
    ds = embedded(image(2, 2, words), 2, 2, 12)
    assert len(ds.PixelData) == 8 and np.array_equal(only_plane(ds).mask, grid(2, 2, (1, 1)))


@pytest.mark.parametrize(("change", "reason"), [
    (lambda ds: ds[(0x6004, 0x0100)].__setattr__("value", 8),
     "Overlay Bits Allocated is 8 and there is no Overlay Data"),
    (lambda ds: ds[(0x6004, 0x0100)].__setattr__("value", 1),
     "Overlay Bits Allocated is 1 and there is no Overlay Data"),
    (lambda ds: ds[(0x6004, 0x0102)].__setattr__("value", 16),
     "Overlay Bit Position 16 is not a bit of a 16-bit pixel word"),
    (lambda ds: ds[(0x6004, 0x0102)].__setattr__("value", None),
     "Overlay Bit Position (not given) is not a bit of a 16-bit pixel word"),
    (lambda ds: ds.add_new((0x6004, 0x0102), "UN", b""),
     "Overlay Bit Position (not given) is not a bit of a 16-bit pixel word"),
    (lambda ds: ds.add_new((0x6004, 0x0102), "LO", ""),
     "Overlay Bit Position (not given) is not a bit of a 16-bit pixel word"),
    (lambda ds: ds.add_new((0x6004, 0x0102), "SS", -1),
     "Overlay Bit Position -1 is not a bit of a 16-bit pixel word"),
    (lambda ds: ds.__delitem__((0x6004, 0x0100)),
     "Overlay Bits Allocated is (not given) and there is no Overlay Data"),
    (lambda ds: ds.__setattr__("BitsAllocated", 8),
     "its bits are said to be in the pixel data, whose Bits Allocated is 8, not 16"),
    (lambda ds: ds.__delattr__("BitsAllocated"),
     "its bits are said to be in the pixel data, whose Bits Allocated is 0, not 16"),
    (lambda ds: ds.file_meta.__setattr__("TransferSyntaxUID", RLELossless),
     "its bits are in compressed pixel data (RLE Lossless), which Lightbox does not read overlays from"),
    (lambda ds: ds.__setattr__("PixelData", ds.PixelData[:-2]),
     "the pixel data holds no frame 1 of 2 x 3 16-bit words to take its bits from"),
    (lambda ds: ds.__delattr__("PixelData"),
     "the pixel data holds no frame 1 of 2 x 3 16-bit words to take its bits from"),
])
def test_an_embedded_overlay_that_cannot_be_read_says_why(change, reason: str) -> None:
    ds = embedded(image(2, 3, np.full((2, 3), 1 << 15, np.uint16)), 2, 3, 15, group=0x6004)
    change(ds)
    assert only_problem(ds) == f"overlay 6004 cannot be shown: {reason}"


def test_a_later_frame_missing_from_the_pixel_data_is_named() -> None:
    ds = embedded(image(2, 3), 2, 3, 15)
    ds.add_new((0x6000, 0x0015), "IS", 2)
    assert only_problem(ds, 1) == ("overlay 6000 cannot be shown: "
                                   "the pixel data holds no frame 2 of 2 x 3 16-bit words to take its bits from")
