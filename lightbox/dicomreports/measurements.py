"""A reader's measurements as a DICOM SR measurement report (PS3.16 TID 1500, written with
highdicom), so that they go back to the archive with the study.

Why TID 1500 rather than a Grayscale Softcopy Presentation State: a measurement report carries
the *values* (a length in mm, an ROI's area and its mean, SD, minimum and maximum in HU) with
their regions, in the form OHIF's measurement tracking and 3D Slicer's dcmqi read back; a GSPS
carries only graphics and text, which is what arrows and text annotations are, so those are not
part of this report.

Each length becomes a planar ROI group whose region is the two-point polyline and whose
measurement is "Length" (SCT 410668003, mm); each ellipse or rectangle ROI a group whose region
is the ellipse (4 points: major axis ends, minor axis ends) or the closed rectangle, with "Area"
(SCT 42798000, mm2) and, on CT, the attenuation (DCM 112031, [hnsf'U]) as mean, standard
deviation, minimum and maximum (derivations SCT 373098007, 386136009, 255605001, 56851009); on a
PET series read in SUVbw, the SUV body weight (DCM 126401, {SUVbw}g/ml, PS3.16 CID 85) likewise; on
MR the signal's (DCM 110852 MR signal intensity, CID 7180, in UCUM "1": MR values have no unit).
Each three-point angle a group whose region is the polyline arm, vertex, arm with "Angle" (SCT
1483009, deg); each Cobb angle one whose region is the polyline through the two endplate lines'
ends with "Cobb angle" (SCT 285285000, CID 7550 Angle Measurement, deg): the form OHIF's
measurement export (dcmjs TID 300 CobbAngle) writes and reads back.
A sphere VOI (Tools → Sphere VOI) becomes a volumetric ROI group (TID 1411) whose region is the
sphere as an ELLIPSOID in patient coordinates (SCOORD3D: the ends of its three axes, along x, y
and z; C.18.9.1.2) in the series' Frame of Reference, its source the whole series, with "Volume"
(SCT 118565006, ml), the attenuation or SUVbw as an ROI's, and on a PET the SUVpeak, "Metabolic
Volume" (DCM 126032, ml: the 41 % isocontour, viewer.sphere_voi) and "Total Lesion Glycolysis"
(DCM 126033, g) of CID 7466 PET Region of Interest Measurement.
Planar regions are given in the referenced image's pixel coordinates (column, row; PS3.3 C.18.6.1.2,
a pixel's centre half a pixel in from its top-left corner: :mod:`.pixel_coordinates`): a film's
own, or the acquired slice a plane's mark was drawn on. A mark on a reformatted plane (a coronal
of an axial stack) has no image of its own: its region is written in patient coordinates instead
(TID 1410's Image Region as SCOORD3D in the series' Frame of Reference, C.18.9: a length or an
angle a POLYLINE, an ellipse an ELLIPSE, a rectangle or a freehand outline a closed POLYGON), its
tracking identifier naming the plane ("length 2 on the coronal plane", so that it is read back
onto the plane it was drawn on), with the values the pane measured.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from ..viewer.measure import FREEHAND, ROI_KINDS, SPHERE
from ..viewer.pixels import element_values
from .pixel_coordinates import SOFTWARE_VERSION, from_dicom, to_dicom
from .text_encoding import in_utf8

LENGTH = Code("410668003", "SCT", "Length")
AREA = Code("42798000", "SCT", "Area")
ATTENUATION = Code("112031", "DCM", "Attenuation Coefficient")
MEAN, SD = Code("373098007", "SCT", "Mean"), Code("386136009", "SCT", "Standard Deviation")
MINIMUM, MAXIMUM = Code("255605001", "SCT", "Minimum"), Code("56851009", "SCT", "Maximum")
PEAK = Code("126031", "DCM", "Peak Value Within ROI")  # CID 7464's derivation for SUVpeak
SUL_JANMA = Code("126405", "DCM", "SUVlbm(Janma)")
SUL_UNIT = Code("{SUVlbm}g/ml", "UCUM", "Standardized Uptake Value lean body mass")
MM, MM2, HU = Code("mm", "UCUM", "millimeter"), Code("mm2", "UCUM", "square millimeter"), Code(
    "[hnsf'U]", "UCUM", "Hounsfield unit")
MR_SIGNAL, NO_UNITS = Code("110852", "DCM", "MR signal intensity"), Code("1", "UCUM", "no units")
SUVBW, SUVBW_UNIT = Code("126401", "DCM", "SUVbw"), Code("{SUVbw}g/ml", "UCUM", "Standardized Uptake Value body weight")
ANGLE, COBB = Code("1483009", "SCT", "Angle"), Code("285285000", "SCT", "Cobb angle")
DEGREE = Code("deg", "UCUM", "degree")
VOLUME, ML = Code("118565006", "SCT", "Volume"), Code("ml", "UCUM", "milliliter")
METABOLIC_VOLUME = Code("126032", "DCM", "Metabolic Volume")
TOTAL_LESION_GLYCOLYSIS, GRAM = Code("126033", "DCM", "Total Lesion Glycolysis"), Code("g", "UCUM", "gram")
IMAGING_MEASUREMENT = Code("363679005", "SCT", "Imaging procedure")
MEASUREMENT_SERIES_NUMBER = 991  # after the report SR's 990


@dataclass(frozen=True, kw_only=True)
class RegionValues:
    """What a length, angle or ROI measured (mm, degrees, mm², HU or SUVbw), and the finding it is."""

    length_mm: float | None = None
    angle_deg: float | None = None  # an angle's or a Cobb angle's, as the view gives it
    area_mm2: float | None = None
    hu: tuple[float, float, float, float] | None = None  # mean, SD, minimum, maximum (CT only)
    suv: tuple[float, float, float, float] | None = None  # mean, SD, minimum, maximum in SUVbw (PET, viewer.suv)
    suv_peak: float | None = None  # SUVpeak: the highest mean in a 1 cm³ sphere in it (viewer.uptake_peak)
    sul_peak: float | None = None  # the same in SUL (lean body mass, Janmahasatian; viewer.suv)
    mr: tuple[float, float, float, float] | None = None  # mean, SD, minimum, maximum of an MR's values (no unit)
    # marks of one finding (an ROI on a CT and the same region in the PET laid over it) share
    # their tracking identifier and UID; "" : a finding of its own
    finding: str = ""


@dataclass(frozen=True)
class ImageMark(RegionValues):
    """One finished length, angle or ROI on one image: its points in that image's pixel coordinates
    (column, row), the image's header, and the values measured (mm, mm², HU)."""

    kind: str  # "length", "angle", "cobb", "ellipse", "rectangle" or "freehand"
    points: list[tuple[float, float]]
    image: Dataset
    frame: int | None = None  # the frame (1-based) of a multi-frame image it was drawn on

    @property
    def series_uid(self) -> str:
        return str(self.image.get("SeriesInstanceUID", ""))


