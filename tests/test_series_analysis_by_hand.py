"""Sorting a series and saying what is odd about it, on series built in memory with positions
chosen so that every figure of every warning can be checked by hand: the normal of each plane,
pixel spacing from each place the standard allows, splitting echoes that share positions, the
kind of each series, and the exact words of each warning. Written for the mutants
`tools/mutation.py lightbox/viewer/series.py` found alive."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dicom_factory import grey_header
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from lightbox.viewer.series import (
    _orientation_key,
    _pixel_spacing,
    analyse,
    is_calibrated,
    multiframe_positions,
    series_geometry,
    slice_normal,
    split_shared_positions,
    volume_instances,
)
from lightbox.viewer.study_tree import Instance, Series

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def image(n: int, position: tuple[float, float, float] | None, orientation: tuple[float, ...] | None = AXIAL,
          size: tuple[int, int] = (4, 4), number: int | None = None, frames: int = 1, **attributes: object) -> Instance:
    return Instance(Path(f"/data/{n:03d}.dcm"), f"1.2.{n}", number if number is not None else n, position, orientation,
                    size[0], size[1], frames, grey_header(**attributes))


def stack(z_values: list[float], modality: str = "CT", **kwargs: object) -> Series:
    return Series("1.2.3", modality, "stack", 1, [image(n, (0.0, 0.0, z), **kwargs) for n, z in enumerate(z_values)])  # type: ignore[arg-type]


def test_slice_normals_by_hand() -> None:
    assert slice_normal(AXIAL).tolist() == [0.0, 0.0, 1.0]
    # coronal: row x (1, 0, 0), column -z (0, 0, -1): x × -z = (0·-1 - 0·0, 0·0 - 1·-1, 0) = (0, 1, 0)
    assert slice_normal(CORONAL).tolist() == [0.0, 1.0, 0.0]
    assert slice_normal((2.0, 0.0, 0.0, 0.0, 2.0, 0.0)).tolist() == [0.0, 0.0, 1.0]  # unit length
    assert slice_normal((1.0, 0.0, 0.0, 1.0, 0.0, 0.0)).tolist() == [0.0, 0.0, 1.0]  # degenerate: axial by default


def test_orientations_within_a_thousandth_are_one() -> None:
    assert _orientation_key(None) is None
    assert _orientation_key((1.0, 0.0, 0.0, 0.0, 1.0, 0.0)) == _orientation_key((0.9996, 0.0004, 0.0, 0.0, 1.0, 0.0))
    assert _orientation_key((1.0, 0.0, 0.0, 0.0, 1.0, 0.0)) != _orientation_key((0.998, 0.002, 0.0, 0.0, 1.0, 0.0))


def test_pixel_spacing_from_each_place_the_standard_allows() -> None:
    def spacing_of(ds: Dataset | None) -> tuple[float, float] | None:
        return _pixel_spacing(Instance(Path("x"), "1", header=ds))

    assert spacing_of(None) is None
    assert spacing_of(grey_header(PixelSpacing=[0.5, 0.7])) == (0.5, 0.7)
    assert spacing_of(grey_header(ImagerPixelSpacing=[0.2, 0.3])) == (0.2, 0.3)
    assert spacing_of(grey_header(PixelSpacing=[0.5, 0.7], ImagerPixelSpacing=[0.2, 0.3])) == (0.5, 0.7)
    for bad in ([0.0, 0.7], [0.7, 0.0], [0.5, -1.0], [0.5], [float("inf"), 0.5], [0.5, float("nan")]):
        assert spacing_of(grey_header(PixelSpacing=bad, ImagerPixelSpacing=[0.2, 0.3])) == (0.2, 0.3), bad
    assert spacing_of(grey_header(PixelSpacing=[0.0, 0.0])) is None  # never an invented 1 mm

    def measures(value: list[float]) -> Dataset:
        item, group = Dataset(), Dataset()
        item.PixelSpacing = value
        group.PixelMeasuresSequence = [item]
        return group

    enhanced = grey_header(PixelSpacing=[9.0, 9.0])
    enhanced.PerFrameFunctionalGroupsSequence = [measures([0.4, 0.6]), measures([8.0, 8.0])]
    assert spacing_of(enhanced) == (0.4, 0.6)  # the first frame's group before the top level
    enhanced.SharedFunctionalGroupsSequence = [measures([0.3, 0.3])]
    assert spacing_of(enhanced) == (0.3, 0.3)  # the shared group first
    empty_group = Dataset()
    empty_group.PixelMeasuresSequence = []
    assert spacing_of(grey_header(PixelSpacing=[1.5, 1.5], SharedFunctionalGroupsSequence=[empty_group])) == (1.5, 1.5)
    assert is_calibrated(Series("u", instances=[image(0, None, PixelSpacing=[1.0, 1.0])]))
    assert not is_calibrated(Series("u", instances=[image(0, None)])) and not is_calibrated(Series("u"))


def test_echoes_sharing_positions_are_split_by_echo_time_in_numeric_order() -> None:
    instances = [image(n, (0.0, 0.0, float(n // 2)), EchoTime=("100" if n % 2 else "9.5")) for n in range(6)]
    series = Series("1.2.3", "MR", "T2 dual echo", 4, instances, ["an earlier warning"])
    parts = split_shared_positions(series)
    assert [p.uid for p in parts] == ["1.2.3#1", "1.2.3#2"]
    assert [p.description for p in parts] == ["T2 dual echo [EchoTime 9.5]", "T2 dual echo [EchoTime 100]"]  # 9.5 before 100
    assert [[i.sop_instance_uid for i in p.instances] for p in parts] == [["1.2.0", "1.2.2", "1.2.4"],
                                                                          ["1.2.1", "1.2.3", "1.2.5"]]
    assert all(p.modality == "MR" and p.number == 4 for p in parts)
    assert parts[0].warnings == ["an earlier warning",
                                 "split from a series whose slices share positions (2 images at one place): "
                                 "by EchoTime, this part is EchoTime 9.5"]
    assert series.warnings == ["an earlier warning"]  # the original's list is not shared


def test_split_takes_the_first_attribute_that_tells_the_images_apart() -> None:
    # EchoTime is the same for all; EchoNumbers differ but not per position; AcquisitionNumber does
    instances = [image(n, (0.0, 0.0, float(n % 2)), EchoTime="20", EchoNumbers=str(n % 2), AcquisitionNumber=str(n // 2))
                 for n in range(4)]
    parts = split_shared_positions(Series("u", "MR", "", None, instances))
    assert [p.description for p in parts] == ["[AcquisitionNumber 0]", "[AcquisitionNumber 1]"]
    # a non-numeric value sorts after the numbers
    instances = [image(n, (0.0, 0.0, float(n % 2)), AcquisitionTime=("abc" if n < 2 else "7")) for n in range(4)]
    assert [p.description for p in split_shared_positions(Series("u", "MR", "", None, instances))] == [
        "[AcquisitionTime 7]", "[AcquisitionTime abc]"]


def test_positions_are_shared_to_a_micrometre() -> None:
    # two echoes 0.2 µm apart (scanner rounding): one place; slices 0.3 mm apart: two places
    echoes = [image(n, (0.0, 0.0, 1.0002 + 0.0002 * n), EchoTime=str(10 * (n + 1))) for n in range(2)]
    parts = split_shared_positions(Series("u", "MR", "", None, echoes))
    assert [len(p.instances) for p in parts] == [1, 1]
    near = [image(n, (0.0, 0.0, 0.3 * n), EchoTime=str(n)) for n in range(3)]
    assert split_shared_positions(Series("u", "MR", "", None, near)) == []


def test_no_split_without_shared_positions_or_anything_to_tell_them_apart() -> None:
    assert split_shared_positions(stack([0.0, 1.0, 2.0])) == []
    assert split_shared_positions(stack([0.0])) == []
    assert split_shared_positions(stack([0.0, 0.0])) == []  # nothing in the headers differs
    shared = [image(n, (0.0, 0.0, 0.0), EchoTime=str(n)) for n in range(2)]
    mixed = Series("u", "MR", "", None, [*shared, image(5, (0.0, 0.0, 1.0), frames=3)])
    assert split_shared_positions(mixed) == []  # a multi-frame file among them: not a simple stack


def test_kinds_of_series() -> None:
    empty = Series("u")
    analyse(empty)
    assert empty.kind == "empty"
    one = stack([0.0])
    analyse(one)
    assert one.kind == "film"
    film_file = Series("u", "", "", None, [Instance(Path("a.png"), "a")])
    analyse(film_file)
    assert film_file.kind == "film"
    cine = Series("u", "US", "", None, [image(0, None, frames=12, PhotometricInterpretation="RGB")])
    analyse(cine)
    assert cine.kind == "film" and "multi-frame colour object: 12 frames, shown one by one (Up/Down)" in cine.warnings
    grey_multiframe = Series("u", "CT", "", None, [image(0, None, frames=12)])
    analyse(grey_multiframe)
    assert grey_multiframe.kind == "volume"
    assert grey_multiframe.warnings[0] == "multi-frame object: 12 frames in one file (enhanced or multi-frame IOD)"


def test_images_at_one_position_are_browsed_by_instance_number() -> None:
    instances = [image(n, (1.0, 2.0, 3.0), number=num) for n, num in enumerate([3, 0, 1, 2])]
    instances[1].instance_number = None
    series = Series("u", "MR", "", None, instances)
    analyse(series)
    assert series.kind == "film" and [i.instance_number for i in series.instances] == [1, 2, 3, None]
    assert series.warnings == ["4 images at one position: shown one by one (Up/Down), not as a volume"]


def test_projections_and_images_without_positions_are_films() -> None:
    radiographs = Series("u", "dx", "", None, [image(n, (0.0, 0.0, float(n)), number=2 - n) for n in range(3)])
    analyse(radiographs)  # a projection modality (in lower case too): films in InstanceNumber order, no warning
    assert radiographs.kind == "film" and [i.instance_number for i in radiographs.instances] == [0, 1, 2]
    assert radiographs.warnings == []
    unplaced = Series("u", "CT", "", None, [image(n, None, number=2 - n) for n in range(3)])
    analyse(unplaced)
    assert unplaced.kind == "film" and [i.instance_number for i in unplaced.instances] == [0, 1, 2]
    assert unplaced.warnings == ["no ImagePositionPatient: shown as separate images ordered by InstanceNumber"]


def test_a_coronal_stack_is_sorted_along_its_normal() -> None:
    # coronal normal (0, 1, 0): y decides, z does not
    ys = [10.0, -5.0, 0.0, 5.0]
    instances = [image(n, (0.0, y, 100.0 - 7 * n), CORONAL) for n, y in enumerate(ys)]
    series = Series("u", "MR", "", None, instances)
    analyse(series)
    assert [i.position[1] for i in series.instances] == [-5.0, 0.0, 5.0, 10.0]  # type: ignore[index]
    assert series.kind == "volume" and series.slice_spacing == 5.0
    assert any("gantry tilt" in w for w in series.warnings)  # z changes along the stack: sheared (checked below)


def test_gap_uneven_spacing_and_their_figures() -> None:
    series = stack([0.0, 2.0, 4.0, 10.0, 12.0, 14.0, 16.0])  # steps 2 2 6 2 2 2: median 2, one gap of 6
    analyse(series)
    assert series.slice_spacing == 2.0
    assert series.warnings == [
        "gap in the slice stack: 1 place(s), first between 4.00 and 10.00 mm along the normal "
        "(~2 missing slice(s) at 2.00 mm spacing)",
        "uneven slice spacing: steps from 2.000 to 6.000 mm (median 2.000 mm); the volume is shown on the median spacing",
    ]
    # 3 mm steps among 2.5 mm: uneven, but no step is more than 1.5 times the median: no gap
    uneven = stack([0.0, 2.5, 5.0, 8.0, 10.5])
    analyse(uneven)
    assert uneven.warnings == ["uneven slice spacing: steps from 2.500 to 3.000 mm (median 2.500 mm); "
                               "the volume is shown on the median spacing"]
    # steps within 1 % of each other are even (positions rounded by the scanner)
    even = stack([0.0, 1.0, 2.009, 3.009])
    analyse(even)
    assert even.warnings == [] and even.slice_spacing == pytest.approx(1.0)


def test_duplicates_are_shown_once() -> None:
    series = stack([0.0, 1.0, 1.00005, 2.0])
    analyse(series)
    assert series.warnings == ["1 duplicated slice position(s): identical slices are shown once"]
    assert [i.sop_instance_uid for i in volume_instances(series)] == ["1.2.0", "1.2.1", "1.2.3"]
    assert series.slice_spacing == 1.0
    two_same = stack([5.0, 5.0, 5.0])
    two_same.instances[2].position = (0.0, 0.0, 6.0)
    analyse(two_same)  # two at 5, one at 6: a stack of two slices after the duplicate goes
    assert len(volume_instances(two_same)) == 2 and two_same.slice_spacing == 1.0


def test_mixed_orientations_sizes_and_missing_positions() -> None:
    instances = [image(n, (0.0, 0.0, float(n)), size=(4, 6)) for n in range(4)]
    instances.append(image(4, (0.0, 0.0, 9.0), CORONAL, size=(4, 6)))
    instances.append(image(5, (0.0, 0.0, 10.0), size=(8, 6)))
    instances.append(image(6, None, size=(4, 6)))
    series = Series("u", "CT", "", None, instances)
    analyse(series)
    assert series.warnings == [
        "mixed orientations: 2 different ImageOrientationPatient values; the volume uses the 6 slices of the most common one",
        "mixed image sizes [(4, 6), (8, 6)]: the volume uses 4x6 slices",
        "1 slice(s) without ImagePositionPatient left out of the volume",
    ]
    assert [i.sop_instance_uid for i in volume_instances(series)] == ["1.2.0", "1.2.1", "1.2.2", "1.2.3"]
    assert series.instances[:4] == volume_instances(series) and len(series.instances) == 7


def test_a_stack_of_multiframe_files_uses_their_first_frames() -> None:
    series = stack([0.0, 1.0, 2.0], frames=2)
    analyse(series)
    assert series.warnings == ["3 multi-frame file(s) mixed into a slice stack: only their first frame is used"]


def test_tilt_measured_and_declared() -> None:
    # slices moving 1 mm in y per 2 mm in z: atan(1/2) = 26.6° off the normal
    tilted = Series("u", "CT", "", None, [image(n, (0.0, float(n), 2.0 * n)) for n in range(3)])
    analyse(tilted)
    assert tilted.warnings == ["gantry tilt / sheared stack: slices are offset 26.6° from the slice normal"]
    # a header that declares a tilt its positions do not show (already corrected by the scanner)
    declared = stack([0.0, 1.0, 2.0], GantryDetectorTilt="-12.5")
    analyse(declared)
    assert declared.warnings == ["GantryDetectorTilt is -12.5°"]
    small = stack([0.0, 1.0, 2.0], GantryDetectorTilt="0.05")
    analyse(small)
    assert small.warnings == []
    both = Series("u", "CT", "", None, [image(n, (0.0, float(n), 2.0 * n), GantryDetectorTilt="26.6") for n in range(3)])
    analyse(both)
    assert both.warnings == ["gantry tilt / sheared stack: slices are offset 26.6° from the slice normal"]  # said once


def test_rescale_warnings_count_the_files() -> None:
    series = stack([0.0, 1.0, 2.0])
    series.instances[0].header.RescaleSlope = "0"  # type: ignore[union-attr]
    series.instances[2].header.RescaleSlope = "0"  # type: ignore[union-attr]
    series.instances[1].header.RescaleIntercept = "nan"  # type: ignore[union-attr]
    analyse(series)
    assert series.warnings == [
        "RescaleSlope is 0 (every pixel would have the same value) in 2 of 3 file(s): shown as stored values, "
        "without the rescale (values are not in modality units)",
        "RescaleIntercept is nan in 1 of 3 file(s): shown as stored values, without the rescale "
        "(values are not in modality units)",
    ]


def enhanced(positions: list[tuple[float, float, float]] | None, frames: int, orientation_in: str = "shared",
             **attributes: object) -> Series:
    ds = grey_header(NumberOfFrames=frames, **attributes)
    per_frame = []
    for n in range(frames):
        item = Dataset()
        if positions is not None and n < len(positions):
            plane = Dataset()
            plane.ImagePositionPatient = list(positions[n])
            item.PlanePositionSequence = [plane]
        per_frame.append(item)
    orient = Dataset()
    orient.ImageOrientationPatient = list(CORONAL)
    if orientation_in == "shared":
        shared = Dataset()
        shared.PlaneOrientationSequence = [orient]
        ds.SharedFunctionalGroupsSequence = [shared]
    elif orientation_in == "per-frame":
        per_frame[0].PlaneOrientationSequence = [orient]
    elif orientation_in == "top":
        ds.ImageOrientationPatient = list(CORONAL)
    # "none": no orientation anywhere
    ds.PerFrameFunctionalGroupsSequence = per_frame
    return Series("u", "MR", "", None, [Instance(Path("mf.dcm"), "1", 1, None, None, 4, 4, frames, ds)])


@pytest.mark.parametrize("where", ["shared", "per-frame", "top"])
def test_multiframe_positions_and_orientation_from_each_place(where: str) -> None:
    series = enhanced([(0.0, 3.0, 0.0), (0.0, 1.0, 0.0), (0.0, 2.0, 0.0)], 3, where)
    positions, orientation = multiframe_positions(series)
    assert orientation == CORONAL and positions is not None and positions.tolist()[0] == [0.0, 3.0, 0.0]
    analyse(series)
    # along the coronal normal y: 3, 1, 2 → steps -2, +1: not monotonic; spacing of the sorted 1, 2, 3 is 1
    assert series.slice_spacing == 1.0
    assert series.warnings[1:] == ["multi-frame positions are not monotonic along the normal: frames are re-ordered"]
    geometry = series_geometry(series)
    assert geometry.origin == (0.0, 1.0, 0.0)  # the frame nearest along the normal, not the first stored
    assert geometry.normal.tolist() == [0.0, 1.0, 0.0] and geometry.spacing == (1.0, 1.0, 1.0)


def test_multiframe_without_every_frames_position_takes_the_spacing_from_the_header() -> None:
    series = enhanced([(0.0, 0.0, 0.0)], 3, SpacingBetweenSlices="2.5", SliceThickness="5")
    assert multiframe_positions(series)[0] is None  # one position for three frames: none usable
    analyse(series)
    assert series.slice_spacing == 2.5
    assert series.warnings[1:] == ["multi-frame object without per-frame positions: spacing taken from the header"]
    thickness = enhanced(None, 2, SliceThickness="5")
    analyse(thickness)
    assert thickness.slice_spacing == 5.0
    monotonic = enhanced([(0.0, 1.0, 0.0), (0.0, 3.0, 0.0)], 2)
    analyse(monotonic)
    assert monotonic.slice_spacing == 2.0 and monotonic.warnings[1:] == []
    millimetre = enhanced([(0.0, 1.0, 0.0), (0.0, 2.0, 0.0), (0.0, 3.0, 0.0)], 3)
    analyse(millimetre)
    assert millimetre.warnings[1:] == []
    shuffled = enhanced([(0.0, 2.0, 0.0), (0.0, 1.0, 0.0), (0.0, 3.0, 0.0)], 3)
    analyse(shuffled)  # a backward step among forward ones: not in order
    assert shuffled.kind == "volume"
    assert shuffled.warnings[1:] == ["multi-frame positions are not monotonic along the normal: frames are re-ordered"]
    descending = enhanced([(0.0, 3.0, 0.0), (0.0, 2.0, 0.0), (0.0, 1.0, 0.0)], 3)
    analyse(descending)  # all steps backwards: read in reverse, nothing out of order
    assert descending.warnings[1:] == []
    repeated = enhanced([(0.0, 1.0, 0.0), (0.0, 1.0, 0.0), (0.0, 2.0, 0.0)], 3)
    analyse(repeated)  # two frames at one place (segments, echoes): not slices of one volume
    assert repeated.kind == "film" and repeated.warnings == [
        "multi-frame object whose 3 frames lie at 2 places (several images at one place: segments, echoes or phases): "
        "shown one by one (Up/Down), not as a volume"]
    only_spacing = enhanced(None, 2, SpacingBetweenSlices="3")
    analyse(only_spacing)
    assert only_spacing.slice_spacing == 3.0


def test_multiframe_orientation_of_the_first_frame_and_frames_not_declared() -> None:
    series = enhanced([(0.0, 0.0, 0.0), (0.0, 0.0, 1.0)], 2, orientation_in="per-frame")
    other = Dataset()
    other.ImageOrientationPatient = list(AXIAL)
    series.instances[0].header.PerFrameFunctionalGroupsSequence[1].PlaneOrientationSequence = [other]  # type: ignore[union-attr]
    assert multiframe_positions(series)[1] == CORONAL
    single = enhanced([(0.0, 0.0, 5.0)], 1)
    del single.instances[0].header.NumberOfFrames  # type: ignore[union-attr]
    positions, _ = multiframe_positions(single)
    assert positions is not None and positions.tolist() == [[0.0, 0.0, 5.0]]  # absent NumberOfFrames: one frame


def test_series_geometry_orders_spacing_as_columns_rows_slices() -> None:
    # PixelSpacing is (row spacing, column spacing): the i (column) step is the second value
    series = stack([0.0, 3.0, 6.0], PixelSpacing=[0.8, 0.6])
    series.instances[0].position = (5.0, 6.0, 0.0)
    series.instances[1].position = (5.0, 6.0, 3.0)
    series.instances[2].position = (5.0, 6.0, 6.0)
    analyse(series)
    geometry = series_geometry(series)
    assert geometry.spacing == (0.6, 0.8, 3.0) and geometry.origin == (5.0, 6.0, 0.0)
    assert np.array_equal(geometry.direction, np.eye(3))
    unknown = Series("u", "CT", "", None, [image(0, None, None)])
    unknown.slice_spacing = None
    geometry = series_geometry(unknown)
    assert geometry.spacing == (1.0, 1.0, 1.0) and geometry.origin == (0.0, 0.0, 0.0)
    assert np.array_equal(geometry.direction, np.eye(3))  # no orientation: axial
    # an enhanced object without positions or orientation: origin 0, axial
    bare = enhanced(None, 3, orientation_in="none")
    geometry = series_geometry(bare)
    assert geometry.origin == (0.0, 0.0, 0.0) and np.array_equal(geometry.direction, np.eye(3))
    # two frames are a volume too: the origin is the lower frame along the normal
    two = enhanced([(0.0, 4.0, 0.0), (0.0, 2.0, 0.0)], 2)
    assert series_geometry(two).origin == (0.0, 2.0, 0.0)


def test_a_stack_without_orientation_is_sorted_along_z() -> None:
    series = Series("u", "CT", "", None, [image(n, (0.0, 0.0, z), None) for n, z in enumerate([3.0, 1.0, 2.0])])
    analyse(series)
    assert [i.position[2] for i in series.instances] == [1.0, 2.0, 3.0]  # type: ignore[index]


def test_when_the_largest_group_has_no_positions_the_series_is_films() -> None:
    instances = [image(0, None, None), image(1, None, None), image(2, (0.0, 0.0, 1.0))]
    series = Series("u", "CT", "", None, instances)
    analyse(series)
    assert series.kind == "film"


def test_two_slices_have_a_spacing_and_a_tilt() -> None:
    series = stack([0.0, 2.5])
    analyse(series)
    assert series.slice_spacing == 2.5 and series.kind == "volume"
    short = Series("u", "CT", "", None, [image(0, (0.0, 0.0, 0.0)), image(1, (0.0, 0.5, 0.5))])
    analyse(short)  # less than a millimetre between them, 45° off the normal
    assert short.warnings == ["gantry tilt / sheared stack: slices are offset 45.0° from the slice normal"]


def test_the_tilt_axis_runs_from_the_first_slice_to_the_last() -> None:
    # z 0, 1, 2, 3; only the last slice moved 3 mm in y: axis (0, 3, 3), 45°
    series = Series("u", "CT", "", None, [image(n, (0.0, 3.0 if n == 3 else 0.0, float(n))) for n in range(4)])
    analyse(series)
    assert series.warnings == ["gantry tilt / sheared stack: slices are offset 45.0° from the slice normal"]


def test_the_declared_tilt_is_read_from_the_first_slice_only_and_a_bad_value_is_none() -> None:
    series = stack([0.0, 1.0, 2.0])
    series.instances[1].header.GantryDetectorTilt = "20"  # type: ignore[union-attr]
    analyse(series)
    assert series.warnings == []
    bad = stack([0.0, 1.0, 2.0])
    tag = Tag("GantryDetectorTilt")
    bad.instances[0].header._dict[tag] = RawDataElement(tag, "DS", 4, b"abc ", 0, False, True)  # type: ignore[union-attr]
    analyse(bad)
    assert bad.warnings == []


def test_spacing_tolerance_and_the_gap_threshold_scale_with_the_spacing() -> None:
    # 2 mm slices, one step 2.015: 0.015 mm apart, under 1 % of 2 mm (0.02): even
    even = stack([0.0, 2.0, 4.015, 6.015])
    analyse(even)
    assert even.warnings == []
    # a step of exactly 1.5 times the median is uneven, not a gap
    series = stack([0.0, 2.0, 4.0, 7.0, 9.0, 11.0])
    analyse(series)
    assert len(series.warnings) == 1 and series.warnings[0].startswith("uneven slice spacing: steps from 2.000 to 3.000 mm")


def test_colour_slices_and_a_two_frame_colour_cine() -> None:
    from lightbox.viewer.pixels import colour_warning

    series = stack([0.0, 1.0, 2.0], PhotometricInterpretation="RGB")
    analyse(series)
    assert series.warnings == [colour_warning("RGB")]
    cine = Series("u", "US", "", None, [image(0, None, frames=2, PhotometricInterpretation="YBR_FULL_422")])
    analyse(cine)
    assert cine.kind == "film" and cine.warnings[-1] == "multi-frame colour object: 2 frames, shown one by one (Up/Down)"


def test_films_in_instance_number_order_then_by_path() -> None:
    instances = [image(n, None, number=7) for n in (2, 0, 1)]
    instances.append(image(3, None, number=0))
    instances[3].instance_number = None
    series = Series("u", "CR", "", None, instances)
    analyse(series)
    assert [i.path.name for i in series.instances] == ["000.dcm", "001.dcm", "002.dcm", "003.dcm"]
    at_one_place = [image(n, (1.0, 1.0, 1.0), number=5) for n in (2, 1)]
    one = Series("u", "MR", "", None, at_one_place)
    analyse(one)
    assert [i.path.name for i in one.instances] == ["001.dcm", "002.dcm"]
