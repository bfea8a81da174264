"""Every JSON reader and every label-spreadsheet loader bounded: crafted files written here (never shipped), each
refused in one line naming the file (and the row and column of a workbook) or, for a run's own records, recomputed
or written around as documented; none a traceback, none read past its bound.

JSON (``common.files.read_json`` / ``parse_json``: at most ``JSON_BYTES`` and ``JSON_DEPTH`` levels): ``run.json``,
a legacy ``results.json``, a fold record on resume, an earlier score's folder, an export's ``manifest.json``, a
``corpus.json`` in the data root and a ``--set`` value. Workbooks (``common.datasets.tables``): a frame cell holding
``inf`` or ``1e400`` in each loader, a name longer than a file system takes, a sheet that declares or writes more
cells than a label table, a clip folder whose name is in the other Unicode form.
"""
from __future__ import annotations

import dataclasses
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest

from common.config import ConfigError, apply_overrides
from common.datasets import DatasetError, load
from common.datasets.tables import WRITTEN_CELLS, read_sheets
from common.deployment import export
from common.deployment.export import DeployError
from common.deployment.predict import read_manifest
from common.errors import RunError
from common.evaluation.records import load_fold_record
from common.files import JSON_BYTES, JSON_DEPTH, JsonBoundError, parse_json, read_json
from common.orchestration import run_folders
from common.orchestration.score_runs import score_folder
from common.running.corpus import is_synthetic
from test_cli import cli
from test_datasets_loaders import casme2_tree

DEEP = "[" * 100_000 + "]" * 100_000  # Python's parser alone: a RecursionError traceback
TOO_DEEP = f"nested deeper than {JSON_DEPTH} levels of arrays and objects"
KIND = {"profile": "paper", "seed": 0, "corpus": "real", "data_root": "/data", "weights": None, "overrides": {}}


# --- the bounded JSON reader -----------------------------------------------------------------------------------------

def test_the_json_reader_refuses_depth_and_size_before_parsing(tmp_path):
    assert parse_json('{"a": "[[[[[[[[", "b": [[1], {"c": [2]}]}') == {"a": "[[[[[[[[", "b": [[1], {"c": [2]}]}
    assert parse_json("[" * JSON_DEPTH + "]" * JSON_DEPTH) is not None  # at the bound: read
    for text in ("[" * (JSON_DEPTH + 1) + "]" * (JSON_DEPTH + 1), DEEP, "[" * 100_000, '{"a":' * 70 + "1" + "}" * 70):
        with pytest.raises(JsonBoundError, match=TOO_DEEP):
            parse_json(text)
    with pytest.raises(ValueError, match=r"not JSON \(Expecting"):
        parse_json("[}")
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:  # a sparse file over the bound: refused from its size, never read
        handle.truncate(JSON_BYTES + 1)
    with pytest.raises(JsonBoundError, match=f"{JSON_BYTES + 1:,} bytes, more than {JSON_BYTES:,}"):
        read_json(big)


def test_a_deep_run_json_or_legacy_results_is_another_kind_never_a_traceback(tmp_path):
    out = tmp_path / "reports"
    (out / "p").mkdir(parents=True)
    (out / "p" / run_folders.KIND_FILE).write_text(DEEP)
    assert run_folders.held_kind(out / "p") == {"profile": f"unreadable run.json ({TOO_DEEP})"}
    assert run_folders.paper_folder(out, "p", KIND) == out / "p-paper-real"  # never written over
    (out / "q" / "exp" / "folds").mkdir(parents=True)
    (out / "q" / "exp" / "results.json").write_text(DEEP)
    (out / "q" / "exp" / "folds" / "f.json").write_text(DEEP)
    assert run_folders.held_kind(out / "q") is None  # neither read: a folder of no kind, as before


def test_a_deep_fold_record_is_recomputed_with_why(tmp_path):
    path = tmp_path / "fold.json"
    path.write_text(DEEP)
    assert load_fold_record(path) == (None, f"is not valid JSON ({TOO_DEEP})")


