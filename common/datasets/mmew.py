"""MMEW (Ben et al., IEEE TPAMI 2021), its micro-expressions: 90 fps, 1920x1080; layout in docs/databases.md §11.

Frames ``Micro_Expression/<emotion>/<Filename>/<N>.jpg`` (the emotion folder is the label's, lower case; N from 1),
labels ``MMEW_Micro_Exp.xlsx`` read by column name: ``Subject``, ``Filename``, ``OnsetFrame``, ``ApexFrame``,
``OffsetFrame``, ``Action Units``, ``Estimated Emotion``, ``remarks``. ``Macro_Expression/`` (still images of
macro-expressions) is not read.
"""
from __future__ import annotations

import re
from pathlib import Path

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.invariants import VOCABULARY
from common.datasets.sample import Sample
from common.datasets.tables import cell, DatasetError, folder_named, read_records, Record, to_text, whole_number

NAME = "mmew"
FPS = 90.0  # docs/databases.md §11.1
SPREADSHEET = re.compile(r"^MMEW_Micro_Exp.*\.(xlsx|xls|csv)$", re.IGNORECASE)
FRAME = re.compile(r"^[0-9]+\.(jpe?g|png|bmp)$", re.IGNORECASE)
COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Estimated Emotion")
NUMBERS = ("Subject", "OnsetFrame", "ApexFrame", "OffsetFrame")  # cells checked as numbers, and as folder names:
NAMES = ("Filename", "Estimated Emotion")
EMOTIONS = VOCABULARY[NAME]  # the database's own classes (common.datasets.invariants)
MEGC3 = {"anger": "negative", "disgust": "negative", "fear": "negative", "sadness": "negative",
         "happiness": "positive", "surprise": "surprise"}  # docs/databases.md §11.3


def subject_name(value, where: str = "Subject") -> str:
    """``3``, ``"S3"``, ``"s03"`` -> ``S03`` (the clip names' spelling); digits other than 0-9 are refused."""
    text = to_text(value)
    number = whole_number(text[1:] if text[:1].lower() == "s" else text, where)
    return text if number is None else f"S{number:02d}"


def _records(spreadsheet: Path, warn: bool = False) -> list[Record]:
    """The rows naming a clip; with ``warn`` (by ``load``), each other row giving frame numbers is said."""
    return discovery.named_records(spreadsheet, read_records(spreadsheet, COLUMNS, numbers=NUMBERS, names=NAMES),
                                   "Filename", ("OnsetFrame", "ApexFrame", "OffsetFrame"), NAME, warn)


def _clip_folder(frames: Path, emotion: str, clip: str) -> Path:
    """``<frames>/<emotion>/<clip>``: the emotion folder in any case, each name in either Unicode form."""
    return folder_named(folder_named(frames, emotion, any_case=True), clip)


def _is_frame_root(folder: Path) -> bool:
    """``Micro_Expression/`` (any folder named for micro-expressions) holding emotion folders."""
    return "micro" in folder.name.lower() and any(d.name.lower() in EMOTIONS for d in discovery.subdirs(folder))


def find(root, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, lambda p: (p.name.lower(),),
                                             "MMEW label spreadsheet (MMEW_Micro_Exp.xlsx)", annotations, dirs)
    records = _records(spreadsheet)
    keys = [(to_text(cell(r, "Estimated Emotion")).lower(), to_text(cell(r, "Filename"))) for r in records[:40]]
    candidates = [d for d in dirs if _is_frame_root(d)]
    frames = discovery.choose_frame_root(candidates, lambda p: True, lambda c: (_clip_folder(c, e, f) for e, f in keys),
                                         root, "MMEW")
    return discovery.Found(NAME, spreadsheet, frames, False)


def load(root, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per row whose clip folder ``<emotion>/<Filename>`` has the frames onset..offset."""
    found = find(root, annotations)
    records = _records(found.label_file(), warn=True)
    # The emotion names the clip's folder, so it is looked up by clip: a clip listed twice under two emotions is
    # refused here, naming both rows (one label per clip), where the later row's would name the folder of both.
    emotion_of: dict[tuple[str, str], str] = {}
    row_of: dict[tuple[str, str], int] = {}
    for r in records:
        key = (subject_name(cell(r, "Subject")), to_text(cell(r, "Filename")))
        emotion = to_text(cell(r, "Estimated Emotion")).lower()
        if emotion_of.setdefault(key, emotion) != emotion:
            raise DatasetError(f"{found.label_file()}: row {r.row}, column Estimated Emotion: clip {'/'.join(key)} is "
                               f"labelled {emotion!r} here and {emotion_of[key]!r} at row {row_of[key]}; expected "
                               f"one label per clip")
        row_of.setdefault(key, r.row)
    for emotion in set(emotion_of.values()):  # the emotion names the clip's folder: never a path elsewhere
        discovery.check_folder_name(emotion, f"{found.label_file()}: column Estimated Emotion",
                                    "an emotion folder's name (Micro_Expression/<emotion>/)")
    samples = []
    for row in discovery.listed_clips(
            found, records, subject_name, ("OnsetFrame", "ApexFrame", "OffsetFrame"), "MMEW",
            folder=lambda frames, subject, clip: _clip_folder(frames, emotion_of[(subject, clip)], clip),
            pattern=FRAME):
        samples.append(Sample(
            dataset=NAME, subject=row.subject, clip=row.clip, emotion=emotion_of[(row.subject, row.clip)],
            onset=row.onset, apex=row.apex, offset=row.offset, fps=FPS, frames=tuple(row.frames),
            action_units=to_text(cell(row.record, "Action Units")),
            meta={"missing_frames": row.offset - row.onset + 1 - len(row.frames),
                  "remarks": to_text(cell(row.record, "remarks")),
                  "label_row": f"{found.label_file()}, row {row.record.row}"},
        ))
    return apply_corrections(samples, read_corrections(corrections), "all")
