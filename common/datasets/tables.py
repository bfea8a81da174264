"""Reading the databases' spreadsheets: xlsx (openpyxl), xls (xlrd) and csv, by column name.

The official label files differ in small ways (docs/databases.md §1.4, 2.2, 3.2, 4.2): SAMM puts
its header below 13 preamble rows, CASME II has two blank header cells, CAS(ME)^2 has no header
at all, numbers and text are mixed in one column. These helpers turn any of them into plain rows
of Python values, find the header row, and convert cells the way every loader needs. The sheet of a
table is chosen by content, the first whose header has the columns the loader needs (a blank cover
sheet before it is skipped and the choice recorded), never by position alone.
No library reads "a table whose header is somewhere in the first 20 rows", so that part is ours.
"""
from __future__ import annotations

import csv
import dataclasses
import itertools
import math
import os
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Sequence

from defusedxml import DefusedXmlException

from common.errors import MersuiteError
from common.files import bounded_lines, zip_members, open_regular

HEADER_SCAN = 20  # rows searched for a header (SAMM's sits below 13 preamble rows)
# What a label workbook may claim, checked before openpyxl reads it (which builds a cell for every cell of a merged
# range, and walks every cell of a sheet's rows x columns): the largest label file, SAMM's, spans about 160 rows
# x 20 columns and inflates to well under a megabyte.
SHEET_CELLS = 1_000_000  # cells one sheet's extent (declared or found), or one merged range, may span
# Cells one sheet may write, counted in its XML before openpyxl builds them (openpyxl takes about 30 s and a GB for
# a million, and loads a workbook twice): ten times the largest label file's, CAS(ME)^3 part A's, about 9,000.
WRITTEN_CELLS = 100_000
WORKBOOK_BYTES = 64 << 20  # the workbook's members, inflated
NAME_BYTES = 255  # the longest file or folder name ext4, XFS and APFS take, in UTF-8 bytes
WHOLE_NUMBERS = 10 ** 9  # the largest frame or subject number a cell may hold (over 57 days of frames at 200 fps)
_MERGED = re.compile(rb"<(?:[A-Za-z0-9_]+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+)([0-9]+)(?::([A-Za-z]+)([0-9]+))?\"")
_DIMENSION = re.compile(rb'<(?:[A-Za-z0-9_]+:)?dimension\b[^>]*?\bref="\$?([A-Za-z]{1,3})\$?([0-9]{1,7})'
                        rb'(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?"')  # a sheet's declared extent, "A1:L160"
_CELL = re.compile(rb"<(?:[A-Za-z0-9_]+:)?c[\s/>]")
# XML in UTF-16 or UTF-32, told by its first bytes (a byte-order mark, or "<" beside zero bytes; XML 1.0 Appendix F),
# longest first: its markup is counted once read as UTF-8 (the byte patterns above match UTF-8 and ASCII only).
_WIDE_XML = ((b"\x00\x00\xfe\xff", "utf-32-be", 4), (b"\xff\xfe\x00\x00", "utf-32-le", 4),
             (b"\x00\x00\x00<", "utf-32-be", 0), (b"<\x00\x00\x00", "utf-32-le", 0), (b"\xfe\xff", "utf-16-be", 2),
             (b"\xff\xfe", "utf-16-le", 2), (b"\x00<", "utf-16-be", 0), (b"<\x00", "utf-16-le", 0))


def _as_utf8(data: bytes) -> bytes:
    """A workbook member's bytes as UTF-8 where they are XML in UTF-16 or UTF-32 (an Office metadata part may be),
    so that the counts read its markup; any other member as it is."""
    for start, encoding, skip in _WIDE_XML:
        if data.startswith(start):
            return data[skip:].decode(encoding, "replace").encode("utf-8")
    return data


class DatasetError(MersuiteError):
    """A database root, spreadsheet or frame folder is not what the loader expects (one clear message)."""


class DatabaseNotFound(DatasetError):
    """Nothing under the root carries the database's signature (as opposed to a database that is broken)."""


