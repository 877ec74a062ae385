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
from dicom_factory import axial_positions, restamp, write_ct_series, write_film  # noqa: E402

from lightbox.viewer.index import build_index  # noqa: E402
from lightbox.viewer.loading import LoadError, load_film, load_volume  # noqa: E402

_SEEDS: dict[str, bytes] = {}
# files written unchanged beside a seed's mutated one (the CT a SEG segments, a PET's other slice)
_COMPANIONS: dict[str, dict[str, bytes]] = {}
SEEDS = ("ct", "rle", "j2k", "shutter", "xa", "pet", "seg", "report", "measurements", "keys", "marks", "dicomdir",
         "state", "mrmap", "photo", "voifilm", "voistate", "tiltseg")
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
        _SEEDS["state"], _COMPANIONS["state"] = _foreign_state(folder / "state")
        _SEEDS["mrmap"], _COMPANIONS["mrmap"] = _mr_map(folder / "mrmap")
        _SEEDS["photo"] = _profiled_photo(folder / "photo.dcm")
        # a film with its own VOI LUT table, and a state with another table for it (test_voi_lut_table)
        from test_voi_lut_table import _film_with_state

        film, state = _film_with_state(folder / "voi")
        _SEEDS["voifilm"], _SEEDS["voistate"] = film.read_bytes(), state.read_bytes()
        _COMPANIONS["voistate"] = {"voi.dcm": film.read_bytes()}
        _SEEDS["tiltseg"], _COMPANIONS["tiltseg"] = _tilted_segmented_ct(folder / "tilt")
    return _SEEDS


def _mr_map(folder: Path) -> tuple[bytes, dict[str, bytes]]:
    """Two MR slices of an ADC map: a Real World Value Mapping over a Philips-style rescale, and
    a Presentation LUT Shape (INVERSE on MONOCHROME2: the polarity's contradiction)."""
    import pydicom

    paths = write_ct_series(folder, axial_positions(2), rows=16, columns=16, slope=2.0, intercept=-100.0)
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.Modality, ds.PresentationLUTShape = "MR", "INVERSE"
        mapping, unit = Dataset(), Dataset()
        mapping.LUTLabel, mapping.RealWorldValueFirstValueMapped, mapping.RealWorldValueLastValueMapped = "ADC", 0, 4095
        mapping.RealWorldValueSlope, mapping.RealWorldValueIntercept = 1e-6, 0.0
        unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = "mm2/s", "UCUM", "mm2/s"
        mapping.MeasurementUnitsCodeSequence = [unit]
        ds.RealWorldValueMappingSequence = [mapping]
        ds.save_as(path)
    return paths[0].read_bytes(), {paths[1].name: paths[1].read_bytes()}


def _profiled_photo(path: Path) -> bytes:
    """An RGB secondary capture with its own ICC profile (a linear-light one)."""
    from dicom_factory import SECONDARY_CAPTURE, base_dataset, linear_rgb_icc_profile

    ds = base_dataset(SECONDARY_CAPTURE, modality="XC")
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 8, 8, 3, "RGB"
    ds.PlanarConfiguration, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 0, 8, 8, 7, 0
    ds.PixelData = np.arange(192, dtype=np.uint8).tobytes()
    ds.ICCProfile = linear_rgb_icc_profile()
    ds.save_as(path, enforce_file_format=True)
    return path.read_bytes()


