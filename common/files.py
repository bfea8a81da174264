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
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any
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


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_write(path) as handle:
        handle.write(text)
    return Path(path)


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Strict JSON (``allow_nan=False``), indented by one space; ``obj`` must hold plain JSON types."""
    with atomic_write(path) as handle:
        json.dump(obj, handle, indent=1, allow_nan=False)
    return Path(path)


CSV_SEPARATORS = (",", ";", "\t")  # the header's separator: ',' or the ';' / tab of spreadsheet programs


def read_spreadsheet_csv(path: str | Path) -> tuple[str, list[tuple[int, list[str]]]]:
    """``(separator, [(line number, cells)])`` of a CSV as spreadsheet programs write it: UTF-8 with or
    without a byte-order mark, CRLF or LF line ends, ``,``, ``;`` or tab as the separator (the one the
    first non-blank line, the header, holds most of; ``,`` when it holds none). Rows whose cells are all
    blank are left out; cells are kept as written (not stripped). Raises ``ValueError`` with the reason
    in a few words (``cannot read this CSV (...)``, ``not UTF-8 text (byte N); save it as CSV UTF-8``),
    which the caller prefixes with the option and the path."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ValueError(f"cannot read this CSV ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    separator = max(CSV_SEPARATORS, key=first.count)
    try:
        rows = list(csv.reader(lines, delimiter=separator))
    except csv.Error as exc:
        raise ValueError(f"cannot read this CSV ({exc})") from None
    return separator, [(number, row) for number, row in enumerate(rows, 1) if any(cell.strip() for cell in row)]


def stream_spreadsheet_csv(path: str | Path) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """:func:`read_spreadsheet_csv` one row at a time: ``(separator, rows)``, ``rows`` yielding ``(line number,
    cells)`` as the file is read, so that a caller refusing a row has not read what follows (a file of a
    million rows is never held whole). The separator comes from the first non-blank line. Raises
    ``ValueError`` (the same words) at once for an unreadable file, and from ``rows`` at the line where
    the text stops being UTF-8 or CSV."""
    path = Path(path)
    first = ""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line in handle:
                if line.strip():
                    first = line
                    break
    except OSError as exc:
        raise ValueError(f"cannot read this CSV ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    separator = max(CSV_SEPARATORS, key=first.count)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle, delimiter=separator)
                for row in reader:
                    if any(cell.strip() for cell in row):
                        yield reader.line_num, row
        except OSError as exc:
            raise ValueError(f"cannot read this CSV ({exc.strerror or exc})") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
        except csv.Error as exc:
            raise ValueError(f"cannot read this CSV ({exc})") from None

    return separator, rows()


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


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
        # UTF-8 whatever the locale; a command line that is not valid text is written with its escapes
        handle = open(path, "a+", encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
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


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes (an export's files, a recording's video, a scored file), read by blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
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
    claim otherwise (``zipfile.BadZipFile`` is one): the caller names the file."""
    with zipfile.ZipFile(path) as archive:
        return _checked_members(archive, os.path.getsize(path), limit)


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


def read_npz(path: str | Path) -> dict[str, Any]:
    """``{name: array}`` of an ``.npz`` file (``numpy.savez``'s), every array in memory, nothing pickled. Written
    here over ``numpy.lib.format``'s header reader because ``numpy.load`` allocates the extent a member's header
    claims before it reads the member: here the archive is checked first (:func:`zip_members`), and each
    array's extent (shape x item size, from its header) must be exactly its member's bytes before one is
    allocated. ``ValueError`` naming the member otherwise (the caller names the file)."""
    import numpy as np
    from numpy.lib import format as npy

    arrays: dict[str, Any] = {}
    with zipfile.ZipFile(path) as archive:
        for info in _checked_members(archive, os.path.getsize(path), None):
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