@dataclass(frozen=True)
class PlaneMark(RegionValues):
    """One finished length, angle or ROI on a reformatted plane of a volume (no image of its own):
    its points in mm along the plane's ``right`` and ``up`` axes (unit vectors, patient LPS) at
    ``position`` mm along its ``normal`` (the way the pane looks), as the pane keeps them, in the
    series' Frame of Reference."""

    kind: str
    points: list[tuple[float, float]]
    plane: str  # "coronal", "sagittal", ...: the pane it was drawn on
    right: tuple[float, float, float]
    up: tuple[float, float, float]
    normal: tuple[float, float, float]
    position: float
    series_uid: str
    frame_of_reference_uid: str

    def patient_points(self, points: np.ndarray) -> np.ndarray:
        """``points`` (N x 2, mm along right and up) in patient mm (N x 3)."""
        axes = np.array([self.right, self.up], dtype=float)
        return np.asarray(points, dtype=float) @ axes + self.position * np.asarray(self.normal, dtype=float)


@dataclass(frozen=True)
class VolumeMark:
    """One sphere VOI measured in one series: its centre (patient mm) and radius, the series and
    its Frame of Reference, and the values (viewer.sphere_voi): the volume counted (mL), HU or SUVbw
    as mean, SD, minimum, maximum, and on a PET SUVpeak, SULpeak, MTV (mL) and TLG (g)."""

    centre: tuple[float, float, float]
    radius_mm: float
    series_uid: str
    frame_of_reference_uid: str
    volume_ml: float | None = None
    hu: tuple[float, float, float, float] | None = None
    suv: tuple[float, float, float, float] | None = None
    suv_peak: float | None = None
    sul_peak: float | None = None
    mtv_ml: float | None = None
    tlg: float | None = None
    finding: str = ""
    kind: str = SPHERE


