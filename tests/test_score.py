"""run_all.py --score FILE --benchmark TRACK: predictions made elsewhere, in each accepted format, scored on the
track's clips and folds; UF1 and UAR checked against scikit-learn computed here; a refused mismatch, --partial,
--against, and the parsers' one-line refusals."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score

import dummy_paper
from common.evaluation.outside import read_ststnet_log
from common.evaluation.records import write_predictions_csv
from test_cli import cli, one_error_line

# the dummy paper's MEGC composite (casme2 sub01/sub02, samm 006/007; 6 clips each): the megc2019 track's clips
pytestmark = pytest.mark.dummy_databases("megc2019")
CLASSES = dummy_paper.CLASSES


def track_clips() -> list[dict]:
    """The track's 24 clips with their true class index, in the loader's order."""
    samples = dummy_paper.make_samples("casme2") + dummy_paper.make_samples("samm")
    return [{"database": s.dataset, "subject": s.subject, "clip": s.clip, "true": CLASSES.index(s.emotion),
             "key": s.key} for s in samples]


def predicted(clips: list[dict], seed: int = 1) -> list[int]:
    """A predictor right about two times in three (seeded), so that no score is trivially 0 or 1."""
    rng = np.random.default_rng(seed)
    return [c["true"] if rng.random() < 0.65 else int(rng.integers(3)) for c in clips]


def sklearn_scores(clips: list[dict], pred: list[int]) -> tuple[float, float]:
    true = [c["true"] for c in clips]
    return f1_score(true, pred, average="macro"), recall_score(true, pred, average="macro")


def write_csv(path: Path, clips: list[dict], pred: list[int]) -> Path:
    """The CSV as a spreadsheet writes it: a byte-order mark, ';', CRLF, headers in another order and case,
    true as class names, pred as indices, a class-score column per class."""
    lines = ["Database;Subject;Clip;TRUE;pred;score_negative;score_positive;score_surprise"]
    for c, p in zip(clips, pred):
        scores = ";".join("0.8" if k == p else "0.1" for k in range(3))
        lines.append(f"{c['database']};{c['subject']};{c['clip']};{CLASSES[c['true']]};{p};{scores}")
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_log(path: Path, clips: list[dict], pred: list[int]) -> Path:
    """The STSTNet log layout: '<database> <subject>' opens a block, '<clip> <true> <predicted>' lines follow
    (SAMM's subjects written without their zeros, as the official list writes them); no final line end."""
    lines, block = [], None
    for c, p in zip(clips, pred):
        if (c["database"], c["subject"]) != block:
            block = (c["database"], c["subject"])
            lines.append(f"{c['database']} {c['subject'].lstrip('0') if c['database'] == 'samm' else c['subject']}")
        lines.append(f"{c['clip']} {c['true']} {p}")
    path.write_text("\n".join(lines))
    return path


def test_a_file_given_through_a_link_is_named_as_given_on_the_console_and_its_folder(capsys, dummy_corpus, tmp_path):
    """The console named the link's target ("theirs.csv") while the folder took the link's name ("mine")."""
    clips = track_clips()
    target = write_csv(tmp_path / "theirs.csv", clips, predicted(clips))
    (tmp_path / "mine.csv").symlink_to(target)
    code, out, err = cli(capsys, "--score", str(tmp_path / "mine.csv"), "--benchmark", "megc2019", "--data-root",
                         str(dummy_corpus), "--out", str(tmp_path / "out"))
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "score" / "megc2019" / "mine" / "results.json").read_text())
    assert summary["source"]["name"] == "mine.csv" and summary["source"]["path"] == str(target.resolve())
    assert "[score megc2019] mine.csv (csv): 24 of 24 clips" in out and "theirs.csv" not in out


