"""The character set of the documents Lightbox writes."""
from __future__ import annotations

from pydicom.dataset import Dataset

UTF8 = "ISO_IR 192"  # PS3.3 C.12.1.1.2: Unicode in UTF-8, every script in one value


def in_utf8(document: Dataset) -> Dataset:
    """``document`` declared (and so written) in UTF-8.

    A report is typed in any script, but highdicom copies the evidence's Specific Character Set
    (ISO_IR 100, Latin-1, on most Western images): pydicom wrote a Japanese sentence of a report as
    "????" (with a warning no reader sees), and a Polish or Greek one fared the same; a document
    built by hand had none (ASCII only). The values a document holds are text already (pydicom
    reads an image's values into text with the image's own set), so they are written as they read.
    Pydicom's ``Dataset.decode`` is not used: it encodes a name typed in Python as Latin-1 first
    ("Łukasz" became "?ukasz"). The set is a new element, not the old one changed: an evidence
    copy shares its elements with the image the viewer holds."""
    if "SpecificCharacterSet" in document:
        del document["SpecificCharacterSet"]
    document.SpecificCharacterSet = UTF8
    return document
