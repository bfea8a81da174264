"""Label spreadsheets as other programs write them, and names with digits that are not 0-9: a formula cell
without a saved value, merged cells, a subject written as ``6.0``, ``²`` or ``١``, a header naming one column
twice, a sheet stored outside ``xl/worksheets/``. Each is read as the spreadsheet shows it or refused in one line
naming the file (and sheet and cell), through the loaders (what a run reads) and ``--check-data``."""
from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from common.datasets import DatasetError, dropped, load
from common.datasets import casme2, samm, smic
from common.datasets.tables import ascii_digits, read_sheets, whole_number
from test_cli import cli, one_error_line
from test_datasets_loaders import casme2_tree, samm_tree


def formula_apex(db: Path) -> Path:
    """CASME II's coding file with the first clip's apex written as a formula and never computed (what a script
    writing the workbook with openpyxl leaves: no saved value)."""
    path = db / "CASME2-coding-20140508.xlsx"
    book = openpyxl.load_workbook(path)
    book.active["E2"] = "=D2+1"
    book.save(path)
    return path


def test_a_formula_without_a_saved_value_is_refused_naming_file_sheet_and_cell(tmp_path):
    path = formula_apex(casme2_tree(tmp_path))
    with pytest.raises(DatasetError) as error:
        load("casme2", tmp_path)
    message = str(error.value)
    assert str(path) in message and "sheet 'Sheet1', cell E2" in message and "=D2+1" in message
    assert "without a saved value" in message and "spreadsheet program" in message


def test_check_data_refuses_a_formula_without_a_saved_value_in_one_line(capsys, tmp_path):
    formula_apex(casme2_tree(tmp_path / "data"))
    code, out, err = cli(capsys, "--check-data", str(tmp_path / "data"))
    assert "cell E2 holds a formula (=D2+1) without a saved value" in out + err
    assert "Traceback" not in out + err


def test_a_merge_within_one_row_stays_one_cell(tmp_path):
    """A header or note across columns is shown once: filling it would name two columns alike."""
    book = openpyxl.Workbook()
    book.active.append(["Subject", None, "Filename"])
    book.active.append([1, None, "EP01"])
    book.active.merge_cells("A1:B1")
    book.save(tmp_path / "labels.xlsx")
    assert read_sheets(tmp_path / "labels.xlsx")[0][1] == [["Subject", None, "Filename"], [1, None, "EP01"]]


def test_merged_cells_are_read_as_the_spreadsheet_shows_them(tmp_path):
    """A subject written once in a merged cell beside its two clips stands for both (SAMM's coding file)."""
    db = samm_tree(tmp_path, subject_cells=(6, 6))
    path = db / "SAMM_Micro_FACS_Codes_v2.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book.active
    header = next(i for i, row in enumerate(sheet.iter_rows(values_only=True), 1) if row[0] == "Subject")
    sheet[f"A{header + 2}"] = None
    sheet.merge_cells(f"A{header + 1}:A{header + 2}")
    book.save(path)
    rows = read_sheets(path)[0][1]
    assert [row[0] for row in rows[-3:-1]] == [6, 6]  # the merged range's value in each of its cells
    # the second clip is 009_5_10 under subject 6 now: its folder is not there, so it is dropped with that reason
    with pytest.warns(UserWarning, match="009_5_10"):
        samples = {s.clip: s for s in load("samm", tmp_path)}
    assert samples["006_1_2"].subject == "006"


@pytest.mark.parametrize("digit", ["²", "١"])
def test_a_subject_with_digits_other_than_0_to_9_is_refused_naming_the_file_and_column(tmp_path, digit):
    samm_tree(tmp_path, subject_cells=(6, digit))
    with pytest.raises(DatasetError) as error:
        load("samm", tmp_path)
    message = str(error.value)
    assert "SAMM_Micro_FACS_Codes_v2.xlsx" in message and "column Subject" in message
    assert f"{digit!r} holds a digit other than 0-9" in message and "\n" not in message


@pytest.mark.parametrize("digit", ["²", "١"])
def test_check_data_refuses_a_non_ascii_digit_in_one_line(capsys, tmp_path, digit):
    samm_tree(tmp_path / "data", subject_cells=(6, digit))
    code, out, err = cli(capsys, "--check-data", str(tmp_path / "data"))
    assert f"{digit!r} holds a digit other than 0-9" in out + err and "Traceback" not in out + err