def read_sheets(path: str | Path) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet of a spreadsheet as ``(sheet name, rows)``, in the workbook's order (``.xlsx``/``.xlsm``
    via openpyxl, ``.xls`` via xlrd; a ``.csv`` is one sheet named after the file); rows as :func:`read_rows`.

    A file that cannot be opened raises ``DatasetError`` naming it.
    """
    return [(name, [row for _, row in rows]) for name, rows in read_numbered_sheets(path)]


def read_numbered_sheets(path: str | Path) -> list[tuple[str, list[tuple[int, list[Any]]]]]:
    """:func:`read_sheets` with each row's number as the spreadsheet program shows it (1 for the first row; a
    csv's record number): ``(sheet name, [(row number, cells)])``, so that a refused cell names its row."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            sheets = _xlsx_sheets(path)
        elif suffix == ".xls":
            sheets = _xls_sheets(path)
        elif suffix == ".csv":
            sheets = [(path.name, _csv_rows(path))]
        else:
            raise DatasetError(f"{path}: expected a .xlsx, .xls or .csv spreadsheet")
    except DatasetError:
        raise
    except Exception as error:  # boundary: openpyxl/xlrd raise many types for a damaged file
        raise DatasetError(f"{path}: cannot read this spreadsheet ({type(error).__name__}: {error})") from None
    # Empty rows carry nothing.
    return [(name, [(number, row) for number, row in enumerate(rows, 1) if any(not is_blank(cell) for cell in row)])
            for name, rows in sheets]


def bounded_rows(rows: Iterable[Any], path: Path) -> list[Any]:
    """The rows of a csv reader (``csv.reader``'s lists, ``csv.DictReader``'s dicts, a surplus under ``None``
    counted too) of the label file ``path`` as a list, their cells at most :data:`WRITTEN_CELLS` (a workbook
    sheet's bound: a few MB of commas would otherwise be held as tens of millions of Python objects).
    ``DatasetError`` naming the file and the row otherwise."""
    kept: list[Any] = []
    cells = 0
    for row in rows:
        cells += len(row) + (len(row.get(None) or ()) if isinstance(row, dict) else 0)
        if cells > WRITTEN_CELLS:
            raise DatasetError(f"{path}: more than {WRITTEN_CELLS:,} cells (by row {len(kept) + 1}); expected a "
                               f"label table of at most {WRITTEN_CELLS:,}")
        kept.append(row)
    return kept


def _csv_rows(path: Path) -> list[list[Any]]:
    """A label ``.csv``'s rows (:func:`bounded_rows`), an empty cell as None."""
    with open_regular(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        return [[cell if cell != "" else None for cell in row]
                for row in bounded_rows(csv.reader(bounded_lines(handle)), path)]


def _xlsx_sheets(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """The sheets of a workbook as it shows them: each cell's saved value, a merged range's value in every
    cell of the range where it spans rows (a subject written once beside its clips stands for each of them;
    a range within one row, a header or a note across columns, stays one cell, as before). A formula without a
    saved value (a workbook written by a script and never opened in a spreadsheet program) is refused: read
    as empty, it would silently drop what the cell annotates."""
    import openpyxl

    if not openpyxl.DEFUSEDXML:  # the dependency installed, and not turned off (OPENPYXL_DEFUSEDXML=False)
        raise DatasetError(f"{path}: openpyxl would expand the XML entities of this workbook (defusedxml, a dependency "
                           "of this suite, is missing or OPENPYXL_DEFUSEDXML is False); not read")
    _check_workbook(path)
    # Not read-only: merged ranges and each cell's formula are only known to a full load; label files are small.
    try:
        values = openpyxl.load_workbook(path, data_only=True)
        formulas = openpyxl.load_workbook(path, data_only=False)
    except ValueError as error:  # openpyxl wraps defusedxml's refusal of an entity in a part it reads
        cause: BaseException | None = error
        for _ in range(16):  # the chain of causes, bounded
            if cause is None or isinstance(cause, DefusedXmlException):
                break
            cause = cause.__cause__ or cause.__context__
        if not isinstance(cause, DefusedXmlException):
            raise
        raise DatasetError(f"{path}: its XML declares an entity, a DTD or an external reference "
                           f"({type(cause).__name__}), which could write cells no bound before the load sees; "
                           "expected a workbook as spreadsheet programs write it (none declares one)") from None
    sheets = []
    for ws, fs in zip(values.worksheets, formulas.worksheets):
        if ws.max_row * ws.max_column > SHEET_CELLS:
            raise DatasetError(f"{path}: sheet {ws.title!r} spans {ws.dimensions} ({ws.max_row} rows x "
                               f"{ws.max_column} columns); expected a label table of at most {SHEET_CELLS:,} cells")
        for row in fs.iter_rows():
            for c in row:
                if c.data_type == "f" and ws[c.coordinate].value is None:
                    raise DatasetError(
                        f"{path}: sheet {ws.title!r}, cell {c.coordinate} holds a formula ({str(c.value)[:40]}) "
                        f"without a saved value; open and save the workbook in a spreadsheet program, "
                        f"or write values instead of formulas")
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
        for merged in ws.merged_cells.ranges:
            if merged.max_row == merged.min_row:  # within one row: no row stands for another
                continue
            top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(rows[r]))):
                    rows[r][c] = top
        sheets.append((ws.title, rows))
    return sheets


