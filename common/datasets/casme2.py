"""CASME II (Yan et al., PLoS ONE 2014): 26 subjects, 200 fps; layout in docs/databases.md §1.

Frames: ``Cropped[/Cropped]/subXX/<Filename>/reg_img<N>.jpg`` (preferred) or the raw
``CASME2_RAW_selected``/``CASME2-RAW`` trees with ``img<N>.jpg``; N is the absolute frame number, so a
clip's frames are those numbered OnsetFrame..OffsetFrame. Labels: ``CASME2-coding-*.xlsx`` (9
columns, two blank headers) or ``CASME2_label_Ver_2.xls`` (7 columns), read by column name.
"""
from __future__ import annotations

import re
from pathlib import Path

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.sample import Sample
from common.datasets.tables import cell, folder_named, read_records, Record, to_text, whole_number

NAME = "casme2"
FPS = 200.0  # docs/databases.md §1.2
SUBJECT_DIR = re.compile(r"^sub[0-9]+$", re.IGNORECASE)
SPREADSHEET = re.compile(r"^CASME2[-_ ]?(coding|label).*\.(xlsx|xls|csv)$", re.IGNORECASE)
COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Estimated Emotion")
NUMBERS = ("Subject", "OnsetFrame", "ApexFrame", "OffsetFrame")  # cells checked as numbers, and as folder names:
NAMES = ("Subject", "Filename")


def _rank(path: Path) -> tuple:
    # The 9-column coding files first (newest date first), then the old Ver_2 label table.
    name = path.name.lower()
    return (0 if "coding" in name else 1, [-ord(c) for c in name])


def subject_name(value, where: str = "subject") -> str:
    """``1``, ``1.0``, ``"1"`` or ``"sub01"`` -> ``sub01``; digits other than 0-9 are refused naming ``where``."""
    text = to_text(value)
    number = whole_number(text[3:] if text.lower().startswith("sub") else text, where)
    return text if number is None else f"sub{number:02d}"


def find(root, cropped: bool = True, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, _rank,
                                             "CASME II coding spreadsheet (CASME2-coding-*.xlsx)", annotations, dirs)
    records = _records(spreadsheet)
    keys = [(subject_name(cell(r, "Subject"), f"{spreadsheet}: column Subject"), to_text(cell(r, "Filename")))
            for r in records]
    candidates = [d for d in dirs if discovery.has_subject_dirs(d, SUBJECT_DIR)]
    is_cropped = lambda p: discovery.path_mentions(p, "crop", root)  # noqa: E731
    frames = discovery.choose_frame_root(candidates, is_cropped if cropped else (lambda p: not is_cropped(p)),
                                         lambda c: (folder_named(c, s, f) for s, f in keys[:40]), root, "CASME II")
    return discovery.Found(NAME, spreadsheet, frames, is_cropped(frames))


def _records(spreadsheet: Path, warn: bool = False) -> list[Record]:
    """The rows naming a clip; with ``warn`` (by ``load``), each other row giving frame numbers is said."""
    return discovery.named_records(spreadsheet, read_records(spreadsheet, COLUMNS, numbers=NUMBERS, names=NAMES),
                                   "Filename", ("OnsetFrame", "ApexFrame", "OffsetFrame"), NAME, warn)


def load(root, cropped: bool = True, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per coding row whose clip folder has frames; ``apex`` None for ``/``, -1 or blank."""
    found = find(root, cropped, annotations)
    samples = []
    for row in discovery.listed_clips(found, _records(found.label_file(), warn=True), subject_name,
                                      ("OnsetFrame", "ApexFrame", "OffsetFrame"), "CASME II", folder=folder_named):
        samples.append(Sample(
            dataset=NAME, subject=row.subject, clip=row.clip,
            emotion=to_text(cell(row.record, "Estimated Emotion")).lower(),
            onset=row.onset, apex=row.apex, offset=row.offset, fps=FPS, frames=tuple(row.frames),
            action_units=to_text(cell(row.record, "Action Units")),
            meta={"missing_frames": row.offset - row.onset + 1 - len(row.frames), "cropped": found.cropped,
                  "label_row": f"{found.label_file()}, row {row.record.row}"},
        ))
    return apply_corrections(samples, read_corrections(corrections), "all")