def sphere_axes(centre: tuple[float, float, float], radius: float) -> np.ndarray:
    """The 6 points DICOM's ELLIPSOID takes (C.18.9.1.2): the ends of its three axes, here along
    x, y and z, each ``radius`` from ``centre``."""
    c = np.asarray(centre, dtype=float)
    return np.array([c + sign * radius * axis for axis in np.eye(3) for sign in (-1.0, 1.0)])


def ellipse_axes(points: list[tuple[float, float]]) -> np.ndarray:
    """The 4 points DICOM's ELLIPSE takes (C.18.6.1.2): the ends of the major axis, then of the
    minor axis, for the axis-aligned ellipse in the box between two corners."""
    (a, b), (c, d) = points[:2]
    cu, cv, hu, hv = (a + c) / 2, (b + d) / 2, abs(c - a) / 2, abs(d - b) / 2
    across, up = [(cu - hu, cv), (cu + hu, cv)], [(cu, cv - hv), (cu, cv + hv)]
    major, minor = (across, up) if hu >= hv else (up, across)
    return np.array(major + minor, dtype=float)


def _outline(kind: str, points: list[tuple[float, float]]) -> tuple[str, np.ndarray, bool]:
    """The graphic type, points (N x 2) and whether the outline closes on itself, of a mark of
    ``kind`` given by its kept points (an ellipse or a rectangle by two opposite corners)."""
    if kind in ("angle", "cobb"):  # arm, vertex, arm; or the two endplate lines' ends
        return "POLYLINE", np.array(points, dtype=float), False
    if kind == "ellipse":
        return "ELLIPSE", ellipse_axes(points[:2]), False
    if kind == "rectangle":
        (a, b), (c, d) = points[:2]
        return "POLYLINE", np.array([(a, b), (c, b), (c, d), (a, d), (a, b)], dtype=float), True
    if kind == FREEHAND:  # a closed polyline: its first point again at the end (TID 1410)
        return "POLYLINE", np.array([*points, points[0]], dtype=float), True
    return "POLYLINE", np.array(points[:2], dtype=float), False


def _region(mark: ImageMark):  # noqa: ANN202 - highdicom's ImageRegion
    from highdicom.sr import GraphicTypeValues, ImageRegion, SourceImageForRegion

    source = SourceImageForRegion(str(mark.image.SOPClassUID), str(mark.image.SOPInstanceUID),
                                  referenced_frame_numbers=None if mark.frame is None else [mark.frame])
    graphic, points, _ = _outline(mark.kind, to_dicom(mark.points))
    return ImageRegion(GraphicTypeValues[graphic], points, source)


def _region_3d(mark: PlaneMark):  # noqa: ANN202 - highdicom's ImageRegion3D
    """A reformatted plane's mark in patient mm: a closed outline as a POLYGON, SCOORD3D's own
    closed shape (its first point repeated last, C.18.9.1.2), the others as on an image."""
    from highdicom.sr import GraphicTypeValues3D, ImageRegion3D

    graphic, points, closed = _outline(mark.kind, mark.points)
    return ImageRegion3D(GraphicTypeValues3D["POLYGON" if closed else graphic], mark.patient_points(points),
                         mark.frame_of_reference_uid)


def _region_values(mark: RegionValues | VolumeMark) -> list:  # noqa: ANN401 - highdicom's Measurement items
    """A region's values: HU, SUVbw or an MR's signal as mean, SD, minimum and maximum, SUVpeak and SULpeak."""
    from highdicom.sr import Measurement

    values: list = []
    signal = mark.mr if isinstance(mark, RegionValues) else None
    for concept, unit, measured in ((ATTENUATION, HU, mark.hu), (SUVBW, SUVBW_UNIT, mark.suv), (MR_SIGNAL, NO_UNITS, signal)):
        if measured is not None:
            values += [Measurement(concept, v, unit, derivation=d)
                       for v, d in zip(measured, (MEAN, SD, MINIMUM, MAXIMUM), strict=True)]
    if mark.suv_peak is not None:  # PERCIST's SUVpeak: SUVbw derived as Peak Value Within ROI
        values.append(Measurement(SUVBW, mark.suv_peak, SUVBW_UNIT, derivation=PEAK))
    if mark.sul_peak is not None:  # and its SULpeak, in SUVlbm(Janma)
        values.append(Measurement(SUL_JANMA, mark.sul_peak, SUL_UNIT, derivation=PEAK))
    return values


