"""Loaders on small trees written here, one quirk of docs/databases.md per test.

Frame files are empty: loaders must only list files, never decode them, so an empty ``.jpg`` is enough.
"""
from __future__ import annotations

import datetime
import warnings
from pathlib import Path

import openpyxl
import pytest

from common.datasets import DATASETS, DatasetError, dropped, load
from common.datasets.tables import DatabaseNotFound


def touch(folder: Path, names) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")


def workbook(path: Path, *sheets) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for i, rows in enumerate(sheets):
        sheet = book.create_sheet(f"Sheet{i + 1}")
        for row in rows:
            sheet.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


CASME2_HEADER = ["Subject", "Filename", None, "OnsetFrame", "ApexFrame", "OffsetFrame", None, "Action Units",
                 "Estimated Emotion"]


def casme2_tree(root: Path, rows=None, raw: bool = False) -> Path:
    """CASME2/ with the 9-column coding file and Cropped/Cropped/subXX/<clip>/reg_img<N>.jpg."""
    db = root / "CASME2"
    rows = rows if rows is not None else [
        [1, "EP02_01f", None, 8, 9, 12, None, 12, "happiness"],
        [1, "EP01_2", None, 98, "/", 102, None, "4+L10", "disgust"],
        [4, "EP12_01f", None, 5, -1, 7, None, "4+7", "disgust"],
        [5, "EP09f", None, 1, 2, 3, None, "R12", "others"],
        [5, "EP06_02_01", None, 1, 2, 3, None, "1+R2+25", "surprise"],
    ]
    workbook(db / "CASME2-coding-20140508.xlsx", [CASME2_HEADER, *rows])
    for subject, clip, _, onset, _, offset, *_ in rows:
        touch(db / "Cropped" / "Cropped" / f"sub{subject:02d}" / clip,
              [f"reg_img{n}.jpg" for n in range(onset, offset + 1)])
        if raw:  # the whole raw clip, numbered from 1
            touch(db / "CASME2-RAW" / f"sub{subject:02d}" / clip, [f"img{n}.jpg" for n in range(1, offset + 5)])
    (db / "Cropped" / "Cropped" / "sub01" / "Desktop - Shortcut.lnk").write_bytes(b"L")
    return db


def test_unknown_name_lists_the_databases(tmp_path):
    with pytest.raises(DatasetError) as error:
        load("casme4", tmp_path)
    assert all(name in str(error.value) for name in DATASETS)


def test_unknown_option_is_an_error(tmp_path):
    casme2_tree(tmp_path)
    with pytest.raises(DatasetError, match="types"):
        load("casme2", tmp_path, types=("micro",))


@pytest.mark.parametrize("name", DATASETS)
def test_root_without_database_names_the_root_and_what_was_expected(tmp_path, name):
    (tmp_path / "holiday photos" / "2019").mkdir(parents=True)
    with pytest.raises(DatasetError) as error:
        load(name, tmp_path)
    assert str(tmp_path) in str(error.value) and "expected" in str(error.value)


def test_missing_root_is_one_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load("samm", tmp_path / "nowhere")


def test_casme2_coding_file_quirks(tmp_path):
    casme2_tree(tmp_path)
    samples = {s.clip: s for s in load("casme2", tmp_path)}  # root is the parent of CASME2/
    assert set(samples) == {"EP02_01f", "EP01_2", "EP12_01f", "EP09f", "EP06_02_01"}
    first = samples["EP02_01f"]
    assert (first.subject, first.emotion, first.onset, first.apex, first.offset) == ("sub01", "happiness", 8, 9, 12)
    assert first.action_units == "12" and first.fps == 200  # numeric AU cell read as a string
    assert [p.name for p in first.frames] == [f"reg_img{n}.jpg" for n in range(8, 13)]  # .lnk ignored
    assert samples["EP01_2"].apex is None and samples["EP12_01f"].apex is None  # "/" and -1
    # frame numbers sorted as integers, not strings: reg_img98, 99, 100, 101, 102
    assert samples["EP01_2"].frame_numbers == (98, 99, 100, 101, 102)
    assert samples["EP01_2"].apex_position == 2
    assert samples["EP06_02_01"].subject == "sub05" and samples["EP06_02_01"].action_units == "1+R2+25"


