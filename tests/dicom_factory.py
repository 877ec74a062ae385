"""Write real DICOM files with known content for the tests (and the loading benchmark).

Values are chosen so that every expectation can be computed by hand: slice ``k`` of a series
holds stored value ``base + k`` everywhere except a marker square, so reading the files back
tells exactly which file landed at which position.
"""
from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1"


def base_dataset(sop_class: str = CTImageStorage, *, syntax: str = ExplicitVRLittleEndian, patient: str = "TEST^PATIENT",
                 patient_id: str = "P001", study_uid: str | None = None, series_uid: str | None = None,
                 modality: str = "CT") -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = patient
    ds.PatientID = patient_id
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.StudyDate = datetime.date(2026, 1, 2).strftime("%Y%m%d")
    ds.StudyTime = "101500"
    ds.StudyID = "S1"
    ds.AccessionNumber = "A1"
    ds.ReferringPhysicianName = ""
    ds.Modality = modality
    ds.SeriesNumber = 1
    return ds


def set_pixels(ds: Dataset, stored: np.ndarray, *, signed: bool = False, bits_stored: int | None = None,
               photometric: str = "MONOCHROME2") -> None:
    ds.Rows, ds.Columns = stored.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = stored.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = np.ascontiguousarray(stored).tobytes()


def grey_header(**attributes: object) -> Dataset:
    """A bare MONOCHROME2 header with ``attributes`` set, for code that reads headers only."""
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def restamp(paths: Sequence[Path], **attributes: object) -> None:
    """Give written files another identity (patient, study, modality...): the writers here
    write one patient. An attribute given as None is removed."""
    for path in paths:
        ds = pydicom.dcmread(path)
        for keyword, value in attributes.items():
            if value is not None:
                setattr(ds, keyword, value)
            elif keyword in ds:
                delattr(ds, keyword)
        ds.save_as(path)


