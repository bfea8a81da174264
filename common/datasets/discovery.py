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
from typing import cast
from collections.abc import Callable, Iterable, Iterator, Sequence
import errno

from common.datasets.sample import frame_number, warn_dropped
from common.datasets.tables import (cell, cells_place, DatabaseNotFound, DatasetError, first_cell_problem,
                                    frame_cell_problem, is_blank, needed_frame_problem, Record, shown_cell, to_int,
                                    to_text)
from common.datasets.invariants import annotation_fields, annotation_problem
from common.errors import first_few

# Folders we never descend into while searching: subject folders hold clips, not databases (CAS(ME)^3's are
# spNO.<n>).
SUBJECT_DIR = re.compile(r"^(sub[0-9]+|s[0-9]+|[0-9]{2,3}|spNO\.[0-9]+)$", re.IGNORECASE)
# Frame files: img46.jpg, reg_img46.jpg, image059663.bmp, reg_image059663.bmp, reg_06387.bmp, 006_05562.jpg.
# ASCII digits only, as sample.frame_number reads them (\d would take "١٠٢", which no frame number is).
FRAME_FILE = re.compile(r"^(reg_img|reg_image|reg_|img|image|[0-9]+_)?[0-9]+\.(jpe?g|bmp|png|tiff?)$", re.IGNORECASE)
SEARCH_DEPTH = 6


def walk_dirs(root: Path, depth: int = SEARCH_DEPTH) -> list[Path]:
    """``root`` and its sub-folders down to ``depth`` levels, breadth first, sorted by name per level.

    Subject-like folders (``sub01``, ``s1``, ``006``) are returned but not entered; hidden folders
    are skipped. Only folder names are listed, never file contents. A folder is visited once: a symbolic link
    to a folder the walk already visits (the root itself, a parent, a sibling) is skipped, so that links
    looping back cost one ``stat`` each instead of a walk of links^depth folders.
    """
    found: list[Path] = []
    level = [root]
    seen = {folder_identity(root)}
    for _ in range(depth + 1):
        found.extend(level)
        following: list[Path] = []
        for folder in level:
            if folder != root and SUBJECT_DIR.match(folder.name):
                continue
            for child in subdirs(folder):
                identity = folder_identity(child)
                if child.name.startswith(".") or identity in seen:
                    continue
                seen.add(identity)
                following.append(child)
        level = following
    return found


def folder_identity(folder: Path) -> tuple[int, int] | Path:
    """``(st_dev, st_ino)`` of the folder ``folder`` names, links followed: two paths to one folder share it
    (the path itself when it cannot be examined)."""
    try:
        info = os.stat(folder)
    except OSError:
        return folder
    return info.st_dev, info.st_ino


class FolderError(DatasetError):
    """A folder that exists but cannot be listed (permission denied, a symbolic link loop...)."""


# Folders (or entries) that could not be read in this process, with why: path -> cause. The search
# skips them and goes on; a database not found names those under its root (folder_note).
UNREADABLE: dict[Path, str] = {}


def os_cause(error: OSError) -> str:
    """The filesystem's reason in words: "permission denied", "symbolic link loop", ..."""
    names: dict[int | None, str]  # OSError.errno may be None: the lookup then falls back
    names = {errno.EACCES: "permission denied", errno.EPERM: "permission denied (operation not permitted)",
             errno.ELOOP: "symbolic link loop (too many levels of symbolic links)",
             errno.ENAMETOOLONG: "name or path too long for the file system (a long name, or a symbolic link loop)",
             errno.EIO: "input/output error"}
    return names.get(error.errno, error.strerror or str(error))


def _entries(folder: Path, folders: bool, frame_names: re.Pattern | None = None) -> list[Path]:
    """Immediate sub-folders (``folders``) or files of ``folder``, sorted by name; with ``frame_names`` (files
    only), also each entry so named that exists but is no regular file (a folder, a named pipe, a device, a link
    to ``/dev/zero``): a frame's name holds something that is no frame, which the frame check refuses naming it
    (``invariants.frame_verdicts``), where left out it would read as a frame missing.

    [] when ``folder`` does not exist; ``FolderError`` naming the cause when it exists but cannot
    be listed. An entry that cannot be examined (a symbolic link loop) is skipped and recorded in
    :data:`UNREADABLE`, never hiding its siblings.
    """
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    wanted = entry.is_dir() if folders else entry.is_file()
                except OSError as error:
                    UNREADABLE[Path(entry.path)] = os_cause(error)
                    continue
                if not wanted and frame_names is not None and frame_names.match(entry.name):
                    wanted = os.path.exists(entry.path)  # a dangling link stays a frame missing
                if not wanted and folders and entry.is_symlink():
                    try:  # is_dir() answers False for a looping link instead of raising on some systems
                        os.stat(entry.path)
                    except OSError as error:
                        if not isinstance(error, FileNotFoundError):
                            UNREADABLE[Path(entry.path)] = os_cause(error)
                if wanted:
                    found.append(Path(entry.path))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        UNREADABLE[Path(folder)] = os_cause(error)
        raise FolderError(f"{folder}: cannot list this folder ({os_cause(error)})") from None
    UNREADABLE.pop(Path(folder), None)
    return sorted(found, key=lambda p: p.name)