def _column(letters: bytes) -> int:
    """A spreadsheet column's number from its letters (A 1, Z 26, AA 27)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _range_cells(first_col: bytes, first_row: bytes, last_col: bytes | None, last_row: bytes | None) -> int:
    """The cells of the range ``A1:C3`` (``A1`` alone: one) a sheet's XML names, from its letters and digits."""
    last_col, last_row = last_col or first_col, last_row or first_row
    return (abs(_column(last_col) - _column(first_col)) + 1) * (abs(int(last_row) - int(first_row)) + 1)


def _check_workbook(path: Path) -> None:
    """What an ``.xlsx`` claims, checked before openpyxl reads it: its members (``common.files.zip_members``: names
    inside the archive, sizes that their compression can give, :data:`WORKBOOK_BYTES` in all); each sheet's
    declared extent (its ``<dimension ref=...>``) and each merged range at most :data:`SHEET_CELLS` cells, and the
    cells it writes at most :data:`WRITTEN_CELLS` (counted in its XML, whatever it declares). ``DatasetError``
    naming the file and the sheet's member otherwise, before openpyxl builds a cell (a member in UTF-16 or UTF-32
    counted as UTF-8: :func:`_as_utf8`). An entity, which could write cells or ranges these counts never see, is
    never expanded: openpyxl parses with defusedxml, which refuses one (:func:`_xlsx_sheets`). Every member is
    checked as a
    sheet, not only those under ``xl/worksheets/``: openpyxl reads a sheet from wherever the workbook's
    relationships place it, whatever its folder or name (no other member holds sheet cells or merged ranges)."""
    expected = f"expected a label table of at most {SHEET_CELLS:,} cells"
    try:
        members = zip_members(path, WORKBOOK_BYTES)
        with zipfile.ZipFile(path) as archive:
            for info in members:
                data = _as_utf8(archive.read(info))
                dimension = _DIMENSION.search(data)
                if dimension and _range_cells(*dimension.groups()) > SHEET_CELLS:
                    declared = dimension[0].split(b'ref="')[1].rstrip(b'"').decode()
                    raise DatasetError(f"{path}: {info.filename} declares the extent {declared} "
                                       f"({_range_cells(*dimension.groups()):,} cells); {expected}")
                written = sum(1 for _ in itertools.islice(_CELL.finditer(data), WRITTEN_CELLS + 1))
                if written > WRITTEN_CELLS:
                    raise DatasetError(f"{path}: {info.filename} writes more than {WRITTEN_CELLS:,} cells; expected a "
                                       f"label table of at most {WRITTEN_CELLS:,}")
                merged = 0  # cells of all the sheet's merged ranges: openpyxl builds each, however they overlap
                for match in _MERGED.finditer(data):
                    cells = _range_cells(*match.groups())
                    merged += cells
                    if cells > SHEET_CELLS:
                        first_col, first_row, last_col, last_row = match.groups()
                        ref = b"%s%s:%s%s" % (first_col, first_row, last_col or first_col, last_row or first_row)
                        raise DatasetError(f"{path}: {info.filename} merges {ref.decode()} ({cells:,} cells); "
                                           f"{expected}")
                    if merged > SHEET_CELLS:
                        raise DatasetError(f"{path}: {info.filename} merges more than {SHEET_CELLS:,} cells in all "
                                           f"(its ranges together); {expected}")
    except (ValueError, zipfile.BadZipFile, OSError) as error:
        raise DatasetError(f"{path}: cannot read this spreadsheet ({error})") from None


