"""Query keys as a PACS matches them (PS3.4 C.2.2.2): dates as DA values or ranges, code strings
in capitals. What a reader types ("2026-03-14", "mr", "2006") is checked and written so here,
once for the CLI and the Query/Retrieve window, rather than sent as typed: "2006" went out as an
invalid DA (pydicom's warning on the terminal, no match), "mr" matched nothing on a DIMSE PACS."""
from __future__ import annotations

import re
from datetime import datetime

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d")


def _day(text: str, what: str) -> str:
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form).strftime("%Y%m%d")
        except ValueError:
            continue
    raise ValueError(f"{what} must be a date as YYYY-MM-DD, not {text!r}")


def query_date(text: str, what: str = "the date", range_allowed: bool = True) -> str:
    """A DA match value: one day, or (``range_allowed``) a range "A..B", or DICOM's own "A-B" of
    YYYYMMDD days, with either end open (PS3.4 C.2.2.2.5): "2026-01-01..2026-03-01" ->
    "20260101-20260301", "2026-01-01.." -> "20260101-"."""
    text = text.strip()
    dicom_range = re.fullmatch(r"(\d{8})?-(\d{8})?", text)
    if range_allowed and (".." in text or dicom_range):
        start, end = dicom_range.groups(default="") if dicom_range else text.split("..", 1)
        start, end = (_day(p.strip(), what) if p.strip() else "" for p in (start, end))
        if not start and not end:
            raise ValueError(f"{what}: a range needs at least one end, as YYYY-MM-DD..YYYY-MM-DD")
        if start and end and start > end:
            raise ValueError(f"{what}: the range {text!r} ends before it starts")
        return f"{start}-{end}"
    return _day(text, what)


def date_range(start: str, end: str, what: str = "the study date") -> str:
    """The window's From / To boxes as one DA range (either may be empty)."""
    return query_date(f"{start}..{end}", what)


def code_string(text: str) -> str:
    """A CS match value: codes are upper case (PS3.5 6.2), matched as written on a DIMSE PACS."""
    return text.strip().upper()


def person_name_query(text: str) -> str:
    """A PN match value from a name as the reader writes it. "DOE, JANE" (how Lightbox's lists
    show a name, and how names are said) becomes DICOM's "DOE^JANE" (PS3.5 6.2: components
    separated by "^"): copied back into a search it matched nothing, on either protocol. A value
    that already holds a "^", or no comma, is left as it is."""
    value = text.strip()
    if "^" in value or "," not in value:
        return value
    family, _, given = value.partition(",")
    return f"{family.strip()}^{given.strip()}" if given.strip() else family.strip()