def test_a_deep_earlier_score_is_left_as_it_is(tmp_path, caplog):
    base = tmp_path / "score" / "megc2019" / "theirs"
    base.mkdir(parents=True)
    (base / "results.json").write_text(DEEP)
    assert score_folder(base, {"sha256": "x"}) == base.with_name("theirs-2")
    assert f"{base / 'results.json'}: cannot be read as a score's results ({TOO_DEEP})" in caplog.text


def test_an_earlier_score_folder_whose_results_are_a_dangling_link_is_left_as_it_is(tmp_path, caplog):
    """A dangling results.json link read as missing: the folder was taken and the link deleted by the new score."""
    base = tmp_path / "score" / "megc2019" / "theirs"
    base.mkdir(parents=True)
    (base / "results.json").symlink_to(tmp_path / "nowhere.json")
    assert score_folder(base, {"sha256": "x"}) == base.with_name("theirs-2")
    assert (base / "results.json").is_symlink()
    assert f"{base / 'results.json'}: a symbolic link, not a score's results" in caplog.text


def test_a_deep_export_manifest_is_refused_in_one_line(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "manifest.json").write_text(DEEP)
    with pytest.raises(DeployError, match=rf"--model .*model: manifest.json cannot be read \({TOO_DEEP}\)"):
        read_manifest(tmp_path / "model")
    # an earlier export that --export would replace: not one, so nothing in it is deleted
    assert export._earlier_export_problem(tmp_path / "model") == f"its manifest.json cannot be read as an export's " \
                                                                 f"({TOO_DEEP})"


def test_a_deep_corpus_json_is_refused_naming_it(tmp_path):
    (tmp_path / "corpus.json").write_text(DEEP)
    with pytest.raises(RunError, match=rf"corpus.json: {TOO_DEEP}; expected the synthetic corpus writer's manifest"):
        is_synthetic(tmp_path)
    (tmp_path / "corpus.json").write_text('{"notes": "a real database\'s own file"}')
    assert not is_synthetic(tmp_path)


@dataclasses.dataclass(frozen=True)
class _Protocol:
    train: tuple[str, ...] = ("casme2",)


@dataclasses.dataclass(frozen=True)
class _Config:  # a paper's config in small: a section holding a tuple, as talluri2022's protocol.train
    protocol: _Protocol = _Protocol()


def test_a_deep_set_value_is_refused_naming_the_option():
    assert apply_overrides(_Config(), {"protocol.train": "casme2,smic"}).protocol.train == ("casme2", "smic")
    with pytest.raises(ConfigError, match=rf"--set protocol.train: the value is {TOO_DEEP}; expected a list"):
        apply_overrides(_Config(), {"protocol.train": "[" * 100_000})


# --- the label workbooks ---------------------------------------------------------------------------------------------

# database: (workbook under the smoke corpus, sheet, frame column's header, or its letter in a headerless sheet)
WORKBOOKS = {
    "casme2": ("CASME2/CASME2-coding-20140508.xlsx", None, "OnsetFrame"),
    "casme": ("CASME/casme.xlsx", None, "OnsetF"),
    "casme3": ("CAS(ME)^3/part_A/annotation/cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx", "label", "Onset"),
    "casme3_c": ("CAS(ME)^3/part_C/annotation/CAS(ME)3_part_C_ME.xlsx", None, "offset"),
    "casme_sq": ("CAS(ME)^2/CAS(ME)^2code_final.xlsx", None, "C"),
    "samm": ("SAMM/SAMM/SAMM_Micro_FACS_Codes_v2.xlsx", None, "Onset Frame"),
    "smic_e": ("SMIC/SMIC-E_raw image/HS_long/SMIC-HS-E_annotation.xlsx", None, "OffsetF"),
    "mmew": ("MMEW/MMEW_Micro_Exp.xlsx", None, "OnsetFrame"),
    "4dme": ("4DME/4DME_Labelling_Micro_release v1.xlsx", None, "Onset"),
}


