"""DICOM Segmentations (SEG, PS3.3 A.51) shown on the images they segment.

A segmentation is a multi-frame object of one-bit (BINARY) or fractional masks, each frame one
segment on one source image (PS3.3 C.8.20: the frame's Segment Identification names the segment,
its Derivation Image Sequence the source image; its Plane Position where it lies). Opened alone it
is a stack of black-and-white masks; what a reader wants is the outline on the CT. So when a
volume loads, the segmentations of its study that reference its series are read and each
segment's frames become overlay planes of the acquired slices they lie on, as outlines in the
segment's recommended colour (drawn as the 60xx overlay planes are: both renderers, Shift+O),
labelled with the segment's number and label.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from .overlay_planes import OverlayPlane, outline
from .pixels import cielab_rgb, functional_group_item, readable_value
from .series import whole_series_uid
from .study_tree import Instance, Series

SEGMENTATION_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"


def referenced_series(header: Dataset) -> set[str]:
    """The series a segmentation says it segments (Referenced Series Sequence, C.12.2)."""
    try:
        return {str(item.get("SeriesInstanceUID", "")) for item in header.get("ReferencedSeriesSequence") or []} - {""}
    except Exception:  # noqa: BLE001 - a damaged sequence references nothing
        return set()


def is_segmentation(instance: Instance) -> bool:
    header = instance.header  # a damaged SOP Class UID reads as none: no segmentation's
    return header is not None and str(readable_value(header, "SOPClassUID") or "") == SEGMENTATION_CLASS


def segmentations_of(series: Series, candidates: list[Series]) -> list[Path]:
    """The files of the segmentations among ``candidates`` (a study's series) that reference
    ``series``."""
    wanted = whole_series_uid(series.uid)  # a part of a series (1.2.3#o1) is still what the SEG names
    return [i.path for s in candidates for i in s.instances
            if is_segmentation(i) and i.header is not None and wanted in referenced_series(i.header)]


# segments that recommend no colour: distinct ones by segment number (none the overlay planes' green)
PALETTE = ((230, 25, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
           (240, 50, 230), (250, 190, 212), (0, 128, 128), (220, 190, 255))


def _segment_labels(ds: Dataset) -> tuple[dict[int, str], dict[int, tuple[int, int, int]]]:
    """Each segment's label and colour: its Recommended Display CIELab Value (C.8.20.2, read with
    highdicom's CIELab conversion), else the palette's by its number."""
    labels, colours = {}, {}
    for item in ds.get("SegmentSequence") or []:
        number = int(item.get("SegmentNumber", 0) or 0)
        labels[number] = str(item.get("SegmentLabel", "") or "")
        # a value out of range, or none: the palette's colour
        colours[number] = cielab_rgb(item.get("RecommendedDisplayCIELabValue")) or PALETTE[(number - 1) % len(PALETTE)]
    return labels, colours


def _frame_source(item: Dataset) -> str:
    """The SOP Instance UID of the image a frame was derived from, or ""."""
    for derivation in item.get("DerivationImageSequence") or []:
        for source in derivation.get("SourceImageSequence") or []:
            uid = str(source.get("ReferencedSOPInstanceUID", ""))
            if uid:
                return uid
    return ""


def segment_planes(path: Path, slice_of_uid: dict[str, int], slice_of_position: dict[float, int],
                   normal: np.ndarray, shape: tuple[int, int]) -> tuple[dict[int, list[OverlayPlane]], list[str]]:
    """The segmentation at ``path`` as overlay planes by acquired slice (its frames placed by their
    source image's UID, else by their position along ``normal``), and what could not be placed."""
    notes: list[str] = []
    try:
        ds = pydicom.dcmread(path, force=True)
        masks = ds.pixel_array
    except Exception as exc:  # noqa: BLE001 - the volume still loads, and says why
        return {}, [f"segmentation {path.name} could not be read: {type(exc).__name__}: {exc}"]
    if masks.ndim == 2:
        masks = masks[np.newaxis]
    if tuple(masks.shape[1:3]) != tuple(shape):
        return {}, [f"segmentation {path.name} is {masks.shape[2]}x{masks.shape[1]}, not the slices' "
                    f"{shape[1]}x{shape[0]}: not shown"]
    fractional = str(ds.get("SegmentationType", "BINARY")).upper() == "FRACTIONAL"
    threshold = 0.5 * float(ds.get("MaximumFractionalValue", 255) or 255) if fractional else 0.0
    if fractional:  # a probability or an occupancy per pixel (C.8.20.2.3), drawn as an outline: said
        kind = str(ds.get("SegmentationFractionalType", "") or "").strip().lower() or "fraction"
        notes.append(f"segmentation {path.name} is fractional ({kind}): each segment is drawn where it is "
                     f"above half its maximum ({threshold * 2:g})")
    labels, colours = _segment_labels(ds)
    planes: dict[int, dict[int, np.ndarray]] = {}
    unplaced = 0
    for frame, item in enumerate(ds.get("PerFrameFunctionalGroupsSequence") or []):
        if frame >= len(masks):
            break
        # each macro per frame, else shared by all frames (C.7.6.16: one segment's SEG shares its identification)
        segment_item = functional_group_item(ds, "SegmentIdentificationSequence", frame)
        segment = int(segment_item.get("ReferencedSegmentNumber", 0) or 0) if segment_item is not None else 0
        k = slice_of_uid.get(_frame_source(item))
        if k is None:
            position = functional_group_item(ds, "PlanePositionSequence", frame)
            if position is not None and "ImagePositionPatient" in position:
                along = round(float(np.asarray([float(v) for v in position.ImagePositionPatient]) @ normal), 2)
                k = slice_of_position.get(along)
        if k is None:
            unplaced += 1
            continue
        mask = masks[frame] > threshold
        if mask.any():
            planes.setdefault(k, {})
            planes[k][segment] = planes[k].get(segment, np.zeros(shape, bool)) | mask
    if unplaced:
        notes.append(f"segmentation {path.name}: {unplaced} frame(s) lie on no slice of this series: not shown")
    out = {k: [OverlayPlane(0, outline(mask), "S", f"segment {n} {labels.get(n, '')}".strip(), False,
                            colours.get(n, PALETTE[(n - 1) % len(PALETTE)]), filled=mask)
               for n, mask in sorted(by_segment.items())] for k, by_segment in planes.items()}
    return out, notes
