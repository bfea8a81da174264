"""Trees, files and outputs from outside, crafted here: a data root of links to itself is walked once; a named pipe
or a device where a file is expected is refused in one line, never waited on; a symbolic link inside ``--out``
is refused before any work (docs/running.md, "Where a run writes"); a CSV cell a spreadsheet would run as a
formula is written safe, and our readers read it back as it was; a run kind leaves out the execution settings."""
from __future__ import annotations

import contextlib
import csv
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import dummy_paper
import run_all
from common.datasets import discovery
from common.files import (LOCK_NAME, NotRegularFile, check_inside, csv_cell, csv_text, csv_writer, folder_lock,
                          open_regular, OutputError)

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and links of a POSIX system")


@contextlib.contextmanager
def within(seconds: int):
    """Fail (not hang) when the block takes longer than ``seconds``: an open() waiting on a pipe is interrupted."""
    def stop(signum, frame):
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------------------------------
# The tree walk


def test_links_back_to_the_data_root_are_walked_once(tmp_path):
    root = tmp_path / "data"
    (root / "CASME2" / "Cropped").mkdir(parents=True)
    for k in range(8):  # 8 links to the root: 8^6 = 262,144 folders per loader when each is followed
        (root / f"loop{k}").symlink_to(root, target_is_directory=True)
    (root / "CASME2" / "up").symlink_to(root, target_is_directory=True)
    elsewhere = tmp_path / "elsewhere" / "SAMM"
    elsewhere.mkdir(parents=True)
    (root / "samm").symlink_to(elsewhere, target_is_directory=True)  # a link to another folder: still walked
    started = time.perf_counter()
    with within(20):
        found = discovery.walk_dirs(root)
        with pytest.raises(discovery.DatabaseNotFound):
            from common.datasets import casme2

            casme2.find(root)
    assert time.perf_counter() - started < 10
    assert sorted(p.relative_to(root).as_posix() for p in found) == [".", "CASME2", "CASME2/Cropped", "samm"]


# --------------------------------------------------------------------------------------------------
# Regular files only


def test_a_pipe_or_a_device_where_a_file_is_expected_is_refused_at_once(tmp_path):
    from common.evaluation.records import load_fold_record
    from common.evaluation.statistics import read_predictions_csv
    from common.orchestration import run_folders

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with within(10):
        for path, kind in ((pipe, "a named pipe"), (Path(os.devnull), "a character device"), (tmp_path, "a folder")):
            with pytest.raises(NotRegularFile, match=f"^{kind}, not a regular file$"):
                open_regular(path)
        # a run's own files: an experiment's results.json and a fold record that are pipes
        out = tmp_path / "reports"
        folds = out / "p" / "exp" / "folds"
        folds.mkdir(parents=True)
        os.mkfifo(out / "p" / "exp" / "results.json")
        os.mkfifo(folds / "f1.json")
        assert run_folders.held_kind(out / "p") is None  # unreadable: no kind read from it, and no wait
        record, why = load_fold_record(folds / "f1.json")
        assert record is None and why == "cannot be read (a named pipe, not a regular file)"
        with pytest.raises(ValueError, match=r"pipe: cannot be read as predictions.csv \(a named pipe, not a regular"):
            read_predictions_csv(pipe)


# --------------------------------------------------------------------------------------------------
# Nothing written outside --out


def test_a_link_inside_out_is_refused_before_any_work(capsys, dummy_corpus, tmp_path):
    out, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "dummy").symlink_to(elsewhere, target_is_directory=True)
    code = run_all.main(["--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke", "--out",
                         str(out)], registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert f"{out / 'dummy'} is a symbolic link (to {elsewhere}), which would put this run's files outside" in lines[0]
    assert not any(elsewhere.iterdir()) and (out / "dummy").is_symlink()  # nothing written, the link kept
    # deeper: a fold's work folder; a link to another folder of --out keeps the files inside, and is followed
    folds = out / "p" / "exp" / "folds"
    folds.mkdir(parents=True)
    (folds / "f1").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutputError, match="f1 is a symbolic link"):
        check_inside(out, folds)
    (folds / "f1").unlink()
    (out / "archive" / "p").mkdir(parents=True)
    (out / "q").symlink_to(out / "archive" / "p", target_is_directory=True)
    check_inside(out, out / "q" / "exp" / "folds")
    linked_out = tmp_path / "linked"
    linked_out.symlink_to(out, target_is_directory=True)
    check_inside(linked_out, linked_out / "p" / "exp" / "folds")  # --out itself may be a link: the user named it



