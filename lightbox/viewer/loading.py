"""Read pixels for an indexed series into a :class:`Volume` or a :class:`Film`.

Uncompressed little-endian slices take a fast path: the index already knows where each file's
Pixel Data element starts, so a slice is one ``numpy.fromfile`` call (no second header parse).
Everything else goes through pydicom's decoders (pylibjpeg / -libjpeg / -openjpeg / -rle for
JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000 and RLE; deflate and big endian natively).
Slices are read by a thread pool (file I/O and the C decoders release the GIL); the slice shown
first is read before the others and handed to ``on_first_slice``.
"""
from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from .calibration import frame_calibration
from .colour_profile import displayed_rgb
from .index import Instance, Series, header_int
from .lossy import lossy_compression
from .overlay_planes import OVERLAY_GROUPS, OverlayPlane, has_embedded_overlay, read_overlay_planes
from .pixels import (
    Padding,
    Window,
    apply_voi_table,
    auto_window,
    dataset_window,
    dataset_windows,
    has_voi_lut_table,
    modality_values,
    pixel_padding,
    readable_value,
    rescale,
    rescale_problem,
    table_output_window,
)
from .polarity import image_polarity
from .real_world import RealWorldMapping, stack_mapping
from .regular_overlays import overlays_on_regular_grid
from .regular_segments import segments_on_regular_grid
from .regularise import regularise
from .segmentations import segment_planes
from .series import is_calibrated, multiframe_positions, series_geometry, slice_normal, volume_instances
from .shutters import DisplayShutter, display_shutter, frame_display_shutters, shutter_source
from .suv import pet_units
from .volume import Film, Volume

PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"
MAX_VOXELS = 2_000_000_000  # refuse absurd declared sizes before allocating (65535^2 x many)


class LoadCancelled(Exception):
    """Raised when the caller's ``cancelled()`` returned True during loading."""


class LoadError(Exception):
    """A series or file whose pixels cannot be shown, with the reason in words."""


def _transfer_syntax(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    return str(meta.get("TransferSyntaxUID", ImplicitVRLittleEndian)) if meta is not None else str(ImplicitVRLittleEndian)


def _raw_dtype(ds: Dataset) -> np.dtype | None:
    bits = header_int(ds, "BitsAllocated", 0)
    signed = header_int(ds, "PixelRepresentation", 0) == 1
    if (header_int(ds, "SamplesPerPixel", 1) or 1) != 1 or bits not in (8, 16, 32):
        return None
    return np.dtype(f"<{'i' if signed else 'u'}{bits // 8}")


def _read_raw_slice(instance: Instance) -> np.ndarray | None:
    """Fast path: stored values of an uncompressed little-endian single-frame slice, or None."""
    ds = instance.header
    if ds is None or instance.pixel_offset is None or instance.frames != 1:
        return None
    syntax = _transfer_syntax(ds)
    dtype = _raw_dtype(ds)
    if dtype is None or syntax not in (ImplicitVRLittleEndian, ExplicitVRLittleEndian):
        return None
    bits_stored = header_int(ds, "BitsStored", dtype.itemsize * 8)
    if bits_stored != dtype.itemsize * 8 and dtype.kind == "i":
        return None  # sign extension of e.g. 12-bit signed data: leave it to pydicom
    with open(instance.path, "rb") as fp:
        fp.seek(instance.pixel_offset)
        head = fp.read(12)
        if len(head) < 8 or head[:4] != PIXEL_DATA_TAG:
            return None
        if syntax == ExplicitVRLittleEndian:
            length = struct.unpack("<I", head[8:12])[0]
            start = instance.pixel_offset + 12
        else:
            length = struct.unpack("<I", head[4:8])[0]
            start = instance.pixel_offset + 8
        count = instance.rows * instance.columns
        if length == 0xFFFFFFFF:
            return None
        if length < count * dtype.itemsize:
            raise LoadError(f"pixel data shorter than declared ({length} bytes for {instance.rows}x{instance.columns})")
        fp.seek(start)
        data = np.fromfile(fp, dtype=dtype, count=count)
    if data.size < count:
        raise LoadError(f"file truncated: {data.size} of {count} pixels present")
    if bits_stored < dtype.itemsize * 8 and dtype.kind == "u":
        data &= np.array((1 << bits_stored) - 1, dtype=dtype)  # high bits may hold overlays
    return data.reshape(instance.rows, instance.columns)


def _check_size(rows: int, columns: int, frames: int, what: str) -> None:
    if rows <= 0 or columns <= 0:
        raise LoadError(f"{what}: image has no pixels (Rows={rows}, Columns={columns})")
    if rows * columns * frames > MAX_VOXELS:
        raise LoadError(f"{what}: declared size {columns}x{rows}x{frames} is too large to display")


def read_dataset(path: Path) -> Dataset:
    """Whole file (with pixels). Raises :class:`LoadError` with a readable reason."""
    try:
        return pydicom.dcmread(path, force=True)
    except Exception as exc:  # noqa: BLE001
        raise LoadError(f"{path.name}: unreadable DICOM ({type(exc).__name__}: {exc})") from exc


def stored_pixels(ds: Dataset, path: Path) -> np.ndarray:
    """Decoded stored values; a readable reason when the codec or the data fail."""
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise LoadError(f"{path.name}: no pixel data in this DICOM object")
    _check_size(int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0), int(ds.get("NumberOfFrames", 1) or 1), path.name)
    try:
        return ds.pixel_array
    except NotImplementedError as exc:
        raise LoadError(f"{path.name}: transfer syntax {_transfer_syntax(ds)} cannot be decoded here ({exc})") from exc
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - decoders written in Rust raise pyo3's PanicException
        # (a BaseException) on corrupt data: it is the file's fault, not a reason to crash.
        raise LoadError(f"{path.name}: pixel data cannot be decoded ({type(exc).__name__}: {exc})") from exc


