"""The epoch-selection gauge (docs/methods.md §9.4): the record never feeds training, and the two
leaky selections are computed as defined (ties to the earliest epoch, (c) per metric over the epochs
every fold has, the inflation against the protocol's own score)."""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score, recall_score

import dummy_paper
from common.evaluation import epoch_selection as es
from common.leaderboard import report
from common.running import profiles, runner
from common.train_config import TrainConfig
from common.training import EpochPredictions, fit, predict_on_batches, set_seed


def _network():
    import keras

    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)  # moving statistics: must not move at a recording
    x = keras.layers.Dropout(0.5)(x)  # a random draw: must not be drawn at a recording
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


def _trained(cfg: TrainConfig, record: bool):
    from common.training import compile_model

    rng = np.random.default_rng(3)
    x, x_test = rng.normal(size=(40, 6)).astype("float32"), rng.normal(size=(7, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 40)]
    set_seed(5)
    model = compile_model(_network(), cfg)
    recorder = EpochPredictions(lambda m: predict_on_batches(m, x_test, cfg.batch_size)) if record else None
    history = fit(model, x, y, cfg, epoch_predictions=recorder)
    probabilities = model.predict(x_test, batch_size=cfg.batch_size, verbose=0)
    return model, probabilities, history, recorder


@pytest.mark.parametrize("loop", [{}, {"one_pass": True}, {"shuffle_once": True, "drop_partial_batch": True}],
                         ids=["fit", "one_pass", "matlab_order"])
def test_recording_changes_neither_the_weights_nor_the_predictions(loop):
    cfg = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=4, **loop)
    plain, p_plain, h_plain, _ = _trained(cfg, record=False)
    recorded, p_recorded, h_recorded, recorder = _trained(cfg, record=True)
    for a, b in zip(plain.get_weights(), recorded.get_weights()):  # BN statistics included
        assert a.tobytes() == b.tobytes()
    assert p_plain.tobytes() == p_recorded.tobytes()
    assert h_plain == h_recorded
    assert len(recorder.classes) == cfg.epochs and all(len(row) == 7 for row in recorder.classes)
    assert recorder.classes[-1] == p_recorded.argmax(axis=1).tolist()  # the last epoch is the model that predicts


# every run of this file reads the dummy paper's databases
resolve_run = functools.partial(profiles.resolve_run, loader=dummy_paper.load)
run_experiment = runner.run_experiment


def test_a_run_with_and_without_the_gauge_scores_the_same(dummy_corpus, tmp_path):
    experiment = dummy_paper.EXPERIMENTS[0]
    on = run_experiment("dummy", experiment, resolve_run(data_root=dummy_corpus, profile="quick", seed=1,
                        out=tmp_path / "on"))
    off = run_experiment("dummy", experiment, resolve_run(data_root=dummy_corpus, profile="quick", seed=1,
                         out=tmp_path / "off", record_epochs=False))
    folder = f"dummy/{experiment.name}/predictions.csv"
    assert (tmp_path / "on" / folder).read_bytes() == (tmp_path / "off" / folder).read_bytes()
    assert on.summary["metrics"] == off.summary["metrics"]
    gauge = json.loads((tmp_path / "on" / f"dummy/{experiment.name}/results.json").read_text())["epoch_selection"]
    assert gauge["status"] == "measured" and gauge["epochs"] == {"min": 2, "max": 2}
    for record in on.records:  # the last recorded epoch is the fold's own prediction
        assert record["extra"]["epoch_predictions"]["y_pred"][-1] == record["y_pred"]
    assert off.summary["epoch_selection"]["status"] == "n/a"
    assert "--no-epoch-gauge" in off.summary["epoch_selection"]["reason"]


def _record(fold, subject, y_true, rows, y_pred=None, dataset="casme2"):
    return {"fold": fold, "status": "ok", "y_true": y_true, "y_pred": y_pred or rows[-1],
            "subjects": [subject] * len(y_true), "datasets": [dataset] * len(y_true), "history": {"loss": [1.0]},
            "extra": {"epoch_predictions": {"model": "net", "y_pred": rows}}}


SUMMARY = {"metrics": {"nan_policy": "exclude", "absent": "exclude"}, "class_names": ["a", "b", "c"],
           "metrics_reported": ["uf1", "uar"], "scopes": ["all", "casme2", "samm"]}