def _xls_sheets(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """An ``.xls`` workbook's sheets, merged ranges filled as :func:`_xlsx_sheets` does (the format always
    stores a formula's value, so there is nothing to refuse). Bounded as an ``.xlsx`` is: each sheet's extent, and
    its merged ranges together, at most :data:`SHEET_CELLS` cells, checked before a row is built (xlrd keeps the
    rows as the file writes them, ``ragged_rows``; one cell far down and right would otherwise stand for millions,
    and a few thousand ranges over them would be filled cell by cell for hours)."""
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True, ragged_rows=True)  # formatting_info: merged ranges
    expected = f"expected a label table of at most {SHEET_CELLS:,} cells"
    sheets = []
    for table in book.sheets():
        if table.nrows * table.ncols > SHEET_CELLS:
            raise DatasetError(f"{path}: sheet {table.name!r} spans {table.nrows} rows x {table.ncols} columns; "
                               f"{expected}")
        if sum(max(0, row_hi - row_lo) * max(0, col_hi - col_lo)
               for row_lo, row_hi, col_lo, col_hi in table.merged_cells) > SHEET_CELLS:
            raise DatasetError(f"{path}: sheet {table.name!r} merges more than {SHEET_CELLS:,} cells in all (its "
                               f"ranges together); {expected}")
        rows = []
        for i in range(table.nrows):
            row = [None if c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else c.value for c in table.row(i)]
            rows.append(row + [None] * (table.ncols - len(row)))  # every row as wide as the sheet, as xlsx gives
        for row_lo, row_hi, col_lo, col_hi in table.merged_cells:  # half-open ranges
            if row_hi - row_lo < 2:  # within one row: no row stands for another
                continue
            top = rows[row_lo][col_lo] if row_lo < len(rows) and col_lo < len(rows[row_lo]) else None
            for r in range(row_lo, min(row_hi, len(rows))):
                for c in range(col_lo, min(col_hi, len(rows[r]))):
                    rows[r][c] = top
        sheets.append((table.name, rows))
    return sheets


def read_rows(path: str | Path, sheet: int = 0) -> list[list[Any]]:
    """All rows of one sheet, by position (``.xlsx``/``.xlsm`` via openpyxl, ``.xls`` via xlrd, ``.csv``), as
    lists of values, without the rows that are entirely empty.

    Empty cells are ``None``. A file that cannot be opened raises ``DatasetError`` naming it.
    """
    sheets = read_sheets(path)
    if sheet >= len(sheets):
        raise DatasetError(f"{path}: expected at least {sheet + 1} sheet(s), found {len(sheets)}")
    return sheets[sheet][1]


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
    except Exception as error:  # boundary: openpyxl/xlrd raise many types for a damaged file
        raise DatasetError(f"{path}: cannot read this spreadsheet ({type(error).__name__}: {error})") from None
    return 1


def is_blank(value: Any) -> bool:
    return (value is None or (isinstance(value, float) and math.isnan(value))
            or (isinstance(value, str) and not value.strip()))


