"""The pixel pipeline's edges, each worked by hand: headers as the fast header reader keeps them
(raw bytes), multi-valued and empty numbers, enhanced objects' per-frame groups, a window of width
1, the VOI table preferred over a window, and the automatic window's percentiles. Written for the
mutants that survived `tools/mutation.py lightbox/viewer/pixels.py` (each test names what it
guards)."""
from __future__ import annotations

import warnings
from io import BytesIO

import numpy as np
from dicom_factory import voi_table_dataset
from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian

from lightbox.viewer.pixels import (
    Window,
    apply_voi_table,
    auto_window,
    colour_warning,
    dataset_window,
    has_voi_lut_table,
    modality_values,
    raw_text,
    rescale_problem,
    vtk_window_level,
    window_values,
)


def reread(ds: Dataset) -> Dataset:
    """``ds`` written and read back: its elements stay raw bytes until asked for by keyword, as
    the index's fast header reader keeps them."""
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=False, implicit_vr=False, little_endian=True)
    buffer.seek(0)
    return dcmread(buffer, force=True)


def enhanced(per_frame: list[Dataset], shared: Dataset | None = None) -> Dataset:
    ds = Dataset()
    ds.PerFrameFunctionalGroupsSequence = per_frame
    if shared is not None:
        ds.SharedFunctionalGroupsSequence = [shared]
    return ds


def group(sequence: str, **attributes: object) -> Dataset:
    item = Dataset()
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    outer = Dataset()
    setattr(outer, sequence, [item])
    return outer


def test_raw_text_of_raw_bytes_strips_padding_and_replaces_what_is_not_ascii() -> None:
    ds = Dataset()
    ds.add_new(0x00080060, "CS", "CT")
    ds.add_new(0x00081030, "LO", "Thorax\xe9 ")
    raw = reread(ds)
    assert raw_text(raw, "Modality") == "CT"  # b"CT" as read: no trailing space
    nul_padded = Dataset()
    for keyword, value in (("Modality", b"MR\x00\x00"), ("BodyPartExamined", b"THORAX "), ("StudyID", b" 7 ")):
        tag = Tag(keyword)
        nul_padded._dict[tag] = RawDataElement(tag, "CS", len(value), value, 0, False, True)
    assert raw_text(nul_padded, "Modality") == "MR"  # NUL padding (UI-style) stripped as well as spaces
    assert raw_text(nul_padded, "BodyPartExamined") == "THORAX"  # only padding goes: the X stays
    assert raw_text(nul_padded, "StudyID") == "7"
    # "Thorax\xe9 " is written as latin-1 bytes b"Thorax\xe9 " (padded to even length): decoded as
    # ASCII with replacement, the padding space stripped
    assert raw_text(raw, "StudyDescription") == "Thorax\ufffd"


def test_rescale_problem_of_raw_bytes() -> None:
    def raw_header(**values: bytes) -> Dataset:
        """A header as read from a file and not yet converted: raw elements, as the reader keeps them."""
        ds = Dataset()
        for keyword, value in values.items():
            tag = Tag(keyword)
            ds._dict[tag] = RawDataElement(tag, "DS", len(value), value, 0, False, True)
        return ds

    # DS raw bytes as stored: multi-valued (the first counts), NUL- and space-padded, empty
    assert rescale_problem(raw_header(RescaleSlope=b"2\\3", RescaleIntercept=b"-1024 ")) is None
    assert rescale_problem(raw_header(RescaleSlope=b"1\x00")) is None
    assert rescale_problem(raw_header(RescaleIntercept=b"\x001024.0 ")) == "RescaleIntercept '\\x001024.0' is not a number"
    assert rescale_problem(raw_header(RescaleSlope=b"0\\1")) == "RescaleSlope is 0 (every pixel would have the same value)"
    assert rescale_problem(raw_header(RescaleSlope=b"", RescaleIntercept=b"nan")) == "RescaleIntercept is nan"
    assert rescale_problem(raw_header(RescaleSlope=b"abc")) == "RescaleSlope 'abc' is not a number"
    assert rescale_problem(raw_header(RescaleSlope=b"1\xe9")) == "RescaleSlope '1\ufffd' is not a number"  # not ASCII
    # an empty slope is "no slope" (identity), and does not stop the intercept being checked
    assert rescale_problem(raw_header(RescaleSlope=b"")) is None
    ds = Dataset()
    ds.add_new("RescaleSlope", "DS", "")
    ds.add_new("RescaleIntercept", "DS", "inf")
    assert rescale_problem(ds) == "RescaleIntercept is inf"
    # converted values (pydicom's DS, one or several): the first value counts there too
    ds = Dataset()
    ds.RescaleSlope, ds.RescaleIntercept = [2, 3], "-1024"
    assert rescale_problem(ds) is None
    ds.RescaleSlope = [0, 1]
    assert rescale_problem(ds) == "RescaleSlope is 0 (every pixel would have the same value)"


