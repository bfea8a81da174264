"""--score's own promises: it reads the predictions.csv our runs and --score itself write, warns when a file's
class scores contradict its predicted class, names a cut log line as malformed, and reads a file as a stream,
refusing it at the first row that makes it unusable."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.evaluation import outside
from common.evaluation.records import write_predictions_csv
from test_cli import cli, one_error_line
from test_score import CLASSES, predicted, sklearn_scores, track_clips, write_csv

pytestmark = pytest.mark.dummy_databases("megc2019")


def score(capsys, source: Path, corpus: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(corpus),
               "--out", str(out), *extra)


def test_score_reads_the_predictions_csv_it_writes_and_gives_the_same_scores(capsys, dummy_corpus, tmp_path):
    clips = track_clips()
    pred = predicted(clips)
    code, _, err = score(capsys, write_csv(tmp_path / "theirs.csv", clips, pred), dummy_corpus, tmp_path / "a")
    assert code == 0, err
    written = tmp_path / "a" / "score" / "megc2019" / "theirs" / "predictions.csv"
    code, out, err = score(capsys, written, dummy_corpus, tmp_path / "b")
    assert code == 0, err
    summary = json.loads((tmp_path / "b" / "score" / "megc2019" / "predictions" / "results.json").read_text())
    assert summary["source"]["format"] == "predictions_csv" and summary["matching"]["scored"] == 24
    uf1, uar = sklearn_scores(clips, pred)
    assert round(summary["statistics"]["scores"]["all"]["uf1"]["pooled"], 4) == round(uf1, 4)
    assert round(summary["statistics"]["scores"]["all"]["uar"]["pooled"], 4) == round(uar, 4)


def test_score_reads_a_runs_predictions_csv_leaving_out_a_diverged_folds_rows(capsys, dummy_corpus, tmp_path):
    """A run's predictions.csv (the runner's columns, class probabilities, one fold diverged to NaN): with
    --partial the rows of the scored folds are scored, the diverged fold's left out as the runner leaves it."""
    clips = track_clips()
    pred = predicted(clips)
    records = []
    for database, subject in sorted({(c["database"], c["subject"]) for c in clips}):
        idx = [i for i, c in enumerate(clips) if (c["database"], c["subject"]) == (database, subject)]
        records.append({"fold": f"{database}_{subject}", "status": "nan" if subject == "007" else "ok",
                        "test_indices": idx, "keys": [clips[i]["key"] for i in idx], "datasets": [database] * 6,
                        "subjects": [subject] * 6, "y_true": [clips[i]["true"] for i in idx],
                        "y_pred": [pred[i] for i in idx],
                        "probabilities": [[0.8 if k == pred[i] else 0.1 for k in range(3)] for i in idx]})
    run = tmp_path / "run"
    run.mkdir()
    write_predictions_csv(run / "predictions.csv", records, CLASSES)
    code, out, err = score(capsys, run / "predictions.csv", dummy_corpus, tmp_path / "out", "--partial")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "score" / "megc2019" / "predictions" / "results.json").read_text())
    assert summary["matching"]["scored"] == 18 and summary["matching"]["left_out"] == 6
    assert summary["statistics"]["class_scores"]["argmax_is_pred"] == 18
    assert summary["statistics"]["class_scores"]["warning"] is None and "WARNING" not in out


def test_class_scores_that_contradict_the_predicted_class_are_a_warning_on_stdout_and_in_results(
        capsys, dummy_corpus, tmp_path):
    clips = track_clips()
    pred = predicted(clips)
    lines = ["database,subject,clip,true,pred,score_negative,score_positive,score_surprise"]
    for c, p in zip(clips, pred):  # the highest score on the class after the predicted one: never the same
        scores = ",".join("0.8" if k == (p + 1) % 3 else "0.1" for k in range(3))
        lines.append(f"{c['database']},{c['subject']},{c['clip']},{c['true']},{p},{scores}")
    source = tmp_path / "swapped.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    assert code == 0, err
    assert "swapped.csv: WARNING: on 24 of 24 scored clips the highest class score is not the predicted class" in out
    summary = json.loads((tmp_path / "out" / "score" / "megc2019" / "swapped" / "results.json").read_text())
    assert summary["statistics"]["class_scores"]["argmax_is_pred"] == 0
    assert summary["statistics"]["class_scores"]["warning"].startswith("WARNING: on 24 of 24")