def _database_with(smoke_corpus: Path, root: Path, name: str, value) -> tuple[Path, str]:
    """The smoke corpus's ``name`` (folders and workbooks, no frames: the cells are refused before any frame is
    listed) with ``value`` in the frame column of its first data row; (the workbook, "row N, column X")."""
    relative, sheet_name, column = WORKBOOKS[name]
    top = relative.split("/")[0]
    shutil.copytree(smoke_corpus / top, root / top, ignore=shutil.ignore_patterns("*.jpg", "*.png", "*.bmp"))
    path = root / relative
    book = openpyxl.load_workbook(path)
    sheet = book[sheet_name] if sheet_name else book.worksheets[0]
    if len(column) == 1:  # a headerless sheet: the column by its letter, the first row
        where = f"sheet {sheet.title!r}, row 1, column {column}"
        sheet[f"{column}1"] = value
    else:
        header = next(row for row in sheet.iter_rows() if column in [c.value for c in row])
        target = next(c for c in header if c.value == column)
        sheet.cell(row=target.row + 1, column=target.column).value = value
        where = f"row {target.row + 1}, column {column}"
    book.save(path)
    return path, where


@pytest.mark.parametrize("name", sorted(WORKBOOKS))
def test_a_frame_cell_that_overflows_is_refused_naming_workbook_row_and_column(smoke_corpus, tmp_path, name):
    path, where = _database_with(smoke_corpus, tmp_path, name, "1e400" if name < "m" else "inf")
    with pytest.raises(DatasetError) as error:
        load(name, tmp_path)
    message = str(error.value)
    assert message.startswith(f"{path}: {where}: ") and "is not a finite number" in message and "\n" not in message


def test_check_data_refuses_an_infinite_frame_cell_in_one_line(capsys, smoke_corpus, tmp_path):
    path, where = _database_with(smoke_corpus, tmp_path / "data", "samm", "inf")
    code, out, err = cli(capsys, "--check-data", str(tmp_path / "data"))
    assert f"{path}: {where}: 'inf' is not a finite number" in out + err and "Traceback" not in out + err


@pytest.mark.parametrize("value", ["../../outside", "s1/../../x", ".."])
def test_a_smic_e_file_name_that_is_a_path_is_refused_in_one_line(smoke_corpus, tmp_path, value):
    relative = WORKBOOKS["smic_e"][0]
    shutil.copytree(smoke_corpus / relative.split("/")[0], tmp_path / relative.split("/")[0],
                    ignore=shutil.ignore_patterns("*.jpg", "*.png"))
    book = openpyxl.load_workbook(tmp_path / relative)
    sheet = book.worksheets[0]
    target = next(c for row in sheet.iter_rows(max_row=20) for c in row if c.value == "Filename")
    sheet.cell(row=target.row + 1, column=target.column).value = value
    book.save(tmp_path / relative)
    with pytest.raises(DatasetError) as error:
        load("smic_e", tmp_path)
    message = str(error.value)
    assert f"row {target.row + 1}, column Filename: {value!r} is a path, not a folder name" in message
    assert "\n" not in message


@pytest.mark.parametrize("name, column", [("casme3", "Subject"), ("casme2", "Filename")])
def test_a_name_longer_than_a_file_system_takes_is_refused(smoke_corpus, tmp_path, name, column):
    relative = WORKBOOKS[name][0]
    shutil.copytree(smoke_corpus / relative.split("/")[0], tmp_path / relative.split("/")[0],
                    ignore=shutil.ignore_patterns("*.jpg", "*.png"))
    book = openpyxl.load_workbook(tmp_path / relative)
    sheet = book["label"] if name == "casme3" else book.worksheets[0]
    target = next(c for row in sheet.iter_rows(max_row=20) for c in row if c.value == column)
    sheet.cell(row=target.row + 1, column=target.column).value = "x" * 300
    book.save(tmp_path / relative)
    with pytest.raises(DatasetError, match=rf"{re.escape(relative)}: row {target.row + 1}, column {column}: "
                                           r"'x{40}'\.\.\. is 300 bytes long; expected a folder's name of at most 255"):
        load(name, tmp_path)


