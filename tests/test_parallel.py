"""Folds over processes and machines: --workers N and a Dask cluster give the sequential run's
results; a killed worker costs only its fold and the rerun resumes."""
from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import logging
import os

import pytest

import dummy_paper
import worker_probe
import run_all
from common.errors import RunError
from common.running import profiles, runner
from common.orchestration import parallel

EXPERIMENT = dummy_paper.PARALLEL.EXPERIMENTS[0]
# the runner reads the dummy paper's databases (tests/dummy_paper.py)
# every run of this file reads the dummy paper's databases
resolve_run = functools.partial(profiles.resolve_run, loader=dummy_paper.load)
run_experiment = runner.run_experiment
REGISTRY = dummy_paper.PARALLEL_REGISTRY
REF = parallel.ExperimentRef("dummy_parallel", "toy_parallel", registry=REGISTRY)
FOLDS = ["casme2_sub01", "casme2_sub02", "samm_006", "samm_007"]
# what a fold record measures rather than computes: times, the process's memory and cache activity
MEASURED = ("finished", "seconds", "seconds_by_fold", "extra", "max_rss_mb", "cache")




def _sequential(dummy_corpus, out, seed=3):
    return run_experiment("dummy_parallel", EXPERIMENT, resolve_run(data_root=dummy_corpus, profile="smoke", seed=seed,
                          out=out))


def _folder(out):
    return out / "dummy_parallel" / "toy_parallel"


def _csv(out):
    return (_folder(out) / "predictions.csv").read_text()


def test_workers_give_the_sequential_predictions_and_a_killed_worker_costs_only_its_fold(
        dummy_corpus, tmp_path, monkeypatch, capsys):
    sequential = _sequential(dummy_corpus, tmp_path / "sequential")
    _sequential(dummy_corpus, tmp_path / "other_seed", seed=4)
    assert _csv(tmp_path / "other_seed") != _csv(tmp_path / "sequential")  # the folds depend on the seed

    out = tmp_path / "workers"
    argv = ["--paper", "dummy_parallel", "--data-root", str(dummy_corpus), "--profile", "smoke", "--seed", "3",
            "--out", str(out), "--workers", "2"]
    monkeypatch.setenv(dummy_paper.KILL_ENV, f"samm_006:{os.getpid()}")  # its worker is killed mid-fold
    monkeypatch.setenv(dummy_paper.FAIL_ENV, "samm_007")  # raises in its worker
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,6")  # two GPUs listed: one per worker
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    assert run_all.main(argv, registry=REGISTRY, loader=dummy_paper.load) == 3
    assert os.environ.get("TF_FORCE_GPU_ALLOW_GROWTH") == "true"  # this process shares the cards with its workers
    captured = capsys.readouterr()
    assert "4 fold(s) to compute in 2 worker process(es), GPUs 5, 6" in captured.out
    assert "samm_006: failed in" in captured.out and "died" in captured.out
    assert "2 fold(s) are not in the scores" in captured.err and "samm_006 (failed)" in captured.err
    folds = {f: json.loads((_folder(out) / "folds" / f"{f}.json").read_text()) for f in FOLDS}
    assert folds["samm_006"]["status"] == "failed" and "ended abruptly" in folds["samm_006"]["reason"]
    assert "ended abruptly" in (_folder(out) / "folds" / "samm_006" / "error.txt").read_text()
    # a fold that raises is recorded as in a sequential run: the reason, the traceback in error.txt
    assert folds["samm_007"]["status"] == "failed"
    assert folds["samm_007"]["reason"] == "RuntimeError: planned failure in samm_007"
    assert "Traceback" in (_folder(out) / "folds" / "samm_007" / "error.txt").read_text()
    assert all(folds[f]["status"] == "ok" for f in ("casme2_sub01", "casme2_sub02"))  # the other folds went on
    assert {folds[f]["extra"]["cuda_visible_devices"] for f in ("casme2_sub01", "casme2_sub02")} == {"5", "6"}
    # a worker drops TensorFlow's retracing warning as the CLI's process does (a fold traces its predict once)
    assert not any(folds[f]["extra"]["retracing_warning_shown"] for f in ("casme2_sub01", "casme2_sub02"))
    for f in ("casme2_sub01", "casme2_sub02"):  # the same fold files as the sequential run's
        stored = json.loads((_folder(tmp_path / "sequential") / "folds" / f"{f}.json").read_text())
        assert {k: v for k, v in folds[f].items() if k not in MEASURED} == \
            {k: v for k, v in stored.items() if k not in MEASURED}

    monkeypatch.delenv(dummy_paper.KILL_ENV)
    monkeypatch.delenv(dummy_paper.FAIL_ENV)
    # the rerun computes only the two failed folds
    assert run_all.main(argv, registry=REGISTRY, loader=dummy_paper.load) == 0
    captured = capsys.readouterr()
    assert "2 fold(s) to compute in 2 worker process(es)" in captured.out
    assert "samm_006: failed earlier (the worker process computing this fold ended abruptly" in captured.out
    results = json.loads((_folder(out) / "results.json").read_text())
    assert [f["reused"] for f in results["folds"]] == [True, True, False, False]
    assert _csv(out) == _csv(tmp_path / "sequential")
    assert results["metrics"] == sequential.summary["metrics"]


