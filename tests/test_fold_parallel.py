"""--fold-parallel N (common.fold_parallel, fold_jobs.compute_folds_together): folds trained together give the
sequential path's weights, predictions and histories; each fold trains on its own samples and batches; a run
resumes across the two paths; what cannot be honoured is refused in one line."""
from __future__ import annotations

import logging
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import dummy_paper
import run_all
from common.experiment import PROFILES
from papers import PAPER_IDS

REPO = Path(__file__).resolve().parent.parent


def _experiment(paper: str):
    import importlib

    return importlib.import_module(f"papers.{paper}").EXPERIMENTS[0]


def _two_sizes(paper: str):
    """``paper``'s first experiment on two of its folds: its first, and the first whose training part is of
    another size (on the smoke corpus the first three folds train on 32 clips each; the fourth, SAMM's first
    subject, on 31)."""
    experiment = _experiment(paper)

    def folds(selection, config, seed):
        every = experiment.folds(selection, config, seed)
        other = next((f for f in every if len(f.train) != len(every[0].train)), None)
        assert other is not None, f"{paper}: every fold trains on {len(every[0].train)} clips; two sizes are needed"
        return [every[0], other]

    return dataclasses.replace(experiment, folds=folds)


def _run(paper, profile, corpus, folder, n, **more):
    """Two folds of different sizes (:func:`_two_sizes`), two epochs, batches of 7: each fold ends its epoch on a
    partial batch of its own size (32 and 31 clips: 4 and 3)."""
    from common.running.runner import run_experiment
    from common.running.profiles import resolve_run

    experiment = _two_sizes(paper)
    overrides = {"evaluation.max_folds": 0, "train.epochs": 2, "train.batch_size": 7, "train.fold_parallel": n,
                 **more}  # every fold of the protocol to choose from (0: none cut)
    return run_experiment(paper, experiment, resolve_run(data_root=corpus, profile=profile, overrides=overrides,
                                                         experiments=(experiment,)), folder=folder)


def fold_parallel_profiles(paper: str) -> tuple[str, ...]:
    """The recipes to check of a method that opts in (its first experiment has a ``fold_fit``): ``smoke`` and
    each profile of its own beyond the three every paper has (liong2019's ``port``); none otherwise."""
    experiment = _experiment(paper)
    if experiment.fold_fit is None:
        return ()
    return ("smoke", *(name for name in experiment.profiles if name not in PROFILES))


# Each opted-in method and recipe, from the registry: liong2019's paper recipe (MATLAB's single shuffle, the
# partial batch dropped, dropout 0.5, population BN statistics), its port (the partial batch kept, no shuffle,
# running BN statistics, EdgePadding2D) and gan2019 (model.fit's shuffle every epoch, the partial batch kept).
# Two folds of different sizes, each ending its epochs on a partial batch of its own (:func:`_run`).
@pytest.mark.parametrize("paper, profile", [(paper, profile) for paper in PAPER_IDS
                                            for profile in fold_parallel_profiles(paper)])
def test_folds_trained_together_give_the_sequential_predictions_and_histories(smoke_corpus, tmp_path, paper, profile):
    check_folds_together(paper, profile, smoke_corpus, tmp_path)


def check_folds_together(paper: str, profile: str, corpus, tmp_path: Path) -> None:
    """Two folds of different sizes trained one by one and together (``tests/test_template_paper.py`` runs it on
    a copy of the template too): the same statuses, predictions, probabilities, histories and gauge records."""
    one = _run(paper, profile, corpus, tmp_path / "one", 1)
    together = _run(paper, profile, corpus, tmp_path / "together", 2)
    assert [r["status"] for r in one.records] == [r["status"] for r in together.records] == ["ok"] * 2
    assert len({r["n_train"] for r in one.records}) == 2  # of different sizes
    for a, b in zip(one.records, together.records):
        assert a["fold"] == b["fold"] and a["fingerprint"] == b["fingerprint"]
        assert a["y_pred"] == b["y_pred"]
        np.testing.assert_allclose(a["probabilities"], b["probabilities"], atol=1e-6)
        assert sorted(a["history"]) == sorted(b["history"])
        for key in a["history"]:
            np.testing.assert_allclose(a["history"][key], b["history"][key], rtol=1e-5)
        assert a["extra"]["epoch_predictions"] == b["extra"]["epoch_predictions"]  # the gauge's record too
        assert b["extra"]["fold_parallel"]["folds"] == 2 and "fold_parallel" not in a["extra"]
        group = b["extra"]["fold_parallel"]  # its own time and the group's, and its seconds: its own + a half
        assert 0 < group["own_seconds"] < b["seconds"] and group["fit_seconds"] > 0
        assert b["seconds"] == pytest.approx(group["own_seconds"] + group["fit_seconds"] / 2, abs=0.01)
    assert together.summary["metrics"]["pooled"]["all"] == one.summary["metrics"]["pooled"]["all"]