def write_ct_series(folder: Path, positions: Sequence[Sequence[float]], *, rows: int = 32, columns: int = 24,
                    orientation: Sequence[float] = (1, 0, 0, 0, 1, 0), spacing: tuple[float, float] = (0.7, 0.8),
                    base: int = 1000, slope: float = 1.0, intercept: float = -1024.0, names: Sequence[str] | None = None,
                    instance_numbers: Sequence[int] | None = None, syntax: str = ExplicitVRLittleEndian,
                    series_uid: str | None = None, study_uid: str | None = None, window: tuple[float, float] | None = (40, 400),
                    compress: str | None = None) -> list[Path]:
    """One file per position; slice ``n`` (in the order given) stores ``base + n`` plus a
    marker square of ``base + 500`` at rows 2..5, columns 3..7. Returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    study_uid = study_uid or generate_uid()
    paths = []
    for n, position in enumerate(positions):
        ds = base_dataset(syntax=syntax, series_uid=series_uid, study_uid=study_uid)
        ds.InstanceNumber = instance_numbers[n] if instance_numbers is not None else n + 1
        ds.ImagePositionPatient = [float(v) for v in position]
        ds.ImageOrientationPatient = [float(v) for v in orientation]
        ds.PixelSpacing = [spacing[0], spacing[1]]
        ds.SliceThickness = 1.0
        ds.RescaleSlope = slope
        ds.RescaleIntercept = intercept
        if window is not None:
            ds.WindowCenter, ds.WindowWidth = window
        stored = np.full((rows, columns), base + n, dtype=np.uint16)
        stored[2:6, 3:8] = base + 500
        set_pixels(ds, stored, bits_stored=12 if base + 600 < 4096 else 16)
        if compress:
            ds.compress(compress)
        path = folder / (names[n] if names is not None else f"slice_{n:04d}.dcm")
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def write_film(
    path: Path,
    stored: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    spacing: tuple[float, float] | None = (0.2, 0.2),
    spacing_keyword: str = "PixelSpacing",
    window: tuple[float, float] | None = None,
    slope: float = 1.0,
    intercept: float = 0.0,
    voi_lut: tuple[int, int, np.ndarray] | None = None,
    modality: str = "CR",
    syntax: str = ExplicitVRLittleEndian,
    compress: str | None = None,
    patient_orientation: str | None = "L\\F",
) -> Path:
    ds = base_dataset(CR_IMAGE_STORAGE, syntax=syntax, modality=modality)
    set_pixels(ds, stored, photometric=photometric)
    if spacing is not None:
        setattr(ds, spacing_keyword, list(spacing))
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
    if slope != 1.0 or intercept != 0.0:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    if voi_lut is not None:
        count, first, table = voi_lut
        item = Dataset()
        item.LUTDescriptor = [count, first, 16]
        item.add_new(0x00283006, "US", [int(v) for v in table])  # LUTData (US or OW: say which)
        ds.VOILUTSequence = [item]
    if patient_orientation:
        ds.PatientOrientation = patient_orientation.split("\\")
    ds.InstanceNumber = 1
    if compress:
        ds.compress(compress)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_enhanced_ct(
    path: Path,
    positions: Sequence[Sequence[float]],
    rows: int = 16,
    columns: int = 16,
    slope: float = 2.0,
    intercept: float = -100.0,
) -> Path:
    """A multi-frame (Enhanced CT-like) object with per-frame positions in the functional groups."""
    ds = base_dataset("1.2.840.10008.5.1.4.1.1.2.1")
    frames = np.stack([np.full((rows, columns), 10 * (n + 1), np.uint16) for n in range(len(positions))])
    set_pixels(ds, frames)
    ds.NumberOfFrames = len(positions)
    shared = Dataset()
    orient = Dataset()
    orient.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    shared.PlaneOrientationSequence = [orient]
    measures = Dataset()
    measures.PixelSpacing = [0.5, 0.5]
    measures.SliceThickness = 2.0
    shared.PixelMeasuresSequence = [measures]
    transform = Dataset()
    transform.RescaleSlope, transform.RescaleIntercept, transform.RescaleType = slope, intercept, "HU"
    shared.PixelValueTransformationSequence = [transform]
    ds.SharedFunctionalGroupsSequence = [shared]
    per_frame = []
    for position in positions:
        item, plane = Dataset(), Dataset()
        plane.ImagePositionPatient = [float(v) for v in position]
        item.PlanePositionSequence = [plane]
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = per_frame
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.5, 0.5]
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def axial_positions(
    count: int, spacing: float = 2.0, start: float = -50.0, x: float = -10.0, y: float = -20.0
) -> list[tuple[float, float, float]]:
    return [(x, y, start + spacing * n) for n in range(count)]


__all__ = [
    "restamp",
    "write_ct_series",
    "write_film",
    "write_enhanced_ct",
    "axial_positions",
    "base_dataset",
    "set_pixels",
    "ImplicitVRLittleEndian",
    "ExplicitVRLittleEndian",
]


def add_overlay(path: Path, mask: np.ndarray, *, group: int = 0x6000, origin: tuple[int, int] = (1, 1),
                label: str = "", embedded_bit: int | None = None) -> Path:
    """Give the image in ``path`` an overlay plane (PS3.3 C.9.2): ``mask`` (rows x columns of the
    overlay) at ``origin`` (1-based row, column), packed into Overlay Data, or set in bit
    ``embedded_bit`` of the stored pixel words (the retired embedded form: the image's BitsStored
    must leave that bit unused)."""
    from pydicom.pixels import pack_bits

    ds = pydicom.dcmread(path)
    rows, columns = mask.shape
    ds.add_new((group, 0x0010), "US", rows)
    ds.add_new((group, 0x0011), "US", columns)
    ds.add_new((group, 0x0040), "CS", "G")
    ds.add_new((group, 0x0050), "SS", list(origin))
    if label:
        ds.add_new((group, 0x1500), "LO", label)
    if embedded_bit is None:
        ds.add_new((group, 0x0100), "US", 1)
        ds.add_new((group, 0x0102), "US", 0)
        ds.add_new((group, 0x3000), "OW", pack_bits(mask.astype(np.uint8).ravel()))
    else:
        ds.add_new((group, 0x0100), "US", 16)
        ds.add_new((group, 0x0102), "US", embedded_bit)
        words = np.frombuffer(ds.PixelData, "<u2").reshape(ds.Rows, ds.Columns).copy()
        words[origin[0] - 1:origin[0] - 1 + rows, origin[1] - 1:origin[1] - 1 + columns] |= (
            mask.astype(np.uint16) << embedded_bit)
        ds.PixelData = words.tobytes()
    ds.save_as(path)
    return path


def voi_table_dataset() -> Dataset:
    """A 12-bit header whose VOI LUT Sequence (PS3.3 C.11.2.1.1) maps stored values 10, 11, 12 to
    0, 1000, 4000 (below the first entry: the first; above the last: the last)."""
    ds = Dataset()
    ds.PixelRepresentation, ds.BitsStored = 0, 12
    item = Dataset()
    item.LUTDescriptor = [3, 10, 16]
    item.add_new(0x00283006, "US", [0, 1000, 4000])
    ds.VOILUTSequence = [item]
    return ds


def write_segmentation(path: Path, sources: Sequence[Path], mask: np.ndarray, labels: Sequence[str],
                       colours: Sequence[tuple[int, int, int] | None] | None = None) -> Path:
    """A DICOM SEG (BINARY) written by highdicom over the CT files ``sources``: ``mask`` is
    (source, row, column, segment), segment n+1 labelled ``labels[n]`` and, where given,
    recommending ``colours[n]`` (sRGB, stored as CIELab). The sources get the Frame of Reference
    and the patient attributes the SEG IOD requires of them."""
    import highdicom as hd

    restamp(sources, FrameOfReferenceUID=pydicom.uid.generate_uid(), PositionReferenceIndicator="",
            PatientBirthDate="19700101", PatientSex="F")
    segments = [hd.seg.SegmentDescription(
        segment_number=n, segment_label=label,
        segmented_property_category=hd.sr.CodedConcept("49755003", "SCT", "Morphologically Altered Structure"),
        segmented_property_type=hd.sr.CodedConcept("108369006", "SCT", "Neoplasm"),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        display_color=hd.color.CIELabColor.from_rgb(*colour) if colour is not None else None)
        for n, (label, colour) in enumerate(zip(labels, colours or [None] * len(labels), strict=True), 1)]
    seg = hd.seg.Segmentation(
        source_images=[pydicom.dcmread(p) for p in sources], pixel_array=mask,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY, segment_descriptions=segments,
        series_instance_uid=hd.UID(), series_number=7, sop_instance_uid=hd.UID(), instance_number=1, manufacturer="test",
        manufacturer_model_name="test", software_versions="1", device_serial_number="1")
    path.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(path)
    return path



def foreign_measurement_report(image: Dataset, region_type: str, dicom_points: Sequence[tuple[float, float]],
                               measured: tuple[str, str, float, str, str], manufacturer: str,
                               identifier: str = "finding") -> Dataset:
    """A TID 1500 report another system writes (highdicom) of one region on ``image``: its type
    ("POLYLINE", "ELLIPSE"), its points in DICOM's pixel coordinates, and one value ``measured``
    (SCT code, meaning, value, UCUM unit, its meaning), observer Other^Reader."""
    from highdicom.sr import (
        Comprehensive3DSR,
        GraphicTypeValues,
        ImageRegion,
        MeasurementReport,
        ObservationContext,
        ObserverContext,
        PersonObserverIdentifyingAttributes,
        PlanarROIMeasurementsAndQualitativeEvaluations,
        SourceImageForRegion,
        TrackingIdentifier,
    )
    from highdicom.sr import Measurement as SrMeasurement
    from pydicom.sr.codedict import codes
    from pydicom.sr.coding import Code

    code, meaning, value, unit, unit_meaning = measured
    region = ImageRegion(GraphicTypeValues[region_type], np.array(dicom_points, dtype=float),
                         SourceImageForRegion(image.SOPClassUID, image.SOPInstanceUID))
    group = PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=TrackingIdentifier(uid=generate_uid(), identifier=identifier), referenced_region=region,
        measurements=[SrMeasurement(Code(code, "SCT", meaning), value, Code(unit, "UCUM", unit_meaning))])
    observer = ObserverContext(observer_type=codes.DCM.Person,
                               observer_identifying_attributes=PersonObserverIdentifyingAttributes(name="Other^Reader"))
    content = MeasurementReport(observation_context=ObservationContext(observer_person_context=observer),
                                procedure_reported=Code("363679005", "SCT", "Imaging procedure"),
                                imaging_measurements=[group])
    return Comprehensive3DSR(evidence=[image], content=content[0], series_instance_uid=generate_uid(), series_number=5,
                             sop_instance_uid=generate_uid(), instance_number=1, manufacturer=manufacturer)


def linear_rgb_icc_profile() -> bytes:
    """An ICC v2 RGB display profile, written byte by byte (ICC.1:2001-04): sRGB's primaries and
    white (D50-adapted colorants, as sRGB's own profile gives them) but a linear tone curve (an
    identity 'curv', gamma 1.0): a colour stored linear-light, as a scientific camera may write it."""
    import struct

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)

    ascii_text = b"linear-light sRGB primaries\0"
    desc = (b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text
            + b"\0" * 4 + b"\0" * 4 + b"\0" * 3 + b"\0" * 67)  # no Unicode, no ScriptCode description
    curve = b"curv" + b"\0" * 4 + struct.pack(">I", 0)  # no entries: the identity
    tags = [(b"desc", desc), (b"cprt", b"text" + b"\0" * 4 + b"public domain\0"),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)), (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
            (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        padded = body + b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += padded
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntr" + b"RGB " + b"XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 4 + b"\0" * 4 + b"\0" * 8 + b"\0" * 8 + struct.pack(">I", 0)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 4 + b"\0" * 44)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


PET_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
PET_DOSE, PET_HALF_LIFE, PET_WEIGHT = 370e6, 6586.2, 74.0  # Bq of F-18, s, kg; scanned 1 h after injection


def bq_per_ml_of_suv(suv: float | np.ndarray) -> np.ndarray:
    """Activity (Bq/mL) that is ``suv`` SUVbw one hour after injection (PET_DOSE, PET_WEIGHT):
    SUVbw = activity x weight (g) / decayed dose (Bq)."""
    decayed = PET_DOSE * 2.0 ** (-3600.0 / PET_HALF_LIFE)
    return np.asarray(suv, np.float64) * decayed / (PET_WEIGHT * 1000.0)


def write_pet_ct(root: Path, pet_suv: np.ndarray, *, frame_of_reference: str | None = None,
                 pet_frame_of_reference: str | None = None) -> tuple[list[Path], list[Path]]:
    """A PET/CT of one study, as a PET/CT scanner writes it: one Frame of Reference UID for both
    (unless told otherwise). The CT: 40 axial slices 2.5 mm apart from z = 0, 64 x 64 pixels of
    1 mm from (-32, -32), all 40 HU. The PET: ``pet_suv`` (k, j, i) in SUVbw, slices 5 mm apart
    from z = 1.25, pixels of 2 mm from (-31, -31) (another grid over the same patient), stored
    in Bq/mL (Rescale Slope 0.5) with the dose, weight and times SUVbw needs (C.8.9.1.1.3)."""
    frame = frame_of_reference or generate_uid()
    study = generate_uid()
    ct_paths = write_ct_series(root / "ct", [(-32.0, -32.0, 2.5 * n) for n in range(40)], rows=64, columns=64,
                               spacing=(1.0, 1.0), base=1064, study_uid=study)
    for path in ct_paths:
        ds = pydicom.dcmread(path)
        ds.PixelData = np.full((64, 64), 1064, np.uint16).tobytes()  # 40 HU throughout (no marker square)
        ds.FrameOfReferenceUID = frame
        ds.SeriesNumber, ds.SeriesDescription = 2, "CT for attenuation correction"
        ds.save_as(path)
    series = generate_uid()
    pet_paths = []
    stored = np.rint(bq_per_ml_of_suv(pet_suv) / 0.5).astype(np.uint16)
    for k in range(pet_suv.shape[0]):
        ds = base_dataset(PET_STORAGE, study_uid=study, series_uid=series, modality="PT")
        ds.SeriesNumber, ds.SeriesDescription = 3, "PET AC"
        ds.FrameOfReferenceUID = pet_frame_of_reference or frame
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [-31.0, -31.0, 1.25 + 5.0 * k]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [2.0, 2.0]
        ds.SliceThickness = 5.0
        ds.RescaleSlope, ds.RescaleIntercept = 0.5, 0.0
        ds.Units, ds.CorrectedImage, ds.DecayCorrection = "BQML", ["DECY", "ATTN", "SCAT"], "START"
        ds.PatientWeight = PET_WEIGHT
        ds.SeriesDate, ds.SeriesTime = "20260102", "093000"
        ds.AcquisitionDate, ds.AcquisitionTime = "20260102", "093000"
        drug = Dataset()
        drug.RadionuclideTotalDose, drug.RadionuclideHalfLife = PET_DOSE, PET_HALF_LIFE
        drug.RadiopharmaceuticalStartTime = "083000"
        ds.RadiopharmaceuticalInformationSequence = [drug]
        set_pixels(ds, stored[k])
        path = root / "pet" / f"pet_{k:03d}.dcm"
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        pet_paths.append(path)
    return ct_paths, pet_paths
