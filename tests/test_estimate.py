"""--estimate: counts of the work, a projection from timed steps, and its table and CLI."""
from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import keras
import numpy as np
import pytest

import dummy_paper
import run_all
from common.estimate import projection as est
from common.estimate import table as estimate_table
from common.estimate import timing, units
from common.experiment import TrainingStage

REPO = Path(__file__).resolve().parent.parent

EXPERIMENT = dummy_paper.EXPERIMENTS[0]


@pytest.fixture(autouse=True)
def fast_timing(monkeypatch):
    monkeypatch.setattr(timing, "STEP_BUDGET_S", 0.0)  # the minimum of timed steps: a fast test


def test_counts_and_projection_follow_the_timed_step(dummy_corpus, private_cache):
    stage = private_cache / "stages" / "dummy_features"  # the session's cache: other tests may have filled it
    before = sorted(stage.rglob("*")) if stage.exists() else []
    result = est.estimate([("dummy", EXPERIMENT)], data_root=dummy_corpus, loader=dummy_paper.load, profile="quick",
                          overrides={"train.epochs": "3", "train.batch_size": "4"})
    (e,) = result.experiments
    assert (e.clips, e.folds, e.frames) == (24, 4, 0)
    (work,) = e.stages
    # LOSO over 4 subjects of 6 clips: 18 training samples per fold, ceil(18/4) = 5 steps x 3 epochs
    assert (work.model, work.folds, work.samples, work.epochs, work.batch_size) == ("dummy_mlp", 4, 72, 3, 4)
    assert work.steps == 4 * 5 * 3
    t = work.timing
    assert t.parameters == 2 * 4 + 4 + 4 * 3 + 3 and t.inputs == ((2,),) and t.outputs == ((3,),)
    assert t.steps_timed >= timing.MIN_TIMED_STEPS and t.step_s > 0 and t.input_bytes == 8
    # the projection is the formula of the module docstring, tracing once per experiment; the epoch gauge (on,
    # as in a run) predicts the 6 test clips after each of the 3 epochs
    fold = 15 * t.step_s + 3 * t.epoch_overhead_s + t.build_s + (1 + 3) * math.ceil(6 / 4) * t.predict_s
    assert e.fold_seconds == pytest.approx([fold + t.trace_s + t.predict_trace_s] * 4)
    assert e.training_seconds == pytest.approx(work.seconds)
    assert e.arrays_bytes == 18 * 8 and e.peak_rss_bytes > 0
    # preprocessing timed on 3 clips, through an empty cache: nothing written to the user's cache
    assert len(e.preprocess.clips_timed) == 3
    assert sum(k.startswith("preprocess:") for k in dummy_paper.HOOKS["ran"]) == 4  # one untimed warm-up
    assert (sorted(stage.rglob("*")) if stage.exists() else []) == before
    assert e.preprocess.seconds == pytest.approx(24 * e.preprocess.per_clip_s)
    table = estimate_table.format_estimate(result)
    assert "projection" in table.lower()
    # the work in FLOPs (common.flops): Dense 2->4 reads the input (forward + weight gradient), Dense 4->3 also
    # passes its input gradient back; 72 samples x 3 epochs over the folds
    assert t.train_flops == 2 * (2 * 2 * 4) + 3 * (2 * 4 * 3)
    assert work.flops == 72 * 3 * t.train_flops == e.training_flops == result.training_flops
    assert result.matmul_flops_per_s > 0
    assert f"training work: {units.flop(work.flops)}" in table


def test_a_model_kept_across_folds_is_traced_once(dummy_corpus):
    once = dataclasses.replace(EXPERIMENT, training_stages=lambda c, s, f: [
        dataclasses.replace(stage, traced_once=True) for stage in dummy_paper.training_stages(c, s, f)])
    (e,) = est.estimate([("dummy", once)], data_root=dummy_corpus, loader=dummy_paper.load, profile="smoke").experiments
    t = e.stages[0].timing
    assert e.fold_seconds[0] - e.fold_seconds[1] == pytest.approx(t.trace_s + t.predict_trace_s)
    assert e.fold_seconds[1] == pytest.approx(e.fold_seconds[3])


