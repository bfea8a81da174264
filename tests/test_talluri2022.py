"""papers/talluri2022: Table 2 shapes of the built models, the
Split Model / Model-B / Model-C builders and their initialisers, the label mapping of Table 1, the
apex and initial frame windows (repeated or interpolated edges, SMIC's unannotated apex), the face
alignment, the intra- and cross-dataset stratified folds (fifth or whole target), Model-C's
learning-rate decay, the Sec. 8.1 summaries, the benchmark entry and the --estimate hooks, and a
smoke run through run_all.py (Scenario-02 Model-A and Model-C on the Sec. 8.1 splits)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from run_cli import SMOKE_RUNS, smoke_run



def test_the_models_reproduce_table_2():
    """Table 2's shapes (Model-A's count is checked by tests/test_models.py, from ``PAPER.parameter_counts``)."""
    from common.harness import build_paper_model
    from common.orchestration.architectures import model_summary
    from papers.talluri2022 import PAPER

    models = json.loads(json.dumps({name: model_summary(build_paper_model(PAPER, name)) for name in PAPER.models}))
    assert set(models) == {"model_a", "split_model", "model_b", "model_c"}
    shapes = {layer["name"]: layer["output_shape"][1:] for layer in models["model_a"]["layers"]}
    assert shapes["input"] == [36, 128, 128, 1]
    assert shapes["conv3d_1"] == [36, 128, 128, 16]
    assert shapes["maxpool3d_1"] == [12, 42, 42, 16]  # Table 2
    assert shapes["maxpool3d_2"] == [4, 14, 14, 16]
    assert shapes["flatten"] == [12_544]
    assert models["model_a"]["non_trainable_params"] == 64  # BatchNorm moving statistics

    from common.orchestration.architectures import compare_with_paper

    layers = [{**layer, "params": 0} for layer in models["model_a"]["layers"]]  # Table 2 prints no counts
    rows = compare_with_paper({"layers": layers}, PAPER.architecture_tables["model_a"])
    assert len(rows) == 12 and all(r["match"] for r in rows), [r for r in rows if not r["match"]]
    split = {layer["name"]: layer["output_shape"][1:] for layer in models["split_model"]["layers"]}
    assert split["maxpool3d_3"] == [1, 4, 4, 16] and split["flatten"] == [256]  # Sec. 5.2: a third block
    model_b = {layer["name"]: layer["output_shape"][1:] for layer in models["model_b"]["layers"]}
    assert model_b["input"] == [64, 64, 36, 1] and model_b["conv3d"] == [62, 62, 22, 32]  # MicroExpSTCNN, 36 frames
    model_c = {layer["name"]: layer["output_shape"][1:] for layer in models["model_c"]["layers"]}
    assert model_c["conv3d_1"] == [36, 128, 128, 32] and model_c["flatten"] == [4 * 14 * 14 * 32]  # Sec. 5.4


def test_model_b_is_reddys_stcnn_and_model_c_reads_its_assumptions():
    from common.training import trainable_parameters
    from papers.talluri2022.model import build_model_b, build_model_c

    # MicroExpSTCNN at 64x64x26: Conv3D 32@3x3x15 -> (62, 62, 12, 32), MaxPool 3 -> (20, 20, 4, 32) = 51,200
    conv, dense, out = 3 * 3 * 15 * 32 + 32, 51_200 * 128 + 128, 128 * 3 + 3
    assert trainable_parameters(build_model_b(input_shape=(64, 64, 26, 1))) == conv + dense + out
    small = build_model_c(input_shape=(18, 24, 24, 1), blocks=2, filters=8, dense_units=16)
    assert small.get_layer("conv3d_1").filters == 8 and small.get_layer("dense_1").units == 16
    with pytest.raises(ValueError, match="smaller than"):
        build_model_c(input_shape=(8, 24, 24, 1), blocks=3)


def test_he_normal_is_the_models_initialiser_dense_layers_included():
    from papers.talluri2022.model import build_model_a, build_model_c, build_split_model

    for model in (build_model_a(input_shape=(18, 24, 24, 1), dense_units=8),
                  build_split_model(input_shape=(27, 27, 27, 1), dense_units=8),
                  build_model_c(input_shape=(18, 24, 24, 1), filters=4, dense_units=8)):
        for name in ("conv3d_1", "dense_1", "dense_2"):  # Sec. 5.1: "The model uses a HeNormal initializer"
            assert type(model.get_layer(name).kernel_initializer).__name__ == "HeNormal", (model.name, name)
    old = build_model_a(input_shape=(18, 24, 24, 1), dense_units=8, dense_initializer="glorot_uniform")  # the option
    assert type(old.get_layer("dense_1").kernel_initializer).__name__ == "GlorotUniform"
    assert type(old.get_layer("conv3d_1").kernel_initializer).__name__ == "HeNormal"


def test_selection_maps_table_1_classes(smoke_corpus):
    from common.datasets import load
    from papers.talluri2022.config import default_config
    from papers.talluri2022.protocol import CLASSES, select

    data = {name: load(name, smoke_corpus) for name in ("casme2", "smic", "samm")}
    selection = select(data, default_config("model_a", ("smic",), ("samm",)))
    assert set(selection.datasets) == {"smic", "samm"}
    expected = {("smic", "positive"): "happy", ("smic", "negative"): "disgust", ("smic", "surprise"): "surprise",
                ("samm", "happiness"): "happy", ("samm", "disgust"): "disgust", ("samm", "surprise"): "surprise"}
    for sample, label in zip(selection.samples, selection.labels):
        assert expected[(sample.dataset, sample.emotion)] == CLASSES[label]
    n_samm = sum(s.emotion in ("happiness", "disgust", "surprise") for s in data["samm"])
    assert int(np.sum(selection.datasets == "samm")) == n_samm  # SAMM anger/contempt/other dropped


def test_apex_window_is_centred_and_initial_window_starts_at_zero():
    from common.datasets.sample import Sample
    from papers.talluri2022.config import default_config
    from papers.talluri2022.preprocessing import window_indices

    frames = tuple(Path(f"img{n}.jpg") for n in range(101, 141))  # 40 frames, numbers 101..140
    sample = Sample("casme2", "sub01", "EP01", "happiness", 101, 130, 140, 200.0, frames)
    apex = window_indices(sample, default_config("model_a", ("casme2",), ("casme2",)))
    assert len(apex) == 36 and apex[18] == 29  # 18 before the apex (position 29), then the apex
    assert apex[-1] == 39 and np.all(apex[-7:] == 39)  # the last frame repeated past the clip's end
    initial = window_indices(sample, default_config("model_a", ("casme2",), ("casme2",), window="initial"))
    assert initial.tolist() == list(range(36))


def test_interpolated_edges_and_unannotated_apex():
    from common.config import apply_overrides
    from common.datasets.sample import Sample
    from papers.talluri2022.config import default_config
    from papers.talluri2022.preprocessing import window_notes, window_positions

    config = default_config("model_a", ("casme2",), ("casme2",))
    frames = tuple(Path(f"img{n}.jpg") for n in range(1, 31))  # 30 frames, apex at position 6
    sample = Sample("casme2", "sub01", "EP01", "happiness", 1, 7, 30, 200.0, frames)
    repeat = window_positions(sample, config)
    assert repeat[:13].tolist() == [0.0] * 13 and repeat[18] == 6  # 12 frames short before the apex: frame 0
    interp = window_positions(sample, apply_overrides(config, {"data.edge": "interpolate"}))
    assert len(interp) == 36 and interp[18] == 6 and interp[0] == 0  # apex kept at position 18
    assert np.allclose(np.diff(interp[:19]), 6 / 18)  # frames 0..6 spread over the 18 slots before it
    assert interp[19:].tolist() == list(range(7, 24))  # 23 frames after the apex: the 17 next ones, as "repeat"
    short = Sample("casme2", "sub01", "EP02", "happiness", 1, 7, 15, 200.0, frames[:15])  # 8 frames after the apex
    tail = window_positions(short, apply_overrides(config, {"data.edge": "interpolate"}))[18:]
    assert tail[0] == 6 and tail[-1] == 14 and np.allclose(np.diff(tail), 8 / 17)  # stretched, not repeated
    assert window_notes(sample, config) == {"apex_from_clip_middle": False, "window_past_clip": True}
    smic = Sample("smic", "s1", "s1_po_01", "positive", 1, None, 30, 100.0, frames)  # SMIC-HS: no apex
    assert window_positions(smic, default_config("model_a", ("smic",), ("smic",)))[13] == 15  # middle frame
    assert window_notes(smic, default_config("model_a", ("smic",), ("smic",)))["apex_from_clip_middle"]


def test_similarity_alignment_removes_head_roll(smoke_corpus, tmp_path):
    import cv2

    from common.config import apply_overrides
    from common.datasets import load
    from common.datasets.sample import Sample
    from papers.talluri2022.config import default_config
    from papers.talluri2022.preprocessing import _face_sequence

    sample = load("casme2", smoke_corpus)[0]
    rotated = []
    for path in sample.frames[:3]:
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), 12.0, 1.0)  # a 12 degree head roll
        out = tmp_path / path.name
        cv2.imwrite(str(out), cv2.warpAffine(image, turn, (w, h), borderMode=cv2.BORDER_REPLICATE))
        rotated.append(out)
    rolled = Sample(sample.dataset, sample.subject, sample.clip, sample.emotion, None, None, None, sample.fps,
                    tuple(rotated))
    upright = Sample(sample.dataset, sample.subject, sample.clip, sample.emotion, None, None, None, sample.fps,
                     sample.frames[:3])
    positions = np.zeros(1)

    def corr(config):
        a = _face_sequence(upright, positions, config)[0].astype(float)
        b = _face_sequence(rolled, positions, config)[0].astype(float)
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    base = apply_overrides(default_config("model_a", ("casme2",), ("casme2",)), {"data.size": "64"})
    aligned, plain = corr(base), corr(apply_overrides(base, {"data.align": "none"}))
    assert aligned > 0.95 and aligned > plain + 0.05, (aligned, plain)  # Sec. 4.1: a common reference


def test_cross_dataset_folds_pair_stratified_folds_of_each_database(smoke_corpus):
    from common.datasets import load
    from common.config import apply_overrides
    from papers.talluri2022.config import default_config
    from papers.talluri2022.protocol import folds, select

    data = {name: load(name, smoke_corpus) for name in ("casme2", "smic", "samm")}
    config = apply_overrides(default_config("model_a", ("casme2", "smic"), ("samm",)), {"protocol.folds": "2"})
    selection = select(data, config)
    result = folds(selection, config, seed=0)
    assert len(result) == 2
    tested = np.concatenate([f.test for f in result])
    assert sorted(tested.tolist()) == np.flatnonzero(selection.datasets == "samm").tolist()  # each SAMM clip once
    for fold in result:
        assert set(selection.datasets[fold.train]) == {"casme2", "smic"}
        assert len(fold.train) < int(np.sum(selection.datasets != "samm"))  # 1/k of the training data held out
    whole = folds(selection, apply_overrides(config, {"protocol.cross_test": "whole"}), seed=0)
    assert [f.train.tolist() for f in whole] == [f.train.tolist() for f in result]  # same training folds
    for fold in whole:  # every model tested on the whole target database
        assert fold.test.tolist() == np.flatnonzero(selection.datasets == "samm").tolist()


def test_split_run_summary_compares_best_with_best():
    from papers.talluri2022.pages import split_run_summary

    records = [{"fold": "run1", "y_true": [0, 1, 2, 0], "y_pred": [0, 1, 2, 1],
                "history": {"val_accuracy": [0.5, 1.0, 0.75]}},
               {"fold": "run2", "y_true": [0, 1], "y_pred": [1, 0], "history": {"val_accuracy": [0.5, 0.0]}}]
    summary = split_run_summary(records)
    assert summary["best_last"] == 0.75 and summary["mean_last"] == pytest.approx(0.375)  # last epoch
    assert summary["best_peak"] == 1.0 and summary["mean_peak"] == pytest.approx(0.75)  # peak of Fig. 4's curve
    assert summary["runs"][0]["peak_epoch"] == 2 and summary["best_run"] == "run1"


def test_split_run_page_says_what_the_comparison_rows_hold():
    """The Sec. 8.1 page's subtitle names the aggregation of each comparison row, in the rows' order:
    the Split Model's 85.2% against our best run first (Sec. 8.1 "Run-1 achieved the highest accuracy")."""
    from papers.talluri2022 import EXPERIMENTS
    from papers.talluri2022.pages import COMPARED

    words = {"fold_best": "our best run", "fold_mean": "the mean over our runs"}
    for model in ("split_model", "model_c"):
        (experiment,) = [e for e in EXPERIMENTS if e.name == f"casme2_split_runs_{model}"]
        assert experiment.config.model.name == model
        order = [COMPARED[model].index(words[r.aggregation]) for r in experiment.reported]
        assert order == sorted(order), (model, COMPARED[model])
    split_model = [e for e in EXPERIMENTS if e.name == "casme2_split_runs_split_model"][0]
    assert [r.aggregation for r in split_model.reported] == ["fold_best", "fold_mean"]
    assert "NOT like with like" in split_model.reported[1].note