@pytest.mark.parametrize("writer, fmt", [(write_csv, "csv"), (write_log, "ststnet_log")])
def test_each_format_reproduces_sklearn_uf1_and_uar(capsys, dummy_corpus, tmp_path, writer, fmt):
    clips = track_clips()
    pred = predicted(clips)
    source = writer(tmp_path / f"theirs.{'csv' if fmt == 'csv' else 'txt'}", clips, pred)
    code, out, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    folder = tmp_path / "out" / "score" / "megc2019" / "theirs"
    summary = json.loads((folder / "results.json").read_text())
    assert summary["source"]["format"] == fmt and summary["schema"] == "mersuite.score/1"
    assert summary["selection"].startswith("unknown")
    assert summary["matching"]["scored"] == 24 and summary["matching"]["differ"] == 0
    uf1, uar = sklearn_scores(clips, pred)
    scores = summary["statistics"]["scores"]
    assert round(scores["all"]["uf1"]["pooled"], 4) == round(uf1, 4)
    assert round(scores["all"]["uar"]["pooled"], 4) == round(uar, 4)
    assert f"UF1 {uf1:.4f}" in out and f"UAR {uar:.4f}" in out and "pooled over folds" in out
    # per database (the track's scopes) and the fold mean over the track's folds (LOSO: one per subject)
    for database in ("casme2", "samm"):
        part = [i for i, c in enumerate(clips) if c["database"] == database]
        uf1_db, _ = sklearn_scores([clips[i] for i in part], [pred[i] for i in part])
        assert round(scores[database]["uf1"]["pooled"], 4) == round(uf1_db, 4)
    subjects = sorted({(c["database"], c["subject"]) for c in clips})
    per_fold = [f1_score([c["true"] for c in clips if (c["database"], c["subject"]) == s],
                         [p for c, p in zip(clips, pred) if (c["database"], c["subject"]) == s], average="macro")
                for s in subjects]
    assert scores["all"]["uf1"]["fold_mean"] == pytest.approx(np.mean(per_fold))
    interval = scores["all"]["uf1"]["interval"]
    assert interval["unit"] == "subjects" and interval["n_resamples"] == 2000
    assert interval["low"] <= uf1 <= interval["high"]
    matrix = np.asarray(summary["statistics"]["confusion"]["all"])
    assert matrix.sum() == 24 and np.trace(matrix) == sum(c["true"] == p for c, p in zip(clips, pred))
    if fmt == "csv":
        assert summary["statistics"]["class_scores"]["argmax_is_pred"] == 24
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    assert len((folder / "predictions.csv").read_text().splitlines()) == 25


def test_log_parser_counts_as_liong2019_counts_the_authors_log(tmp_path):
    """A log written in STSTNet_logfile.txt's layout with the counts of ``LOG_CONFUSION`` (liong2019's count
    of the authors' file) gives back those counts: the class codes mean what that count takes them to."""
    from papers.liong2019.reported import LOG_CONFUSION

    lines = []
    for database in ("casme2", "smic", "samm"):
        lines.append(f"{database} {'s01' if database == 'smic' else 'sub01' if database == 'casme2' else '006'}")
        n = 0
        for true, row in enumerate(LOG_CONFUSION[database]):
            for pred, count in enumerate(row):
                for _ in range(count):
                    n += 1
                    lines.append(f"{database}_clip{n:03d} {true} {pred}")
    (tmp_path / "log.txt").write_text("\n".join(lines))
    parsed = read_ststnet_log(tmp_path / "log.txt", CLASSES)
    for database in ("casme2", "smic", "samm"):
        counts = np.zeros((3, 3), dtype=int)
        for row in parsed.rows:
            if row.database == database:
                counts[row.true, row.pred] += 1
        assert counts.tolist() == [list(r) for r in LOG_CONFUSION[database]]
    assert {row.subject for row in parsed.rows if row.database == "smic"} == {"s1"}  # the loaders' SMIC name


