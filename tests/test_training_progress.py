"""The progress lines of a training (``common.training.TimedProgress``): a fold trained alone says where it is at
least every 30 s, as folds trained together do, and the lines change nothing in what is trained."""
from __future__ import annotations

import dataclasses
import logging

import keras
import numpy as np

from common import progress
from common.train_config import TrainConfig
from common.training import TimedProgress, compile_model, fit, set_seed


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "common.training" and "elapsed" in r.getMessage()]


def test_a_line_every_30_seconds_with_epoch_elapsed_and_eta(caplog):
    caplog.set_level(logging.INFO, logger="common.training")
    now = [0.0]
    timed = TimedProgress("sub01 stage2", 800, clock=lambda: now[0])
    timed.set_params({"epochs": 800, "steps": 2})
    timed.on_train_begin()
    for epoch in range(800):
        timed.on_epoch_begin(epoch)
        for step in range(2):
            now[0] += 0.25  # half a second an epoch: a line every 60 epochs, 13 in the 400 s
            timed.on_train_batch_end(step)
    lines = _lines(caplog)
    assert len(lines) == 13
    assert lines[0] == "  sub01 stage2: epoch 60 of 800 (step 2 of 2), 0m30s elapsed, ETA 6m10s"
    caplog.clear()
    now[0] = 0.0
    one_pass = TimedProgress("model", 3, clock=lambda: now[0], steps_per_epoch=4)  # 12 batches in one Keras epoch
    one_pass.on_train_begin()
    now[0] = 45.0  # the sixth batch ends after 45 s: epoch 2, step 2 of 4
    one_pass.on_train_batch_end(5)
    assert _lines(caplog) == ["  model: epoch 2 of 3 (step 2 of 4), 0m45s elapsed, ETA 0m45s"]


def _trained(cfg: TrainConfig, tmp_path, every: float, monkeypatch):
    monkeypatch.setattr(progress, "PROGRESS_EVERY", every)
    set_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(5)(inputs)))
    compile_model(model, cfg, loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 12), 3).astype("float32")
    history = fit(model, x, y, cfg, work_dir=tmp_path / "sub01", label="net")
    return [w.copy() for w in model.get_weights()], history


def test_a_fold_trained_alone_logs_its_progress_and_trains_the_same(tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="common.training")
    cfg = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=5, epochs=3)
    quiet, quiet_history = _trained(cfg, tmp_path, float("inf"), monkeypatch)
    assert _lines(caplog) == []
    loud, loud_history = _trained(cfg, tmp_path, 0.0, monkeypatch)  # a line after every step
    lines = _lines(caplog)
    assert len(lines) == 9 and lines[-1].startswith("  sub01 net: epoch 3 of 3 (step 3 of 3), "), lines
    assert lines[-1].endswith("ETA 0m00s")
    assert all(np.array_equal(a, b) for a, b in zip(quiet, loud)) and quiet_history == loud_history
    caplog.clear()  # every epoch in one Keras pass (TrainConfig.one_pass): the lines still count its epochs
    _trained(dataclasses.replace(cfg, one_pass=True), tmp_path, 0.0, monkeypatch)
    lines = _lines(caplog)
    assert len(lines) == 9 and lines[4].startswith("  sub01 net: epoch 2 of 3 (step 2 of 3), "), lines


def test_a_first_pass_says_where_it_is_while_its_processes_run(caplog):
    """The preprocessing's first pass (minutes of flow on a real corpus) logs the clips done, elapsed and ETA at
    least every PROGRESS_EVERY seconds while a process still runs, and gathers every error."""
    import concurrent.futures
    import threading

    from common.running.first_pass import gather

    caplog.set_level(logging.INFO, logger="common.running.first_pass")
    quick, slow = concurrent.futures.Future(), concurrent.futures.Future()
    quick.set_result([("casme2/sub01/EP01", "ValueError: no face")])
    timer = threading.Timer(0.3, slow.set_result, args=([],))
    timer.start()
    errors = gather({quick: 2, slow: 3}, 5, "[p/e] ", every=0.05)
    timer.join()
    lines = [r.getMessage() for r in caplog.records if "first pass:" in r.getMessage()]
    assert errors == [("casme2/sub01/EP01", "ValueError: no face")]
    assert len(lines) >= 2 and all(line.startswith("[p/e] first pass: 2 of 5 clip(s) done, ") for line in lines)
    assert "elapsed, ETA " in lines[0]


def test_the_benchmarks_statistics_say_where_they_are(caplog, monkeypatch):
    """The statistics of a benchmark (minutes for ten methods on the real composite) log each part done at least
    every PROGRESS_EVERY seconds; with the bound at 0, a line after every part."""
    import types

    from common.leaderboard import summary

    def run(name: str, shift: int):
        records = [{"name": f"s{s}", "status": "ok", "y_true": [0, 1, 2, s % 3], "y_pred": [(s + shift) % 3, 1, 2, 0],
                    "subjects": [f"s{s}"] * 4, "datasets": ["casme2"] * 4,
                    "keys": [f"casme2/s{s}/c{c}" for c in range(4)]} for s in range(4)]
        return types.SimpleNamespace(method=types.SimpleNamespace(name=name), seeds=(0,),
                                     runs=(types.SimpleNamespace(records=records, summary={}),))

    track = types.SimpleNamespace(name="t", class_names=("a", "b", "c"), scopes=("all",))
    caplog.set_level(logging.INFO, logger="common.leaderboard.summary")
    monkeypatch.setattr(progress, "PROGRESS_EVERY", 0.0)
    summary.analyse(track, [run("m1", 0), run("m2", 1), run("m3", 2)], n_resamples=20)
    lines = [r.getMessage() for r in caplog.records if "elapsed" in r.getMessage()]
    assert lines[0].startswith("[benchmark t] statistics: 1 of 3 methods' intervals and chance tests, 0m")
    assert any("now the paired comparisons of 3 methods on UF1" in line for line in lines)
    assert lines[-1].startswith("[benchmark t] statistics: the paired comparisons done, now the chance level")
    monkeypatch.setattr(progress, "PROGRESS_EVERY", 30.0)
    caplog.clear()
    summary.analyse(track, [run("m1", 0), run("m2", 1)], n_resamples=20)  # seconds: no line
    assert not [r for r in caplog.records if "elapsed" in r.getMessage()]