def test_the_pages_beside_the_papers_numbers_say_a_run_is_partial(monkeypatch):
    """A scenario run cut to fewer folds than its protocol (and a split-runs experiment cut the same way): the page
    that puts our fold mean beside Table 4 (or our runs beside Sec. 8.1's) leads its subtitle with the mark."""
    import types

    from common.reporting import figures
    from papers.talluri2022 import pages

    subtitles = []
    monkeypatch.setattr(figures, "table_pages", lambda *args, subtitle="", **kw: subtitles.append(subtitle) or [])
    monkeypatch.setattr(figures, "curves_page", lambda *args, **kw: None)
    monkeypatch.setattr(pages, "_save", lambda pdf, fig: None)
    records = [{"fold": "fold1", "y_true": [0, 1], "y_pred": [0, 1], "history": {"val_accuracy": [0.5, 1.0]}}]
    selection = types.SimpleNamespace(datasets=np.array(["casme2", "casme2"]), labels=[0, 1],
                                      class_names=("happy", "surprise"))
    config = types.SimpleNamespace(protocol=types.SimpleNamespace(train=("casme2",), test=("casme2",),
                                                                  cross_test="whole"),
                                   model=types.SimpleNamespace(name="split_model"))
    for folds_protocol, expected in ((1, ""), (5, "PARTIAL RUN: 1 of 5 folds, not comparable with published rows. ")):
        result = types.SimpleNamespace(records=records, selection=selection, config=config, name="casme2_intra",
                                       summary={"folds": records, "folds_protocol": folds_protocol})
        subtitles.clear()
        pages.scenario_pages(None, result)
        pages.split_run_pages(None, result)
        assert len(subtitles) == 2
        assert all(s.startswith(expected) if expected else "PARTIAL" not in s for s in subtitles), subtitles