def test_validation_after_every_epoch_and_a_wider_predict_pass_are_projected(dummy_corpus):
    wide = dataclasses.replace(EXPERIMENT, training_stages=lambda c, s, f: [
        dataclasses.replace(stage, validation_samples=10, predict_samples=20)
        for stage in dummy_paper.training_stages(c, s, f)])
    overrides = {"train.epochs": "3", "train.batch_size": "4"}
    (plain,) = est.estimate([("dummy", EXPERIMENT)], data_root=dummy_corpus, loader=dummy_paper.load, profile="quick",
                            overrides=overrides).experiments
    (e,) = est.estimate([("dummy", wide)], data_root=dummy_corpus, loader=dummy_paper.load, profile="quick",
                        overrides=overrides).experiments
    t = e.stages[0].timing
    # 3 epochs x ceil(10 / 4) validation batches, and ceil(20 / 4) test-pass batches instead of ceil(6 / 4); the
    # gauge's 3 x ceil(6 / 4) batches of the fold's test clips
    fold = (15 * t.step_s + 3 * t.epoch_overhead_s + t.build_s + (3 * 3 + 5 + 3 * 2) * t.predict_s + t.trace_s
            + t.predict_trace_s)
    assert e.fold_seconds == pytest.approx([fold] * 4)
    assert plain.stages[0].steps == e.stages[0].steps  # the training work is unchanged


def test_the_epoch_gauge_is_counted_unless_the_run_leaves_it_out(dummy_corpus):
    """A run records every epoch's test predictions by default (the gauge): its passes are in the projection
    and its line in the table; with ``--no-epoch-gauge`` (``epoch_gauge=False``) neither."""
    from common.running.corpus import load_all, load_datasets

    data = load_datasets(EXPERIMENT, dummy_corpus, load_all([EXPERIMENT], dummy_corpus, dummy_paper.load))
    timings: dict = {}  # one timing of the model for both projections
    on, off = (est.estimate_experiment("dummy", EXPERIMENT, data, profile="quick", timings=timings,
                                       overrides={"train.epochs": "3", "train.batch_size": "4"}, epoch_gauge=gauge)
               for gauge in (True, False))
    t = on.stages[0].timing
    assert off.stages[0].timing is t
    # 3 epochs x the fold's 6 test clips in batches of 4, in every fold
    assert np.subtract(on.fold_seconds, off.fold_seconds) == pytest.approx([3 * math.ceil(6 / 4) * t.predict_s] * 4)
    assert "epoch gauge" in on.gauge and off.gauge == ""
    result = est.Estimate(device="d", backend="b", profile="quick", corpus="c", experiments=(on, off), seconds=1.0,
                          matmul_flops_per_s=1e9)
    assert estimate_table.format_estimate(result).count("epoch gauge: a test pass") == 1


def test_a_gauge_that_sets_state_first_is_timed_as_the_fold_runs_it(dummy_corpus):
    """STSTNet's MATLAB recipe recomputes its batch-normalisation statistics over the training clips before every
    gauge pass: the stage's ``gauge_set_state`` is timed through the fold's own ``gauge_predictions`` (each call
    gets that many training inputs, the network's non-trainable state is put back), and counted every epoch."""
    from common.running.corpus import load_all, load_datasets

    calls = []

    def set_state(model, x_train):
        calls.append(len(x_train))

    data = load_datasets(EXPERIMENT, dummy_corpus, load_all([EXPERIMENT], dummy_corpus, dummy_paper.load))
    selection = EXPERIMENT.select(data, EXPERIMENT.config)
    fold = EXPERIMENT.folds(selection, EXPERIMENT.config, 0)[0]
    (stage,) = dummy_paper.training_stages(EXPERIMENT.config, selection, fold)
    stage = dataclasses.replace(stage, epochs=3, batch_size=4, gauge_refit_samples=7, gauge_set_state=set_state)
    t = timing.time_model(stage)
    assert calls == [7, 7, 7] and t.gauge_state_s >= 0  # one untimed pass, two timed
    assert len(fold.test) == 6
    t = dataclasses.replace(t, gauge_state_s=0.25, predict_s=0.01)
    # 3 epochs x (the fold's 6 test clips in batches of 4, then the state)
    assert est._gauge_seconds(fold, stage, [stage], True, t) == pytest.approx(3 * (2 * 0.01 + 0.25))
    assert est._gauge_seconds(fold, stage, [stage], False, t) == 0.0
    plain = dataclasses.replace(stage, gauge_set_state=None)  # a forward pass of the 7 training inputs instead
    assert est._gauge_seconds(fold, plain, [plain], True, t) == pytest.approx(3 * (2 * 0.01 + 2 * 0.01))


def test_identical_models_are_timed_once_and_missing_hooks_are_not_estimated(dummy_corpus, caplog):
    twin = dataclasses.replace(EXPERIMENT, name="twin")
    bare = dataclasses.replace(EXPERIMENT, name="bare", training_stages=None, preprocess_clip=None)
    caplog.set_level(logging.INFO, logger="common")
    result = est.estimate([("dummy", EXPERIMENT), ("dummy", twin), ("dummy", bare)], data_root=dummy_corpus,
                          loader=dummy_paper.load, profile="smoke")
    lines = caplog.messages
    first, second, third = result.experiments
    assert first.stages[0].timing is second.stages[0].timing
    assert sum("timed dummy_mlp" in line for line in lines) == 1
    assert sum("the same model as dummy_mlp, timed before" in line for line in lines) == 1
    assert not third.estimated and third.folds == 4 and "not estimated" in third.note
    table = estimate_table.format_estimate(result)
    assert "OVERALL, PROJECTED (2 of 3 experiments estimated)" in table
    assert "not estimated: dummy/bare (the reason is under each)" in table


