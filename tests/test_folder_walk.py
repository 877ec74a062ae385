"""Walking folders: link cycles, dangling links and special files are skipped with a note; the
valid series still opens (a symlink loop anywhere once made the whole folder unopenable with a
traceback, and a FIFO would have blocked the reader forever)."""
from __future__ import annotations

import os
from pathlib import Path

from dicom_factory import axial_positions, write_ct_series

from lightbox.app.cli import main
from lightbox.viewer.index import build_index


def awkward_folder(root: Path) -> Path:
    study = root / "study"
    write_ct_series(study / "ct", axial_positions(4), rows=16, columns=16)
    os.symlink("loop_b", study / "loop_a")
    os.symlink("loop_a", study / "loop_b")
    os.symlink("..", study / "ct" / "back_up")  # a folder link back up the tree: a cycle
    os.symlink("nowhere.dcm", study / "dangling.dcm")
    os.mkfifo(study / "pipe")
    return study


def test_cycles_links_and_special_files_are_skipped_and_the_series_opens(tmp_path: Path) -> None:
    study = awkward_folder(tmp_path)
    index = build_index(study)
    (series,) = index.all_series()
    assert series.kind == "volume" and series.frame_count == 4
    reasons = {e.path.name: e.reason for e in index.errors}
    assert reasons["loop_a"] == reasons["loop_b"] == "symbolic link loop: skipped"
    assert reasons["dangling.dcm"] == "broken symbolic link (its target does not exist): skipped"
    assert reasons["pipe"] == "not a regular file (named pipe (FIFO)): skipped"
    assert reasons["back_up"] == "symbolic link to a folder already read (a link cycle): skipped"  # study/ct/back_up = study


def test_inspect_names_them_and_succeeds(tmp_path: Path, capsys) -> None:
    study = awkward_folder(tmp_path)
    assert main(["inspect", str(study)]) == 0
    out = capsys.readouterr().out
    assert "Series 1  CT    volume, 4 image(s)" in out and "loop_a: symbolic link loop: skipped" in out


import numpy as np  # noqa: E402
import pydicom  # noqa: E402
import pytest  # noqa: E402

from lightbox.viewer.loading import load_volume  # noqa: E402


@pytest.mark.parametrize(("slope", "reason"), [("NaN", "RescaleSlope is nan"), ("0", "RescaleSlope is 0")])
def test_an_unusable_rescale_is_said_and_the_stored_values_are_shown(tmp_path: Path, slope, reason, capsys) -> None:
    paths = write_ct_series(tmp_path / "ct", axial_positions(4), rows=16, columns=16)
    for path in paths[1:3]:
        ds = pydicom.dcmread(path)
        ds["RescaleSlope"].value = slope
        ds.save_as(path)
    (series,) = build_index(tmp_path / "ct").all_series()
    assert any(w.startswith(reason) and "in 2 of 4 file(s): shown as stored values" in w for w in series.warnings)
    volume = load_volume(series)
    # slices 1 and 2 (stored 1001, 1002) as stored; 0 and 3 rescaled: 1000 - 1024, 1003 - 1024
    assert [float(volume.array[k, 10, 10]) for k in range(4)] == [-24.0, 1001.0, 1002.0, -21.0]
    assert np.isfinite(volume.array).all()
    assert any(reason in w for w in volume.warnings)
    assert main(["inspect", str(tmp_path / "ct")]) == 0
    assert reason in capsys.readouterr().out


def test_checking_the_rescale_leaves_the_headers_as_the_fast_reader_reads_them(tmp_path: Path) -> None:
    """The rescale check once converted the raw header elements in place, after which the fast
    integer path read an intercept of 0: every CT lost its -1024 (a regression the GUI test caught)."""
    write_ct_series(tmp_path / "ct", axial_positions(3), rows=16, columns=16)
    (series,) = build_index(tmp_path / "ct").all_series()
    volume = load_volume(series)
    assert volume.array.dtype == np.int16  # the integer fast path
    assert [int(volume.array[k, 10, 10]) for k in range(3)] == [-24, -23, -22]