def test_a_local_dask_cluster_gives_the_sequential_predictions(dummy_corpus, tmp_path, caplog):
    distributed = pytest.importorskip("distributed", reason="the 'cluster' extra (make test installs it)")
    sequential = _sequential(dummy_corpus, tmp_path / "sequential")
    caplog.set_level(logging.INFO, logger="common")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        result = run_experiment("dummy_parallel", EXPERIMENT, resolve_run(data_root=dummy_corpus, profile="smoke",
                                seed=3, out=tmp_path / "dask"), fold_runner=parallel.fold_runner(REF,
                                cluster=cluster.scheduler_address))
    lines = caplog.messages
    assert any("4 fold(s) to compute on the Dask cluster" in line and "(2 worker(s))" in line for line in lines)
    assert sum("done)" in line for line in lines) == 4
    assert _csv(tmp_path / "dask") == _csv(tmp_path / "sequential")
    assert result.summary["metrics"] == sequential.summary["metrics"]
    assert [f["reused"] for f in result.summary["folds"]] == [False] * 4


def test_workers_refuse_what_they_cannot_reproduce(dummy_corpus, tmp_path, capsys, monkeypatch):
    changed = dataclasses.replace(EXPERIMENT, run_fold=dummy_paper.nearest_centroid_fold)
    with pytest.raises(RunError, match="differs from the one to run .run_fold"):
        parallel.check_ref(REF, changed)
    with pytest.raises(RunError, match="has no experiment 'nope'"):
        parallel.check_ref(dataclasses.replace(REF, experiment="nope"), EXPERIMENT)
    with pytest.raises(LookupError, match="no benchmark_experiment"):
        parallel.resolve(parallel.ExperimentRef("dummy_parallel", track="megc2019", model="m", registry=REGISTRY))
    with pytest.raises(ValueError):
        parallel.ExperimentRef("dummy_parallel")
    assert parallel.resolve(REF) is EXPERIMENT

    base = ["--paper", "dummy_parallel", "--data-root", str(dummy_corpus), "--out", str(tmp_path / "out")]
    assert run_all.main(base + ["--workers", "2", "--cluster", "tcp://127.0.0.1:1"], registry=REGISTRY,
                        loader=dummy_paper.load) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not both" in err
    with pytest.raises(SystemExit) as stop:
        run_all.main(base + ["--workers", "0"], registry=REGISTRY, loader=dummy_paper.load)
    assert stop.value.code == 2 and "expected a whole number >= 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing ran

    if importlib.util.find_spec("distributed") is not None:  # an unreachable scheduler: one line
        with pytest.raises(RunError, match="--cluster tcp://127.0.0.1:1: cannot reach a Dask scheduler"):
            parallel.connect("tcp://127.0.0.1:1", timeout=1)

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,3")
    assert parallel.gpus_from_environment() == ("0", "1", "3")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert parallel.gpus_from_environment() == ("0",)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert parallel.gpus_from_environment() == ()