def _slice_values(instance: Instance) -> np.ndarray:
    raw = _read_raw_slice(instance)
    ds = instance.header
    if raw is None:
        full = read_dataset(instance.path)
        raw = stored_pixels(full, instance.path)
        if raw.ndim == 3 and full.get("SamplesPerPixel", 1) == 1:
            raw = raw[0]
        ds = full
    assert ds is not None
    return modality_values(ds, raw)


def _integral_rescales(members: list[Instance]) -> list[tuple[int, int]] | None:
    """Each slice's (slope, intercept) when every slice's rescale keeps integers within int16
    (typical CT: 1, -1024); None when one does not (the volume is float32 then)."""
    rescales = []
    for instance in members:
        ds = instance.header
        if ds is None or "ModalityLUTSequence" in ds or "SharedFunctionalGroupsSequence" in ds or rescale_problem(ds):
            return None  # (an unusable rescale: the generic path shows stored values, see modality_values)
        slope, intercept = rescale(ds)
        bits = header_int(ds, "BitsStored", 16) or 16
        if not 1 <= bits <= 32:  # a damaged Bits Stored (65535 bits): the generic path says what is wrong
            return None
        signed = header_int(ds, "PixelRepresentation", 0) == 1
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if slope != int(slope) or intercept != int(intercept):
            return None
        ends = (lo * slope + intercept, hi * slope + intercept)
        if min(ends) < -32768 or max(ends) > 32767:
            return None
        rescales.append((int(slope), int(intercept)))
    return rescales


def _metadata(ds: Dataset | None) -> dict[str, str]:
    if ds is None:
        return {}
    keys = {
        "patient_name": "PatientName",
        "patient_id": "PatientID",
        "patient_sex": "PatientSex",
        "patient_birth_date": "PatientBirthDate",
        "patient_age": "PatientAge",  # as the modality wrote it (AS, "045Y"): shown where no birth date gives one
        "issuer_of_patient_id": "IssuerOfPatientID",
        "study_date": "StudyDate",
        "study_description": "StudyDescription",
        "series_description": "SeriesDescription",
        "modality": "Modality",
        "institution": "InstitutionName",
        "body_part": "BodyPartExamined",
        "accession_number": "AccessionNumber",
        "view_position": "ViewPosition",
        # FOR PROCESSING: raw detector values, not a picture to read (DX, MG, IO; PS3.3 C.8.11.1.1.1)
        "presentation_intent": "PresentationIntentType",
        "quality_control": "QualityControlImage",  # YES: a phantom, not a patient (C.7.6.1)
        "contrast_agent": "ContrastBolusAgent",  # an enhanced series' agent (C.7.6.4), in the corner
        "laterality": "ImageLaterality",  # which of a paired body part (C.7.6.1.1.3): L, R, B (both), U (unpaired)
        "series_laterality": "Laterality",  # the series' own (C.7.3.1.1): "laterality" where the image's is absent
        "patient_orientation": "PatientOrientation",  # a film's letters (C.7.6.1.1.1), e.g. "L\\F"
        "study_uid": "StudyInstanceUID",  # which study (priors are the patient's other studies)
        "frame_of_reference": "FrameOfReferenceUID",  # same patient space (linked scrolling in mm)
        "burned_in_annotation": "BurnedInAnnotation",  # YES: the pixels show text (a name): de-identifying refuses it
        "dose_units": "DoseUnits",  # an RT dose's unit: GY or RELATIVE (C.8.8.3)
        "pet_units": "Units",  # a PET image's unit: BQML, CNTS, GML, ... (C.8.9.1.1.3)
    }
    out = {}
    for name, keyword in keys.items():
        value = readable_value(ds, keyword)
        if value not in (None, ""):
            # a multi-valued attribute as DICOM writes it ("L\\F"), not as a Python list
            out[name] = "\\".join(str(v) for v in value) if isinstance(value, MultiValue) else str(value)
    series_side = out.pop("series_laterality", "")
    if series_side:  # one key for every reader of the side (overlay, report header)
        out.setdefault("laterality", series_side)
    lossy = lossy_compression(ds)
    if lossy:  # shown on the image: the values are not the acquired ones (C.7.6.1.1.5)
        out["lossy"] = lossy
    return out


FOR_PROCESSING_WARNING = ("FOR PROCESSING (Presentation Intent Type, PS3.3 C.8.11.1.1.1): the detector's raw values, "
                          "meant to be processed before they are read; this is not the picture a radiologist reads")