def test_a_palette_colour_image_shows_its_colours_as_luminance_and_says_so(tmp_path: Path, capsys) -> None:
    """PALETTE COLOR stores indices into a colour table (PS3.3 C.7.6.3.1.5): shown raw, a dark
    red sector came out white. Expected values: the palette's RGB (16-bit entries / 257) through
    ITU-R BT.601 luminance, computed here."""
    from dicom_factory import write_film

    from lightbox.viewer.loading import load_film

    indices = np.array([[0, 1], [2, 255]], np.uint8).repeat(8, 0).repeat(8, 1)
    path = write_film(tmp_path / "pal.dcm", indices, photometric="PALETTE COLOR", spacing=None)
    ds = pydicom.dcmread(path)
    red = np.zeros(256, np.uint16)
    green = np.zeros(256, np.uint16)
    blue = np.zeros(256, np.uint16)
    red[1], green[2], blue[255] = 65535, 32896, 65535  # index 1 pure red, 2 half green, 255 blue
    for colour, table in (("Red", red), ("Green", green), ("Blue", blue)):
        ds.add_new(pydicom.datadict.tag_for_keyword(f"{colour}PaletteColorLookupTableDescriptor"), "US", [256, 0, 16])
        ds.add_new(pydicom.datadict.tag_for_keyword(f"{colour}PaletteColorLookupTableData"), "OW", table.tobytes())
    ds.save_as(path)
    (series,) = build_index(tmp_path).all_series()
    assert any("colour image (PALETTE COLOR): shown in colour" in w for w in series.warnings)
    film = load_film(series)
    # the colours the tables give (16-bit entries scaled to 8 bits: 65535 -> 255, 32896 -> 128)
    assert [tuple(film.colour[r, c]) for r, c in ((0, 0), (0, 8), (8, 0), (8, 8))] == [
        (0, 0, 0), (255, 0, 0), (0, 128, 0), (0, 0, 255)]
    expected = {(0, 0): 0.0, (0, 8): 0.299 * 255, (8, 0): 0.587 * 32896 / 257, (8, 8): 0.114 * 255}
    for (r, c), value in expected.items():
        assert float(film.values[r, c]) == pytest.approx(value, abs=0.01), (r, c)
    assert main(["inspect", str(tmp_path)]) == 0
    assert "colour image (PALETTE COLOR)" in capsys.readouterr().out


def _us_region(fmt: int, units_x: int, units_y: int, dx: float, dy: float):
    from pydicom.dataset import Dataset

    region = Dataset()
    region.RegionSpatialFormat, region.PhysicalUnitsXDirection, region.PhysicalUnitsYDirection = fmt, units_x, units_y
    region.PhysicalDeltaX, region.PhysicalDeltaY = dx, dy
    return region


@pytest.mark.parametrize(("regions", "spacing", "note"), [
    # a 2D region in cm (0.0262 cm per pixel = 0.262 mm) beside a Doppler strip (seconds / cm/s)
    ([(1, 3, 3, 0.0262, 0.0262), (3, 4, 7, 0.0096, 0.5)], (0.262, 0.262), "calibrated from the ultrasound region"),
    ([(1, 3, 3, 0.02, 0.03)], (0.3, 0.2), "calibrated from the ultrasound region"),  # (row, column) = (Y, X)
    ([(1, 3, 3, 0.02, 0.02), (1, 3, 3, 0.05, 0.05)], None, "state different pixel sizes"),
    ([(3, 4, 7, 0.01, 0.5)], None, "uncalibrated"),  # only a spectral region: nothing to measure in mm
])
def test_ultrasound_films_are_calibrated_from_their_2d_region(tmp_path: Path, regions, spacing, note) -> None:
    """PS3.3 C.8.5.5: an ultrasound image has no PixelSpacing; its 2D regions state
    PhysicalDeltaX/Y in cm (units code 3). It used to be measured at an invented 1 mm."""
    from dicom_factory import write_film

    from lightbox.viewer.loading import load_film

    path = write_film(tmp_path / "us.dcm", np.zeros((16, 16), np.uint8), spacing=None)
    ds = pydicom.dcmread(path)
    ds.Modality = "US"
    ds.SequenceOfUltrasoundRegions = [_us_region(*r) for r in regions]
    ds.save_as(path)
    film = load_film(build_index(tmp_path).all_series()[0])
    if spacing is None:
        assert film.spacing is None and not film.calibrated
    else:
        assert film.spacing == pytest.approx(spacing) and film.spacing_source == "SequenceOfUltrasoundRegions"
    assert any(note in w for w in film.warnings)
