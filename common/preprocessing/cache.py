"""On-disk cache of preprocessing stages: each stage is a function of its inputs and its parameters,
which are also its cache key (docs/house.md, "Preprocessing stages and the cache").

``cached(stage, inputs, params, compute)`` returns ``compute()``'s result, computing it at most
once per (stage, inputs, params): the key is the SHA-256 of the stage name, the canonical JSON of
``inputs`` (typically ``sample_fingerprint(sample)``: clip identity and every frame file's name,
size and mtime; a new recording's also its frames' folders and bytes) and of ``params`` (dataclasses
allowed), a format version and the suite's source (:func:`source_digest`: every ``.py`` file under
``common/`` and ``papers/``), so an entry computed by other code (an upgrade, an edit, a stage's bug
fixed) is never read as this code's result. Entries live in
``<root>/<stage>/<key[:2]>/<key>.npz`` (root: ``common.paths.cache_root()/"stages"``), written to
a temporary file in the same folder and renamed with ``os.replace`` (atomic on POSIX and
Windows), so readers never see a partial entry; an unreadable entry (truncated, corrupt, wrong
layout, or not a regular file: a named pipe or a folder there is never opened to be read) is deleted and
rebuilt, and so is one that holds another key than its path's (each entry stores its own: a file copied onto
another entry's path is never returned as that entry). Entries are shared across folds, models, papers and runs.

Not fsync'ed: after a power loss an entry may be empty, which the next read detects and rebuilds.
Annotation fields (onset/apex/offset) are not part of ``sample_fingerprint``: a stage that
depends on them puts them in its ``params``.

Speed (``benchmarks/bench_faces.py``, 6 clips x 60 JPEG frames, stage = read frames + per-frame
landmarks + EAI): first pass 1.3 s, cached pass 3.5 ms (about 0.6 ms per clip: 60 ``stat`` calls
for the fingerprint and one npz read), 375x faster (target >= 20x).
"""
from __future__ import annotations

import collections
import dataclasses
import enum
import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import stat
import threading
import time
import zipfile
from pathlib import Path
from typing import Any, overload
from collections.abc import Callable, Mapping

import numpy as np

from common.files import (FileTooLarge, OutputError, atomic_write, linked_out, prepare_output_folder, read_npz,
                          read_regular_bytes)
from common.paths import REPO_ROOT, cache_root

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1  # bump to invalidate every entry when the storage layout changes
RECORDING = "recording"  # Sample.dataset of a new recording (--predict: common.deployment.recording)
SOURCE_FOLDERS = ("common", "papers")  # the code a stage runs (its own, the readers and helpers it calls)
_STAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ARRAY_KEY = "__array__"  # compute() returned a bare array
_KIND_KEY = "__kind__"
_KEY_KEY = "__key__"  # the entry's own key, compared on reading: a file copied or renamed onto another key's path
# (a cache folder merged by hand, a restored backup) is rebuilt, never returned as that key's result


@dataclasses.dataclass
class CacheStats:
    """Counts per stage name of hits, misses (computed) and rebuilt corrupt entries, and the seconds
    spent computing (``compute()`` plus writing the entry, less the time of ``cached()`` calls nested in
    that ``compute()``, which count for their own stage) and reading hits (the benchmark's
    preprocessing cost, first pass vs cached). Process-wide: work done in other processes is not counted."""

    hits: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    misses: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    rebuilt: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    compute_seconds: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    read_seconds: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    def reset(self) -> None:
        self.hits.clear()
        self.misses.clear()
        self.rebuilt.clear()
        self.compute_seconds.clear()
        self.read_seconds.clear()

    def snapshot(self) -> dict[str, dict[str, float]]:
        """``{stage: {"hits", "misses", "compute_seconds", "read_seconds"}}`` now (a copy)."""
        stages = set(self.hits) | set(self.misses) | set(self.compute_seconds) | set(self.read_seconds)
        return {stage: {"hits": int(self.hits[stage]), "misses": int(self.misses[stage]),
                        "compute_seconds": float(self.compute_seconds[stage]),
                        "read_seconds": float(self.read_seconds[stage])} for stage in sorted(stages)}


