"""SAMM (Davison et al., IEEE TAC 2018): 200 fps grayscale; layout in docs/databases.md §3.

Frames ``SAMM[/SAMM]/006/006_1_2/006_05562.jpg`` (4- or 5-digit padding; the integer after the last ``_`` is the
absolute frame number). Labels ``SAMM_Micro_FACS_Codes_v2.xlsx``: the header row sits below a preamble (found as the
first row holding every column the loader reads), ``Subject`` is a number or the text ``006``, emotions are
capitalised (``Other``/``Others`` -> ``other``).
"""
from __future__ import annotations

import re
from pathlib import Path

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.sample import Sample
from common.datasets.tables import cell, folder_named, read_records, Record, to_int, to_text, whole_number

NAME = "samm"
FPS = 200.0  # docs/databases.md §3.1
SUBJECT_DIR = re.compile(r"^[0-9]{3}$")
SPREADSHEET = re.compile(r"^SAMM.*(FACS|codes).*\.(xlsx|xls|csv)$", re.IGNORECASE)
COLUMNS = ("Subject", "Filename", "Onset Frame", "Apex Frame", "Offset Frame", "Estimated Emotion")
NUMBERS = ("Subject", "Onset Frame", "Apex Frame", "Offset Frame")  # cells checked as numbers, and as folder names:
NAMES = ("Subject", "Filename")
EMOTION_SPELLINGS = {"others": "other"}  # docs/databases.md §3.2: meb maps Others besides Other


def _rank(path: Path) -> tuple:
    return (0 if path.stem.lower() == "samm_micro_facs_codes_v2" else 1, path.name.lower())


def subject_name(value, where: str = "subject") -> str:
    """``6``, ``6.0``, ``"6.0"``, ``"006"`` -> ``006``; digits other than 0-9 are refused naming ``where``."""
    text = to_text(value)
    number = whole_number(text, where)
    return text if number is None else f"{number:03d}"


def _records(spreadsheet: Path, warn: bool = False) -> list[Record]:
    """The rows naming a clip; with ``warn`` (by ``load``), each other row giving frame numbers is said."""
    return discovery.named_records(spreadsheet, read_records(spreadsheet, COLUMNS, numbers=NUMBERS, names=NAMES),
                                   "Filename", ("Onset Frame", "Apex Frame", "Offset Frame"), NAME, warn)


def find(root, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, _rank,
                                             "SAMM FACS codes (SAMM_Micro_FACS_Codes_v2.xlsx)", annotations, dirs)
    keys = [(subject_name(cell(r, "Subject"), f"{spreadsheet}: column Subject"), to_text(cell(r, "Filename")))
            for r in _records(spreadsheet)[:40]]
    candidates = [d for d in dirs if discovery.has_subject_dirs(d, SUBJECT_DIR)]
    frames = discovery.choose_frame_root(candidates, lambda p: True, lambda c: (folder_named(c, s, f) for s, f in keys),
                                         root, "SAMM")
    return discovery.Found(NAME, spreadsheet, frames, discovery.path_mentions(frames, "crop", root))


def load(root, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per spreadsheet row whose clip folder has frames Onset..Offset."""
    found = find(root, annotations)
    samples = []
    for row in discovery.listed_clips(found, _records(found.label_file(), warn=True), subject_name,
                                      ("Onset Frame", "Apex Frame", "Offset Frame"), "SAMM", folder=folder_named):
        record, emotion = row.record, to_text(cell(row.record, "Estimated Emotion")).lower()
        samples.append(Sample(
            dataset=NAME, subject=row.subject, clip=row.clip, emotion=EMOTION_SPELLINGS.get(emotion, emotion),
            onset=row.onset, apex=row.apex, offset=row.offset, fps=FPS, frames=tuple(row.frames),
            action_units=to_text(cell(record, "Action Units")),
            meta={"micro": to_text(cell(record, "Micro")), "objective_class": to_int(cell(record, "Objective Classes")),
                  "inducement": to_text(cell(record, "Inducement Code")),
                  "missing_frames": row.offset - row.onset + 1 - len(row.frames), "gray": True,
                  "label_row": f"{found.label_file()}, row {row.record.row}"},
        ))
    return apply_corrections(samples, read_corrections(corrections), "all")
