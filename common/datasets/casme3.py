"""CAS(ME)^3 (Li et al., IEEE TPAMI 2022): parts A and C, 30 fps, RGB-D; layout in docs/databases.md §10.

Part A (``casme3``): the label workbook ``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`` (sheet ``label``; v1 is an
``.xls`` with 61 more rows) lists one micro-expression per row: ``Subject`` (``spNO.1``), ``Filename`` (the video,
``a``..``m``), ``Onset``, ``Apex``, ``Offset`` (the frame numbers of the video's ``<N>.jpg``), ``AU``, ``Objective
class``, ``emotion``. The frames are read from either layout of the release: the whole videos
``part_A/data/part_A_split/part_A/spNO.1/a/color/<N>.jpg`` (``depth/<N>.png`` beside, not read), or the cut clips
``Part_A_ME_clip/frame/<Subject>_<Filename>_<Onset>/<N>.jpg``. One video holds several micro-expressions, so a
clip is named ``<Filename>_<Onset>`` (``e_62``).

Part C (``casme3_c``, the mock-crime part): ``CAS(ME)3_part_C_ME.xlsx`` (sheet ``mockCrimeME``: ``sub``, ``count``,
``onset``, ``offset``, ``au``, ``emotion``; no apex, the midpoint stands in) and one long video per subject,
``part_C/<NN>/a/color/<N>.jpg``; a clip is named ``<count>``.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import cast
from collections.abc import Callable

from common.datasets import discovery
from common.datasets.corrections import apply_corrections, read_corrections
from common.datasets.invariants import VOCABULARY, annotation_fields, annotation_problem
from common.datasets.sample import Sample, warn_dropped
from common.datasets.tables import (DatasetError, cell, cells_place, first_cell_problem, folder_named,
                                    frame_cell_problem, needed_frame_problem, read_records, to_int, to_text,
                                    whole_number)

NAME = "casme3"
NAME_C = "casme3_c"
FPS = 30.0  # docs/databases.md §10.1
SUBJECT_DIR = re.compile(r"^spNO\.[0-9]+$", re.IGNORECASE)
SUBJECT_DIR_C = re.compile(r"^[0-9]{1,3}$")
SPREADSHEET = re.compile(r"^cas\(me\)3_part_A_ME_label.*\.(xlsx|xls)$", re.IGNORECASE)
SPREADSHEET_C = re.compile(r"^CAS\(ME\)3_part_C_ME.*\.(xlsx|xls)$", re.IGNORECASE)
FRAME = re.compile(r"^[0-9]+\.(jpe?g|png|bmp)$", re.IGNORECASE)
COLUMNS = ("Subject", "Filename", "Onset", "Apex", "Offset", "emotion")
COLUMNS_C = ("sub", "count", "onset", "offset", "emotion")
CLIPS = "Part_A_ME_clip"
# The databases' own classes (docs/databases.md §10.2): part A's seven (the workbook also spells Others), part C's
# four.
EMOTIONS, EMOTIONS_C = VOCABULARY[NAME], VOCABULARY[NAME_C]
# The MEGC three classes (docs/databases.md §10.3): the MEGC rule, every negative emotion negative, others out.
MEGC3 = {"disgust": "negative", "fear": "negative", "anger": "negative", "sad": "negative", "happy": "positive",
         "surprise": "surprise"}
MEGC3_C = {"negative": "negative", "positive": "positive", "surprise": "surprise"}


def _rank(path: Path) -> tuple:
    # The newest version first: v2 (the authors removed rows v1 labelled wrongly) before v1.
    version = re.search(r"_v([0-9]+)", path.stem, re.IGNORECASE)
    return (-(int(version.group(1)) if version else 0), path.name.lower())


def _is_video_root(folder: Path, subject_dir: re.Pattern = SUBJECT_DIR) -> bool:
    """A folder of ``<subject>/<video>/color/``: part A's whole videos (``spNO.1/a/color``), or part C's one video
    a subject (``01/a/color``, ``subject_dir`` :data:`SUBJECT_DIR_C`)."""
    subjects = [s for s in discovery.subdirs(folder) if subject_dir.match(s.name)][:5]
    return any((v / "color").is_dir() for s in subjects for v in discovery.subdirs(s))


def _clip_root(dirs: list[Path]) -> Path | None:
    return next((d / "frame" for d in dirs if d.name.lower() == CLIPS.lower() and (d / "frame").is_dir()), None)


def find(root, annotations=None) -> discovery.Found:
    """Part A: the label workbook and the folder of its frames (the whole videos, else the cut clips)."""
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET, _rank, "CAS(ME)^3 part A label workbook "
                                             "(cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx)", annotations, dirs)
    videos = [d for d in dirs if _is_video_root(d)]
    clips = _clip_root(dirs)
    if not videos and clips is None:
        raise DatasetError(f"{root}: no CAS(ME)^3 part A frames found (expected part_A/spNO.1/a/color/<N>.jpg or "
                           f"{CLIPS}/frame/spNO.1_a_355/<N>.jpg within {discovery.SEARCH_DEPTH} folder levels)"
                           f"{discovery.folder_note(root)}")
    return discovery.Found(NAME, spreadsheet, videos[0] if videos else clips, False)  # type: ignore[arg-type]


@dataclasses.dataclass(frozen=True)
class Row:
    """One labelled micro-expression of a workbook, in the suite's spelling (part C: ``video`` "a", no apex)."""

    subject: str
    video: str
    clip: str  # "" when the onset that names it gives no frame number (the row is dropped, named by its row)
    onset: int | None
    apex: int | None
    offset: int | None  # None: 0 or blank in the workbook (unknown)
    emotion: str  # lower case
    action_units: str
    objective_class: str = ""
    row: int = 0  # its row in the workbook, as a spreadsheet program shows it (a dropped clip's reason names it)
    # "column Apex: 'l06' is no frame number (...)": the first frame cell written wrong (an onset that gives no
    # frame number; an apex or part A offset that is neither a frame number nor none), "" when every cell reads.
    # The row is dropped with it (:func:`_samples`): a typo or a date is no unknown apex.
    cell_problem: str = ""