def test_a_cut_log_line_is_named_malformed_not_read_as_a_block(capsys, dummy_corpus, tmp_path):
    source = tmp_path / "log.txt"
    source.write_text("casme2 sub01\nnegative_0 0 0\nnegative_1 0\nnegative_2 0 1\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "log.txt, line 3: malformed line 'negative_1 0'" in line


def test_a_file_is_refused_at_its_first_unusable_row_unread_beyond(capsys, dummy_corpus, tmp_path):
    """The bytes far after the bad row are not UTF-8: a reader that decoded the whole file first would say that."""
    source = tmp_path / "theirs.csv"
    filler = b"".join(b"clip%d,sub01,casme2,0,0\n" % i for i in range(5000))  # about 120 kB of rows after it
    source.write_bytes(b"clip,subject,database,true,pred\nnegative_0,sub01,casme2,happy,0\n" + filler
                       + b"\xff\xfe" * 1000)
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "theirs.csv, line 2: true 'happy'" in line


@pytest.mark.parametrize("fmt", ["csv", "log"])
def test_more_rows_than_any_corpus_are_refused_at_the_row_past_the_limit(capsys, monkeypatch, dummy_corpus, tmp_path,
                                                                        fmt):
    monkeypatch.setattr(outside, "MAX_ROWS", 5)
    source = tmp_path / "big.txt"
    if fmt == "csv":
        body = "".join(f"clip{i},sub01,casme2,0,0\n" for i in range(10))
        source.write_text("clip,subject,database,true,pred\n" + body, encoding="utf-8")
    else:
        source.write_text("casme2 sub01\n" + "".join(f"clip{i} 0 0\n" for i in range(10)), encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "big.txt, line 7: more than 5 clips" in line



def test_a_line_longer_than_any_predictions_row_is_refused_before_it_is_split(capsys, dummy_corpus, tmp_path):
    """One line of commas (a few MB) would be millions of cells once the csv module splits it: --score reads each
    line no further than files.CSV_LINE_CHARS and refuses a longer one in one line, whether it is the header
    (read to find the separator) or a row."""
    from common.files import CSV_LINE_CHARS

    for name, text in (("header.csv", "clip," * CSV_LINE_CHARS + "\n"),
                       ("row.csv", "clip,subject,database,true,pred\n" + "," * (CSV_LINE_CHARS + 1) + "\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        code, _, err = score(capsys, tmp_path / name, dummy_corpus, tmp_path / "out")
        line = one_error_line(err)
        assert code == 2 and f"holds more than {CSV_LINE_CHARS:,} characters" in line and name in line, line


# ---------------------------------------------------------------------------------------------
# Our own predictions.csv: every column checked, none quietly overridden or ignored


def ours_lines(clips: list[dict], pred: list[int], folds: dict[str, str] | None = None) -> list[str]:
    """Our predictions.csv (records.write_predictions_csv's columns) of every clip, as lines: the header, then one
    row a clip with its class probabilities (0.8 on the predicted class)."""
    lines = ["fold,index,key,list_key,dataset,subject,y_true,y_pred,true_class,predicted_class,status,"
             "p_negative,p_positive,p_surprise"]
    for i, (c, p) in enumerate(zip(clips, pred)):
        fold = (folds or {}).get(c["key"], f"{c['database']}_{c['subject']}")
        probs = ",".join("0.8" if k == p else "0.1" for k in range(3))
        lines.append(f"{fold},{i},{c['key']},{c['key']},{c['database']},{c['subject']},{c['true']},{p},"
                     f"{CLASSES[c['true']]},{CLASSES[p]},ok,{probs}")
    return lines


def test_our_own_format_written_out_in_full_is_scored(capsys, dummy_corpus, tmp_path):
    """The file the checks below change one thing of: as written, it scores (every column agrees)."""
    clips = track_clips()
    source = tmp_path / "ours.csv"
    source.write_text("\n".join(ours_lines(clips, predicted(clips))) + "\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    assert code == 0, err


def one_row_changed(lines: list[str], line: int, column: str, value: str) -> list[str]:
    """``lines`` with the cell of ``column`` on file line ``line`` (1 the header) set to ``value``."""
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    return lines[:line - 1] + [",".join(cells)] + lines[line:]


@pytest.mark.parametrize("change, expected", [
    # a column named twice: the last copy (y_pred = y_true) would be scored, UF1 1.0
    (lambda lines: [lines[0] + ",y_pred"] + [row + "," + row.split(",")[6] for row in lines[1:]],
     "ours.csv, line 1: a column is named twice in the header ('y_pred')"),
    (lambda lines: [lines[0] + ",key"] + [row + ",casme2/sub01/x" for row in lines[1:]],
     "ours.csv, line 1: a column is named twice in the header ('key')"),
    # both formats in one header: the csv format's pred would be ignored
    (lambda lines: [lines[0] + ",clip,database,true,pred"] + [row + ",a,casme2,0,0" for row in lines[1:]],
     "ours.csv, line 1: the header mixes our predictions.csv's columns"),
    (lambda lines: [lines[0] + ",comment"] + [row + ",x" for row in lines[1:]],
     "ours.csv, line 1: unknown column(s) 'comment'"),
    # a row of more cells than the header (docs/house.md: refused)
    (lambda lines: lines[:1] + [lines[1] + ",9,9"] + lines[2:], "ours.csv, line 2: 16 cells, the header names 14"),
])
def test_a_repeated_mixed_or_unknown_column_or_a_longer_row_of_our_format_is_refused(
        capsys, dummy_corpus, tmp_path, change, expected):
    clips = track_clips()
    source = tmp_path / "ours.csv"
    source.write_text("\n".join(change(ours_lines(clips, predicted(clips)))) + "\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and expected in line, line


@pytest.mark.parametrize("column, value, expected", [
    ("p_negative", "-0.1", "line 3: p_negative -0.1: expected a class probability in [0, 1]"),
    ("p_positive", "1.6", "line 3: p_positive 1.6: expected a class probability in [0, 1]"),
    ("p_surprise", "", "line 3: p_surprise empty where the row's other class probabilities are given"),
    ("p_negative", "0.5", "line 3: the class probabilities p_negative, p_positive, p_surprise sum to"),
])
def test_class_probabilities_of_our_format_out_of_range_not_summing_to_one_or_partly_empty_are_refused(
        capsys, dummy_corpus, tmp_path, column, value, expected):
    clips = track_clips()
    pred = [0] + predicted(clips)[1:]  # the second row predicts class 0, so p_negative is its 0.8 (sum 1.0)
    pred[1] = 1
    source = tmp_path / "ours.csv"
    source.write_text("\n".join(one_row_changed(ours_lines(clips, pred), 3, column, value)) + "\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and f"ours.csv, {expected}" in line, line


def test_every_probability_doubled_is_refused(capsys, dummy_corpus, tmp_path):
    clips = track_clips()
    lines = ours_lines(clips, predicted(clips))
    doubled = [lines[0]] + [",".join(row.split(",")[:11] + [str(2 * float(p)) for p in row.split(",")[11:]])
                            for row in lines[1:]]
    source = tmp_path / "ours.csv"
    source.write_text("\n".join(doubled) + "\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "ours.csv, line 2: p_" in line and "expected a class probability in [0, 1]" in line, line


@pytest.mark.parametrize("column, value, expected", [
    ("fold", "samm_006", "line 4: fold 'samm_006' for casme2/sub01/"),
    ("dataset", "samm", "line 4: dataset 'samm' contradicts the row's key"),
    ("subject", "sub99", "line 4: subject 'sub99' contradicts the row's key"),
    ("list_key", "casme2/sub01/other", "line 4: list_key 'casme2/sub01/other' contradicts the row's key"),
    ("true_class", "surprise", "line 4: true_class 'surprise' contradicts the row's classes"),
    ("index", "7", "line 4: index 7 for casme2/sub01/"),
])
def test_a_column_of_our_format_contradicting_the_key_classes_or_track_is_refused(
        capsys, dummy_corpus, tmp_path, column, value, expected):
    clips = track_clips()
    pred = predicted(clips)
    assert CLASSES[clips[2]["true"]] != "surprise"
    source = tmp_path / "ours.csv"
    source.write_text("\n".join(one_row_changed(ours_lines(clips, pred), 4, column, value)) + "\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out", "--partial")
    line = one_error_line(err)
    assert code == 2 and f"ours.csv, {expected}" in line, line


# ---------------------------------------------------------------------------------------------
# --against: names as --score reads them, and a paired test on every clip scored (or --partial, said)


def test_against_reads_names_as_score_does_and_refuses_fewer_clips_without_partial(capsys, dummy_corpus, tmp_path):
    """Our run's file writing SAMM's subjects as the public list does (``6``, not ``006``) pairs on every clip, as
    --score reads it; a run of fewer clips than the file scores is refused in one line, and under --partial the
    paired test on fewer clips is a WARNING recorded in results.json."""
    clips = track_clips()
    theirs = write_csv(tmp_path / "theirs.csv", clips, predicted(clips, seed=1))
    lines = ours_lines(clips, predicted(clips, seed=2))
    renamed = [lines[0]]
    for row in lines[1:]:
        cells = row.split(",")
        if cells[4] == "samm":  # key, list_key and subject as the list writes SAMM's subjects: 6, not 006
            cells[2] = cells[3] = cells[2].replace("/006/", "/6/").replace("/007/", "/7/")
            cells[5] = cells[5].lstrip("0")
        renamed.append(",".join(cells))
    run = tmp_path / "ours.csv"
    run.write_text("\n".join(renamed) + "\n", encoding="utf-8")
    code, _, err = score(capsys, theirs, dummy_corpus, tmp_path / "a", "--against", str(run))
    assert code == 0, err
    against = json.loads((tmp_path / "a" / "score" / "megc2019" / "theirs" / "results.json").read_text())["against"]
    assert against["n"] == 24 and against["left_out"] == 0
    half = tmp_path / "half.csv"
    half.write_text("\n".join(lines[:13]) + "\n", encoding="utf-8")  # the first 12 clips
    code, _, err = score(capsys, theirs, dummy_corpus, tmp_path / "b", "--against", str(half))
    line = one_error_line(err)
    assert code == 2 and "our run predicted 12 of the 24 clips the file scores (12 differ" in line, line
    code, out, err = score(capsys, theirs, dummy_corpus, tmp_path / "c", "--against", str(half), "--partial")
    assert code == 0, err
    assert "WARNING: PARTIAL: the paired test is on 12 of the 24 clips scored" in out
    against = json.loads((tmp_path / "c" / "score" / "megc2019" / "theirs" / "results.json").read_text())["against"]
    assert against["n"] == 12 and against["note"].startswith("PARTIAL: the paired test is on 12 of the 24")


def test_against_a_run_of_other_folds_on_the_synthetic_corpus_says_which_corpus_the_score_is_on(capsys, dummy_corpus,
                                                                                               tmp_path):
    """The synthetic corpus bears the real databases' clip names: a shipped real run given as --against failed on
    its folds' indices with nothing saying that the score was on the synthetic corpus."""
    clips = track_clips()
    theirs = write_csv(tmp_path / "theirs.csv", clips, predicted(clips, seed=1))
    lines = ours_lines(clips, predicted(clips, seed=2))
    header = lines[0].split(",")
    moved = [lines[0]] + [",".join(str(len(clips) - 1 - i) if n == header.index("index") else cell
                                   for n, cell in enumerate(row.split(","))) for i, row in enumerate(lines[1:])]
    run = tmp_path / "ours.csv"
    run.write_text("\n".join(moved) + "\n", encoding="utf-8")
    code, _, err = score(capsys, theirs, dummy_corpus, tmp_path / "a", "--against", str(run))
    line = one_error_line(err)
    assert code == 2 and "expected the track's folds" in line and "SYNTHETIC" not in line, line
    (dummy_corpus / "corpus.json").write_text(json.dumps({"size": "smoke", "seed": 0, "mirror": False}))
    code, _, err = score(capsys, theirs, dummy_corpus, tmp_path / "b", "--against", str(run))
    line = one_error_line(err)
    assert code == 2 and line.endswith("(this score is on the suite's SYNTHETIC corpus: a run on real data holds "
                                       "other folds and classes under the same clip names)"), line


def test_against_a_file_with_a_byte_order_mark_is_read(capsys, dummy_corpus, tmp_path):
    clips = track_clips()
    theirs = write_csv(tmp_path / "theirs.csv", clips, predicted(clips, seed=1))
    run = tmp_path / "ours.csv"
    run.write_bytes(("\ufeff" + "\n".join(ours_lines(clips, predicted(clips, seed=2))) + "\n").encode("utf-8"))
    code, _, err = score(capsys, theirs, dummy_corpus, tmp_path / "out", "--against", str(run))
    assert code == 0, err


# ---------------------------------------------------------------------------------------------
# Where a score is written


def test_out_a_regular_file_is_refused_in_one_line_before_any_work(capsys, dummy_corpus, tmp_path):
    clips = track_clips()
    theirs = write_csv(tmp_path / "theirs.csv", clips, predicted(clips))
    code, _, err = score(capsys, theirs, dummy_corpus, theirs)
    line = one_error_line(err)
    assert code == 2 and f"--out {theirs}: not a folder" in line, line


def test_first_folder_gives_up_after_its_bound_rather_than_searching_without_end(monkeypatch, tmp_path):
    from common.errors import RunError
    from common.orchestration import run_folders

    monkeypatch.setattr(run_folders, "MAX_FOLDERS", 5)
    tried = []

    def takes(folder: Path) -> bool:
        tried.append(folder)
        assert len(tried) <= 100, "first_folder searched on without a bound"
        return False

    with pytest.raises(RunError, match="none of x, x-2 ... x-5 can be used"):
        run_folders.first_folder(tmp_path / "x", takes)
    assert len(tried) == 5


@pytest.mark.parametrize("name", ["..csv", "...csv", "_.csv"])
def test_a_file_whose_name_makes_no_folder_name_is_scored_into_a_fallback_folder(capsys, dummy_corpus, tmp_path,
                                                                                  name):
    clips = track_clips()
    source = write_csv(tmp_path / name, clips, predicted(clips))
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    assert code == 0, err
    assert (tmp_path / "out" / "score" / "megc2019" / "unnamed" / "results.json").is_file()


# ---------------------------------------------------------------------------------------------
# Bounds: names, lines, what a message quotes


def test_a_clip_name_longer_than_the_bound_is_refused_naming_its_line(capsys, dummy_corpus, tmp_path):
    source = tmp_path / "theirs.csv"
    source.write_text("clip,subject,database,true,pred\nnegative_0,sub01,casme2,0,0\n"
                      f"{'x' * (outside.MAX_NAME + 1)},sub01,casme2,0,0\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and f"theirs.csv, line 3: a clip name of {outside.MAX_NAME + 1:,} characters" in line, line
    assert len(line) < 400


def test_blank_lines_count_toward_the_bound(capsys, monkeypatch, dummy_corpus, tmp_path):
    monkeypatch.setattr(outside, "MAX_LINES", 50)
    source = tmp_path / "theirs.csv"
    source.write_text("clip,subject,database,true,pred\n" + ",,,,\n" * 100 + "negative_0,sub01,casme2,0,0\n",
                      encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "more than 50 lines (blank ones counted) at line 51" in line, line


def test_a_refusal_quotes_long_names_shortened_and_control_characters_escaped(capsys, dummy_corpus, tmp_path):
    clips = track_clips()
    rows = [dict(c) for c in clips] + [{"database": "casme2", "subject": "sub01", "clip": "\x1b[31m" + "y" * 900,
                                         "true": 0}]
    source = write_csv(tmp_path / "theirs.csv", rows, predicted(clips) + [0])
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "1 of the file's 25 rows not on the track (casme2/sub01/\\x1b[31myyy" in line, line
    assert "(918 characters)" in line
    assert "\x1b" not in line and len(line) < 600


@pytest.mark.parametrize("kind, expected", [("folder", "a folder; expected"),
                                            ("fifo", "not a regular file (a FIFO, a device or a socket)")])
def test_a_folder_or_fifo_given_as_the_file_is_named_for_what_it_is(capsys, dummy_corpus, tmp_path, kind, expected):
    import os

    source = tmp_path / "theirs.csv"
    if kind == "folder":
        source.mkdir()
    else:
        os.mkfifo(source)
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and f"theirs.csv: {expected}" in line, line


@pytest.mark.parametrize("status", ["OK", "okay", ""])
def test_a_status_our_runs_never_write_is_refused_not_left_out_as_a_diverged_folds_row(
        capsys, dummy_corpus, tmp_path, status):
    """Left out as a diverged fold's row, the clip would be called missing and, under --partial, scored without."""
    clips = track_clips()
    source = tmp_path / "ours.csv"
    source.write_text("\n".join(one_row_changed(ours_lines(clips, predicted(clips)), 3, "status", status)) + "\n",
                      encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out", "--partial")
    line = one_error_line(err)
    assert code == 2 and f"ours.csv, line 3: status '{status}': expected a fold's status" in line, line


def test_our_format_whose_every_row_is_of_a_fold_not_scored_is_refused_saying_so(capsys, dummy_corpus, tmp_path):
    clips = track_clips()
    source = tmp_path / "ours.csv"
    source.write_text("\n".join(ours_lines(clips, predicted(clips))).replace(",ok,", ",nan,") + "\n", encoding="utf-8")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "ours.csv: lists no clip of a scored fold: its 24 rows are all of folds not scored" in line


def test_class_scores_tied_on_the_predicted_class_are_no_warning(capsys, dummy_corpus, tmp_path):
    """Equal highest scores (vote shares, probabilities equal once rounded) agree with either tied class: argmax
    would take the first and warn on a file whose scores and predictions agree."""
    clips = track_clips()
    pred = predicted(clips)
    lines = ["database,subject,clip,true,pred,score_negative,score_positive,score_surprise"]
    for c, p in zip(clips, pred):  # the predicted class tied with another for the highest score
        scores = ",".join("0.4" if k in (p, (p + 1) % 3) else "0.2" for k in range(3))
        lines.append(f"{c['database']},{c['subject']},{c['clip']},{c['true']},{p},{scores}")
    source = tmp_path / "tied.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "score" / "megc2019" / "tied" / "results.json").read_text())
    assert summary["statistics"]["class_scores"]["argmax_is_pred"] == 24, summary["statistics"]["class_scores"]
    assert summary["statistics"]["class_scores"]["warning"] is None and "WARNING" not in out


def test_a_log_line_not_utf8_is_named_by_its_own_line_number(capsys, dummy_corpus, tmp_path):
    """The bad bytes on line 2,001 of the log: a reader decoding ahead of the line read would name an earlier line."""
    source = tmp_path / "log.txt"
    lines = [b"casme2 sub01"] + [b"clip%d 0 0" % i for i in range(3000)]
    lines[2000] = b"clip\xe9 0 0"
    source.write_bytes(b"\n".join(lines) + b"\n")
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "log.txt, line 2001: not UTF-8 text" in line, line


def test_a_dollar_pair_in_the_file_or_a_clip_name_is_drawn_as_written_not_as_mathtext(capsys, dummy_corpus,
                                                                                        tmp_path):
    """matplotlib reads text between two ``$`` as a formula: a file name and an extra clip's name (both on the
    report's first page, the file name in every page's header) that hold one that is no formula stopped the report
    with a traceback."""
    clips = track_clips()
    rows = [dict(c) for c in clips] + [{**clips[0], "clip": "EP$\\nosuch{$"}]
    source = write_csv(tmp_path / "cost$\\nosuch$.csv", rows, predicted(clips) + [0])
    code, out, err = score(capsys, source, dummy_corpus, tmp_path / "out", "--partial")
    assert code == 0, err[-2000:]
    folder = next((tmp_path / "out" / "score" / "megc2019").iterdir())
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")


def test_a_file_name_with_control_characters_is_printed_escaped_on_one_line(capsys, dummy_corpus, tmp_path):
    """A file's name is the user's, but often not of their choosing (a collaborator's file): its ESC (a terminal's
    clear-screen sequence), CR (which sends the cursor back over the line) and line end reached the console raw,
    in the summary lines and in a refusal."""
    clips = track_clips()
    name = "th\x1b[2Jeirs\rX\nY.csv"
    code, out, err = score(capsys, write_csv(tmp_path / name, clips, predicted(clips)), dummy_corpus, tmp_path / "out")
    assert code == 0, err
    assert "\x1b" not in out and "\r" not in out
    assert "[score megc2019] th\\x1b[2Jeirs\\rX\\nY.csv (csv): 24 of 24 clips" in out.splitlines()[0]
    bad = tmp_path / "bad\x1b[2J\n.txt"
    bad.write_text("clip,subject,database,true\n")
    code, _, err = score(capsys, bad, dummy_corpus, tmp_path / "out")
    line = one_error_line(err)
    assert code == 2 and "bad\\x1b[2J .txt, line 1: the header lacks pred" in line and "\x1b" not in line


def test_a_long_clip_or_file_name_is_shortened_in_the_report_not_run_off_its_page(capsys, monkeypatch, dummy_corpus,
                                                                                 tmp_path):
    """The report's matching lines named an extra clip of 900 wide glyphs in full, past the page's right edge; its
    running header (one line, never wrapped) the file's name of 200, with its line end."""
    from common.leaderboard import score as score_report
    from common.reporting.document import ReportDocument

    headers = []

    class Recorded(ReportDocument):
        def __init__(self, handle, header, *args, **kwargs):
            headers.append(header)
            super().__init__(handle, header, *args, **kwargs)

    monkeypatch.setattr(score_report, "ReportDocument", Recorded)
    clips = track_clips()
    rows = [dict(c) for c in clips] + [{**clips[0], "clip": "C" * 900}]
    source = write_csv(tmp_path / ("L" * 200 + "\nX.csv"), rows, predicted(clips) + [0])
    code, _, err = score(capsys, source, dummy_corpus, tmp_path / "out", "--partial")
    assert code == 0, err[-2000:]
    folder = next((tmp_path / "out" / "score" / "megc2019").iterdir())
    lines = score_report._matching_lines(json.loads((folder / "results.json").read_text()))
    extra = next(line for line in lines if line.startswith("1 extra: "))
    assert "... (913 characters)" in extra and len(extra) < 200, extra
    assert "\n" not in headers[0] and "... (206 characters)" in headers[0] and len(headers[0]) < 200, headers
