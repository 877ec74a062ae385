"""The fast header reader gives exactly pydicom's dataset, or declines (and pydicom reads)."""
from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest

from lightbox.viewer.header_reader import read_common_header
from lightbox.viewer.index import read_header

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
SHARED = Path(os.environ.get("LIGHTBOX_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _pydicom_header(path: Path) -> tuple[pydicom.FileDataset, int]:
    with open(path, "rb") as fp:
        ds = pydicom.dcmread(fp, stop_before_pixels=True)
        return ds, fp.tell()


def _same(path: Path) -> bool | None:
    """True when the fast reader's result equals pydicom's, None when it declined."""
    got = read_common_header(path)
    if got is None:
        return None
    ds, offset = got
    ref, ref_offset = _pydicom_header(path)
    # what pydicom keeps of how the file was encoded (it writes a dataset back that way), where the
    # file came from, and each element's undefined length and place in the file
    return (ds == ref and ds.file_meta == ref.file_meta and offset == ref_offset and ds.preamble == ref.preamble
            and (ds.is_implicit_VR, ds.is_little_endian) == (ref.is_implicit_VR, ref.is_little_endian)
            and ds._character_set == ref._character_set
            and ds.original_encoding == ref.original_encoding
            and ds.original_character_set == ref.original_character_set
            and ds.file_meta.original_encoding == ref.file_meta.original_encoding
            and ds.file_meta.original_character_set == ref.file_meta.original_character_set
            and ds.filename == ref.filename
            and all(str(ds[e.tag].value) == str(e.value) for e in ref)
            and all((ds[e.tag].is_undefined_length, ds[e.tag].file_tell) == (e.is_undefined_length, e.file_tell)
                    for e in ref))


def _readable_by_pydicom(path: Path) -> bool:
    try:
        _pydicom_header(path)
        return True
    except Exception:  # noqa: BLE001
        return False


def test_equals_pydicom_on_pydicoms_own_test_files() -> None:
    files = [f for f in sorted(PYDICOM_FILES.glob("*.dcm")) if _readable_by_pydicom(f)]
    results = {f.name: _same(f) for f in files}
    assert not [name for name, same in results.items() if same is False]
    fast = [name for name, same in results.items() if same]
    assert len(fast) >= 0.6 * len(files)  # the common kind is common
    # implicit and explicit little endian, encapsulated, sequences of defined and undefined
    # length (nested, private), character sets
    assert {"CT_small.dcm", "MR_small_implicit.dcm", "JPEG2000.dcm", "reportsi.dcm", "rtplan.dcm", "test-SR.dcm",
            "priv_SQ.dcm", "empty_charset_LEI.dcm"} <= set(fast)


@pytest.mark.parametrize("name", [
    "MR_small_bigendian.dcm",  # big endian
    "image_dfl.dcm",  # deflate
    "no_meta.dcm",  # no preamble
    "ExplVR_LitEndNoMeta.dcm",  # no File Meta Information
    "meta_missing_tsyntax.dcm",  # no transfer syntax
    "UN_sequence.dcm",  # undefined length on a UN element (a sequence only by inference)
])
def test_declines_what_needs_pydicoms_judgement(name: str) -> None:
    path = PYDICOM_FILES / name
    if not path.exists():
        pytest.skip(f"pydicom no longer ships {name}")
    assert read_common_header(path) is None
    if name in ("MR_small_bigendian.dcm", "image_dfl.dcm"):
        ds, _ = read_header(path)  # and the index still reads it, through pydicom
        assert ds.Rows > 0


def test_truncated_header_is_declined_and_reported_by_pydicom(tmp_path: Path) -> None:
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:600])  # inside the dataset, mid-element
    assert read_common_header(cut) is None
    zero = tmp_path / "zero.dcm"
    zero.write_bytes(b"")
    assert read_common_header(zero) is None


def test_a_file_without_pixel_data_ends_at_its_end(tmp_path: Path) -> None:
    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    del ds.PixelData
    path = tmp_path / "header_only.dcm"
    ds.save_as(path, enforce_file_format=True)
    got = read_common_header(path)
    assert got is not None and got[1] == path.stat().st_size and _same(path)


def test_equals_pydicom_on_the_shared_studies() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set LIGHTBOX_SHARED_DATA)")
    files = [f for f in sorted(SHARED.rglob("*.dcm"))][:400]
    results = [_same(f) for f in files]
    assert False not in results
    assert results.count(True) >= 0.95 * len(files)


