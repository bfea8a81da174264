"""Finding a database under a root folder, and listing its frame files without decoding them.

docs/databases.md §7.1: a user may point at the database folder itself or at any parent holding
several databases, and unzipping often doubles folders (``Cropped/Cropped``). We walk a few levels
down (never into subject or clip folders, so a real release is indexed in milliseconds) and let
each loader pick the folders that carry its signature.
"""
from __future__ import annotations

import dataclasses
import os
import re
import warnings
from pathlib import Path
from typing import Callable, Iterable

from common.datasets.sample import frame_number
from common.datasets.tables import DatabaseNotFound, DatasetError

# Folders we never descend into while searching: subject folders hold clips, not databases.
SUBJECT_DIR = re.compile(r"^(sub\d+|s\d+|\d{2,3})$", re.IGNORECASE)
# Frame files: img46.jpg, reg_img46.jpg, image059663.bmp, reg_image059663.bmp, reg_06387.bmp, 006_05562.jpg.
FRAME_FILE = re.compile(r"^(reg_img|reg_image|reg_|img|image|\d+_)?\d+\.(jpe?g|bmp|png)$", re.IGNORECASE)
SEARCH_DEPTH = 6


def walk_dirs(root: Path, depth: int = SEARCH_DEPTH) -> list[Path]:
    """``root`` and its sub-folders down to ``depth`` levels, breadth first, sorted by name per level.

    Subject-like folders (``sub01``, ``s1``, ``006``) are returned but not entered; hidden folders
    are skipped. Only folder names are listed, never file contents.
    """
    found: list[Path] = []
    level = [root]
    for _ in range(depth + 1):
        found.extend(level)
        following: list[Path] = []
        for folder in level:
            if folder != root and SUBJECT_DIR.match(folder.name):
                continue
            following.extend(child for child in subdirs(folder) if not child.name.startswith("."))
        level = following
    return found


def _entries(folder: Path, folders: bool) -> list[Path]:
    """Immediate sub-folders (``folders``) or files of ``folder``, sorted by name; [] when unreadable."""
    try:
        with os.scandir(folder) as entries:
            return sorted((Path(e.path) for e in entries if (e.is_dir() if folders else e.is_file())),
                          key=lambda p: p.name)
    except OSError:
        return []


def subdirs(folder: Path) -> list[Path]:
    """Immediate sub-folders, sorted by name; [] when unreadable."""
    return _entries(folder, folders=True)


def files_in(folder: Path) -> list[Path]:
    """Immediate files, sorted by name; [] when unreadable."""
    return _entries(folder, folders=False)


def check_root(root: str | Path) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetError(f"{path}: expected a folder holding the database (or a parent of several); it does not exist")
    return path


def find_files(root: Path, pattern: re.Pattern, dirs: Iterable[Path] | None = None) -> list[Path]:
    """Files whose name matches ``pattern`` in the searched folders (Office lock files ``~$...`` skipped)."""
    hits = []
    for folder in dirs if dirs is not None else walk_dirs(root):
        if folder != root and SUBJECT_DIR.match(folder.name):
            continue
        hits.extend(f for f in files_in(folder) if pattern.match(f.name) and not f.name.startswith("~$"))
    return hits


def has_subject_dirs(folder: Path, pattern: re.Pattern) -> bool:
    return any(pattern.match(child.name) for child in subdirs(folder))


def prefer(candidates: list[Path], wanted: Callable[[Path], bool]) -> list[Path]:
    """``candidates`` with those satisfying ``wanted`` first (stable)."""
    return [c for c in candidates if wanted(c)] + [c for c in candidates if not wanted(c)]


def path_mentions(path: Path, word: str, root: Path) -> bool:
    """Whether a folder name between ``root`` (excluded) and ``path`` contains ``word`` (e.g. "crop")."""
    parts = path.relative_to(root).parts if path.is_relative_to(root) else path.parts
    return any(word in part.lower() for part in parts)