def _subject(text: str) -> str:
    """``spNO.1``, ``spno.1``, ``spNO.001`` -> ``spNO.1`` (the folders' spelling)."""
    match = re.fullmatch(r"sp\s*no\.?\s*0*([0-9]+)", text.strip(), re.IGNORECASE)
    return f"spNO.{int(match.group(1))}" if match else text.strip()


def read_labels(spreadsheet: Path) -> list[Row]:
    """The rows of part A's workbook: numbers written as text read as numbers, ``Others`` as others, an offset of
    0 as unknown (two rows of spNO.40), the clip named ``<video>_<onset>``. A row whose onset gives no frame number
    (its clip then unnamed, ``""``), or whose apex or offset is neither a frame number nor none
    (``tables.frame_cell_problem``: a date, ``l06``, -106, 106.5), is kept with its ``cell_problem`` naming the
    column: :func:`_samples` drops it with why."""
    rows = []
    for record in read_records(spreadsheet, COLUMNS, numbers=("Onset", "Apex", "Offset"),
                               names=("Subject", "Filename")):
        if not to_text(cell(record, "Subject")):  # a blank or note row; one giving frame numbers is said
            discovery.unnamed_row(spreadsheet, record.row, "Subject", cell(record, "Subject"),
                                  [cell(record, c) for c in ("Onset", "Apex", "Offset")], "a subject (spNO.<n>)",
                                  NAME)
            continue
        video = to_text(cell(record, "Filename"))
        for column, name in (("Subject", to_text(cell(record, "Subject"))), ("Filename", video)):  # folder names
            discovery.check_folder_name(name, f"{spreadsheet}: column {column}", "the CAS(ME)^3 folder's own name")
        cells = (("Onset", needed_frame_problem(cell(record, "Onset"))),
                 ("Apex", frame_cell_problem(cell(record, "Apex"))),
                 ("Offset", frame_cell_problem(cell(record, "Offset"))))
        onset, apex, offset = (to_int(cell(record, c)) for c in ("Onset", "Apex", "Offset"))
        clip = f"{video.lower()}_{onset}" if onset is not None else ""
        rows.append(Row(_subject(to_text(cell(record, "Subject"))), video, clip, onset, apex,
                        offset or None, to_text(cell(record, "emotion")).lower(), to_text(cell(record, "AU")),
                        to_text(cell(record, "Objective class")), row=record.row,
                        cell_problem=first_cell_problem(cells)))
    return rows