def _volume_group(mark: VolumeMark, tracking):  # noqa: ANN001, ANN202 - highdicom's TrackingIdentifier and group
    """A sphere's TID 1411 group: the ELLIPSOID in the series' frame, its volume and values."""
    from highdicom.sr import (
        GraphicTypeValues3D,
        Measurement,
        SourceSeriesForSegmentation,
        VolumeSurface,
        VolumetricROIMeasurementsAndQualitativeEvaluations,
    )

    values: list = [Measurement(VOLUME, mark.volume_ml, ML)] if mark.volume_ml is not None else []
    values += _region_values(mark)
    if mark.mtv_ml is not None:
        values.append(Measurement(METABOLIC_VOLUME, mark.mtv_ml, ML))
    if mark.tlg is not None:
        values.append(Measurement(TOTAL_LESION_GLYCOLYSIS, mark.tlg, GRAM))
    surface = VolumeSurface(GraphicTypeValues3D.ELLIPSOID, sphere_axes(mark.centre, mark.radius_mm),
                            mark.frame_of_reference_uid, source_series=SourceSeriesForSegmentation(mark.series_uid))
    return VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=tracking, referenced_volume_surface=surface, measurements=values or None)


def measurement_report(marks: list[ImageMark | PlaneMark | VolumeMark], evidence: list[Dataset], reader: str = "") -> Dataset:
    """The Comprehensive 3D SR (TID 1500) of ``marks`` on the study whose image headers are
    ``evidence``. Raises ValueError when there is no mark to write."""
    from highdicom.sr import (
        Comprehensive3DSR,
        Measurement,
        MeasurementReport,
        ObservationContext,
        ObserverContext,
        PersonObserverIdentifyingAttributes,
        PlanarROIMeasurementsAndQualitativeEvaluations,
        TrackingIdentifier,
    )
    from pydicom.sr.codedict import codes

    from .person_names import DEFAULT_OBSERVER, study_names_as_they_are, typed_name
    from .sr import _with_type2

    if not marks:
        raise ValueError("no length, angle, ROI or sphere VOI to write")
    groups = []
    tracking: dict[str, tuple[str, str]] = {}  # finding: (its tracking UID, its identifier)
    for n, mark in enumerate(marks, 1):
        uid, name = str(generate_uid()), f"{mark.kind} {n}"
        if isinstance(mark, PlaneMark):  # read back onto its plane (a length lies in two planes)
            name += f" on the {mark.plane} plane"
        if mark.finding:
            uid, name = tracking.setdefault(mark.finding, (uid, name))
        if isinstance(mark, VolumeMark):
            groups.append(_volume_group(mark, TrackingIdentifier(uid=uid, identifier=name)))
            continue
        values: list = []
        if mark.kind == "length" and mark.length_mm is not None:
            values.append(Measurement(LENGTH, mark.length_mm, MM))
        if mark.kind in ("angle", "cobb") and mark.angle_deg is not None:
            values.append(Measurement(ANGLE if mark.kind == "angle" else COBB, mark.angle_deg, DEGREE))
        if mark.kind in ROI_KINDS:
            if mark.area_mm2 is not None:
                values.append(Measurement(AREA, mark.area_mm2, MM2))
            values += _region_values(mark)
        groups.append(PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=TrackingIdentifier(uid=uid, identifier=name),
            referenced_region=_region(mark) if isinstance(mark, ImageMark) else _region_3d(mark),
            measurements=values or None))
    person = PersonObserverIdentifyingAttributes(name=typed_name(reader or DEFAULT_OBSERVER))
    observer = ObserverContext(observer_type=codes.DCM.Person, observer_identifying_attributes=person)
    report = MeasurementReport(observation_context=ObservationContext(observer_person_context=observer),
                               procedure_reported=IMAGING_MEASUREMENT, imaging_measurements=groups)
    with study_names_as_they_are():
        sr = Comprehensive3DSR(evidence=[_with_type2(ds) for ds in evidence], content=report[0],
                               series_instance_uid=generate_uid(), series_number=MEASUREMENT_SERIES_NUMBER,
                               sop_instance_uid=generate_uid(), instance_number=1, manufacturer="Lightbox",
                               software_versions=SOFTWARE_VERSION, series_description="Measurements",
                               is_complete=True)
    return in_utf8(sr)