def test_motion_input_option_uses_training_statistics_and_is_off_in_the_paper_profile():
    from common.config import apply_overrides
    from common.running.profiles import effective_config
    from papers.talluri2022 import EXPERIMENTS
    from papers.talluri2022.config import default_config
    from papers.talluri2022.preprocessing import motion_input, motion_scale

    paper = default_config("model_a", ("casme2",), ("casme2",))
    config = apply_overrides(paper, {"data.motion_input": "minus_clip_mean"})
    rng = np.random.default_rng(0)
    train = np.repeat(rng.uniform(0, 1, size=(3, 1, 4, 4, 1)), 5, axis=1)  # static faces (N, T, H, W, C)
    train[0, 2:, 0, 0] += 0.1  # one moving pixel
    test = np.repeat(rng.uniform(0, 1, size=(1, 1, 4, 4, 1)), 5, axis=1)
    test[0, :2, 3, 3] += 0.5
    assert motion_scale(train, paper) is None  # "none": the paper's inputs, unchanged
    assert motion_input(train, None, paper) is train and motion_input(test, None, paper) is test
    scale = motion_scale(train, config)  # what fold_inputs fits on the training fold and records for --predict
    a, b = motion_input(train, scale, config), motion_input(test, scale, config)
    assert np.allclose(a.mean(axis=1), 0, atol=1e-5) and np.allclose(b.mean(axis=1), 0, atol=1e-5)  # faces gone
    assert a.std() == pytest.approx(1.0)  # scaled by the training residuals only
    assert np.count_nonzero(np.abs(b) > 1e-6) == 5
    for experiment in EXPERIMENTS:  # a quick-profile deviation: never in the paper profile
        assert effective_config(experiment, "paper").data.motion_input == "none"
        assert effective_config(experiment, "quick").data.motion_input == "minus_clip_mean"


