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
