"""SMIC (Li et al., FG 2013): the HS camera at 100 fps; layout in docs/databases.md §2.

``smic`` (SMIC-HS): no spreadsheet; labels come from folders
``SMIC_all_cropped/HS/s1/micro/<negative|positive|surprise>/s1_ne_01/reg_image%06d.bmp``. Subject
folders are unpadded, frame numbers are absolute (six digits, large). ``non_micro`` and the VIS/NIR
cameras are ignored. onset = first file number, offset = last, apex None (no annotation).

``smic_e`` (SMIC-HS-E): long clips ``.../HS_long/SMIC-HS-E[/HS]/s01/s1_ne_01/image%06d.jpg`` and
``SMIC-HS-E_annotation*.xlsx`` with up to three (onset, offset) slots per row, trailing note rows,
no apex column (midpoint used unless an ``ApexF`` column exists).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.invariants import annotation_fields, annotation_problem
from common.datasets.sample import Sample, frame_number, warn_dropped
from common.datasets.tables import (DatabaseNotFound, DatasetError, Record, cell, cells_place, first_cell_problem,
                                    folder_named, frame_cell_problem, has_column, is_blank, read_records, shown_cell,
                                    to_int, to_text, whole_number)

FPS = 100.0  # HS camera, docs/databases.md §2.1
SUBJECT_DIR = re.compile(r"^s[0-9]+$", re.IGNORECASE)
EMOTIONS = ("negative", "positive", "surprise")
CODES = {"ne": "negative", "po": "positive", "sur": "surprise"}
SPREADSHEET = re.compile(r"^SMIC-HS-E_annotation.*\.(xlsx|xls)$", re.IGNORECASE)
COLUMNS = ("Subject", "Filename", "OnsetF", "OffsetF")
SLOTS = (("OnsetF", "OffsetF", "ApexF"), ("Onset2F", "Offset2F", "Apex2F"), ("Onset3F", "Offset3F", "Apex3F"))
NUMBERS = ("Subject", "FirstF", "LastF", *(column for slot in SLOTS for column in slot))  # cells checked as numbers


def _is_hs_root(folder: Path) -> bool:
    """Whether ``folder`` is an ``HS`` folder holding a subject's ``micro`` folder (in any case, as :func:`load`
    reads it)."""
    return folder.name.lower() == "hs" and any(
        SUBJECT_DIR.match(s.name) and any(d.name.lower() == "micro" for d in discovery.subdirs(s))
        for s in discovery.subdirs(folder))


def find(root, cropped: bool = True) -> discovery.Found:
    """The ``HS`` folder of ``SMIC_all_cropped`` (or of ``SMIC_all_raw`` when ``cropped=False`` or no cropped copy)."""
    root = discovery.check_root(root)
    candidates = [d for d in discovery.walk_dirs(root) if _is_hs_root(d)]
    if not candidates:
        raise DatabaseNotFound(f"{root}: no SMIC-HS database found (expected an HS/ folder holding "
                           f"s1/micro/<emotion>/<clip>/ frame folders, e.g. SMIC_all_cropped/HS, within "
                           f"{discovery.SEARCH_DEPTH} folder levels)"
                           f"{discovery.folder_note(root)}")
    is_cropped = lambda p: discovery.path_mentions(p, "crop", root)  # noqa: E731
    ordered = discovery.prefer(candidates, is_cropped if cropped else (lambda p: not is_cropped(p)))
    return discovery.Found("smic", None, ordered[0], is_cropped(ordered[0]))


def subject_name(text: str, where: str = "subject") -> str:
    """``s01``/``s1``/``1``/``1.0`` -> ``s1`` (SMIC-HS folders are unpadded); digits other than 0-9 are refused
    naming ``where``."""
    number = whole_number(re.sub(r"^s", "", to_text(text), flags=re.IGNORECASE), where)
    return str(text) if number is None else f"s{number}"


def subject_folders(hs: Path) -> list[Path]:
    """The subject folders of the ``HS`` folder ``hs`` in subject order. Any other folder is skipped with a
    ``DroppedWarning`` saying why (its clips would otherwise vanish without a line); two folders naming one
    subject (``s2`` and ``s02``) are refused in one ``DatasetError`` naming both: read as one subject, their
    clips would share a subject's folds."""
    subjects: dict[str, Path] = {}
    for folder in discovery.subdirs(hs):
        if not SUBJECT_DIR.match(folder.name):
            warn_dropped(f"{folder}: not a SMIC-HS subject folder (expected s<number>, e.g. s1); skipped",
                         str(folder), stacklevel=4)
            continue
        subject = subject_name(folder.name, str(folder))
        if subject in subjects:
            raise DatasetError(f"{subjects[subject]} and {folder}: two folders for SMIC-HS subject {subject}; "
                               f"expected one folder per subject (merge or rename one)")
        subjects[subject] = folder
    return [subjects[subject] for subject in sorted(subjects, key=lambda s: int(s[1:]))]