def dummy_run(out: Path, corpus: Path, *extra: str) -> int:
    return run_all.main(["--paper", "dummy", "--data-root", str(corpus), "--profile", "smoke", "--out", str(out),
                         *extra], registry=dummy_paper.REGISTRY, loader=dummy_paper.load)


def test_a_link_or_a_pipe_as_a_lock_file_is_refused_never_followed(capsys, dummy_corpus, tmp_path):
    marker = tmp_path / "marker"
    marker.write_text("mine")
    out = tmp_path / "reports"
    folder = out / "dummy" / "toy_loso"
    folder.mkdir(parents=True)
    (folder / LOCK_NAME).symlink_to(marker)  # a link to a file elsewhere: taking the lock truncated that file
    assert dummy_run(out, dummy_corpus) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{folder}: its lock file {LOCK_NAME} is a symbolic link, not a regular file" in lines[0]
    assert marker.read_text() == "mine" and (folder / LOCK_NAME).is_symlink()
    # a link to no file creates none; a named pipe is refused at once, never waited on
    for make, kind in ((lambda p: p.symlink_to(tmp_path / "created"), "a symbolic link"), (os.mkfifo, "a named pipe")):
        lock = tmp_path / kind.replace(" ", "-") / LOCK_NAME
        lock.parent.mkdir()
        make(lock)
        with within(10), pytest.raises(OutputError, match=f"its lock file {LOCK_NAME} is {kind}, not a regular file"):
            with folder_lock(lock.parent):
                pass
    assert not (tmp_path / "created").exists()


def test_a_link_or_a_pipe_as_a_folds_training_history_is_replaced_never_followed(dummy_corpus, tmp_path):
    marker = tmp_path / "marker"
    marker.write_text("mine")
    out = tmp_path / "reports"
    work = out / "dummy" / "toy_loso" / "folds"
    histories = [work / fold / "dummy_mlp_history.csv" for fold in ("casme2_sub01", "casme2_sub02", "samm_006")]
    for history in histories:
        history.parent.mkdir(parents=True)
    histories[0].symlink_to(marker)  # Keras's CSVLogger wrote the history into the file it points to
    histories[1].symlink_to(tmp_path / "created")  # ... or created it there
    os.mkfifo(histories[2])  # ... or waited for a reader of the pipe
    with within(60):
        assert dummy_run(out, dummy_corpus) == 0
    assert marker.read_text() == "mine" and not (tmp_path / "created").exists()
    for history in histories:
        assert history.is_file() and not history.is_symlink() and history.read_text().startswith("epoch,")


def test_a_link_or_a_pipe_as_the_workers_log_is_refused_before_any_fold(capsys, dummy_corpus, tmp_path):
    from common.errors import RunError
    from common.orchestration.parallel import WORKER_OUTPUT, LocalWorkers

    marker = tmp_path / "marker"
    marker.write_text("mine")
    out = tmp_path / "reports"
    out.mkdir()
    (out / WORKER_OUTPUT).symlink_to(marker)  # the workers' output was appended to the file it points to
    assert dummy_run(out, dummy_corpus, "--workers", "2") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{out / WORKER_OUTPUT}: a symbolic link, not a regular file" in lines[0], lines
    assert marker.read_text() == "mine"
    pipe = tmp_path / "pipe" / WORKER_OUTPUT  # each worker waited at its start for a reader of the pipe
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    with within(10), pytest.raises(RunError, match=f"{WORKER_OUTPUT}: a named pipe, not a regular file"):
        LocalWorkers(2, output=pipe)