def stats_delta(before: Mapping[str, Mapping[str, float]],
                after: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """What happened between two :meth:`CacheStats.snapshot` calls, per stage with any activity
    (the runner stores it as each fold record's ``cache``)."""
    delta = {}
    for stage, values in after.items():
        old = before.get(stage, {})
        change = {name: value - old.get(name, 0) for name, value in values.items()}
        change["compute_seconds"] = round(change["compute_seconds"], 4)
        change["read_seconds"] = round(change["read_seconds"], 4)
        if change["hits"] or change["misses"]:
            delta[stage] = change
    return delta


STATS = CacheStats()  # process-wide counters; tests and benchmarks read and reset them
# Per thread, one entry per compute() running: the seconds spent in cached() calls nested in it, so that
# a stage's compute_seconds are its own (a stage computed inside another's compute() is not counted twice).
_NESTED = threading.local()


class CacheKeyError(TypeError):
    """A value in ``inputs``/``params`` that has no canonical JSON form."""


def check_cache_folder() -> Path:
    """The cache root (``MERSUITE_CACHE``, or ``<repo>/.cache/mersuite``), created and checked writable
    before any work; ``common.files.OutputError`` (one line) otherwise. A run refuses to start without
    it rather than warn at every cache write: it holds the preprocessing stages and the synthetic corpus."""
    source = "MERSUITE_CACHE" if os.environ.get("MERSUITE_CACHE") else "cache folder"
    return prepare_output_folder(cache_root(), source, hint="set MERSUITE_CACHE to a folder you can write")


def default_root() -> Path:
    return cache_root() / "stages"


def _canonical(value: Any, where: str) -> Any:
    """JSON-ready, order-independent form of ``value`` (dataclasses, paths, numpy allowed)."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return value
    if isinstance(value, enum.Enum):
        return _canonical(value.value, where)
    if isinstance(value, np.generic):
        return _canonical(value.item(), where)
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise CacheKeyError(f"{where}: object arrays cannot be hashed")
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return {"__ndarray__": [str(value.dtype), list(value.shape), digest]}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name), f"{where}.{f.name}") for f in dataclasses.fields(value)}
        return {"__dataclass__": type(value).__qualname__, **fields}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v, where) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    raise CacheKeyError(f"{where}: cannot build a cache key from a {type(value).__name__} ({value!r:.80})")


def tree_digest(root: Path, folders: tuple[str, ...] = SOURCE_FOLDERS) -> str:
    """Hex SHA-256 of every ``.py`` file under ``root/<folder>`` for ``folders``: each file's path relative to
    ``root``, its size and its bytes, in the order of those paths."""
    files = sorted((path.relative_to(root).as_posix(), path) for folder in folders
                   for path in (root / folder).rglob("*.py") if path.is_file())
    digest = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """:func:`tree_digest` of the suite's own source, once per process. Part of every key: a stage's result
    depends on its code, which its parameters do not name, and an entry of other code read silently gave a fold
    the old code's inputs. Any change to that source (a comment too) recomputes the stages a run reads, once;
    finding which files a stage's result depends on would be a guess, and a wrong guess a stale entry."""
    return tree_digest(REPO_ROOT)


def cache_key(stage: str, inputs: Mapping, params: Mapping) -> str:
    """Hex SHA-256 of the stage name, canonical inputs and params, ``CACHE_FORMAT`` and :func:`source_digest`."""
    document = {
        "format": CACHE_FORMAT,
        "source": source_digest(),
        "stage": stage,
        "inputs": _canonical(inputs, "inputs"),
        "params": _canonical(params, "params"),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_path(stage: str, key: str, root: Path | None = None) -> Path:
    root = Path(root) if root is not None else default_root()
    return root / stage / key[:2] / f"{key}.npz"


def _to_arrays(stage: str, key: str, result: Any) -> dict[str, np.ndarray]:
    if isinstance(result, np.ndarray):
        arrays, kind = {_ARRAY_KEY: result}, "array"
    elif isinstance(result, Mapping):
        arrays, kind = {}, "dict"
        for name, value in result.items():
            if not isinstance(name, str) or name.startswith("__"):
                raise TypeError(f"stage {stage!r}: result keys must be str not starting with '__', got {name!r}")
            arrays[name] = np.asarray(value)
    else:
        raise TypeError(
            f"stage {stage!r}: compute() must return an ndarray or a dict of ndarrays, got {type(result).__name__}"
        )
    for name, array in arrays.items():
        if array.dtype == object:
            raise TypeError(f"stage {stage!r}: result {name!r} is an object array; only numeric/str arrays are cached")
    arrays[_KIND_KEY] = np.array(kind)
    arrays[_KEY_KEY] = np.array(key)
    return arrays


def _from_arrays(arrays: dict[str, np.ndarray], key: str) -> np.ndarray | dict[str, np.ndarray]:
    kind = str(arrays.pop(_KIND_KEY))
    stored = arrays.pop(_KEY_KEY, None)
    if stored is None or stored.dtype.kind != "U" or stored.shape or str(stored) != key:
        raise ValueError("the entry was written for another key, or before entries held their key")
    if kind == "array":
        return arrays[_ARRAY_KEY]
    if kind == "dict":
        return arrays
    raise ValueError(f"unknown cache entry kind {kind!r}")


def _read(path: Path, key: str) -> np.ndarray | dict[str, np.ndarray]:
    """Fully materialised entry; any failure (truncated zip, bad CRC, missing kind, a key other than ``key``, a
    member whose header claims another extent than its bytes, a path that is no regular file:
    ``common.files.read_npz``) raises, and the entry is rebuilt. ``np.savez`` stores its members uncompressed, so
    an entry of ours inflates to no more than its own bytes: one that would (deflated members, up to ~1,000 times
    their size) is not ours, and is rebuilt before it is inflated."""
    return _from_arrays(read_npz(path, limit=path.stat().st_size), key)


def _remove(path: Path) -> None:
    """Delete what sits at an entry's path, so that the entry is rebuilt there: a file or a named pipe is unlinked,
    a folder removed whole (the cache folder is the suite's own), a symlink unlinked itself, never followed (what
    it points to may lie outside the cache). A removal that fails is left to the write that follows, which fails
    too and warns (once per thread, as every failed cache write)."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):  # lstat: a symlink to a folder is no folder here
            shutil.rmtree(path)  # refuses a symlink swapped in meanwhile; links inside are unlinked, not followed
        else:
            path.unlink()
    except OSError:  # gone already (another process rebuilt it), or cannot be removed: the write below says why
        pass


def _link_out(path: Path, root: Path) -> str:
    """Why the entry at ``path`` is neither read, removed nor written (``""`` when it may be): a symbolic link
    among its folders, from the cache folder (``cache_root()``, or ``root`` where the entry lies outside it) down,
    sends its folder outside the cache, where the entry would be written (or a damaged one removed)."""
    top = cache_root() if path.is_relative_to(cache_root()) else root
    real = linked_out(top, path.parent)
    if real is None:
        return ""
    return (f"{path.parent} is {real}, outside the cache {top}, through a symbolic link; remove the link, or "
            "set MERSUITE_CACHE to the folder it points to")


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_write(path, "wb", fsync=False) as handle:  # temporary file + os.replace (common.files)
        np.savez(handle, **arrays)  # type: ignore[arg-type]  # mypy also matches **arrays to allow_pickle: bool


# What ``cached`` returns is what ``compute`` returns: an ndarray for an ndarray, a dict for a dict.
@overload
def cached(stage: str, inputs: Mapping, params: Mapping, compute: Callable[[], np.ndarray],
           root: Path | None = None) -> np.ndarray: ...
@overload
def cached(stage: str, inputs: Mapping, params: Mapping, compute: Callable[[], dict[str, np.ndarray]],
           root: Path | None = None) -> dict[str, np.ndarray]: ...
@overload
def cached(stage: str, inputs: Mapping, params: Mapping, compute: Callable[[], dict[str, np.ndarray] | np.ndarray],
           root: Path | None = None) -> np.ndarray | dict[str, np.ndarray]: ...


def cached(
    stage: str,
    inputs: Mapping,
    params: Mapping,
    compute: Callable[[], dict[str, np.ndarray] | np.ndarray],
    root: Path | None = None,
) -> np.ndarray | dict[str, np.ndarray]:
    """``compute()`` once per key; later calls read ``<root>/<stage>/<key[:2]>/<key>.npz``.

    Returns what ``compute`` returned: an ndarray, or a dict of ndarrays (values converted with
    ``np.asarray``; object arrays refused).
    """
    if not _STAGE_NAME.match(stage):
        raise ValueError(f"stage={stage!r}: expected letters, digits, '_', '.', '-' (it names a folder)")
    key = cache_key(stage, inputs, params)
    path = entry_path(stage, key, root)
    stack = _NESTED.__dict__.setdefault("stack", [])
    started = time.perf_counter()
    link_out = _link_out(path, Path(root) if root is not None else default_root())
    if path.exists() and not link_out:
        try:
            result = _read(path, key)
            STATS.hits[stage] += 1
            elapsed = time.perf_counter() - started
            STATS.read_seconds[stage] += elapsed  # type: ignore[assignment]  # float seconds in a Counter (typed int)
            if stack:
                stack[-1] += elapsed
            return result
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            _remove(path)  # corrupt, partial or not a regular file: rebuild below
            STATS.rebuilt[stage] += 1
    started = time.perf_counter()
    stack.append(0.0)
    try:
        arrays = _to_arrays(stage, key, compute())
    finally:
        nested = stack.pop()
    try:
        if link_out:  # computed, not stored: nothing is written outside the cache
            raise OutputError(link_out)
        _write(path, arrays)
    except OSError as error:  # a disk that fills or turns read-only mid-run costs speed, never the result
        if not _NESTED.__dict__.get("write_warned"):  # once per thread: not one line per cache entry
            _NESTED.write_warned = True
            logger.warning(f"stage {stage!r}: could not write cache entry {path}: {error}; later cache writes "
                           "that fail are not reported")
    STATS.misses[stage] += 1
    elapsed = time.perf_counter() - started
    STATS.compute_seconds[stage] += elapsed - nested  # this stage's own seconds
    if stack:
        stack[-1] += elapsed
    return _from_arrays(dict(arrays), key)


def frames_fingerprint(paths) -> list[list]:
    """[name, size, mtime_ns] of each frame file, in order; a missing file is one clear error."""
    rows = []
    for path in paths:
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: frame file not found (expected it for the cache key)") from None
        rows.append([Path(path).name, stat.st_size, stat.st_mtime_ns])
    return rows


# A recording's frames as the file system gives them (real path, size, mtime, ctime, inode, in order) -> their
# content digest, this process: every stage's lookup of a clip fingerprints it, and its frames are read once, not
# once a stage. Any change to a frame file reads them again: a write or a reset mtime moves its ctime, which no user
# can set back. The few most recent clips are kept.
_CONTENT_DIGESTS: dict[tuple, str] = {}
_CONTENT_DIGESTS_KEPT = 32


def frames_content_digest(paths) -> str:
    """Hex SHA-256 of the bytes of each frame file, in order (each preceded by its length, so that bytes cannot
    move from one file to the next unseen). A file is read as a frame is (:data:`io.MAX_IMAGE_BYTES` at most, a
    regular file only); one that cannot be read is a :class:`FrameReadError` naming it. Read once a process while
    the files stay as they are (:data:`_CONTENT_DIGESTS`)."""
    from common.preprocessing.io import MAX_IMAGE_BYTES, FrameReadError  # OpenCV: a recording's key only

    paths = list(paths)
    try:
        seen = tuple((os.path.realpath(path), s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino)
                     for path in paths for s in [os.stat(path)])
    except OSError as error:
        raise FrameReadError(f"{error.filename}: cannot read this frame ({error.strerror or error})",
                             Path(str(error.filename))) from None
    if seen in _CONTENT_DIGESTS:
        return _CONTENT_DIGESTS[seen]
    digest = hashlib.sha256()
    for path in paths:
        try:
            data = read_regular_bytes(path, max_bytes=MAX_IMAGE_BYTES)
        except OSError as error:
            raise FrameReadError(f"{path}: cannot read this frame ({error.strerror or error})", path) from None
        except FileTooLarge as error:
            raise FrameReadError(f"{path}: {error}, more than any frame file holds; not read", path) from None
        digest.update(f"{len(data)}\0".encode())
        digest.update(data)
    while len(_CONTENT_DIGESTS) >= _CONTENT_DIGESTS_KEPT:
        _CONTENT_DIGESTS.pop(next(iter(_CONTENT_DIGESTS)))
    _CONTENT_DIGESTS[seen] = digest.hexdigest()
    return _CONTENT_DIGESTS[seen]


def sample_fingerprint(sample) -> dict:
    """Identity of a ``Sample``'s pixels: dataset/subject/clip/key and each frame's name, size, mtime.

    A database clip is named by the database (subject and clip), so names, sizes and mtimes tell its frames
    apart. A new recording (``dataset == RECORDING``) is named by its folder's name or its video's stem only: two
    folders both called ``frames/``, unpacked from archives that keep mtimes, hold frames of equal names, sizes and
    mtimes with other pixels. Its key also holds where its frames are (their folders' real paths) and what they
    hold (:func:`frames_content_digest`), so no recording ever reads another's entries. A database clip's key is
    unchanged by this: it gets neither field."""
    fingerprint = {
        "dataset": sample.dataset,
        "subject": sample.subject,
        "clip": sample.clip,
        "key": sample.key,
        "frames": frames_fingerprint(sample.frames),
    }
    if sample.dataset == RECORDING:
        fingerprint["folders"] = sorted({os.path.realpath(Path(path).parent) for path in sample.frames})
        fingerprint["content"] = frames_content_digest(sample.frames)
    return fingerprint
