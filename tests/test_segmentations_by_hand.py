"""The reading of a DICOM SEG, frame by frame, on segmentations built by hand with pydicom (each
frame placed by its source image's UID, by its position, or by neither), so that every expected
mask, note and colour is written out here. Written for the mutants tools/mutation.py left alive
in lightbox/viewer/segmentations.py (59.8 % killed by the highdicom round trip alone)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pack_bits
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from lightbox.viewer.segmentations import (
    PALETTE,
    SEGMENTATION_CLASS,
    is_segmentation,
    outline,
    referenced_series,
    segment_planes,
)
from lightbox.viewer.series import whole_series_uid
from lightbox.viewer.study_tree import Instance

NORMAL = np.array([0.0, 0.0, 1.0])
BY_UID = {"1.2.3.1": 0, "1.2.3.2": 1}
BY_POSITION = {10.0: 0, 12.0: 1}


def frame_item(segment: int, source: str | None = None, z: float | None = None) -> Dataset:
    item = Dataset()
    ident = Dataset()
    ident.ReferencedSegmentNumber = segment
    item.SegmentIdentificationSequence = [ident]
    if source is not None:
        ref, derivation = Dataset(), Dataset()
        ref.ReferencedSOPInstanceUID = source
        derivation.SourceImageSequence = [ref]
        item.DerivationImageSequence = [derivation]
    if z is not None:
        plane = Dataset()
        plane.ImagePositionPatient = [0.0, 0.0, z]
        item.PlanePositionSequence = [plane]
    return item


def write_seg(path: Path, frames: np.ndarray, items: list[Dataset], *, fractional: bool = False,
              segments: list[Dataset] | None = None) -> Path:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = SEGMENTATION_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = frames.shape[1:]
    ds.NumberOfFrames = len(frames)
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
    if fractional:
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit = 7
        ds.SegmentationType, ds.MaximumFractionalValue = "FRACTIONAL", 200
        ds.PixelData = frames.astype(np.uint8).tobytes()
    else:
        ds.BitsAllocated = ds.BitsStored = 1
        ds.HighBit = 0
        ds.SegmentationType = "BINARY"
        ds.PixelData = pack_bits(frames.astype(bool))
    ds.SegmentSequence = segments or []
    ds.PerFrameFunctionalGroupsSequence = items
    ds.save_as(path, enforce_file_format=True)
    return path


def segment(number: int, label: str, lab: list[int] | None = None) -> Dataset:
    item = Dataset()
    item.SegmentNumber, item.SegmentLabel = number, label
    if lab is not None:
        item.RecommendedDisplayCIELabValue = lab
    return item


def test_frames_placed_by_source_uid_then_by_position_and_the_rest_said(tmp_path: Path) -> None:
    frames = np.zeros((4, 4, 5), bool)
    frames[0, 1, 1] = frames[1, 2, 2] = frames[2, 3, 3] = frames[3, 0, 0] = True
    items = [frame_item(1, source="1.2.3.2"),  # by its source image only: slice 1
             frame_item(2, z=10.0),  # by its position only: slice 0
             frame_item(1, source="9.9.9", z=12.0),  # an unknown source: its position, slice 1
             frame_item(1, z=99.0)]  # neither: not shown, said
    path = write_seg(tmp_path / "seg.dcm", frames, items, segments=[segment(1, "liver"), segment(2, "")])
    planes, notes = segment_planes(path, BY_UID, BY_POSITION, NORMAL, (4, 5))
    assert notes == ["segmentation seg.dcm: 1 frame(s) lie on no slice of this series: not shown"]
    assert sorted(planes) == [0, 1]
    (zero,) = planes[0]
    assert zero.label == "segment 2" and zero.kind == "S" and zero.rgb == PALETTE[1]
    assert np.argwhere(zero.mask).tolist() == [[2, 2]]
    (one,) = planes[1]  # two frames of segment 1 on slice 1: one plane, both pixels
    assert one.label == "segment 1 liver" and one.rgb == PALETTE[0]
    assert np.argwhere(one.mask).tolist() == [[1, 1], [3, 3]]


def test_a_fractional_segmentation_is_cut_at_half_its_maximum(tmp_path: Path) -> None:
    frames = np.array([[[0, 99, 100, 101, 200]]], np.uint8)  # maximum 200: more than 100 is inside
    path = write_seg(tmp_path / "frac.dcm", frames, [frame_item(1, source="1.2.3.1")], fractional=True)
    ds = pydicom.dcmread(path)
    ds.SegmentationFractionalType = "PROBABILITY"
    ds.save_as(path)
    planes, notes = segment_planes(path, BY_UID, BY_POSITION, NORMAL, (1, 5))
    assert planes[0][0].mask.tolist() == [[False, False, False, True, True]]
    assert notes == ["segmentation frac.dcm is fractional (probability): each segment is drawn where it is above "
                     "half its maximum (200)"]


def test_a_recommended_colour_is_used_and_a_bad_one_falls_back(tmp_path: Path) -> None:
    frames = np.ones((2, 3, 3), bool)
    red = [34886, 53484, 50172]  # CIELab of sRGB red, as highdicom encodes it
    path = write_seg(tmp_path / "c.dcm", frames, [frame_item(1, source="1.2.3.1"), frame_item(3, source="1.2.3.2")],
                     segments=[segment(1, "a", red), segment(3, "c", [1, 2])])
    planes, _ = segment_planes(path, BY_UID, BY_POSITION, NORMAL, (3, 3))
    assert planes[0][0].rgb == (255, 0, 0) and planes[1][0].rgb == PALETTE[2]


def test_what_cannot_be_drawn_is_said(tmp_path: Path) -> None:
    path = write_seg(tmp_path / "small.dcm", np.ones((1, 2, 2), bool), [frame_item(1, source="1.2.3.1")])
    assert segment_planes(path, BY_UID, BY_POSITION, NORMAL, (4, 5)) == (
        {}, ["segmentation small.dcm is 2x2, not the slices' 5x4: not shown"])
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(b"DICM" * 10)
    planes, notes = segment_planes(broken, BY_UID, BY_POSITION, NORMAL, (4, 5))
    assert planes == {} and notes[0].startswith("segmentation broken.dcm could not be read: ")
    empty = write_seg(tmp_path / "empty.dcm", np.zeros((1, 4, 5), bool), [frame_item(1, source="1.2.3.1")])
    assert segment_planes(empty, BY_UID, BY_POSITION, NORMAL, (4, 5)) == ({}, [])  # nothing set: nothing drawn


@pytest.mark.parametrize(("mask", "edge"), [
    ([[1]], [[1]]),
    ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], [[1, 1, 1], [1, 0, 1], [1, 1, 1]]),
    ([[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]],
     [[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 0, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]]),
    ([[1, 1], [1, 1]], [[1, 1], [1, 1]]),  # every pixel touches the image's edge
])
def test_the_outline_by_hand(mask: list[list[int]], edge: list[list[int]]) -> None:
    assert outline(np.array(mask, bool)).astype(int).tolist() == edge


def test_which_series_a_segmentation_segments() -> None:
    header = Dataset()
    header.SOPClassUID = SEGMENTATION_CLASS
    first, second = Dataset(), Dataset()
    first.SeriesInstanceUID, second.SeriesInstanceUID = "1.2.840.1", "1.2.840.2"
    header.ReferencedSeriesSequence = [first, second, Dataset()]
    assert referenced_series(header) == {"1.2.840.1", "1.2.840.2"}
    assert is_segmentation(Instance(Path("s.dcm"), "1.9", header=header))
    header.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    assert not is_segmentation(Instance(Path("c.dcm"), "1.8", header=header))
    assert not is_segmentation(Instance(Path("n.dcm"), "1.7"))
    assert whole_series_uid("1.2.3#o2") == "1.2.3" and whole_series_uid("1.2.3") == "1.2.3"


def test_frames_after_unplaced_ones_are_placed_and_the_unplaced_counted(tmp_path: Path) -> None:
    """Two frames that lie on no slice come first (a frame with neither source nor position, one
    5 µm off no slice), the placed ones after them: these were dropped once the reading stopped
    at the first unplaced frame. A position written with float noise (12.001) is the slice at 12."""
    frames = np.zeros((4, 4, 5), bool)
    frames[:, 1, 1] = True
    frames[3, 2, 2] = True
    items = [frame_item(1),  # neither source nor position
             frame_item(1, z=50.0),  # a position on no slice
             frame_item(1, z=12.001),  # slice 1, its position written with noise
             frame_item(1, source="1.2.3.1")]
    path = write_seg(tmp_path / "seg.dcm", frames, items, segments=[segment(1, "lesion")])
    planes, notes = segment_planes(path, BY_UID, BY_POSITION, NORMAL, (4, 5))
    assert notes == ["segmentation seg.dcm: 2 frame(s) lie on no slice of this series: not shown"]
    assert sorted(planes) == [0, 1]
    assert np.argwhere(planes[1][0].mask).tolist() == [[1, 1]]
    assert np.argwhere(planes[0][0].mask).tolist() == [[1, 1], [2, 2]]


def test_a_segment_the_seg_does_not_describe_gets_its_number_and_the_palette(tmp_path: Path) -> None:
    """A frame of segment 3, which the Segment Sequence does not list, and segment 2, listed
    without a label: "segment 3" in the palette's third colour, "segment 2" in its recommended one."""
    frames = np.ones((2, 3, 3), bool)
    unlabelled = Dataset()
    unlabelled.SegmentNumber = 2
    unlabelled.RecommendedDisplayCIELabValue = [34886, 53484, 50172]  # red
    path = write_seg(tmp_path / "s.dcm", frames, [frame_item(3, source="1.2.3.1"), frame_item(2, source="1.2.3.2")],
                     segments=[segment(1, "liver"), unlabelled])
    planes, _ = segment_planes(path, BY_UID, BY_POSITION, NORMAL, (3, 3))
    assert (planes[0][0].label, planes[0][0].rgb) == ("segment 3", PALETTE[2])
    assert (planes[1][0].label, planes[1][0].rgb) == ("segment 2", (255, 0, 0))


