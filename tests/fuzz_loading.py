"""Structured fuzzing of the DICOM loading path (hypothesis): real files with bytes flipped,
cut, or spliced, then indexed and loaded. The only acceptable outcomes are a loaded image, a
:class:`FileError` from indexing, or a :class:`LoadError` with a message; anything else is a bug.

In CI a bounded run is part of the suite (``test_fuzz_loading.py``); by hand, longer:

    python tests/fuzz_loading.py --examples 20000
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dicom_factory import axial_positions, write_ct_series, write_film  # noqa: E402

from lightbox.viewer.index import build_index  # noqa: E402
from lightbox.viewer.loading import LoadError, load_film, load_volume  # noqa: E402

_SEEDS: dict[str, bytes] = {}
# files written unchanged beside a seed's mutated one (the CT a SEG segments, a PET's other slice)
_COMPANIONS: dict[str, dict[str, bytes]] = {}
SEEDS = ("ct", "rle", "j2k", "shutter", "xa", "pet", "seg", "report", "measurements", "keys", "marks", "dicomdir")
# the name a mutated seed is written under, where it is not a file's own ("fuzzed.dcm")
NAMES = {"dicomdir": "DICOMDIR"}
# the documents a study may hold beside its images (read when the study opens: the archive's report
# shown, its measurements, key images and marks imported)
DOCUMENT_SEEDS = ("report", "measurements", "keys", "marks")


def seed_files() -> dict[str, bytes]:
    """Small real DICOM files to mutate: an uncompressed CT slice, an RLE and a J2K film; a film
    with display shutters and an overlay plane; an Enhanced XA cine with Frame Display Shutters; a
    Philips PET slice in counts (radiopharmaceutical, private SUV factors) beside another slice; a
    DICOM SEG beside the two CT slices it segments."""
    if not _SEEDS:
        folder = Path(tempfile.mkdtemp(prefix="lightbox-fuzz-seeds-"))
        _SEEDS["ct"] = write_ct_series(folder / "ct", axial_positions(1), rows=16, columns=16)[0].read_bytes()
        _SEEDS["rle"] = write_film(folder / "rle.dcm", np.arange(256, dtype=np.uint16).reshape(16, 16),
                                   compress="1.2.840.10008.1.2.5").read_bytes()
        _SEEDS["j2k"] = write_film(folder / "j2k.dcm", np.arange(4096, dtype=np.uint16).reshape(64, 64),
                                   compress="1.2.840.10008.1.2.4.90").read_bytes()
        _SEEDS["shutter"] = _shutter_film(folder / "shutter.dcm")
        _SEEDS["xa"] = _enhanced_xa(folder / "xa.dcm")
        _SEEDS["pet"], _COMPANIONS["pet"] = _philips_pet(folder / "pet")
        _SEEDS["seg"], _COMPANIONS["seg"] = _segmented_ct(folder / "seg")
        documents, slices = _documents(folder / "documents")
        for name, content in documents.items():
            _SEEDS[name], _COMPANIONS[name] = content, slices
        _SEEDS["dicomdir"], _COMPANIONS["dicomdir"] = _file_set(folder / "media")
    return _SEEDS


def _file_set(folder: Path) -> tuple[bytes, dict[str, bytes]]:
    """A DICOMDIR (PS3.10 file-set, written by pydicom) of two CT slices; the slices by their
    paths in the file-set."""
    import pydicom
    from pydicom.fileset import FileSet

    file_set = FileSet()
    for path in write_ct_series(folder / "source", axial_positions(2), rows=16, columns=16):
        file_set.add(pydicom.dcmread(path))
    file_set.write(folder / "set")
    listed = {p.relative_to(folder / "set").as_posix(): p.read_bytes()
              for p in (folder / "set").rglob("*") if p.is_file() and p.name != "DICOMDIR"}
    return (folder / "set" / "DICOMDIR").read_bytes(), listed


def _documents(folder: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A signed report SR, a TID 1500 measurement report, a key object selection and a presentation
    state on a two-slice CT, as Lightbox writes them; the CT's files."""
    import pydicom

    from lightbox.dicomreports.key_images import key_object_selection
    from lightbox.dicomreports.measurements import ImageMark, measurement_report
    from lightbox.dicomreports.presentation import presentation_state
    from lightbox.dicomreports.sr import report_sr

    paths = write_ct_series(folder, axial_positions(2), rows=16, columns=16)
    evidence = [pydicom.dcmread(p, stop_before_pixels=True) for p in paths]
    mark = ImageMark("ellipse", [(2.0, 2.0), (9.0, 7.0)], evidence[0], area_mm2=30.0, hu=(1.0, 2.0, 0.0, 5.0))
    written = {
        "report": report_sr("FINDINGS: Clear lungs.\nIMPRESSION: Normal.", evidence, signed_by="Doe^Ann"),
        "measurements": measurement_report([mark], evidence[:1], "Doe^Ann"),
        "keys": key_object_selection(evidence[:1], "Doe^Ann"),
        "marks": presentation_state([(evidence[0], "arrow", [(1.0, 1.0), (5.0, 5.0)], "a", None)], "Doe^Ann"),
    }
    out = {}
    for name, ds in written.items():
        ds.save_as(folder / f"{name}.dcm", enforce_file_format=True)
        out[name] = (folder / f"{name}.dcm").read_bytes()
        (folder / f"{name}.dcm").unlink()
    return out, {p.name: p.read_bytes() for p in paths}