RECORDS = [
    # fold A: accuracy 1/2, 1, 1 over three epochs -> (b) takes epoch 2 (the earliest of the tie)
    _record("A", "s1", [0, 1], [[0, 0], [0, 1], [0, 1]], y_pred=[0, 0]),
    # fold B: accuracy 1, 0 over two epochs -> (b) takes epoch 1; (c) sees epochs 1-2 only (B has two)
    _record("B", "s2", [2, 2, 1], [[2, 2, 1], [0, 0, 0]], y_pred=[0, 0, 0]),
    _record("C", "s3", [1, 0], [[1, 1], [1, 0]], y_pred=[1, 1], dataset="samm"),
]


def _pooled(y_true, y_pred, metric):
    score = f1_score if metric == "uf1" else recall_score
    return score(y_true, y_pred, average="macro", labels=[0, 1, 2], zero_division=0)


def test_the_two_selections_follow_their_definitions():
    gauge = es.epoch_selection(RECORDS, SUMMARY)
    assert gauge["status"] == "measured" and gauge["folds"] == 3 and gauge["epochs"] == {"min": 2, "max": 3}
    per_fold = gauge["selections"]["best_epoch_per_fold"]
    assert per_fold["epochs"] == {"A": 2, "B": 1, "C": 2}
    y_true = [0, 1, 2, 2, 1, 1, 0]
    honest = [0, 0, 0, 0, 0, 1, 1]
    for metric in ("uf1", "uar"):
        value = per_fold["scopes"]["all"][metric]
        assert value["estimate"] == pytest.approx(_pooled(y_true, [0, 1, 2, 2, 1, 1, 0], metric))
        assert value["honest"] == pytest.approx(_pooled(y_true, honest, metric))
        assert value["inflation"] == pytest.approx(value["estimate"] - value["honest"])
        assert value["low"] <= value["estimate"] <= value["high"]
    # (c): the pooled score at epochs 1 and 2 (every fold has both); the better one, per metric
    at = {1: [0, 0, 2, 2, 1, 1, 1], 2: [0, 1, 0, 0, 0, 1, 0]}
    single = gauge["selections"]["best_single_epoch"]
    for metric in ("uf1", "uar"):
        scores = {e: _pooled(y_true, p, metric) for e, p in at.items()}
        best = max(scores, key=lambda e: (scores[e], -e))
        assert single["epochs"][metric] == best
        assert single["scopes"]["all"][metric]["estimate"] == pytest.approx(scores[best])
    # a scope with one subject has no interval: left out, never a number without one
    assert "samm" not in per_fold["scopes"] and "casme2" in per_fold["scopes"]
    cell = report.gauge_cell({"epoch_selection": [gauge]}, "best_epoch_per_fold")  # the leaderboard's cell
    assert cell.startswith(f"{per_fold['scopes']['all']['uf1']['estimate']:.3f} [")


def test_a_protocol_that_picks_its_epoch_on_the_test_data_is_not_called_honest():
    """A fold whose run restored its best test epoch (``extra["selected_on_test"]``, reddy2019's paper protocol):
    the gauge's first row, its sentence, the curves' caption and the run's warnings all say the score is
    selected on the test data; a held-out run keeps the honest words."""
    from common.evaluation.curves import training_curves
    from common.reporting.figures import curves_legend
    from common.running.runner import fold_warnings

    held_out = es.epoch_selection(RECORDS, SUMMARY)
    assert held_out["protocol"] == es.LABELS["protocol"] and held_out["cite"] == es.CITE_HONEST
    assert not held_out["protocol_selects_on_test"] and fold_warnings(RECORDS, {}) == []
    assert "never used to train or choose" in curves_legend(training_curves(RECORDS))
    what = "the epoch of highest accuracy on the test split"
    chosen = [{**r, "extra": {**r["extra"], "selected_on_test": what}} for r in RECORDS]
    gauge = es.epoch_selection(chosen, SUMMARY)
    assert gauge["protocol_selects_on_test"] and gauge["cite"] == es.CITE_SELECTED
    assert gauge["protocol"] == f"the protocol's own epoch, itself SELECTED ON THE TEST DATA ({what})"
    assert fold_warnings(chosen, {}) == [f"3 of 3 folds predict with {what}: SELECTED ON THE TEST DATA (the "
                                         "paper's protocol), so these scores are not held-out ones"]
    assert "used to choose the reported epoch (selected on the test data)" in curves_legend(training_curves(chosen))
    # a record written before runs said so, naming the best epoch it restored, is reused as selected, never held out
    older = [{**r, "extra": {**r["extra"], "best_epoch": 2}} for r in RECORDS]
    assert es.epoch_selection(older, SUMMARY)["protocol_selects_on_test"]
    assert es.selected_on_test(older)[0].startswith("its best validation epoch (2), restored after training")


