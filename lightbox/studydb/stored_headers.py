"""DICOM headers kept in the study database, so that reopening a study does not parse its files.

A header is stored as pydicom's own raw elements (tag, VR, length, value bytes, file offset: the
``RawDataElement`` tuples its reader and :mod:`lightbox.viewer.header_reader` make), laid out as
little-endian arrays and one block of value bytes. Rebuilding the dataset from them skips the
walk through the file's bytes, and values still convert lazily, by pydicom, exactly as they would
from the file (measured on the LIDC series: about 0.6 of the fast header reader's time;
``benchmarks/bench_study_database.py``).

Why not pickle, although unpickling pydicom datasets is faster still (about 0.4 of the reader's time
in the same run): a PostgreSQL study database is shared between workstations, and unpickling what
another machine wrote runs whatever it says. This format holds numbers and bytes only; a blob that
does not decode, or a file whose size or modification time changed since it was stored, is read
from the file again (:meth:`lightbox.studydb.catalog.StudyCatalog.header_reader`).

Only headers whose every element is still raw are stored: sequences of undefined length come
back from pydicom's reader parsed, and those files are read from disk on reopening, as before.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileDataset
from pydicom.tag import BaseTag

from ..viewer.header_reader import assemble_dataset

MAGIC = b"LBH1"
_HEAD = struct.Struct("<4sBBIIQ")  # magic, implicit VR, preamble present, meta count, element count, pixel offset
_NO_VR = b"\x00\x00"  # implicit VR: pydicom's raw VR is None
_NO_VALUE = -1
_new_tuple = tuple.__new__


def _raw_elements(dataset: Dataset, implicit: bool) -> list[RawDataElement] | None:
    """The elements, when each is raw, little endian and of the one VR encoding stored for the
    group (pydicom's reader may switch encoding inside a file that contradicts its syntax)."""
    elements = list(dataset._dict.values())  # noqa: SLF001 - the raw form is what is stored
    if not all(isinstance(e, RawDataElement) and e.is_little_endian and e.is_implicit_VR == implicit
               and e.is_raw and not e.is_buffered for e in elements):
        return None
    return elements  # type: ignore[return-value]


def _columns(elements: list[RawDataElement], values: bytearray) -> bytes:
    """One group of elements as little-endian arrays; their values appended to ``values``."""
    count = len(elements)
    tags = np.fromiter((int(e.tag) for e in elements), "<u4", count)
    lengths = np.fromiter((e.length for e in elements), "<u4", count)
    tells = np.fromiter((e.value_tell for e in elements), "<u8", count)
    sizes = np.empty(count, "<i8")
    vrs = bytearray()
    for n, element in enumerate(elements):
        vrs += element.VR.encode("ascii") if element.VR is not None else _NO_VR
        if element.value is None:
            sizes[n] = _NO_VALUE
        else:
            sizes[n] = len(element.value)
            values += element.value
    return tags.tobytes() + bytes(vrs) + lengths.tobytes() + tells.tobytes() + sizes.tobytes()


def encode_header(dataset: FileDataset, pixel_offset: int) -> bytes | None:
    """The stored form of a header read from a file, or None when it cannot be stored (an element
    pydicom has already converted, a dataset not read from a little-endian Part 10 file)."""
    meta = getattr(dataset, "file_meta", None)
    if meta is None or not dataset.is_little_endian or dataset.is_implicit_VR is None:
        return None
    meta_elements, elements = _raw_elements(meta, False), _raw_elements(dataset, bool(dataset.is_implicit_VR))
    if meta_elements is None or elements is None:
        return None
    preamble = dataset.preamble or b""
    if len(preamble) not in (0, 128):
        return None
    values = bytearray()
    body = _columns(meta_elements, values) + _columns(elements, values)
    head = _HEAD.pack(MAGIC, int(bool(dataset.is_implicit_VR)), int(bool(preamble)), len(meta_elements),
                      len(elements), pixel_offset)
    return head + preamble + body + bytes(values)


class StoredHeaderError(ValueError):
    """A stored header that does not decode (then the file is read instead)."""


def _group(blob: bytes, at: int, count: int, values: bytes, value_at: int, implicit: bool
           ) -> tuple[dict[BaseTag, RawDataElement], int, int]:
    """Decode one group of elements written by :func:`_columns`; returns the elements and where
    the next group's arrays and values begin."""
    tags = np.frombuffer(blob, "<u4", count, at).tolist()
    at += 4 * count
    vrs = blob[at:at + 2 * count]
    at += 2 * count
    lengths = np.frombuffer(blob, "<u4", count, at).tolist()
    at += 4 * count
    tells = np.frombuffer(blob, "<u8", count, at).tolist()
    at += 8 * count
    sizes = np.frombuffer(blob, "<i8", count, at).tolist()
    at += 8 * count
    elements: dict[BaseTag, RawDataElement] = {}
    for n, (tag, length, tell, size) in enumerate(zip(tags, lengths, tells, sizes)):
        vr_bytes = vrs[2 * n:2 * n + 2]
        vr = None if vr_bytes == _NO_VR else vr_bytes.decode("ascii")
        if size == _NO_VALUE:
            value = None
        else:
            value = values[value_at:value_at + size]
            value_at += size
        key = BaseTag(tag)
        # the tuple RawDataElement(key, vr, length, value, tell, implicit, True) makes, without
        # the namedtuple's Python-level __new__ (a third of the decoding time)
        elements[key] = _new_tuple(RawDataElement, (key, vr, length, value, tell, implicit, True, True, False))
    return elements, at, value_at


def decode_header(blob: bytes, path: Path | str) -> tuple[FileDataset, int]:
    """The dataset and pixel offset :func:`encode_header` stored, as the file's reader gives them."""
    try:
        magic, implicit_flag, has_preamble, meta_count, count, pixel_offset = _HEAD.unpack_from(blob, 0)
        if magic != MAGIC:
            raise StoredHeaderError("not a stored header")
        at = _HEAD.size
        preamble = blob[at:at + 128] if has_preamble else None
        at += 128 if has_preamble else 0
        implicit = bool(implicit_flag)
        arrays_end = at + 26 * (meta_count + count)  # 4 + 2 + 4 + 8 + 8 bytes per element
        if arrays_end > len(blob):
            raise StoredHeaderError("truncated")
        values = blob[arrays_end:]
        meta, at, value_at = _group(blob, at, meta_count, values, 0, False)
        elements, at, value_at = _group(blob, at, count, values, value_at, implicit)
        if at != arrays_end or value_at != len(values):
            raise StoredHeaderError("lengths do not add up")
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise StoredHeaderError(str(exc)) from exc
    return assemble_dataset(str(path), meta, elements, preamble, implicit), pixel_offset