def list_frames(folder: Path, pattern: re.Pattern = FRAME_FILE) -> list[Path]:
    """Frame files of a clip folder sorted by their integer frame number; stray files (``.lnk``) ignored.

    Never sorted as strings (``img100`` before ``img46``, docs/databases.md §1.2); no image is decoded.
    """
    return sorted((f for f in files_in(folder) if pattern.match(f.name)), key=frame_number)


def frames_between(frames: list[Path], first: int, last: int | None) -> list[Path]:
    """The frames whose number lies in ``first..last`` (inclusive; ``last=None`` means to the end)."""
    return [f for f in frames if frame_number(f) >= first and (last is None or frame_number(f) <= last)]


def best_frame_root(candidates: list[Path], clip_dirs: Callable[[Path], Iterable[Path]]) -> Path | None:
    """The candidate folder under which the most expected clip folders exist (ties: first candidate)."""
    best, best_hits = None, -1
    for candidate in candidates:
        hits = sum(1 for d in clip_dirs(candidate) if d.is_dir())
        if hits > best_hits:
            best, best_hits = candidate, hits
    return best


@dataclasses.dataclass(frozen=True)
class Found:
    """Where a database was found: its label file (None for SMIC-HS) and the folder above its subject folders."""

    database: str
    spreadsheet: Path | None
    frames: Path
    cropped: bool


def pick_spreadsheet(root: Path, pattern: re.Pattern, rank: Callable[[Path], tuple], what: str,
                     given: str | Path | None = None, dirs: list[Path] | None = None) -> Path:
    """The user's ``given`` file, else the best-ranked file under ``root`` matching ``pattern``."""
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise DatasetError(f"{path}: expected the {what} spreadsheet here; the file does not exist")
        return path
    hits = find_files(root, pattern, dirs)
    if not hits:
        raise DatabaseNotFound(f"{root}: no {what} found (expected a spreadsheet named like {pattern.pattern} "
                           f"within {SEARCH_DEPTH} folder levels)")
    return sorted(hits, key=rank)[0]


def choose_frame_root(candidates: list[Path], wanted: Callable[[Path], bool],
                      clip_dirs: Callable[[Path], Iterable[Path]], root: Path, what: str) -> Path:
    """Among folders holding subject folders, the wanted kind (e.g. cropped) where most clips exist.

    Falls back to the other kind with a warning; raises ``DatasetError`` when no clip folder of the
    spreadsheet exists anywhere.
    """
    first = [c for c in candidates if wanted(c)]
    second = [c for c in candidates if not wanted(c)]
    for group, fallback in ((first, False), (second, True)):
        best = best_frame_root(group, clip_dirs)
        if best is not None and any(d.is_dir() for d in clip_dirs(best)):
            if fallback and first:
                warnings.warn(f"{what}: the preferred frame folders ({', '.join(map(str, first))}) hold none of the "
                              f"labelled clips; using {best}", stacklevel=3)
            return best
    where = ", ".join(map(str, candidates)) if candidates else "none"
    raise DatasetError(f"{root}: no {what} clip folders found (expected <subject>/<clip>/ frame folders named as in the "
                       f"spreadsheet; folders with subject folders: {where})")


def listed_clip_frames(spreadsheet: Path, folder: Path, key: str, title: str, onset: int | None,
                       offset: int | None) -> list[Path] | None:
    """The frames ``onset..offset`` of a clip a spreadsheet row lists, or None after a ``DroppedWarning``
    naming the row (no usable onset/offset) or the folder (missing or empty on disk); CASME II and SAMM."""
    from common.datasets.sample import warn_dropped

    subject_clip = key.split("/", 1)[1]
    if onset is None or offset is None:
        warn_dropped(f"{spreadsheet}: {subject_clip} has no usable onset/offset; skipped", key, stacklevel=4)
        return None
    frames = frames_between(list_frames(folder), onset, offset)
    if not frames:
        warn_dropped(f"{folder}: {title} clip listed in the spreadsheet but missing or empty on disk "
                     f"(expected frames {onset}..{offset}); skipped", key, stacklevel=4)
        return None
    return frames