def header_names(row: Sequence[Any]) -> list[str]:
    """Header cells as stripped strings; a blank header becomes ``Unnamed: <i>`` as pandas names it."""
    return [f"Unnamed: {i}" if is_blank(cell) else str(cell).strip() for i, cell in enumerate(row)]


def header_row(rows: Sequence[Sequence[Any]], required: Iterable[str], scan: int = HEADER_SCAN) -> int | None:
    """Index of the first row (within ``scan`` rows) holding every ``required`` column name
    (case-insensitive), or None."""
    wanted = {name.lower() for name in required}
    for index, row in enumerate(rows[:scan]):
        if wanted <= {name.lower() for name in header_names(row)}:
            return index
    return None


def find_header(rows: Sequence[Sequence[Any]], required: Iterable[str], path: Path, scan: int = HEADER_SCAN) -> int:
    """:func:`header_row`, or a ``DatasetError`` naming the file and the columns expected."""
    index = header_row(rows, required, scan)
    if index is None:
        raise DatasetError(
            f"{path}: expected a header row with the columns {', '.join(sorted(required))} within its first "
            f"{scan} rows; found none (first row: {header_names(rows[0]) if rows else 'empty sheet'})")
    return index


@dataclasses.dataclass(frozen=True)
class SheetChoice:
    """The sheet :func:`choose_sheet` read a table from: its position and name, and the sheets before it."""

    index: int  # 0-based position in the workbook
    name: str
    sheets: int  # how many sheets the file has
    skipped: tuple[str, ...] = ()  # "'NAME' (why)" of each sheet before it

    def describe(self) -> str:
        """``sheet 'Data' (2 of 3; 'Sheet1' (empty) skipped)``: what a log line and ``results.json`` say."""
        skipped = f"; {', '.join(self.skipped)} skipped" if self.skipped else ""
        return f"sheet {self.name!r} ({self.index + 1} of {self.sheets}{skipped})"


# The sheet each label spreadsheet was read from in this process, by resolved path (``choose_sheet``):
# ``sheets_under(root)`` gives a run's results.json and ``--check-data`` the ones of their data root.
SHEETS: dict[Path, SheetChoice] = {}


def choose_sheet(path: str | Path, required: Sequence[str],
                 sheets: Sequence[tuple[str, Sequence[Sequence[Any]]]] | None = None) -> tuple[SheetChoice, int]:
    """``(choice, header row index)``: the first sheet whose header row (within its first ``HEADER_SCAN``
    rows) holds every ``required`` column. A blank or foreign sheet before it (a cover page, notes) is
    skipped and named in the choice, which is recorded in :data:`SHEETS`. None fits: one ``DatasetError``
    naming the file, the columns and every sheet looked at with what it holds."""
    path = Path(path)
    sheets = read_sheets(path) if sheets is None else sheets
    looked: list[str] = []
    for index, (name, rows) in enumerate(sheets):
        start = header_row(rows, required)
        if start is not None:
            choice = SheetChoice(index, name, len(sheets), tuple(looked))
            SHEETS[path.resolve()] = choice
            return choice, start
        first = header_names(rows[0])[:8] if rows else []
        looked.append(f"{name!r} (" + (f"first row: {', '.join(first)}{', ...' if len(rows[0]) > 8 else ''}"
                                       if rows else "empty") + ")")
    raise DatasetError(f"{path}: expected a sheet whose header row (within its first {HEADER_SCAN} rows) has the "
                       f"columns {', '.join(required)}; looked at {len(sheets)} sheet(s): "
                       + ("; ".join(looked) if looked else "none"))


def sheets_under(root: str | Path) -> dict[str, SheetChoice]:
    """``{spreadsheet: choice}`` of the workbooks (not csv files) under ``root`` read in this process, for a
    run's ``results.json`` (``corpus.label_sheets``, each :meth:`SheetChoice.describe`) and its log."""
    root = Path(root).resolve()
    return {str(path): choice for path, choice in sorted(SHEETS.items())
            if (path == root or root in path.parents) and path.suffix.lower() != ".csv"}