def test_a_group_in_training_says_where_it_is_every_30_seconds(caplog):
    from common.progress import EpochProgress
    from common.running import fold_jobs

    caplog.set_level(logging.INFO, logger="common.running.fold_jobs")
    now = [0.0]
    progress = EpochProgress("[p/e] 4 folds together", 800, logger=fold_jobs.logger, clock=lambda: now[0])
    for epoch in range(800):
        for step in range(2):
            now[0] += 0.25  # half a second an epoch: a line every 60 epochs, 13 in the 400 s
            progress(epoch, step, 2)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 13
    assert lines[0] == "[p/e] 4 folds together: epoch 60 of 800 (step 2 of 2), 0m30s elapsed, ETA 6m10s"
    now[0] = 0.0
    caplog.clear()
    slow = EpochProgress("[p/e] 2 folds together", 3, logger=fold_jobs.logger, clock=lambda: now[0])
    now[0] = 45.0  # one step of 45 s: a line after it
    slow(0, 0, 3)
    assert [r.getMessage() for r in caplog.records] == [
        "[p/e] 2 folds together: epoch 1 of 3 (step 1 of 3), 0m45s elapsed, ETA 6m00s"]


def _tiny(seed: int, dropout: float):
    import keras

    from common.train_config import TrainConfig
    from common.training import compile_model, set_seed

    set_seed(seed)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(5, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(dropout)(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    return compile_model(model, TrainConfig(optimizer="adam", learning_rate=1e-2, batch_size=4, epochs=3))


@dataclasses.dataclass
class _Ctx:
    work_dir: Path


def _training(model, x, y, cfg, work_dir):
    from common.running.fold import FoldTraining

    return FoldTraining(ctx=_Ctx(work_dir), model=model, x_train=x, x_test=x[:2], y_train=y, train=cfg,
                        label="tiny", started=0.0)


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_each_fold_trains_on_its_own_samples_to_the_weights_of_model_fit(tmp_path, dropout):
    """Three folds of 13, 9 and 4 samples (partial batches of 4, steps per epoch 4, 3 and 1): trained together,
    each reaches the weights that model.fit gives it alone, within float32 round-off."""
    import keras

    from common import fold_parallel
    from common.training import fit

    rng = np.random.default_rng(0)
    sizes = (13, 9, 4)
    data = [(rng.normal(size=(n, 6)).astype("float32"), keras.utils.to_categorical(rng.integers(0, 3, n), 3))
            for n in sizes]
    expected = []
    for k, (x, y) in enumerate(data):
        model = _tiny(k, dropout)
        fit(model, x, y, _cfg())
        expected.append([np.array(w) for w in model.get_weights()])
    prepared = []
    for k, (x, y) in enumerate(data):
        model = _tiny(k, dropout)  # seeded as the fold's sequential fit is, each fold right before its draws
        prepared.append(fold_parallel.prepare(_training(model, x, y, _cfg(), tmp_path / str(k))))
    histories = fold_parallel.train_together(prepared, 3)
    for k, fold in enumerate(prepared):
        for got, want in zip(fold.model.get_weights(), expected[k]):
            np.testing.assert_allclose(got, want, atol=1e-6)
        assert len(histories[k]["loss"]) == 3
        assert (tmp_path / str(k) / "tiny_history.csv").read_text().count("\n") == 4  # its own CSV history


def _cfg():
    from common.train_config import TrainConfig

    return TrainConfig(optimizer="adam", learning_rate=1e-2, batch_size=4, epochs=3)


def test_a_fold_that_diverges_stops_alone(tmp_path):
    """TerminateOnNaN stops a fold, the others train on: a NaN target poisons fold 0's loss only."""
    import keras

    from common import fold_parallel

    rng = np.random.default_rng(1)
    prepared = []
    for k in range(2):
        x = rng.normal(size=(8, 6)).astype("float32")
        y = keras.utils.to_categorical(rng.integers(0, 3, 8), 3)
        if k == 0:
            y[0, 0] = np.nan
        prepared.append(fold_parallel.prepare(_training(_tiny(k, 0.0), x, y, _cfg(), tmp_path / str(k))))
    histories = fold_parallel.train_together(prepared, 3)
    assert not np.isfinite(histories[0]["loss"][-1]) and len(histories[0]["loss"]) == 1
    assert len(histories[1]["loss"]) == 3 and np.all(np.isfinite(histories[1]["loss"]))


def test_a_run_resumes_the_folds_the_other_path_finished(smoke_corpus, tmp_path):
    from common.running.profiles import config_hash
    from papers.liong2019.config import default_config
    from common.config import apply_overrides

    config = default_config()
    assert config_hash(config) == config_hash(apply_overrides(config, {"train.fold_parallel": 4}))
    folder = tmp_path / "run"
    first = _run("liong2019", "smoke", smoke_corpus, folder, 1)
    (folder / "folds" / f"{first.records[1]['fold']}.json").unlink()
    again = _run("liong2019", "smoke", smoke_corpus, folder, 2)
    reused = {f["name"]: f["reused"] for f in again.summary["folds"]}
    assert reused == {r["fold"]: i != 1 for i, r in enumerate(first.records)}
    np.testing.assert_allclose(again.records[1]["probabilities"], first.records[1]["probabilities"], atol=1e-6)
    assert json.loads((folder / "folds" / f"{first.records[1]['fold']}.json").read_text())["status"] == "ok"


def test_refusals_are_one_line_each():
    from common.fold_parallel import NOT_ONE_NETWORK, memory_refusal, refusal
    from common.train_config import TrainConfig

    train = TrainConfig()
    assert refusal(has_fold_fit=True, train=train) == ""
    assert refusal(has_fold_fit=False, train=train) == (f"this method cannot train folds together, {NOT_ONE_NETWORK}; "
                                                        "run it without --fold-parallel")
    assert refusal(has_fold_fit=True, train=train, backend="jax") == ""
    assert "TensorFlow and JAX backends only (KERAS_BACKEND=torch)" in refusal(has_fold_fit=True, train=train,
                                                                                backend="torch")
    assert "trains nothing" in refusal(has_fold_fit=True, train=dataclasses.replace(train, weights="/w"))
    assert "one_pass" in refusal(has_fold_fit=True, train=dataclasses.replace(train, one_pass=True))
    assert "device_data" in refusal(has_fold_fit=True, train=dataclasses.replace(train, device_data=True))
    assert memory_refusal(100 * 2**20, 4, free=2**30) == ""
    line = memory_refusal(100 * 2**20, 68, free=2**30)
    assert "68 folds together need about 6.6 GiB (100 MiB a fold)" in line and "--fold-parallel 8 or fewer" in line
    assert "\n" not in line


def test_memory_per_fold_counts_weights_optimizer_inputs_and_activations():
    import keras

    from common.fold_parallel import fold_bytes

    model = _tiny(0, 0.0)
    small, large = fold_bytes(model, 10, 4), fold_bytes(model, 1000, 4)
    assert large - small == 4 * 990 * 6  # the inputs: 990 more rows of 6 float32
    weights = sum(int(np.prod(w.shape)) for w in model.weights)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    activations = 5 + 5 + 5 + 3  # dense, batchnorm, dropout, softmax outputs per sample
    assert small == 4 * (weights + 3 * trainable + 10 * 6 + 2 * 4 * activations)  # Adam: 2 slots and a gradient
    assert isinstance(model.optimizer, keras.optimizers.Adam)


def test_a_method_without_fold_fit_is_refused_before_any_work(smoke_corpus):
    from common.datasets import load
    from common.errors import RunError
    from common.running.preflight import check_experiment
    from common.running.profiles import resolve_run

    experiment = dataclasses.replace(_experiment("liong2019"), fold_fit=None)
    data = {name: load(name, smoke_corpus) for name in experiment.datasets}
    run = resolve_run(data_root=smoke_corpus, profile="smoke", overrides={"train.fold_parallel": 4})
    with pytest.raises(RunError, match=r"^--fold-parallel 4: experiment liong2019/megc2019_loso: this method cannot "
                                       r"train folds together, its fold is not one network"):
        check_experiment("liong2019", experiment, data, run)
    with pytest.raises(RunError, match="folds together need about .* free; use --fold-parallel"):
        from common import fold_parallel

        original = fold_parallel.available_bytes
        fold_parallel.available_bytes = lambda: 2**20
        try:
            check_experiment("liong2019", _experiment("liong2019"), data, run)
        finally:
            fold_parallel.available_bytes = original




def _cli(capsys, *argv):
    code = run_all.main(list(argv), registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    return code, lines


def test_the_cli_refuses_what_it_cannot_honour_in_one_line(capsys, dummy_corpus, tmp_path):
    base = ("--paper", "dummy", "--data-root", str(dummy_corpus), "--profile", "smoke", "--out", str(tmp_path))
    code, lines = _cli(capsys, *base, "--fold-parallel", "2")
    assert code == 2 and len(lines) == 1 and "dummy cannot train folds together" in lines[0], lines
    code, lines = _cli(capsys, *base, "--fold-parallel", "2", "--workers", "2")
    assert code == 2 and len(lines) == 1 and "give it or --workers/--cluster, not both" in lines[0]
    code, lines = _cli(capsys, "--benchmark", "megc2019", "--data-root", str(dummy_corpus), "--fold-parallel", "2")
    assert code == 2 and "cannot train folds together" in lines[-1], lines  # after the notes on left-out papers


def test_the_estimate_times_a_group_trained_together(smoke_corpus):
    """--estimate --fold-parallel N: each fold's training is its share of a timed group's epochs, and the note
    gives the group's epoch time and memory."""
    from common.datasets import load
    from common.estimate.projection import estimate_experiment

    experiment = _experiment("liong2019")
    data = {name: load(name, smoke_corpus) for name in experiment.datasets}
    overrides = {"evaluation.max_folds": 3, "train.epochs": 4}
    alone = estimate_experiment("liong2019", experiment, data, profile="smoke", overrides=overrides)
    together = estimate_experiment("liong2019", experiment, data, profile="smoke",
                                   overrides={**overrides, "train.fold_parallel": 3})
    assert together.note.startswith("fold-parallel 3: groups of 3 folds, an epoch of a group ")
    assert "memory of a group" in together.note and "fold-parallel" not in alone.note
    assert len(together.fold_seconds) == len(alone.fold_seconds) == 3 and all(s > 0 for s in together.fold_seconds)
    assert together.fold_seconds != alone.fold_seconds
    assert together.arrays_bytes > alone.arrays_bytes  # three folds' memory, not one fold's inputs


def test_the_timed_group_sets_each_networks_state_before_its_gauge_pass_as_the_fold_does():
    """``time_group(..., set_state=f)``: before each network's gauge pass, ``f(model, refit inputs)`` (the fold's
    ``after_fit``), the warm-up epoch and the timed ones, and its non-trainable state put back afterwards."""
    from common import fold_parallel

    seen = []

    def set_state(model, x):
        seen.append(len(x))
        for variable in model.non_trainable_variables:  # what after_fit does: new statistics
            variable.assign(variable + 1.0)

    fold_parallel.time_group(lambda: _tiny(0, 0.0), _cfg(), samples=10, folds=2, epochs=2, test_samples=3,
                             refit_samples=5, set_state=set_state)
    assert seen == [5] * (2 * (1 + 2))


@pytest.mark.parametrize("test_samples, refit_samples, each_epoch", [(0, 0, []), (3, 0, [3]), (3, 5, [5, 3])])
def test_the_timed_group_predicts_after_every_epoch_as_the_gauge_does(monkeypatch, test_samples, refit_samples,
                                                                       each_epoch):
    """``time_group(..., test_samples=k, refit_samples=r)``: each network predicts k inputs after every epoch
    (the gauge's test pass, which a run pays by default), after r of its training inputs where r > 0 (a fold's
    ``after_fit``), the warm-up epoch and the timed ones; nothing with k = 0."""
    from common import fold_parallel

    calls = []
    predict = fold_parallel.predict_on_batches
    monkeypatch.setattr(fold_parallel, "predict_on_batches", lambda model, x, batch_size: calls.append(len(x)) or
                        predict(model, x, batch_size))
    fold_parallel.time_group(lambda: _tiny(0, 0.0), _cfg(), samples=10, folds=2, epochs=2, test_samples=test_samples,
                             refit_samples=refit_samples)
    assert calls == each_epoch * (2 * (1 + 2))


def test_a_run_stopped_after_its_first_group_resumes_with_another_n_into_its_own_folder(smoke_corpus, tmp_path,
                                                                                        monkeypatch, capsys):
    """Through the command, as a user resumes: three folds, ``--fold-parallel 2`` stopped (Ctrl-C) in its second
    group; the same command with ``--fold-parallel 3`` resumes in the same folder (``train.fold_parallel`` is no
    part of the run's kind, ``common.orchestration.run_folders``), reuses the two finished folds and computes the
    third; the folds' predictions are the sequential run's. The report's drawing is left out (not what is
    checked here)."""
    from common import fold_parallel
    from common.orchestration import paper_runs

    monkeypatch.setattr(paper_runs, "write_paper_report", lambda paper_id, results, out, context, folder: folder / "r")
    original, calls = fold_parallel.train_together, []

    def stopped_in_the_second_group(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(fold_parallel, "train_together", stopped_in_the_second_group)

    def run(out: Path, *more: str) -> int:
        return run_all.main(["--paper", "liong2019", "--profile", "smoke", "--data-root", str(smoke_corpus),
                             "--out", str(out), "--set", "evaluation.max_folds=3", "--set", "train.epochs=1",
                             "--no-epoch-gauge", *more])  # the gauge's bootstraps: a third of a run's time

    out = tmp_path / "reports"
    folds = out / "liong2019" / "megc2019_loso" / "folds"
    assert run(out, "--fold-parallel", "2") == 130
    first = {p.name: json.loads(p.read_text()) for p in sorted(folds.glob("*.json"))}
    assert len(first) == 2 and all(r["extra"]["fold_parallel"]["folds"] == 2 for r in first.values())
    capsys.readouterr()
    assert run(out, "--fold-parallel", "3") == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["liong2019"]  # its own folder
    assert sum("reusing" in line for line in capsys.readouterr().out.splitlines()) == 2
    summary = json.loads((folds.parent / "results.json").read_text())
    assert {f["name"]: f["reused"] for f in summary["folds"]} == {
        **{name.removesuffix(".json"): True for name in first}, **{f["name"]: False for f in summary["folds"]
                                                                   if f"{f['name']}.json" not in first}}
    assert len(summary["folds"]) == 3
    resumed = {p.name: json.loads(p.read_text()) for p in sorted(folds.glob("*.json"))}
    assert all(resumed[name] == record for name, record in first.items())  # reused, not recomputed
    sequential = tmp_path / "sequential"
    assert run(sequential) == 0
    alone = {p.name: json.loads(p.read_text()) for p in sorted((sequential / "liong2019" / "megc2019_loso" /
                                                                "folds").glob("*.json"))}
    assert sorted(alone) == sorted(resumed)
    for name, record in alone.items():
        assert resumed[name]["fingerprint"] == record["fingerprint"] and resumed[name]["y_pred"] == record["y_pred"]
        np.testing.assert_allclose(resumed[name]["probabilities"], record["probabilities"], atol=1e-6)
