"""Wrap one patient's serial chest films from the public COVID-19 chest X-ray collection (in
../shared/data/cxr-notes) as DICOM studies, one study per day, so that "compare with prior" can
be shown on real serial films (the README's screenshot). Written to a folder you name, never into
the checkout; the films stay research/demo material (their licence is in pairs.csv) and carry no
calibration (the collection gives none).

    python tools/serial_films_as_dicom.py OUT [--patient 87] [--data ../shared/data]
"""
from __future__ import annotations

import argparse
import csv
import datetime
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightbox.demo_model.data import default_data_dir  # noqa: E402

FIRST_DAY = datetime.date(2020, 3, 2)  # the collection gives days since admission, not dates


def film_dataset(pixels: np.ndarray, row: dict[str, str], patient: str, study_uid: str, day: datetime.date) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID = f"COVIDCXR^{patient}", f"covid-chestxray-{patient}"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, generate_uid()
    ds.StudyDate = ds.SeriesDate = day.strftime("%Y%m%d")
    ds.StudyTime = "120000"
    ds.StudyDescription = f"Chest radiograph, day {row['offset_days']} (public collection, demo)"
    ds.SeriesDescription = f"{row['view_raw']} chest"
    ds.Modality, ds.BodyPartExamined, ds.ViewPosition = "DX", "CHEST", row["view_raw"]
    ds.ConversionType, ds.SeriesNumber, ds.InstanceNumber = "WSD", 1, 1
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()
    ds.ImageComments = f"From {row['source_path']} ({row['license']}); research/demo, not for clinical use"
    return ds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--patient", default="87")
    parser.add_argument("--data", type=Path, default=default_data_dir())
    args = parser.parse_args()
    folder = args.data / "cxr-notes" / "covid-chestxray"
    rows = [r for r in csv.DictReader((folder / "pairs.csv").open()) if r["patient_id"] == args.patient]
    if not rows:
        print(f"no films of patient {args.patient} in {folder / 'pairs.csv'}", file=sys.stderr)
        return 2
    for row in rows:
        day = FIRST_DAY + datetime.timedelta(days=int(row["offset_days"] or 0))
        pixels = np.asarray(Image.open(folder / row["image_file"]).convert("L"))
        ds = film_dataset(pixels, row, args.patient, generate_uid(), day)
        path = args.out / f"day{int(row['offset_days'] or 0):03d}" / "film.dcm"
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