def test_the_reports_gauge_table_names_each_row_by_the_letter_its_note_uses():
    """The note under the table spoke of (b) and (c), which no row was called."""
    from common.reporting.pdf import epoch_selection_table

    gauge = es.epoch_selection(RECORDS, SUMMARY)
    res = {"epoch_selection": gauge, "metrics_reported": ["uf1", "uar"],
           "metrics": {"pooled": {"all": {"uf1": 0.5, "uar": 0.5}}}}
    header, rows = epoch_selection_table(res, {})
    assert [row[0][:4] for row in rows] == ["(a) ", "(b) ", "(c) "]
    assert rows[1][0] == f"(b) {es.LABELS['best_epoch_per_fold']}" and "(b)" in gauge["how"] and "(c)" in gauge["how"]


def test_ties_go_to_the_earliest_epoch():
    y_true = np.array([0, 1, 2])
    rows = np.array([[0, 0, 0], [0, 1, 2], [0, 1, 2], [2, 1, 0]])
    assert es.best_epoch_per_fold(y_true, rows) == 1
    assert es.best_single_epoch(y_true, rows, 3, "uf1", "exclude") == 1


def test_ties_go_to_the_latest_epoch_where_the_authors_loop_keeps_it():
    """``main_HTNet.py`` keeps an epoch whose test accuracy equals the best so far (``<=``): the last of the tied."""
    y_true = np.array([0, 1, 2])
    rows = np.array([[0, 0, 0], [0, 1, 2], [0, 1, 2], [2, 1, 0]])
    assert es.best_epoch_per_fold(y_true, rows, "latest") == 2
    assert es.best_epoch_per_fold(y_true, rows[:1], "latest") == 0
    with pytest.raises(ValueError, match="ties='last'"):
        es.best_epoch_per_fold(y_true, rows, "last")
    gauge = es.epoch_selection(RECORDS, SUMMARY, ties="latest")
    assert "(b) to the latest of a fold's tied epochs" in gauge["how"]
    assert "ties to the earliest epoch" in es.epoch_selection(RECORDS, SUMMARY)["how"]
    # the rule is in the gauge (what the results site reads of a run): fold A (accuracy 1/2, 1, 1) at epoch 3, not 2
    assert gauge["ties"] == "latest" and es.epoch_selection(RECORDS, SUMMARY)["ties"] == "earliest"
    assert gauge["selections"]["best_epoch_per_fold"]["epochs"] == {"A": 3, "B": 1, "C": 2}
    # and at_best_epoch_per_fold (what the site and the README compute from shipped records) keeps it: two epochs
    # tied on accuracy (1 of 2 right) that predict differently
    tied = [_record("T", "s9", [0, 0], [[1, 0], [0, 1]], y_pred=[0, 1])]
    assert es.at_best_epoch_per_fold(tied)[0]["y_pred"] == [1, 0]
    assert es.at_best_epoch_per_fold(tied, ties="latest")[0]["y_pred"] == [0, 1]


def test_methods_without_epochs_and_runs_without_the_record_are_not_applicable():
    svm = [{**r, "history": {}, "extra": {}} for r in RECORDS]
    gauge = es.epoch_selection(svm, SUMMARY)
    assert gauge == {"status": "n/a", "reason": "the method trains no epochs (a fitted classifier)"}
    assert report.gauge_cell({"epoch_selection": [gauge]}, "best_single_epoch") == "n/a"
    partial = [RECORDS[0], {**RECORDS[1], "extra": {}}, RECORDS[2]]
    reason = es.epoch_selection(partial, SUMMARY)["reason"]
    assert reason.startswith("1 of 3 scored folds hold no per-epoch test predictions (first: B)")
    # a record whose rows do not match the fold's test samples is no record
    bad = [{**RECORDS[0], "extra": {"epoch_predictions": {"y_pred": [[0]]}}}]
    assert es.epoch_selection(bad + RECORDS[1:], SUMMARY)["status"] == "n/a"