def test_name_normalisers_take_ascii_digits_and_numbers_written_as_floats():
    assert [samm.subject_name(v) for v in (6, 6.0, "6.0", "006", " 6 ")] == ["006"] * 5
    assert [casme2.subject_name(v) for v in (1, "1.0", "sub01", "sub1")] == ["sub01"] * 4
    assert [smic.subject_name(v) for v in ("s01", "1", "1.0")] == ["s1"] * 3
    assert samm.subject_name("6.5") == "6.5" and casme2.subject_name("subX") == "subX"  # not numbers: kept as text
    for normaliser in (samm.subject_name, casme2.subject_name, smic.subject_name):
        with pytest.raises(DatasetError, match="digit other than 0-9"):
            normaliser("s١" if normaliser is smic.subject_name else "١", "here")
    assert ascii_digits("12") and not ascii_digits("١٢") and not ascii_digits("²") and not ascii_digits("")
    assert whole_number("Zoë1", "w") is None  # letters outside ASCII are no digits: not a number, kept as text
    assert whole_number("-1", "w") is None and whole_number(-1, "w") is None and whole_number("", "w") is None
    # a number of more digits than any subject, clip or frame has (int() refuses over 4,300): refused naming where
    assert whole_number("9" * 12, "w") == 10**12 - 1
    for many in ("9" * 13, "9" * 5000, "9" * 5000 + ".0"):
        with pytest.raises(DatasetError, match=rf"^here: a number of {len(many.partition('.')[0])} digits; expected "
                                               "at most 12"):
            whole_number(many, "here")
    with pytest.raises(DatasetError, match="^here: '1{40}' holds a digit other than 0-9"):
        whole_number("1" * 5000 + "²", "here")  # the cell quoted in 40 characters


def test_score_normalises_subjects_written_as_numbers_and_refuses_other_digits(capsys, tmp_path):
    """--score, the other reader of subject names: ``6.0`` is SAMM's 006; ``٦`` is one line naming the line."""
    from common.evaluation.outside import read_csv

    path = tmp_path / "theirs.csv"
    path.write_text("clip,subject,database,true,pred\n006_1_2,6.0,samm,0,0\nEP01,1.0,casme2,1,1\n", encoding="utf-8")
    rows = read_csv(path, ("negative", "positive", "surprise")).rows
    assert [r.key for r in rows] == ["samm/006/006_1_2", "casme2/sub01/EP01"]
    path.write_text("clip,subject,database,true,pred\n006_1_2,٦,samm,0,0\n", encoding="utf-8")
    code, _, err = cli(capsys, "--score", str(path), "--benchmark", "megc2019", "--data-root", str(tmp_path))
    line = one_error_line(err)
    assert code == 2 and "theirs.csv, line 2" in line and "digit other than 0-9" in line


@pytest.mark.parametrize("again", ["Estimated Emotion", " estimated EMOTION "])
def test_a_column_named_twice_in_the_header_is_refused_naming_the_file_and_the_column(capsys, tmp_path, again):
    """Read by name, a second copy of a column would silently win over the first (the loaders match names case and
    surrounding spaces aside)."""
    path = casme2_tree(tmp_path / "data") / "CASME2-coding-20140508.xlsx"
    book = openpyxl.load_workbook(path)
    book.active["J1"] = again
    for row in range(2, book.active.max_row + 1):
        book.active.cell(row, 10).value = "happiness"
    book.save(path)
    with pytest.raises(DatasetError) as error:
        load("casme2", tmp_path / "data")
    message = str(error.value)
    assert message.startswith(f"{path}: the header row (row 1) names the column 'Estimated Emotion' twice")
    assert "expected each column once" in message and "\n" not in message
    code, out, err = cli(capsys, "--check-data", str(tmp_path / "data"))
    assert code == 2 and "names the column 'Estimated Emotion' twice" in out and "Traceback" not in out + err


@pytest.mark.parametrize("member", ["xl/ws/sheet1.xml", "xl/stuff/sheet1.bin"])
def test_a_sheet_stored_outside_xl_worksheets_is_bounded_before_openpyxl_reads_it(tmp_path, monkeypatch, member):
    """openpyxl reads a sheet from wherever the workbook's relationships place it, whatever its folder or name: the
    bounds on merged ranges apply there too, before a cell is built."""
    book = openpyxl.Workbook()
    book.active.append(["Subject", "Filename"])
    book.save(tmp_path / "plain.xlsx")
    moved = tmp_path / "labels.xlsx"
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as source, zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data, name = source.read(info), info.filename
            if name == "xl/worksheets/sheet1.xml":
                name = member
                data = data.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:J200000"/>'
                                    b"</mergeCells>")
            if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                data = data.replace(b"worksheets/sheet1.xml", member[3:].encode())
            out.writestr(name, data)
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl built the workbook"))
    with pytest.raises(DatasetError, match=rf"labels.xlsx: {member} merges A1:J200000 \(2,000,000 cells\); expected a "
                                           r"label table of at most 1,000,000 cells"):
        read_sheets(moved)