def subdirs(folder: Path) -> list[Path]:
    """Immediate sub-folders, sorted by name; [] when missing or unreadable (recorded in UNREADABLE)."""
    try:
        return _entries(folder, folders=True)
    except FolderError:
        return []


def files_in(folder: Path) -> list[Path]:
    """Immediate files, sorted by name; [] when missing or unreadable (recorded in UNREADABLE)."""
    try:
        return _entries(folder, folders=False)
    except FolderError:
        return []


def folder_note(root: Path) -> str:
    """`` (could not read: X: cause; ...)`` for the unreadable folders under ``root``, or ``""``."""
    root = Path(root)
    hits = [f"{p}: {cause}" for p, cause in UNREADABLE.items() if p == root or root in p.parents]
    return f" (could not read: {'; '.join(hits[:4])}{' ...' if len(hits) > 4 else ''})" if hits else ""


def clip_frames(folder: Path, pattern: re.Pattern | None = None) -> tuple[list[Path], str]:
    """(frame files of a clip folder sorted by frame number, ``""``), or ([], why the folder cannot
    be listed: "permission denied", "symbolic link loop" ...). A frame's name that holds no regular file (a
    folder, a named pipe, a device) is listed with them: the frame check refuses it, naming it (:func:`_entries`)."""
    pattern = pattern or FRAME_FILE
    try:
        files = _entries(folder, folders=False, frame_names=pattern)
    except FolderError as error:
        return [], str(error)
    if not files and folder.is_symlink():
        try:
            os.stat(folder)
        except OSError as error:
            if not isinstance(error, FileNotFoundError):
                return [], f"{folder}: cannot list this folder ({os_cause(error)})"
    return sorted((f for f in files if pattern.match(f.name)), key=frame_number), ""


def check_root(root: str | Path) -> Path:
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetError(f"{path}: expected a folder holding the database (or a parent of several); "
                           "it does not exist")
    return path


def find_files(root: Path, pattern: re.Pattern, dirs: Iterable[Path] | None = None) -> list[Path]:
    """Files whose name matches ``pattern`` in the searched folders (Office lock files ``~$...`` skipped)."""
    hits: list[Path] = []
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
    return clip_frames(folder, pattern)[0]


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

    def label_file(self) -> Path:
        """``spreadsheet`` of a database found by its label file (every ``find`` but SMIC-HS's sets one)."""
        if self.spreadsheet is None:
            raise DatasetError(f"{self.database}: found without its label spreadsheet")
        return self.spreadsheet


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
                           f"within {SEARCH_DEPTH} folder levels){folder_note(root)}")
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
    raise DatasetError(f"{root}: no {what} clip folders found (expected <subject>/<clip>/ frame folders named as in "
                       f"the spreadsheet; folders with subject folders: {where}){folder_note(root)}")


def listed_clip_frames(spreadsheet: Path, folder: Path, key: str, title: str, onset: int, offset: int,
                       pattern: re.Pattern | None = None) -> list[Path] | None:
    """The frames ``onset..offset`` of a clip a spreadsheet row lists (its onset and offset checked by
    :func:`listed_clips`), or None after a ``DroppedWarning`` naming the folder (cannot be read, or missing
    or empty on disk); CASME II and SAMM, through :func:`listed_clips` (the warnings name the loader's
    caller: ``stacklevel`` counts this function, :func:`listed_clips` and the loader)."""
    subject_clip = key.split("/", 1)[1]
    listed, unreadable = clip_frames(folder, pattern)
    if unreadable:
        warn_dropped(f"{unreadable}; {title} clip {subject_clip} skipped", key, stacklevel=5)
        return None
    frames = frames_between(listed, onset, offset)
    if not frames:
        warn_dropped(f"{folder}: {title} clip listed in the spreadsheet but missing or empty on disk "
                     f"(expected frames {onset}..{offset}); skipped", key, stacklevel=5)
        return None
    return frames