def test_model_c_uses_keras2_style_decay_through_compile_model():
    import dataclasses

    import keras

    from common.training import compile_model, make_optimizer
    from papers.talluri2022.config import default_config
    from papers.talluri2022.model import build_model_c

    config = default_config("model_c", ("casme2",), ("casme2",))
    assert config.train.learning_rate == 0.001 and config.train.nesterov and config.train.lr_decay == 1e-6  # Sec. 6.3
    assert default_config("model_a", ("casme2",), ("casme2",)).train.lr_decay == 0  # Sec. 6.1: no decay
    model = compile_model(build_model_c(input_shape=(18, 24, 24, 1), filters=4, dense_units=8), config.train)
    schedule = model.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.InverseTimeDecay)
    assert float(schedule(1_000_000)) == pytest.approx(0.001 / 2)  # lr / (1 + 1e-6 * step)
    assert model.optimizer.nesterov and float(model.optimizer.momentum) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="two schedules"):  # TrainConfig.lr_decay and lr_step_epochs exclude each other
        make_optimizer(dataclasses.replace(config.train, lr_step_epochs=10))


def test_build_model_follows_the_config_and_models_are_the_papers_sizes():
    import dataclasses

    from common.config import apply_overrides
    from papers.talluri2022.config import default_config
    from papers.talluri2022.model import build_model

    smic = default_config("model_b", ("smic",), ("smic",))  # Sec. 4.4: 26 frames; Sec. 5.3: 64x64
    assert build_model(config=smic, num_classes=3).input_shape == (None, 64, 64, 26, 1)
    small = apply_overrides(default_config("model_c", ("casme2",), ("casme2",)),
                            {"data.frames": 18, "data.size": 24, "model.c_filters": 4, "model.c_dense_units": 8})
    model = build_model(config=small, num_classes=5)
    assert model.input_shape == (None, 18, 24, 24, 1) and model.output_shape == (None, 5)
    assert model.get_layer("conv3d_1").filters == 4 and model.get_layer("dense_1").units == 8
    with pytest.raises(ValueError, match="model.name"):
        build_model(config=dataclasses.replace(small, model=dataclasses.replace(small.model, name="model_x")),
                    num_classes=3)