def test_a_link_in_the_cache_sends_no_entry_outside_it(monkeypatch, tmp_path, caplog):
    from common.preprocessing import cache

    outside = tmp_path / "outside"
    root = tmp_path / "cache" / "stages"
    root.mkdir(parents=True)
    (root / "stage").symlink_to(outside, target_is_directory=True)
    key = cache.cache_key("stage", {"clip": 1}, {})
    damaged = outside / key[:2] / f"{key}.npz"  # a file elsewhere that reads as a damaged entry: it was removed
    damaged.parent.mkdir(parents=True)
    damaged.write_text("mine")
    monkeypatch.setattr(cache._NESTED, "write_warned", False, raising=False)  # the warning is once per thread
    assert cache.cached("stage", {"clip": 1}, {}, lambda: np.arange(3), root=root).tolist() == [0, 1, 2]
    assert cache.cached("stage", {"clip": 2}, {}, lambda: np.arange(2), root=root).tolist() == [0, 1]
    assert damaged.read_text() == "mine" and [p.name for p in outside.rglob("*")] == [key[:2], damaged.name]
    assert f"{root / 'stage' / key[:2]} is {outside / key[:2]}, outside the cache {root}" in caplog.text


def test_a_link_in_the_cache_sends_no_decoded_video_outside_it(tmp_path):
    import cv2

    from common.deployment.manifest import DeployError
    from common.deployment.recording import decode_video

    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (32, 32))
    assert writer.isOpened(), "OpenCV cannot write mp4v"
    for value in (0, 128, 255):
        writer.write(np.full((32, 32, 3), value, np.uint8))
    writer.release()
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    (cache / "recordings").symlink_to(outside, target_is_directory=True)  # the frames were decoded into outside/
    with pytest.raises(DeployError, match=f"its frames go to {cache / 'recordings'}/.*, outside the cache {cache}, "
                                          "through a symbolic link; remove the link"):
        decode_video(video, cache)
    assert not any(outside.iterdir())


def test_a_link_in_the_cache_sends_no_synthetic_corpus_outside_it(monkeypatch, tmp_path):
    from common.datasets.synthetic import default_corpus

    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    (cache / "synthetic").symlink_to(outside, target_is_directory=True)  # the corpus was written into outside/
    monkeypatch.setenv("MERSUITE_CACHE", str(cache))
    with pytest.raises(OutputError, match=f"^the cache {cache}: {cache / 'synthetic'}/smoke-.* is {outside}/smoke-.*, "
                                          "outside it, through a symbolic link; remove the link"):
        default_corpus("smoke")
    assert not any(outside.iterdir())


def test_a_link_in_a_site_folder_is_refused_before_any_work(capsys, tmp_path):
    marker = tmp_path / "marker"
    marker.write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("a site written before")
    (site / ".mersuite-site").symlink_to(marker)  # the marker was written into the file it points to
    assert run_all.main(["--site", str(site)]) == 2
    assert capsys.readouterr().err.strip() == (f"run_all.py: error: --site {site}: .mersuite-site is a symbolic link "
                                               f"(to {marker}); expected the site's own file or nothing there: remove "
                                               "the link")
    assert marker.read_text() == "mine"
    (site / ".mersuite-site").unlink()
    (site / ".mersuite-site").write_text("a results site")
    (site / "entries").symlink_to(elsewhere, target_is_directory=True)  # rmtree refused it: a line naming no link
    assert run_all.main(["--site", str(site)]) == 2
    assert f"--site {site}: entries is a symbolic link (to {elsewhere})" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# CSV cells


FORMULAS = ("=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=quoted")


def test_formula_like_cells_are_written_safe_and_numbers_stay_numbers():
    for text in FORMULAS:
        assert csv_cell(text).startswith("'") and csv_text(csv_cell(text)) == text
    for value in (-1, 2.5, "-1", "+0.5", "-1e-3", "-inf", "plain", "", None):
        assert csv_cell(value) == value
    lines = []
    writer = csv_writer(SimpleNamespace(write=lines.append))
    writer.writerow(["=1+2", -3, "-x"])
    assert lines == ["'=1+2,-3,'-x\r\n"]