def test_a_frame_is_placed_by_the_first_source_that_names_its_image(tmp_path: Path) -> None:
    """A derivation whose first source item names no image: the next one's UID places the frame."""
    item = frame_item(1, source="1.2.3.2")
    item.DerivationImageSequence[0].SourceImageSequence.insert(0, Dataset())
    path = write_seg(tmp_path / "s.dcm", np.ones((1, 3, 3), bool), [item], segments=[segment(1, "a")])
    planes, notes = segment_planes(path, BY_UID, BY_POSITION, NORMAL, (3, 3))
    assert sorted(planes) == [1] and notes == []


def test_more_frame_items_than_frames_and_a_fractional_seg_without_its_maximum(tmp_path: Path) -> None:
    """Per-frame items beyond the pixel data's frames are left alone (not an error); a fractional
    SEG that states no Maximum Fractional Value is cut at half of 255 (C.8.20.2.3: its default)."""
    path = write_seg(tmp_path / "s.dcm", np.ones((1, 3, 3), bool),
                     [frame_item(1, source="1.2.3.1"), frame_item(1, source="1.2.3.2")], segments=[segment(1, "a")])
    planes, _ = segment_planes(path, BY_UID, BY_POSITION, NORMAL, (3, 3))
    assert sorted(planes) == [0]
    frames = np.array([[[0, 127, 128, 255]]], np.uint8)
    fractional = write_seg(tmp_path / "f.dcm", frames, [frame_item(1, source="1.2.3.1")], fractional=True)
    ds = pydicom.dcmread(fractional)
    del ds.MaximumFractionalValue
    ds.save_as(fractional)
    planes, _ = segment_planes(fractional, BY_UID, BY_POSITION, NORMAL, (1, 4))
    assert planes[0][0].mask.tolist() == [[False, False, True, True]]


