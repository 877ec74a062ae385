"""Order the slices of a series and say what is odd about it.

Slices are sorted by ImagePositionPatient projected on the slice normal (the cross product of
the ImageOrientationPatient row and column directions, PS3.3 C.7.6.2.1.1) — never by file name,
InstanceNumber or SliceLocation, which real data get wrong (the LIDC series' SliceLocation
disagrees with its positions). Findings become human-readable warnings on the series.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from pydicom.dataset import Dataset

from .calibration import usable_spacing
from .geometry import Geometry
from .pixels import element_values, readable_value
from .study_tree import Instance, Series

# Modalities whose images are projections: each instance is a film, never a slice of a stack.
PROJECTION_MODALITIES = {"CR", "DX", "MG", "XC", "IO", "PX", "RF", "XA", "RG", "ES", "OP", "SC"}
# Modalities whose multi-frame objects are frames in time (a cine loop), not slices, when their
# frames state no positions.
TIME_FRAME_MODALITIES = {"US", "IVUS"}
ORIENTATION_TOLERANCE = 1e-3
SPACING_RELATIVE_TOLERANCE = 0.01  # 1 %: real scanners round positions to ~0.01 mm
TILT_TOLERANCE_DEGREES = 0.1
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # the orientation assumed when a header gives none


def slice_normal(orientation: tuple[float, ...]) -> np.ndarray:
    row, col = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    normal = np.cross(row, col)
    norm = np.linalg.norm(normal)
    return normal / norm if norm > 0 else np.array([0.0, 0.0, 1.0])


def _orientation_key(orientation: tuple[float, ...] | None) -> tuple[float, ...] | None:
    return None if orientation is None else tuple(round(v / ORIENTATION_TOLERANCE) for v in orientation)


def _pixel_spacing(instance: Instance) -> tuple[float, float] | None:
    """(row spacing, column spacing) in mm: PixelSpacing at the top level, or in the Pixel Measures
    functional group of an enhanced object (shared, else the first frame's; PS3.3 C.7.6.16.2.1),
    or ImagerPixelSpacing; None when none is usable (never an invented 1 mm)."""
    ds = instance.header
    if ds is None:
        return None
    sources = []  # the functional groups first: in an enhanced object they, not the top level, hold it
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        seq = ds.get(groups)
        if seq and "PixelMeasuresSequence" in seq[0] and seq[0].PixelMeasuresSequence:
            sources.append(seq[0].PixelMeasuresSequence[0])
    sources.append(ds)
    # a damaged spacing reads as none: the image loads uncalibrated, said
    for value in [readable_value(source, "PixelSpacing") for source in sources] + [readable_value(ds, "ImagerPixelSpacing")]:
        spacing = usable_spacing(value)
        if spacing is not None:
            return spacing
    return None


def is_calibrated(series: Series) -> bool:
    """Whether the series' first image states a usable pixel spacing."""
    return bool(series.instances) and _pixel_spacing(series.instances[0]) is not None


def volume_instances(series: Series) -> list[Instance]:
    """The instances that form the series' volume, in order (after :func:`analyse`)."""
    return [i for i in series.instances if getattr(i, "_in_volume", True)]


# What tells apart images that share a slice position (echoes, phases, repeats, b-values), in the
# order they are tried; the first that gives each group unique positions splits the series.
DISTINGUISHING = ("EchoTime", "EchoNumbers", "TemporalPositionIdentifier", "TriggerTime", "AcquisitionNumber",
                  "DiffusionBValue", "InversionTime", "AcquisitionTime", "ContentTime")


def _position_key(instance: Instance) -> tuple[float, ...]:
    return tuple(round(v, 3) for v in instance.position or ())


def split_shared_positions(series: Series) -> list[Series]:
    """When several single-frame slices of a series share an ImagePositionPatient, the series
    holds several images at each place (multi-echo, dynamic phases, repeated acquisitions): split
    it into sub-series by the first attribute of :data:`DISTINGUISHING` that makes every group's
    positions unique. Returns [] when no position is shared, or nothing tells the images apart
    (then :func:`analyse` shows images all at one place one by one, and a few repeated slices
    once, with a warning)."""
    from .pixels import raw_text

    slices = [i for i in series.instances if i.header is not None and i.position is not None and i.frames == 1]
    if len(slices) < 2 or len(slices) != len(series.instances):
        return []
    counts: dict[tuple[float, ...], int] = {}
    for instance in slices:
        counts[_position_key(instance)] = counts.get(_position_key(instance), 0) + 1
    if max(counts.values()) < 2:
        return []
    for reason in DISTINGUISHING:
        groups: dict[str, list[Instance]] = {}
        for instance in slices:
            groups.setdefault(raw_text(instance.header, reason), []).append(instance)  # type: ignore[arg-type]
        # (one group cannot pass: some positions are shared)
        if all(len({_position_key(i) for i in g}) == len(g) for g in groups.values()):
            break
    else:  # nothing in the headers tells them apart: analyse() shows them (see there)
        return []
    parts = []
    for n, (value, members) in enumerate(sorted(groups.items(), key=lambda item: _sortable(item[0])), 1):
        label = f"{reason} {value}"
        parts.append(_part(series, str(n), label, members,
                           f"split from a series whose slices share positions ({max(counts.values())} images at one "
                           f"place): by {reason}, this part is {label}"))
    return parts


PART_MARK = "#"  # a part's UID is its series' UID, this mark and the part's name ("1.2.3#o1")


def _part(series: Series, name: str, label: str, members: list[Instance], note: str) -> Series:
    """A part of ``series`` (the index splits a series of several stacks): its own UID, the
    description with ``label`` in brackets, ``members``, and the series' warnings and ``note``."""
    return Series(f"{series.uid}{PART_MARK}{name}", series.modality, f"{series.description} [{label}]".strip(),
                  series.number, list(members), [*series.warnings, note])


def whole_series_uid(uid: str) -> str:
    """The Series Instance UID a part's UID was made from (itself for a whole series)."""
    return uid.split(PART_MARK, 1)[0]


def split_orientations(series: Series) -> list[Series]:
    """A series whose single-frame slices lie in several planes (a three-plane localizer, a stack
    with a few slices of another orientation): one sub-series per ImageOrientationPatient, each
    viewable, named by its nearest patient plane, largest first. The volume used to keep the most
    common orientation only, and the other slices could not be seen at all. Returns [] for a
    series of one orientation (or with slices that state none)."""
    from .geometry import nearest_plane

    slices = [i for i in series.instances if i.orientation is not None and i.frames == 1]
    if len(slices) != len(series.instances):
        return []
    groups: dict[tuple[float, ...] | None, list[Instance]] = {}
    for instance in slices:
        groups.setdefault(_orientation_key(instance.orientation), []).append(instance)
    if len(groups) < 2:
        return []
    ordered = sorted(groups.values(), key=len, reverse=True)
    names = []
    for members in ordered:
        plane, angle = nearest_plane(slice_normal(members[0].orientation))  # type: ignore[arg-type]
        names.append(plane if angle < 1.0 else f"{plane} oblique {angle:.0f}°")
    parts = []
    for n, (members, name) in enumerate(zip(ordered, names, strict=True), 1):
        # two groups of one plane name (two obliques near axial) keep apart by their number
        label = name if names.count(name) == 1 else f"{name} {n}"
        parts.append(_part(series, f"o{n}", label, members,
                           f"mixed orientations: split from a series of {len(groups)} ImageOrientationPatient values; "
                           f"this part is its {len(members)} {label} image(s) of {len(slices)}"))
    return parts


def _sortable(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _rescale_warnings(series: Series) -> None:
    """An unusable Rescale Slope / Intercept in any header (the values are then shown unrescaled)."""
    from .pixels import rescale_problem

    problems: dict[str, int] = {}
    for instance in series.instances:
        if instance.header is not None and (problem := rescale_problem(instance.header)) is not None:
            problems[problem] = problems.get(problem, 0) + 1
    for problem, count in problems.items():
        series.warnings.append(f"{problem} in {count} of {len(series.instances)} file(s): shown as stored values, "
                               "without the rescale (values are not in modality units)")


def _is_colour(instance: Instance) -> bool:
    from .pixels import raw_text

    photometric = raw_text(instance.header, "PhotometricInterpretation").upper() if instance.header is not None else ""
    return bool(photometric) and not photometric.startswith("MONOCHROME")


def _colour_warnings(series: Series) -> None:
    """Colour objects (RGB, YBR_*, PALETTE COLOR), said at indexing so that ``inspect`` tells too."""
    from .pixels import colour_warning, raw_text

    for photometric in sorted({raw_text(i.header, "PhotometricInterpretation").upper() for i in series.instances
                               if i.header is not None}):
        if photometric and not photometric.startswith("MONOCHROME"):
            series.warnings.append(colour_warning(photometric))


def analyse(series: Series) -> None:
    """Sort ``series.instances`` along the slice normal, set ``kind`` and ``slice_spacing``,
    and append warnings for gaps, uneven spacing, tilt, mixed orientations or sizes, duplicates,
    missing positions and multi-frame objects."""
    instances = series.instances
    if not instances:
        series.kind = "empty"
        return
    if instances[0].is_film_file:
        series.kind = "film"
        return
    _rescale_warnings(series)
    _colour_warnings(series)
    modality = series.modality.upper()
    if len(instances) == 1 and instances[0].frames == 1:
        series.kind = "film"
        return
    if len(instances) == 1 and _is_colour(instances[0]):
        # a colour cine (ultrasound, endoscopy, angiography in colour): frames in time, not
        # slices in space, and colour: shown as images one by one
        series.kind = "film"
        series.warnings.append(f"multi-frame colour object: {instances[0].frames} frames, shown one by one (Up/Down)")
        return
    if len(instances) == 1 and (modality in PROJECTION_MODALITIES or modality in TIME_FRAME_MODALITIES) \
            and multiframe_positions(series)[0] is None:
        # a grey cine (X-ray angiography, fluoroscopy, ultrasound) without per-frame positions:
        # frames in time, as two such files of one series are shown; it was stacked as a volume
        # 1 mm deep per frame, with reformats and volume rendering of a time axis
        series.kind = "film"
        series.warnings.append(f"multi-frame {modality} object: {instances[0].frames} frames in time, shown one by one "
                               "(Up/Down)")
        return
    if len(instances) == 1 and (shared := _frames_sharing_positions(series)):
        # several images at one place in one file (a segmentation's segments, the echoes or
        # phases of an enhanced MR): stacked as one volume, a two-segment SEG of 4 slices became 6
        # slices spanning 12 mm; shown one by one, each frame where it lies
        series.kind = "film"
        series.warnings.append(f"multi-frame object whose {instances[0].frames} frames lie at {shared} places (several "
                               "images at one place: segments, echoes or phases): shown one by one (Up/Down), not as a volume")
        return
    if len(instances) == 1:  # one file of several frames
        series.kind = "volume"
        series.warnings.append(f"multi-frame object: {instances[0].frames} frames in one file (enhanced or multi-frame IOD)")
        _analyse_multiframe(series)
        return
    positions = {_position_key(i) for i in instances if i.position is not None}
    if len(positions) == 1 and all(i.position is not None for i in instances):
        # every image at one place (a dynamic single slice, a repeat series): images to browse,
        # one by one, not one "slice" with the others dropped as identical (20 images became 1)
        series.kind = "film"
        instances.sort(key=lambda i: (i.instance_number is None, i.instance_number or 0, str(i.path)))
        series.warnings.append(f"{len(instances)} images at one position: shown one by one (Up/Down), not as a volume")
        return
    if modality in PROJECTION_MODALITIES or all(i.position is None for i in instances):
        series.kind = "film"
        instances.sort(key=lambda i: (i.instance_number is None, i.instance_number or 0, str(i.path)))
        if modality not in PROJECTION_MODALITIES:
            series.warnings.append("no ImagePositionPatient: shown as separate images ordered by InstanceNumber")
        return

    series.kind = "volume"
    multiframe = [i for i in instances if i.frames > 1]
    if multiframe:
        series.warnings.append(f"{len(multiframe)} multi-frame file(s) mixed into a slice stack: only their first frame is used")

    # Mixed orientations: keep the largest group as the volume.
    groups = Counter(_orientation_key(i.orientation) for i in instances)
    main_key, main_count = groups.most_common(1)[0]
    if len(groups) > 1:
        series.warnings.append(
            f"mixed orientations: {len(groups)} different ImageOrientationPatient values; "
            f"the volume uses the {main_count} slices of the most common one"
        )
    sizes = Counter((i.rows, i.columns) for i in instances)
    main_size = sizes.most_common(1)[0][0]
    if len(sizes) > 1:
        series.warnings.append(f"mixed image sizes {sorted(sizes)}: the volume uses {main_size[0]}x{main_size[1]} slices")
    for instance in instances:
        instance._in_volume = (  # type: ignore[attr-defined]
            _orientation_key(instance.orientation) == main_key
            and (instance.rows, instance.columns) == main_size
            and instance.position is not None
        )
    missing_position = [i for i in instances if i.position is None]
    if missing_position:
        series.warnings.append(f"{len(missing_position)} slice(s) without ImagePositionPatient left out of the volume")
    members = [i for i in instances if i._in_volume]  # type: ignore[attr-defined]
    others = [i for i in instances if not i._in_volume]  # type: ignore[attr-defined]
    if not members:
        series.kind = "film"
        return
    normal = slice_normal(members[0].orientation or AXIAL)
    distances = {id(i): float(np.dot(np.asarray(i.position), normal)) for i in members}
    members.sort(key=lambda i: distances[id(i)])
    series.instances = members + others

    if len(members) < 2:
        return
    d = np.array([distances[id(i)] for i in members])
    steps = np.diff(d)
    duplicates = int(np.sum(np.abs(steps) < 1e-4))
    if duplicates:
        series.warnings.append(f"{duplicates} duplicated slice position(s): identical slices are shown once")
        keep = [members[0]] + [m for m, s in zip(members[1:], steps) if abs(s) >= 1e-4]
        for m in members:
            if m not in keep:
                m._in_volume = False  # type: ignore[attr-defined]
        members = keep
        d = np.array([distances[id(i)] for i in members])
        steps = np.diff(d)
    if len(steps) == 0:
        return
    spacing = float(np.median(steps))
    series.slice_spacing = spacing
    if np.max(steps) - np.min(steps) > SPACING_RELATIVE_TOLERANCE * spacing:
        gaps = [(d[n], d[n + 1]) for n, s in enumerate(steps) if s > 1.5 * spacing]
        if gaps:
            a, b = gaps[0]
            missing = int(round((b - a) / spacing)) - 1
            series.warnings.append(
                f"gap in the slice stack: {len(gaps)} place(s), first between {a:.2f} and {b:.2f} mm along the normal "
                f"(~{missing} missing slice(s) at {spacing:.2f} mm spacing)"
            )
        series.warnings.append(
            f"uneven slice spacing: steps from {np.min(steps):.3f} to {np.max(steps):.3f} mm (median {spacing:.3f} mm); "
            "the volume is shown on the median spacing"
        )
    # Gantry tilt: the stack's axis (first → last position) is not along the normal.
    axis = np.asarray(members[-1].position) - np.asarray(members[0].position)
    if np.linalg.norm(axis) > 0:
        cos = abs(float(np.dot(axis / np.linalg.norm(axis), normal)))
        tilt = float(np.degrees(np.arccos(min(1.0, cos))))
        if tilt > TILT_TOLERANCE_DEGREES:
            series.warnings.append(f"gantry tilt / sheared stack: slices are offset {tilt:.1f}° from the slice normal")
    header = members[0].header
    if header is not None:
        try:
            declared = float(header.get("GantryDetectorTilt") or 0)
        except (TypeError, ValueError):
            declared = 0.0
        if abs(declared) > TILT_TOLERANCE_DEGREES and not any("tilt" in w for w in series.warnings):
            series.warnings.append(f"GantryDetectorTilt is {declared:.1f}°")


def _analyse_multiframe(series: Series) -> None:
    ds = series.instances[0].header
    if ds is None:
        return
    positions, orientation = multiframe_positions(series)
    if positions is not None and len(positions) >= 2 and orientation is not None:
        d = positions @ slice_normal(orientation)
        steps = np.diff(d)
        series.slice_spacing = float(np.median(np.diff(np.sort(d))))
        if np.any(steps <= 0) and np.any(steps > 0):
            series.warnings.append("multi-frame positions are not monotonic along the normal: frames are re-ordered")
    elif ds.get("SpacingBetweenSlices") or ds.get("SliceThickness"):
        series.slice_spacing = float(ds.get("SpacingBetweenSlices") or ds.get("SliceThickness"))
        series.warnings.append("multi-frame object without per-frame positions: spacing taken from the header")


def _frames_sharing_positions(series: Series) -> int:
    """For a multi-frame object whose declared frame positions repeat along its normal, how many
    places they lie at; 0 when each frame has its own (or none is declared)."""
    positions, orientation = multiframe_positions(series)
    if positions is None or orientation is None or len(positions) < 2:
        return 0
    places = {round(float(v), 3) for v in positions @ slice_normal(orientation)}
    return len(places) if len(places) < len(positions) else 0


def multiframe_positions(series: Series) -> tuple[np.ndarray | None, tuple[float, ...] | None]:
    """Per-frame positions (N x 3) and orientation of a multi-frame object, when declared."""
    ds = series.instances[0].header
    if ds is None:
        return None, None
    positions = []
    for item in ds.get("PerFrameFunctionalGroupsSequence") or []:
        plane = item.get("PlanePositionSequence")
        if plane and "ImagePositionPatient" in plane[0]:
            positions.append([float(v) for v in plane[0].ImagePositionPatient])
    orientation = None
    groups = list(ds.get("SharedFunctionalGroupsSequence") or []) + list((ds.get("PerFrameFunctionalGroupsSequence") or [])[:1])
    for item in groups:
        seq = item.get("PlaneOrientationSequence")
        if seq and "ImageOrientationPatient" in seq[0]:
            orientation = tuple(float(v) for v in seq[0].ImageOrientationPatient)
    if orientation is None and "ImageOrientationPatient" in ds:
        orientation = tuple(float(v) for v in ds.ImageOrientationPatient)
    if not positions and orientation is not None:
        positions = _grid_frame_positions(ds, orientation)
    return (np.asarray(positions) if len(positions) == int(ds.get("NumberOfFrames", 1)) else None), orientation


def _grid_frame_positions(ds: Dataset, orientation: tuple[float, ...]) -> list[list[float]]:
    """Per-frame positions of an RT Dose (or other multi-frame) grid from its Grid Frame Offset
    Vector (PS3.3 C.8.8.3.2): offsets along the normal from Image Position (Patient) when the first
    is 0 (relative); otherwise, for an axial grid only, the frames' z coordinates (absolute).
    Without this the frames were stacked 1 mm apart (a 5 mm dose grid shown at a fifth of its depth)."""
    offsets = ds.get("GridFrameOffsetVector")
    position = ds.get("ImagePositionPatient")
    if offsets is None or position is None or len(position) != 3:
        return []
    try:
        values = [float(v) for v in element_values(offsets)]
        origin = np.asarray([float(v) for v in position])
    except (TypeError, ValueError):
        return []
    if not values or not all(np.isfinite(values)) or not np.all(np.isfinite(origin)):
        return []
    if values[0] == 0.0:
        normal = slice_normal(orientation)
        return [list(origin + v * normal) for v in values]
    if np.allclose(orientation, AXIAL, atol=1e-4):
        return [[origin[0], origin[1], v] for v in values]
    return []


def series_geometry(series: Series) -> Geometry:
    """Geometry of the series' volume (origin at the first sorted slice)."""
    members = volume_instances(series)
    first = members[0]
    pixel = _pixel_spacing(first) or (1.0, 1.0)
    if len(series.instances) == 1 and first.frames > 1:
        positions, orientation = multiframe_positions(series)
        orientation = orientation or AXIAL
        normal = slice_normal(orientation)
        if positions is not None:
            order = np.argsort(positions @ normal)
            origin = positions[order[0]]
        else:
            origin = np.asarray(first.position or (0.0, 0.0, 0.0))
    else:
        orientation = first.orientation or AXIAL
        normal = slice_normal(orientation)
        origin = np.asarray(first.position or (0.0, 0.0, 0.0))
    direction = np.column_stack([orientation[:3], orientation[3:], normal])
    k_spacing = series.slice_spacing or 1.0
    return Geometry(tuple(origin), (pixel[1], pixel[0], k_spacing), direction)