def test_modality_values_reads_frame_zero_of_an_enhanced_object_by_default() -> None:
    ds = enhanced([group("PixelValueTransformationSequence", RescaleSlope=2, RescaleIntercept=-100),
                   group("PixelValueTransformationSequence", RescaleSlope=3, RescaleIntercept=0)])
    stored = np.array([10, 20], dtype=np.int16)
    assert modality_values(ds, stored).tolist() == [-80.0, -60.0]  # 2 * 10 - 100, 2 * 20 - 100
    assert modality_values(ds, stored, frame=1).tolist() == [30.0, 60.0]
    assert modality_values(ds, stored).dtype == np.float32


def test_a_frame_past_the_per_frame_groups_takes_the_shared_group() -> None:
    ds = enhanced([group("PixelValueTransformationSequence", RescaleSlope=2, RescaleIntercept=0)],
                  shared=group("PixelValueTransformationSequence", RescaleSlope=5, RescaleIntercept=1))
    assert modality_values(ds, np.array([1]), frame=1).tolist() == [6.0]  # only one per-frame item: shared 5 * 1 + 1


def test_per_frame_rescale_without_intercept_and_a_broken_per_frame_slope() -> None:
    ds = enhanced([group("PixelValueTransformationSequence", RescaleSlope=4)])
    assert modality_values(ds, np.array([3], dtype=np.uint16)).tolist() == [12.0]  # intercept absent: 0
    # a zero slope in the frame's group (the top level is fine): the stored values, as float32
    broken = enhanced([group("PixelValueTransformationSequence", RescaleSlope=0, RescaleIntercept=5)])
    broken.RescaleSlope, broken.RescaleIntercept = 1, 1000
    out = modality_values(broken, np.array([7, 9], dtype=np.int16))
    assert out.tolist() == [7.0, 9.0] and out.dtype == np.float32
    # a top-level problem, no functional groups: the same
    classic = Dataset()
    classic.RescaleSlope, classic.RescaleIntercept = "0", "0"
    assert modality_values(classic, np.array([7], dtype=np.int16)).dtype == np.float32


def test_modality_lut_output_is_float32() -> None:
    ds = Dataset()
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    assert modality_values(ds, np.array([0], dtype=np.uint16)).dtype == np.float32
    # a Modality LUT Sequence (C.11.1): entries 100, 200 for stored 0, 1
    table = Dataset()
    table.PixelRepresentation, table.BitsStored, table.BitsAllocated = 0, 8, 8
    item = Dataset()
    item.LUTDescriptor = [2, 0, 16]
    item.ModalityLUTType = "HU"
    item.add_new(0x00283006, "US", [100, 200])
    table.ModalityLUTSequence = [item]
    out = modality_values(table, np.array([0, 1], dtype=np.uint8))
    assert out.tolist() == [100.0, 200.0] and out.dtype == np.float32


def test_dataset_window_of_frame_zero_by_default_and_linear_named() -> None:
    ds = enhanced([group("FrameVOILUTSequence", WindowCenter=40, WindowWidth=400),
                   group("FrameVOILUTSequence", WindowCenter=-600, WindowWidth=1500)])
    assert dataset_window(ds) == Window(40, 400, "LINEAR")
    window = dataset_window(ds)
    assert window is not None and window.function == "LINEAR" and vtk_window_level(window) == (399.0, 39.5)


def test_has_voi_lut_table() -> None:
    ds = Dataset()
    assert has_voi_lut_table(ds) is False
    ds.VOILUTSequence = []
    assert has_voi_lut_table(ds) is False  # an empty sequence holds no table
    item = Dataset()
    item.LUTDescriptor = [2, 0, 8]
    item.add_new(0x00283006, "US", [0, 255])
    ds.VOILUTSequence = [item]
    assert has_voi_lut_table(ds) is True


def test_voi_table_is_preferred_to_a_window_and_indexed_by_integral_floats() -> None:
    ds = voi_table_dataset()
    ds.WindowCenter, ds.WindowWidth = 0, 2  # a window that would give other numbers
    # table entries for 10, 11, 12; below the first → first entry, above → last
    out = apply_voi_table(ds, np.array([10.0, 11.0, 12.0, 50.0], dtype=np.float32))
    assert out.tolist() == [0.0, 1000.0, 4000.0, 4000.0] and out.dtype == np.float32
    assert apply_voi_table(ds, np.array([11], dtype=np.int16)).dtype == np.float32


def test_window_of_width_one_is_a_threshold() -> None:
    # C.11.2.1.2.1 with w = 1: black for x <= c - 0.5, white above
    assert window_values(np.array([9.4, 9.5, 9.6, 10.0]), Window(10, 1)).tolist() == [0, 0, 255, 255]
    window, level = vtk_window_level(Window(10, 1))
    assert 0 < window < 0.01 and level == 9.5  # VTK needs a positive width: a vanishing ramp at 9.5


