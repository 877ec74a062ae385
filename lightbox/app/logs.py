"""Lightbox's log file, and the rule that it carries no patient identifiers.

The app logs what it did (opened a study of N images, drafted T tokens on a provider, failed to
read a file, and why) to ``<data dir>/logs/lightbox.log`` (rotated, 3 x 1 MB), never what the
study or the reader said: no question text, no report text. Whatever does reach a message, such as
a file path or an exception text, passes :class:`PhiRedactor` first, which replaces every value
registered for the studies seen in this session (patient's name and its components, patient ID,
birth date, accession number; PS3.15 Basic Profile attributes) with ``[PHI]``, case-insensitively.
Studies are registered as soon as they are indexed, before any error about their files is logged.
"""
from __future__ import annotations

import logging
import re
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

LOG = logging.getLogger("lightbox")
PHI_KEYS = ("patient_name", "patient_id", "patient_birth_date", "accession_number", "other_patient_ids")
MIN_LENGTH = 3  # shorter fragments ("M", "JR") would redact ordinary words


class PhiRedactor:
    """The identifiers registered so far, and text with them replaced by [PHI]."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def register(self, *values: Any) -> None:
        with self._lock:
            for value in values:
                text = str(value or "").strip()
                # a DICOM person name "DOE^JANE^^DR" is also written "Jane Doe", "Doe, Jane", "DOE_JANE"
                for part in {text, *re.split(r"[\^,\s_]+", text)}:
                    if len(part) >= MIN_LENGTH:
                        self._values.add(part)
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered), re.IGNORECASE) if ordered else None

    def redact(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub("[PHI]", text) if pattern is not None else text


REDACTOR = PhiRedactor()


class RedactingFormatter(logging.Formatter):
    """Writes each record to the log file with the registered identifiers replaced, its traceback
    included. A formatter, not a filter: the filter rewrote the record itself, which every other
    handler of the record then saw redacted (the test run's log capture turned "the" and "test"
    in unrelated messages into [PHI] once a study of TEST^PATIENT had been opened)."""

    def format(self, record: logging.LogRecord) -> str:
        return REDACTOR.redact(super().format(record))


def register_phi(metadata: dict[str, Any]) -> None:
    """Register a study's identifying attributes (overlay metadata keys) with the redactor."""
    REDACTOR.register(*(metadata.get(key, "") for key in PHI_KEYS))


def configure_logging(directory: Path | None = None) -> Path:
    """Send the ``lightbox`` logger to a rotating file in the data directory (once per process)."""
    from ..workflow.storage import default_data_dir

    folder = Path(directory) if directory is not None else default_data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lightbox.log"
    for handler in LOG.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path.resolve():
            return path
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    return path
