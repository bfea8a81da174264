"""Writers of each database's exact on-disk layout and spreadsheets (docs/databases.md §7.6).

Each writer takes plan records (``corpus.py``) and frame arrays and produces what the real release
looks like, quirks included, so that ``common.datasets.load`` reads the synthetic corpus with the
very code that reads the licensed databases:

* CASME II: ``CASME2/Cropped/Cropped/subXX/<Filename>/reg_img<N>.jpg`` + ``CASME2-coding-20140508.xlsx``
  (9 columns with two blank headers, numeric Subject, numeric single-AU cells, a ``/`` apex); a stray
  ``Desktop - Shortcut.lnk``.
* SMIC: ``SMIC/SMIC_all_cropped/HS/s1/micro/<emotion>/s1_ne_01/reg_image%06d.bmp`` (large absolute
  numbers) and a ``non_micro/`` folder; SMIC-HS-E long clips ``SMIC/SMIC-E_raw image/HS_long/SMIC-HS-E/
  s01/s1_ne_01/image%06d.jpg`` + ``SMIC-HS-E_annotation.xlsx`` (slots, blank headers, trailing notes).
* SAMM: ``SAMM/SAMM/006/006_1_2/006_05562.jpg`` grayscale, 4- or 5-digit padding per subject, and
  ``SAMM_Micro_FACS_Codes_v2.xlsx`` with 13 preamble rows.
* CAS(ME)^2: ``CAS(ME)^2/rawpic/s15/15_0401girlcrashing/img%03d.jpg`` + the headerless 3-sheet
  ``CAS(ME)^2code_final.xlsx`` (micro and macro rows, offset 0 for unknown).
* ``combined_3class_gt.csv``: no header, CRLF, ``s01``/``6`` spellings.
* CASME: ``CASME/Cropped/subXX/<Filename>/reg_<Filename>-<N>.jpg`` (3-digit N from sub02 on) + ``CASME/casme.xlsx``
  (two blank headers, ``ApexF1`` and ``ApexF2``, an offset cell past the last frame on disk).
* CAS(ME)^3: part A's whole videos ``CAS(ME)^3/part_A/data/part_A_split/part_A/spNO.1/a/color/<N>.jpg`` (two
  clips in one video) + ``annotation/cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`` (sheet ``label`` before two
  empty sheets, numbers written as text, ``Others`` capitalised once, a ``Filename`` in upper case); part C's
  ``CAS(ME)^3/part_C/RGB_Depth/part_C/part_C/01/a/color/<N>.jpg`` + ``CAS(ME)3_part_C_ME.xlsx`` (comma-separated
  AUs, one full-width comma).
* MMEW: ``MMEW/Micro_Expression/<emotion>/<Filename>/<N>.jpg`` + ``MMEW/MMEW_Micro_Exp.xlsx``.
* 4DME: grey ``4DME/gray_micro_crop/<sub_ID>/<fold_name>/img<N>.jpg`` + ``4DME/4DME_Labelling_Micro_release
  v1.xlsx`` (one-hot emotion columns beside ``Emotion``, a clip with two emotions).
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Sequence

import cv2
import numpy as np
import openpyxl

from common.datasets.synthetic.corpus import STIMULI, CASME_SQ_SUBJECTS, Clip, Video

CASME2_DIR = Path("CASME2")
CASME2_FRAMES = CASME2_DIR / "Cropped" / "Cropped"
SMIC_HS = Path("SMIC") / "SMIC_all_cropped" / "HS"
SMIC_E = Path("SMIC") / "SMIC-E_raw image" / "HS_long"
SAMM_DIR = Path("SAMM") / "SAMM"
CASME_SQ_DIR = Path("CAS(ME)^2")
CASME_DIR = Path("CASME")
CASME3_A = Path("CAS(ME)^3") / "part_A"
CASME3_A_FRAMES = CASME3_A / "data" / "part_A_split" / "part_A"
CASME3_C = Path("CAS(ME)^3") / "part_C"
CASME3_C_FRAMES = CASME3_C / "RGB_Depth" / "part_C" / "part_C"
MMEW_DIR = Path("MMEW")
FOURDME_DIR = Path("4DME")
JPEG_QUALITY = 92
SAMM_OBJECTIVE = {"happiness": 1, "surprise": 2, "anger": 3, "disgust": 4, "fear": 5, "sadness": 6, "contempt": 7,
                  "other": 7}


def write_image(path: Path, frame: np.ndarray) -> None:
    """One RGB (H,W,3) or gray (H,W) uint8 frame as JPEG/BMP (OpenCV writes BGR)."""
    image = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if frame.ndim == 3 else frame
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if path.suffix == ".jpg" else []
    if not cv2.imwrite(str(path), image, params):
        raise OSError(f"{path}: could not write this frame")


def write_frames(folder: Path, frames: np.ndarray, numbers: Iterable[int], name: str) -> int:
    """``frames[i]`` to ``folder / name.format(numbers[i])``; returns the number written."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for frame, number in zip(frames, numbers):
        write_image(folder / name.format(number), frame)
        count += 1
    return count