def mismatched(tmp_path: Path) -> tuple[Path, list[dict], list[int]]:
    """The CSV without two of the track's clips and one clip under another true class."""
    clips = track_clips()
    pred = predicted(clips)
    rows = [dict(c) for c in clips]
    rows[5]["true"] = (rows[5]["true"] + 1) % 3
    keep = [i for i in range(24) if i not in (0, 13)]
    return write_csv(tmp_path / "short.csv", [rows[i] for i in keep], [pred[i] for i in keep]), clips, pred


def test_a_mismatch_is_refused_in_one_line_then_partial_scores_what_matches(capsys, dummy_corpus, tmp_path):
    source, clips, pred = mismatched(tmp_path)
    argv = ["--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--out",
            str(tmp_path / "out")]
    code, out, err = cli(capsys, *argv)
    line = one_error_line(err)
    assert code == 2 and "differs from megc2019's selection: 2 of the track's 24 clips missing (" in line
    assert "), 1 relabelled (" in line and "--partial scores the 21 that match" in line
    assert not (tmp_path / "out" / "score").exists()
    code, out, err = cli(capsys, *argv, "--partial")
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "score" / "megc2019" / "short" / "results.json").read_text())
    matching = summary["matching"]
    assert matching["partial"] and matching["left_out"] == 3 and matching["scored"] == 21
    assert matching["missing"] == [clips[0]["key"], clips[13]["key"]] and matching["n_missing"] == 2
    assert [r["key"] for r in matching["relabelled"]] == [clips[5]["key"]]
    scored = [i for i in range(24) if i not in (0, 5, 13)]
    uf1, uar = sklearn_scores([clips[i] for i in scored], [pred[i] for i in scored])
    assert round(summary["statistics"]["scores"]["all"]["uf1"]["pooled"], 4) == round(uf1, 4)
    assert round(summary["statistics"]["scores"]["all"]["uar"]["pooled"], 4) == round(uar, 4)
    assert "--partial: 3 left out" in out


def test_a_mismatch_counts_the_tracks_clips_and_the_files_other_rows_apart(capsys, dummy_corpus, tmp_path):
    """A file of another corpus: 4 of the track's 24 clips and 30 rows the track does not hold. The refusal added the
    missing clips and the extra rows into one count over the track's ("50 of 24 clips differ"); it now gives the
    track's clips missing out of the track's count and the file's rows not on the track out of the file's."""
    clips = track_clips()
    extra = [{**clips[0], "clip": f"EP99_{n:04d}"} for n in range(30)]
    source = write_csv(tmp_path / "other.csv", clips[:4] + extra, predicted(clips)[:4] + [0] * len(extra))
    code, _, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                       "--out", str(tmp_path / "out"))
    line = one_error_line(err)
    assert code == 2 and "differs from megc2019's selection: 20 of the track's 24 clips missing (" in line, line
    assert "; 30 of the file's 34 rows not on the track (casme2/sub01/EP99_0000, " in line
    assert line.endswith("; --partial scores the 4 that match") and "clips differ" not in line


def test_partial_says_on_stdout_how_many_of_the_files_rows_it_ignored(capsys, dummy_corpus, tmp_path):
    """Under --partial a row the track does not hold is ignored: stdout said "24 of 24 clips of the track scored"
    and nothing of it (only results.json's n_extra counted it), where a missing clip is said "(--partial: 1 left
    out)". The ignored rows are now said the same way, beside the clips left out."""
    clips = track_clips()
    pred = predicted(clips)
    fake = {**clips[0], "clip": "ZZ_fake"}
    options = ["--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--partial", "--out", str(tmp_path / "out")]
    source = write_csv(tmp_path / "one_more.csv", clips + [fake], pred + [0])
    code, out, err = cli(capsys, "--score", str(source), *options)
    assert code == 0, err
    assert ("24 of 24 clips of the track scored (--partial: 1 of the file's 25 rows not on the track, ignored); "
            in out), out
    # with a clip missing too, both are said
    source = write_csv(tmp_path / "one_off.csv", clips[1:] + [fake], pred[1:] + [0])
    code, out, err = cli(capsys, "--score", str(source), *options)
    assert code == 0, err
    assert ("23 of 24 clips of the track scored (--partial: 1 left out; 1 of the file's 24 rows not on the track, "
            "ignored); " in out), out


