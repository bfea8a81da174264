"""CAS(ME)^2 (Qu et al., IEEE TAC 2018), "CASME_sq": long videos at 30 fps; docs/databases.md §4.

Frames ``rawpic/s15/15_0401girlcrashing/img%03d.jpg`` (frame 1 = ``img001``). Labels
``CAS(ME)^2code_final.xlsx``: three headerless sheets read by position: 0 = coded expressions
(participant, expression id, onset, apex, offset (0 = unknown), AUs, estimated category, type,
self-report), 1 = naming rule 1 (folder number, subject code, participant), 2 = naming rule 2
(stimulus code, stimulus name). A Sample's frames are the long video's frames onset..offset; with
offset unknown, onset..apex + (apex - onset) (the spotting codes' rule, docs/databases.md §4.2).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.invariants import annotation_fields, annotation_problem
from common.datasets.sample import Sample, warn_dropped
from common.datasets.tables import (DatasetError, ascii_digits, cells_place, check_number, first_cell_problem,
                                    frame_cell_problem, needed_frame_problem, read_numbered_sheets, to_int, to_text)

NAME = "casme_sq"
FPS = 30.0  # docs/databases.md §4.1
SUBJECT_DIR = re.compile(r"^s[0-9]+$", re.IGNORECASE)
SPREADSHEET = re.compile(r"^.*code_final.*\.(xlsx|xls)$", re.IGNORECASE)
TYPES = ("micro", "macro")
CODE_COLUMNS = "participant, expression id, onset, apex, offset, AUs, category, type, self-report"


def _rank(path: Path) -> tuple:
    return (0 if "updated" in path.name.lower() else 1, path.name.lower())


def find(root, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, _rank, "CAS(ME)^2 code file (CAS(ME)^2code_final.xlsx)",
                                             annotations, dirs)
    candidates = [d for d in dirs if d.name.lower() == "rawpic" and discovery.has_subject_dirs(d, SUBJECT_DIR)]
    if not candidates:
        raise DatasetError(f"{root}: no CAS(ME)^2 frames found (expected a rawpic/ folder holding "
                           f"s15/15_0101disgustingteeth/img001.jpg ... within {discovery.SEARCH_DEPTH} folder levels)")
    near = [c for c in candidates if c.parent == spreadsheet.parent]
    return discovery.Found(NAME, spreadsheet, (near or candidates)[0], False)


def read_code_file(spreadsheet: Path) -> tuple[list[tuple[int, list]], dict[int, str], dict[str, str]]:
    """(expression rows as (row number, cells), participant -> ``sNN``, stimulus name -> 4-digit code) from the
    three sheets. A number cell (participant, onset, apex, offset; folder number, participant; stimulus code) that
    is no finite number or too large is refused naming the sheet, row and column (``tables.check_number``)."""
    sheets = read_numbered_sheets(spreadsheet)
    if len(sheets) < 3:
        raise DatasetError(f"{spreadsheet}: expected 3 sheets (codes, naming rule1, naming rule2)")
    for (name, numbered), columns in zip(sheets, ((0, 2, 3, 4), (0, 2), (0,))):
        for number, row in numbered:
            for column in (c for c in columns if c < len(row)):
                check_number(row[column], f"{spreadsheet}: sheet {name!r}, row {number}, column {'ABCDE'[column]}")
    codes = sheets[0][1]
    rule1, rule2 = ([row for _, row in numbered] for _, numbered in sheets[1:3])
    rows = []
    for number, r in codes:  # headerless: a stray header or a note has no participant number, and is skipped
        if to_int(r[0]) is not None:
            rows.append((number, r))
        else:  # one that gives frame numbers is a coded expression without its participant: said
            discovery.unnamed_row(spreadsheet, number, "A", r[0], r[2:5], "a participant number", NAME, "sheet 1")
    if not rows or min(len(r) for _, r in rows) < 8:
        raise DatasetError(f"{spreadsheet}: sheet 1 must hold headerless rows of 9 columns ({CODE_COLUMNS})")
    subjects: dict[int, str] = {}
    for r in rule1:
        participant = to_int(r[2]) if len(r) >= 3 else None
        if participant is not None:
            code = to_text(r[1])
            subjects[participant] = code.lower() if SUBJECT_DIR.match(code) else f"s{to_int(r[0])}"
    stimuli = {}
    for r in rule2:
        if len(r) >= 2 and to_int(r[0]) is not None:
            stimuli[to_text(r[1]).lower()] = f"{to_int(r[0]):04d}"  # code is text in some copies, a number in others
    if not subjects or not stimuli:
        raise DatasetError(f"{spreadsheet}: expected naming rule1 (folder number, subject, participant) in sheet 2 and "
                           f"naming rule2 (stimulus code, name) in sheet 3")
    return rows, subjects, stimuli


def expression_type(value) -> str | None:
    """``micro`` or ``macro`` from a type cell (``micro-expression``, ``Macro``, ``macro expression``: what it starts
    with, case and spaces aside), or None for any other cell (blank, ``mirco-expression``)."""
    text = to_text(value).lower()
    return next((kind for kind in TYPES if text.startswith(kind)), None)


def load(root, types=TYPES, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per coded expression of the chosen ``types`` ("micro", "macro")."""
    unknown = set(types) - set(TYPES)
    if unknown:
        raise ValueError(f"types={types!r}: expected a subset of {TYPES}")
    found = find(root, annotations)
    rows, subjects, stimuli = read_code_file(found.label_file())
    video_dirs: dict[str, list[Path]] = {}
    samples = []
    for number, r in rows:
        r = list(r) + [None] * (9 - len(r))
        # read_code_file keeps only the rows whose participant is an integer
        participant, expression = cast(int, to_int(r[0])), to_text(r[1])
        subject = subjects.get(participant, f"participant{participant}")
        key = f"casme_sq/{subject}/{expression}"
        kind = expression_type(r[7])
        if kind is None:  # a misspelt type is neither: read as either, the clip would join the wrong set
            warn_dropped(f"{found.spreadsheet}: sheet 1, row {number}, column H: type {to_text(r[7])[:40]!r} is "
                         f"neither micro nor macro (expected micro-expression or macro-expression); CAS(ME)^2 "
                         f"expression {subject}/{expression} skipped", key, stage="label")
            continue
        if kind not in types:
            continue
        stimulus = expression.rsplit("_", 1)[0].lower()
        code = stimuli.get(stimulus)
        subject_dir = found.frames / subject
        if subject not in video_dirs:
            video_dirs[subject] = discovery.subdirs(subject_dir)
        prefix = f"{int(subject[1:]):02d}_{code}" if code and ascii_digits(subject[1:]) else None
        video = next((d for d in video_dirs[subject] if prefix and d.name.startswith(prefix)), None)
        # An onset that gives no frame number (blank, negative, a typo), or an apex or offset cell that is no frame
        # number and no "none" (a date, a typo: no unknown frame), drops the row naming the cell.
        cells = (("C", needed_frame_problem(r[2])), ("D", frame_cell_problem(r[3])), ("E", frame_cell_problem(r[4])))
        wrong = first_cell_problem(cells)
        if wrong:
            warn_dropped(f"{found.spreadsheet}: sheet 1, row {number}, {wrong}; CAS(ME)^2 expression "
                         f"{subject}/{expression} skipped", key, stage="annotation")
            continue
        onset, apex, offset = to_int(r[2]), to_int(r[3]), to_int(r[4])
        offset = offset or None  # 0 = unknown (docs/databases.md §4.2)
        problem = annotation_problem(onset, apex, offset)
        if problem or onset is None:  # a None onset is one of the problems
            columns = dict(zip(("onset", "apex", "offset"), "CDE"))
            place = cells_place(number, [columns[field] for field in annotation_fields(onset, apex, offset)])
            warn_dropped(f"{found.spreadsheet}: sheet 1, {place}: CAS(ME)^2 expression {subject}/{expression}: "
                         f"{problem}; skipped", key, stage="annotation")
            continue
        if video is None:
            warn_dropped(f"{subject_dir}: CAS(ME)^2 expression {subject}/{expression} has no long-video folder "
                         f"{prefix or '?'}*{discovery.folder_note(subject_dir)}; skipped", key)
            continue
        last = offset if offset is not None else (2 * apex - onset if apex is not None else onset)
        listed, unreadable = discovery.clip_frames(video)
        frames = discovery.frames_between(listed, onset, last)
        if unreadable or not frames:
            warn_dropped(unreadable + f"; CAS(ME)^2 expression {expression} skipped" if unreadable else
                         f"{video}: CAS(ME)^2 expression {expression} listed in the code file but its frames "
                         f"{onset}..{last} are missing; skipped", key)
            continue
        category = to_text(r[6]).lower()
        samples.append(Sample(
            dataset=NAME, subject=subject, clip=expression, emotion=category,
            onset=onset, apex=apex, offset=offset, fps=FPS, frames=tuple(frames), action_units=to_text(r[5]),
            meta={"type": kind, "video": video.name, "video_dir": video, "stimulus": stimulus,
                  "self_report": to_text(r[8]).lower(), "emotion_category": category,
                  "missing_frames": last - onset + 1 - len(frames),
                  "label_row": f"{found.spreadsheet}, sheet 1, row {number}"},
        ))
    return apply_corrections(samples, read_corrections(corrections), "all")