def read_measurements(sr: Dataset) -> list[tuple[str, str, list[tuple[float, float]], dict[str, float], int | None]]:
    """(tracking identifier, referenced SOP Instance UID, graphic points, {name: value}, frame
    number: 1-based in a multi-frame image, else None) of each planar ROI group of a TID 1500
    report (the independent read-back used by the tests and by anyone checking what was written).
    The points are the image's (column, row) with pixel centres on whole numbers, as Lightbox
    keeps them (:func:`.pixel_coordinates.from_dicom`)."""
    out = []
    for group in _groups(sr):
        if any(item.ValueType == "SCOORD3D" for item in group.ContentSequence):
            continue  # a volumetric region (read_volume_measurements)
        identifier, uid, points, values, frame = "", "", [], {}, None
        for item in group.ContentSequence:
            code = item.ConceptNameCodeSequence[0]
            if item.ValueType == "TEXT" and code.CodeValue == "112039":  # Tracking Identifier
                identifier = str(item.TextValue)
            elif item.ValueType == "SCOORD":
                data = [float(v) for v in item.GraphicData]
                points = from_dicom(zip(data[0::2], data[1::2], strict=True), sr)
                reference = item.ContentSequence[0].ReferencedSOPSequence[0]
                uid = str(reference.ReferencedSOPInstanceUID)
                frames = element_values(reference.get("ReferencedFrameNumber"))
                frame = int(frames[0]) if frames else None
            elif item.ValueType == "NUM":
                name, value = _named_value(item)
                values[name] = value
        out.append((identifier, uid, points, values, frame))
    return out


def _groups(sr: Dataset) -> list[Dataset]:
    """The measurement groups of a TID 1500 report's Imaging Measurements container."""
    return [group for container in sr.ContentSequence
            if container.ConceptNameCodeSequence[0].CodeValue == "126010"  # Imaging Measurements
            for group in container.ContentSequence]


def _named_value(item: Dataset) -> tuple[str, float]:
    """A NUM item's name ("Mean SUVbw": its derivation before its concept) and value."""
    name = str(item.ConceptNameCodeSequence[0].CodeMeaning)
    for modifier in item.get("ContentSequence", []):
        if modifier.ConceptNameCodeSequence[0].CodeValue == "121401":  # Derivation
            name = f"{modifier.ConceptCodeSequence[0].CodeMeaning} {name}"
    return name, float(item.MeasuredValueSequence[0].NumericValue)


def _identifier_and_values(group: Dataset) -> tuple[str, dict[str, float]]:
    """A measurement group's tracking identifier and its values by name."""
    identifier, values = "", {}
    for item in group.ContentSequence:
        if item.ValueType == "TEXT" and item.ConceptNameCodeSequence[0].CodeValue == "112039":  # Tracking Identifier
            identifier = str(item.TextValue)
        elif item.ValueType == "NUM":
            name, value = _named_value(item)
            values[name] = value
    return identifier, values


def read_volume_measurements(sr: Dataset) -> list[tuple[str, str, np.ndarray, dict[str, float]]]:
    """(tracking identifier, source series UID, the ELLIPSOID's 6 points in patient mm, {name:
    value}) of each volumetric ROI group of a TID 1500 report whose region is an ellipsoid."""
    out = []
    for group in _groups(sr):
        series, points = "", np.empty((0, 3))
        for item in group.ContentSequence:
            if item.ValueType == "SCOORD3D" and item.GraphicType == "ELLIPSOID":
                points = np.array([float(v) for v in item.GraphicData]).reshape(-1, 3)
            elif item.ValueType == "UIDREF" and item.ConceptNameCodeSequence[0].CodeValue == "121232":
                series = str(item.UID)  # Source series for segmentation
        if len(points) == 6:
            identifier, values = _identifier_and_values(group)
            out.append((identifier, series, points, values))
    return out


def read_plane_measurements(sr: Dataset) -> list[tuple[str, str, str, np.ndarray, dict[str, float]]]:
    """(tracking identifier, Referenced Frame of Reference UID, graphic type, points in patient mm
    (N x 3), {name: value}) of each planar ROI group of a TID 1500 report whose region is given in
    patient coordinates (TID 1410 "Image Region", DCM 111030, as SCOORD3D)."""
    out = []
    for group in _groups(sr):
        for item in group.ContentSequence:
            if item.ValueType == "SCOORD3D" and item.ConceptNameCodeSequence[0].CodeValue == "111030":
                points = np.array([float(v) for v in item.GraphicData]).reshape(-1, 3)
                identifier, values = _identifier_and_values(group)
                out.append((identifier, str(item.ReferencedFrameOfReferenceUID), str(item.GraphicType), points, values))
    return out
