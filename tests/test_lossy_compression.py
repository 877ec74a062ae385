"""A lossy-compressed image says so on the screen and in ``inspect`` (PS3.3 C.7.6.1.1.5: Lossy
Image Compression "01", its ratio and method; a transfer syntax that can only be lossy). Three of
the four shared radiographs are lossy and nothing said so. Expectations are the attributes and
transfer syntaxes written into each file, read from the standard's tables by hand."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_factory import axial_positions, restamp, write_ct_series, write_film
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, JPEGLSLossless, JPEGLSNearLossless, RLELossless

from lightbox.viewer.index import build_index
from lightbox.viewer.loading import load_film, load_volume
from lightbox.viewer.lossy import lossy_compression


def header(syntax: str = ExplicitVRLittleEndian, **attributes: object) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(("syntax", "attributes", "said"), [
    (ExplicitVRLittleEndian, {}, ""),  # raw pixels, nothing said: as acquired
    (ExplicitVRLittleEndian, {"LossyImageCompression": "00"}, ""),
    # decompressed after a lossy step (the attribute stays "01" for the image's life, C.7.6.1.1.5)
    (ExplicitVRLittleEndian, {"LossyImageCompression": "01", "LossyImageCompressionRatio": "10",
                              "LossyImageCompressionMethod": "ISO_15444_1"}, "LOSSY JPEG 2000 10:1"),
    # two steps: both ratios; one method named twice is named once
    (ExplicitVRLittleEndian, {"LossyImageCompression": "01", "LossyImageCompressionRatio": ["10", "2.5"],
                              "LossyImageCompressionMethod": ["ISO_10918_1", "ISO_10918_1"]}, "LOSSY JPEG 10:1 2.5:1"),
    ("1.2.840.10008.1.2.4.50", {}, "LOSSY JPEG"),  # JPEG baseline can only be lossy, whatever is (not) said
    ("1.2.840.10008.1.2.4.50", {"LossyImageCompression": "00"}, "LOSSY JPEG"),
    ("1.2.840.10008.1.2.4.81", {}, "LOSSY JPEG-LS near-lossless"),
    ("1.2.840.10008.1.2.4.91", {}, ""),  # JPEG 2000 may be lossless: the attribute decides
    ("1.2.840.10008.1.2.4.91", {"LossyImageCompression": "01", "LossyImageCompressionRatio": "10"}, "LOSSY JPEG 2000 10:1"),
    ("1.2.840.10008.1.2.4.90", {"LossyImageCompression": "00"}, ""),
    ("1.2.840.10008.1.2.4.102", {}, "LOSSY H.264"),
    (ExplicitVRLittleEndian, {"LossyImageCompression": "01", "LossyImageCompressionMethod": "VENDOR_X"}, "LOSSY VENDOR_X"),
    (ExplicitVRLittleEndian, {"LossyImageCompression": "01", "LossyImageCompressionRatio": "0"}, "LOSSY"),  # no usable ratio
])
def test_what_the_header_says_by_hand(syntax: str, attributes: dict[str, object], said: str) -> None:
    assert lossy_compression(header(syntax, **attributes)) == said


def test_a_damaged_attribute_leaves_what_the_others_say() -> None:
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    damaged = header(LossyImageCompression="01", LossyImageCompressionRatio="5")
    method = Tag("LossyImageCompressionMethod")
    damaged[method] = RawDataElement(method, "SQ", 4, b"abcd", 0, False, True)  # not a sequence: fails to read
    assert lossy_compression(damaged) == "LOSSY 5:1"
    damaged.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.50"
    assert lossy_compression(damaged) == "LOSSY JPEG 5:1"  # the encoding names the method
    assert lossy_compression(Dataset()) == ""  # no file meta at all: nothing said, nothing known


def film(path: Path, syntax: str | None = None, **attributes: str) -> Path:
    written = write_film(path, (np.arange(64 * 64) % 900).reshape(64, 64).astype(np.uint16), window=(450, 900))
    if syntax is not None:
        ds = pydicom.dcmread(written)
        ds.compress(syntax, **({"jls_error": 2} if syntax == JPEGLSNearLossless else {}))
        ds.save_as(written)
    if attributes:
        restamp([written], **attributes)
    return written


@pytest.mark.parametrize(("syntax", "attributes", "said"), [
    (JPEGLSNearLossless, {}, "LOSSY JPEG-LS near-lossless"),  # pydicom writes no attribute: the encoding says it
    (JPEGLSLossless, {}, ""),
    (RLELossless, {}, ""),
    (None, {"LossyImageCompression": "01", "LossyImageCompressionRatio": "8", "LossyImageCompressionMethod": "ISO_10918_1"},
     "LOSSY JPEG 8:1"),
])
def test_a_film_carries_it_to_its_overlay_and_warnings(tmp_path: Path, syntax, attributes, said: str) -> None:
    path = film(tmp_path / "f" / "film.dcm", syntax, **attributes)
    (series,) = build_index(path.parent).all_series()
    loaded = load_film(series)
    assert loaded.metadata.get("lossy", "") == said
    lossy_notes = [w for w in loaded.warnings if w.startswith("lossy compressed")]
    assert lossy_notes == ([f"lossy compressed ({said.removeprefix('LOSSY ')}): the pixel values are not the acquired ones"]
                           if said else [])


def test_one_lossy_slice_makes_the_volume_say_so(tmp_path: Path) -> None:
    paths = write_ct_series(tmp_path / "ct", axial_positions(4))
    restamp(paths[2:3], LossyImageCompression="01", LossyImageCompressionRatio="6", LossyImageCompressionMethod="ISO_15444_1")
    (series,) = build_index(tmp_path / "ct").all_series()
    volume = load_volume(series)
    assert volume.metadata["lossy"] == "LOSSY JPEG 2000 6:1"
    assert "lossy compressed (JPEG 2000 6:1): the pixel values are not the acquired ones" in volume.warnings


def test_the_window_shows_it_on_the_film_and_on_the_slices(any_renderer_window, qtbot, tmp_path: Path) -> None:
    window = any_renderer_window
    window.open_path(film(tmp_path / "f" / "film.dcm", JPEGLSNearLossless))
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None, timeout=30000)
    assert window.area.viewports[0].scene.corners.texts["lower_right"].startswith("LOSSY JPEG-LS near-lossless\nCR")
    paths = write_ct_series(tmp_path / "ct", axial_positions(6))
    restamp(paths, LossyImageCompression="01", LossyImageCompressionRatio="10", LossyImageCompressionMethod="ISO_10918_1")
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and getattr(window.area.viewports[0].scene, "plane", "") == "axial", timeout=30000)
    assert window.area.viewports[0].scene.corners.texts["lower_right"].startswith("LOSSY JPEG 10:1\nCT")
    write_film(tmp_path / "raw" / "film.dcm", np.full((32, 32), 100, np.uint16), window=(100, 200))
    window.open_path(tmp_path / "raw" / "film.dcm")
    qtbot.waitUntil(lambda: not window.is_loading() and window.area.opened is not None
                    and not hasattr(window.area.viewports[0].scene, "plane"), timeout=30000)
    assert "LOSSY" not in window.area.viewports[0].scene.corners.texts["lower_right"]


SHARED_FILMS = {"CR-MONO1-10-chest.dcm": "", "nema-wg04-RG1_J2KI.dcm": "LOSSY JPEG 2000 10:1",
                "nema-wg04-RG1_JLSN.dcm": "LOSSY JPEG-LS near-lossless 2:1"}


@pytest.mark.parametrize("name", sorted(SHARED_FILMS))
def test_the_shared_radiographs(shared_data: Path, name: str) -> None:
    """Their headers (read with pydicom in the data's README terms): the NEMA WG04 films were
    compressed 10:1 (JPEG 2000 irreversible) and 2:1 (JPEG-LS near-lossless); the MONOCHROME1
    film is raw."""
    path = shared_data / "cr" / name
    (series,) = build_index(path).all_series()
    assert load_film(series).metadata.get("lossy", "") == SHARED_FILMS[name]


def test_inspect_says_it_without_decoding(tmp_path: Path, capsys) -> None:
    """`lightbox inspect --no-pixels`: each kind of lossy compression a series holds, once, with how
    many of its images, from the headers alone (and in --json)."""
    import json

    from lightbox.app.cli import main

    paths = write_ct_series(tmp_path / "ct", axial_positions(4))
    restamp(paths[:2], LossyImageCompression="01", LossyImageCompressionRatio="6", LossyImageCompressionMethod="ISO_15444_1")
    restamp(paths[2:3], LossyImageCompression="01", LossyImageCompressionMethod="ISO_10918_1")
    assert main(["inspect", str(tmp_path / "ct"), "--no-pixels"]) == 0
    assert "      lossy compressed: JPEG 2000 6:1; JPEG (3 of 4 image(s))" in capsys.readouterr().out.splitlines()
    assert main(["inspect", str(tmp_path / "ct"), "--no-pixels", "--json"]) == 0
    (series,) = json.loads(capsys.readouterr().out)["patients"][0]["studies"][0]["series"]
    assert series["lossy"] == "JPEG 2000 6:1; JPEG (3 of 4 image(s))" and "display_shutter" not in series
