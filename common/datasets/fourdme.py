"""4DME (Li et al., IEEE TAC 2022): the 2D grey frames of its micro-expressions; layout in docs/databases.md §12.

Frames ``gray_micro_crop/<sub_ID>/<fold_name>/<frame files>`` (cropped, preferred) or ``gray_micro/...``, each file
name ending in its absolute frame number; labels ``4DME_Labelling_Micro_release v1.xlsx`` read by column name:
``sub_ID``, ``fold_name``, ``Onset``, ``Apex``, ``Offset``, ``AUs``, ``Emotion`` (one or more of Positive,
Negative, Surprise, Repression, Others: a clip may carry two), then one column per emotion.
"""
from __future__ import annotations

import re
from pathlib import Path

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.invariants import VOCABULARY
from common.datasets.sample import Sample
from common.datasets.tables import cell, folder_named, read_records, Record, to_text

NAME = "4dme"
FPS = 60.0  # docs/databases.md §12.1: the 2D grey camera
SPREADSHEET = re.compile(r"^4DME_Label.*\.(xlsx|xls|csv)$", re.IGNORECASE)
# Whatever the prefix, the frame number ends the name (docs/databases.md §12.1).
FRAME = re.compile(r"^.*?[0-9]+\.(jpe?g|png|bmp)$", re.IGNORECASE)
COLUMNS = ("sub_ID", "fold_name", "Onset", "Offset", "Emotion")
NUMBERS = ("sub_ID", "Onset", "Apex", "Offset")  # cells checked as numbers, and as folder names:
NAMES = ("sub_ID", "fold_name")
EMOTIONS = VOCABULARY[NAME]  # the database's own classes (common.datasets.invariants)
# The MEGC three classes (docs/databases.md §12.3): repression is negative (the MEGC rule for CASME II); others
# and a clip with two emotions are left out.
MEGC3 = {"negative": "negative", "repression": "negative", "positive": "positive", "surprise": "surprise"}


def emotion_label(text: str) -> str:
    """The ``Emotion`` cell in the suite's words: ``Negative`` -> ``negative``; two emotions (``Negative,
    Surprise``, ``Negative+Surprise``, ``Negative/Surprise``) -> ``negative+surprise``."""
    parts = [p for p in re.split(r"\s*[,+/&;，]\s*|\s+and\s+", text.strip().lower()) if p]
    return "+".join(sorted(dict.fromkeys(parts)))


def subject_name(value, where: str = "sub_ID") -> str:
    """The ``sub_ID`` cell as the folders spell it (text as written; ``1.0`` -> ``1``)."""
    return to_text(value)


def _clip_folder(frames: Path, subject: str, clip: str) -> Path:
    """``<frames>/<subject>/<clip>``: the subject folder in any case, each name in either Unicode form."""
    return folder_named(folder_named(frames, subject, any_case=True), clip)


def _records(spreadsheet: Path, warn: bool = False) -> list[Record]:
    """The rows naming a clip; with ``warn`` (by ``load``), each other row giving frame numbers is said."""
    return discovery.named_records(spreadsheet, read_records(spreadsheet, COLUMNS, numbers=NUMBERS, names=NAMES),
                                   "fold_name", ("Onset", "Apex", "Offset"), NAME, warn)


def find(root, cropped: bool = True, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, lambda p: (p.name.lower(),),
                                             "4DME label spreadsheet (4DME_Labelling_Micro_release v1.xlsx)",
                                             annotations, dirs)
    keys = [(to_text(cell(r, "sub_ID")), to_text(cell(r, "fold_name"))) for r in _records(spreadsheet)[:40]]
    candidates = [d for d in dirs if "gray" in d.name.lower() or "micro" in d.name.lower()]
    is_cropped = lambda p: discovery.path_mentions(p, "crop", root)  # noqa: E731
    frames = discovery.choose_frame_root(candidates, is_cropped if cropped else (lambda p: not is_cropped(p)),
                                         lambda c: (_clip_folder(c, s, f) for s, f in keys), root, "4DME")
    return discovery.Found(NAME, spreadsheet, frames, is_cropped(frames))


def load(root, cropped: bool = True, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per row whose clip folder has the frames onset..offset."""
    found = find(root, cropped, annotations)
    samples = []
    for row in discovery.listed_clips(
            found, _records(found.label_file(), warn=True), subject_name, ("Onset", "Apex", "Offset"), "4DME",
            names=("sub_ID", "fold_name"),
            folder=_clip_folder, pattern=FRAME):
        samples.append(Sample(
            dataset=NAME, subject=row.subject, clip=row.clip,
            emotion=emotion_label(to_text(cell(row.record, "Emotion"))), onset=row.onset, apex=row.apex,
            offset=row.offset, fps=FPS, frames=tuple(row.frames),
            action_units=to_text(cell(row.record, "AUs")),
            meta={"missing_frames": row.offset - row.onset + 1 - len(row.frames), "cropped": found.cropped,
                  "label_row": f"{found.label_file()}, row {row.record.row}"},
        ))
    return apply_corrections(samples, read_corrections(corrections), "all")
