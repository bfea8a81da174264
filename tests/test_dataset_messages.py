"""The loaders' messages name what exists: a row whose onset is bad by its video and row, a clip listed twice by
the two label rows that list it (its frame folder is the same for both)."""
from __future__ import annotations

from pathlib import Path

import pytest

from common.datasets import DatasetError, dropped, load
from test_datasets_loaders import casme2_tree, smic_e_tree, touch, workbook

CASME3_HEADER = ["Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion"]


def casme3_tree(root: Path, rows) -> Path:
    """CAS(ME)^3/part_A with the label workbook (sheet ``label``) and the whole video spNO.1/a/color/1..40.jpg."""
    part_a = root / "CAS(ME)^3" / "part_A"
    path = workbook(part_a / "annotation" / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx", [CASME3_HEADER, *rows])
    touch(part_a / "spNO.1" / "a" / "color", [f"{n}.jpg" for n in range(1, 41)])
    return path


@pytest.mark.parametrize("onset, shown", [("x", "'x' is no frame number; expected a whole number"),
                                          (None, "blank; expected a frame number")])
def test_casme3_a_row_without_an_onset_is_named_by_its_video_and_row(tmp_path, onset, shown):
    """The clip is named ``<video>_<onset>``: without an onset the drop names the video and the row, never a clip
    ``a_None``; each such row is recorded under its own key (its row)."""
    path = casme3_tree(tmp_path, [["spNO.1", "a", 10, 12, 14, "4", 1, "disgust"],
                                  ["spNO.1", "a", onset, 22, 24, "12", 2, "happy"]])
    with pytest.warns(UserWarning, match="row 3, column Onset: "):
        samples = load("casme3", tmp_path)
    assert [s.key for s in samples] == ["casme3/spNO.1/a_10"]
    (drop,) = dropped("casme3", tmp_path)
    assert drop.reason == f"{path}: row 3, column Onset: {shown}; CAS(ME)^3 clip of video spNO.1/a skipped"
    assert drop.key == f"casme3/{path.name}, row 3" and drop.stage == "annotation"
    assert "None" not in drop.reason + drop.key


CASME2_ROW = [1, "EP02_01f", None, 8, 9, 12, None, 12, "happiness"]


@pytest.mark.parametrize("second, says", [
    ([1, "EP02_01f", None, 8, 9, 12, None, 12, "disgust"],
     "is labelled 'disgust' here and 'happiness' at {sheet}, row 2; expected one label per clip"),
    ([1, "EP02_01f", None, 8, 10, 12, None, 12, "happiness"],
     "is annotated onset/apex/offset 8/10/12 here and 8/9/12 at {sheet}, row 2; expected one annotation per clip"),
])
def test_a_clip_listed_twice_under_two_labels_or_annotations_is_refused_naming_both_rows(tmp_path, second, says):
    db = casme2_tree(tmp_path, rows=[CASME2_ROW, second])
    sheet = db / "CASME2-coding-20140508.xlsx"
    with pytest.raises(DatasetError) as error:
        load("casme2", tmp_path)
    assert str(error.value) == f"{sheet}, row 3: clip casme2/sub01/EP02_01f " + says.format(sheet=sheet)


def test_a_clip_listed_twice_alike_is_merged_naming_both_rows(tmp_path):
    db = casme2_tree(tmp_path, rows=[CASME2_ROW, CASME2_ROW])
    sheet = db / "CASME2-coding-20140508.xlsx"
    with pytest.warns(UserWarning, match="listed again at"):
        samples = load("casme2", tmp_path)
    assert [s.key for s in samples] == ["casme2/sub01/EP02_01f"]
    (drop,) = dropped("casme2", tmp_path)
    assert drop.stage == "identity" and drop.reason == (
        f"casme2/sub01/EP02_01f: listed again at {sheet}, row 3 with the same label 'happiness' as at {sheet}, "
        f"row 2; merged into the first")


def test_a_smic_e_clip_listed_twice_is_refused_naming_both_rows(tmp_path):
    long = smic_e_tree(tmp_path)
    sheet = long / "SMIC-HS-E_annotation.xlsx"
    workbook(sheet, [["Subject", "Filename", "Emotion", "OnsetF", "OffsetF"],
                     [1, "s1_ne_01", "negative", 105, 110], [1, "s1_ne_01", "negative", 106, 110]])
    with pytest.raises(DatasetError) as error:
        load("smic_e", tmp_path)
    assert str(error.value) == (f"{sheet}, row 3: clip smic_e/s01/s1_ne_01 is annotated onset/apex/offset "
                                f"106/108/110 here and 105/107/110 at {sheet}, row 2; expected one annotation per "
                                f"clip")