@pytest.mark.parametrize("implicit", [False, True])
def test_elements_across_the_read_chunk_boundary(tmp_path: Path, implicit: bool) -> None:
    """The reader takes the file in 64 KiB chunks: a 64 KiB private value shifted two bytes at a
    time puts the next element's header and value across the boundary at every even offset (DICOM
    elements start at even offsets); each header is pydicom's, read fast."""
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    source = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    source.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    probe = source.copy()
    probe.add_new(0x00091010, "OB", b"\x01\x01")
    probe.save_as(tmp_path / "probe.dcm", implicit_vr=implicit, little_endian=True, enforce_file_format=True)
    value_at = pydicom.dcmread(tmp_path / "probe.dcm", stop_before_pixels=True)[0x00091010].file_tell
    for shift in range(0, 16, 2):  # the next element starts 12 bytes before the boundary ... 2 after it
        ds = source.copy()
        ds.add_new(0x00091010, "OB", b"\x01" * (65536 - 12 + shift - value_at))  # a private block before (0010,xxxx)
        path = tmp_path / f"shift_{shift}.dcm"
        ds.save_as(path, implicit_vr=implicit, little_endian=True, enforce_file_format=True)
        block = pydicom.dcmread(path, stop_before_pixels=True)[0x00091010]
        assert block.file_tell + len(block.value) == 65536 - 12 + shift  # where the next element's header starts
        assert _same(path) is True, shift


# the declines no header field states, each checked by hand: a JPEG file whose data set is in
# implicit VR under an explicit syntax, sequences of undefined length that only pydicom's
# inference calls sequences (a UN element, a private tag), a value cut short
DECLINED_BY_NAME = {"SC_rgb_jpeg.dcm": "elements contradict the transfer syntax",
                    "UN_sequence.dcm": "undefined length other than a sequence",
                    "nested_priv_SQ.dcm": "undefined length other than a sequence",
                    "rtplan_truncated.dcm": "truncated value"}


def test_exactly_the_files_needing_pydicom_go_to_it_and_say_why(caplog) -> None:
    """Every pydicom test file: read fast and equal to pydicom, or declined for the reason its
    bytes show — no "DICM" at 128 (checked here on the bytes), no transfer syntax, a big endian or
    deflated syntax (read here by pydicom) — or one of the few named above. A reader that declines
    more is slower on every index, and this says so."""
    import logging

    expected: dict[str, str] = {}
    for path in sorted(PYDICOM_FILES.glob("*.dcm")):
        data = path.read_bytes()
        if len(data) < 132 or data[128:132] != b"DICM":
            expected[path.name] = "no preamble and DICM prefix"
        elif path.name in DECLINED_BY_NAME:
            expected[path.name] = DECLINED_BY_NAME[path.name]
        elif _readable_by_pydicom(path):
            syntax = pydicom.dcmread(path, stop_before_pixels=True).file_meta.get("TransferSyntaxUID")
            if not syntax:
                expected[path.name] = "no transfer syntax"
            elif syntax in ("1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"):
                expected[path.name] = f"transfer syntax {syntax}"
            else:
                expected[path.name] = ""  # the common kind: read fast
    caplog.set_level(logging.DEBUG, logger="lightbox.viewer.header_reader")
    said: dict[str, str] = {}
    for name in expected:
        caplog.clear()
        fast = _same(PYDICOM_FILES / name)
        said[name] = "" if fast else _logged_reason(caplog)
        assert fast is not False, name  # never a different header
    assert said == expected


def _logged_reason(caplog) -> str:
    """The reason in the reader's last "PATH: header read by pydicom (REASON)" line."""
    return caplog.records[-1].getMessage().split(" (", 1)[1].rstrip(")")


def _declined_because(path: Path, caplog) -> str:
    import logging

    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="lightbox.viewer.header_reader")
    assert read_common_header(path) is None
    assert caplog.records[-1].getMessage().startswith(f"{path}: header read by pydicom (")
    return _logged_reason(caplog)