def _shutter(ds: Dataset) -> Dataset:
    ds.ShutterShape = "RECTANGULAR\\CIRCULAR"
    ds.ShutterLeftVerticalEdge, ds.ShutterRightVerticalEdge = 2, 14
    ds.ShutterUpperHorizontalEdge, ds.ShutterLowerHorizontalEdge = 2, 14
    ds.CenterOfCircularShutter, ds.RadiusOfCircularShutter = [8, 8], 7
    ds.ShutterPresentationValue = 1000
    ds.ShutterPresentationColorCIELabValue = [65535, 32896, 32896]
    return ds


def _shutter_film(path: Path) -> bytes:
    import pydicom

    write_film(path, np.arange(256, dtype=np.uint16).reshape(16, 16))
    ds = _shutter(pydicom.dcmread(path))
    ds.add_new(0x60000010, "US", 16)
    ds.add_new(0x60000011, "US", 16)
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", np.packbits(np.eye(16, dtype=np.uint8).ravel(), bitorder="little").tobytes())
    ds.VOILUTFunction, ds.WindowCenter, ds.WindowWidth = "SIGMOID", 128, 200
    ds.EstimatedRadiographicMagnificationFactor, ds.ImagerPixelSpacing = 1.1, [0.2, 0.2]
    ds.save_as(path)
    return path.read_bytes()


def _enhanced_xa(path: Path) -> bytes:
    from dicom_factory import base_dataset, set_pixels

    ds = base_dataset("1.2.840.10008.5.1.4.1.1.12.1.1", modality="XA")
    set_pixels(ds, np.stack([np.full((16, 16), 100 * (n + 1), np.uint16) for n in range(3)]))
    ds.NumberOfFrames = 3
    shared = Dataset()
    shared.FrameDisplayShutterSequence = [_shutter(Dataset())]
    ds.SharedFunctionalGroupsSequence = [shared]
    ds.PerFrameFunctionalGroupsSequence = [Dataset() for _ in range(3)]
    ds.save_as(path, enforce_file_format=True)
    return path.read_bytes()


def _philips_pet(folder: Path) -> tuple[bytes, dict[str, bytes]]:
    import pydicom

    paths = write_ct_series(folder, axial_positions(2, spacing=4.0), rows=16, columns=16, intercept=0.0, window=None)
    for n, path in enumerate(paths):
        ds = pydicom.dcmread(path)
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.128"
        ds.Modality, ds.RescaleSlope = "PT", 2.0 + n
        ds.Units, ds.CorrectedImage, ds.DecayCorrection = "CNTS", ["ATTN", "DECY"], "START"
        ds.PatientWeight, ds.PatientSize, ds.PatientSex = 74, 1.8, "M"
        ds.SeriesDate, ds.SeriesTime, ds.AcquisitionTime = "20261130", "093000", f"0930{n:02d}"
        drug = Dataset()
        drug.RadionuclideTotalDose, drug.RadionuclideHalfLife, drug.RadiopharmaceuticalStartTime = 370e6, 6586.2, "083000"
        ds.RadiopharmaceuticalInformationSequence = [drug]
        block = ds.private_block(0x7053, "Philips PET Private Group", create=True)
        block.add_new(0x00, "DS", 0.0005)
        block.add_new(0x09, "DS", 0.9)
        ds.save_as(path)
    return paths[0].read_bytes(), {paths[1].name: paths[1].read_bytes()}