def _sheet(path: Path, sheets: Sequence[tuple[str, Sequence[Sequence]]]) -> None:
    book = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _number_cell(value):
    """A quirk cell written instead of a number: digits become an integer, ``/`` stays text."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _au_cell(text: str):
    """Single AUs are numbers in the real sheets (``4``, ``12``), everything else text (docs/databases.md §1.4)."""
    return int(text) if text.isdigit() else text


# --- CASME II ------------------------------------------------------------------------------------------------------

def write_casme2_clip(out: Path, clip: Clip, frames: np.ndarray) -> int:
    return write_frames(out / CASME2_FRAMES / clip.subject / clip.clip, frames, range(clip.onset, clip.offset + 1),
                        "reg_img{}.jpg")


def write_casme2_sheet(out: Path, clips: Sequence[Clip]) -> Path:
    path = out / CASME2_DIR / "CASME2-coding-20140508.xlsx"
    header = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
              "Estimated Emotion"]
    rows = [header] + [[int(c.subject[3:]), c.clip, None, c.onset, _number_cell(c.apex_cell or c.apex), c.offset, None,
                        _au_cell(c.action_units), c.emotion] for c in clips]
    _sheet(path, [("Sheet1", rows)])
    subjects = sorted({c.subject for c in clips})
    (out / CASME2_FRAMES / subjects[0] / "Desktop - Shortcut.lnk").write_bytes(b"L\x00\x00\x00stray shortcut")
    return path


# --- SMIC-HS and SMIC-HS-E -----------------------------------------------------------------------------------------

def write_smic_clip(out: Path, clip: Clip, long_frames: np.ndarray) -> int:
    """The SMIC-HS-E long clip (JPEG, all frames) and its SMIC-HS micro part (cropped BMP, onset..offset)."""
    numbers = range(clip.long_first, clip.long_last + 1)
    written = write_frames(out / SMIC_E / "SMIC-HS-E" / f"s{int(clip.subject[1:]):02d}" / clip.clip, long_frames,
                           numbers, "image{:06d}.jpg")
    start = clip.onset - clip.long_first
    hs = long_frames[start:start + clip.offset - clip.onset + 1]
    written += write_frames(out / SMIC_HS / clip.subject / "micro" / clip.emotion / clip.clip, hs,
                            range(clip.onset, clip.offset + 1), "reg_image{:06d}.bmp")
    return written


def write_smic_extras(out: Path, clips: Sequence[Clip]) -> Path:
    """A ``non_micro`` clip (ignored by loaders) and the SMIC-HS-E annotation workbook."""
    first = clips[0]
    source = out / SMIC_HS / first.subject / "micro" / first.emotion / first.clip
    non_micro = out / SMIC_HS / first.subject / "non_micro" / f"{first.subject}_n1"
    non_micro.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(sorted(source.iterdir())[:3]):
        shutil.copyfile(frame, non_micro / f"reg_image{first.long_first + 5000 + i:06d}.bmp")
    # Column order is not known for the real file (docs/databases.md §2.2); the blanks sit at 2, 9, 17, 18 as there.
    header = ["Subject", "Filename", None, "Emotion", "FirstF", "LastF", "TotalVL", "OnsetF", "OffsetF", None,
              "TotalMF1", "Onset2F", "Offset2F", "TotalMF2", "Onset3F", "Offset3F", "TotalMF3", None, None]
    rows: list[list[Any]] = [header]  # cells: numbers, text and blanks
    for c in clips:
        second = [c.second[0], c.second[2], c.second[2] - c.second[0] + 1] if c.second else [None, None, None]
        rows.append([int(c.subject[1:]), c.clip, None, c.emotion, c.long_first, c.long_last,
                     c.long_last - c.long_first + 1, c.onset, c.offset, None, c.offset - c.onset + 1, *second,
                     None, None, None, None, None])
    rows += [[None] * 19, ["Note: onset and offset are frame numbers of the long clips (synthetic copy)."],
             ["TotalMF = number of frames of the micro-expression; TotalVL = length of the long clip."]]
    path = out / SMIC_E / "SMIC-HS-E_annotation.xlsx"
    _sheet(path, [("HS", rows)])
    return path


# --- SAMM ----------------------------------------------------------------------------------------------------------

def write_samm_clip(out: Path, clip: Clip, frames: np.ndarray, padding: int) -> int:
    gray = frames if frames.ndim == 3 else np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])
    return write_frames(out / SAMM_DIR / clip.subject / clip.clip, gray, range(clip.onset, clip.offset + 1),
                        f"{clip.subject}_{{:0{padding}d}}.jpg")


def write_samm_sheet(out: Path, clips: Sequence[Clip]) -> Path:
    preamble = [["SAMM Micro-Expression Database: Micro-Movement FACS Codes (synthetic copy)"], [],
                ["Columns: subject, clip, inducement, onset/apex/offset frame numbers, duration, FACS AUs, emotion"]]
    preamble += [[] for _ in range(13 - len(preamble))]
    preamble[5] = ["Frame numbers refer to the file names <subject>_<frame>.jpg"]
    header = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
              "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]
    rows: list[list[Any]] = preamble + [header]  # cells: numbers, text and blanks
    for i, c in enumerate(clips):
        emotion = c.emotion.capitalize()
        if c.emotion == "other" and i % 2:
            emotion = "Others"  # both spellings occur (docs/databases.md §3.2)
        rows.append([int(c.subject), c.clip, int(c.clip.split("_")[1]), c.onset, _number_cell(c.apex_cell or c.apex),
                     c.offset, c.offset - c.onset + 1, "Micro - 1/2", _au_cell(c.action_units), emotion,
                     SAMM_OBJECTIVE[c.emotion], None])
    path = out / SAMM_DIR / "SAMM_Micro_FACS_Codes_v2.xlsx"
    _sheet(path, [("FACS_Codes", rows)])
    return path


# --- CAS(ME)^2 -----------------------------------------------------------------------------------------------------

def video_dir(out: Path, video: Video) -> Path:
    number = int(video.subject[1:])
    return out / CASME_SQ_DIR / "rawpic" / video.subject / f"{number:02d}_{video.code}{video.folder_name}"


def write_casme_sq_video(out: Path, video: Video, frames: np.ndarray) -> int:
    return write_frames(video_dir(out, video), frames, range(1, video.n_frames + 1), "img{:03d}.jpg")


def write_casme_sq_sheet(out: Path, videos: Sequence[Video]) -> Path:
    """Three headerless sheets: codes, naming rule1 (all 22 subjects), naming rule2 (the nine stimuli)."""
    codes = []
    for v in videos:
        for e in v.expressions:
            codes.append([v.participant, e.expression_id, e.onset, e.apex, e.offset_cell, _au_cell(e.action_units),
                          e.category, f"{e.kind}-expression", e.self_report])
    rule1 = [[folder, f"s{folder}", participant] for participant, folder in enumerate(CASME_SQ_SUBJECTS, start=1)]
    # Stimulus codes are text in some copies and numbers in others (docs/databases.md §4.2): write both.
    rule2 = [[code if i % 2 else int(code), name] for i, (code, _, name) in enumerate(STIMULI)]
    path = out / CASME_SQ_DIR / "CAS(ME)^2code_final.xlsx"
    _sheet(path, [("CASFEcode_final", codes), ("naming rule1", rule1), ("naming rule2", rule2)])
    return path


# --- MEGC 2019 -----------------------------------------------------------------------------------------------------

def write_megc_csv(out: Path, rows: Sequence[tuple[str, str, str, int]]) -> Path:
    path = out / "combined_3class_gt.csv"
    path.write_bytes("".join(f"{db},{subject},{clip},{label}\r\n" for db, subject, clip, label in rows).encode())
    return path


# --- CASME, CAS(ME)^3, MMEW, 4DME ----------------------------------------------------------------------------------

def extra_clip_dir(out: Path, clip: Clip) -> tuple[Path, str]:
    """(folder, frame-name format) of a clip of the EXTRA databases (corpus.EXTRA)."""
    if clip.dataset == "casme":
        padding = "03d" if clip.subject != "sub01" else "d"  # unpadded in sub01, 3 digits after (§9.1)
        return out / CASME_DIR / "Cropped" / clip.subject / clip.clip, f"reg_{clip.clip}-{{:{padding}}}.jpg"
    if clip.dataset == "casme3":
        return out / CASME3_A_FRAMES / clip.subject / clip.video / "color", "{}.jpg"
    if clip.dataset == "casme3_c":
        return out / CASME3_C_FRAMES / clip.subject / clip.video / "color", "{}.jpg"
    if clip.dataset == "mmew":
        return out / MMEW_DIR / "Micro_Expression" / clip.emotion / clip.clip, "{}.jpg"
    return out / FOURDME_DIR / "gray_micro_crop" / clip.subject / clip.clip, "img{}.jpg"


def write_extra_clip(out: Path, clip: Clip, frames: np.ndarray) -> int:
    folder, name = extra_clip_dir(out, clip)
    if clip.dataset == "4dme" and frames.ndim == 4:  # 4DME's 2D frames are grey
        frames = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])
    return write_frames(folder, frames, range(clip.onset, clip.offset + 1), name)


def write_extra_sheets(out: Path, clips: Sequence[Clip]) -> list[Path]:
    """The label workbooks of CASME, CAS(ME)^3 A and C, MMEW and 4DME, each with the quirks the module docstring
    names (docs/databases.md §9-12)."""
    of = {name: [c for c in clips if c.dataset == name] for name in ("casme", "casme3", "casme3_c", "mmew", "4dme")}
    paths = []
    if of["casme"]:
        header = ["Subject", "Filename", None, "OnsetF", "ApexF1", "ApexF2", "OffsetF", None, "AU", "Emotion"]
        rows: list[list[Any]] = [header]
        for i, c in enumerate(of["casme"]):
            offset = c.offset + 3 if i == 0 else c.offset  # past the last frame on disk, as rows of the real sheet
            rows.append([int(c.subject[3:]), c.clip, None, c.onset, c.apex, None, offset, None,
                         _au_cell(c.action_units), c.emotion])
        paths.append(out / CASME_DIR / "casme.xlsx")
        _sheet(paths[-1], [("Sheet1", rows)])
    if of["casme3"]:
        rows = [["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]]
        for i, c in enumerate(of["casme3"]):
            emotion = "Others" if c.emotion == "others" and i % 2 == 0 else c.emotion
            video = c.video.upper() if i == len(of["casme3"]) - 1 else c.video  # one "J" for the folder j
            rows.append([c.subject, video, str(c.onset), str(c.apex), str(c.offset), c.action_units, "VII", emotion])
        paths.append(out / CASME3_A / "annotation" / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx")
        _sheet(paths[-1], [("label", rows), ("Sheet1", []), ("Sheet3", [])])
    if of["casme3_c"]:
        rows = [["sub", "count", "onset", "offset", "au", "emotion"]]
        for i, c in enumerate(of["casme3_c"]):
            units = c.action_units.replace("+", "，" if i == 0 else ",")
            rows.append([int(c.subject), int(c.clip), c.onset, c.offset, _au_cell(units), c.emotion])
        paths.append(out / CASME3_C / "annotation" / "CAS(ME)3_part_C_ME.xlsx")
        _sheet(paths[-1], [("mockCrimeME", rows)])
    if of["mmew"]:
        rows = [["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
                 "remarks"]]
        rows += [[c.subject, c.clip, c.onset, c.apex, c.offset, _au_cell(c.action_units), c.emotion, None]
                 for c in of["mmew"]]
        paths.append(out / MMEW_DIR / "MMEW_Micro_Exp.xlsx")
        _sheet(paths[-1], [("Sheet1", rows)])
    if of["4dme"]:
        names = ("Positive", "Negative", "Surprise", "Repression", "Others")
        rows = [["sub_ID", "fold_name", "Onset", "Apex", "Offset", "AUs", "Emotion", *names]]
        for c in of["4dme"]:
            labels = c.emotion.split("+")
            rows.append([c.subject, c.clip, c.onset, c.apex, c.offset, c.action_units,
                         "+".join(label.capitalize() for label in labels),
                         *[int(name.lower() in labels) for name in names]])
        paths.append(out / FOURDME_DIR / "4DME_Labelling_Micro_release v1.xlsx")
        _sheet(paths[-1], [("Sheet1", rows)])
    return paths