@pytest.mark.slow
def test_smoke_run_through_run_all(tmp_path_factory, smoke_corpus):
    # the session's one smoke run of talluri2022 (tests/run_cli.SMOKE_RUNS), which tests/test_report_layout.py reads
    name, split = SMOKE_RUNS["talluri2022"]
    tmp_path = smoke_run(tmp_path_factory, smoke_corpus, "talluri2022")
    results = json.loads((tmp_path / "talluri2022" / name / "results.json").read_text())
    assert [f["status"] for f in results["folds"]] == ["ok", "ok"]  # smoke: 2 stratified folds
    assert results["class_names"] == ["happy", "disgust", "surprise"]
    assert results["metrics"]["pooled"]["all"]["n"] == results["n_samples"]
    assert results["comparison"][0]["reported"] == pytest.approx(0.565)  # Table 4, Scenario-02, Model-A
    assert results["config"]["data"]["align"] == "similarity" and results["config"]["data"]["edge"] == "repeat"
    # Sec. 8.1: Model-C on the random splits, with its test curve kept for the peak-epoch value
    model_c = json.loads((tmp_path / "talluri2022" / split / "results.json").read_text())
    assert [f["name"] for f in model_c["folds"]] == ["run1", "run2"] and model_c["parameters"].get("model_c")
    assert all(len(f["history"]["val_accuracy"]) == 1 for f in model_c["folds"])
    assert model_c["comparison"][0]["reported"] == pytest.approx(0.803)
    assert (tmp_path / "talluri2022" / "report.pdf").stat().st_size > 0


