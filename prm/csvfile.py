"""Reading an uploaded CSV file for an import: one set of limits and messages for every import.

``decode_upload`` turns the bytes into text (UTF-8, with or without a BOM, at most 5 MB);
``read_table`` checks the header with the import's own rule and returns the non-blank rows,
numbered as a spreadsheet shows them. Both raise ``ImportFileError`` saying what to fix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

Row = tuple[int, dict[str, str]]  # (row number as a spreadsheet shows it, values by column)


class ImportFileError(ValidationError):
    """The file as a whole cannot be read: wrong size, encoding, header or row count."""


def decode_upload(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is 5 MB. Split it and import the parts."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (line {line}). Save it as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in text:
        raise ImportFileError(
            "This is not a CSV text file. Save the sheet as “CSV UTF-8” and upload it again."
        )
    return text


def read_table(text: str, check_header: Callable[[list[str], list[list[str]]], list[str]]) -> list[Row]:
    """The rows of ``text``. ``check_header(header, records)`` returns the column name of each
    position ("" for a column to ignore) or raises ``ImportFileError``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise ImportFileError("The file is empty: the first row must name the columns.")
        records = list(reader)
    except csv.Error as exc:
        raise ImportFileError(f"The file is not valid CSV: {exc}.") from None
    names = check_header(header, records)
    rows: list[Row] = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines are not rows
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            raise ImportFileError(
                f"Row {number} has {len(record)} cells but the header names {len(header)} columns. "
                "Put values that contain commas in double quotes."
            )
        rows.append(
            (
                number,
                {
                    name: (record[i].strip() if i < len(record) else "")
                    for i, name in enumerate(names)
                    if name
                },
            )
        )
    if not rows:
        raise ImportFileError("The file has a header but no rows to import.")
    if len(rows) > MAX_ROWS:
        raise ImportFileError(
            f"The file has {len(rows):,} rows; import at most {MAX_ROWS:,} at a time (split the file)."
        )
    return rows


# --- writing: one writer for every export -----------------------------------------------------

# A cell a spreadsheet would run as a formula when it opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is written as plain text (a leading quote);
    numbers, and text that is a plain number (``-12.50``), stay as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell passes ``safe_cell``: what a partner typed reaches staff's
    spreadsheets as text, never as a live formula."""

    def __init__(self, file: Any, **options: Any) -> None:
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV file as text (empty cells for None), every cell made safe."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow("" if value is None else value for value in row)
    return out.getvalue()