def test_window_of_width_two_is_a_ramp() -> None:
    # w = 2: the ramp runs from c - 1 to c: y = ((x - (c - 0.5)) / 1 + 0.5) * 255 → x = c - 0.5 gives 127.5 → 128
    assert window_values(np.array([9.0, 9.5, 10.0]), Window(10, 2)).tolist() == [0, 128, 255]


def test_windows_clip_far_outside_and_give_bytes() -> None:
    # values far beyond the window: 0 and 255, never wrapped around (LINEAR_EXACT c = 0, w = 10: x = ±7
    # → 1.2 and -0.2 before clipping)
    for function in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
        out = window_values(np.array([-7.0, 7.0, -1e6, 1e6]), Window(0, 10, function))  # type: ignore[arg-type]
        assert out.dtype == np.uint8
        assert out.tolist()[2:] == [0, 255], function
        if function != "SIGMOID":
            assert out.tolist()[:2] == [0, 255], function


def test_voi_table_lookup_of_float_values_does_not_warn() -> None:
    # pydicom warns that a float lookup may be wrong; integral floats are passed as integers
    ds = voi_table_dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert apply_voi_table(ds, np.array([11.0, 12.0], dtype=np.float32)).tolist() == [1000.0, 4000.0]


def test_linear_ramp_inside_the_window_by_hand() -> None:
    # c = 0, w = 11: y = ((x + 0.5) / 10 + 0.5) * 255; x = -5.5 → 0, x = -3 → 0.25 * 255 = 63.75 → 64,
    # x = 2 → 0.75 * 255 = 191.25 → 191, x = 4.5 → 255, x = 4.6 → 255 (past the top)
    got = window_values(np.array([-5.6, -5.5, -3.0, 2.0, 4.5, 4.6]), Window(0, 11)).tolist()
    assert got == [0, 0, 64, 191, 255, 255]
    assert window_values(np.array([-3.0]), Window(0, 11), invert=True).tolist() == [191]


def test_auto_window_by_hand() -> None:
    # 0..999: numpy's linear percentile at 0.5 % is element 0.005 * 999 = 4.995 → 4.995, at 99.5 %
    # 994.005; the window spans them: centre (4.995 + 994.005) / 2 + 0.5 = 500, width 989.01 + 1
    window = auto_window(np.arange(1000, dtype=np.float64))
    assert window.center == 500.0 and abs(window.width - 990.01) < 1e-9
    # a flat image: width at least 1 (+1 for LINEAR's w - 1): 7 → centre 7.5, width 2
    assert auto_window(np.full(10, 7.0)) == Window(7.5, 2.0)
    # a large image is sampled every (size // 262144)th value: 1,048,576 values → every 4th, so
    # the ramp 0..4·262144-1 sampled as 0, 4, 8, …: the same percentiles as the ramp itself to 0.1
    big = np.arange(4 * 262144, dtype=np.float64)
    sampled = np.arange(0, 4 * 262144, 4, dtype=np.float64)
    assert auto_window(big) == auto_window(sampled)


def test_colour_warning_names_the_photometric_interpretation_and_the_luminance() -> None:
    assert colour_warning("RGB") == ("colour image (RGB): shown in colour, the window applied to each of R, G and B; "
                                     "pixel values and ROI statistics are its luminance")


def test_a_multi_valued_rescale_reads_its_first_values_in_films_and_volumes(tmp_path) -> None:
    """Rescale Slope and Intercept have one value (VM 1); a file with several is read by its first
    ones — the same in a film, in a volume's fast integer path and in the header check (a
    128 x 128 film once failed to show: pydicom multiplied the image by the whole list)."""
    import pydicom
    from dicom_factory import write_ct_series

    from lightbox.viewer.index import build_index
    from lightbox.viewer.loading import load_film, load_volume

    paths = write_ct_series(tmp_path / "ct", [(0, 0, z) for z in range(3)], rows=128, columns=128, intercept=0.0)
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.RescaleSlope, ds.RescaleIntercept = [2, 3], [-1024, 5]
        ds.save_as(path)
    stored = pydicom.dcmread(paths[0]).pixel_array.astype(np.float64)
    expected = 2 * stored - 1024  # the first slope and intercept
    assert modality_values(pydicom.dcmread(paths[0]), pydicom.dcmread(paths[0]).pixel_array).tolist() == expected.tolist()
    (series,) = build_index(tmp_path / "ct").all_series()
    assert not any("Rescale" in w for w in series.warnings)
    volume = load_volume(series)
    assert volume.array[0].astype(np.float64).tolist() == expected.tolist()
    single = tmp_path / "film"
    single.mkdir()
    ds = pydicom.dcmread(paths[0])
    ds.save_as(single / "one.dcm")
    (film_series,) = build_index(single).all_series()
    assert load_film(film_series).values.astype(np.float64).tolist() == expected.tolist()
