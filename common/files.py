"""Safe output files: one atomic-write helper, a lock per output folder, an early check.

- :func:`atomic_write` is the one way mersuite writes a file others read (fold records,
  results.json, predictions.csv, report.pdf, the report's CSVs, cache entries): the content goes to
  a temporary file in the same folder, which then replaces the target with ``os.replace``
  (atomic on POSIX and Windows). A reader, a second run or a crash never sees half a file: the
  target holds either the old content or the new one.
- :func:`folder_lock` takes an exclusive ``fcntl.flock`` on ``<folder>/.mersuite.lock`` for the
  time a run writes into the folder. A second run on the same folder does not wait: it stops at
  once with :class:`OutputLocked`, one line naming the folder and the process holding it (a wait
  could last hours, the length of the first run). The operating system drops the lock when the
  holder exits, ``kill -9`` included, so a stale lock file is harmless and never removed.
  Re-entrant within one process (``run_all.py`` locks every planned experiment before any work,
  then the runner locks each one again). Without ``fcntl`` (Windows) no lock is taken.
- :func:`prepare_output_folder` creates an output folder and proves it writable before any work,
  or raises :class:`OutputError` with one line (an ``--out`` that is a file, a read-only folder).
- :func:`read_spreadsheet_csv` reads a CSV a person made, in the forms spreadsheet programs write it
  (the clip lists of ``--predict``, the predictions of ``--score``).
"""
from __future__ import annotations

import contextlib
import csv
import datetime
import errno
import hashlib
import io
import json
import math
import os
import re
import stat
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO
from collections.abc import Iterator

from common.errors import MersuiteError

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None

LOCK_NAME = ".mersuite.lock"
_UMASK = os.umask(0)  # read once: output files get the user's usual permissions (mkstemp makes 0600 files)
os.umask(_UMASK)


class OutputError(MersuiteError, OSError):
    """An output folder cannot be created or written: one clear line."""


class OutputLocked(OutputError):
    """Another process holds the folder's lock (another run writes there now)."""


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, fsync: bool = True, newline: str | None = None,
                 encoding: str | None = None) -> Iterator[Any]:
    """``with atomic_write(path) as handle: ...``: write a temporary file beside ``path``, then replace it.

    ``mode`` is ``"w"`` (text) or ``"wb"``. The temporary file (``.<name>.<random>.tmp`` in the same
    folder) is removed when the block raises (Ctrl-C included), and the target keeps its old content.
    ``fsync=False`` skips the flush to disk (the preprocessing cache, which detects and rebuilds an
    entry emptied by a power loss). The file gets the permissions of an ordinary ``open``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode={mode!r}: expected 'w' or 'wb'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd: int | None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        # UTF-8 whatever the locale; a path that is not valid text (undecodable bytes) is written with its escapes
        text: dict[str, Any] = {} if "b" in mode else {"newline": newline, "encoding": encoding or "utf-8",
                                                       "errors": "backslashreplace"}
        with os.fdopen(fd, mode, **text) as handle:
            fd = None  # the handle owns it now
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise


def display_text(value: Any) -> str:
    """``value`` (a path, a command line, any text) as a figure, a PDF or a log line can show it. Under a locale
    that cannot decode a file name (``LC_ALL=C`` without UTF-8 mode), Python holds its bytes as surrogate
    escapes, which no font draws and no UTF-8 encoder takes: those bytes are read as UTF-8 (``é`` comes back
    as ``é``), and any that are not UTF-8 become U+FFFD. Text without escapes comes back unchanged."""
    text = str(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file name's byte gave
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def terminal_text(value: Any, keep: str = "") -> str:
    """``value`` (:func:`display_text`) as a console line prints it: every character a terminal acts on instead of
    showing (ESC, which starts a colour or clear-screen sequence, CR, a line end, a right-to-left override: those
    ``str.isprintable`` calls not printable) written as its escape (``\\x1b``, ``\\r``, ``\\u202e``), so that a
    name read from a file or a folder never redraws, reorders or splits the line. ``keep``: characters left as
    they are (``"\\n"`` for a log record that may hold several lines)."""
    return "".join(c if c.isprintable() or c in keep else c.encode("unicode_escape").decode("ascii")
                   for c in display_text(value))


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_write(path) as handle:
        handle.write(text)
    return Path(path)


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Strict JSON (``allow_nan=False``), indented by one space; ``obj`` must hold plain JSON types."""
    with atomic_write(path) as handle:
        json.dump(obj, handle, indent=1, allow_nan=False)
    return Path(path)


# What a JSON text may claim before it is parsed: Python's parser builds every object it reads (a 32 MiB text of
# numbers: a few hundred MB) and recurses once per level (a deep text: a RecursionError traceback). The largest the
# suite writes (a benchmark's results.json) holds a few MB, nested under ten levels.
JSON_BYTES = 32 << 20
JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string; its brackets are no nesting
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