def _frames(found: discovery.Found, row: Row, last: int) -> tuple[list[Path], Path, str]:
    """(frames onset..last, their folder, why unreadable) of a part A row, in the layout ``found`` names."""
    if found.frames.name == "frame" and found.frames.parent.name.lower() == CLIPS.lower():
        folder = folder_named(found.frames, f"{row.subject}_{row.video}_{row.onset}", any_case=True)
    else:
        folder = folder_named(found.frames, row.subject, row.video, any_case=True) / "color"
    listed, unreadable = discovery.clip_frames(folder, FRAME)
    return discovery.frames_between(listed, cast(int, row.onset), last), folder, unreadable


def _samples(name: str, rows: list[Row], spreadsheet: Path,
             frames_of: Callable[[Row, int], tuple[list[Path], Path, str]]) -> list[Sample]:
    """One Sample per row whose annotation is ordered and whose frames are on disk, each other row dropped with
    why. Part A: an offset of 0 is unknown (onset..apex + (apex - onset) stands in, as for CAS(ME)^2, docs
    §4.2). Part C: no apex (the midpoint stands in, ``meta["apex_annotated"] = False``), an offset is needed."""
    part_c = name == NAME_C
    title = "CAS(ME)^3 part C" if part_c else "CAS(ME)^3"
    samples = []
    for row in rows:
        key = f"{name}/{row.subject}/{row.clip}"
        if row.cell_problem:  # a frame cell written wrong: no unknown frame (Row.cell_problem)
            # without an onset there is no clip name: the clip is named by its video, the key by its row
            named = f"clip {row.subject}/{row.clip}" if row.clip else f"clip of video {row.subject}/{row.video}"
            warn_dropped(f"{spreadsheet}: row {row.row}, {row.cell_problem}; {title} {named} skipped",
                         key if row.clip else f"{name}/{spreadsheet.name}, row {row.row}", stage="annotation")
            continue
        onset, offset = row.onset, row.offset
        problem = annotation_problem(onset, row.apex, offset) or ("no usable offset" if part_c and offset is None
                                                                  else "")
        if problem or onset is None:
            columns = ({"onset": "onset", "offset": "offset"} if part_c else
                       {"onset": "Onset", "apex": "Apex", "offset": "Offset"})
            fields = annotation_fields(onset, row.apex, offset) or ("offset",)  # else: part C's offset is needed
            place = cells_place(row.row, [columns[field] for field in fields])
            warn_dropped(f"{spreadsheet}: {place}: {title} {row.subject} clip {row.clip}: {problem}; skipped", key,
                         stage="annotation")
            continue
        apex = (onset + offset) // 2 if part_c and offset is not None else row.apex
        last = offset if offset is not None else (2 * apex - onset if apex is not None else onset)
        frames, folder, unreadable = frames_of(row, last)
        if unreadable or not frames:
            warn_dropped(f"{unreadable}; {title} clip {row.subject}/{row.clip} skipped" if unreadable else
                         f"{folder}: {title} clip {row.subject}/{row.clip} listed in {spreadsheet.name} but its "
                         f"frames {onset}..{last} are missing; skipped", key)
            continue
        meta = {"video_dir": folder, "missing_frames": last - onset + 1 - len(frames),
                "label_row": f"{spreadsheet}, row {row.row}"}
        meta.update({"apex_annotated": False} if part_c else {"video": row.video,
                                                             "objective_class": row.objective_class})
        samples.append(Sample(dataset=name, subject=row.subject, clip=row.clip, emotion=row.emotion, onset=onset,
                              apex=apex, offset=offset, fps=FPS, frames=tuple(frames),
                              action_units=row.action_units, meta=meta))
    return samples