MEMORY_VARIABLES = ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "TF_FORCE_GPU_ALLOW_GROWTH",
                    "PYTORCH_CUDA_ALLOC_CONF")


@pytest.mark.parametrize("backend", ["jax", "tensorflow", "torch"])
def test_each_worker_gets_its_card_and_the_memory_settings_of_a_shared_card(backend, monkeypatch):
    for name in MEMORY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    sharing = {"jax": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"},
               "tensorflow": {"TF_FORCE_GPU_ALLOW_GROWTH": "true"},
               "torch": {}}[backend]  # PyTorch's allocator does not preallocate: nothing to set

    def envs(workers, gpus):
        pool = parallel.LocalWorkers(workers, gpus, backend=backend)
        return [pool.env(slot) for slot in range(workers)]

    # one GPU per worker: only the card, the backend's defaults kept
    assert envs(2, ("5", "6")) == [{"CUDA_VISIBLE_DEVICES": "5"}, {"CUDA_VISIBLE_DEVICES": "6"}]
    assert envs(1, ("0",)) == [{"CUDA_VISIBLE_DEVICES": "0"}]
    assert envs(1, ()) == [{}]
    # 8 workers, one GPU listed: all 8 on that card, each with the shared-card settings
    assert envs(8, ("0",)) == [{"CUDA_VISIBLE_DEVICES": "0", **sharing}] * 8
    # 8 workers and no GPU listed: they share whatever this process sees
    assert envs(8, ()) == [sharing] * 8
    # 5 workers on 2 GPUs: round-robin, 3 on GPU 2 and 2 on GPU 3, all sharing
    assert envs(5, ("2", "3")) == [{"CUDA_VISIBLE_DEVICES": g, **sharing} for g in "23232"]
    # 3 workers on 2 GPUs: the one alone on GPU 3 keeps the defaults
    assert envs(3, ("2", "3")) == [{"CUDA_VISIBLE_DEVICES": "2", **sharing}, {"CUDA_VISIBLE_DEVICES": "3"},
                                   {"CUDA_VISIBLE_DEVICES": "2", **sharing}]
    assert parallel.workers_per_card(5, ("2", "3")) == [3, 2, 3, 2, 3]
    # a setting the user already made is the user's (the workers inherit it)
    for name in sharing:
        monkeypatch.setenv(name, "user")
    assert envs(2, ("0",)) == [{"CUDA_VISIBLE_DEVICES": "0"}] * 2


def test_the_parent_of_workers_sharing_a_card_does_not_take_the_card(monkeypatch):
    """The parent builds each model once before the folds (the preflight) on the card its workers use: with
    --workers > 1 it takes the shared-card settings too (JAX would otherwise hold 75 % of the card for the run)."""
    monkeypatch.setattr(parallel, "keras_backend", lambda: "jax")
    environ: dict[str, str] = {}
    assert parallel.share_cards_with_workers(1, environ) == {} and environ == {}
    assert parallel.share_cards_with_workers(4, environ) == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    assert environ == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    environ = {"XLA_PYTHON_CLIENT_PREALLOCATE": "true"}  # the user's choice stays
    assert parallel.share_cards_with_workers(4, environ) == {} and environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "true"
    monkeypatch.setattr(parallel, "keras_backend", lambda: "tensorflow")
    environ = {}
    parallel.share_cards_with_workers(2, environ)
    assert environ == {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}


def test_a_worker_process_starts_with_its_settings_before_any_import(monkeypatch):
    for name in MEMORY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with parallel.LocalWorkers(2, ("7",), backend="jax") as pool:
        seen = pool._executor(1).submit(worker_probe.worker_environment,
                                        ("CUDA_VISIBLE_DEVICES", *MEMORY_VARIABLES)).result()
    assert seen == {"CUDA_VISIBLE_DEVICES": "7", "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
                    "XLA_PYTHON_CLIENT_MEM_FRACTION": None, "TF_FORCE_GPU_ALLOW_GROWTH": None,
                    "PYTORCH_CUDA_ALLOC_CONF": None, "backend imported": False}