def test_partial_names_the_first_clips_of_each_kind_and_counts_them_all(capsys, dummy_corpus, tmp_path):
    """A file of the track's 24 clips and 500 it does not hold, scored under --partial: results.json counts the 500
    extra clips and names the first 20 of them, in the file's order (it named every one: a file of many thousand
    made a results.json past what its own reader takes)."""
    clips = track_clips()
    extra = [{**clips[0], "clip": f"EP99_{n:04d}"} for n in range(500)]
    source = write_csv(tmp_path / "many.csv", clips + extra, predicted(clips) + [0] * len(extra))
    code, out, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--out", str(tmp_path / "out"), "--partial")
    assert code == 0, err
    matching = json.loads((tmp_path / "out" / "score" / "megc2019" / "many" / "results.json").read_text())["matching"]
    assert matching["scored"] == 24 and matching["differ"] == 500 and matching["file_rows"] == 524
    assert len(matching["extra"]) == 20 and matching["n_extra"] == 500 and matching["extra_not_listed"] == 480
    assert [name.endswith(f"EP99_{n:04d}") for n, name in enumerate(matching["extra"])] == [True] * 20
    assert matching["n_missing"] == matching["n_relabelled"] == 0 and matching["missing"] == []
    assert matching["missing_not_listed"] == matching["relabelled_not_listed"] == 0