def test_benchmark_entry_takes_the_track_as_is_and_trains_one_smoke_fold(smoke_corpus, tmp_path):
    from common.leaderboard.tracks import MEGC2019
    from common.datasets import load
    from common.running.profiles import effective_config
    from common.experiment import FoldContext
    from common.training import set_seed
    from papers.talluri2022 import BENCHMARK_MODELS, benchmark_experiment

    experiment = benchmark_experiment(MEGC2019)
    assert experiment.name == "megc2019" and BENCHMARK_MODELS[0] == "model_a"  # Table 4's best model
    assert experiment.config.data.frames == 30 and experiment.config.data.window == "apex"  # Scenario-03 recipe
    assert benchmark_experiment(MEGC2019, "model_c").name == "megc2019_model_c"
    with pytest.raises(ValueError, match="benchmark model"):
        benchmark_experiment(MEGC2019, "resnet18")
    data = {"megc2019": load("megc2019", smoke_corpus)}
    config = effective_config(experiment, "smoke")
    selection, track = experiment.select(data, config), MEGC2019.select(data)
    assert [s.key for s in selection.samples] == [s.key for s in track.samples]  # every clip, track order
    assert selection.labels.tolist() == track.labels.tolist() and selection.class_names == MEGC2019.class_names
    folds = experiment.folds(selection, config, 0)
    assert [(f.name, f.test.tolist()) for f in folds] == [(f.name, f.test.tolist()) for f in MEGC2019.folds(track, 0)]
    fold = folds[0]
    ctx = FoldContext(selection=selection, fold=fold, config=config, profile="smoke", seed=0,
                      work_dir=tmp_path / "work", cache_dir=tmp_path / "stages")
    set_seed(0)
    outcome = experiment.run_fold(ctx)
    assert outcome.test_indices.tolist() == fold.test.tolist() and outcome.probabilities.shape == (len(fold.test), 3)
    assert np.allclose(outcome.probabilities.sum(axis=1), 1, atol=1e-5) and len(outcome.history["loss"]) == 1
    assert set(outcome.extra["counts"]) == set(MEGC2019.class_names)  # the track's classes, not Table 1's
    assert outcome.extra["windows"]["apex_from_clip_middle"][0] >= 1  # SMIC clips: the clip middle


