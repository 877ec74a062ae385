"""CSV files as a study lead's spreadsheet writes them: the case list and the reports table of an
evaluation session are typed in Excel or LibreOffice, not by a program.

What those programs write, and what is read here:

* **Delimiter.** Excel in a locale whose decimal mark is a comma (German, French, Italian, ...)
  writes ``;`` between fields, and "Unicode text" is tab-separated; some files start with
  Excel's ``sep=;`` line. The delimiter is the one under which the header names the most of the
  columns the reader knows (RFC 4180 fixes the comma, but no spreadsheet asks the user).
* **Column names** as people type them: ``Original Report``, `` study_path`` and
  ``Original-Report`` all name ``original_report`` (case, spaces and hyphens do not matter).
* **Rows left empty** (``;;;`` after the last case, as Excel writes cleared cells) are not cases.
* **Text encoding.** UTF-8 with or without a byte-order mark, and UTF-16 with one ("Unicode
  text"). Anything else is refused with how to save the file as UTF-8: Excel's plain "CSV" uses
  the computer's ANSI code page, which the bytes do not name, and guessing one (cp1252 for a
  Polish or Greek report) would change the report's letters without a word. So no statistical
  detector (charset-normalizer) either: it guesses among code pages from a few hundred bytes.

Rows are numbered as the spreadsheet numbers them: the header is row 1, each record one row even
when a quoted report spans several lines of the file. A row with more cells than the header has
is refused, not cut: a report with an unquoted comma would otherwise lose its end silently.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from .text_files import TextNotReadable, decoded

DELIMITERS = (",", ";", "\t")
SAVE_AS_UTF8 = ('save it as UTF-8: in Excel "CSV UTF-8 (Comma delimited)", in LibreOffice Calc '
                '"Text CSV" with the character set "Unicode (UTF-8)"')


class SpreadsheetError(ValueError):
    """A CSV that cannot be read as a table; the message names the file and what to do."""


@dataclass(frozen=True)
class CsvTable:
    columns: frozenset[str]  # the header's names, as column_name() writes them
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, values by column name)


def column_name(header: str) -> str:
    """``Original Report`` / `` original-report `` -> ``original_report``."""
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _delimiter(header_line: str, known: Collection[str]) -> str:
    """The delimiter under which the header names the most known columns (a comma on a tie)."""
    def named(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(column_name(c) in known for c in cells)

    return max(DELIMITERS, key=lambda d: (named(d), d == ","))


def read_csv_table(path: Path, known_columns: Collection[str]) -> CsvTable:
    """The table in ``path``. ``known_columns`` (as :func:`column_name` writes them) choose the
    delimiter; other columns are kept too. Raises :class:`SpreadsheetError`, or OSError."""
    try:
        text = decoded(path.read_bytes(), path.name, SAVE_AS_UTF8)
    except TextNotReadable as exc:
        raise SpreadsheetError(str(exc)) from exc
    lines = text.splitlines(keepends=True)
    declared = re.fullmatch(r"sep=(.)\r?\n?", lines[0]) if lines else None
    if declared:  # Excel's own line naming the delimiter (Excel does not show it as a row)
        delimiter, text = declared.group(1), "".join(lines[1:])
    else:
        delimiter = _delimiter(lines[0] if lines else "", known_columns)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        records = list(reader)
    except csv.Error as exc:
        raise SpreadsheetError(f"{path.name}: not a readable CSV table ({exc})") from exc
    if not records:
        return CsvTable(frozenset(), [])
    header = [column_name(h) for h in records[0]]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise SpreadsheetError(f"{path.name}: column(s) named twice: {', '.join(twice)}")
    rows, overfull = [], []
    for number, record in enumerate(records[1:], 2):
        if not any(cell.strip() for cell in record):
            continue  # an empty line, or cleared cells (";;;")
        if any(cell.strip() for cell in record[len(header):]):
            overfull.append(f"row {number} has {len(record)} cells, the header {len(header)}")
        rows.append((number, {h: cell for h, cell in zip(header, record) if h}))
    if overfull:
        shown = repr(delimiter) if delimiter != "\t" else "tab"
        raise SpreadsheetError(f"{path.name}: more cells than columns, nothing was read (a report with an unquoted "
                               f"{shown} inside it? put the report in double quotes):\n  " + "\n  ".join(overfull))
    return CsvTable(frozenset(h for h in header if h), rows)