def _json_depth(text: str, most: int) -> int:
    """How deep ``text`` nests arrays and objects, counted on its brackets outside strings, or ``most + 1`` as
    soon as it passes ``most`` (an unbalanced text is counted as written: the parser then says where). The
    running count over the brackets is NumPy's, a million brackets at a time (a 32 MiB text of brackets: well
    under a second); a text of at most ``most`` brackets cannot pass ``most``."""
    brackets = _JSON_STRING.sub(b"", text.encode("utf-8", "surrogatepass")).translate(None, _NOT_BRACKET)
    if len(brackets) <= most:
        return len(brackets)
    import numpy as np

    depth = deepest = 0
    for start in range(0, len(brackets), 1 << 20):
        chunk = np.frombuffer(brackets[start:start + (1 << 20)], np.uint8)
        levels = depth + np.cumsum(np.where((chunk == ord("[")) | (chunk == ord("{")), 1, -1), dtype=np.int64)
        deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
        if deepest > most:
            return most + 1
    return deepest


class JsonBoundError(ValueError):
    """A JSON text over its size or depth bound (:func:`parse_json`), refused before it is parsed."""


def parse_json(text: str, *, max_bytes: int = JSON_BYTES, max_depth: int = JSON_DEPTH, **hooks: Any) -> Any:
    """``json.loads(text, **hooks)`` of a text from outside (a file, a command-line value), bounded before it is
    parsed: at most ``max_bytes`` characters and ``max_depth`` levels of arrays and objects (counted on the
    brackets outside strings, innermost pairs removed one level a pass). Raises ``ValueError`` with the reason
    in a few words (:class:`JsonBoundError` for ``nested deeper than 64 levels``, ``not JSON (Expecting value: line
    1 column 1 (char 0))``), never a ``RecursionError``; the caller names the file or option."""
    if len(text) > max_bytes:
        raise JsonBoundError(f"{len(text):,} characters, more than {max_bytes:,}")
    if _json_depth(text, max_depth) > max_depth:
        raise JsonBoundError(f"nested deeper than {max_depth} levels of arrays and objects")
    try:
        return json.loads(text, **hooks)
    except RecursionError:  # unbalanced and deep ("[[[[..."): the parser recursed past Python's limit
        raise JsonBoundError(f"nested deeper than {max_depth} levels of arrays and objects") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None