def micro_folder(subject_dir: Path) -> Path | None:
    """The ``micro`` folder of a subject folder, in any letter case (the emotion folders under it are read in any
    case too); None after a ``DroppedWarning`` when there is none. Two spellings side by side are refused."""
    found = [d for d in discovery.subdirs(subject_dir) if d.name.lower() == "micro"]
    if len(found) > 1:
        raise DatasetError(f"{found[0]} and {found[1]}: two micro-expression folders for one SMIC-HS subject; "
                           f"expected one micro/ folder (merge them)")
    if not found:
        warn_dropped(f"{subject_dir}: SMIC-HS subject folder without a micro/ folder; skipped", str(subject_dir),
                     stacklevel=4)
        return None
    return found[0]


def load(root, cropped: bool = True, corrections=True) -> list[Sample]:
    """SMIC-HS micro clips, labelled by their emotion folder."""
    found = find(root, cropped)
    samples = []
    for subject_dir in subject_folders(found.frames):
        micro = micro_folder(subject_dir)
        if micro is None:
            continue
        for emotion_dir in discovery.subdirs(micro):
            emotion = emotion_dir.name.lower()
            if emotion not in EMOTIONS:
                warn_dropped(f"{emotion_dir}: unknown SMIC emotion folder (expected {', '.join(EMOTIONS)}); skipped",
                                 str(emotion_dir))
                continue
            for clip_dir in discovery.subdirs(emotion_dir):
                frames, unreadable = discovery.clip_frames(clip_dir)
                if not frames:
                    warn_dropped(f"{unreadable}; SMIC-HS clip skipped" if unreadable else
                                 f"{clip_dir}: SMIC-HS clip folder without frames; skipped",
                                 f"smic/{subject_name(subject_dir.name, str(subject_dir))}/{clip_dir.name}")
                    continue
                first, last = frame_number(frames[0]), frame_number(frames[-1])
                samples.append(Sample(
                    dataset="smic", subject=subject_name(subject_dir.name, str(subject_dir)), clip=clip_dir.name,
                    emotion=emotion,
                    onset=first, apex=None, offset=last, fps=FPS, frames=tuple(frames),
                    meta={"missing_frames": last - first + 1 - len(frames), "cropped": found.cropped},
                ))
    return apply_corrections(samples, read_corrections(corrections), "all")


# --- SMIC-HS-E ---------------------------------------------------------------------------------------------------

def _rank_e(path: Path) -> tuple:
    stem = path.stem.lower()
    return (0 if stem == "smic-hs-e_annotation" else 2 if "orig" in stem else 1, stem)


def _clip_variants(subject: int, filename: str) -> list[tuple[str, str]]:
    # Subject folders are s01 here (s1 in some copies); clip folders s1_ne_01 (s01_ne_01 in MEGC's spelling).
    clips = [filename]
    match = re.match(r"^s([0-9]+)(_.*)$", filename, re.IGNORECASE)
    if match:
        clips += [f"s{int(match.group(1))}{match.group(2)}", f"s{int(match.group(1)):02d}{match.group(2)}"]
    return [(s, c) for s in (f"s{subject:02d}", f"s{subject}") for c in dict.fromkeys(clips)]


def _rows_e(spreadsheet: Path, warn: bool = False) -> list[Record]:
    """The rows with an integer ``Subject`` and a ``Filename``. Trailing note rows (docs/databases.md §2.2) have
    neither and are skipped; with ``warn`` (by ``load_e``), a row skipped that gives frame numbers is said
    (``discovery.unnamed_row``)."""
    rows = []
    for record in read_records(spreadsheet, COLUMNS, numbers=NUMBERS, names=("Filename",)):
        subject, filename = cell(record, "Subject"), cell(record, "Filename")
        if whole_number(subject, f"{spreadsheet}: column Subject") is None or not to_text(filename):
            if warn:
                column, value, expected = (("Subject", subject, "a subject number") if not is_blank(filename)
                                           else ("Filename", filename, "the clip's folder name"))
                discovery.unnamed_row(spreadsheet, record.row, column, value,
                                      [cell(record, name) for slot in SLOTS for name in slot], expected, "smic_e")
            continue
        rows.append(record)
    return rows


def slot_cell_problem(needed: tuple[tuple[str, object], ...], apex: tuple[str, object]) -> str:
    """``column NAME: why`` for the first cell of a used slot that is not a frame number: an onset or offset
    (``needed``: both, once either is written) that is none or no number, an apex (``(column, cell)``) that is
    neither a frame number nor "none" (``tables.frame_cell_problem``); ``""`` when every cell reads."""
    for column, value in needed:
        if to_int(value) is None:
            shown = "blank" if is_blank(value) else shown_cell(value)
            return f"column {column}: {shown}; expected a frame number (a slot with an onset or offset needs both)"
    return first_cell_problem([(apex[0], frame_cell_problem(apex[1]))])


