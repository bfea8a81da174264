"""Reading the databases' spreadsheets: xlsx (openpyxl), xls (xlrd) and csv, by column name.

The official label files differ in small ways (docs/databases.md §1.4, 2.2, 3.2, 4.2): SAMM puts
its header below 13 preamble rows, CASME II has two blank header cells, CAS(ME)^2 has no header
at all, numbers and text are mixed in one column. These helpers turn any of them into plain rows
of Python values, find the header row, and convert cells the way every loader needs.
No library reads "a table whose header is somewhere in the first 20 rows", so that part is ours.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Sequence

from common.errors import MersuiteError


class DatasetError(MersuiteError):
    """A database root, spreadsheet or frame folder is not what the loader expects (one clear message)."""


class DatabaseNotFound(DatasetError):
    """Nothing under the root carries the database's signature (as opposed to a database that is broken)."""


def read_rows(path: str | Path, sheet: int = 0) -> list[list[Any]]:
    """All rows of one sheet (``.xlsx``/``.xlsm`` via openpyxl, ``.xls`` via xlrd, ``.csv``) as lists of values.

    Empty cells are ``None``. A file that cannot be opened raises ``DatasetError`` naming it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                sheets = book.worksheets
                if sheet >= len(sheets):
                    raise DatasetError(f"{path}: expected at least {sheet + 1} sheet(s), found {len(sheets)}")
                rows = [list(row) for row in sheets[sheet].iter_rows(values_only=True)]
            finally:
                book.close()
        elif suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path))
            if sheet >= book.nsheets:
                raise DatasetError(f"{path}: expected at least {sheet + 1} sheet(s), found {book.nsheets}")
            table = book.sheet_by_index(sheet)
            rows = [[None if c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else c.value for c in table.row(i)]
                    for i in range(table.nrows)]
        elif suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as handle:
                rows = [[cell if cell != "" else None for cell in row] for row in csv.reader(handle)]
        else:
            raise DatasetError(f"{path}: expected a .xlsx, .xls or .csv spreadsheet")
    except DatasetError:
        raise
    except Exception as error:  # openpyxl/xlrd raise many types for a damaged file
        raise DatasetError(f"{path}: cannot read this spreadsheet ({type(error).__name__}: {error})") from None
    # Trailing empty cells and rows carry nothing.
    return [row for row in rows if any(not is_blank(cell) for cell in row)]


def sheet_count(path: str | Path) -> int:
    """Number of sheets in a workbook (1 for csv)."""
    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True)
            try:
                return len(book.worksheets)
            finally:
                book.close()
        if path.suffix.lower() == ".xls":
            import xlrd

            return xlrd.open_workbook(str(path), on_demand=True).nsheets
    except Exception as error:
        raise DatasetError(f"{path}: cannot read this spreadsheet ({type(error).__name__}: {error})") from None
    return 1


def is_blank(value: Any) -> bool:
    return (value is None or (isinstance(value, float) and math.isnan(value))
            or (isinstance(value, str) and not value.strip()))


def header_names(row: Sequence[Any]) -> list[str]:
    """Header cells as stripped strings; a blank header becomes ``Unnamed: <i>`` as pandas names it."""
    return [f"Unnamed: {i}" if is_blank(cell) else str(cell).strip() for i, cell in enumerate(row)]


def find_header(rows: Sequence[Sequence[Any]], required: Iterable[str], path: Path, scan: int = 20) -> int:
    """Index of the first row (within ``scan`` rows) holding every ``required`` column name (case-insensitive)."""
    wanted = {name.lower() for name in required}
    for index, row in enumerate(rows[:scan]):
        names = {name.lower() for name in header_names(row)}
        if wanted <= names:
            return index
    raise DatasetError(
        f"{path}: expected a header row with the columns {', '.join(sorted(required))} within its first "
        f"{scan} rows; found none (first row: {header_names(rows[0]) if rows else 'empty sheet'})"
    )


def read_records(path: str | Path, required: Sequence[str], sheet: int = 0) -> list[dict[str, Any]]:
    """The sheet's data rows as dicts keyed by header name (original spelling, stripped).

    The header row is found dynamically (``find_header``); keys are matched case-insensitively by
    ``cell(record, name)``.
    """
    path = Path(path)
    rows = read_rows(path, sheet)
    if not rows:
        raise DatasetError(f"{path}: expected a header row with the columns {', '.join(required)}; the sheet is empty")
    start = find_header(rows, required, path)
    names = header_names(rows[start])
    records = []
    for row in rows[start + 1:]:
        record = {name: (row[i] if i < len(row) else None) for i, name in enumerate(names)}
        records.append(record)
    return records


def cell(record: dict[str, Any], name: str) -> Any:
    """A record's value for column ``name`` (case-insensitive); ``None`` when the column is absent."""
    if name in record:
        return record[name]
    lowered = name.lower()
    for key, value in record.items():
        if key.lower() == lowered:
            return value
    return None


def has_column(records: Sequence[dict[str, Any]], name: str) -> bool:
    return bool(records) and any(key.lower() == name.lower() for key in records[0])


def to_int(value: Any) -> int | None:
    """An integer cell: 46, 46.0, "46" -> 46; blank, "/", "-", "?", -1 and non-numbers -> None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            return None
        number = int(value)
    else:
        text = str(value).strip()
        try:
            number = int(float(text))
        except ValueError:
            return None
    return None if number < 0 else number


def to_text(value: Any) -> str:
    """A text cell: numbers without a spurious ``.0`` (AU ``12.0`` -> ``"12"``), blanks -> ``""``."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
