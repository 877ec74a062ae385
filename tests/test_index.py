"""Indexing and slice ordering on real DICOM files written by the tests."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from dicom_factory import axial_positions, write_ct_series, write_enhanced_ct, write_film, write_segmentation
from PIL import Image

from lightbox.viewer.index import build_index, format_index, index_to_dict
from lightbox.viewer.loading import load_volume
from lightbox.viewer.series import series_geometry


def test_sorts_by_position_on_the_normal_not_by_name_or_instance_number(tmp_path: Path) -> None:
    positions = axial_positions(12, spacing=2.5)
    order = list(range(12))
    random.Random(3).shuffle(order)
    # File names and InstanceNumbers both disagree with the anatomy.
    names = [f"img{order[n]:02d}.dcm" for n in range(12)]
    write_ct_series(tmp_path, positions, names=names, instance_numbers=[100 - order[n] for n in range(12)])
    index = build_index(tmp_path)
    (series,) = index.all_series()
    assert series.kind == "volume" and not series.warnings
    z = [i.position[2] for i in series.instances]
    assert z == sorted(z)
    volume = load_volume(series)
    # slice n stores 1000 + n, intercept -1024: HU = n - 24 in anatomical order
    assert [int(volume.array[k, 0, 0]) for k in range(12)] == [n - 24 for n in range(12)]
    assert volume.geometry.origin == pytest.approx((-10, -20, -50))
    assert volume.geometry.spacing == pytest.approx((0.8, 0.7, 2.5))


def test_feet_first_normal_and_oblique_orientation(tmp_path: Path) -> None:
    # Row direction tilted 20° about z; positions stepping along the normal, listed backwards.
    a = np.radians(20)
    row, col = (np.cos(a), np.sin(a), 0.0), (-np.sin(a), np.cos(a), 0.0)
    normal = np.cross(row, col)
    positions = [tuple(np.array([5.0, 6.0, 7.0]) + normal * 3.0 * n) for n in range(6)][::-1]
    write_ct_series(tmp_path, positions, orientation=(*row, *col))
    (series,) = build_index(tmp_path).all_series()
    g = series_geometry(series)
    assert g.origin == pytest.approx((5, 6, 7))
    assert g.direction[:, 0] == pytest.approx(row)
    assert series.slice_spacing == pytest.approx(3.0)
    assert g.index_to_world((0, 0, 5)) == pytest.approx(np.array([5.0, 6.0, 7.0]) + normal * 15.0)
    assert g.world_to_index(g.index_to_world((2.0, 3.0, 4.0))) == pytest.approx((2, 3, 4))


def test_gap_uneven_spacing_tilt_duplicates_and_mixed_orientation_are_warned(tmp_path: Path) -> None:
    gap = [p for n, p in enumerate(axial_positions(10)) if n != 4]
    write_ct_series(tmp_path / "gap", gap)
    tilted = [(0.0, 0.5 * n, 2.0 * n) for n in range(8)]  # y drifts: a sheared (gantry tilt) stack
    write_ct_series(tmp_path / "tilt", tilted)
    dup = axial_positions(5) + axial_positions(5)[2:3]
    write_ct_series(tmp_path / "dup", dup)
    uid = "1.2.3.4.5.6.7.8.9"
    study = "1.2.3.4.5.6.7.8"
    write_ct_series(tmp_path / "mixed", axial_positions(6), series_uid=uid, study_uid=study)
    write_ct_series(tmp_path / "mixed2", [(0, 0, 0), (0, 2, 0)], orientation=(1, 0, 0, 0, 0, -1), series_uid=uid,
                    study_uid=study, names=["c1.dcm", "c2.dcm"])
    index = build_index(tmp_path)
    by_folder = {s.instances[0].path.parent.name: s for s in index.all_series()}
    assert any("gap in the slice stack" in w and "~1 missing" in w for w in by_folder["gap"].warnings)
    assert any("uneven slice spacing" in w for w in by_folder["gap"].warnings)
    assert any("gantry tilt" in w for w in by_folder["tilt"].warnings)
    assert any("1 duplicated slice position" in w for w in by_folder["dup"].warnings)
    assert load_volume(by_folder["dup"]).shape[0] == 5
    # six axial slices and two coronal ones in one series: two parts, each seen (the coronal
    # slices were left out of the one volume)
    axial, coronal = index.find_series(f"{uid}#o1"), index.find_series(f"{uid}#o2")
    assert axial.warnings[-1] == ("mixed orientations: split from a series of 2 ImageOrientationPatient values; "
                                  "this part is its 6 axial image(s) of 8")
    assert coronal.warnings[-1].endswith("this part is its 2 coronal image(s) of 8")
    assert axial.description.endswith("[axial]") and coronal.description.endswith("[coronal]")
    assert load_volume(axial).shape[0] == 6
    assert [i.path.name for i in coronal.instances] == ["c1.dcm", "c2.dcm"] and load_volume(coronal).shape[0] == 2


def test_multiframe_enhanced_object(tmp_path: Path) -> None:
    positions = [(0, 0, 4.0), (0, 0, 0.0), (0, 0, 2.0)]  # frames out of order
    write_enhanced_ct(tmp_path / "enh.dcm", positions)
    (series,) = build_index(tmp_path).all_series()
    assert series.kind == "volume"
    assert any("multi-frame" in w for w in series.warnings)
    volume = load_volume(series)
    # frame n stores 10 (n+1); slope 2, intercept -100; ordered by z: frames 1, 2, 0
    assert [float(volume.array[k, 0, 0]) for k in range(3)] == [2 * 20 - 100, 2 * 30 - 100, 2 * 10 - 100]
    assert volume.geometry.spacing[2] == pytest.approx(2.0)


def test_bad_files_are_reported_and_the_rest_loads(tmp_path: Path) -> None:
    write_ct_series(tmp_path / "good", axial_positions(4))
    (tmp_path / "empty.dcm").write_bytes(b"")
    (tmp_path / "random.dcm").write_bytes(bytes(random.Random(1).getrandbits(8) for _ in range(3000)))
    (tmp_path / "fake.png").write_bytes(b"this is not a png")
    (tmp_path / "notes.txt").write_text("hello")
    good = sorted((tmp_path / "good").iterdir())[0].read_bytes()
    (tmp_path / "truncated.dcm").write_bytes(good[:200])
    index = build_index(tmp_path)
    reasons = {e.path.name: e.reason for e in index.errors}
    assert reasons["empty.dcm"] == "empty file (0 bytes)"
    assert "not a DICOM file" in reasons["random.dcm"] or "random.dcm" in reasons
    assert "not a readable PNG image" in reasons["fake.png"]
    assert "truncated.dcm" in reasons
    assert [p.name for p in index.ignored] == ["notes.txt"]
    (series,) = [s for s in index.all_series() if s.kind == "volume"]
    assert load_volume(series).shape == (4, 32, 24)
    text = format_index(index)
    assert "could not be read" in text and "empty.dcm" in text
    assert index_to_dict(index)["errors"]


def test_dicomdir_and_missing_referenced_file(tmp_path: Path) -> None:
    import pydicom
    from pydicom.fileset import FileSet

    paths = write_ct_series(tmp_path / "src", axial_positions(3))
    fs = FileSet()
    for p in paths:
        fs.add(pydicom.dcmread(p))
    out = tmp_path / "media"
    fs.write(out)
    index = build_index(out / "DICOMDIR")
    (series,) = index.all_series()
    assert len(series.instances) == 3 and not index.errors
    victim = next(p for p in out.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    victim.unlink()
    index = build_index(out / "DICOMDIR")
    assert len(index.all_series()[0].instances) == 2
    assert any("missing on disk" in e.reason for e in index.errors)


def test_films_png_jpeg_and_dicom_group_into_studies(tmp_path: Path) -> None:
    Image.fromarray(np.full((40, 50), 77, np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.full((30, 20, 3), 200, np.uint8)).save(tmp_path / "b.jpg")
    write_film(tmp_path / "cr.dcm", np.zeros((10, 12), np.uint16))
    index = build_index(tmp_path)
    kinds = sorted((s.modality, s.kind) for s in index.all_series())
    assert kinds == [("CR", "film"), ("XC", "film"), ("XC", "film")]
    assert len(index.patients["(films)"].studies) == 1


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    index = build_index(tmp_path / "nope")
    assert index.errors[0].reason == "no such file or folder"


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"])
def test_header_fields_read_from_raw_bytes_equal_pydicoms(tmp_path, syntax) -> None:
    """Indexing decodes UI/CS/DA/IS/DS/US values from the raw bytes (implicit VR through the data
    dictionary); they must equal pydicom's own conversion, odd spellings included."""
    import pydicom

    from lightbox.viewer.index import _floats, _int, _raw_parts, _text

    paths = write_ct_series(tmp_path / syntax, axial_positions(3), syntax=syntax)
    ds = pydicom.dcmread(paths[1], stop_before_pixels=True)
    ds.InstanceNumber = " 7 "
    ds.ImagePositionPatient = ["-1.5e2", " 20.25", "+3"]
    ds.SeriesNumber = ""
    ds.save_as(paths[1], enforce_file_format=True)
    raw = pydicom.dcmread(paths[1], stop_before_pixels=True)
    converted = pydicom.dcmread(paths[1], stop_before_pixels=True)
    assert _raw_parts(raw, "InstanceNumber") == ["7"]  # the raw path is the one taken
    assert _int(raw, "InstanceNumber") == int(converted.InstanceNumber) == 7
    expected = tuple(float(v) for v in converted.ImagePositionPatient)
    assert _floats(raw, "ImagePositionPatient", 3) == expected == (-150.0, 20.25, 3.0)
    assert _floats(raw, "ImageOrientationPatient", 6) == tuple(float(v) for v in converted.ImageOrientationPatient)
    assert (_int(raw, "Rows"), _int(raw, "Columns")) == (converted.Rows, converted.Columns)
    assert _text(raw, "SOPInstanceUID") == converted.SOPInstanceUID and not _text(raw, "SOPInstanceUID").endswith("\x00")
    assert _text(raw, "Modality") == "CT" and _text(raw, "StudyDate") == converted.StudyDate
    assert _int(raw, "SeriesNumber") is None and _int(raw, "NumberOfFrames") is None
    assert _text(raw, "PatientName") == str(converted.PatientName)  # PN goes through pydicom (character sets)


