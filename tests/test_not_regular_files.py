"""A folder or a named pipe where the suite expects one of its files: one clear line naming the path and that a
regular file was expected, or (for a run's own records) the thing written around or over as a damaged record;
never a traceback, never a wait on a pipe, never advice about free disk space.

Each call that could wait on a pipe runs in a thread joined with a timeout (:func:`_bounded`): a regression fails
the test in seconds, and the pipe is then opened for writing so the waiting thread ends.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dummy_paper
from common.errors import RunError
from common.files import NotRegularFile, zip_members
from common.orchestration import run_folders
from common.running import profiles, runner

KIND = {"profile": "paper", "seed": 0, "corpus": "real", "data_root": "/data", "weights": None, "overrides": {}}
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")


def _bounded(call: Callable[[], Any], pipe: Path | None = None, seconds: float = 10) -> Any:
    """``call()``'s value, or the exception it raised, within ``seconds``; an AssertionError when it still runs
    then (a reader waiting on ``pipe``: the pipe is opened for writing, so that the waiting thread ends)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed back to the test, which checks what it is
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if pipe is not None:  # release the reader blocked on the pipe's open
            fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        raise AssertionError(f"still running after {seconds} s (waiting on {pipe})")
    if "error" in outcome:
        return outcome["error"]
    return outcome["value"]


# --- zip_members: an .npz, an .xlsx, a .keras archive -------------------------------------------------------------


@needs_fifo
def test_zip_members_refuses_a_pipe_a_folder_and_a_link_to_a_pipe_at_once(tmp_path):
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("a.txt", "a")
    assert [info.filename for info in zip_members(good)] == ["a.txt"]
    pipe, folder, link = tmp_path / "pipe.npz", tmp_path / "folder.npz", tmp_path / "link.npz"
    os.mkfifo(pipe)
    folder.mkdir()
    link.symlink_to(pipe)
    cases = ((pipe, "a named pipe", pipe), (folder, "a folder", None), (link, "a named pipe", pipe))
    for path, kind, blocking in cases:
        error = _bounded(functools.partial(zip_members, path), blocking)
        # NotRegularFile is an OSError: every caller of zip_members turns one into a line naming the file
        assert isinstance(error, NotRegularFile), f"{path.name}: {error!r}"
        assert str(error) == f"{kind}, not a regular file"


# --- a run folder's run.json ---------------------------------------------------------------------------------------


@needs_fifo
def test_a_folder_or_a_pipe_as_run_json_is_another_kind_never_written_over(tmp_path):
    out = tmp_path / "reports"
    (out / "p" / run_folders.KIND_FILE).mkdir(parents=True)
    (out / "q").mkdir()
    os.mkfifo(out / "q" / run_folders.KIND_FILE)
    for paper, kind in (("p", "a folder"), ("q", "a named pipe")):
        held = _bounded(functools.partial(run_folders.held_kind, out / paper), out / paper / run_folders.KIND_FILE)
        assert held == {"profile": f"unreadable run.json ({kind}, not a regular file)"}
        # the run's log line says why in one line, without "seed ?, corpus ? at ?"
        assert run_folders.describe(held) == f"unreadable run.json ({kind}, not a regular file)"
        folder = run_folders.paper_folder(out, paper, KIND)
        assert folder == out / f"{paper}-paper-real"  # as a damaged run.json: the run writes beside it
        run_folders.record_kind(folder, KIND)  # no traceback: the folder or pipe is left as it is
        assert run_folders.held_kind(folder) == {k: v for k, v in KIND.items()}
    assert (out / "p" / run_folders.KIND_FILE).is_dir()


# --- a fold record ---------------------------------------------------------------------------------------------------


def _a_record_replaced(corpus: Path, out: Path, replace) -> tuple[Any, Any, Path]:
    """A finished run of the dummy paper's first experiment (its Keras-free fold) whose fold casme2_sub01's record
    was then replaced by ``replace(path)``: (the experiment, the run's settings, the record's path)."""
    fast = dataclasses.replace(dummy_paper.EXPERIMENTS[0], run_fold=dummy_paper.nearest_centroid_fold)
    run = profiles.resolve_run(data_root=corpus, profile="smoke", seed=1, out=out, loader=dummy_paper.load)
    runner.run_experiment("dummy", fast, run)
    record = out / "dummy" / fast.name / "folds" / "casme2_sub01.json"
    record.unlink()
    replace(record)
    dummy_paper.reset_hooks()
    return fast, run, record


def test_a_folder_as_a_fold_record_stops_the_run_before_any_fold_in_one_line(dummy_corpus, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="common")
    fast, run, record = _a_record_replaced(dummy_corpus, tmp_path / "out", Path.mkdir)
    with pytest.raises(RunError) as raised:
        runner.run_experiment("dummy", fast, run)
    message = str(raised.value)
    assert message == (f"{record}: a folder, not a regular file; expected the fold's record (a file) or nothing "
                       "there: move the folder away and run the same command again")
    assert "free space" not in message
    assert dummy_paper.HOOKS["ran"] == set()  # stopped before any fold trained
    assert record.is_dir()  # left as it is


@needs_fifo
def test_a_pipe_as_a_fold_record_is_a_damaged_record_recomputed(dummy_corpus, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="common")
    fast, run, record = _a_record_replaced(dummy_corpus, tmp_path / "out", os.mkfifo)
    result = _bounded(lambda: runner.run_experiment("dummy", fast, run), record, seconds=120)
    assert not isinstance(result, BaseException), repr(result)
    assert dummy_paper.HOOKS["ran"] == {"casme2_sub01"}  # only the damaged fold again
    assert any("stored casme2_sub01.json is damaged (cannot be read (a named pipe, not a regular file)); "
               "recomputing" in line for line in caplog.messages)
    assert record.is_file()


def test_a_write_that_fails_says_what_to_do_for_its_own_cause(dummy_corpus, tmp_path, monkeypatch):
    """A folder where results.json goes is to be moved away (an atomic write cannot replace it), a full disk calls
    for space: the advice names the cause that is there, where every failed write was told to free space."""
    import errno

    from common.errors import WorkSavedError

    out = tmp_path / "out"
    fast, run, _ = _a_record_replaced(dummy_corpus, out, lambda path: None)
    results = out / "dummy" / fast.name / "results.json"
    results.unlink()
    results.mkdir()
    with pytest.raises(WorkSavedError) as raised:
        runner.run_experiment("dummy", fast, run)
    message = str(raised.value)
    assert f"cannot write {results}: " in message and f"move the folder {results} away" in message, message
    assert "free space" not in message and "finished fold record(s) are saved in" in message
    results.rmdir()

    def full(path, *args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "write_json_atomic", full)
    with pytest.raises(WorkSavedError, match=r"No space left on device; free space; 4 finished fold record\(s\) are "
                                             r"saved in .*; then run the same command again"):
        runner.run_experiment("dummy", fast, run)
