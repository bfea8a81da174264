"""Predictions made elsewhere, read and matched against a track's selection (``run_all.py --score``).

A file in either format is read by one parser; a line it cannot take is refused with one line naming
the file, the line number and what was expected (:class:`OutsideError`, never a traceback):

- ``csv``: a header naming ``clip``, ``subject``, ``database``, ``true``, ``pred`` (any order, any letter
  case), then one row per test clip. ``true`` and ``pred`` are class names of the track (e.g.
  ``negative``, ``positive``, ``surprise``) or their indices (0-based, in the track's order).
  Optional class-score columns, one per class, ``score_<class name>`` (all of them or none), each a
  finite decimal number (:data:`DECIMAL`: ``1_0`` or ``infinity``, which Python's ``float`` takes, are refused);
  they are checked and recorded, the scores use ``pred``. Read as spreadsheet
  programs write it (``common.files.read_spreadsheet_csv``: a byte-order mark, ``,``/``;``/tab, CRLF).
- ``predictions_csv``: our own ``predictions.csv`` (a run's, a benchmark method's, or the one ``--score``
  writes; ``common.evaluation.records.write_predictions_csv``): ``key`` (``database/subject/clip``),
  ``y_true`` and ``y_pred`` (class indices), ``status`` (the rows of a fold not scored, a diverged fold's
  ``nan``, are left out as the runner's metrics leave them out; a status our runs never write is refused) and
  ``p_<class>``, the class probabilities
  (each in [0, 1], a row summing to 1; unlike ``score_<class>``, which may be any finite scores, logits too).
  Its other columns (``fold``, :data:`OURS_OPTIONAL`) must agree with ``key``, the classes and the track's folds;
  a column it does not write, one named twice, or the csv format's columns beside it are refused.
- ``ststnet_log``: the per-sample log STSTNet's authors publish (``STSTNet_logfile.txt`` in the GitHub
  repository christy1206/STSTNet, read for its layout): a ``<database> <subject>`` line (``casme2
  sub01``, ``smic s01``, ``samm 006``) opens each subject's block, then one ``<clip> <true> <predicted>``
  line per test clip, fields separated by white space, truth first. Its class codes are the MEGC 2019
  composite's, 0 negative, 1 positive, 2 surprise (:data:`LOG_CLASSES`): the SMIC clip names carry their
  class (``s01_ne_01 0``, ``s01_po_01 1``, ``s01_sur_01 2``), and the row sums of the counts are the
  composite's class counts (``papers/liong2019/reported.py``, ``LOG_CONFUSION`` counts that file).

The format is told by the first non-blank line: a CSV header (it names ``clip``, or every column of
:data:`OURS_COLUMNS`: ``fold``, ``key``, ``y_true``, ``y_pred`` and ``status``), else the log. Every format is read
as a stream: a file is refused at its first unusable line (or at the row past :data:`MAX_ROWS`) without reading the
rest.

Names are compared as the loaders write them (``common.datasets.released.composite_names``: SMIC
``s01``/``s01_ne_01`` is ``s1``/``s1_ne_01``, SAMM ``6`` is ``006``), so the authors' names match. A clip
is ``database/subject/clip`` (``Sample.key``). :func:`match` lists the track's clips the file lacks
(missing), the file's clips the track does not hold (extra) and the clips whose true class differs from
the track's (relabelled); the clips that match are the :class:`common.evaluation.statistics.Predictions`
scored, in the order of the track's folds (each clip carries the name of the fold that tests it).
"""
from __future__ import annotations

import collections
import dataclasses
import math
import re
from pathlib import Path
from typing import cast
from collections.abc import Iterator, Sequence

import numpy as np

from common.datasets import megc2019
from common.datasets.released import list_key
from common.datasets.tables import DatasetError
from common.errors import first_few, MersuiteError
from common.evaluation import metrics
from common.evaluation import statistics as st
from common.evaluation.records import FOLD_STATUSES
from common.experiment import Fold, Selection
from common.files import (csv_text, ESCAPED_BYTE, file_sha256, open_regular, read_json, stream_spreadsheet_csv,
                          terminal_text)