def test_estimate_hooks_build_every_model_at_the_papers_input_size(smoke_corpus, tmp_path):
    from common.config import apply_overrides
    from common.datasets import load
    from common.running.profiles import effective_config
    from papers.talluri2022 import EXPERIMENTS
    from papers.talluri2022.preprocessing import clip_input
    from papers.talluri2022.protocol import tuning_grid

    data = {"casme2": load("casme2", smoke_corpus)}
    by_name = {e.name: e for e in EXPERIMENTS}
    assert all(e.training_stages and e.preprocess_clip for e in EXPERIMENTS)
    shapes = {"s2_casme2_to_casme2_model_a": (36, 128, 128, 1), "s2_casme2_to_casme2_model_b": (64, 64, 36, 1),
              "s2_casme2_to_casme2_model_c": (36, 128, 128, 1), "casme2_split_runs_split_model": (36, 128, 128, 1)}
    for name, shape in shapes.items():  # the paper profile: Table 2 / Sec. 5 inputs, 100 epochs (Sec. 6)
        experiment = by_name[name]
        config = apply_overrides(experiment.config, {"protocol.folds": 2})  # the smoke corpus has 3 clips a class
        selection = experiment.select(data, config)
        fold = experiment.folds(selection, config, 0)[0]
        (stage,) = experiment.training_stages(config, selection, fold)
        model = stage.build()
        assert model.input_shape == (None, *shape) and model.optimizer is not None, name
        assert (stage.model, stage.samples, stage.epochs, stage.batch_size) == \
            (config.model.name, len(fold.train), 100, config.train.batch_size)
    tuning = by_name["model_c_tuning"]
    config = effective_config(tuning, "smoke")
    selection = tuning.select(data, config)
    fold = tuning.folds(selection, config, 0)[0]
    stages = tuning.training_stages(config, selection, fold)
    assert len(stages) == len(tuning_grid(config)) + 1 == 3  # two learning rates, then the chosen model
    assert stages[0].samples < stages[-1].samples == len(fold.train)
    sample = selection.samples[0]
    faces = tuning.preprocess_clip(sample, config)
    assert faces.shape == (18, 24, 24) and faces.dtype == np.uint8
    assert np.array_equal(faces, clip_input(sample, config, tmp_path / "stages"))  # what run_fold caches


def test_report_pages_draw_from_the_result_in_memory(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages

    from common.config import apply_overrides
    from common.datasets.sample import Sample
    from common.experiment import Selection
    from common.harness import ExperimentResult, ReportContext
    from papers.talluri2022 import EXPERIMENTS
    from papers.talluri2022.protocol import CLASSES

    samples = tuple(Sample(db, "s1", f"c{i}", "x", 1, 2, 3, 100.0, ())
                    for i, db in enumerate(["casme2"] * 4 + ["samm"] * 2))
    selection = Selection(samples=samples, labels=np.array([0, 1, 2, 0, 1, 2]), class_names=CLASSES)
    records = ({"fold": "fold01", "status": "ok", "y_true": [0, 1], "y_pred": [0, 2],
                "history": {"val_accuracy": [0.5, 1.0]}, "extra": {"windows": {"window_past_clip": [1, 0]},
                "chosen": {"filters": 16, "dense_units": 64, "dropout": 0.5, "learning_rate": 0.01,
                           "inner_accuracy": 0.75}}},
               {"fold": "fold02", "status": "failed", "y_true": [], "y_pred": [], "history": {}, "extra": {}})
    by_name = {e.name: e for e in EXPERIMENTS}
    pages = 0
    for name in ("s5_casme2_to_samm_model_a", "casme2_split_runs_model_c", "model_c_tuning"):
        experiment = by_name[name]
        config = apply_overrides(experiment.config, {"protocol.cross_test": "whole"})
        result = ExperimentResult(paper="talluri2022", experiment=experiment, config=config, selection=selection,
                                  records=records, summary={})  # no results.json, no files: the pages draw only
        with PdfPages(tmp_path / f"{name}.pdf") as pdf:
            experiment.report_pages(pdf, result, ReportContext(paper_id="talluri2022"))
            pages += pdf.get_pagecount()
    assert pages >= 4  # a scenario table, the Sec. 8.1 table and curves, the tuning table


def test_export_fold_keeps_the_model_and_motion_scale_and_predict_clips_repeats_the_fold(smoke_corpus, tmp_path):
    from export_fold import export_fold_check

    fold, predicted, sink, ctx, experiment = export_fold_check(
        "talluri2022", "s1_smic_to_smic_model_a", smoke_corpus, tmp_path,
        overrides={"data.motion_input": "minus_clip_mean"})  # the quick profile's fitted scale, as state
    assert list(sink.models) == ["model_a"]
    assert sink.state["motion_scale"] > 0
    np.testing.assert_allclose(predicted, fold, atol=1e-5)
    views = experiment.predict_views(ctx, 0)
    assert len(views.frames) >= 1 and views.face_box is not None
    assert views.inputs[-1][1].shape == (24, 24)  # the network input (motion) at the window's middle frame