QUALITY_CONTROL_WARNINGS = {
    "YES": "a quality control image (Quality Control Image YES, PS3.3 C.7.6.1 General Image): a phantom or test object, "
           "not the patient's anatomy",
    "BOTH": "a quality control object is in the image beside the patient (Quality Control Image BOTH, "
            "PS3.3 C.7.6.1 General Image)",
}


def for_processing(metadata: dict[str, str]) -> bool:
    """Whether the image is FOR PROCESSING: the detector's raw values (C.8.11.1.1.1)."""
    return metadata.get("presentation_intent", "").strip().upper() == "FOR PROCESSING"


def quality_control(metadata: dict[str, str]) -> str:
    """The image's Quality Control Image, "YES" (a phantom), "BOTH" or "" (a patient's)."""
    value = metadata.get("quality_control", "").strip().upper()
    return value if value in QUALITY_CONTROL_WARNINGS else ""


def reading_warnings(metadata: dict[str, str]) -> list[str]:
    """The notes for an image that is not, as it stands, a patient's picture to read: lossy
    compressed, FOR PROCESSING (a DX, MG or IO image's raw detector values), or a quality
    control image, for the window's warnings and ``inspect``."""
    lossy = metadata.get("lossy", "")
    how = lossy.removeprefix("LOSSY").strip()
    notes = [f"lossy compressed{f' ({how})' if how else ''}: the pixel values are not the acquired ones"] if lossy else []
    if for_processing(metadata):
        notes.append(FOR_PROCESSING_WARNING)
    if quality_control(metadata):
        notes.append(QUALITY_CONTROL_WARNINGS[quality_control(metadata)])
    return notes