def _segmented_ct(folder: Path) -> tuple[bytes, dict[str, bytes]]:
    from dicom_factory import write_segmentation

    paths = write_ct_series(folder, axial_positions(2), rows=16, columns=16)
    mask = np.zeros((2, 16, 16, 2), bool)
    mask[:, 4:8, 2:7, 0] = True
    mask[1, 10:12, 10:13, 1] = True
    seg = write_segmentation(folder / "seg.dcm", paths, mask, ["lesion", "node"], [(255, 0, 0), None])
    return seg.read_bytes(), {p.name: p.read_bytes() for p in paths}


mutations = st.lists(
    st.tuples(st.sampled_from(["flip", "cut", "splice", "zero"]), st.integers(0, 2**31 - 1), st.binary(min_size=1, max_size=16)),
    min_size=1, max_size=6)


def mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, where, blob in ops:
        if not buf:
            break
        i = where % len(buf)
        if op == "flip":
            buf[i] ^= blob[0] or 0xFF
        elif op == "cut":
            del buf[i:]
        elif op == "splice":
            buf[i:i] = blob
        else:
            buf[i:i + len(blob)] = bytes(len(blob))
    return bytes(buf)


CRASHES = Path(__file__).resolve().parent / "fuzz_crashes"
# Where a new crashing input is kept: the tree's regression folder only when fuzzing by hand (the
# script); in a test run, a temporary folder named in the failure (a CI run must not write into the
# checkout, and a developer copies the file into tests/fuzz_crashes once it is understood).
KEEP_IN: list[Path] = [Path(tempfile.mkdtemp(prefix="lightbox-fuzz-crashes-"))]


def check_one(data: bytes, folder: Path, companions: dict[str, bytes] | None = None,
              name_as: str = "fuzzed.dcm") -> None:
    for old in folder.glob("*"):  # each input alone with its own companions
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    for name, content in (companions or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    path = folder / name_as
    path.write_bytes(data)
    try:
        _load_all(folder)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - keep the input: it becomes a regression test
        import hashlib

        KEEP_IN[0].mkdir(parents=True, exist_ok=True)
        name = f"crash-{hashlib.sha256(data).hexdigest()[:12]}"
        if companions:  # the input with the files beside it (their UIDs are this run's): a folder
            kept = KEEP_IN[0] / name
            kept.mkdir(exist_ok=True)
            for file in folder.rglob("*"):
                if file.is_file():
                    (kept / file.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
                    (kept / file.relative_to(folder)).write_bytes(file.read_bytes())
        else:
            kept = KEEP_IN[0] / f"{name}.dcm"
            kept.write_bytes(data)
        raise AssertionError(f"{type(exc).__name__}: {exc} (input kept as {kept})") from exc


def _load_all(folder: Path) -> None:
    from lightbox.app.measurement_sr import marks_from_archive
    from lightbox.dicomreports.archive import newest_report

    index = build_index(folder)
    for series in index.all_series():
        if index.documents:  # what the window does with a study's documents when it opens
            newest_report(index, series.uid)
            marks_from_archive(index.documents, series)
        try:
            if series.kind == "volume":
                load_volume(series)
            else:
                load_film(series)
        except LoadError as exc:
            assert str(exc), "a LoadError must say what is wrong"


def fuzz(examples: int, derandomize: bool = True) -> None:
    """``examples`` mutated inputs; derandomised by default (the same inputs every run, so a CI
    failure reproduces), random when fuzzing by hand for new crashes."""
    folder = Path(tempfile.mkdtemp(prefix="lightbox-fuzz-"))

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=derandomize)
    @given(st.sampled_from(SEEDS), mutations)
    def run(seed: str, ops: list[tuple[str, int, bytes]]) -> None:
        check_one(mutate(seed_files()[seed], ops), folder, _COMPANIONS.get(seed), NAMES.get(seed, "fuzzed.dcm"))

    run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    KEEP_IN[0] = CRASHES  # by hand: new crashes go straight into the regression folder
    fuzz(parser.parse_args().examples, derandomize=False)
    print("no crash")