def test_against_one_of_our_runs_is_a_paired_test_on_the_clips_both_predicted(capsys, dummy_corpus, tmp_path):
    """Our run predicted 12 of the 24 clips the file scores: under --partial, the paired test on those 12 (without
    it, refused: test_score_checks)."""
    clips = track_clips()
    theirs, ours = predicted(clips, seed=1), predicted(clips, seed=2)
    # "our run": the runner's predictions.csv of the first two folds (LOSO: casme2 sub01, sub02)
    run = tmp_path / "run"
    run.mkdir()
    first = [i for i, c in enumerate(clips) if c["database"] == "casme2"]
    records = [{"fold": f"casme2_{s}", "status": "ok", "test_indices": idx, "keys": [clips[i]["key"] for i in idx],
                "datasets": ["casme2"] * 6, "subjects": [s] * 6, "y_true": [clips[i]["true"] for i in idx],
                "y_pred": [ours[i] for i in idx]}
               for s in ("sub01", "sub02") for idx in [[i for i in first if clips[i]["subject"] == s]]]
    write_predictions_csv(run / "predictions.csv", records, CLASSES)
    source = write_csv(tmp_path / "theirs.csv", clips, theirs)
    code, out, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--out", str(tmp_path / "out"), "--against", str(run), "--partial")
    assert code == 0, err
    against = json.loads((tmp_path / "out" / "score" / "megc2019" / "theirs" / "results.json").read_text())["against"]
    assert against["n"] == 12 and against["left_out"] == 12 and against["n_subjects"] == 2
    both = [clips[i] for i in first]
    expected = (f1_score([c["true"] for c in both], [theirs[i] for i in first], average="macro")
                - f1_score([c["true"] for c in both], [ours[i] for i in first], average="macro"))
    uf1 = against["comparisons"]["uf1"]
    assert uf1["difference"] == pytest.approx(expected) and 0 < uf1["p_value"] <= 1 and uf1["exact_p"]
    assert uf1["low"] <= uf1["difference"] <= uf1["high"]
    # a folder holding predictions.csv only is not known to be one of ours: named by its path, selection unknown
    assert against["b_kind"] == "other predictions" and against["b_selection"].startswith("unknown")
    assert "file minus the other" in out and "file minus ours" not in out
    # beside a run's own results.json it is our run, selected as that run records; another --score's folder is
    # the file it scored, selected as that score recorded
    (run / "results.json").write_text(json.dumps({"schema": "mersuite.results/1", "selected_on_test": ""}))
    code, out, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--out", str(tmp_path / "out2"), "--against", str(run), "--partial")
    assert code == 0, err
    ours = json.loads((tmp_path / "out2" / "score" / "megc2019" / "theirs" / "results.json").read_text())["against"]
    assert (ours["b_kind"], ours["b_selection"]) == ("our run", "last epoch (the protocol's own held-out choice "
                                                                 "where it has one)")
    assert "file minus ours" in out and ours["comparisons"] == against["comparisons"]
    # a run of the authors' released weights (--weights) is not "our run", and a run's profile with its --set,
    # corpus and partial mark follow its selection
    from common.orchestration.score_runs import against_kind
    from common.evaluation.outside import read_outside

    ours_file = read_outside(run / "predictions.csv", CLASSES)
    recorded = {"schema": "mersuite.results/1", "selected_on_test": "", "profile": "paper",
                "overrides": {"train.epochs": 2}, "corpus": {"kind": "real"}, "folds": [{}] * 2, "folds_protocol": 68}
    (run / "results.json").write_text(json.dumps(recorded))
    kind, selection = against_kind(run, ours_file)
    assert kind == "our run" and selection.endswith("; profile paper + --set train.epochs=2; corpus real; partial "
                                                    "run: 2 of 68 folds, not comparable with published rows")
    (run / "results.json").write_text(json.dumps({**recorded, "released_weights": {"folder": "/w"}}))
    assert against_kind(run, ours_file)[0] == "the authors' released weights (our run evaluated them, not trained)"
    for crafted in ('"config": "x"', '"config": {"evaluation": [1]}', '"folds_protocol": 1e999'):  # not a run's
        (run / "results.json").write_text('{"schema": "mersuite.results/1", "selected_on_test": "", "folds": [{}], '
                                          f'{crafted}}}')
        assert against_kind(run, ours_file) == ("our run", "last epoch (the protocol's own held-out choice where it "
                                                           "has one)")
    (run / "results.json").write_text(json.dumps({"schema": "mersuite.results/1", "selected_on_test": ""}))
    scored = tmp_path / "out" / "score" / "megc2019" / "theirs"
    code, out, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--out", str(tmp_path / "out3"), "--against", str(scored))
    assert code == 0, err
    other = json.loads((tmp_path / "out3" / "score" / "megc2019" / "theirs" / "results.json").read_text())["against"]
    assert other["b_kind"] == "the scored file theirs.csv" and other["b_selection"].startswith("unknown")
    assert "file minus the other" in out and "our run" not in out
    # what that folder's results.json says is printed escaped: a terminal's control sequence never reaches it raw
    recorded = json.loads((scored / "results.json").read_text())
    (scored / "results.json").write_text(json.dumps({**recorded, "selection": "picked\x1b[2J by hand"}))
    code, out, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--out", str(tmp_path / "out4"), "--against", str(scored))
    assert code == 0, err
    assert "picked\\x1b[2J by hand" in out and "\x1b" not in out
    fourth = json.loads((tmp_path / "out4" / "score" / "megc2019" / "theirs" / "results.json").read_text())["against"]
    assert fourth["b_selection"] == "picked\\x1b[2J by hand"  # escaped where it is kept, and so on the report


@pytest.mark.parametrize("content, expected", [
    ("clip,subject,database,true,pred\nnegative_0,sub01,casme2,happy,0\n",
     "theirs.txt, line 2: true 'happy': expected a class of the track (negative, positive, surprise) or its index 0-2"),
    ("clip,subject,database,true\n", "theirs.txt, line 1: the header lacks pred"),
    ("casme2 sub01\nnegative_0 0 3\n", "theirs.txt, line 2: predicted class '3': expected 0, 1 or 2"),
    ("negative_0 0 1\n", "theirs.txt, line 1: a clip line before any '<database> <subject>' line"),
    ("casme2 sub01\nnegative_0 0 1\nnegative_0 0 2\n", "theirs.txt, line 3: casme2/sub01/negative_0 is listed again"),
])
def test_a_bad_line_is_refused_in_one_line_naming_the_file_and_line(capsys, dummy_corpus, tmp_path, content, expected):
    source = tmp_path / "theirs.txt"
    source.write_text(content)
    code, _, err = cli(capsys, "--score", str(source), "--benchmark", "megc2019", "--data-root", str(dummy_corpus))
    assert code == 2 and expected in one_error_line(err)