def _ct_with_an_undefined_length_sequence(implicit: bool, charset: str = "", meaning: str = "") -> pydicom.FileDataset:
    """CT_small with an Anatomic Region Sequence of undefined length holding one item of
    undefined length, in the transfer syntax ``implicit`` asks for."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    if charset:
        ds.SpecificCharacterSet = charset
    item = Dataset()
    item.CodeValue = "T-D3000"
    if meaning:
        item.CodeMeaning = meaning
    item.is_undefined_length_sequence_item = True
    ds.AnatomicRegionSequence = Sequence([item])
    ds["AnatomicRegionSequence"].is_undefined_length = True
    return ds


def test_damaged_headers_are_declined_for_what_is_wrong(tmp_path: Path, caplog) -> None:
    """CT_small (explicit VR little endian) edited byte by byte at its Patient's Name (0010,0010):
    the file cut inside that element's header, its VR made "ZZ", its group made 0000 (a command
    element) and 0002 (file meta inside the data set)."""
    data = (PYDICOM_FILES / "CT_small.dcm").read_bytes()
    name = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm", stop_before_pixels=True)["PatientName"]
    header = name.file_tell - 8  # explicit VR, short length: tag 4, VR 2, length 2
    assert data[header:header + 6] == b"\x10\x00\x10\x00PN"
    edits = {"cut.dcm": (data[:header + 4], "truncated element header"),
             "zz.dcm": (data[:header + 4] + b"ZZ" + data[header + 6:], "not an explicit VR"),
             "group0.dcm": (data[:header] + b"\x00\x00" + data[header + 2:], "command or misplaced file meta elements"),
             "group2.dcm": (data[:header] + b"\x02\x00" + data[header + 2:], "command or misplaced file meta elements")}
    for file_name, (content, reason) in edits.items():
        (tmp_path / file_name).write_bytes(content)
        assert _declined_because(tmp_path / file_name, caplog) == reason, file_name


@pytest.mark.parametrize("implicit", [False, True])
def test_an_undefined_length_sequence_in_utf_8_is_read_fast(tmp_path: Path, implicit: bool) -> None:
    """An undefined-length sequence with an undefined-length item holding UTF-8 text (ISO_IR 192,
    not pydicom's Latin-1 default), in implicit and explicit VR: read fast, and equal to
    pydicom's, the item's text decoded with the data set's character set."""
    ds = _ct_with_an_undefined_length_sequence(implicit, "ISO_IR 192", "Thorax (Brühl)")
    path = tmp_path / "sequence.dcm"
    ds.save_as(path, implicit_vr=implicit, little_endian=True, enforce_file_format=True)
    assert read_common_header(path) is not None and _same(path) is True
    fast, _ = read_common_header(path)
    assert fast.AnatomicRegionSequence[0].CodeMeaning == "Thorax (Brühl)"


def test_a_bare_prefix_and_a_sequence_cut_short_are_declined_for_that(tmp_path: Path, caplog) -> None:
    """132 bytes of preamble and "DICM" and nothing else: no transfer syntax (the prefix is
    there). An undefined-length sequence cut inside its item: pydicom's sequence reader fails
    there, so the file is left to pydicom's reader, which reports it."""
    (tmp_path / "prefix.dcm").write_bytes(b"\x00" * 128 + b"DICM")
    assert _declined_because(tmp_path / "prefix.dcm", caplog) == "no transfer syntax"
    ds = _ct_with_an_undefined_length_sequence(implicit=False)
    ds.save_as(tmp_path / "whole.dcm", implicit_vr=False, little_endian=True, enforce_file_format=True)
    data = (tmp_path / "whole.dcm").read_bytes()
    item_at = data.index(b"\xfe\xff\x00\xe0")  # the item tag (FFFE,E000)
    (tmp_path / "cut.dcm").write_bytes(data[:item_at + 14])  # inside the item's first element
    assert _declined_because(tmp_path / "cut.dcm", caplog) == "unreadable sequence"


def test_a_file_cut_inside_a_long_element_header_is_declined_for_that(tmp_path: Path, caplog) -> None:
    """An OB element's explicit header is 12 bytes (tag, VR, two reserved, a 4-byte length): the
    file cut 10 bytes into it has the short header's 8 but not the long one's 12."""
    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    ds.add_new(0x00091010, "OB", b"\x01\x02")
    ds.save_as(tmp_path / "whole.dcm", enforce_file_format=True)
    block = pydicom.dcmread(tmp_path / "whole.dcm", stop_before_pixels=True)[0x00091010]
    header = block.file_tell - 12
    data = (tmp_path / "whole.dcm").read_bytes()
    assert data[header:header + 6] == b"\x09\x00\x10\x10OB"
    (tmp_path / "cut.dcm").write_bytes(data[:header + 10])
    assert _declined_because(tmp_path / "cut.dcm", caplog) == "truncated element header"