def load_volume(
    series: Series,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_first_slice: Callable[[int, np.ndarray], None] | None = None,
    workers: int | None = None,
) -> Volume:
    """Read a ``volume`` series. Unreadable slices are filled with the minimum and reported as
    warnings on the returned volume; the rest loads. Any other failure (a damaged header
    attribute) is a :class:`LoadError` naming the series, never another exception."""
    if series.kind != "volume":
        raise LoadError(f"series {series.label()} is not a volume ({series.kind})")
    try:
        return _load_volume(series, progress, cancelled, on_first_slice, workers)
    except (LoadError, LoadCancelled, KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - the file's fault, said with the series' name
        raise LoadError(f"series {series.label()}: cannot be shown ({type(exc).__name__}: {exc})") from exc


def _load_volume(series: Series, progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool] | None,
                 on_first_slice: Callable[[int, np.ndarray], None] | None, workers: int | None) -> Volume:
    members = volume_instances(series)
    if len(members) == 1 and members[0].frames > 1:
        with _named_load_errors(members[0].path):
            return _load_multiframe(series, progress)
    geometry = series_geometry(series)
    first = members[0]
    _check_size(first.rows, first.columns, len(members), series.label())
    rescales = _integral_rescales(members)
    array = np.empty((len(members), first.rows, first.columns), dtype=np.int16 if rescales else np.float32)
    warnings = list(series.warnings)
    failed: list[int] = []
    middle = len(members) // 2

    def read(k: int) -> None:
        try:
            raw = _read_raw_slice(members[k]) if rescales else None
            if raw is not None and rescales is not None:
                # integers all the way: stored * slope + intercept in int32, straight into the
                # volume (the generic path makes float64 and float32 copies of every slice)
                slope, intercept = rescales[k]
                if slope == 1:
                    np.add(raw, intercept, out=array[k], dtype=np.int32, casting="unsafe")
                else:
                    np.add(raw.astype(np.int32) * slope, intercept, out=array[k], casting="unsafe")
            else:
                array[k] = _slice_values(members[k])
        except Exception as exc:  # noqa: BLE001 - one bad slice never stops the series
            failed.append(k)
            warnings.append(f"slice {k + 1} ({members[k].path.name}) unreadable: {exc}")
            array[k] = 0

    read(middle)
    if on_first_slice is not None:
        on_first_slice(middle, array[middle])
    order = [k for k in range(len(members)) if k != middle]
    done = 1
    # one thread per core: more only contend (measured on 2 cores: 4 threads 0.9 s, 2 threads
    # 0.75 s for 600 slices)
    workers = workers or min(8, os.cpu_count() or 2)
    chunk = max(8, len(order) // 64)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, len(order), chunk):
            if cancelled is not None and cancelled():
                raise LoadCancelled(series.label())
            list(pool.map(read, order[start : start + chunk]))
            done += len(order[start : start + chunk])
            if progress is not None:
                progress(done, len(members))
    if failed:
        fill = array[[k for k in range(len(members)) if k not in failed]].min() if len(failed) < len(members) else 0
        array[failed] = fill
    if len(failed) == len(members):
        raise LoadError(f"no slice of {series.label()} could be read: {warnings[-1]}")
    array, mappings = _in_real_world(array, series.modality, [(m.header, 0) for m in members], warnings)
    ds = first.header
    # The window of the slice shown first (the middle one), as a viewer shows each image with
    # its own: MR windows vary slice by slice (Brainix EPI: width 215 in the end slice, 409
    # mid-brain, where the end slice's window left the brain white).
    stated = next((w for m in (members[middle], first) if m.header is not None and (w := dataset_windows(m.header))), [])
    if mappings:  # a window over stored values is the same window over the real world values
        stated = [(name, _mapped_window(w, mappings[middle])) for name, w in stated]
    window = stated[0][1] if stated else None
    acquired, resampled, acquired_geometry = None, "", geometry
    if all(m.position is not None for m in members) and len(members) > 1:
        acquired = np.array([m.position for m in members], float)
        regular = regularise(array, geometry, acquired)
        resampled = regular.reason
        if resampled:  # the stack was not a regular grid: shown as it lies in the patient
            array, geometry = regular.array, regular.geometry
            warnings = [w for w in warnings if not w.startswith("uneven slice spacing")]  # no longer shown on the median
            warnings.append(regular.note)
    calibrated, oriented = is_calibrated(series), first.orientation is not None
    if not calibrated:
        warnings.append(UNCALIBRATED_VOLUME)
    overlay_planes, overlay_notes = _slice_overlays(members)
    warnings += overlay_notes
    if resampled and acquired is not None and overlay_planes:  # each slice's planes moved whole with it
        overlay_planes, farthest = overlays_on_regular_grid(overlay_planes, acquired, geometry, len(array))
        if farthest > 0.01:
            warnings.append(f"overlay planes (60xx) are drawn on the resampled slice nearest their own (up to "
                            f"{farthest:.1f} mm from it)")
    if series.segmentations:
        if resampled and acquired is not None:  # on the acquired slices, then moved as the pixels were
            on_acquired: dict[int, list[OverlayPlane]] = {}
            warnings += _add_segmentations(series, members, on_acquired)
            moved = segments_on_regular_grid(on_acquired, acquired_geometry, acquired, (first.rows, first.columns))
            for k, planes in moved.items():
                overlay_planes.setdefault(k, []).extend(planes)
        else:
            warnings += _add_segmentations(series, members, overlay_planes)
    padding = _series_padding([pixel_padding(m.header) if m.header is not None else None for m in members], warnings)
    padding = _mapped_padding(padding, mappings)
    metadata = _metadata(ds)
    if mappings:
        metadata["real_world_unit"], metadata["real_world_label"] = mappings[middle].unit, mappings[middle].label
    if series.modality.upper() == "PT":
        array, window, stated, padding = _in_suv(array, window, stated, padding,
                                                 [m.header for m in members if m.header is not None], metadata, warnings)
    # one lossy slice makes the stack lossy: the first that says so names it (the first slice's
    # own, read by _metadata, is not read again)
    if "lossy" not in metadata:
        lossy = next((text for m in members[1:] if m.header is not None and (text := lossy_compression(m.header))), "")
        if lossy:
            metadata["lossy"] = lossy
    warnings += reading_warnings(metadata)
    invert = _stack_polarity([m.header for m in members if m.header is not None], warnings)
    return Volume(array, geometry, series.modality, window or auto_window(array[len(array) // 2], padding=padding),
                  metadata, warnings, acquired_positions=acquired, resampled=resampled, calibrated=calibrated,
                  oriented=oriented, overlay_planes=overlay_planes, padding=padding, stated_windows=stated,
                  invert=invert)


def _stack_polarity(headers: list[Dataset], warnings: list[str]) -> bool:
    """Whether a stack's slices are shown inverted (MONOCHROME1, or their Presentation LUT Shape:
    polarity.py): they were all shown minimum-black, a MONOCHROME1 stack as its negative. Slices
    that disagree are shown as most of them say, and said."""
    polarities = [image_polarity(header) for header in headers]
    if not polarities:
        return False
    inverted = sum(p.inverse for p in polarities)
    invert = inverted * 2 > len(polarities)
    warnings += list(dict.fromkeys(p.note for p in polarities if p.note))
    if 0 < inverted < len(polarities):
        warnings.append(f"{inverted} of {len(polarities)} slices are to be shown inverted (MONOCHROME1 or "
                        f"Presentation LUT Shape INVERSE) and the others not: all are shown "
                        f"{'inverted' if invert else 'minimum value black'}, as most of them say")
    return invert


def _in_real_world(array: np.ndarray, modality: str, slices: list[tuple[Dataset | None, int]],
                   warnings: list[str]) -> tuple[np.ndarray, list[RealWorldMapping] | None]:
    """An MR stack's values (``array``, slice k of ``slices``' k-th image and frame) as its real
    world values where every slice maps them in one unit (:mod:`.real_world`), and the mappings;
    else as they are, and None (said why, when one is stated)."""
    if modality.strip().upper() != "MR":
        return array, None
    mappings, notes = stack_mapping(slices)
    warnings += notes
    if not mappings:
        return array, None
    mapped = array.astype(np.float32)  # an integral stack is int16: real world values are fractions
    for k, mapping in enumerate(mappings):
        mapped[k] = mapped[k] * np.float32(mapping.scale) + np.float32(mapping.offset)
    return mapped, mappings


def _mapped_window(window: Window, mapping: RealWorldMapping) -> Window:
    """A window over modality values as the same window over real world values (LINEAR_EXACT, as a
    PET's in SUV: a scaled LINEAR width can fall under 1, an ADC window is a few thousandths)."""
    return Window(window.center * mapping.scale + mapping.offset, window.width * abs(mapping.scale), "LINEAR_EXACT")


def _mapped_padding(padding: Padding | None, mappings: list[RealWorldMapping] | None) -> Padding | None:
    """The padding's values mapped too, where all slices share one mapping (else none is known)."""
    if padding is None or not mappings:
        return padding
    if len({(m.scale, m.offset) for m in mappings}) > 1:
        return None
    scale, offset = mappings[0].scale, mappings[0].offset
    low, high = sorted((padding.low * scale + offset, padding.high * scale + offset))
    return Padding(low, high)


def _in_suv(array: np.ndarray, window: Window | None, stated: list[tuple[str, Window]], padding: Padding | None,
            headers: list[Dataset], metadata: dict[str, str], warnings: list[str],
            ) -> tuple[np.ndarray, Window | None, list[tuple[str, Window]], Padding | None]:
    """A PET volume in SUVbw where its headers allow it (:mod:`.suv`), its stated windows and
    padding with it (a window over Bq/mL is the same window over SUV, as LINEAR_EXACT: a scaled
    LINEAR width can fall under 1); else as it is. Either way the reader is told why."""
    if not headers:
        return array, window, stated, padding
    factor, ratio, sentences = pet_units(headers)
    warnings += sentences
    if factor is None:
        return array, window, stated, padding
    array = array.astype(np.float32) * np.float32(factor)
    stated = [(name, Window(w.center * factor, w.width * factor, "LINEAR_EXACT")) for name, w in stated]
    window = stated[0][1] if window is not None and stated else None
    if padding is not None:
        padding = Padding(padding.low * factor, padding.high * factor)
    metadata["suv"] = "SUVbw"
    if ratio is not None:  # SUL = SUVbw x lean body mass / weight: an ROI's peak is given in both
        metadata["sul_per_suv"] = repr(ratio)
    return array, window, stated, padding


def _add_segmentations(series: Series, members: list[Instance], planes: dict[int, list[OverlayPlane]]) -> list[str]:
    """The series' segmentations (DICOM SEG) as overlay planes of the acquired slices they lie on
    (:mod:`.segmentations`); what could not be shown, said."""
    first = members[0]
    if first.orientation is None:
        return [f"{len(series.segmentations)} segmentation(s) not shown: the slices state no orientation"]
    normal = slice_normal(first.orientation)
    by_uid = {m.sop_instance_uid: k for k, m in enumerate(members)}
    by_position = {round(float(np.asarray(m.position) @ normal), 2): k for k, m in enumerate(members) if m.position is not None}
    notes = []
    for path in series.segmentations:
        found, problems = segment_planes(path, by_uid, by_position, normal, (first.rows, first.columns))
        for k, segment_masks in found.items():
            planes.setdefault(k, []).extend(segment_masks)
        notes += problems
    return notes


def _slice_overlays(members: list[Instance]) -> tuple[dict[int, list[OverlayPlane]], list[str]]:
    """The overlay planes of each acquired slice (from the headers the index read: Overlay Data
    comes before the pixels), and what cannot be shown, said (never dropped silently)."""
    carrying = [k for k, m in enumerate(members)
                if m.header is not None and any((g, 0x0010) in m.header for g in OVERLAY_GROUPS)]
    if not carrying:
        return {}, []
    planes: dict[int, list[OverlayPlane]] = {}
    notes: list[str] = []
    for k in carrying:
        header = members[k].header
        assert header is not None
        if "PixelData" not in header and has_embedded_overlay(header):
            header = read_dataset(members[k].path)  # the index read the header only
        found, problems = read_overlay_planes(header)
        if found:
            planes[k] = found
        notes += [f"slice {k + 1}: {problem}" for problem in problems]
    return planes, notes


def _series_padding(paddings: list[Padding | None], warnings: list[str]) -> Padding | None:
    """The one padding of a volume's slices (frames), or None: padding that maps to other values
    slice by slice (another rescale) is counted as image, and said."""
    found = set(paddings)
    if len(found) == 1:
        return paddings[0]
    warnings.append("Pixel Padding Value differs between slices: the padding is counted as image "
                    "(automatic window, ROI statistics)")
    return None


def _load_multiframe(series: Series, progress: Callable[[int, int], None] | None) -> Volume:
    instance = series.instances[0]
    ds = read_dataset(instance.path)
    stored = stored_pixels(ds, instance.path)
    if stored.ndim == 2:
        stored = stored[np.newaxis]
    frames = [modality_values(ds, stored[f], frame=f) for f in range(stored.shape[0])]
    positions, orientation = multiframe_positions(series)
    order = list(range(len(frames)))  # the frame (0-based) each slice of the volume is
    if positions is not None and orientation is not None:
        order = [int(i) for i in np.argsort(positions @ slice_normal(orientation))]
        frames = [frames[i] for i in order]
    array = np.stack(frames).astype(np.float32)
    if progress is not None:
        progress(1, 1)
    geometry = series_geometry(series)
    warnings_before: list[str] = []
    array, mappings = _in_real_world(array, series.modality, [(ds, f) for f in order], warnings_before)
    stated = dataset_windows(ds)
    if mappings:
        stated = [(name, _mapped_window(w, mappings[0])) for name, w in stated]
    window = stated[0][1] if stated else None
    calibrated = is_calibrated(series)
    warnings = list(series.warnings) + ([] if calibrated else [UNCALIBRATED_VOLUME]) + warnings_before
    padding = _mapped_padding(_series_padding([pixel_padding(ds, f) for f in range(stored.shape[0])], warnings), mappings)
    metadata = _metadata(ds)
    if mappings:
        metadata["real_world_unit"], metadata["real_world_label"] = mappings[0].unit, mappings[0].label
    if series.modality.upper() == "PT":
        array, window, stated, padding = _in_suv(array, window, stated, padding, [ds], metadata, warnings)
    warnings += reading_warnings(metadata)
    invert = _stack_polarity([ds], warnings)
    return Volume(array, geometry, series.modality, window or auto_window(array[len(array) // 2], padding=padding),
                  metadata, warnings, calibrated=calibrated, padding=padding, stated_windows=stated, invert=invert)


def absurd_window(window: Window, values: np.ndarray) -> bool:
    """A stated window that no reading of these values could mean: wider than four times their
    whole range, or centred more than its own width outside it (a JPEG 2000 film of 12-bit data
    declared W 30000 / L 15000 and opened washed out)."""
    lo, hi = float(values.min()), float(values.max())
    span = max(hi - lo, 1.0)
    return window.width > 4 * span or window.center < lo - window.width or window.center > hi + window.width


UNCALIBRATED_VOLUME = "uncalibrated: no usable PixelSpacing; sizes and measurements are in pixels, not mm"


MAX_FILM_FRAMES = 600  # frames of a colour cine shown one by one (a 600-frame 1024² RGB cine: 1.9 GB)


def _films_from_dicom(instance: Instance, all_frames: bool = False) -> list[Film]:
    """The image of a DICOM file as films: its first frame, or (``all_frames``) each frame of a
    multi-frame object (up to MAX_FILM_FRAMES), decoded once."""
    ds = read_dataset(instance.path)
    stored = stored_pixels(ds, instance.path)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    notes: list[str] = []
    if (stored.ndim == 3 and samples == 1) or stored.ndim == 4:  # frames of grey, or of colour
        if not all_frames:
            notes.append(f"{stored.shape[0]} frames: showing the first")
            frames = stored[:1]
        else:
            if stored.shape[0] > MAX_FILM_FRAMES:
                notes.append(f"{stored.shape[0]} frames: showing the first {MAX_FILM_FRAMES}")
            frames = stored[:MAX_FILM_FRAMES]
    else:
        frames = stored[np.newaxis]
    # each frame's display shutter (one mask per distinct shutter, not one per frame of a cine)
    shutters = frame_display_shutters(ds, len(frames), *frames.shape[1:3])
    films = [_film_from_frame(ds, frame, n, list(notes), shutters[n]) for n, frame in enumerate(frames)]
    if len(films) > 1:
        _one_cine(films, ds, instance)
    return films


def cine_rate(ds: Dataset) -> float | None:
    """Frames per second to play a multi-frame object at, as it says (PS3.3 C.7.6.5, C.8.7.4 and
    C.7.6.2 / C.8.19): Recommended Display Frame Rate, else Cine Rate, else 1000 / Frame Time (ms),
    else from the mean of the Frame Time Vector's increments; None when it says nothing usable
    (a rate outside 0.1 to 1000 frames per second is not believed)."""
    def usable(rate: float) -> float | None:
        return rate if 0.1 <= rate <= 1000 else None

    for keyword in ("RecommendedDisplayFrameRate", "CineRate"):
        try:
            value = float(ds.get(keyword) or 0)
        except (TypeError, ValueError):
            continue
        if usable(value):
            return value
    try:
        frame_time = float(ds.get("FrameTime") or 0)
    except (TypeError, ValueError):
        frame_time = 0.0
    if frame_time > 0 and usable(1000 / frame_time):
        return 1000 / frame_time
    vector = ds.get("FrameTimeVector")
    try:
        increments = [float(v) for v in list(vector or [])[1:]]  # its first value is 0: the first frame's
    except (TypeError, ValueError):
        return None
    mean = sum(increments) / len(increments) if increments else 0.0
    return usable(1000 / mean) if mean > 0 else None


def _one_cine(films: list[Film], ds: Dataset, instance: Instance) -> None:
    """The frames of one multi-frame object are one cine: one display (:attr:`Film.cine`) and, for
    a grey cine that states no window, one automatic window over all its frames. Each frame had
    its own: a contrast bolus filling an angiogram, or a frame-to-frame change in brightness, was
    windowed away (every frame of a run shown equally grey), and the window jumped on each frame."""
    cine, rate = str(ds.get("SOPInstanceUID", "") or instance.path), cine_rate(ds)
    for film in films:
        film.cine, film.frame_rate = cine, rate
    stated = any(dataset_window(ds, n) is not None for n in range(len(films))) or has_voi_lut_table(ds)
    if films[0].colour is None and not stated:
        # a sample of every frame (a 600-frame 1024² cine stacked whole would be 2.4 GB of float32)
        step = max(1, films[0].values.size * len(films) // 1_000_000)
        shared = auto_window(np.concatenate([film.values.ravel()[::step] for film in films]))
        for film in films:
            film.window = shared


def _film_from_frame(ds: Dataset, stored: np.ndarray, frame: int, warnings: list[str],
                     shutter_read: tuple[DisplayShutter | None, list[str]] | None = None) -> Film:
    """Frame ``frame`` (its stored values, or samples) of a DICOM object as a film."""
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if photometric == "PALETTE COLOR" and stored.ndim == 2:
        # the stored values are indices into the palette (C.7.6.3.1.5): shown raw, dark sectors
        # came out white; the palette's colours (pydicom's apply_color_lut, segmented and 16-bit
        # tables included) are what the image is
        from pydicom.pixels import apply_color_lut

        stored = apply_color_lut(stored, ds)  # uint8 or uint16 (16-bit tables), scaled by rgb8
    window: Window | None
    colour, padding = None, None
    mapped: list[RealWorldMapping] | None = None
    voi_output: np.ndarray | None = None  # the image through its own VOI LUT table
    declared: list[tuple[str, Window]] = []  # every window the image states (a colour image's are none of its own)
    if stored.ndim == 3:  # colour: RGB after pydicom's YBR / palette conversion
        colour = rgb8(stored[..., :3], ds)
        values = colour.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)  # luminance (Rec. 601)
        # shown through its own ICC profile (C.11.15), read as stored (the luminance above)
        colour, profile_note = displayed_rgb(colour, ds)
        if profile_note:
            warnings.append(profile_note)
        window = Window(127.5 + 0.5, 256.0)  # the identity on 0..255 (the DICOM linear function)
        invert = False
    else:
        values = modality_values(ds, stored, frame=frame)
        padding = pixel_padding(ds, frame)
        declared = dataset_windows(ds, frame)
        values, mapped = _in_real_world(values[np.newaxis], str(ds.get("Modality", "")), [(ds, frame)], warnings)
        values = values[0]
        if mapped:  # a single MR map (or a frame of one) read as its quantity, as a stack is
            declared = [(name, _mapped_window(w, mapped[0])) for name, w in declared]
            padding = _mapped_padding(padding, mapped)
        window = declared[0][1] if declared else None
        if window is None and has_voi_lut_table(ds) and not mapped:  # its table reads modality values
            voi_output = apply_voi_table(ds, values)
            if voi_output.size and voi_output.min() >= 0 and voi_output.max() <= 65535:
                voi_output = voi_output.astype(np.uint16)  # table entries (C.11.2.1.1): half a float's memory
            window = table_output_window(voi_output, values, padding)  # the values stay modality values
        # MONOCHROME1, or the image's own Presentation LUT Shape where it says otherwise (said)
        polarity = image_polarity(ds)
        invert = polarity.inverse
        if polarity.note:
            warnings.append(polarity.note)
    calibration = frame_calibration(ds, frame)  # an enhanced object's in its Pixel Measures group
    spacing, source = calibration.spacing, calibration.source
    image = padding.image(values) if padding is not None else values
    if window is not None and voi_output is None and absurd_window(window, image):
        warnings.append(f"the stated window (W {window.width:g} / L {window.center:g}) cannot suit these values "
                        f"({values.min():g} to {values.max():g}): an automatic window is used")
        window = None
    own_windows = [(name, w) for name, w in declared if not absurd_window(w, image)]
    warnings += calibration.notes
    overlays, problems = read_overlay_planes(ds, frame)
    warnings += problems
    if colour is not None and window is None:  # an absurd window: the identity, not a luminance-based one
        window = Window(127.5 + 0.5, 256.0)
    aspect = spacing[0] / spacing[1] if spacing is not None else pixel_aspect_ratio(ds, warnings)
    metadata = _metadata(ds)
    if colour is None and mapped:
        metadata["real_world_unit"], metadata["real_world_label"] = mapped[0].unit, mapped[0].label
    warnings += reading_warnings(metadata)
    shutter, shutter_notes = shutter_read if shutter_read is not None else \
        display_shutter(shutter_source(ds, frame), values.shape[0], values.shape[1], colour=colour is not None)
    warnings += shutter_notes
    shown = values[shutter.shown] if shutter is not None else values  # the collimated border is no part of the range
    return Film(values, window or auto_window(shown, padding=padding), invert, spacing, source, str(ds.get("Modality", "")),
                metadata, warnings, overlays, colour, aspect=aspect, padding=padding, shutter=shutter,
                stated_windows=own_windows, voi_output=voi_output)


def pixel_aspect_ratio(ds: Dataset, warnings: list[str]) -> float:
    """A pixel's height over its width from Pixel Aspect Ratio (0028,0034), "vertical\\horizontal"
    (PS3.3 C.7.6.3.1.7), for an image without a spacing; 1 when absent, and when unusable (said)."""
    value = ds.get("PixelAspectRatio")
    if value is None:
        return 1.0
    try:
        vertical, horizontal = (float(v) for v in value)
        if vertical > 0 and horizontal > 0:
            return vertical / horizontal
    except (TypeError, ValueError):
        pass
    warnings.append(f"unusable Pixel Aspect Ratio {value!r}: pixels shown square")
    return 1.0


def rgb8(rgb: np.ndarray, ds: Dataset) -> np.ndarray:
    """Colour samples as 8-bit RGB for display: 8-bit data as it is; wider samples (16-bit RGB,
    16-bit palette tables) scaled from their stored range (BitsStored; a palette: 16 bits)."""
    if rgb.dtype == np.uint8:
        return np.ascontiguousarray(rgb)
    bits = 16 if str(ds.get("PhotometricInterpretation", "")).upper() == "PALETTE COLOR" else int(ds.get("BitsStored", 8) or 8)
    top = float((1 << min(max(bits, 1), 32)) - 1)
    return np.rint(np.clip(rgb.astype(np.float64), 0, top) * (255.0 / top)).astype(np.uint8)


def _film_from_picture(path: Path) -> Film:
    from PIL import Image

    try:
        with Image.open(path) as image:
            grey = image.convert("L") if image.mode not in ("I;16", "I;16B", "I") else image.convert("I")
            values = np.asarray(grey, dtype=np.float32)
    except Exception as exc:  # noqa: BLE001
        raise LoadError(f"{path.name}: not a readable image ({exc})") from exc
    high = 65535.0 if values.max() > 255 else 255.0
    window = Window(high / 2 + 0.5, high + 1.0)
    return Film(
        values,
        window,
        False,
        None,
        "",
        "XC",
        {"series_description": path.name},
        ["film file without DICOM header: uncalibrated, no patient data"],
    )


@contextlib.contextmanager
def _named_load_errors(path: Path) -> Iterator[None]:
    """Turn any unexpected error while reading ``path`` into a LoadError naming the file: a
    malformed value (text where a number belongs, a decoder's panic) is the file's fault."""
    try:
        yield
    except LoadError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001
        raise LoadError(f"{path.name}: cannot be shown ({type(exc).__name__}: {exc})") from exc


def film_places(series: Series) -> list[tuple[int, int]]:
    """(instance index, frame index) of each film the window makes of a ``film`` series, in its
    order: every frame of every instance, as :func:`load_film_frames` gives them (up to
    MAX_FILM_FRAMES of a multi-frame object). The window keeps a reader's marks by this place
    ("film N"); a document about them references the instance and, in a multi-frame one, its
    frame (PS3.3 C.10.5 Referenced Frame Number)."""
    return [(n, frame) for n, count in enumerate(film_frame_counts(series)) for frame in range(count)]


def film_frame_counts(series: Series) -> list[int]:
    """How many films the window makes of each instance of a ``film`` series (see :func:`film_places`)."""
    return [1 if instance.is_film_file else max(1, min(instance.frames, MAX_FILM_FRAMES)) for instance in series.instances]


def load_film(series: Series, index: int = 0) -> Film:
    """Read instance ``index`` of a ``film`` series (its first frame)."""
    return load_film_frames(series, index, all_frames=False)[0]


def load_film_frames(series: Series, index: int = 0, all_frames: bool = True) -> list[Film]:
    """Instance ``index`` of a ``film`` series as films: one per frame of a multi-frame object
    (a colour ultrasound cine), else one."""
    if not series.instances:
        raise LoadError("empty series")
    instance = series.instances[min(max(index, 0), len(series.instances) - 1)]
    with _named_load_errors(instance.path):
        films = [_film_from_picture(instance.path)] if instance.is_film_file else _films_from_dicom(instance, all_frames)
    for film in films:
        film.warnings = list(dict.fromkeys([*series.warnings, *film.warnings]))  # the series may already say it
    return films


def preview_first_image(path: Path) -> tuple[Path, np.ndarray] | None:
    """The first image file under ``path`` (in listing order) as modality values, read before
    any indexing so the window shows a picture at once; ``None`` when nothing readable is found
    among the first few files. Not the series' middle slice: that follows once headers are sorted."""
    from .index import FILM_SUFFIXES, IGNORED_SUFFIXES, _not_a_file, _walk

    for n, candidate in enumerate(_walk([Path(path)], [])):
        if n >= 20:
            return None
        suffix = candidate.suffix.lower()
        if suffix in IGNORED_SUFFIXES or candidate.name.upper() == "DICOMDIR" or _not_a_file(candidate):
            continue  # (a FIFO would block the reader)
        try:
            if suffix in FILM_SUFFIXES:
                return candidate, _film_from_picture(candidate).values
            ds = pydicom.dcmread(candidate)
            stored = stored_pixels(ds, candidate)
            if stored.ndim == 3 and int(ds.get("SamplesPerPixel", 1) or 1) == 1:
                stored = stored[stored.shape[0] // 2]
            if stored.ndim != 2:
                continue
            return candidate, modality_values(ds, stored)
        except Exception:  # noqa: BLE001 - a preview is a courtesy; indexing reports the errors
            continue
    return None