@pytest.mark.parametrize("argv, expected", [
    (["--score", "x.csv"], "--score FILE needs --benchmark TRACK"),
    (["--score", "x.csv", "--benchmark", "megc2019", "--paper", "dummy"], "does not go with --paper"),
    (["--score", "x.csv", "--benchmark", "all"], "--score FILE scores one track"),
    (["--score", "x.csv", "--benchmark", "megc2019", "--seeds", "2"], "--seeds is not used by --score"),
    (["--benchmark", "megc2019", "--partial"], "--partial and --against go with --score FILE"),
])
def test_score_options_are_checked(capsys, argv, expected):
    code, _, err = cli(capsys, *argv)
    assert code == 2 and expected in one_error_line(err)


def test_the_suites_own_shipped_predictions_are_scored_as_last_epoch_runs(tmp_path):
    """A file of docs/predictions/ is listed in the runs.json beside it: its selection is the last epoch, not
    "unknown"; a copy without the record, a file of another format or a record of another schema stays unknown."""
    import shutil

    from common.evaluation.outside import shipped_selection
    from common.leaderboard.score import SELECTION, _banner

    shipped = Path(__file__).resolve().parent.parent / "docs" / "predictions" / "liong2019-paper-seed0.csv"
    selection = shipped_selection(shipped, "predictions_csv")
    assert selection is not None and selection.startswith("last epoch: this suite's own run STSTNet, paper")
    assert "seed 0" in selection and "no epoch or model chosen on the test subjects' clips" in selection
    assert shipped_selection(shipped, "csv") is None
    copy = Path(shutil.copy(shipped, tmp_path / shipped.name))
    assert shipped_selection(copy, "predictions_csv") is None
    # the record beside a copy: the same bytes are the shipped run; a file of that name with other bytes is not
    shutil.copy(shipped.parent / "runs.json", tmp_path / "runs.json")
    assert (shipped_selection(copy, "predictions_csv") or "").startswith("last epoch")
    crafted = copy.read_text(encoding="utf-8").splitlines(keepends=True)
    crafted[1] = crafted[1].replace(",0,1,", ",1,1,", 1) if ",0,1," in crafted[1] else crafted[1] + "\n"
    copy.write_text("".join(crafted), encoding="utf-8")
    assert shipped_selection(copy, "predictions_csv") is None
    (tmp_path / "runs.json").write_text(json.dumps({"schema": "other/1", "runs": [{"file": shipped.name}]}))
    assert shipped_selection(copy, "predictions_csv") is None
    summary = {"source": {"path": str(shipped), "format": "predictions_csv"}, "track": {"name": "megc2019"},
               "corpus": {"kind": "real", "inputs": "frames"}, "matching": {"partial": False},
               "statistics": {"interval": {"how": "bootstrap"}}, "selection": selection}
    assert "selection of the predictions: last epoch (this suite's own run)" in _banner(summary)
    assert "selection of the predictions: unknown (the file does not say)" in _banner({**summary,
                                                                                       "selection": SELECTION})