class Record(dict[str, Any]):
    """One data row of a label table (:func:`read_records`): its cells keyed by header name, and ``row``, its
    number as the spreadsheet program shows it, so that a clip dropped for one of its cells names the row."""

    def __init__(self, cells: dict[str, Any], row: int) -> None:
        super().__init__(cells)
        self.row = row


def read_records(path: str | Path, required: Sequence[str], sheet: int | None = None, *,
                 numbers: Sequence[str] = (), names: Sequence[str] = ()) -> list[Record]:
    """The data rows of the sheet holding the table as :class:`Record` dicts keyed by header name (original
    spelling, stripped), each with its row number.

    ``sheet=None`` (the loaders): the sheet is chosen by content (:func:`choose_sheet`: the first whose
    header has the ``required`` columns; the choice is recorded); an ``int`` reads that sheet only.
    The header row is found dynamically (``find_header``); keys are matched case-insensitively by
    ``cell(record, name)``. A header naming one column twice (case and surrounding spaces aside, as ``cell``
    matches names) is refused in one ``DatasetError`` naming the file and the column: ``cell`` would read one
    copy and ignore the other. Each cell of the columns ``numbers`` (frame and subject numbers) is checked by
    :func:`check_number`, each of the columns ``names`` (the folder names a loader joins into a path) by
    :func:`check_name`: one ``DatasetError`` naming the file, the row and the column otherwise.
    """
    path = Path(path)
    numbered = read_numbered_sheets(path)
    if sheet is None:
        choice, start = choose_sheet(path, required, [(name, [row for _, row in rows]) for name, rows in numbered])
        rows = numbered[choice.index][1]
    else:
        if sheet >= len(numbered):
            raise DatasetError(f"{path}: expected at least {sheet + 1} sheet(s), found {len(numbered)}")
        rows = numbered[sheet][1]
        if not rows:
            raise DatasetError(f"{path}: expected a header row with the columns {', '.join(required)}; "
                               f"the sheet is empty")
        start = find_header([row for _, row in rows], required, path)
    header = header_names(rows[start][1])
    seen: dict[str, str] = {}  # lower-cased name -> the first spelling
    for name in header:
        if name.lower() in seen:
            raise DatasetError(f"{path}: the header row (row {rows[start][0]}) names the column {seen[name.lower()]!r} "
                               f"twice{f' (also as {name!r})' if name != seen[name.lower()] else ''}; expected each "
                               f"column once (rename or remove one)")
        seen[name.lower()] = name
    records = []
    for number, row in rows[start + 1:]:
        record = Record({name: (row[i] if i < len(row) else None) for i, name in enumerate(header)}, row=number)
        for column in numbers:
            check_number(cell(record, column), f"{path}: row {number}, column {column}")
        for column in names:
            check_name(to_text(cell(record, column)), f"{path}: row {number}, column {column}")
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


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is a non-empty run of the digits 0-9. ``str.isdigit`` also takes ``²`` (which ``int``
    then refuses) and ``١`` (which ``int`` reads as 1): a name holding them is not the name on disk."""
    return text.isascii() and text.isdigit()


# The most digits a number written in a cell or a name may have (:func:`whole_number`).
MAX_DIGITS = 12


def whole_number(value: Any, where: str) -> int | None:
    """A non-negative whole number written in a cell or a name: ``6``, ``6.0``, ``"006"``, ``"6.0"`` -> 6;
    anything else that is no number (``"sub01"``, blank) -> None. A number written with digits other than
    0-9 (``"²"``, ``"١"``) raises ``DatasetError`` naming ``where``: read or dropped, it would name another
    subject or clip than the one meant."""
    if is_blank(value) or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    text = str(value).strip()
    whole, dot, fraction = text.partition(".")
    if any((ch.isdigit() or ch.isnumeric()) and not ch.isascii() for ch in text):
        raise DatasetError(f"{where}: {text[:40]!r} holds a digit other than 0-9; expected ASCII digits (rewrite the "
                           f"name or cell with 0-9)")
    if ascii_digits(whole) and (not dot or (fraction and set(fraction) == {"0"})):
        if len(whole) > MAX_DIGITS:  # int() refuses over 4,300 digits; no subject, clip or frame has this many
            raise DatasetError(f"{where}: a number of {len(whole)} digits; expected at most {MAX_DIGITS} (a subject, "
                               "clip or frame number)")
        return int(whole)
    return None


def to_int(value: Any) -> int | None:
    """An integer cell: 46, 46.0, "46", "46.0" -> 46; blank, "/", "-", "?", -1, fractions (46.5, "46.5") and
    non-numbers -> None."""
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
        if not text.isascii():  # float() reads "١٢" as 12: a cell that is no plain number is none
            return None
        try:
            parsed = float(text)
        except ValueError:
            return None
        # A fraction written as text ("46.5", a csv's every cell) is no frame number, as the number 46.5 is not:
        # int() would cut it to 46, another frame. "inf", "nan" and "1e400" are no whole number either.
        if not parsed.is_integer():
            return None
        number = int(parsed)
    return None if number < 0 else number


# What a label file writes in a frame cell for a frame it does not give (docs/databases.md §7.4; :func:`to_int`
# reads each as None): a blank, "/", "-", "?" or -1.
NO_FRAME = ("/", "-", "?", "-1", "-1.0")


def is_no_frame(value: Any) -> bool:
    """Whether a frame cell says "no frame" as the label files do: blank, ``/``, ``-``, ``?`` or -1. Any other cell
    that :func:`to_int` reads as None (a date, a typo such as ``l06``, another negative number, a fraction) is a
    frame number written wrong, which a loader must not read as "none"."""
    if is_blank(value):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == -1
    return str(value).strip() in NO_FRAME


def frame_cell_problem(value: Any) -> str:
    """Why a frame cell (onset, apex, offset) is neither a frame number (:func:`to_int`) nor "no frame"
    (:func:`is_no_frame`), or ``""``: the words a dropped clip's reason gives after the file, row and column."""
    if to_int(value) is not None or is_no_frame(value):
        return ""
    return (f"{shown_cell(value)} is no frame number (expected a whole number, or {', '.join(NO_FRAME[:4])} or a "
            f"blank for none)")