FORMATS = ("csv", "predictions_csv", "ststnet_log")
CSV_COLUMNS = ("clip", "subject", "database", "true", "pred")
OURS_COLUMNS = ("fold", "key", "y_true", "y_pred", "status")  # our own predictions.csv (records.write_predictions_csv)
# The other columns records.write_predictions_csv writes (besides p_<class>): each checked against key and y_true/y_pred
# where the file gives it, so that a file whose columns contradict each other is refused, never scored on one of them.
OURS_OPTIONAL = ("index", "list_key", "dataset", "subject", "true_class", "predicted_class")
# The columns only the csv format has: a header naming them beside our own columns mixes the two formats.
CSV_ONLY = ("clip", "database", "true", "pred")
# How far a row's p_<class> may sum from 1: the runner writes each probability to 6 significant digits (%.6g).
PROBABILITY_SUM_TOLERANCE = 1e-3
# A file of more rows is refused at the row past it, unread beyond: the composite holds 442 clips, every
# database this suite reads together about 1,100, so no track's file comes near.
MAX_ROWS = st.PREDICTION_ROWS
# The most lines of any kind (blank, a diverged fold's, a header) read before a file is refused: the lines not kept
# count too, so that ten million blank lines are refused at the line past this, not read to their end.
MAX_LINES = 2 * MAX_ROWS
# The longest database, subject or clip name kept from a file (a key is three of them): a longer one is refused
# naming its line (a hundred thousand names of a quarter of a million characters each would be held otherwise).
MAX_NAME = 1000
# The longest line of the STSTNet log read (a clip line is a name and two codes): a longer one is refused at that
# line, never read whole (a file without line ends would otherwise be held in memory as one line).
MAX_LINE = 4096
SCORE_PREFIX = "score_"
# A class score or probability cell: a decimal number in ASCII digits, with an optional sign, decimal point and
# exponent ("0.8", "-1.5", ".5", "2e-3"). Python's float() takes more, which no score writer means: an underscore
# between digits ("1_0" read as 10), "inf"/"infinity"/"nan", other scripts' digits. (A cell's surrounding spaces are
# trimmed before, as for every cell of the file.)
DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
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
    fold: str | None = None  # our own predictions.csv's fold and index, checked against the track's (match)
    index: int | None = None

    @property
    def key(self) -> str:
        return f"{self.database}/{self.subject}/{self.clip}"


@dataclasses.dataclass(frozen=True)
class OutsideFile:
    """A predictions file as read.

    ``format`` is "csv", "predictions_csv" (our own) or "ststnet_log"; ``rows`` are in the file's order;
    ``class_names`` are the track's, which every row's ``true`` and ``pred`` index; ``has_scores``: the CSV gave a
    score column per class.
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
    if re.fullmatch(r"[0-9]{1,6}", text) and int(text) < len(class_names):  # int() refuses over 4,300 digits
        return int(text)
    return None


def shown_name(name: str) -> str:
    """A name from a file as a message prints it: at most 60 characters of it, with its length where it is longer,
    and control characters escaped (``common.files.terminal_text``: never sent raw to a terminal)."""
    return terminal_text(name if len(name) <= 60 else f"{name[:60]}... ({len(name)} characters)")


def _shown(cell: object) -> str:
    """A cell as an error line quotes it: at most 60 characters of it, and its length where it is longer."""
    if not isinstance(cell, str) or len(cell) <= 60:
        return repr(cell)
    return f"{cell[:60]!r}... ({len(cell)} characters)"


def _stream(path: Path) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The file's CSV rows as read (``common.files.stream_spreadsheet_csv``), each cell's text as a spreadsheet
    holds it (``common.files.csv_text``: the ``'`` that our CSVs and spreadsheet programs put before a formula-like
    name taken off); its errors as one line."""
    try:
        separator, rows = stream_spreadsheet_csv(path, max_lines=MAX_LINES)
    except ValueError as exc:
        raise _error(path, None, str(exc)) from None

    def checked() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in rows:
                yield number, [csv_text(cell) for cell in cells]
        except ValueError as exc:
            raise _error(path, None, str(exc)) from None

    return separator, checked()