def test_the_authors_published_log_is_scored_as_their_last_epoch_run_known_by_its_bytes(tmp_path, monkeypatch):
    """STSTNet's authors' MATLAB log (``STSTNet_logfile.txt``): its selection was "unknown", though their main.m
    predicts with each fold's last epoch. A file whose sha256 is a known published file's (``AUTHORS_FILES``) now
    says so, whose run it is in the banner; any other bytes of the same format stay unknown."""
    import hashlib
    import os

    from common.evaluation import outside
    from common.leaderboard.score import _banner

    log = tmp_path / "STSTNet_logfile.txt"
    log.write_text("casme2 sub01\nEP02_01f 1 1\n", encoding="utf-8")
    assert outside.known_selection(log, "ststnet_log") is None  # bytes no one published
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    monkeypatch.setitem(outside.AUTHORS_FILES, "ststnet_log", {digest: ("a log", "the last epoch predicts")})
    selection = outside.known_selection(log, "ststnet_log")
    assert selection == ("last epoch: the authors' own run as released, a log: the last epoch predicts; no epoch or "
                         "model chosen on the test subjects' clips")
    assert outside.known_selection(log, "csv") is None  # the sha256 is known for its format only
    summary = {"source": {"path": str(log), "format": "ststnet_log"}, "track": {"name": "megc2019"},
               "corpus": {"kind": "real", "inputs": "frames"}, "matching": {"partial": False},
               "statistics": {"interval": {"how": "bootstrap"}}, "selection": selection}
    assert "selection of the predictions: last epoch (the authors' own run as released)" in _banner(summary)
    log.write_text("casme2 sub01\nEP02_01f 1 0\n", encoding="utf-8")  # one prediction edited
    assert outside.known_selection(log, "ststnet_log") is None
    monkeypatch.undo()
    released = os.environ.get("MERSUITE_RELEASED")
    if released:  # the authors' file itself, where a copy is here
        selection = outside.known_selection(Path(released) / "ststnet" / "STSTNet_logfile.txt", "ststnet_log")
        assert (selection or "").startswith("last epoch: the authors' own run as released, STSTNet's MATLAB run")


def test_the_scores_predictions_csv_keeps_our_formats_class_probabilities_and_the_console_names_its_rules(
        capsys, dummy_corpus, tmp_path):
    """A file in our own format whose p_<class> columns hold each clip's class probabilities: the score's
    predictions.csv carries them (their columns were written empty, so a reader of the score lost them); a CSV's
    score_<class> columns, which need not be probabilities, are not carried. The console names the intervals' rule
    and what the fold mean averages over."""
    import csv

    clips = track_clips()
    pred = predicted(clips)
    probabilities = [[0.7 if k == p else 0.15 for k in range(3)] for p in pred]
    by_subject: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(clips):
        by_subject.setdefault((c["database"], c["subject"]), []).append(i)
    records = [{"fold": f"{db}_{s}", "status": "ok", "test_indices": idx, "keys": [clips[i]["key"] for i in idx],
                "datasets": [db] * len(idx), "subjects": [s] * len(idx), "y_true": [clips[i]["true"] for i in idx],
                "y_pred": [pred[i] for i in idx], "probabilities": [probabilities[i] for i in idx]}
               for (db, s), idx in by_subject.items()]
    ours = tmp_path / "ours" / "predictions.csv"
    ours.parent.mkdir()
    write_predictions_csv(ours, records, CLASSES)
    code, out, err = cli(capsys, "--score", str(ours), "--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    with (tmp_path / "out" / "score" / "megc2019" / "predictions" / "predictions.csv").open(newline="") as handle:
        rows = {r["key"]: r for r in csv.DictReader(handle)}
    for c, p in zip(clips, probabilities):
        assert [float(rows[c["key"]][f"p_{name}"]) for name in CLASSES] == pytest.approx(p)
    assert "intervals: 95% percentile bootstrap over subjects" in out and "no MEGC number" in out
    code, out, err = cli(capsys, "--score", str(write_csv(tmp_path / "theirs.csv", clips, pred)), "--benchmark",
                         "megc2019", "--data-root", str(dummy_corpus), "--out", str(tmp_path / "out"))
    assert code == 0, err
    with (tmp_path / "out" / "score" / "megc2019" / "theirs" / "predictions.csv").open(newline="") as handle:
        assert all(r[f"p_{name}"] == "" for r in csv.DictReader(handle) for name in CLASSES)