def test_a_seg_of_another_size_is_said_with_both_sizes(tmp_path: Path) -> None:
    path = write_seg(tmp_path / "small.dcm", np.ones((1, 2, 3), bool), [frame_item(1, source="1.2.3.1")])
    assert segment_planes(path, BY_UID, BY_POSITION, NORMAL, (4, 5)) == (
        {}, ["segmentation small.dcm is 3x2, not the slices' 5x4: not shown"])
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(b"not a dicom file at all")
    _, (note,) = segment_planes(broken, BY_UID, BY_POSITION, NORMAL, (4, 5))
    assert note.startswith("segmentation broken.dcm could not be read: ") and "NoneType" not in note


def test_a_position_between_whole_millimetres_is_matched_to_the_hundredth(tmp_path: Path) -> None:
    """Slices 0.25 mm apart from whole millimetres (a 2.5 mm stack starting at 10.25): a frame at
    10.25 is slice 0 and one at 12.75 is slice 1, not rounded to whole millimetres."""
    frames = np.ones((2, 2, 2), bool)
    path = write_seg(tmp_path / "s.dcm", frames, [frame_item(1, z=10.25), frame_item(1, z=12.75)], segments=[segment(1, "a")])
    planes, notes = segment_planes(path, {}, {10.25: 0, 12.75: 1}, NORMAL, (2, 2))
    assert sorted(planes) == [0, 1] and notes == []