def _with_sheet_xml(path: Path, body: bytes) -> Path:
    """``path`` (a workbook) with its first sheet's XML replaced by ``body``."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["xl/worksheets/sheet1.xml"] = body
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member, data in members.items():
            target.writestr(member, data)
    return path


def test_a_large_sheet_is_refused_from_its_xml_before_openpyxl_builds_it(tmp_path, monkeypatch):
    book = openpyxl.Workbook()
    book.active.append(["Subject", "Filename"])
    book.save(tmp_path / "labels.xlsx")
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    declared = _with_sheet_xml(tmp_path / "labels.xlsx", head + b'<dimension ref="A1:Z100000"/><sheetData><row r="1">'
                               b'<c r="A1" t="inlineStr"><is><t>Subject</t></is></c></row></sheetData></worksheet>')
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl built the workbook"))
    with pytest.raises(DatasetError, match=r"labels.xlsx: xl/worksheets/sheet1.xml declares the extent A1:Z100000 "
                                           r"\(2,600,000 cells\); expected a label table of at most 1,000,000 cells"):
        read_sheets(declared)
    cells = b"".join(b'<c r="A%d"><v>1</v></c>' % n for n in range(1, WRITTEN_CELLS + 2))  # 2.6 MB, under 300 KB zipped
    written = _with_sheet_xml(tmp_path / "labels.xlsx", head + b"<sheetData><row r=\"1\">" + cells
                              + b"</row></sheetData></worksheet>")
    assert written.stat().st_size < 400_000
    with pytest.raises(DatasetError, match=f"sheet1.xml writes more than {WRITTEN_CELLS:,} cells; expected a label "
                                           f"table of at most {WRITTEN_CELLS:,}"):
        read_sheets(written)


def test_a_clip_folder_in_the_other_unicode_form_is_found(tmp_path):
    """macOS writes a folder's ``É`` decomposed (NFD), a spreadsheet holds it composed (NFC): the same name."""
    db = casme2_tree(tmp_path)
    book = openpyxl.load_workbook(db / "CASME2-coding-20140508.xlsx")
    book.active["B2"] = unicodedata.normalize("NFC", "Épisode_01")
    book.save(db / "CASME2-coding-20140508.xlsx")
    folder = db / "Cropped" / "Cropped" / "sub01" / "EP02_01f"
    folder.rename(folder.with_name(unicodedata.normalize("NFD", "Épisode_01")))
    samples = {s.clip: s for s in load("casme2", tmp_path)}
    assert samples["Épisode_01"].frame_numbers == (8, 9, 10, 11, 12)


def test_a_byte_not_utf8_deep_in_a_csv_is_named_at_its_line(tmp_path):
    """The CSV readers of files from outside (a label table, a runner's predictions.csv, a per-epoch record) name the
    line that holds a byte that is not UTF-8: the strict decoder's error came from the block decoded ahead of the
    line read, and counted its byte from that block."""
    from common.evaluation.epoch_selection import read_epoch_csv
    from common.evaluation.statistics import read_prediction_rows

    rows = [b"sub%02d,EP%04d,1\n" % (n % 26, n) for n in range(3000)]
    table = tmp_path / "labels.csv"  # the byte on line 2502: the header, 2500 rows, then it
    table.write_bytes(b"Subject,Filename,OnsetFrame\n" + b"".join(rows[:2500]) + b"sub01,EP\xff,1\n"
                      + b"".join(rows[2500:]))
    with pytest.raises(DatasetError, match=r"labels\.csv: cannot read this spreadsheet \(NotUtf8Line: line 2502 is "
                                           r"not UTF-8 text\)"):
        read_sheets(table)
    predictions = tmp_path / "predictions.csv"
    predictions.write_bytes(table.read_bytes())
    with pytest.raises(ValueError, match=r"predictions\.csv: cannot be read as predictions\.csv \(line 2502 is not "
                                         r"UTF-8 text\)"):
        read_prediction_rows(predictions)
    epochs = tmp_path / "run.epochs.csv"
    epochs.write_bytes(b"fold,key,list_key,classes\n"
                       + b"".join(b"f,casme2/sub01/EP%04d,casme2/sub01/EP%04d,0\n" % (n, n) for n in range(2500))
                       + b"f,casme2/sub01/EP\xff,x,0\n")
    with pytest.raises(ValueError, match=r"line 2502 is not UTF-8 text"):
        read_epoch_csv(epochs)