# Each spreadsheet loader's label file in the smoke corpus, the cell naming its first clip (the name a blank or
# wrongly written cell takes from a row that still gives frame numbers), and the column the drop names.
NAMING_CELLS = {
    "casme2": ("CASME2/CASME2-coding-20140508.xlsx", "B2", "row 2, column Filename"),
    "samm": ("SAMM/SAMM/SAMM_Micro_FACS_Codes_v2.xlsx", "B15", "row 15, column Filename"),
    "casme": ("CASME/casme.xlsx", "B2", "row 2, column Filename"),
    "mmew": ("MMEW/MMEW_Micro_Exp.xlsx", "B2", "row 2, column Filename"),
    "4dme": ("4DME/4DME_Labelling_Micro_release v1.xlsx", "B2", "row 2, column fold_name"),
    "smic_e": ("SMIC/SMIC-E_raw image/HS_long/SMIC-HS-E_annotation.xlsx", "A2", "row 2, column Subject"),
    "casme3": ("CAS(ME)^3/part_A/annotation/cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx", "A2", "row 2, column Subject"),
    "casme3_c": ("CAS(ME)^3/part_C/annotation/CAS(ME)3_part_C_ME.xlsx", "A2", "row 2, column sub"),
    "casme_sq": ("CAS(ME)^2/CAS(ME)^2code_final.xlsx", "A1", "sheet 1, row 1, column A"),
}


# Blank in each; written as text where the loader expects a number (a subject written "s01", not read as one).
WRONG_NAMES = [(database, None) for database in NAMING_CELLS] + [("smic_e", "s01"), ("casme3_c", "s01"),
                                                                 ("casme_sq", "P1")]


@pytest.mark.parametrize("database, written", WRONG_NAMES)
def test_a_row_giving_frame_numbers_without_its_clip_name_is_dropped_naming_the_cell(smoke_corpus, tmp_path,
                                                                                     database, written):
    """A row whose file name, subject or participant cell is blank (written once above, not merged) or not in the
    form the loader reads names no clip: it is skipped, but with its file, row and column said, never without a
    word (its clip would vanish from every count). A note row below the table, which gives no frame number, is
    still skipped in silence."""
    import shutil

    sheet, coordinate, place = NAMING_CELLS[database]
    top = sheet.split("/")[0]
    shutil.copytree(smoke_corpus / top, tmp_path / top)
    before = len(load(database, tmp_path))
    path = tmp_path / sheet
    book = openpyxl.load_workbook(path)
    book.worksheets[0][coordinate] = written
    if database != "casme3":  # part A reads a text in Subject as a subject (its row is dropped for its onset)
        book.worksheets[0].append(["Note: frame numbers are absolute"])
    book.save(path)
    with pytest.warns(UserWarning, match=f"{place}: {'blank' if written is None else repr(written)}; expected .* "
                                         r"\(the row gives frame numbers but names no clip\); skipped"):
        samples = load(database, tmp_path)
    (drop,) = dropped(database, tmp_path)
    assert drop.stage == "annotation" and drop.reason.startswith(f"{path}: {place}: ")
    assert len(samples) == before - (2 if database == "smic_e" else 1)  # smic_e's first row holds two slots


def test_a_casme3_part_c_row_without_its_count_is_dropped_naming_the_cell(smoke_corpus, tmp_path):
    """Part C names a clip by its count: a row whose count is blank was loaded as a clip of no name
    (casme3_c/01/); it is dropped, naming the file, row and column."""
    import shutil

    sheet = NAMING_CELLS["casme3_c"][0]
    shutil.copytree(smoke_corpus / "CAS(ME)^3", tmp_path / "CAS(ME)^3")
    before = load("casme3_c", tmp_path)
    path = tmp_path / sheet
    book = openpyxl.load_workbook(path)
    book.worksheets[0]["B2"] = None
    book.save(path)
    with pytest.warns(UserWarning, match=r"row 2, column count: blank; expected the clip's number \(the row gives "
                                         r"frame numbers but names no clip\); skipped"):
        samples = load("casme3_c", tmp_path)
    assert len(samples) == len(before) - 1 and all(s.clip for s in samples)


def test_mmew_a_clip_listed_under_two_emotions_is_refused_naming_both_rows(smoke_corpus, tmp_path):
    """MMEW's emotion names the clip's folder (Micro_Expression/<emotion>/<clip>): a clip listed again under
    another emotion is refused naming both rows, as every other database refuses two labels for one clip; the
    later row's emotion no longer names the folder of both, merging them under its label or losing the clip."""
    import shutil

    shutil.copytree(smoke_corpus / "MMEW", tmp_path / "MMEW")
    path = tmp_path / "MMEW" / "MMEW_Micro_Exp.xlsx"
    book = openpyxl.load_workbook(path)
    again = [c.value for c in book.active[2]]
    again[6] = "disgust" if again[6] != "disgust" else "happiness"
    book.active.append(again)
    book.save(path)
    last = book.active.max_row
    with pytest.raises(DatasetError) as error:
        load("mmew", tmp_path)
    message = str(error.value)
    assert message.startswith(f"{path}: row {last}, column Estimated Emotion: clip ")
    assert f"is labelled {again[6]!r} here and " in message and "at row 2; expected one label per clip" in message