def load(root, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per row of the part A workbook whose frames are on disk (:func:`_samples`)."""
    found = find(root, annotations)
    spreadsheet = found.label_file()
    samples = _samples(NAME, read_labels(spreadsheet), spreadsheet, lambda row, last: _frames(found, row, last))
    return apply_corrections(samples, read_corrections(corrections), "all")


# --- part C --------------------------------------------------------------------------------------------------------

def find_c(root, annotations=None) -> discovery.Found:
    root = discovery.check_root(root)
    dirs = discovery.walk_dirs(root)
    spreadsheet = discovery.pick_spreadsheet(root, SPREADSHEET_C, lambda p: (p.name.lower(),),
                                             "CAS(ME)^3 part C label workbook (CAS(ME)3_part_C_ME.xlsx)",
                                             annotations, dirs)
    videos = [d for d in dirs if _is_video_root(d, SUBJECT_DIR_C)]
    if not videos:
        raise DatasetError(f"{root}: no CAS(ME)^3 part C frames found (expected part_C/01/a/color/<N>.jpg within "
                           f"{discovery.SEARCH_DEPTH} folder levels){discovery.folder_note(root)}")
    near = [v for v in videos if "part_c" in str(v).lower()]
    return discovery.Found(NAME_C, spreadsheet, (near or videos)[0], False)


def subject_name_c(value, where: str = "sub") -> str:
    """``1``, ``1.0``, ``"01"`` -> ``01`` (the folders' two digits)."""
    number = whole_number(value, where)
    return to_text(value) if number is None else f"{number:02d}"


def _video_c(frames_root: Path, subject: str) -> Path:
    """The subject's video folder: ``<NN>/a/color`` (one video; a folder named by the unpadded number reads too)."""
    folder = frames_root / subject
    if not folder.is_dir():
        folder = frames_root / str(int(subject)) if subject.isdigit() else folder
    videos = [v for v in discovery.subdirs(folder) if (v / "color").is_dir()]
    return (videos[0] if videos else folder / "a") / "color"


def read_labels_c(spreadsheet: Path) -> list[Row]:
    """The rows of part C's workbook: the clip named by ``count``, the AUs written with commas (``R4,5``, one with a
    full-width comma) in the suite's ``+`` notation, no apex."""
    rows = []
    for record in read_records(spreadsheet, COLUMNS_C, numbers=("sub", "onset", "offset")):
        if whole_number(cell(record, "sub"), f"{spreadsheet}: column sub") is None:
            # a blank or note row; one giving frame numbers is said
            discovery.unnamed_row(spreadsheet, record.row, "sub", cell(record, "sub"),
                                  [cell(record, c) for c in ("onset", "offset")], "a subject number", NAME_C)
            continue
        if not to_text(cell(record, "count")):  # count names the clip: a row without it is no clip (said if it
            # gives frame numbers), where it was loaded as a clip of no name, <NN>/
            discovery.unnamed_row(spreadsheet, record.row, "count", cell(record, "count"),
                                  [cell(record, c) for c in ("onset", "offset")], "the clip's number", NAME_C)
            continue
        # Part C has no apex: the onset and the offset are both needed (the midpoint stands in for the apex).
        cells = (("onset", needed_frame_problem(cell(record, "onset"))),
                 ("offset", needed_frame_problem(cell(record, "offset"))))
        rows.append(Row(subject_name_c(cell(record, "sub")), "a", to_text(cell(record, "count")),
                        to_int(cell(record, "onset")), None, to_int(cell(record, "offset")),
                        to_text(cell(record, "emotion")).lower(),
                        re.sub(r"\s*[,，]\s*", "+", to_text(cell(record, "au"))), row=record.row,
                        cell_problem=first_cell_problem(cells)))
    return rows


def load_c(root, annotations=None, corrections=True) -> list[Sample]:
    """One Sample per row of the part C workbook whose frames are on disk (:func:`_samples`); each subject's long
    video is listed once."""
    found = find_c(root, annotations)
    spreadsheet = found.label_file()
    videos: dict[str, tuple[list[Path], str, Path]] = {}

    def frames_of(row: Row, last: int) -> tuple[list[Path], Path, str]:
        if row.subject not in videos:
            folder = _video_c(found.frames, row.subject)
            videos[row.subject] = (*discovery.clip_frames(folder, FRAME), folder)
        listed, unreadable, folder = videos[row.subject]
        return discovery.frames_between(listed, cast(int, row.onset), last), folder, unreadable

    samples = _samples(NAME_C, read_labels_c(spreadsheet), spreadsheet, frames_of)
    return apply_corrections(samples, read_corrections(corrections), "all")