@pytest.mark.parametrize("apex", [datetime.datetime(2014, 5, 8), "l06", -106, 106.5, True])
def test_an_apex_cell_that_is_no_frame_number_drops_the_clip_naming_the_cell(tmp_path, apex):
    """Only a blank, ``/``, ``-``, ``?`` or -1 says "no apex": a date, a typo, another negative number or a fraction
    is an apex written wrong, dropped and recorded (as a bad onset is), never kept as a clip without apex."""
    db = casme2_tree(tmp_path)
    book = openpyxl.load_workbook(db / "CASME2-coding-20140508.xlsx")
    book.active["E2"] = apex  # EP02_01f's apex
    book.active["E3"] = "-"  # EP01_2's: another way of writing none
    book.save(db / "CASME2-coding-20140508.xlsx")
    with pytest.warns(UserWarning, match="row 2, column ApexFrame: .* is no frame number"):
        samples = {s.clip: s for s in load("casme2", tmp_path)}
    assert "EP02_01f" not in samples and samples["EP01_2"].apex is None
    (drop,) = dropped("casme2", tmp_path)
    assert drop.key == "casme2/sub01/EP02_01f" and drop.stage == "annotation"
    assert drop.reason.startswith(f"{db / 'CASME2-coding-20140508.xlsx'}: row 2, column ApexFrame: ")
    assert drop.reason.endswith("; CASME II clip sub01/EP02_01f skipped")


@pytest.mark.parametrize("coordinate, column, text", [("D2", "OnsetFrame", "8.5"), ("E2", "ApexFrame", "9.5"),
                                                       ("F2", "OffsetFrame", "11.9")])
def test_a_frame_cell_holding_a_fraction_as_text_drops_the_clip_naming_the_cell(tmp_path, coordinate, column, text):
    """``"8.5"`` written as text (as every cell of a csv is) is no frame number, as the number 8.5 is not: never
    cut to frame 8 (or an offset 11.9 to 11) without a word."""
    db = casme2_tree(tmp_path)
    book = openpyxl.load_workbook(db / "CASME2-coding-20140508.xlsx")
    book.active[coordinate] = text  # EP02_01f: onset 8, apex 9, offset 12
    book.active["D3"] = "98.0"  # EP01_2's onset, a whole number written as text: read
    book.save(db / "CASME2-coding-20140508.xlsx")
    with pytest.warns(UserWarning, match=f"row 2, column {column}: '{text}' is no frame number"):
        samples = {s.clip: s for s in load("casme2", tmp_path)}
    assert "EP02_01f" not in samples and samples["EP01_2"].onset == 98
    (drop,) = dropped("casme2", tmp_path)
    assert drop.key == "casme2/sub01/EP02_01f" and drop.stage == "annotation"


@pytest.mark.parametrize("onset, offset, place, why", [
    (-5, 12, "row 2, column OnsetFrame", "-5 is negative; expected a frame number"),
    (8, "/", "row 2, column OffsetFrame", "'/' (no frame); expected a frame number"),
    (None, 12, "row 2, column OnsetFrame", "blank; expected a frame number"),
    (13, 12, "row 2, columns OnsetFrame and OffsetFrame", "sub01/EP02_01f: onset 13 is after offset 12")])
def test_an_onset_or_offset_drop_names_the_row_the_column_and_the_value(tmp_path, onset, offset, place, why):
    """A clip dropped for its onset or offset names the cell (row and column) and what it holds: a negative onset
    is said to be negative, not only "no usable onset/offset"."""
    db = casme2_tree(tmp_path)
    book = openpyxl.load_workbook(db / "CASME2-coding-20140508.xlsx")
    book.active["D2"], book.active["F2"] = onset, offset  # EP02_01f's onset and offset
    book.save(db / "CASME2-coding-20140508.xlsx")
    with pytest.warns(UserWarning, match="row 2, column"):
        samples = load("casme2", tmp_path)
    assert "EP02_01f" not in {s.clip for s in samples}
    (drop,) = dropped("casme2", tmp_path)
    assert drop.key == "casme2/sub01/EP02_01f" and drop.stage == "annotation"
    assert drop.reason.startswith(f"{db / 'CASME2-coding-20140508.xlsx'}: {place}: ") and why in drop.reason
    assert drop.reason.endswith("; skipped")