def needed_frame_problem(value: Any) -> str:
    """Why a frame cell that a clip cannot go without (an onset; an offset where no fallback stands in) gives no
    frame number (:func:`to_int`), or ``""``: the words a dropped clip's reason gives after the file, row and
    column. The cell is shown as written, and a negative number is said to be one (``to_int`` reads it as none)."""
    if to_int(value) is not None:
        return ""
    if is_blank(value):
        return "blank; expected a frame number"
    if is_no_frame(value):
        return f"{shown_cell(value)} (no frame); expected a frame number"
    if is_negative(value):
        return f"{shown_cell(value)} is negative; expected a frame number (a whole number, 0 or more)"
    return f"{shown_cell(value)} is no frame number; expected a whole number"


def is_negative(value: Any) -> bool:
    """Whether a cell is a number below 0 (``-106``, ``-5.0``, ``"-7"``); a bool, a date or a text is not."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value < 0
    text = str(value).strip()
    if not text.isascii():
        return False
    try:
        return float(text) < 0
    except ValueError:
        return False


def shown_cell(value: Any) -> str:
    """A cell as a reason shows it: a text quoted (``'l06'``), anything else as written, cut at 40 characters."""
    shown = repr(value) if isinstance(value, str) else str(value)
    return f"{shown[:40]}{'...' if len(shown) > 40 else ''}"


def first_cell_problem(problems: Sequence[tuple[str, str]]) -> str:
    """``column NAME: why`` for the first ``(column, why)`` of a row's frame cells whose ``why`` is not ``""``
    (:func:`needed_frame_problem`, :func:`frame_cell_problem`), or ``""`` when every cell reads."""
    return next((f"column {column}: {why}" for column, why in problems if why), "")


def cells_place(row: int, columns: Sequence[str]) -> str:
    """``row 2, column OnsetFrame`` or ``row 2, columns OnsetFrame and OffsetFrame``: where a reason's cells are."""
    if len(columns) == 1:
        return f"row {row}, column {columns[0]}"
    return f"row {row}, columns {', '.join(columns[:-1])} and {columns[-1]}"


