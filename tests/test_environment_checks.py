"""The machine a command runs on: a disk that is full (found before any work: one line, exit 2; found after
folds finished: one line, exit 3, the folds kept and reused), a Keras backend that cannot be loaded (one line
naming it and what to install, in every command), a locale that cannot encode a path.

A full disk is simulated where data reaches it, at ``os.fsync`` of a file under one folder (the kernel's
ENOSPC; creating an empty file takes no free block, which is why a probe that writes nothing passed a full
disk). The open file's path is read from ``/proc/self/fd``, so these tests run where that exists (Linux).
"""
from __future__ import annotations

import errno
import io
import json
import os
import sys
from pathlib import Path

import pytest

import dummy_paper
import run_all
from common import environment
from test_cli import cli, one_error_line

pytestmark = pytest.mark.dummy_databases("casme2", "samm")
NO_SPACE = os.strerror(errno.ENOSPC)
FOLDS = {"casme2_sub01", "casme2_sub02", "samm_006", "samm_007"}  # the dummy's toy_loso folds (HOOKS["ran"])


def disk_full(monkeypatch, folder: Path, name: str = "") -> None:
    """``os.fsync`` of a file under ``folder`` (whose name holds ``name``) fails as a full disk's would."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to tell which file a descriptor writes (Linux)")
    real = os.fsync

    def fsync(fd):
        target = os.readlink(f"/proc/self/fd/{fd}")
        if target.startswith(str(folder)) and name in Path(target).name:
            raise OSError(errno.ENOSPC, NO_SPACE)
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def run_argv(corpus: Path, out: Path) -> list[str]:
    return ["--paper", "dummy", "--data-root", str(corpus), "--profile", "smoke", "--out", str(out)]


def test_a_full_disk_under_out_is_one_line_before_any_training(capsys, monkeypatch, dummy_corpus, tmp_path):
    disk_full(monkeypatch, tmp_path / "out")
    code, _, err = cli(capsys, *run_argv(dummy_corpus, tmp_path / "out"))
    line = one_error_line(err)
    assert code == 2 and str(tmp_path / "out") in line and NO_SPACE in line
    assert not dummy_paper.HOOKS["ran"] & FOLDS, "a fold trained"


def test_a_full_disk_under_the_cache_is_one_line_before_any_training(capsys, monkeypatch, dummy_corpus, tmp_path):
    monkeypatch.setenv("MERSUITE_CACHE", str(tmp_path / "cache"))
    disk_full(monkeypatch, tmp_path / "cache")
    code, _, err = cli(capsys, *run_argv(dummy_corpus, tmp_path / "out"))
    line = one_error_line(err)
    assert code == 2 and "MERSUITE_CACHE" in line and NO_SPACE in line


def test_a_full_disk_under_a_benchmark_is_one_line_before_any_training(capsys, monkeypatch, dummy_corpus, tmp_path):
    disk_full(monkeypatch, tmp_path / "out")
    code, _, err = cli(capsys, "--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--profile", "smoke",
                       "--out", str(tmp_path / "out"), "--methods", "dummy", "--max-folds", "1")
    line = one_error_line(err)
    assert code == 2 and NO_SPACE in line


@pytest.mark.dummy_databases("megc2019")
def test_a_full_disk_under_an_export_is_one_line_before_its_training(capsys, monkeypatch, smoke_corpus, tmp_path):
    disk_full(monkeypatch, tmp_path)
    code = run_all.main(["--paper", "dummy_frames", "--profile", "smoke", "--data-root", str(smoke_corpus),
                         "--export", str(tmp_path / "model")], registry=dummy_paper.DEPLOY_REGISTRY)
    line = one_error_line(capsys.readouterr().err)
    assert code == 2 and f"cannot write into {tmp_path} ({NO_SPACE})" in line
    assert "export" not in dummy_paper.HOOKS["ran"]


def test_a_disk_that_fills_after_the_folds_exits_3_and_keeps_them_for_the_rerun(capsys, monkeypatch, dummy_corpus,
                                                                                tmp_path):
    out = tmp_path / "out"
    disk_full(monkeypatch, out, "results.json")
    code, _, err = cli(capsys, *run_argv(dummy_corpus, out))
    line = one_error_line(err)
    assert dummy_paper.HOOKS["ran"] >= FOLDS  # every fold trained before the disk filled
    assert code == 3 and "results.json" in line and NO_SPACE in line
    assert "4 finished fold record(s) are saved in" in line and "run the same command again" in line
    folds = sorted((out / "dummy" / "toy_loso" / "folds").glob("*.json"))
    assert len(folds) == 4 and all(json.loads(p.read_text())["status"] == "ok" for p in folds)
    monkeypatch.undo()  # space freed: the same command reuses every fold and writes what was missing
    dummy_paper.reset_hooks()
    code, out_text, err = cli(capsys, *run_argv(dummy_corpus, out))
    assert code == 0, err
    assert out_text.count("reusing") == 4 and not dummy_paper.HOOKS["ran"] & FOLDS
    assert (out / "dummy" / "toy_loso" / "results.json").is_file()


@pytest.fixture()
def missing_backend(monkeypatch):
    """KERAS_BACKEND=jax with jax's package absent (whatever this machine has installed); Keras not imported
    yet, as at the start of a command (it is imported in this test process)."""
    monkeypatch.setitem(environment.BACKENDS, "jax", ("mersuite_no_such_package", "pip install jax"))
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.delitem(sys.modules, "keras")


@pytest.mark.parametrize("argv", [
    ["--paper", "dummy"],
    ["--paper", "dummy", "--estimate"],
    ["--benchmark", "megc2019"],
    ["--paper", "dummy", "--export", "model"],
    ["--predict", "clip", "--model", "model"],
    ["--check-data", "."],
    ["--list"],
])
def test_a_backend_that_is_not_installed_is_named_in_every_command(capsys, missing_backend, argv):
    code, _, err = cli(capsys, *argv)
    line = one_error_line(err)
    assert code == 2 and "Keras backend 'jax' (KERAS_BACKEND) cannot be loaded" in line
    assert "'mersuite_no_such_package' is not installed; pip install jax" in line


def test_an_unknown_backend_is_named_with_the_ones_keras_knows(capsys, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflw")
    monkeypatch.delitem(sys.modules, "keras")
    code, _, err = cli(capsys, "--paper", "dummy")
    line = one_error_line(err)
    assert code == 2 and "Keras backend 'tensorflw' (KERAS_BACKEND) is not one Keras knows" in line
    assert "tensorflow, jax, torch" in line


def test_the_backend_named_by_keras_json_is_the_one_checked(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delitem(sys.modules, "keras")
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "torch"}), encoding="utf-8")
    assert environment.keras_backend_name() == "torch"
    (tmp_path / "keras.json").write_text("not json", encoding="utf-8")
    assert environment.keras_backend_name() == "tensorflow"


def test_a_locale_that_cannot_encode_a_path_prints_it_with_escapes(monkeypatch, tmp_path):
    """stderr in ASCII (a C or Latin-1 locale's terminal): the one error line names the path, escaped."""
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(raw, encoding="ascii"))
    code = run_all.main(["--paper", "dummy", "--data-root", str(tmp_path / "données")], registry=dummy_paper.REGISTRY)
    sys.stderr.flush()
    text = raw.getvalue().decode("ascii")
    assert code == 2 and "donn\\xe9es" in text and "Traceback" not in text


def test_a_fold_record_names_the_device_and_backend_once_keras_is_loaded(monkeypatch):
    """``trained_on``, a fold record's device and backend (shipped with the fold, so that a run trained on several
    machines says which fold ran where): nothing before Keras is loaded, then :func:`device_label`'s two words."""
    from common import environment

    import keras

    monkeypatch.setattr(environment, "_TRAINED_ON", {})
    with monkeypatch.context() as before_keras:  # a process that has not loaded Keras (the module hidden, not reloaded)
        before_keras.delitem(sys.modules, "keras")
        assert environment.trained_on() == {}

    device, backend = environment.device_label()
    assert environment.trained_on() == {"device": device, "backend": backend}
    assert device.startswith(("CPU: ", "GPU: ")) and backend.startswith(keras.backend.backend())