def test_a_frame_file_named_with_other_digits_is_no_frame(tmp_path):
    """``reg_img١٠.jpg`` (Arabic-Indic digits) is not a frame file: listing the clip neither fails nor reads it."""
    from common.datasets.discovery import FRAME_FILE

    db = casme2_tree(tmp_path)
    (db / "Cropped" / "Cropped" / "sub01" / "EP02_01f" / "reg_img١٠.jpg").write_bytes(b"")
    assert FRAME_FILE.match("reg_img10.jpg") and not FRAME_FILE.match("reg_img١٠.jpg")
    sample = next(s for s in load("casme2", tmp_path) if s.clip == "EP02_01f")
    assert [p.name for p in sample.frames] == [f"reg_img{n}.jpg" for n in range(8, 13)]


def test_casme2_root_can_be_the_database_or_a_deep_parent(tmp_path):
    casme2_tree(tmp_path / "licensed" / "databases")
    assert len(load("casme2", tmp_path)) == 5
    assert len(load("casme2", tmp_path / "licensed" / "databases" / "CASME2")) == 5


def test_casme2_prefers_cropped_and_reads_raw_on_request(tmp_path):
    casme2_tree(tmp_path, raw=True)
    cropped = {s.clip: s for s in load("casme2", tmp_path)}
    raw = {s.clip: s for s in load("casme2", tmp_path, cropped=False)}
    assert cropped["EP02_01f"].frames[0].name == "reg_img8.jpg"
    # the raw folder holds the whole clip img1..; only onset..offset is the sample
    assert [p.name for p in raw["EP02_01f"].frames] == [f"img{n}.jpg" for n in range(8, 13)]
    assert "CASME2-RAW" in str(raw["EP02_01f"].frames[0])