def check_number(value: Any, where: str, most: int = WHOLE_NUMBERS) -> None:
    """One ``DatasetError`` naming ``where`` (the file, row and column) when a cell reads as a number that no frame
    or subject is: not finite (``inf``, ``1e400``, which overflow a float) or beyond ``most``. A cell that is no
    number at all (blank, ``/``, ``-``, a name) passes: the loader reads it as none (:func:`to_int`)."""
    if isinstance(value, bool) or is_blank(value):
        return
    if isinstance(value, (int, float)):
        number: float = value
    else:
        text = str(value).strip()
        if not text.isascii() or len(text) > 400:  # no float() of an unbounded text; a longer one is no number
            return
        try:
            number = float(text)
        except ValueError:
            return
    if math.isnan(number):
        return
    if not math.isfinite(number) or abs(number) > most:
        shown = repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
        raise DatasetError(f"{where}: {shown[:40]}{'...' if len(shown) > 40 else ''} is "
                           f"{'not a finite number' if not math.isfinite(number) else 'too large'}; expected a "
                           f"whole number of at most {most:,} (or a blank)")


def check_name(text: str, where: str) -> None:
    """One ``DatasetError`` naming ``where`` (the file, row and column) when ``text``, a name the loader looks up on
    disk, is no name a file system takes (longer than :data:`NAME_BYTES` bytes in UTF-8, or holding a NUL) or is a
    path rather than one folder's name (a separator, ``.`` or ``..`` would read frames outside the database)."""
    if "/" in text or "\\" in text or text.strip() in (".", ".."):
        raise DatasetError(f"{where}: {text[:40]!r}{'...' if len(text) > 40 else ''} is a path, not a folder name; "
                           "expected one folder's name")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > NAME_BYTES or "\0" in text:
        why = f"is {size:,} bytes long" if size > NAME_BYTES else "holds a NUL character"
        raise DatasetError(f"{where}: {text[:40]!r}{'...' if len(text) > 40 else ''} {why}; expected a folder's "
                           f"name of at most {NAME_BYTES} bytes")


def folder_named(parent: Path, *names: str, any_case: bool = False) -> Path:
    """``parent / name / ...``, the folder a label file names, each name in turn (:func:`child_folder`)."""
    for name in names:
        parent = child_folder(parent, name, any_case=any_case)
    return parent


def child_folder(parent: Path, name: str, *, any_case: bool = False) -> Path:
    """``parent / name`` when it is a folder, else the one sub-folder of ``parent`` whose name is ``name`` in
    Unicode's composed form (NFC: macOS writes ``é`` as ``e`` and an accent, NFD, where a spreadsheet holds one
    character) and, with ``any_case``, in any case (a label's ``J`` for the folder ``j``); else ``parent / name``,
    which the caller finds missing. Never raises: a name the file system refuses (too long) is a missing folder."""
    exact = parent / name
    try:
        if exact.is_dir():
            return exact
    except (OSError, ValueError):  # too long, a NUL: no such folder
        return exact
    if name.isascii() and not any_case:  # an ASCII name has one form
        return exact

    def form(text: str) -> str:
        text = unicodedata.normalize("NFC", text)
        return text.casefold() if any_case else text

    try:
        with os.scandir(parent) as entries:
            matches = [Path(entry.path) for entry in entries if form(entry.name) == form(name) and entry.is_dir()]
    except OSError:
        return exact
    return matches[0] if len(matches) == 1 else exact


def to_text(value: Any) -> str:
    """A text cell: numbers without a spurious ``.0`` (AU ``12.0`` -> ``"12"``), blanks -> ``""``."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
