"""Generate a corpus of broken inputs from real DICOM files (written by ``dicom_factory``, or
taken from ../shared/data when it is there). Run as a script to write it somewhere to look at:

    python tests/broken_corpus.py OUT_DIR

Each entry says which file is broken and which words the user must see about it.
"""
from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dicom_factory import axial_positions, write_ct_series, write_film  # noqa: E402


@dataclass
class Broken:
    name: str  # file or folder, relative to the corpus root
    expect: str  # words that must appear in the message about it
    where: str = "error"  # "error" (index), "warning" (series), "load" (LoadError when opened)


def build(root: Path) -> list[Broken]:
    root.mkdir(parents=True, exist_ok=True)
    good = write_ct_series(root / "good_ct", axial_positions(6), rows=32, columns=32)
    donor = good[0].read_bytes()
    out: list[Broken] = []

    (root / "zero.dcm").write_bytes(b"")
    out.append(Broken("zero.dcm", "empty file"))
    (root / "truncated.dcm").write_bytes(donor[:300])
    out.append(Broken("truncated.dcm", "truncated: the file ends after its header (300 bytes)"))
    (root / "random.dcm").write_bytes(random.Random(7).randbytes(4096))
    out.append(Broken("random.dcm", "DICOM"))
    (root / "not_a_png.png").write_bytes(b"GIF89a not really")
    out.append(Broken("not_a_png.png", "not a readable PNG image"))

    nopix = write_film(root / "no_pixels.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(nopix)
    del ds.PixelData
    ds.save_as(nopix)
    out.append(Broken("no_pixels.dcm", "no pixel data", "load"))

    bits = write_film(root / "wrong_bits.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(bits)
    ds.BitsAllocated = 32  # 64 pixels x 4 bytes declared, 128 bytes present
    ds.save_as(bits)
    out.append(Broken("wrong_bits.dcm", "pixel data", "load"))

    short = write_film(root / "short_pixels.dcm", np.zeros((64, 64), np.uint16))
    ds = pydicom.dcmread(short)
    ds.PixelData = ds.PixelData[:1000]
    ds.save_as(short)
    out.append(Broken("short_pixels.dcm", "pixel data", "load"))

    unsupported = write_film(root / "mpeg2.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(unsupported)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2 Main Profile
    ds.PixelData = pydicom.encaps.encapsulate([b"\x00" * 64])
    ds["PixelData"].VR = "OB"
    ds.save_as(unsupported, enforce_file_format=True)
    out.append(Broken("mpeg2.dcm", "cannot be decoded", "load"))

    frames = write_film(root / "bad_frame_count.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(frames)
    ds.NumberOfFrames = 9
    ds.save_as(frames)
    element = b"\x28\x00\x08\x00IS\x02\x00"  # (0028,0008) IS, 2 bytes, explicit VR little endian
    assert frames.read_bytes().count(element + b"9 ") == 1
    frames.write_bytes(frames.read_bytes().replace(element + b"9 ", element + b"1A"))  # as pydicom's badVR.dcm has it
    out.append(Broken("bad_frame_count.dcm", "unreadable Number of Frames (0028,0008): '1A' is not a whole number"))

    huge = write_film(root / "huge.dcm", np.zeros((4, 4), np.uint16))
    ds = pydicom.dcmread(huge)
    ds.Rows = ds.Columns = 65535
    ds.save_as(huge)
    out.append(Broken("huge.dcm", "too large to display", "load"))

    write_ct_series(root / "missing_slice", [p for n, p in enumerate(axial_positions(8)) if n != 4])
    out.append(Broken("missing_slice", "gap in the slice stack", "warning"))
    write_ct_series(root / "duplicated", axial_positions(5) + axial_positions(5)[1:2])
    out.append(Broken("duplicated", "duplicated slice position", "warning"))
    uid, study = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    write_ct_series(root / "inconsistent", axial_positions(5), series_uid=uid, study_uid=study)
    write_ct_series(root / "inconsistent", [(0, 0, 0), (0, 1, 0)], orientation=(1, 0, 0, 0, 0, -1), series_uid=uid,
                    study_uid=study, names=["cor1.dcm", "cor2.dcm"])
    out.append(Broken("inconsistent", "mixed orientations", "warning"))
    write_ct_series(root / "mixed_series", axial_positions(4), names=[f"a{n}.dcm" for n in range(4)])
    write_ct_series(root / "mixed_series", axial_positions(3, start=0), names=[f"b{n}.dcm" for n in range(3)])

    names = write_film(root / "charset_utf8.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(names)
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = "Müller^Zoë=山田^太郎"
    ds.PatientID = "P-UTF8"
    ds.save_as(names)
    bad_charset = write_film(root / "charset_invalid.dcm", np.zeros((8, 8), np.uint16))
    ds = pydicom.dcmread(bad_charset)
    ds.SpecificCharacterSet = "ISO_IR 999"  # not a defined term
    ds.PatientID = "P-BADCS"
    ds.save_as(bad_charset)
    raw = bad_charset.read_bytes().replace(b"TEST^PATIENT", b"T\xe9ST^PATI\xffNT")  # same length: only the bytes are invalid
    bad_charset.write_bytes(raw)

    from pydicom.fileset import FileSet

    fs = FileSet()
    for path in good[:3]:
        fs.add(pydicom.dcmread(path))
    fs.write(root / "media")
    victim = sorted(p for p in (root / "media").rglob("*") if p.is_file() and p.name != "DICOMDIR")[0]
    victim.unlink()
    out.append(Broken("media/DICOMDIR", "missing on disk"))
    (root / "corpus.json").write_text(json.dumps([b.__dict__ for b in out], indent=2))
    return out


if __name__ == "__main__":
    entries = build(Path(sys.argv[1]))
    print(f"{len(entries)} broken inputs written to {sys.argv[1]}")