@dataclasses.dataclass(frozen=True)
class ListedClip:
    """A spreadsheet row whose clip has its frames on disk (:func:`listed_clips`)."""

    record: Record
    subject: str
    clip: str
    onset: int
    apex: int | None
    offset: int
    frames: list[Path]


def listed_clips(found: Found, records: Iterable[Record], subject_name: Callable[[object], str],
                 columns: tuple[str, str, str], title: str, names: tuple[str, str] = ("Subject", "Filename"),
                 folder: Callable[[Path, str, str], Path] | None = None,
                 pattern: re.Pattern | None = None) -> Iterator[ListedClip]:
    """Each row of ``records`` (the subject and clip columns ``names`` and the onset, apex and offset ``columns``)
    whose clip folder (``<frames>/<subject>/<clip>``, or ``folder(frames, subject, clip)``) has the frames
    onset..offset (files matching ``pattern``, default :data:`FRAME_FILE`); a row without them is skipped with
    a ``DroppedWarning`` (:func:`listed_clip_frames`), and so is a row whose apex cell is neither a frame number
    nor "no apex" (``tables.frame_cell_problem``: a date or a typo is no missing apex), whose onset or offset cell
    gives no frame number (``tables.needed_frame_problem``: blank, negative, a typo, said as written), or whose
    onset is after its offset, each naming the file, row and column(s). The spreadsheet loaders of CASME II, SAMM,
    CASME, MMEW and 4DME."""
    spreadsheet = found.label_file()
    for record in records:
        try:
            subject = subject_name(cell(record, names[0]))
        except DatasetError as error:  # the name normaliser knows the cell, not the file
            raise DatasetError(f"{spreadsheet}: column {names[0]}: {error}") from None
        clip = to_text(cell(record, names[1]))
        for column, name in zip(names, (subject, clip)):  # a label's names are folder names, never a path elsewhere
            check_folder_name(name, f"{spreadsheet}: column {column}", f"the {title} clip's own folder name")
        key = f"{found.database}/{subject}/{clip}"
        apex_problem = frame_cell_problem(cell(record, columns[1]))
        if apex_problem:  # stacklevel 4 names the loader's caller, as listed_clip_frames' warnings do
            warn_dropped(f"{spreadsheet}: row {record.row}, column {columns[1]}: {apex_problem}; {title} clip "
                         f"{subject}/{clip} skipped", key, stacklevel=4, stage="annotation")
            continue
        # An onset or offset cell that gives no frame number (blank, negative, a typo): the row names no frames.
        needed = [(column, needed_frame_problem(cell(record, column))) for column in (columns[0], columns[2])]
        wrong = first_cell_problem(needed)
        if wrong:
            warn_dropped(f"{spreadsheet}: row {record.row}, {wrong}; {subject}/{clip} has no usable "
                         f"onset/offset; skipped", key, stacklevel=4, stage="annotation")
            continue
        onset, apex, offset = (to_int(cell(record, column)) for column in columns)
        onset, offset = cast(int, onset), cast(int, offset)  # both checked just above
        problem = annotation_problem(onset, None, offset)
        if problem:
            by_field = dict(zip(("onset", "apex", "offset"), columns))
            place = cells_place(record.row, [by_field[field] for field in annotation_fields(onset, None, offset)])
            warn_dropped(f"{spreadsheet}: {place}: {subject}/{clip}: {problem}; skipped", key, stacklevel=4,
                         stage="annotation")
            continue
        where = folder(found.frames, subject, clip) if folder is not None else found.frames / subject / clip
        frames = listed_clip_frames(spreadsheet, where, key, title, onset, offset, pattern)
        if frames is None:
            continue
        yield ListedClip(record, subject, clip, onset, apex, offset, frames)


def link_outside(path: Path, root: Path) -> tuple[Path, Path] | None:
    """(the link, where it leads) for the first symbolic link on ``path`` below ``root`` (a folder between them or
    ``path`` itself) that leads outside ``root`` (both with links resolved); None when there is none or ``path`` is
    not under ``root`` as written. The loaders follow such a link without a word: ``--check-data`` lists it."""
    if not path.is_relative_to(root):
        return None
    real_root = root.resolve()
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            target = current.resolve()
            if not target.is_relative_to(real_root):
                return current, target
    return None