def test_our_csvs_read_their_escaped_cells_back_to_the_same_keys(tmp_path):
    from common.deployment.export import training_predictions_text, read_training_predictions
    from common.evaluation.epoch_selection import EPOCH_PREDICTIONS, read_epoch_csv, write_epoch_csv
    from common.evaluation.outside import read_outside
    from common.evaluation.records import write_predictions_csv
    from common.evaluation.statistics import read_predictions_csv

    subjects, clips = ["-s1", "@s2"], ["=cmd|' /C calc'!A0", "+clip"]
    keys = [f"casme2/{s}/{c}" for s, c in zip(subjects, clips)]
    record = {"fold": "=f1", "status": "ok", "test_indices": [0, 1], "keys": keys, "datasets": ["casme2"] * 2,
              "subjects": subjects, "y_true": [0, 1], "y_pred": [1, 1], "probabilities": [[0.2, 0.8], [0.4, 0.6]],
              "extra": {EPOCH_PREDICTIONS: {"model": "m", "y_pred": [[0, 1], [1, 1]]}}}
    path = tmp_path / "predictions.csv"
    write_predictions_csv(path, [record], ("negative", "positive"))
    cells = [row for row in csv.reader(path.read_text(encoding="utf-8").splitlines())]
    assert cells[1][0] == "'=f1" and cells[1][5] == "'-s1" and cells[2][5] == "'@s2"
    read = read_predictions_csv(path)
    assert read.subjects.tolist() == subjects and read.keys.tolist() == keys and read.folds.tolist() == ["=f1"] * 2
    write_epoch_csv(tmp_path / "epochs.csv", [record])
    assert set(read_epoch_csv(tmp_path / "epochs.csv")) == {("=f1", key) for key in keys}
    # a person's CSV of clips, written as the suite writes its own: the clip names come back as they were
    theirs = tmp_path / "theirs.csv"
    with open(theirs, "w", newline="", encoding="utf-8") as handle:
        writer = csv_writer(handle)
        writer.writerow(["clip", "subject", "database", "true", "pred"])
        writer.writerows([[clip, "sub01", "casme2", "negative", "positive"] for clip in clips])
    outside = read_outside(theirs, ("negative", "positive"))
    assert [row.clip for row in outside.rows] == clips
    # an export's training_predictions.csv
    samples = [SimpleNamespace(key=k, dataset="casme2", subject=s, clip=c, onset=1, apex=None, offset=9, fps=200.0)
               for k, s, c in zip(keys, subjects, clips)]
    selection = SimpleNamespace(class_names=("=neg", "pos"), samples=samples, labels=np.array([0, 1]))
    (tmp_path / "training_predictions.csv").write_text(
        training_predictions_text(selection, np.array([0, 1]), np.array([[0.3, 0.7], [0.9, 0.1]])), encoding="utf-8")
    rows = read_training_predictions(tmp_path)
    assert [(r["key"], r["subject"], r["clip"], r["label"]) for r in rows] == [
        (k, s, c, label) for k, s, c, label in zip(keys, subjects, clips, ("=neg", "pos"))]
    np.testing.assert_allclose(rows[1]["probabilities"], [0.9, 0.1])


# --------------------------------------------------------------------------------------------------
# A run's kind


def test_execution_settings_are_no_part_of_a_runs_kind(tmp_path):
    from common.orchestration import run_folders
    from common.running.profiles import RunSpec

    def kind(**overrides):
        return run_folders.run_kind(RunSpec(profile="smoke", root=tmp_path, synthetic=True, out=tmp_path,
                                            overrides=overrides))

    assert kind(**{"train.fold_parallel": 4}) == kind(**{"train.fold_parallel": 2}) == kind()
    assert kind(**{"train.epochs": 3}) != kind()
    out = tmp_path / "reports"
    started = {**kind(), "overrides": {"train.fold_parallel": "4"}}  # a folder recorded with it, as it was
    run_folders.record_kind(out / "p", started)
    assert run_folders.paper_folder(out, "p", kind(**{"train.fold_parallel": 2})) == out / "p"
    assert run_folders.paper_folder(out, "p", kind(**{"train.epochs": 3})) != out / "p"