def test_a_three_plane_localizer_is_three_stacks_each_seen(tmp_path: Path) -> None:
    """One series, three slices in each patient plane (a localizer as MR scanners write it): three
    parts named by their planes, each loading its own three slices; before, the volume kept one
    plane's slices and the other six images could not be seen."""
    uid, study = "1.2.826.0.1.3680043.8.498.90", "1.2.826.0.1.3680043.8.498.91"
    axial = write_ct_series(tmp_path / "loc", [(0, 0, z) for z in (-10.0, 0.0, 10.0)], series_uid=uid, study_uid=study,
                            names=["a1.dcm", "a2.dcm", "a3.dcm"], instance_numbers=[1, 2, 3])
    write_ct_series(tmp_path / "loc", [(0, y, 0) for y in (-10.0, 0.0, 10.0)], orientation=(1, 0, 0, 0, 0, -1),
                    series_uid=uid, study_uid=study, names=["c1.dcm", "c2.dcm", "c3.dcm"], instance_numbers=[4, 5, 6])
    write_ct_series(tmp_path / "loc", [(x, 0, 0) for x in (-10.0, 0.0, 10.0)], orientation=(0, 1, 0, 0, 0, -1),
                    series_uid=uid, study_uid=study, names=["s1.dcm", "s2.dcm", "s3.dcm"], instance_numbers=[7, 8, 9])
    # a fourth plane of one slice, tilted 20° from axial about the x axis
    tilt = np.radians(20.0)
    write_ct_series(tmp_path / "loc", [(0, 0, 30.0)], orientation=(1, 0, 0, 0, float(np.cos(tilt)), float(np.sin(tilt))),
                    series_uid=uid, study_uid=study, names=["o1.dcm"], instance_numbers=[10])
    index = build_index(tmp_path / "loc")
    parts = sorted(index.all_series(), key=lambda s: s.uid)
    assert [(s.uid.removeprefix(uid), s.description[-22:], sorted(i.path.name for i in s.instances)) for s in parts] == [
        ("#o1", "[axial]", ["a1.dcm", "a2.dcm", "a3.dcm"]),
        ("#o2", "[coronal]", ["c1.dcm", "c2.dcm", "c3.dcm"]),
        ("#o3", "[sagittal]", ["s1.dcm", "s2.dcm", "s3.dcm"]),
        ("#o4", "[axial oblique 20°]", ["o1.dcm"]),
    ]
    for part in parts[:3]:
        assert part.kind == "volume" and load_volume(part).shape[0] == 3
    assert len(axial) == 3


