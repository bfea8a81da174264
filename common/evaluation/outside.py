"""Predictions made elsewhere, read and matched against a track's selection (``run_all.py --score``).

A file in either format is read by one parser; a line it cannot take is refused with one line naming
the file, the line number and what was expected (:class:`OutsideError`, never a traceback):

- ``csv``: a header naming ``clip``, ``subject``, ``database``, ``true``, ``pred`` (any order, any letter
  case), then one row per test clip. ``true`` and ``pred`` are class names of the track (e.g.
  ``negative``, ``positive``, ``surprise``) or their indices (0-based, in the track's order).
  Optional class-score columns, one per class, ``score_<class name>`` (all of them or none), each a
  finite number; they are checked and recorded, the scores use ``pred``. Read as spreadsheet
  programs write it (``common.files.read_spreadsheet_csv``: a byte-order mark, ``,``/``;``/tab, CRLF).
- ``ststnet_log``: the per-sample log STSTNet's authors publish (``STSTNet_logfile.txt`` in the GitHub
  repository christy1206/STSTNet, read for its layout): a ``<database> <subject>`` line (``casme2
  sub01``, ``smic s01``, ``samm 006``) opens each subject's block, then one ``<clip> <true> <predicted>``
  line per test clip, fields separated by white space, truth first. Its class codes are the MEGC 2019
  composite's, 0 negative, 1 positive, 2 surprise (:data:`LOG_CLASSES`): the SMIC clip names carry their
  class (``s01_ne_01 0``, ``s01_po_01 1``, ``s01_sur_01 2``), and the row sums of the counts are the
  composite's class counts (``papers/liong2019/reported.py``, ``LOG_CONFUSION`` counts that file).

The format is told by the first non-blank line: a CSV header (it names ``clip``), else the log.

Names are compared as the loaders write them (``common.datasets.megc2019.composite_names``: SMIC
``s01``/``s01_ne_01`` is ``s1``/``s1_ne_01``, SAMM ``6`` is ``006``), so the authors' names match. A clip
is ``database/subject/clip`` (``Sample.key``). :func:`match` lists the track's clips the file lacks
(missing), the file's clips the track does not hold (extra) and the clips whose true class differs from
the track's (relabelled); the clips that match are the :class:`common.evaluation.statistics.Predictions`
scored, in the order of the track's folds (each clip carries the name of the fold that tests it).
"""
from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from collections.abc import Sequence

import numpy as np

from common.datasets import megc2019
from common.errors import MersuiteError
from common.evaluation import statistics as st
from common.experiment import Fold, Selection
from common.files import read_spreadsheet_csv

FORMATS = ("csv", "ststnet_log")
CSV_COLUMNS = ("clip", "subject", "database", "true", "pred")
SCORE_PREFIX = "score_"
# The class codes of STSTNet_logfile.txt (christy1206/STSTNet): the composite's 0, 1, 2 (module docstring).
LOG_CLASSES = megc2019.CLASSES
EXAMPLES = 3  # clips named per kind of mismatch in the one-line refusal


class OutsideError(MersuiteError, ValueError):
    """A predictions file that cannot be read: one line naming the file, the line and what was expected."""


@dataclasses.dataclass(frozen=True)
class OutsideRow:
    """One test clip of the file: its line, names as the loaders write them, classes as positions in
    the track's class names, and its class scores when the file gives them."""

    line: int
    database: str
    subject: str
    clip: str
    true: int
    pred: int
    scores: tuple[float, ...] | None = None

    @property
    def key(self) -> str:
        return f"{self.database}/{self.subject}/{self.clip}"


@dataclasses.dataclass(frozen=True)
class OutsideFile:
    """A predictions file as read.

    ``format`` is "csv" or "ststnet_log"; ``rows`` are in the file's order; ``class_names`` are the track's,
    which every row's ``true`` and ``pred`` index; ``has_scores``: the CSV gave a score column per class.
    """

    path: Path
    format: str
    rows: tuple[OutsideRow, ...]
    class_names: tuple[str, ...]
    has_scores: bool = False


@dataclasses.dataclass(frozen=True)
class Relabelled:
    """A clip the file gives another true class than the track does."""

    key: str
    line: int
    file_class: str
    track_class: str


@dataclasses.dataclass(frozen=True)
class Matched:
    """The file against the track's selection: ``predictions`` holds the clips that match (listed, and
    with the track's true class), in the order of the track's folds; None when none does."""

    predictions: st.Predictions | None
    n_track: int
    n_rows: int
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    relabelled: tuple[Relabelled, ...]
    scores: np.ndarray | None = None  # (n scored, K) class scores of the scored clips, when the file gives them
    indices: tuple[int, ...] = ()  # the scored clips' positions in the selection

    @property
    def differ(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.relabelled)

    @property
    def scored(self) -> int:
        return 0 if self.predictions is None else len(self.predictions)