def test_a_model_that_cannot_be_built_leaves_only_its_experiment_unestimated(dummy_corpus):
    def offline():
        raise RuntimeError("could not get the ImageNet weights (offline?)")

    broken = dataclasses.replace(EXPERIMENT, name="offline", training_stages=lambda c, s, f: [
        TrainingStage("vgg", offline, samples=len(f.train), epochs=1, batch_size=2)])
    result = est.estimate([("dummy", broken), ("dummy", EXPERIMENT)], data_root=dummy_corpus, loader=dummy_paper.load,
                          profile="smoke")
    first, second = result.experiments
    assert not first.estimated and "could not get the ImageNet weights (offline?)" in first.note
    assert second.estimated


def test_random_batch_fits_each_loss():
    inputs = keras.Input((5, 2))
    flat = keras.layers.Flatten()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(4, activation="softmax")(flat), keras.layers.Dense(1)(flat)])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    xs, ys = timing.random_batch(model, 3)
    assert xs[0].shape == (3, 5, 2) and xs[0].dtype == np.float32
    assert ys[0].shape == (3,) and ys[0].max() < 4 and ys[1].shape == (3, 1)
    model.compile(optimizer="sgd", loss=["categorical_crossentropy", "mse"])
    _, ys = timing.random_batch(model, 3)
    assert ys[0].shape == (3, 4) and (ys[0].sum(axis=1) == 1).all()


def test_uncompiled_model_is_refused():
    stage = TrainingStage("raw", lambda: dummy_paper.build_model(), samples=10, epochs=1, batch_size=2)
    with pytest.raises(ValueError, match="must return a compiled model"):
        timing.time_model(stage)


@pytest.mark.parametrize("timed, expected", [
    ([(10, 1.0), (20, 2.0), (30, 3.0)], (0.0, 0.1)),  # proportional to frames
    ([(10, 2.0), (20, 2.0)], (2.0, 0.0)),  # a cost per clip
    ([(10, 1.5), (20, 2.5)], (0.5, 0.1)),
    ([(10, 3.0), (20, 2.0)], (2.5, 0.0)),  # longer clips not slower: mean per clip
    ([(10, 1.0), (10, 3.0)], (0.0, 0.2)),  # one length: a rate per frame
])
def test_preprocessing_fit(timed, expected):
    assert timing.fit_preprocessing(timed) == pytest.approx(expected)


def test_durations_read_like_durations():
    assert [units.duration(s) for s in (0.0123, 3.45, 312, 3 * 3600 + 20 * 60, 4.2 * 86400)] == \
        ["12 ms", "3.5 s", "5 min 12 s", "3 h 20 min", "4.2 days"]


def test_cli_estimate_prints_the_table_and_trains_nothing(dummy_corpus, capsys, tmp_path):
    code = run_all.main(["--paper", "dummy", "--data-root", str(dummy_corpus), "--estimate",
                         "--out", str(tmp_path / "o")],
                        registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "PROJECTION" in out and "dummy/toy_loso" in out and "OVERALL, PROJECTED (1 of 1" in out
    # no fold ran
    assert dummy_paper.HOOKS["ran"] and all(k.startswith("preprocess:") for k in dummy_paper.HOOKS["ran"])
    assert not (tmp_path / "o").exists()


def test_cli_estimate_refuses_a_bad_set_in_one_line(dummy_corpus, capsys):
    code = run_all.main(["--paper", "dummy", "--data-root", str(dummy_corpus), "--estimate", "--set", "train.epochs=0"],
                        registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    out, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "TrainConfig.epochs must be >= 1" in err


def test_cli_estimate_of_a_benchmark_track_projects_every_method_and_trains_nothing(dummy_corpus, capsys, tmp_path):
    dummy_paper.write_corpus(dummy_corpus, names=("megc2019",))
    code = run_all.main(["--benchmark", "megc2019", "--data-root", str(dummy_corpus),
                         "--methods", "dummy,dummy:centroid", "--estimate", "--out", str(tmp_path / "o")],
                        registry=dummy_paper.REGISTRY, loader=dummy_paper.load)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "PROJECTION" in out and "dummy/megc2019" in out and "OVERALL" in out
    assert not any(k in dummy_paper.HOOKS["ran"] for k in ("casme2_sub01", "samm_006"))  # no fold ran
    assert not (tmp_path / "o").exists()