def test_a_multi_frame_object_whose_frames_share_places_is_not_stacked(tmp_path: Path) -> None:
    """A two-segment segmentation (DICOM SEG, written by highdicom over a 4-slice CT: segment 1 on
    all four slices, segment 2 on the middle two): 6 frames at 4 places. Stacked as one volume it
    became 6 slices 2 mm apart, 12 mm deep where the CT is 8; its frames are now shown one by one,
    each calibrated from the Pixel Measures functional group (0.7 x 0.8 mm, the CT's)."""
    from lightbox.viewer.loading import load_film_frames

    paths = write_ct_series(tmp_path / "ct", axial_positions(4), rows=16, columns=16)
    mask = np.zeros((4, 16, 16, 2), bool)
    mask[:, 4:8, 4:8, 0] = True
    mask[1:3, 10:12, 10:12, 1] = True
    write_segmentation(tmp_path / "seg" / "seg.dcm", paths, mask, ["lesion", "node"])
    (series,) = build_index(tmp_path / "seg").all_series()
    assert series.kind == "film" and series.modality == "SEG"
    assert series.warnings[-1].startswith("multi-frame object whose 6 frames lie at 4 places")
    films = load_film_frames(series)
    assert len(films) == 6 and all(f.spacing == (0.7, 0.8) and f.spacing_source == "PixelSpacing" for f in films)
    assert sum(int(f.values.sum()) for f in films) == 4 * 16 + 2 * 4  # every segment pixel, once