def _error(path: Path, line: int | None, what: str) -> OutsideError:
    return OutsideError(f"{path}{f', line {line}' if line else ''}: {what}")


def _class_of(cell: str, class_names: Sequence[str]) -> int | None:
    """The position of a class name (any letter case) or a 0-based index among ``class_names``."""
    text = cell.strip()
    lowered = [c.lower() for c in class_names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    if re.fullmatch(r"[0-9]+", text) and int(text) < len(class_names):
        return int(text)
    return None


def read_csv(path: str | Path, class_names: Sequence[str]) -> OutsideFile:
    """The ``csv`` format (module docstring)."""
    path = Path(path)
    try:
        separator, numbered = read_spreadsheet_csv(path)
    except ValueError as exc:
        raise _error(path, None, str(exc)) from None
    if not numbered:
        raise _error(path, None, "empty; expected a header naming " + ", ".join(CSV_COLUMNS))
    header_line, header_cells = numbered[0]
    header = [cell.strip().lower() for cell in header_cells]
    while header and not header[-1]:  # a spreadsheet's empty columns after the last named one
        header.pop()
    score_columns = [f"{SCORE_PREFIX}{c.lower()}" for c in class_names]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise _error(path, header_line, f"the header lacks {', '.join(missing)}; expected the columns "
                                        f"{', '.join(CSV_COLUMNS)} and optionally {', '.join(score_columns)}")
    unknown = [c for c in header if c not in CSV_COLUMNS and c not in score_columns]
    if unknown:
        raise _error(path, header_line, f"unknown column(s) {', '.join(repr(c) for c in unknown)}; expected "
                                        f"{', '.join(CSV_COLUMNS)} and optionally {', '.join(score_columns)}")
    if len(set(header)) != len(header):
        raise _error(path, header_line, f"a column is named twice in the header ({separator.join(header)})")
    given_scores = [c for c in score_columns if c in header]
    if given_scores and len(given_scores) != len(score_columns):
        absent = [c for c in score_columns if c not in header]
        raise _error(path, header_line, f"class-score columns for every class or none: {', '.join(absent)} "
                                        "missing")
    expected_classes = f"a class of the track ({', '.join(class_names)}) or its index 0-{len(class_names) - 1}"
    rows = []
    for number, cells in numbered[1:]:
        cells = [cell.strip() for cell in cells]
        if len(cells) > len(header) and any(cells[len(header):]):
            raise _error(path, number, f"{len(cells)} cells, the header names {len(header)} (a name holding "
                                       f"'{separator}' must be quoted)")
        values = dict(zip(header, cells))
        empty = [c for c in CSV_COLUMNS if not values.get(c)]
        if empty:
            raise _error(path, number, f"no {', '.join(empty)}; expected every one of {', '.join(CSV_COLUMNS)}")
        classes = {}
        for column in ("true", "pred"):
            position = _class_of(values[column], class_names)
            if position is None:
                raise _error(path, number, f"{column} {values[column]!r}: expected {expected_classes}")
            classes[column] = position
        scores = None
        if given_scores:
            try:
                scores = tuple(float(values.get(c) or "nan") for c in score_columns)
            except ValueError:
                scores = (math.nan,)
            if not all(math.isfinite(s) for s in scores):
                raise _error(path, number, f"expected a finite number in each of {', '.join(score_columns)}")
        database, subject, clip = megc2019.composite_names(values["database"], values["subject"], values["clip"])
        rows.append(OutsideRow(number, database, subject, clip, classes["true"], classes["pred"], scores))
    return _checked(OutsideFile(path, "csv", tuple(rows), tuple(class_names), bool(given_scores)))


def read_ststnet_log(path: str | Path, class_names: Sequence[str]) -> OutsideFile:
    """The ``ststnet_log`` format (module docstring); its codes name :data:`LOG_CLASSES`, which the
    track must hold."""
    path = Path(path)
    lacking = [c for c in LOG_CLASSES if c not in class_names]
    if lacking:
        raise _error(path, None, f"the STSTNet log's codes 0-2 are {', '.join(LOG_CLASSES)}; this track's classes "
                                 f"({', '.join(class_names)}) lack {', '.join(lacking)}")
    try:
        lines = path.read_bytes().decode("utf-8-sig").splitlines()
    except OSError as exc:
        raise _error(path, None, f"cannot read this file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise _error(path, None, f"not UTF-8 text (byte {exc.start})") from None
    block: tuple[str, str] | None = None
    rows = []
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) == 2:
            block = (fields[0], fields[1])
            continue
        if len(fields) != 3 and block is None:  # the first line: neither format
            raise _error(path, number, f"expected a CSV header naming {', '.join(CSV_COLUMNS)}, or the STSTNet log's "
                                       f"'<database> <subject>' line; got {line.strip()!r}")
        if len(fields) != 3:
            raise _error(path, number, f"expected '<database> <subject>' or '<clip> <true> <predicted>' (the STSTNet "
                                       f"log), got {line.strip()!r}")
        if block is None:
            raise _error(path, number, "a clip line before any '<database> <subject>' line")
        codes = []
        for what, code in (("true", fields[1]), ("predicted", fields[2])):
            if code not in ("0", "1", "2"):
                raise _error(path, number, f"{what} class {code!r}: expected 0, 1 or 2 (negative, positive, surprise)")
            codes.append(list(class_names).index(LOG_CLASSES[int(code)]))
        database, subject, clip = megc2019.composite_names(block[0], block[1], fields[0])
        rows.append(OutsideRow(number, database, subject, clip, codes[0], codes[1]))
    return _checked(OutsideFile(path, "ststnet_log", tuple(rows), tuple(class_names)))


def _checked(outside: OutsideFile) -> OutsideFile:
    """``outside`` unless it lists no clip or one clip twice."""
    if not outside.rows:
        raise _error(outside.path, None, "lists no clip")
    first: dict[str, int] = {}
    for row in outside.rows:
        if row.key in first:
            raise _error(outside.path, row.line, f"{row.key} is listed again (first at line {first[row.key]}); "
                                                 "expected one prediction per clip")
        first[row.key] = row.line
    return outside


def file_format(path: str | Path) -> str:
    """``"csv"`` when the first non-blank line is a CSV header (it names ``clip``), else ``"ststnet_log"``."""
    path = Path(path)
    try:
        separator, numbered = read_spreadsheet_csv(path)
    except ValueError as exc:
        raise _error(path, None, str(exc)) from None
    header = {cell.strip().lower() for cell in numbered[0][1]} if numbered else set()
    return "csv" if "clip" in header else "ststnet_log"


def read_outside(path: str | Path, class_names: Sequence[str]) -> OutsideFile:
    """The file in whichever format it is (:func:`file_format`)."""
    path = Path(path)
    if not path.is_file():
        raise _error(path, None, "no such file; expected a CSV of predictions or an STSTNet-style log")
    reader = read_csv if file_format(path) == "csv" else read_ststnet_log
    return reader(path, class_names)


def match(outside: OutsideFile, selection: Selection, folds: Sequence[Fold]) -> Matched:
    """The file's clips against the track's ``selection`` tested in ``folds`` (module docstring)."""
    rows = {row.key: row for row in outside.rows}
    names = selection.class_names
    keys, folds_of, indices = [], [], []
    for fold in folds:
        for i in fold.test:
            keys.append(selection.samples[i].key)
            folds_of.append(fold.name)
            indices.append(int(i))
    tested = set(keys)
    missing = tuple(k for k in keys if k not in rows)
    extra = tuple(row.key for row in outside.rows if row.key not in tested)
    relabelled = tuple(Relabelled(k, rows[k].line, names[rows[k].true], names[int(selection.labels[i])])
                       for k, i in zip(keys, indices) if k in rows and rows[k].true != int(selection.labels[i]))
    moved = {r.key for r in relabelled}
    kept = [n for n, k in enumerate(keys) if k in rows and k not in moved]
    if not kept:
        return Matched(None, len(keys), len(outside.rows), missing, extra, relabelled)
    samples = [selection.samples[indices[n]] for n in kept]
    predictions = st.make_predictions(
        [int(selection.labels[indices[n]]) for n in kept], [rows[keys[n]].pred for n in kept],
        [s.subject for s in samples], [s.dataset for s in samples], [folds_of[n] for n in kept],
        [keys[n] for n in kept], source=str(outside.path))
    scores = np.asarray([rows[keys[n]].scores for n in kept], dtype=float) if outside.has_scores else None
    return Matched(predictions, len(keys), len(outside.rows), missing, extra, relabelled, scores,
                   tuple(indices[n] for n in kept))


def mismatch_line(outside: OutsideFile, matched: Matched, track: str) -> str:
    """The one-line refusal: how many clips differ, of which kind, a few of each, and what ``--partial`` scores."""
    parts = []
    for count, what, examples in (
            (len(matched.missing), "missing", matched.missing),
            (len(matched.extra), "extra", matched.extra),
            (len(matched.relabelled), "relabelled",
             [f"{r.key} (file {r.file_class}, track {r.track_class})" for r in matched.relabelled])):
        if count:
            shown = ", ".join(examples[:EXAMPLES]) + (", ..." if count > EXAMPLES else "")
            parts.append(f"{count} {what}: {shown}")
    partial = (f"--partial scores the {matched.scored} that match" if matched.scored
               else "no clip matches, so --partial has nothing to score")
    return (f"{outside.path}: {matched.differ} of {matched.n_track} clips differ from {track}'s selection "
            f"({'; '.join(parts)}); {partial}")