class _Rows:
    """The rows read so far: a clip listed twice, or more rows than :data:`MAX_ROWS`, is refused at the row
    that does it, before the rest of the file is read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[OutsideRow] = []
        self.first: dict[str, int] = {}

    def add(self, row: OutsideRow) -> None:
        if row.key in self.first:
            raise _error(self.path, row.line, f"{row.key} is listed again (first at line {self.first[row.key]}); "
                                              "expected one prediction per clip")
        if len(self.rows) >= MAX_ROWS:
            raise _error(self.path, row.line, f"more than {MAX_ROWS} clips; no corpus this suite scores holds "
                                              "as many (expected one row per test clip of the track)")
        self.first[row.key] = row.line
        self.rows.append(row)


def _names(path: Path, line: int, database: str, subject: str, clip: str) -> tuple[str, str, str]:
    """``megc2019.composite_names``, its refusal of a subject it cannot read as one line naming the line; a name
    longer than :data:`MAX_NAME` characters is refused before it is kept."""
    for what, name in (("database", database), ("subject", subject), ("clip", clip)):
        if len(name) > MAX_NAME:
            raise _error(path, line, f"a {what} name of {len(name):,} characters ({_shown(name)}); expected at most "
                                     f"{MAX_NAME:,}")
    try:
        return megc2019.composite_names(database, subject, clip)
    except DatasetError as exc:
        raise _error(path, line, str(exc)) from None


def read_csv(path: str | Path, class_names: Sequence[str]) -> OutsideFile:
    """The ``csv`` format, or our own ``predictions.csv`` (module docstring), read as a stream."""
    path = Path(path)
    separator, numbered = _stream(path)
    first = next(numbered, None)
    if first is None:
        raise _error(path, None, "empty; expected a header naming " + ", ".join(CSV_COLUMNS))
    header_line, header_cells = first
    header = [cell.strip().lower() for cell in header_cells]
    while header and not header[-1]:  # a spreadsheet's empty columns after the last named one
        header.pop()
    # A column named twice would be read from one of its cells and the other ignored: refused in either format.
    if len(set(header)) != len(header):
        twice = collections.Counter(header).most_common(1)[0][0]  # one pass: a header may hold a million cells
        raise _error(path, header_line, f"a column is named twice in the header ({_shown(twice)})")
    if set(OURS_COLUMNS) <= set(header):
        mixed = [c for c in CSV_ONLY if c in header]
        if mixed:
            raise _error(path, header_line, f"the header mixes our predictions.csv's columns ({', '.join(OURS_COLUMNS)}"
                                            f") with the csv format's ({', '.join(mixed)}); expected one format")
        return _read_ours(path, header_line, header, numbered, class_names, separator)
    score_columns = [f"{SCORE_PREFIX}{c.lower()}" for c in class_names]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise _error(path, header_line, f"the header lacks {', '.join(missing)}; expected the columns "
                                        f"{', '.join(CSV_COLUMNS)} and optionally {', '.join(score_columns)}, "
                                        f"or our own predictions.csv ({', '.join(OURS_COLUMNS)}, ...)")
    given_scores = _header_columns(path, header_line, header, {*CSV_COLUMNS, *score_columns},
                                   f"{', '.join(CSV_COLUMNS)} and optionally {', '.join(score_columns)}",
                                   score_columns, "class-score")
    expected_classes = f"a class of the track ({', '.join(class_names)}) or its index 0-{len(class_names) - 1}"
    rows = _Rows(path)
    for number, cells in numbered:
        cells = [cell.strip() for cell in cells]
        _extra_cells(path, number, cells, header, separator)
        values = dict(zip(header, cells))
        empty = [c for c in CSV_COLUMNS if not values.get(c)]
        if empty:
            raise _error(path, number, f"no {', '.join(empty)}; expected every one of {', '.join(CSV_COLUMNS)}")
        classes = {}
        for column in ("true", "pred"):
            position = _class_of(values[column], class_names)
            if position is None:
                raise _error(path, number, f"{column} {_shown(values[column])}: expected {expected_classes}")
            classes[column] = position
        scores = _scores(path, number, values, score_columns) if given_scores else None
        database, subject, clip = _names(path, number, values["database"], values["subject"], values["clip"])
        rows.add(OutsideRow(number, database, subject, clip, classes["true"], classes["pred"], scores))
    return _checked(OutsideFile(path, "csv", tuple(rows.rows), tuple(class_names), bool(given_scores)))


def _scores(path: Path, number: int, values: dict[str, str], columns: Sequence[str]) -> tuple[float, ...]:
    """The row's class scores (or probabilities), one finite decimal number per column (:data:`DECIMAL`), or one
    line naming the row and the first column that holds something else."""
    scores = []
    for column in columns:
        cell = values.get(column) or ""
        # float() alone would take "1_0" as 10, "infinity", other scripts' digits: the pattern first, then float()
        value = float(cell) if DECIMAL.fullmatch(cell) else math.nan
        if not math.isfinite(value):  # not a decimal number, or one past the float range (1e999)
            raise _error(path, number, f"{column} {_shown(cell) if cell else 'empty'}: expected a finite decimal "
                                       f"number (digits, an optional sign, point and exponent: 0.8, -1.5, 2e-3)")
        scores.append(value)
    return tuple(scores)


def _header_columns(path: Path, header_line: int, header: Sequence[str], known: set[str], expected: str,
                    per_class: Sequence[str], what: str) -> list[str]:
    """The header's columns among ``per_class`` (one per class: every one or none) after refusing a column not in
    ``known`` (``expected`` says which are) and a set of ``what`` columns that names some classes only."""
    unknown = [c for c in header if c not in known]
    if unknown:
        raise _error(path, header_line, f"unknown column(s) {first_few([_shown(c) for c in unknown], 5)}; "
                                        f"expected {expected}")
    given = [c for c in per_class if c in header]
    if given and len(given) != len(per_class):
        absent = [c for c in per_class if c not in header]
        raise _error(path, header_line, f"{what} columns for every class or none: {', '.join(absent)} missing")
    return given


def _extra_cells(path: Path, number: int, cells: Sequence[str], header: Sequence[str], separator: str) -> None:
    """A row holding a filled cell beyond the header's columns is refused (a spreadsheet's empty ones are not)."""
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
        raise _error(path, number, f"{len(cells)} cells, the header names {len(header)} (a name holding "
                                   f"'{separator}' must be quoted)")


def _probabilities(path: Path, number: int, values: dict[str, str],
                   columns: Sequence[str]) -> tuple[float, ...] | None:
    """The row's ``p_<class>`` cells: None when every one is empty (a run that kept no probabilities), else class
    probabilities, each in [0, 1] and summing to 1 (within :data:`PROBABILITY_SUM_TOLERANCE`); anything else (an
    empty cell among filled ones, a value out of range, a row not summing to 1) one line naming the row."""
    cells = [values.get(c, "") for c in columns]
    if not any(cells):
        return None
    if not all(cells):
        empty = [c for c, cell in zip(columns, cells) if not cell]
        raise _error(path, number, f"{', '.join(empty)} empty where the row's other class probabilities are given; "
                                   f"expected every one of {', '.join(columns)} or none")
    probabilities = _scores(path, number, values, columns)
    outside_range = [(c, p) for c, p in zip(columns, probabilities) if not 0.0 <= p <= 1.0]
    if outside_range:
        column, value = outside_range[0]
        raise _error(path, number, f"{column} {value:g}: expected a class probability in [0, 1]")
    total = math.fsum(probabilities)
    if abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
        raise _error(path, number, f"the class probabilities {', '.join(columns)} sum to {total:.6g}; expected 1 "
                                   f"(within {PROBABILITY_SUM_TOLERANCE:g})")
    return probabilities


def _ours_agrees(path: Path, number: int, values: dict[str, str], parts: Sequence[str], names: Sequence[str],
                 classes: Sequence[int], class_names: Sequence[str]) -> None:
    """Each of :data:`OURS_OPTIONAL`'s columns the row fills agrees with its ``key`` (``parts`` as written, ``names``
    as the loaders write them: either is taken) and ``y_true``/``y_pred``, as ``records.write_predictions_csv``
    writes them; a row that contradicts itself is refused naming its line."""
    expected = {"dataset": (parts[0], names[0]), "subject": (parts[1], names[1]),
                "list_key": ("/".join(parts), list_key("/".join(names))),
                "true_class": (class_names[classes[0]],), "predicted_class": (class_names[classes[1]],)}
    for column, allowed in expected.items():
        cell = values.get(column, "")
        value = allowed[-1]
        if cell and cell.lower() not in {a.lower() for a in allowed}:
            raise _error(path, number, f"{column} {_shown(cell)} contradicts the row's "
                                       f"{'key' if column in ('dataset', 'subject', 'list_key') else 'classes'} "
                                       f"(expected {_shown(value)}, as our predictions.csv writes it)")
    index = values.get("index", "")
    if index and not re.fullmatch(r"[0-9]{1,9}", index):
        raise _error(path, number, f"index {_shown(index)}: expected the clip's position in the track's selection")


def _read_ours(path: Path, header_line: int, header: list[str], numbered: Iterator[tuple[int, list[str]]],
               class_names: Sequence[str], separator: str) -> OutsideFile:
    """Our own ``predictions.csv`` (a run's, a benchmark method's, or the one ``--score`` writes:
    ``common.evaluation.records.write_predictions_csv``): ``key`` is ``database/subject/clip``, ``y_true`` and
    ``y_pred`` the class indices, ``p_<class>`` the class probabilities (all of a row's or none; every scored row
    or none); the rows of a fold whose status is not scored (a diverged fold's ``nan``) are left out, as the
    runner's metrics do. Every other column it writes (``fold``, :data:`OURS_OPTIONAL`) must agree with ``key``,
    the classes and (``fold``, ``index``: :func:`match`) the track; a column it does not write is refused."""
    prob_columns = [f"p_{c.lower()}" for c in class_names]
    given_probs = _header_columns(path, header_line, header, {*OURS_COLUMNS, *OURS_OPTIONAL, *prob_columns},
                                  f"our predictions.csv's {', '.join(OURS_COLUMNS)}, {', '.join(OURS_OPTIONAL)} and "
                                  f"{', '.join(prob_columns)}", prob_columns, "class-probability")
    rows = _Rows(path)
    scores: list[tuple[float, ...] | None] = []
    first_with: dict[bool, int] = {}  # the first scored line with, and without, class probabilities
    not_scored = 0  # the rows of folds not scored (a diverged fold's nan), left out
    for number, cells in numbered:
        _extra_cells(path, number, cells, header, separator)
        values = dict(zip(header, (cell.strip() for cell in cells)))
        status = values.get("status", "")
        # A status our runs never write ("OK", a typo, an empty cell) is refused: left out as a diverged fold's row,
        # its clip would be reported missing, and under --partial scored without it.
        if status not in FOLD_STATUSES:
            raise _error(path, number, f"status {_shown(status)}: expected a fold's status as our runs write it, one "
                                       f"of {', '.join(FOLD_STATUSES)}")
        if status not in metrics.SCORED_STATUSES:
            not_scored += 1
            continue
        key = values.get("key", "")
        if len(key) > 3 * MAX_NAME + 2:
            raise _error(path, number, f"a key of {len(key):,} characters ({_shown(key)}); expected at most "
                                       f"{3 * MAX_NAME + 2:,}")
        parts = key.split("/")
        classes = [_class_of(values.get(c, ""), class_names) for c in ("y_true", "y_pred")]
        if len(parts) != 3 or not all(parts) or None in classes or not values.get("fold"):
            raise _error(path, number, f"expected our predictions.csv's row: fold, key database/subject/clip, y_true "
                                       f"and y_pred class indices 0-{len(class_names) - 1}; got fold "
                                       f"{_shown(values.get('fold'))}, key {_shown(key)}, y_true "
                                       f"{_shown(values.get('y_true'))}, y_pred {_shown(values.get('y_pred'))}")
        true, pred = int(cast(int, classes[0])), int(cast(int, classes[1]))
        database, subject, clip = _names(path, number, *parts)
        _ours_agrees(path, number, values, parts, (database, subject, clip), (true, pred), class_names)
        probabilities = _probabilities(path, number, values, prob_columns) if given_probs else None
        first_with.setdefault(probabilities is not None, number)
        if len(first_with) == 2:  # a file's probabilities are scored for all its clips or for none
            raise _error(path, number, f"class probabilities on line {first_with[True]} but none on line "
                                       f"{first_with[False]}; expected them on every scored row or on none")
        scores.append(probabilities)
        index = values.get("index", "")
        rows.add(OutsideRow(number, database, subject, clip, true, pred, fold=values["fold"],
                            index=int(index) if index else None))
    with_scores = bool(scores) and all(s is not None for s in scores)
    if with_scores:
        rows.rows = [dataclasses.replace(r, scores=s) for r, s in zip(rows.rows, scores)]
    if not rows.rows and not_scored:  # not "lists no clip": it lists them, every one in a fold not scored
        raise _error(path, None, f"lists no clip of a scored fold: its {not_scored} rows are all of folds not scored "
                                 "(a diverged fold's nan); expected at least one row of status ok")
    return _checked(OutsideFile(path, "predictions_csv", tuple(rows.rows), tuple(class_names), with_scores))


def _is_block(fields: Sequence[str]) -> bool:
    """A ``<database> <subject>`` line of the log: two fields, the first a database of the composite."""
    return len(fields) == 2 and fields[0].lower() in megc2019.SOURCES


def read_ststnet_log(path: str | Path, class_names: Sequence[str]) -> OutsideFile:
    """The ``ststnet_log`` format (module docstring), read line by line; its codes name :data:`LOG_CLASSES`,
    which the track must hold. A line with two fields whose first is not a database of the composite
    (``smic``, ``casme2``, ``samm``) is a malformed line (a cut clip line), never a block header."""
    path = Path(path)
    lacking = [c for c in LOG_CLASSES if c not in class_names]
    if lacking:
        raise _error(path, None, f"the STSTNet log's codes 0-2 are {', '.join(LOG_CLASSES)}; this track's classes "
                                 f"({', '.join(class_names)}) lack {', '.join(lacking)}")
    block: tuple[str, str] | None = None
    rows = _Rows(path)
    try:
        # Bytes that are not UTF-8 are kept as surrogates and refused at their own line: a decoding error would come
        # from the block of text decoded ahead of the line read, and name a line before the one that holds them.
        with open_regular(path, encoding="utf-8-sig", errors="surrogateescape") as handle:
            for number, line in enumerate(iter(lambda: handle.readline(MAX_LINE + 1), ""), 1):
                if len(line) > MAX_LINE:
                    raise _error(path, number, f"a line longer than {MAX_LINE} characters; expected '<database> "
                                               "<subject>' or '<clip> <true> <predicted>' lines (the STSTNet log)")
                if ESCAPED_BYTE.search(line):
                    raise _error(path, number, "not UTF-8 text; save it as UTF-8")
                fields = line.split()
                if not fields:
                    continue
                if _is_block(fields):
                    block = (fields[0], fields[1])
                    continue
                if len(fields) != 3 and block is None:  # the first line: neither format
                    raise _error(path, number, f"expected a CSV header naming {', '.join(CSV_COLUMNS)}, or the "
                                               f"STSTNet log's '<database> <subject>' line "
                                               f"({', '.join(megc2019.SOURCES)}); got {_shown(line.strip())}")
                if len(fields) != 3:
                    raise _error(path, number, f"malformed line {_shown(line.strip())}: expected '<database> "
                                               f"<subject>' (database {', '.join(megc2019.SOURCES)}) or '<clip> "
                                               "<true> <predicted>' (the STSTNet log)")
                if block is None:
                    raise _error(path, number, "a clip line before any '<database> <subject>' line")
                codes = []
                for what, code in (("true", fields[1]), ("predicted", fields[2])):
                    if code not in ("0", "1", "2"):
                        raise _error(path, number, f"{what} class {_shown(code)}: expected 0, 1 or 2 (negative, "
                                                   "positive, surprise)")
                    codes.append(list(class_names).index(LOG_CLASSES[int(code)]))
                database, subject, clip = _names(path, number, block[0], block[1], fields[0])
                rows.add(OutsideRow(number, database, subject, clip, codes[0], codes[1]))
    except OSError as exc:
        raise _error(path, None, f"cannot read this file ({exc.strerror or exc})") from None
    return _checked(OutsideFile(path, "ststnet_log", tuple(rows.rows), tuple(class_names)))


def _checked(outside: OutsideFile) -> OutsideFile:
    """``outside`` unless it lists no clip (one clip twice is refused as it is read, :class:`_Rows`)."""
    if not outside.rows:
        raise _error(outside.path, None, "lists no clip")
    return outside


def file_format(path: str | Path) -> str:
    """``"csv"`` when the first non-blank line is a CSV header (it names ``clip``, or every column of
    :data:`OURS_COLUMNS`: our own predictions.csv), else ``"ststnet_log"``."""
    path = Path(path)
    _, numbered = _stream(path)
    first = next(numbered, None)
    header = {cell.strip().lower() for cell in first[1]} if first else set()
    return "csv" if "clip" in header or set(OURS_COLUMNS) <= header else "ststnet_log"


def read_outside(path: str | Path, class_names: Sequence[str]) -> OutsideFile:
    """The file in whichever format it is (:func:`file_format`)."""
    path = Path(path)
    expected = "expected a CSV of predictions, our predictions.csv or an STSTNet-style log"
    if not path.exists():
        raise _error(path, None, f"no such file; {expected}")
    if path.is_dir():
        raise _error(path, None, f"a folder; {expected}")
    if not path.is_file():
        raise _error(path, None, f"not a regular file (a FIFO, a device or a socket); {expected}")
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
    _check_folds(outside, rows, keys, folds_of, indices)
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


def _check_folds(outside: OutsideFile, rows: dict[str, OutsideRow], keys: Sequence[str], folds_of: Sequence[str],
                 indices: Sequence[int]) -> None:
    """Our own predictions.csv names the fold that tested each clip and its position in the selection: a file whose
    fold or index is not the track's for the clip was made on other folds (or says what it was not), and is
    refused at its first such line, never scored on the track's folds as though it agreed."""
    wrong = []
    for key, fold, index in zip(keys, folds_of, indices):
        row = rows.get(key)
        if row is None:
            continue
        if row.fold is not None and row.fold != fold:
            wrong.append((row.line, f"fold {_shown(row.fold)} for {shown_name(key)}; the track tests it in fold "
                                    f"{_shown(fold)}"))
        elif row.index is not None and row.index != index:
            wrong.append((row.line, f"index {row.index} for {shown_name(key)}; the clip is at {index} in the "
                                    "track's selection"))
    if wrong:
        line, what = min(wrong)
        raise _error(outside.path, line, f"{what} ({len(wrong)} such rows); expected the track's folds")


def mismatch_line(outside: OutsideFile, matched: Matched, track: str) -> str:
    """The one-line refusal: how many of the track's clips the file lacks or gives another true class (each out of
    the track's clip count), how many of the file's rows the track does not hold (out of the file's row count), a
    few of each, and what ``--partial`` scores. The two counts are of different things and are never added: a file
    of the wrong corpus would otherwise read "108 of 36 clips differ"."""

    def named(count: int, examples: Sequence[str]) -> str:
        # the names from the file shortened and escaped (shown_name): a name may be 1,000 characters
        return ", ".join(shown_name(e) for e in examples[:EXAMPLES]) + (", ..." if count > EXAMPLES else "")

    n_missing, n_relabelled, n_extra = len(matched.missing), len(matched.relabelled), len(matched.extra)
    relabelled = [f"{r.key} (file {r.file_class}, track {r.track_class})" for r in matched.relabelled[:EXAMPLES]]
    # the track's clips not scored (missing, or listed under another true class), counted out of the track's: the
    # first count says of what ("20 of the track's 36 clips missing (...), 4 relabelled (...)")
    on_track: list[str] = []
    for count, what, examples in ((n_missing, "missing", matched.missing), (n_relabelled, "relabelled", relabelled)):
        if count:
            of_what = "" if on_track else f" of the track's {matched.n_track} clips"
            on_track.append(f"{count}{of_what} {what} ({named(count, examples)})")
    parts = [", ".join(on_track)] if on_track else []
    if n_extra:  # the file's rows the track does not hold, counted out of the file's rows
        parts.append(f"{n_extra} of the file's {matched.n_rows} rows not on the track "
                     f"({named(n_extra, matched.extra)})")
    partial = (f"--partial scores the {matched.scored} that match" if matched.scored
               else "no clip matches, so --partial has nothing to score")
    return f"{outside.path}: differs from {track}'s selection: {'; '.join(parts)}; {partial}"


# The suite's own runs shipped with a record beside them (docs/predictions/runs.json, written by
# benchmarks/reproductions.py: each file a run's own predictions.csv, with its sha256): how their predictions were
# selected is known, for a file whose bytes are the listed file's.
SHIPPED_RECORD = "runs.json"
SHIPPED_SCHEMA = "mersuite.reproductions/1"
SHIPPED_RECORD_BYTES = 1_000_000  # the record is a few kB; a larger file is not one
LAST_EPOCH = "last epoch"  # how a shipped file's selection begins (the other: "unknown")


def shipped_selection(path: Path, file_format: str) -> str | None:
    """How the predictions of ``path`` were selected when it is one of the suite's own runs shipped with
    :data:`SHIPPED_RECORD` beside it (our ``predictions_csv`` format, listed there by its file name and with its
    sha256, which the file's bytes must have): every fold's network after its last epoch, as every run listed there
    predicts (no epoch or model is chosen on the test subjects' clips). None otherwise (a file of the listed name
    whose bytes differ, a listing without a sha256), and for a record that cannot be read, is too large or is of
    another schema: the selection is then unknown, never guessed."""
    record = Path(path).parent / SHIPPED_RECORD
    if file_format != "predictions_csv" or not record.is_file():
        return None
    try:
        data = read_json(record, max_bytes=SHIPPED_RECORD_BYTES)  # bounded in size and depth
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SHIPPED_SCHEMA or not isinstance(data.get("runs"), list):
        return None
    listed = [run for run in data["runs"] if isinstance(run, dict) and run.get("file") == Path(path).name]
    if not listed or not all(isinstance(run.get("sha256"), str) for run in listed):
        return None
    try:
        sha256 = file_sha256(Path(path))
    except OSError:
        return None
    for run in listed:
        if run["sha256"] == sha256:
            label, seed = str(run.get("label", run.get("method", "?"))), run.get("seed", "?")
            return (f"{LAST_EPOCH}: {OWN_RUN} {label}, seed {seed} (listed in the {SHIPPED_RECORD} beside "
                    "the file): every fold's network after its last epoch, as every run of this suite predicts; no "
                    "epoch or model chosen on the test subjects' clips")
    return None


OWN_RUN = "this suite's own run"  # how a shipped file's selection names whose it is (after LAST_EPOCH)
AUTHORS_RUN = "the authors' own run as released"  # how a published log's does
# Files their authors publish whose selection their authors' code fixes, by the sha256 of their bytes (any other
# bytes, an edited copy too, stay of an unknown selection): format -> sha256 -> what the file is, and which epoch
# predicts. STSTNet's MATLAB log: main.m trains each fold 500 epochs and predicts with the network after the last
# (papers/liong2019/README.md, ledger 8); the log is the file the liong2019 package's published row recomputes.
AUTHORS_FILES = {"ststnet_log": {
    "6fd7141ec1a9ad44afdc6d3e9473ace718da6a7201967d38e0adbd5225b7e3b0": (
        "STSTNet's MATLAB run (STSTNet_logfile.txt of christy1206/STSTNet)",
        "main.m predicts each fold with its network after the last of its 500 epochs"),
}}


def known_selection(path: Path, file_format: str) -> str | None:
    """How the predictions of ``path`` were selected where that is known from the file's bytes: one of the suite's
    own shipped runs (:func:`shipped_selection`), or a file its authors publish whose code fixes the epoch
    (:data:`AUTHORS_FILES`, by format and sha256). None otherwise: the selection is then unknown, never guessed."""
    shipped = shipped_selection(path, file_format)
    if shipped is not None or file_format not in AUTHORS_FILES:
        return shipped
    try:
        known = AUTHORS_FILES[file_format].get(file_sha256(Path(path)))
    except OSError:
        return None
    if known is None:
        return None
    what, epoch = known
    return (f"{LAST_EPOCH}: {AUTHORS_RUN}, {what}: {epoch}; no epoch or model chosen on the test subjects' clips")