def find_e(root, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, _rank_e,
                                             "SMIC-HS-E annotation (SMIC-HS-E_annotation*.xlsx)", annotations, dirs)
    rows = _rows_e(spreadsheet)
    # _rows_e keeps only the rows whose subject is an integer
    keys = [(cast(int, to_int(cell(r, "Subject"))), to_text(cell(r, "Filename"))) for r in rows[:40]]
    candidates = [d for d in dirs if discovery.has_subject_dirs(d, SUBJECT_DIR) and not _is_hs_root(d)]
    frames = discovery.choose_frame_root(
        candidates, lambda p: True,
        lambda c: (folder_named(c, s, f) for n, name in keys for s, f in _clip_variants(n, name)), root, "SMIC-HS-E")
    return discovery.Found("smic_e", spreadsheet, frames, False)


def load_e(root, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per used (onset, offset) slot of each long clip; ``meta["slot"]`` is 1, 2 or 3."""
    found = find_e(root, annotations)
    spreadsheet = found.label_file()
    rows = _rows_e(spreadsheet, warn=True)
    with_apex = [has_column(rows, apex) for _, _, apex in SLOTS]
    samples = []
    for record in rows:
        # _rows_e keeps only the rows whose subject is an integer
        number, filename = cast(int, to_int(cell(record, "Subject"))), to_text(cell(record, "Filename"))
        variants = [folder_named(found.frames, s, c) for s, c in _clip_variants(number, filename)]
        folder = next((d for d in variants if d.is_dir()), found.frames / f"s{number:02d}" / filename)
        frames, unreadable = discovery.clip_frames(folder)
        code = re.search(r"_(ne|po|sur)_", filename, re.IGNORECASE)
        named = CODES[code.group(1).lower()] if code else ""
        written = to_text(cell(record, "Emotion"))
        emotion = written.lower() or named
        # An Emotion cell that contradicts the file name's code leaves the label in doubt: the row is skipped
        # rather than labelled by either one without a word.
        disagree = (f"column Emotion: {shown_cell(written)}; expected {named}, as the file name {filename} says"
                    if named and written and written.lower() != named else "")
        for slot, (onset_col, offset_col, apex_col) in enumerate(SLOTS, start=1):
            onset_cell, offset_cell = cell(record, onset_col), cell(record, offset_col)
            if slot > 1 and is_blank(onset_cell) and is_blank(offset_cell):
                continue  # unused slot: both cells empty (docs/databases.md §2.2); every row uses its first
            key = f"smic_e/s{number:02d}/{filename}" + (f"#{slot}" if slot != 1 else "")
            if disagree:
                warn_dropped(f"{spreadsheet}: row {record.row}, {disagree}; SMIC-HS-E clip {filename} slot {slot} "
                             f"skipped", key, stage="annotation")
                continue
            apex_cell = cell(record, apex_col) if with_apex[slot - 1] else None
            wrong = slot_cell_problem(((onset_col, onset_cell), (offset_col, offset_cell)), (apex_col, apex_cell))
            if wrong:
                warn_dropped(f"{spreadsheet}: row {record.row}, {wrong}; SMIC-HS-E clip {filename} slot {slot} "
                             f"skipped", key, stage="annotation")
                continue
            onset, offset = cast(int, to_int(onset_cell)), cast(int, to_int(offset_cell))
            apex = to_int(apex_cell)
            problem = annotation_problem(onset, apex, offset)
            if problem:
                columns = {"onset": onset_col, "apex": apex_col, "offset": offset_col}
                place = cells_place(record.row, [columns[field] for field in annotation_fields(onset, apex, offset)])
                warn_dropped(f"{spreadsheet}: {place}: SMIC-HS-E clip {filename} slot {slot}: {problem}; skipped",
                             key, stage="annotation")
                continue
            clip_frames = discovery.frames_between(frames, onset, offset)
            if unreadable or not clip_frames:
                warn_dropped(f"{unreadable}; SMIC-HS-E clip {filename} slot {slot} skipped" if unreadable else
                             f"{folder}: SMIC-HS-E clip {filename} slot {slot} listed in {spreadsheet.name} but "
                             f"missing or empty on disk (expected frames {onset}..{offset}); skipped", key)
                continue
            samples.append(Sample(
                dataset="smic_e", subject=f"s{number:02d}", clip=filename, emotion=emotion,
                onset=onset, apex=apex if apex is not None else (onset + offset) // 2, offset=offset, fps=FPS,
                frames=tuple(clip_frames),
                meta={"slot": slot, "first_frame": to_int(cell(record, "FirstF")),
                      "last_frame": to_int(cell(record, "LastF")),
                      "video_dir": folder, "apex_annotated": apex is not None,
                      "missing_frames": offset - onset + 1 - len(clip_frames),
                      "label_row": f"{spreadsheet}, row {record.row}"},
            ))
    return apply_corrections(samples, read_corrections(corrections), "all")