def clips_outside(frames_of: Iterable[tuple[str, Sequence[Path]]], root: Path) -> dict[tuple[Path, Path], list[str]]:
    """Each symbolic link that leads a clip's folder or frame file outside the data root ``root``
    (:func:`link_outside`), as (the link, where it leads), with the keys of the clips read there: ``frames_of``
    gives (clip key, frame files) per clip. A clip folder is examined once, its frame files one ``lstat`` each; a
    link within the root (a clip folder linking to another of the database) is none."""
    root = Path(root).expanduser()
    clips: dict[tuple[Path, Path], list[str]] = {}
    folders: dict[Path, tuple[Path, Path] | None] = {}
    for key, frames in frames_of:
        if not frames:
            continue
        folder = frames[0].parent
        if folder not in folders:
            folders[folder] = link_outside(folder, root)
        found = [folders[folder]] + [(path, path.resolve()) for path in frames
                                     if path.is_symlink() and not path.resolve().is_relative_to(root.resolve())]
        for link in dict.fromkeys(f for f in found if f is not None):
            clips.setdefault(link, []).append(key)
    return clips


def links_outside(frames_of: Iterable[tuple[str, Sequence[Path]]], root: Path) -> list[str]:
    """One line per link of :func:`clips_outside`, with the first clips read there (``--check-data``)."""
    return [f"{link}: a symbolic link to {target}, outside the data root {Path(root).expanduser()}; read there: "
            f"{first_few(keys, 3, ' clip(s)')}"
            for (link, target), keys in clips_outside(frames_of, root).items()]


def unnamed_row(spreadsheet: Path, row: int, column: str, value: object, frame_cells: Iterable[object],
                expected: str, database: str, sheet: str = "") -> None:
    """Say why a label row is skipped whose ``column`` cell (``value``) names no clip (a blank ``Filename``, a
    ``Subject`` written ``s01`` where a number is expected). A row whose ``frame_cells`` give no frame number is a
    note or an empty row (docs/databases.md §2.2's trailing notes): nothing is said. One that gives a frame
    number is a clip's row with its name missing: a ``DroppedWarning`` names the file, the row and the column,
    where skipped without a word its clip would vanish from every count."""
    if not any(to_int(frame) is not None for frame in frame_cells):
        return
    shown = "blank" if is_blank(value) else shown_cell(value)
    place = f"{sheet}, row {row}" if sheet else f"row {row}"  # ``sheet``: "sheet 1" where a file has several
    warn_dropped(f"{spreadsheet}: {place}, column {column}: {shown}; expected {expected} (the row gives frame "
                 f"numbers but names no clip); skipped", f"{database}/{spreadsheet.name}, {place}", stacklevel=4,
                 stage="annotation")


def named_records(spreadsheet: Path, records: Iterable[Record], column: str, frame_columns: Sequence[str],
                  database: str, warn: bool) -> list[Record]:
    """The rows of ``records`` whose ``column`` cell (the clip's folder name) is written; with ``warn`` (once per
    load, not in ``find``), each other row that gives frame numbers in ``frame_columns`` is said
    (:func:`unnamed_row`)."""
    kept = []
    for record in records:
        if to_text(cell(record, column)):
            kept.append(record)
        elif warn:
            unnamed_row(spreadsheet, record.row, column, cell(record, column),
                        [cell(record, frame) for frame in frame_columns], "the clip's folder name", database)
    return kept


def check_folder_name(name: str, where: str, expected: str) -> None:
    """One :class:`DatasetError` line when ``name`` (a label file's cell) is a path rather than one folder's name:
    a separator, ``.`` or ``..`` would read frames outside the database."""
    if "/" in name or "\\" in name or name.strip() in (".", ".."):
        raise DatasetError(f"{where}: {name!r} is a path, not a folder name; expected {expected}")


def child_named(folder: Path, name: str) -> Path:
    """``folder / name``, or the one sub-folder whose name equals ``name`` but for case (a label file's ``J``
    for the folder ``j``); ``folder / name`` (missing) when neither exists. ``name`` comes from a label file: a
    path is refused (:func:`check_folder_name`)."""
    check_folder_name(name, f"folder name under {folder}", "one folder's name")
    exact = folder / name
    if exact.is_dir():
        return exact
    matches = [d for d in subdirs(folder) if d.name.lower() == name.lower()]
    return matches[0] if len(matches) == 1 else exact