def test_casme2_missing_and_empty_clips_warn_and_are_skipped(tmp_path):
    db = casme2_tree(tmp_path)
    import shutil

    shutil.rmtree(db / "Cropped" / "Cropped" / "sub05" / "EP09f")
    for f in (db / "Cropped" / "Cropped" / "sub05" / "EP06_02_01").iterdir():
        f.unlink()
    with pytest.warns(UserWarning) as caught:
        samples = load("casme2", tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "EP09f" in messages and "EP06_02_01" in messages
    assert {s.clip for s in samples} == {"EP02_01f", "EP01_2", "EP12_01f"}


def test_casme2_incomplete_clip_is_kept_and_counted(tmp_path):
    db = casme2_tree(tmp_path)
    (db / "Cropped" / "Cropped" / "sub01" / "EP02_01f" / "reg_img10.jpg").unlink()
    sample = next(s for s in load("casme2", tmp_path) if s.clip == "EP02_01f")
    assert sample.frame_numbers == (8, 9, 11, 12) and sample.meta["missing_frames"] == 1


def test_spreadsheet_missing_a_column_names_the_file_and_the_column(tmp_path):
    db = casme2_tree(tmp_path)
    header = [h if h != "ApexFrame" else "Apex" for h in CASME2_HEADER]
    workbook(db / "CASME2-coding-20140508.xlsx", [header, [1, "EP02_01f", None, 8, 9, 12, None, 12, "happiness"]])
    with pytest.raises(DatasetError) as error:
        load("casme2", tmp_path)
    assert "CASME2-coding-20140508.xlsx" in str(error.value) and "ApexFrame" in str(error.value)


def test_unreadable_spreadsheet_is_one_clear_error(tmp_path):
    db = casme2_tree(tmp_path)
    (db / "CASME2-coding-20140508.xlsx").write_bytes(b"this is not a workbook")
    with pytest.raises(DatasetError, match="cannot read this spreadsheet"):
        load("casme2", tmp_path)


def smic_tree(root: Path) -> Path:
    hs = root / "SMIC" / "SMIC_all_cropped" / "HS"
    touch(hs / "s1" / "micro" / "negative" / "s1_ne_01",
          [f"reg_image{n:06d}.bmp" for n in (99998, 99999, 100000, 100001)])
    touch(hs / "s1" / "micro" / "positive" / "s1_po_01", [f"reg_image{n:06d}.bmp" for n in range(59663, 59670)])
    touch(hs / "s12" / "micro" / "surprise" / "s12_sur_01", [f"reg_image{n:06d}.bmp" for n in range(835057, 835060)])
    touch(hs / "s1" / "non_micro" / "s1_n1", ["reg_image000001.bmp"])
    touch(root / "SMIC" / "SMIC_all_cropped" / "NIR" / "s1" / "micro" / "negative" / "s1_ne_01", ["reg_06387.bmp"])
    touch(root / "SMIC" / "SMIC_all_raw" / "HS" / "s1" / "micro" / "negative" / "s1_ne_01",
          [f"image{n:06d}.bmp" for n in (99998, 99999)])
    return hs


def test_smic_hs_labels_from_folders(tmp_path):
    smic_tree(tmp_path)
    samples = {s.clip: s for s in load("smic", tmp_path)}
    assert set(samples) == {"s1_ne_01", "s1_po_01", "s12_sur_01"}  # non_micro and NIR ignored
    ne = samples["s1_ne_01"]
    assert (ne.subject, ne.emotion, ne.onset, ne.apex, ne.offset, ne.fps) == ("s1", "negative", 99998, None, 100001,
                                                                              100)
    assert ne.frame_numbers == (99998, 99999, 100000, 100001)
    assert samples["s12_sur_01"].subject == "s12"
    raw = load("smic", tmp_path, cropped=False)
    assert [s.frames[0].name for s in raw] == ["image099998.bmp"]


def test_smic_hs_reads_a_micro_folder_in_any_case_and_names_a_folder_it_skips(tmp_path):
    hs = smic_tree(tmp_path)
    (hs / "s12" / "micro").rename(hs / "s12" / "Micro")  # read, as the emotion folders are, in any case
    (hs / "s1").rename(hs / "s1_")  # no subject folder: skipped, saying so
    with pytest.warns(UserWarning, match="s1_: not a SMIC-HS subject folder"):
        samples = load("smic", tmp_path)
    assert [s.clip for s in samples] == ["s12_sur_01"]
    assert [d.key for d in dropped("smic", tmp_path)] == [str(hs / "s1_")]


def test_smic_hs_two_folders_of_one_subject_are_refused_naming_both(tmp_path):
    """``s2`` and ``s02`` are one subject: merged, their clips would share the subject's folds."""
    hs = smic_tree(tmp_path)
    touch(hs / "s01" / "micro" / "negative" / "s1_ne_09", ["reg_image000005.bmp"])
    with pytest.raises(DatasetError) as error:
        load("smic", tmp_path)
    assert str(error.value) == (f"{hs / 's01'} and {hs / 's1'}: two folders for SMIC-HS subject s1; expected one "
                                f"folder per subject (merge or rename one)")


def smic_e_tree(root: Path, apex_column: bool = False) -> Path:
    long = root / "SMIC" / "SMIC-E_raw image" / "HS_long"
    header = ["Subject", "Filename", None, "Emotion", "OnsetF", "OffsetF", "FirstF", "LastF", "TotalMF1", None,
              "TotalVL", "Onset2F", "Offset2F", "TotalMF2", "Onset3F", "Offset3F", "TotalMF3", None, None]
    rows = [header,
            [1, "s1_ne_01", None, "negative", 105, 110, 100, 130, 6, None,
             31, 120, 124, 5, None, None, None, None, None],
            [2, "s2_sur_01", None, None, 52, 58, 50, 60, 7, None, 11, None, None, None, None, None, None, None, None],
            [], ["Note: frame numbers are absolute"], ["TotalVL = length of the long clip"]]
    if apex_column:
        rows[0] = rows[0] + ["ApexF"]
        rows[1] = rows[1] + [108]
        rows[2] = rows[2] + [None]
    workbook(long / "SMIC-HS-E_annotation.xlsx", rows)
    touch(long / "SMIC-HS-E" / "HS" / "s01" / "s1_ne_01", [f"image{n:06d}.jpg" for n in range(100, 131)])
    touch(long / "SMIC-HS-E" / "HS" / "s02" / "s2_sur_01", [f"image{n:06d}.jpg" for n in range(50, 61)])
    return long


def test_smic_e_slots_midpoint_apex_and_trailing_notes(tmp_path):
    smic_e_tree(tmp_path)
    samples = load("smic_e", tmp_path)
    assert [(s.clip, s.meta["slot"]) for s in samples] == [("s1_ne_01", 1), ("s1_ne_01", 2), ("s2_sur_01", 1)]
    first, second, third = samples
    assert (first.subject, first.onset, first.apex, first.offset) == ("s01", 105, 107, 110)
    assert first.frame_numbers == tuple(range(105, 111)) and first.fps == 100
    assert second.frame_numbers == tuple(range(120, 125)) and second.key.endswith("#2")
    assert third.emotion == "surprise"  # blank Emotion cell: taken from the _sur_ in the name
    assert first.meta["video_dir"].name == "s1_ne_01" and first.meta["first_frame"] == 100


def test_smic_e_optional_apex_column(tmp_path):
    smic_e_tree(tmp_path, apex_column=True)
    samples = load("smic_e", tmp_path)
    assert samples[0].apex == 108 and samples[2].apex == 55  # blank ApexF: midpoint


@pytest.mark.parametrize("written", ["Negative", "negative"])
def test_smic_e_emotion_cell_agreeing_with_the_file_name_is_used(tmp_path, written):
    long = smic_e_tree(tmp_path)
    book = openpyxl.load_workbook(long / "SMIC-HS-E_annotation.xlsx")
    book.active["D2"] = written  # row 2: s1_ne_01
    book.save(long / "SMIC-HS-E_annotation.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        samples = load("smic_e", tmp_path)
    assert [s.emotion for s in samples] == ["negative", "negative", "surprise"]


def test_smic_e_emotion_cell_contradicting_the_file_name_drops_the_clip(tmp_path):
    """Emotion "positive" on the row of s1_ne_01: neither label can be trusted, so both slots are dropped
    naming the cell and the code rather than labelled by the cell without a word."""
    long = smic_e_tree(tmp_path)
    book = openpyxl.load_workbook(long / "SMIC-HS-E_annotation.xlsx")
    book.active["D2"] = "positive"
    book.save(long / "SMIC-HS-E_annotation.xlsx")
    with pytest.warns(UserWarning, match="row 2, column Emotion: 'positive'; expected negative"):
        samples = load("smic_e", tmp_path)
    assert [s.clip for s in samples] == ["s2_sur_01"]
    drops = dropped("smic_e", tmp_path)
    assert [(d.key, d.stage) for d in drops] == [("smic_e/s01/s1_ne_01", "annotation"),
                                                 ("smic_e/s01/s1_ne_01#2", "annotation")]
    assert drops[0].reason == (f"{long / 'SMIC-HS-E_annotation.xlsx'}: row 2, column Emotion: 'positive'; expected "
                               f"negative, as the file name s1_ne_01 says; SMIC-HS-E clip s1_ne_01 slot 1 skipped")


@pytest.mark.parametrize("column, value", [("F", "x"), ("F", -5), ("F", None), ("M", None), ("L", "/")])
def test_smic_e_a_slot_with_one_cell_written_is_dropped_naming_the_cell(tmp_path, column, value):
    """Only a slot with both cells blank is unused: one written and the other blank, negative or no number drops
    the slot with why (the row's other slots are kept)."""
    long = smic_e_tree(tmp_path)
    book = openpyxl.load_workbook(long / "SMIC-HS-E_annotation.xlsx")
    book.active[f"{column}2"] = value  # row 2: s1_ne_01; F OffsetF, L Onset2F, M Offset2F
    book.save(long / "SMIC-HS-E_annotation.xlsx")
    slot = 1 if column == "F" else 2
    name = {"F": "OffsetF", "L": "Onset2F", "M": "Offset2F"}[column]
    with pytest.warns(UserWarning, match=f"row 2, column {name}: "):
        samples = load("smic_e", tmp_path)
    assert [(s.clip, s.meta["slot"]) for s in samples] == [("s1_ne_01", 3 - slot), ("s2_sur_01", 1)]
    (drop,) = dropped("smic_e", tmp_path)
    assert drop.stage == "annotation" and drop.key == "smic_e/s01/s1_ne_01" + ("#2" if slot == 2 else "")
    assert f"SMIC-HS-E_annotation.xlsx: row 2, column {name}: " in drop.reason
    assert drop.reason.endswith(f"SMIC-HS-E clip s1_ne_01 slot {slot} skipped")


def samm_tree(root: Path, subject_cells=(6, "009")) -> Path:
    db = root / "SAMM" / "SAMM"
    preamble = [["SAMM micro-movement FACS codes"], [], ["Version 2"]] + [[] for _ in range(7)] + [["notes"], [], ["x"]]
    header = ["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame", "Offset Frame", "Duration",
              "Micro", "Action Units", "Estimated Emotion", "Objective Classes", "Notes"]
    rows = [[subject_cells[0], "006_1_2", 1, 5562, 5564, 5566, 5, "Micro - 1/2", "R12 + R15", "Happiness", 1, None],
            [subject_cells[1], "009_5_10", 5, 3577, 3578, 3580, 4, "Micro - 1/2", 4, "Others", 7, None],
            [28, "028_4_1", 4, 100, 200, 104, 5, "Micro - 1/2", "4 or 7", "Anger", 3, "apex after offset"]]
    workbook(db / "SAMM_Micro_FACS_Codes_v2.xlsx", [*preamble, header, *rows])
    touch(db / "006" / "006_1_2", [f"006_{n:05d}.jpg" for n in range(5560, 5569)])
    touch(db / "009" / "009_5_10", [f"009_{n:04d}.jpg" for n in range(3577, 3581)])
    touch(db / "028" / "028_4_1", [f"028_{n:04d}.jpg" for n in range(100, 105)])
    return db


@pytest.mark.parametrize("subject_cells", [(6, 9), ("006", "009")])
def test_samm_preamble_subjects_padding_and_spellings(tmp_path, subject_cells):
    samm_tree(tmp_path, subject_cells)
    samples = {s.clip: s for s in load("samm", tmp_path)}
    happy, other = samples["006_1_2"], samples["009_5_10"]
    assert (happy.subject, happy.emotion, happy.onset, happy.apex, happy.offset) == ("006", "happiness", 5562, 5564,
                                                                                     5566)
    assert [p.name for p in happy.frames] == [f"006_{n:05d}.jpg" for n in range(5562, 5567)]  # 5-digit padding
    assert other.subject == "009" and other.frame_numbers == (3577, 3578, 3579, 3580)  # 4-digit padding
    assert other.emotion == "other" and other.action_units == "4" and other.fps == 200


def test_samm_apex_correction_from_the_data_file(tmp_path):
    samm_tree(tmp_path)
    corrected = {s.clip: s for s in load("samm", tmp_path)}["028_4_1"]
    assert corrected.apex is None and corrected.meta["corrections"]
    with pytest.warns(UserWarning, match="028_4_1: apex 200 is after offset 104"):  # uncorrected: dropped, with why
        untouched = {s.clip: s for s in load("samm", tmp_path, corrections=False)}
    assert "028_4_1" not in untouched
    assert [d.stage for d in dropped("samm", tmp_path, corrections=False)] == ["annotation"]


def casme_sq_tree(root: Path, frames: int = 30) -> Path:
    db = root / "CAS(ME)^2"
    codes = [[1, "anger1_1", 3, 5, 9, "4+10+14", "negative", "macro-expression", "anger"],
             [1, "anger1_2", 20, 22, 0, 4, "negative", "macro-expression", "anger"],
             [2, "happy1_1", 998, 1000, 1003, "12", "positive", "micro-expression", "happyiness"]]
    rule1 = [[15, "s15", 1], [16, "s16", 2]]
    rule2 = [["0401", "anger1"], [502, "happy1"]]  # stimulus code as text and as a number
    workbook(db / "CAS(ME)^2code_final.xlsx", codes, rule1, rule2)
    touch(db / "rawpic" / "s15" / "15_0401girlcrashing", [f"img{n:03d}.jpg" for n in range(1, frames + 1)])
    touch(db / "rawpic" / "s16" / "16_0502funnyerrors", [f"img{n:03d}.jpg" for n in range(990, 1010)])
    return db


def test_casme_sq_headerless_workbook_and_naming_rules(tmp_path):
    casme_sq_tree(tmp_path)
    samples = {s.clip: s for s in load("casme_sq", tmp_path)}
    first = samples["anger1_1"]
    assert (first.subject, first.onset, first.apex, first.offset, first.fps) == ("s15", 3, 5, 9, 30)
    assert [p.name for p in first.frames] == [f"img{n:03d}.jpg" for n in range(3, 10)]
    assert first.meta["type"] == "macro" and first.meta["stimulus"] == "anger1"
    assert first.meta["video"] == "15_0401girlcrashing" and first.meta["video_dir"].is_dir()
    assert first.emotion == "negative" and first.meta["self_report"] == "anger" and first.action_units == "4+10+14"
    unknown = samples["anger1_2"]  # offset 0 = unknown: frames onset..apex + (apex - onset)
    assert unknown.offset is None and unknown.frame_numbers == (20, 21, 22, 23, 24) and unknown.action_units == "4"
    happy = samples["happy1_1"]  # img999 -> img1000: sorted as integers
    assert happy.subject == "s16" and happy.frame_numbers == (998, 999, 1000, 1001, 1002, 1003)


def test_casme_sq_types_filter(tmp_path):
    casme_sq_tree(tmp_path)
    assert [s.clip for s in load("casme_sq", tmp_path, types=("micro",))] == ["happy1_1"]
    assert len(load("casme_sq", tmp_path, types=("macro",))) == 2


def test_casme_sq_a_type_neither_micro_nor_macro_is_dropped_naming_the_cell(tmp_path):
    """A misspelt type was read as macro: it is neither, and the clip is dropped with why whatever types are asked
    for; another spelling of micro or macro reads."""
    db = casme_sq_tree(tmp_path)
    book = openpyxl.load_workbook(db / "CAS(ME)^2code_final.xlsx")
    book.worksheets[0]["H1"] = " Macro-Expression"
    book.worksheets[0]["H3"] = "mirco-expression"
    book.save(db / "CAS(ME)^2code_final.xlsx")
    for types in (("micro",), ("macro",)):
        with pytest.warns(UserWarning, match="row 3, column H: type 'mirco-expression' is neither micro nor macro"):
            samples = load("casme_sq", tmp_path, types=types)
        assert [s.clip for s in samples] == ([] if types == ("micro",) else ["anger1_1", "anger1_2"])
        (drop,) = dropped("casme_sq", tmp_path, types=types)
        assert drop.key == "casme_sq/s16/happy1_1" and drop.stage == "label"
        assert drop.reason.startswith(f"{db / 'CAS(ME)^2code_final.xlsx'}: sheet 1, row 3, column H: ")


@pytest.mark.parametrize("cell, value", [("D1", "l06"), ("E2", datetime.date(2014, 5, 8))])
def test_casme_sq_an_apex_or_offset_that_is_no_frame_number_is_dropped_naming_the_cell(tmp_path, cell, value):
    """Offset 0 is unknown (docs/databases.md §4.2); a typo or a date in the apex or offset is no unknown frame."""
    db = casme_sq_tree(tmp_path)
    book = openpyxl.load_workbook(db / "CAS(ME)^2code_final.xlsx")
    book.worksheets[0][cell] = value
    book.save(db / "CAS(ME)^2code_final.xlsx")
    with pytest.warns(UserWarning, match=f"sheet 1, row {cell[1]}, column {cell[0]}: .* is no frame number"):
        samples = load("casme_sq", tmp_path)
    assert len(samples) == 2 and [d.stage for d in dropped("casme_sq", tmp_path)] == ["annotation"]


@pytest.mark.parametrize("database, cell, value, key, expected", [
    ("casme_sq", "D1", 2, "casme_sq/s15/anger1_1", "sheet 1, row 1, columns C and D: CAS(ME)^2 expression "
                                                   "s15/anger1_1: apex 2 is before onset 3"),
    ("casme_sq", "C1", -3, "casme_sq/s15/anger1_1", "sheet 1, row 1, column C: -3 is negative"),
    ("smic_e", "F2", 104, "smic_e/s01/s1_ne_01", "row 2, columns OnsetF and OffsetF: SMIC-HS-E clip s1_ne_01 slot 1: "
                                                 "onset 105 is after offset 104")])
def test_casme_sq_and_smic_e_onset_drops_name_the_row_and_column(tmp_path, database, cell, value, key, expected):
    """The CAS(ME)^2 and SMIC-HS-E drops for a misordered or unusable onset name the row and column(s) too."""
    path = (casme_sq_tree(tmp_path) / "CAS(ME)^2code_final.xlsx" if database == "casme_sq" else
            smic_e_tree(tmp_path) / "SMIC-HS-E_annotation.xlsx")
    book = openpyxl.load_workbook(path)
    book.worksheets[0][cell] = value
    book.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert key not in {s.key for s in load(database, tmp_path)}
    drops = {d.key: d for d in dropped(database, tmp_path)}
    assert drops[key].stage == "annotation" and drops[key].reason.startswith(f"{path}: {expected}")


def test_casme_sq_needs_three_sheets(tmp_path):
    db = casme_sq_tree(tmp_path)
    workbook(db / "CAS(ME)^2code_final.xlsx", [[1, "anger1_1", 3, 5, 9, "4", "negative", "macro-expression", "anger"]])
    with pytest.raises(DatasetError, match="3 sheets"):
        load("casme_sq", tmp_path)


def megc_tree(root: Path) -> None:
    """One clip per class and database, plus clips MEGC leaves out."""
    casme2_tree(root / "CASME2_release", rows=[
        [1, "EP02_01f", None, 1, 2, 3, None, 12, "happiness"],
        [2, "EP11_01", None, 1, 2, 3, None, "1+2", "surprise"],
        [2, "EP03_02", None, 1, 2, 3, None, 4, "repression"],
        [3, "EP13_02", None, 1, 2, 3, None, 4, "fear"],  # CASME II fear is not in MEGC
        [4, "EP12_01f", None, 1, "/", 3, None, 4, "disgust"],  # dropped by data/corrections.csv
        [5, "EP19_05f", None, 1, 2, 3, None, 4, "others"],
    ])
    smic_tree(root)
    samm_tree(root)


def write_gt(path: Path, rows, crlf=True, blank_lines=False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    end = "\r\n" if crlf else "\n"
    path.write_bytes("".join(row + end + (",,," + end if blank_lines else "") for row in rows).encode())
    return path


MEGC_ROWS = ["casme2,sub01,EP02_01f,1", "casme2,sub02,EP11_01,2", "casme2,sub02,EP03_02,0", "smic,s01,s01_ne_01,0",
             "smic,s01,s01_po_01,1", "smic,s12,s12_sur_01,2", "samm,6,006_1_2,1", "samm,28,028_4_1,0"]


def test_megc2019_official_csv_and_rules_agree(tmp_path):
    megc_tree(tmp_path)
    derived = load("megc2019", tmp_path)  # no csv under the root: MEGC rules
    write_gt(tmp_path / "MEGC2019" / "combined_3class_gt.csv", MEGC_ROWS)
    official = load("megc2019", tmp_path)
    assert {s.key: s.emotion for s in official} == {s.key: s.emotion for s in derived}
    assert len(official) == 8
    by_key = {s.key: s for s in official}
    assert by_key["smic/s1/s1_ne_01"].emotion == "negative"  # s01 -> s1
    samm = by_key["samm/006/006_1_2"]  # 6 -> 006
    assert samm.dataset == "samm" and samm.emotion == "positive" and samm.meta["original_emotion"] == "happiness"
    assert samm.meta["composite"] == "megc2019"
    assert by_key["casme2/sub02/EP03_02"].emotion == "negative"
    # the derived list without corrections keeps sub04 EP12_01f, and drops SAMM 028_4_1 (apex after offset)
    with pytest.warns(UserWarning, match="028_4_1: apex 200 is after offset 104"):
        uncorrected = {s.key for s in load("megc2019", tmp_path, gt_csv=False, corrections=False)}
    assert "casme2/sub04/EP12_01f" in uncorrected and "samm/028/028_4_1" not in uncorrected
    assert len(uncorrected) == 8


def test_megc2019_second_csv_variant_and_missing_clips(tmp_path):
    megc_tree(tmp_path)
    gt = write_gt(tmp_path / "combined_3class_gt-2.csv", MEGC_ROWS + ["samm,32,032_3_1,0"], crlf=False,
                  blank_lines=True)
    with pytest.warns(UserWarning, match="032_3_1"):
        samples = load("megc2019", tmp_path, gt_csv=gt)
    assert len(samples) == 8


def test_megc2019_bad_csv_row_names_the_line(tmp_path):
    megc_tree(tmp_path)
    gt = write_gt(tmp_path / "combined_3class_gt.csv", MEGC_ROWS[:2] + ["casme2,sub01,EP02_01f,happy"])
    with pytest.raises(DatasetError, match="line 3"):
        load("megc2019", tmp_path, gt_csv=gt)


def test_loaders_ignore_other_databases_beside_them(tmp_path):
    megc_tree(tmp_path)
    casme_sq_tree(tmp_path)
    smic_e_tree(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing of another database is mistaken for a missing clip
        counts = {name: len(load(name, tmp_path)) for name in DATASETS[:6]}
    assert counts == {"casme2": 6, "smic": 3, "smic_e": 3, "samm": 3, "casme_sq": 3, "megc2019": 8}
    for name in DATASETS[6:]:  # CASME beside CASME II (the same subXX/EPxx folders), CAS(ME)^3 beside CAS(ME)^2...
        with pytest.raises(DatabaseNotFound):
            load(name, tmp_path)