def read_json(path: str | Path, *, max_bytes: int = JSON_BYTES, max_depth: int = JSON_DEPTH, **hooks: Any) -> Any:
    """The JSON of a file the suite reads back or is given (a run's ``run.json`` and ``results.json``, a fold
    record, an export's ``manifest.json``, a corpus's ``corpus.json``): a regular file (:func:`open_regular`) of at
    most ``max_bytes`` bytes, UTF-8, parsed by :func:`parse_json`. Raises ``OSError`` when it cannot be read
    (``FileNotFoundError`` when absent; :class:`NotRegularFile` for a pipe or a folder) and ``ValueError`` with
    the reason in a few words; the caller names the file and what it expected."""
    try:
        raw = read_regular_bytes(path, max_bytes)
    except FileTooLarge as exc:
        raise JsonBoundError(str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    return parse_json(text, max_bytes=max_bytes, max_depth=max_depth, **hooks)


# The longest line a CSV this suite reads may hold: twice the csv module's own limit on one field (131,072), above a
# per-epoch record's 100,000 epochs; a predictions row is about 300 characters. Without it a file of one line of
# commas was split into tens of millions of cells before any check.
CSV_LINE_CHARS = 1 << 18


class LineTooLong(ValueError):
    """A line of a file longer than its reader takes (:func:`bounded_lines`): "line N holds more than LIMIT
    characters", ``line`` and ``limit`` kept for a caller's own words; the caller names the file."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"line {line} holds more than {limit:,} characters")
        self.line, self.limit = line, limit


class NotUtf8Line(ValueError):
    """A line holding bytes that are not UTF-8 (:func:`bounded_lines` of a handle opened with
    ``errors="surrogateescape"``): "line N is not UTF-8 text"; the caller names the file."""


ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what errors="surrogateescape" makes of a byte that is not UTF-8


def bounded_lines(handle: Any, limit: int = CSV_LINE_CHARS) -> Iterator[str]:
    """The lines of a text ``handle`` (opened with ``newline=""``, as the csv module wants), each read no further
    than ``limit`` characters: a longer one is a :class:`LineTooLong` ("line N holds more than LIMIT characters")
    before it is held whole. What the csv readers of files from outside read through. A handle opened with
    ``errors="surrogateescape"`` gives a line holding bytes that are not UTF-8 as a :class:`NotUtf8Line` naming
    that line (a strict handle's ``UnicodeDecodeError`` comes from the block decoded ahead of the line read, and
    counts its byte from that block)."""
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit:
            raise LineTooLong(number, limit)
        if ESCAPED_BYTE.search(line):
            raise NotUtf8Line(f"line {number} is not UTF-8 text")
        yield line


def _long_line(line: int) -> str:
    """What a spreadsheet CSV reader says of a line longer than :data:`CSV_LINE_CHARS` (the caller names the file)."""
    return (f"line {line} holds more than {CSV_LINE_CHARS:,} characters; expected lines of at most "
            f"{CSV_LINE_CHARS:,} characters")


def _csv_error(exc: csv.Error, line: int) -> str:
    """What a spreadsheet CSV reader says of the csv module's error at ``line``: a cell past the module's field
    limit (a line within :data:`CSV_LINE_CHARS`, or a quoted cell over many lines) said so, any other error as
    the module words it."""
    if str(exc).startswith("field larger than field limit"):
        limit = csv.field_size_limit()
        return f"line {line}: a cell of more than {limit:,} characters; expected cells of at most {limit:,} characters"
    return f"cannot read this CSV (line {line}: {exc})"


CSV_SEPARATORS = (",", ";", "\t")  # the header's separator: ',' or the ';' / tab of spreadsheet programs


SPREADSHEET_CSV_BYTES = 4 << 20  # a CSV read whole (read_spreadsheet_csv: --predict's list of clips, 40,000 of them)


def read_spreadsheet_csv(path: str | Path) -> tuple[str, list[tuple[int, list[str]]]]:
    """``(separator, [(line number, cells)])`` of a CSV as spreadsheet programs write it: UTF-8 with or
    without a byte-order mark, CRLF or LF line ends, ``,``, ``;`` or tab as the separator (the one the
    first non-blank line, the header, holds most of; ``,`` when it holds none). Rows whose cells are all
    blank are left out; cells are kept as written (not stripped). Raises ``ValueError`` with the reason
    in a few words (``cannot read this CSV (...)``, ``not UTF-8 text (byte N); save it as CSV UTF-8``, ``line N
    holds more than 262,144 characters; expected lines of at most 262,144 characters``, ``line N: a cell
    of more than 131,072 characters; ...``), which the caller prefixes with the option and the path."""
    try:
        text = read_regular_bytes(path, max_bytes=SPREADSHEET_CSV_BYTES).decode("utf-8-sig")
    except OSError as exc:
        raise ValueError(f"cannot read this CSV ({exc.strerror or exc})") from None
    except FileTooLarge as exc:
        raise ValueError(f"{exc}; expected a list of clips") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    lines = text.splitlines()
    too_long = next((number for number, line in enumerate(lines, 1) if len(line) > CSV_LINE_CHARS), None)
    if too_long is not None:
        raise ValueError(_long_line(too_long))
    first = next((line for line in lines if line.strip()), "")
    separator = max(CSV_SEPARATORS, key=first.count)
    reader = csv.reader(lines, delimiter=separator)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValueError(_csv_error(exc, reader.line_num)) from None
    return separator, [(number, row) for number, row in enumerate(rows, 1) if any(cell.strip() for cell in row)]


def stream_spreadsheet_csv(path: str | Path,
                           max_lines: int | None = None) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """:func:`read_spreadsheet_csv` one row at a time: ``(separator, rows)``, ``rows`` yielding ``(line number,
    cells)`` as the file is read, so that a caller refusing a row has not read what follows (a file of a
    million rows is never held whole). The separator comes from the first non-blank line. Raises
    ``ValueError`` (the same words, but a line that is not UTF-8 named by its number: "line N is not UTF-8 text")
    at once for an unreadable file, and from ``rows`` at the line where the text stops being UTF-8 or CSV, or
    (``max_lines``) at the line past that many, blank lines counted: the blank lines the rows skip are read no
    further than that."""
    path = Path(path)
    first = ""
    try:
        with open_regular(path, encoding="utf-8-sig", newline="", errors="surrogateescape") as handle:
            for line in bounded_lines(handle):
                if line.strip():
                    first = line
                    break
    except OSError as exc:
        raise ValueError(f"cannot read this CSV ({exc.strerror or exc})") from None
    except NotUtf8Line as exc:
        raise ValueError(f"{exc}; save it as CSV UTF-8") from None
    except LineTooLong as exc:
        raise ValueError(_long_line(exc.line)) from None
    separator = max(CSV_SEPARATORS, key=first.count)

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader: Any = None  # the csv reader, once the file is open: its line_num names the line of an error
        try:
            with open_regular(path, encoding="utf-8-sig", newline="", errors="surrogateescape") as handle:
                reader = csv.reader(bounded_lines(handle), delimiter=separator)
                for row in reader:
                    if max_lines is not None and reader.line_num > max_lines:
                        raise ValueError(f"more than {max_lines:,} lines (blank ones counted) at line "
                                         f"{reader.line_num:,}; expected one row per test clip")
                    if any(cell.strip() for cell in row):
                        yield reader.line_num, row
        except OSError as exc:
            raise ValueError(f"cannot read this CSV ({exc.strerror or exc})") from None
        except NotUtf8Line as exc:  # counted by bounded_lines: the line the csv reader read, not the row
            raise ValueError(f"{exc}; save it as CSV UTF-8") from None
        except LineTooLong as exc:  # counted by bounded_lines, as a line not UTF-8 is
            raise ValueError(_long_line(exc.line)) from None
        except csv.Error as exc:
            raise ValueError(_csv_error(exc, reader.line_num if reader is not None else 0)) from None

    return separator, rows()


# What makes a spreadsheet program read a CSV cell as a formula (OWASP, "CSV Injection"): =, +, -, @, a tab or a
# carriage return first. Such a text cell is written with a ' before it, which the program shows as text; a
# leading ' is itself doubled so that :func:`csv_text` reads every written cell back exactly.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.IGNORECASE)


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet shows and never runs: text starting with one of
    :data:`FORMULA_START` (or with ``'``) gets a ``'`` before it; numbers, and text that is a number ("-0.5",
    "-inf"), stay as they are. Every CSV the suite writes passes its cells through here (:func:`csv_writer`)."""
    if isinstance(value, str) and (value.startswith("'") or (value.startswith(FORMULA_START)
                                                             and not _NUMBER.match(value))):
        return "'" + value
    return value


def csv_text(cell: str) -> str:
    """The text a cell written by :func:`csv_cell` holds: its leading ``'`` taken off (the readers of our own CSVs
    and of a person's, where a spreadsheet program's leading ``'`` marks text and is not part of it)."""
    return cell[1:] if cell.startswith("'") else cell


class SafeCsvWriter:
    """``csv.writer``'s ``writerow``/``writerows`` with every cell through :func:`csv_cell`."""

    def __init__(self, handle: Any, **kwargs: Any) -> None:
        self.writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Any) -> Any:
        return self.writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: Any, **kwargs: Any) -> SafeCsvWriter:
    """``csv.writer(handle, **kwargs)`` whose cells a spreadsheet never runs as formulas (:func:`csv_cell`): the
    one way the suite writes a CSV."""
    return SafeCsvWriter(handle, **kwargs)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def write_remedy(exc: OSError, path: str | Path | None = None) -> str:
    """What to do about a write to ``path`` that failed with ``exc``, in a few words, for the line that also says
    what is saved: free space for a full disk, the folder made writable for a refusal, a folder in the way moved
    (an atomic write cannot replace a folder), else the cause named (advice to free space would send the user
    after a cause that is not there)."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "free space"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "make the folder writable"
    blocked = path if path is not None else exc.filename2 or exc.filename
    if exc.errno == errno.EISDIR or (blocked is not None and Path(blocked).is_dir()):
        return f"move the folder {blocked} away (a file is written there)"
    return f"remove the cause ({_why(exc)})"


PROBE_BYTES = 1 << 16  # what write_probe writes: the size of a fold record, a lock line and a cache entry's header


def write_probe(folder: str | Path) -> None:
    """Write :data:`PROBE_BYTES` to a temporary file in ``folder``, flush them to the disk, remove the file.
    Raises ``OSError`` on a full disk or a read-only file system: creating an empty file takes no free block,
    so a probe that writes nothing passes a full disk and the first real output fails hours later."""
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".mersuite-write-check.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(b"\0" * PROBE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        os.unlink(probe)


def prepare_output_folder(folder: str | Path, what: str = "output folder",
                          hint: str | None = None) -> Path:
    """Create ``folder`` (and its parents) and check that a file can be written in it.

    Raises :class:`OutputError` with one line naming the path that is in the way (a file where
    a folder is expected) or that cannot be written. ``what`` names the folder in that line
    (e.g. ``"--out reports"``); ``hint`` replaces its advice.
    """
    folder = Path(folder)
    for parent in (folder, *folder.parents):  # the nearest existing path must be a folder
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                where = "" if parent == folder else f" ({parent} is a file)"
                raise OutputError(f"{what} {folder}: is not a folder{where}; {hint or 'give a folder for the outputs'}")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_probe(folder)
    except OSError as exc:
        raise OutputError(f"{what} {folder}: cannot write there ({_why(exc)})"
                          + (f"; {hint}" if hint else "")) from None
    return folder


def check_inside(out: str | Path, folder: str | Path, what: str = "--out") -> None:
    """:class:`OutputError` (one line) when a symbolic link between ``out`` and ``folder`` (both included but
    ``out``, which the user names) would send what is written in ``folder`` outside ``out`` (a link to another
    folder of ``out`` keeps them inside, and is followed); a link to a folder
    directly inside ``folder`` too (a fold's work folder in ``folds/``). ``out`` itself may be a link: the user
    named it. Nothing is followed or removed: the user removes the link or moves its folder into ``out``
    (docs/running.md, "Where a run writes")."""
    out, folder = Path(out), Path(folder)
    if not folder.is_relative_to(out):
        return
    parts = folder.relative_to(out).parts
    steps = [out.joinpath(*parts[:n]) for n in range(1, len(parts) + 1)]
    try:
        children = [c for c in folder.iterdir() if c.is_symlink() and c.is_dir()] if folder.is_dir() else []
    except OSError:
        children = []
    home = Path(os.path.realpath(out))
    for step in steps + sorted(children):
        target = os.path.realpath(step) if step.is_symlink() else ""
        if target and not Path(target).is_relative_to(home):  # a link within out keeps the files there
            raise OutputError(f"{what} {out}: {step} is a symbolic link (to {target}), which would put this run's "
                              f"files outside {out}; remove the link, or move the folder it points to into {out}")


def linked_out(top: str | Path, path: str | Path) -> Path | None:
    """Where ``path`` (inside the folder ``top``) really is when a symbolic link on the way, from ``top`` down to
    ``path`` itself, sends it outside ``top`` (a cache's entry: what is written there would be written there); None
    when it stays inside. ``top`` itself may be a link: the user named it."""
    real = Path(os.path.realpath(path))
    return None if real.is_relative_to(os.path.realpath(top)) else real


_HELD: dict[Path, list] = {}  # resolved folder -> [open lock file, depth]; this process's locks


def _holder(handle) -> str:
    try:
        handle.seek(0)
        text = handle.read().strip()
    except OSError:
        text = ""
    return f" ({text})" if text else ""


@contextlib.contextmanager
def folder_lock(folder: str | Path, what: str = "folder") -> Iterator[Path]:
    """Hold the exclusive lock of ``folder`` for the block; :class:`OutputLocked` when another run holds it."""
    folder = prepare_output_folder(folder, what)
    key = folder.resolve()
    if key in _HELD:  # this process holds it already (run_all.py, then the runner)
        _HELD[key][1] += 1
        try:
            yield folder
        finally:
            _HELD[key][1] -= 1
        return
    if fcntl is None:
        yield folder
        return
    path = folder / LOCK_NAME
    try:
        # a regular file only: a link there is not followed (it would truncate the file it points to), a named
        # pipe not waited on; the user removes what is in the way (a run never removes what it did not create)
        fd = open_in_place(path, os.O_RDWR)
    except NotRegularFile as exc:
        raise OutputError(f"{what} {folder}: its lock file {LOCK_NAME} is {exc}; expected a regular file or "
                          "nothing there: remove it") from None
    except OSError as exc:
        raise OutputError(f"{what} {folder}: cannot create the lock file {LOCK_NAME} ({_why(exc)})") from None
    try:
        # UTF-8 whatever the locale; a command line that is not valid text is written with its escapes
        handle = os.fdopen(fd, "r+", encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
        os.close(fd)
        raise OutputError(f"{what} {folder}: cannot create the lock file {LOCK_NAME} ({_why(exc)})") from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputLocked(f"{what} {folder} is in use by another run{_holder(handle)}; wait for it to "
                               "finish or give another --out") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}, started {datetime.datetime.now().isoformat(timespec='seconds')}, "
                         f"command {' '.join(sys.argv)[:200]}\n")
            handle.flush()
        except OSError as exc:  # a full disk: the lock is held, only the line naming its holder is missing
            raise OutputError(f"{what} {folder}: cannot write the lock file {LOCK_NAME} ({_why(exc)})") from None
        _HELD[key] = [handle, 1]
        try:
            yield folder
        finally:
            del _HELD[key]
    finally:
        handle.close()  # closing the file releases the flock


class NotRegularFile(OSError):
    """A path where a file is expected names a named pipe, a device, a socket or a folder: reading a pipe or a
    terminal waits for a writer that never comes, a device never ends. ``strerror`` (and ``str``) says which, in a
    few words; ``filename`` names the path."""

    def __str__(self) -> str:
        return str(self.strerror)


def open_regular(path: str | Path, mode: str = "r", **kwargs: Any) -> Any:
    """``open(path, mode, **kwargs)`` for reading (``"r"`` or ``"rb"``) of a regular file only, else
    :class:`NotRegularFile` (an ``OSError``: "a named pipe, not a regular file") at once. The file is opened
    without blocking and examined before a byte is read (``os.fstat`` of the opened file, so that nothing
    can swap it between the check and the read): a pipe opened for reading never waits for its writer."""
    if mode not in ("r", "rb"):
        raise ValueError(f"open_regular mode={mode!r}: expected 'r' or 'rb'")
    fd = _regular_fd(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)), path)
    try:
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def _regular_fd(fd: int, path: str | Path) -> int:
    """``fd`` (opened without blocking where the system can) when ``os.fstat`` says it is a regular file, made
    blocking again; else closed, and :class:`NotRegularFile` naming ``path``."""
    try:
        kind = os.fstat(fd).st_mode
        if not stat.S_ISREG(kind):
            raise NotRegularFile(0, f"{file_kind(kind)}, not a regular file", str(path))
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_in_place(path: str | Path, flags: int) -> int:
    """``os.open(path, flags | O_CREAT)`` (``flags``: ``os.O_RDWR`` or ``os.O_WRONLY | os.O_APPEND``) of a file the
    suite writes where it stands, not through :func:`atomic_write` (a folder's lock file, the workers' log), made
    with the user's usual permissions: a regular file only, else :class:`NotRegularFile` (an ``OSError``: "a
    symbolic link, not a regular file") at once; the caller names the file and what it expected. A symbolic link
    there is never followed (``O_NOFOLLOW``): it would write, truncate or create the file it points to, outside
    the folder. A named pipe is opened without blocking and refused: a write to it waits for a reader."""
    nofollow, nonblocking = getattr(os, "O_NOFOLLOW", 0), getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | os.O_CREAT | nofollow | nonblocking | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        try:  # what is there, unfollowed: O_NOFOLLOW's refusal of a link (ELOOP), a pipe without a reader (ENXIO)
            mode = os.lstat(path).st_mode
        except OSError:
            raise exc from None
        if stat.S_ISLNK(mode):
            raise NotRegularFile(exc.errno, "a symbolic link, not a regular file", str(path)) from None
        if not stat.S_ISREG(mode):
            raise NotRegularFile(exc.errno, f"{file_kind(mode)}, not a regular file", str(path)) from None
        raise
    return _regular_fd(fd, path)


def file_kind(mode: int) -> str:
    """What an ``st_mode`` is, in words: "a regular file", "a named pipe", "a character device", ..."""
    kinds = ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((words for test, words in kinds if test(mode)), "not a file")


class FileTooLarge(ValueError):
    """A file of more bytes than its reader takes (:func:`read_regular_bytes`); the caller names the file."""


def read_regular_bytes(path: str | Path, max_bytes: int | None = None) -> bytes:
    """``Path(path).read_bytes()`` of a regular file only (:func:`open_regular`); with ``max_bytes``, read no
    further than that: a longer file is a :class:`FileTooLarge` ("M bytes, more than N" from its size before a byte
    is read; "more than N bytes" for one that grows while it is read, cut at the bound)."""
    with open_regular(path, "rb") as handle:
        if max_bytes is not None and (size := os.fstat(handle.fileno()).st_size) > max_bytes:
            raise FileTooLarge(f"{size:,} bytes, more than {max_bytes:,}")
        raw = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    if max_bytes is not None and len(raw) > max_bytes:
        raise FileTooLarge(f"more than {max_bytes:,} bytes")
    return raw


def read_regular_text(path: str | Path, encoding: str = "utf-8") -> str:
    """``Path(path).read_text(encoding)`` of a regular file only (:func:`open_regular`)."""
    return read_regular_bytes(path).decode(encoding)


def fitting_name(name: str, limit: int, source: str | None = None) -> str:
    """``name`` when its UTF-8 form holds at most ``limit`` bytes, else its longest start that leaves room for ``-``
    and 12 hex digits of the sha1 of ``source`` (default ``name``; the text the name was made from, so that two
    long names made from different texts stay different): a file or folder name that a subject, a folder path or a
    track's name makes stays under the file systems' 255 bytes (a longer one failed with ``File name too long``)."""
    data = name.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return name
    digest = hashlib.sha1(str(name if source is None else source).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return data[:limit - 13].decode("utf-8", "ignore") + "-" + digest


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes (an export's files, a recording's video, a scored file), read by blocks;
    a regular file only (:func:`open_regular`)."""
    digest = hashlib.sha256()
    with open_regular(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Deflate, the strongest method a zip member may use here, expands its input at most about 1032 times: a member
# that claims more is a lie about its size (or a decompression bomb), refused before a byte of it is inflated.
ZIP_EXPANSION = 1100
ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def zip_members(path: str | Path, limit: int | None = None) -> list[zipfile.ZipInfo]:
    """The members of the zip archive at ``path`` (an ``.npz``, an ``.xlsx``), after checking what its directory
    claims against the archive itself: each member named inside the archive (relative, no ``..``), stored or
    deflated, its compressed size within the file's own length and its size within what deflate can give from
    it; and all of them, inflated, within ``limit`` bytes when given. ``ValueError`` naming the member and the
    claim otherwise, ``zipfile.BadZipFile`` for a file that is no zip archive: the caller names the file. A regular
    file only (:func:`open_regular`): a named pipe, a device or a folder (or a link to one) is a
    :class:`NotRegularFile` (an ``OSError``) at once, never opened to be read (a pipe would wait for a writer)."""
    # read through a handle of a file checked regular, its size that handle's (as read_npz does)
    with open_regular(path, "rb") as raw, zipfile.ZipFile(raw) as archive:
        return _checked_members(archive, os.fstat(raw.fileno()).st_size, limit)


def _checked_members(archive: zipfile.ZipFile, size: int, limit: int | None) -> list[zipfile.ZipInfo]:
    """:func:`zip_members` of an open archive of ``size`` bytes."""
    members = archive.infolist()
    total = 0
    for info in members:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise ValueError(f"member {name!r} names a path outside the archive")
        if info.compress_type not in ZIP_METHODS:
            raise ValueError(f"member {name!r} is compressed by method {info.compress_type}; expected stored or "
                             "deflated")
        if info.compress_size > size or info.header_offset + info.compress_size > size:
            raise ValueError(f"member {name!r} claims {info.compress_size} compressed bytes at offset "
                             f"{info.header_offset}, past the file's {size} bytes")
        most = info.compress_size if info.compress_type == zipfile.ZIP_STORED else ZIP_EXPANSION * info.compress_size
        if info.file_size > most:
            raise ValueError(f"member {name!r} claims {info.file_size} bytes from {info.compress_size} compressed "
                             "(more than its compression can give)")
        total += info.file_size
    if limit is not None and total > limit:
        raise ValueError(f"its members inflate to {total} bytes, more than the {limit} expected of such a file")
    return members


class _Window(io.RawIOBase):
    """Bytes ``start`` to ``start + size`` of an open binary file, read and seek as a file of their own."""

    def __init__(self, handle: io.BufferedReader, start: int, size: int) -> None:
        super().__init__()
        self._handle, self._start, self._size, self._at = handle, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = max(0, min(len(view), self._size - self._at))
        self._handle.seek(self._start + self._at)
        read = self._handle.readinto(view[:count]) or 0
        self._at += read
        return read


@contextlib.contextmanager
def stored_member(path: str | Path, info: zipfile.ZipInfo) -> Iterator[BinaryIO]:
    """A stored (uncompressed) member of the zip archive at ``path`` (``info``: one of :func:`zip_members`), read
    and seeked in place in the archive, nothing copied: a reader of its metadata (``h5py``) then reads only what it
    seeks to, where ``ZipFile.open`` would read the member from its start again at each backward seek. Its place is
    the member's local header's (checked: its signature, and the data within the file). ``ValueError`` otherwise."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"member {info.filename!r} is compressed; expected it stored")
    with open_regular(path, "rb") as handle:  # a regular file only, as zip_members read it: a pipe would wait
        size = os.fstat(handle.fileno()).st_size
        handle.seek(info.header_offset)
        header = handle.read(30)  # the local file header's fixed part (APPNOTE 4.3.7)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise ValueError(f"member {info.filename!r}: no local header at offset {info.header_offset}")
        start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30],
                                                                                                     "little")
        if start + info.file_size > size:
            raise ValueError(f"member {info.filename!r}: its {info.file_size} bytes at offset {start} run past the "
                             f"file's {size}")
        with io.BufferedReader(_Window(handle, start, info.file_size)) as window:
            yield window


# The bounds of an HDF5 file's metadata (a Keras weights file): a ResNet-50's has about 1,000 groups and arrays and
# a few kB of attributes.
HDF5_OBJECTS = 100_000
HDF5_ATTRIBUTE_BYTES = 16 << 20


def hdf5_problem(source: str | Path | BinaryIO, size: int) -> tuple[str, int]:
    """``(why not, arrays)`` of a Keras weights file (HDF5: a ``.weights.h5``, a Keras 2 ``.h5``, a ``.keras``
    archive's ``model.weights.h5``) of ``size`` bytes, from its metadata alone, before Keras reads it: ``why not``
    is ``""`` or a few words (the caller names the file); ``arrays`` counts its arrays outside an ``optimizer``
    group (the model's, in a Keras 3 file).

    Keras reads each array whole before it compares its shape with the layer's: a 5 kB file whose one compressed
    array claims 2 GB took 8 GB before the refusal. Keras writes its arrays uncompressed, so their claimed sizes
    together are at most the file's ``size`` here; the attributes' at most :data:`HDF5_ATTRIBUTE_BYTES`, the
    objects walked at most :data:`HDF5_OBJECTS`, every array one of numbers. Keras follows a soft or external link
    (another object, another file of the machine), and h5py reads an array kept in external raw files or mapped
    from other files (a virtual dataset: ``/dev/urandom`` gives random weights, a named pipe a hang); Keras writes
    none of these, and one is refused."""
    import h5py  # read only here: Keras's own reader of its weights files

    survey = {"objects": 0, "arrays": 0, "array_bytes": 0, "attribute_bytes": 0}
    found: list[str] = []

    def claimed(shape: tuple[int, ...] | None, itemsize: int) -> int:
        return math.prod(int(d) for d in shape or ()) * itemsize

    def over() -> str:
        """The first bound passed so far, or ``""``."""
        if survey["objects"] > HDF5_OBJECTS:
            return f"it holds more than {HDF5_OBJECTS} groups, arrays and attributes"
        if survey["array_bytes"] > size:
            return (f"its arrays claim more than its own {size} bytes (compressed or unwritten arrays: Keras writes "
                    "neither)")
        if survey["attribute_bytes"] > HDF5_ATTRIBUTE_BYTES:
            return f"its attributes claim more than {HDF5_ATTRIBUTE_BYTES} bytes"
        return ""

    def attributes(item: Any) -> None:
        for name in item.attrs:  # each an object too: a million attributes of a byte each would be walked
            attribute = item.attrs.get_id(name)
            survey["attribute_bytes"] += claimed(attribute.shape, attribute.dtype.itemsize)
            survey["objects"] += 1
            if over():
                return

    def visit(name: str, link: Any) -> bool | None:
        survey["objects"] += 1
        if over():
            pass
        elif not isinstance(link, h5py.HardLink):
            found.append(f"{name[:100]!r} is a link ({type(link).__name__}: Keras writes none, and would read "
                         "another object or file)")
        else:
            item = handle[name]
            attributes(item)
            if isinstance(item, h5py.Dataset):
                if item.dtype.kind not in "fiub":
                    found.append(f"{name[:100]!r} is not an array of numbers ({item.dtype})")
                elif item.external or item.is_virtual:  # its data would be read from other files of the machine
                    how = "external storage" if item.external else "a virtual dataset"
                    found.append(f"{name[:100]!r} keeps its data in other files ({how}: Keras writes neither, and "
                                 "would read another file)")
                survey["array_bytes"] += claimed(item.shape, item.dtype.itemsize)
                if name.split("/", 1)[0] != "optimizer":
                    survey["arrays"] += 1
        if not found and (problem := over()):
            found.append(problem)
        return True if found else None  # a value other than None stops the walk

    try:
        handle = h5py.File(source, "r")
    except Exception as exc:  # not HDF5 ("file signature not found"), or damaged
        return f"it is not an HDF5 file that can be read ({' '.join(str(exc).split())[:200]})", 0
    try:
        with handle:
            attributes(handle)
            if problem := over():  # the root's attributes alone
                found.append(problem)
            else:
                handle.visititems_links(visit)
    except Exception as exc:  # HDF5's own errors on a damaged file
        return f"it cannot be read as HDF5 ({' '.join(str(exc).split())[:200]})", 0
    return (found[0], 0) if found else ("", survey["arrays"])


def read_npz(path: str | Path, limit: int | None = None) -> dict[str, Any]:
    """``{name: array}`` of an ``.npz`` file (``numpy.savez``'s), every array in memory, nothing pickled. Written
    here over ``numpy.lib.format``'s header reader because ``numpy.load`` allocates the extent a member's header
    claims before it reads the member: here the archive is checked first (:func:`zip_members`), and each
    array's extent (shape x item size, from its header) must be exactly its member's bytes before one is
    allocated; ``limit``: all members together, inflated, at most that many bytes (``zip_members``). ``ValueError``
    naming the member otherwise (the caller names the file). A regular file only (:func:`open_regular`): a named
    pipe, a device or a folder is a :class:`NotRegularFile` at once, never opened to be read (a pipe would wait
    for a writer forever)."""
    import numpy as np
    from numpy.lib import format as npy

    arrays: dict[str, Any] = {}
    # The archive is read through a handle of a file checked regular; its size is that handle's, not the path's
    # again (nothing can swap the file between the check and the read).
    with open_regular(path, "rb") as raw, zipfile.ZipFile(raw) as archive:
        for info in _checked_members(archive, os.fstat(raw.fileno()).st_size, limit):
            if not info.filename.endswith(".npy"):
                raise ValueError(f"member {info.filename!r} is not an array (.npy)")
            with archive.open(info) as handle:
                version = npy.read_magic(handle)
                if version == (1, 0):
                    shape, fortran, dtype = npy.read_array_header_1_0(handle)
                elif version == (2, 0):
                    shape, fortran, dtype = npy.read_array_header_2_0(handle)
                else:
                    raise ValueError(f"member {info.filename!r}: array format {version}; expected 1.0 or 2.0")
                if dtype.hasobject or any(d < 0 for d in shape):
                    raise ValueError(f"member {info.filename!r}: a {dtype} array of shape {shape}; expected "
                                     "numbers or text of a shape of sizes >= 0")
                extent = dtype.itemsize
                for d in shape:
                    extent *= d
                if handle.tell() + extent != info.file_size:
                    raise ValueError(f"member {info.filename!r}: its header claims shape {shape} of {dtype} "
                                     f"({extent} bytes), its data holds {info.file_size - handle.tell()}")
                data = bytearray(handle.read(extent))
            arrays[info.filename[:-len(".npy")]] = np.frombuffer(data, dtype=dtype).reshape(
                shape, order="F" if fortran else "C")
    return arrays