def _foreign_state(folder: Path) -> tuple[bytes, dict[str, bytes]]:
    """A presentation state another system wrote on a film (highdicom), with every module the
    window applies: window in its own rescale, rotation and flip, displayed area (MAGNIFY), two
    shutters, overlay activation, a grey layer, graphics of every type in PIXEL and DISPLAY units,
    texts by anchor and by box; the film beside it."""
    import pydicom
    from highdicom.pr import AnnotationUnitsValues as Units
    from highdicom.pr import (
        GraphicAnnotation,
        GraphicLayer,
        GraphicObject,
        GrayscaleSoftcopyPresentationState,
        SoftcopyVOILUTTransformation,
        TextObject,
    )
    from highdicom.pr import GraphicTypeValues as Types
    from pydicom.uid import generate_uid

    path = write_film(folder / "film.dcm", (np.arange(48 * 64).reshape(48, 64) % 4000).astype(np.uint16),
                      window=(2000, 4000))
    film = pydicom.dcmread(path)
    for keyword in ("PatientBirthDate", "PatientSex", "ReferringPhysicianName", "StudyID", "AccessionNumber"):
        setattr(film, keyword, film.get(keyword, ""))
    layer = GraphicLayer(layer_name="L", order=1)
    layer.GraphicLayerRecommendedDisplayGrayscaleValue = 30000
    objects = [GraphicObject(Types.CIRCLE, np.array([(10.5, 10.5), (20.5, 10.5)]), Units.PIXEL),
               GraphicObject(Types.ELLIPSE, np.array([(5.5, 20.5), (25.5, 20.5), (15.5, 15.5), (15.5, 25.5)]), Units.PIXEL),
               GraphicObject(Types.POINT, np.array([(30.5, 30.5)]), Units.PIXEL),
               GraphicObject(Types.INTERPOLATED, np.array([(0.1, 0.1), (0.5, 0.9), (0.9, 0.2)]), Units.DISPLAY),
               GraphicObject(Types.POLYLINE, np.array([(1.5, 1.5), (40.5, 30.5)]), Units.PIXEL)]
    texts = [TextObject("a", Units.PIXEL, anchor_point=(3.5, 3.5)),
             TextObject("b", Units.DISPLAY, bounding_box=(0.1, 0.1, 0.3, 0.2))]
    annotation = GraphicAnnotation(referenced_images=[film], graphic_layer=layer, graphic_objects=objects, text_objects=texts)
    state = GrayscaleSoftcopyPresentationState(
        referenced_images=[film], series_instance_uid=generate_uid(), series_number=1, sop_instance_uid=generate_uid(),
        instance_number=1, manufacturer="Other", manufacturer_model_name="Viewer", software_versions="1",
        device_serial_number="1", content_label="PRIOR", graphic_annotations=[annotation], graphic_layers=[layer],
        voi_lut_transformations=[SoftcopyVOILUTTransformation(window_center=100.0, window_width=50.0)])
    state.RescaleSlope, state.RescaleIntercept, state.RescaleType = 2, -5, "US"
    state.ImageRotation, state.ImageHorizontalFlip = 270, "Y"
    state.ShutterShape = "RECTANGULAR\\CIRCULAR"
    (state.ShutterLeftVerticalEdge, state.ShutterRightVerticalEdge, state.ShutterUpperHorizontalEdge,
     state.ShutterLowerHorizontalEdge) = 2, 60, 3, 40
    state.CenterOfCircularShutter, state.RadiusOfCircularShutter, state.ShutterPresentationValue = [24, 32], 30, 40000
    state.add_new(0x60001001, "CS", "L")  # the film's overlay plane, activated on the layer
    area = state.DisplayedAreaSelectionSequence[0]
    area.DisplayedAreaTopLeftHandCorner, area.DisplayedAreaBottomRightHandCorner = [5, 5], [50, 40]
    area.PresentationSizeMode, area.PresentationPixelMagnificationRatio = "MAGNIFY", 2.0
    state.save_as(folder / "state.dcm", enforce_file_format=True)
    return (folder / "state.dcm").read_bytes(), {"film.dcm": path.read_bytes()}


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
    from lightbox.dicomreports.measurements import ImageMark, PlaneMark, measurement_report
    from lightbox.dicomreports.presentation import presentation_state
    from lightbox.dicomreports.sr import report_sr

    paths = write_ct_series(folder, axial_positions(2), rows=16, columns=16)
    frame = pydicom.uid.generate_uid()
    restamp(paths, FrameOfReferenceUID=frame)
    evidence = [pydicom.dcmread(p, stop_before_pixels=True) for p in paths]
    mark = ImageMark("ellipse", [(2.0, 2.0), (9.0, 7.0)], evidence[0], area_mm2=30.0, hu=(1.0, 2.0, 0.0, 5.0))
    # and one on a coronal reformat, in patient mm (read back onto that plane; another system's shown there)
    on_coronal = PlaneMark("rectangle", [(1.0, 0.0), (6.0, 1.0)], "coronal", (1.0, 0.0, 0.0), (0.0, 0.0, 1.0),
                           (0.0, 1.0, 0.0), 3.0, str(evidence[0].SeriesInstanceUID), frame, area_mm2=5.0,
                           hu=(1.0, 0.0, 1.0, 1.0))
    written = {
        "report": report_sr("FINDINGS: Clear lungs.\nIMPRESSION: Normal.", evidence, signed_by="Doe^Ann"),
        "measurements": measurement_report([mark, on_coronal], evidence[:1], "Doe^Ann"),
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


def _tilted_segmented_ct(folder: Path) -> tuple[bytes, dict[str, bytes]]:
    """A SEG of a gantry-tilted CT (its stack resampled, the segment moved with it): three slices
    each one row further along y."""
    from dicom_factory import write_segmentation

    paths = write_ct_series(folder, [(-10.0, -20.0 + 0.7 * n, -50.0 + 2.0 * n) for n in range(3)], rows=16, columns=16)
    mask = np.zeros((3, 16, 16, 1), bool)
    mask[:, 4:8, 2:7, 0] = True
    seg = write_segmentation(folder / "seg.dcm", paths, mask, ["lesion"])
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
                _apply_reports(index.documents, series)
            else:
                film = load_film(series)
                _apply_states(index.documents, series, film)
        except LoadError as exc:
            assert str(exc), "a LoadError must say what is wrong"


def _apply_reports(documents: list, series: object) -> None:
    """What View → Presentation state reads of each measurement report beside a volume (its regions
    on the acquired slices and on the reformats; a ValueError is the message the window shows),
    Lightbox's own too (the damage may make it another system's)."""
    import pydicom

    from lightbox.app.presentation_menu import volume_state
    from lightbox.dicomreports.measurement_display import MEASUREMENT_REPORTS

    for path, document in documents:
        if str(document.get("SOPClassUID", "")) in MEASUREMENT_REPORTS:
            try:
                volume_state(series, pydicom.dcmread(path))
            except ValueError as exc:
                assert str(exc), "a ValueError must say what is wrong"


def _apply_states(documents: list, series: object, film: object) -> None:
    """What View → Presentation state does with each state presenting the film: read it (a
    ValueError is the message the window shows) and show the film as it says."""
    import pydicom

    from lightbox.dicomreports.presentation_display import STATE_CLASSES, presentation_of
    from lightbox.viewer.views.film_scene import FilmScene

    header = series.instances[0].header  # type: ignore[attr-defined]
    for path, document in documents:
        if header is None or str(document.get("SOPClassUID", "")) not in STATE_CLASSES:
            continue
        try:
            presentation = presentation_of(pydicom.dcmread(path), header)
        except ValueError as exc:
            assert str(exc), "a ValueError must say what is wrong"
            continue
        if presentation is not None:
            FilmScene(film).apply_presentation(presentation)  # type: ignore[arg-type]


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
