"""CASME (Yan et al., FG 2013), the first CASME: 19 usable subjects, 60 fps; layout in docs/databases.md §9.

Frames ``Cropped/subXX/<Filename>/reg_<Filename>-<N>.jpg`` (preferred) or ``CASME_raw_selected/subXX/<Filename>/
<Filename>-<N>.jpg``; N is the absolute frame number, unpadded in some clips and 3-digit padded in others. Labels:
the coding spreadsheet (``casme.xlsx`` in MEB's layout, ``CASME_label*.xls`` elsewhere), read by column name:
``Subject``, ``Filename``, ``OnsetF``, ``ApexF1`` (``ApexF2`` beside it is a second apex, not read), ``OffsetF``,
``AU``, ``Emotion``.
"""
from __future__ import annotations

import re
from pathlib import Path

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.invariants import VOCABULARY
from common.datasets.sample import Sample
from common.datasets.tables import cell, folder_named, read_records, Record, to_text, whole_number

NAME = "casme"
FPS = 60.0  # docs/databases.md §9.1 (both cameras of CASME record 60 fps)
SUBJECT_DIR = re.compile(r"^sub[0-9]+$", re.IGNORECASE)
# casme.xlsx, CASME_label_Ver_2.xls, CASME-coding.xlsx; never CASME2-..., CASME3..., CASME_sq...
SPREADSHEET = re.compile(r"^CASME(?![-_ ]?(2|II|3|III|sq))([-_ ].*)?\.(xlsx|xls|csv)$", re.IGNORECASE)
FRAME = re.compile(r"^(reg_)?.+-[0-9]+\.(jpe?g|bmp|png)$", re.IGNORECASE)  # EP01_5-1.jpg, reg_EP01_5-001.jpg
COLUMNS = ("Subject", "Filename", "OnsetF", "OffsetF", "Emotion")
NUMBERS = ("Subject", "OnsetF", "ApexF1", "OffsetF")  # cells checked as numbers, and as folder names:
NAMES = ("Subject", "Filename")
# The database's own classes (common.datasets.invariants; docs/databases.md §9.2): "amusement" is the paper's word
# for what a sheet may call happiness, and both are read.
EMOTIONS = VOCABULARY[NAME]
# The MEGC three classes (docs/databases.md §9.3). No challenge ever mapped CASME: this follows the MEGC 2019
# rule for SAMM (every negative emotion is negative), with tense and others left out as CASME II's others are.
MEGC3 = {"disgust": "negative", "repression": "negative", "sadness": "negative", "fear": "negative",
         "contempt": "negative", "happiness": "positive", "amusement": "positive", "surprise": "surprise"}


def subject_name(value, where: str = "subject") -> str:
    """``1``, ``1.0``, ``"1"`` or ``"sub01"`` -> ``sub01``; digits other than 0-9 are refused naming ``where``."""
    text = to_text(value)
    number = whole_number(text[3:] if text.lower().startswith("sub") else text, where)
    return text if number is None else f"sub{number:02d}"


def _rank(path: Path) -> tuple:
    return (0 if path.suffix.lower() in (".xlsx", ".xls") else 1, path.name.lower())


def _records(spreadsheet: Path, warn: bool = False) -> list[Record]:
    """The rows naming a clip; with ``warn`` (by ``load``), each other row giving frame numbers is said."""
    return discovery.named_records(spreadsheet, read_records(spreadsheet, COLUMNS, numbers=NUMBERS, names=NAMES),
                                   "Filename", ("OnsetF", "ApexF1", "OffsetF"), NAME, warn)


def _holds_frames(folder: Path) -> bool:
    return folder.is_dir() and bool(discovery.clip_frames(folder, FRAME)[0])


def find(root, cropped: bool = True, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, _rank, "CASME coding spreadsheet (casme.xlsx)",
                                             annotations, dirs)
    records = _records(spreadsheet)
    keys = [(subject_name(cell(r, "Subject"), f"{spreadsheet}: column Subject"), to_text(cell(r, "Filename")))
            for r in records]
    candidates = [d for d in dirs if discovery.has_subject_dirs(d, SUBJECT_DIR)]
    is_cropped = lambda p: discovery.path_mentions(p, "crop", root)  # noqa: E731
    # CASME II shares the subXX/EPxx_y folder names: a candidate counts only the clip folders holding CASME's
    # <Filename>-<N>.jpg frames, so a parent of both databases gives each its own tree.
    frames = discovery.choose_frame_root(
        candidates, is_cropped if cropped else (lambda p: not is_cropped(p)),
        lambda c: (d for d in (folder_named(c, s, f) for s, f in keys[:40]) if _holds_frames(d)), root, "CASME")
    return discovery.Found(NAME, spreadsheet, frames, is_cropped(frames))


def load(root, cropped: bool = True, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per coding row whose clip folder has frames; ``apex`` None where ``ApexF1`` is blank or ``/``."""
    found = find(root, cropped, annotations)
    samples = []
    for row in discovery.listed_clips(found, _records(found.label_file(), warn=True), subject_name,
                                      ("OnsetF", "ApexF1", "OffsetF"), "CASME", folder=folder_named, pattern=FRAME):
        samples.append(Sample(
            dataset=NAME, subject=row.subject, clip=row.clip, emotion=to_text(cell(row.record, "Emotion")).lower(),
            onset=row.onset, apex=row.apex, offset=row.offset, fps=FPS, frames=tuple(row.frames),
            action_units=to_text(cell(row.record, "AU")),
            meta={"missing_frames": row.offset - row.onset + 1 - len(row.frames), "cropped": found.cropped,
                  "label_row": f"{found.label_file()}, row {row.record.row}"},
        ))
    return apply_corrections(samples, read_corrections(corrections), "all")
