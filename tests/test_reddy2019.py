"""papers/reddy2019: Tables I-III shapes and parameter counts (full-size models built once through
``run_all.py --architectures``), the CAS(ME)^2 / SMIC selection, the paper vs leakage-free
normalisation, Table VIII's epoch window, saliency maps, and a smoke run through run_all.py."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import run_cli
from run_cli import architectures_json


@pytest.fixture(scope="module")
def architectures():
    """``run_all.py --paper reddy2019 --architectures --json``: builds the 44 M and 2 x 177 M models once."""
    return architectures_json("reddy2019")


def _shapes(model: dict) -> dict[str, list]:
    return {layer["name"]: layer["output_shape"][1:] for layer in model["layers"]}


def test_architectures_json_reproduces_tables_1_to_3(architectures):
    assert set(architectures) == {"microexpstcnn", "microexpfusenet_intermediate", "microexpfusenet_late"}
    stcnn = _shapes(architectures["microexpstcnn"])
    assert stcnn["input"] == [64, 64, 96, 1]  # frames last (docs/methods.md §7.1)
    assert stcnn["conv3d"] == [62, 62, 82, 32]  # Table I
    assert stcnn["maxpool3d"] == [20, 20, 27, 32]
    assert stcnn["flatten"] == [345_600]
    inter = _shapes(architectures["microexpfusenet_intermediate"])
    assert inter["eyes_conv3d"] == inter["mouth_conv3d"] == [30, 30, 82, 32]
    assert inter["eyes_maxpool3d"] == [10, 10, 27, 32]
    assert inter["eyes_flatten"] == [86_400]
    assert inter["concatenate"] == [172_800]  # Table II prints 86,400 (typo)
    late = _shapes(architectures["microexpfusenet_late"])
    assert late["concatenate"] == [256]  # Table III


def test_architecture_tables_match_except_the_recorded_typos(architectures):
    from common.orchestration.architectures import compare_with_paper
    from papers.reddy2019 import PAPER

    for name, rows in PAPER.architecture_tables.items():
        # no counts in the JSON
        summary = {"layers": [{**layer, "params": 0} for layer in architectures[name]["layers"]]}
        for row, compared in zip(rows, compare_with_paper(summary, rows)):
            shape_typo = row["note"].startswith("TYPO: printed")  # Table II's dropout and concatenate shapes
            assert compared["ours_shape"] is not None, f"{name}: no layer {row['name']}"
            assert compared["match"] is not shape_typo, (name, row, compared)


def test_analytic_parameter_counts_equal_built_models():
    from common.training import trainable_parameters
    from papers.reddy2019 import PARAMETERS
    from papers.reddy2019.model import (build_microexpfusenet_intermediate, build_microexpfusenet_late,
                                        build_microexpstcnn, fusenet_parameter_count, stcnn_parameter_count)

    assert PARAMETERS["microexpstcnn_smic"] == 1_643_267  # SMIC, 18 frames (docs/methods.md §7.3)
    assert trainable_parameters(build_microexpstcnn(input_shape=(64, 64, 18, 1))) == 1_643_267
    # reduced frame count, same formula as the full-size counts above
    for shape in ((32, 32, 20, 1), (20, 20, 26, 1)):
        assert trainable_parameters(build_microexpfusenet_intermediate(input_shape=shape)) == fusenet_parameter_count(
            shape, "intermediate")
        assert trainable_parameters(build_microexpfusenet_late(input_shape=shape)) == fusenet_parameter_count(
            shape, "late")
    assert trainable_parameters(build_microexpstcnn(input_shape=(32, 32, 32, 1), kernel_size=(5, 5, 7))) == \
        stcnn_parameter_count((32, 32, 32, 1), kernel_size=(5, 5, 7))
    with pytest.raises(ValueError, match="too small"):
        build_microexpstcnn(input_shape=(64, 64, 16, 1))  # 16 frames: valid 15-frame kernel leaves 2 < pool 3


def test_selection_labels_casme_sq_by_stimulus_and_smic_by_folder(smoke_corpus):
    from common.config import apply_overrides
    from common.datasets import load
    from papers.reddy2019.config import default_config
    from papers.reddy2019.preprocessing import clip_frame_paths, long_video_frames
    from papers.reddy2019.protocol import select, stimulus_class

    assert [stimulus_class(s) for s in ("anger2", "happy5", "disgust1", "sad1")] == ["angry", "happy", "disgust", None]
    samples = load("casme_sq", smoke_corpus)
    config = apply_overrides(default_config("casme_sq", "microexpstcnn"),  # every coded expression (both types)
                             {"data.frames": "20", "data.casme_sq_label": "stimulus",
                              "data.casme_sq_types": ("micro", "macro")})
    selection = select({"casme_sq": samples}, config)

    def fits(sample) -> bool:  # the apex-centred 20-frame window lies inside the long video (ledger 6)
        numbers = [int(p.stem[3:]) for p in long_video_frames(sample.meta["video_dir"])]
        return sample.apex - 10 >= numbers[0] and sample.apex + 9 <= numbers[-1]

    assert 0 < len(selection) == sum(fits(s) for s in samples) < len(samples)  # the rule drops something
    for sample, label in zip(selection.samples, selection.labels):
        assert selection.class_names[label] == stimulus_class(sample.meta["stimulus"])
        paths = clip_frame_paths(sample, config)
        numbers = [int(p.stem[3:]) for p in paths]
        assert numbers == list(range(sample.apex - 10, sample.apex + 10))  # centred, never slid
    smic = load("smic", smoke_corpus)
    smic_config = default_config("smic", "microexpstcnn")
    assert len(select({"smic": smic}, smic_config)) == sum(len(s.frames) >= 18 for s in smic)


def test_casme_sq_paper_selection_labels_by_self_report_and_span_rule_is_literal(smoke_corpus):
    import dataclasses

    from common.config import apply_overrides
    from common.datasets import load
    from papers.reddy2019.config import default_config
    from papers.reddy2019.protocol import select

    samples = load("casme_sq", smoke_corpus)
    assert default_config("casme_sq").data.casme_sq_label == "self_report"  # the paper profile (ledger 5)
    config = apply_overrides(default_config("casme_sq", "microexpstcnn"),
                             {"data.frames": "20", "data.casme_sq_types": ("micro", "macro")})
    reports = ["sadness", "anger", "happyiness", "disgust"] * len(samples)
    relabelled = [dataclasses.replace(s, meta={**s.meta, "self_report": r}) for s, r in zip(samples, reports)]
    selection = select({"casme_sq": relabelled}, config)
    expected = {"anger": "angry", "happyiness": "happy", "disgust": "disgust"}
    kept = [s for s in relabelled if s.meta["self_report"] in expected]
    assert 0 < len(selection) <= len(kept) < len(relabelled)  # sadness rows are not a class
    for sample, label in zip(selection.samples, selection.labels):
        assert selection.class_names[label] == expected[sample.meta["self_report"]]  # not the stimulus
    span = select({"casme_sq": samples}, apply_overrides(config, {"data.casme_sq_length_rule": "span"}))
    assert len(span) == sum(len(s.frames) >= 20 for s in samples)  # the coded interval itself must be long


def test_casme_sq_paper_selection_admits_no_macro_expression(smoke_corpus):
    """Sec. IV-A takes "micro-expression videos": the `paper` selection keeps only the code file's
    micro-expressions (type column); every macro-expression is dropped with that reason. The run log
    prints the class counts beside Table IV's 94 / 76 / 36."""
    from common.config import apply_overrides
    from common.datasets import load
    from papers.reddy2019 import EXPERIMENTS
    from papers.reddy2019.config import default_config
    from papers.reddy2019.protocol import select, table4_line

    samples = load("casme_sq", smoke_corpus, types=("micro", "macro"))  # as the experiments load it
    macro = {s.key for s in samples if s.meta["type"] == "macro"}
    assert macro and len(macro) < len(samples)
    paper = default_config("casme_sq", "microexpstcnn")
    assert paper.data.casme_sq_types == ("micro",)
    for frames in ("96", "20"):  # the paper's 96 frames, and 20 so that the smoke long videos hold windows
        selection = select({"casme_sq": samples}, apply_overrides(paper, {"data.frames": frames}))
        assert all(s.meta["type"] == "micro" for s in selection.samples)
        reasons = {d.key: d.reason for d in selection.dropped}
        assert all(key in reasons and reasons[key].startswith("macro-expression") for key in macro)
    assert len(selection) > 0  # at 20 frames some micro-expressions are kept
    line = table4_line(selection, "casme_sq")
    counts = {name: sum(selection.class_names[k] == name for k in selection.labels) for name in selection.class_names}
    assert (f"happy 94 | ours {counts['happy']}, angry 76 | ours {counts['angry']}, "
            f"disgust 36 | ours {counts['disgust']}; total 206 | ours {len(selection)}") in line
    for experiment in EXPERIMENTS:  # every CAS(ME)^2 experiment's paper config takes micro only
        if experiment.config.data.database == "casme_sq":
            assert experiment.config.data.casme_sq_types == ("micro",), experiment.name
            assert experiment.profiles["smoke"]["data.casme_sq_types"] == ("micro", "macro")  # ledger 24


def test_a_replaced_frame_of_a_casme_sq_window_outside_the_coded_clip_changes_the_fold_fingerprint(tmp_path):
    """CAS(ME)^2: the model sees a window of the long video (``meta["video_dir"]``) centred on the apex, wider than
    the coded onset..offset frames (``Sample.frames``). ``select`` lists the window in ``meta["input_files"]``, so
    that the runner's fold fingerprint stats it: a window frame outside the coded clip replaced between two runs
    recomputes the folds reading the clip, as its stage cache does."""
    import os

    from common.config import apply_overrides
    from common.experiment import Fold
    from common.datasets.sample import Sample
    from common.running import runner
    from papers.reddy2019.config import default_config
    from papers.reddy2019.protocol import select

    video = tmp_path / "rawpic" / "s15" / "15_0401girlcrashing"
    video.mkdir(parents=True)
    for n in range(1, 61):
        (video / f"img{n:03d}.jpg").write_bytes(b"x" * 10)
    samples = [Sample(dataset="casme_sq", subject="s15", clip=f"anger1_{i + 1}", emotion="negative", onset=a - 2,
                      apex=a, offset=a + 2, fps=30.0,
                      frames=tuple(video / f"img{n:03d}.jpg" for n in range(a - 2, a + 3)),
                      meta={"type": "micro", "video_dir": video, "stimulus": "anger1", "self_report": "anger"})
               for i, a in enumerate((20, 40))]
    config = apply_overrides(default_config("casme_sq", "microexpstcnn"), {"data.frames": "20"})
    selection = select({"casme_sq": samples}, config)
    assert len(selection) == 2
    base = {"paper": "reddy2019", "experiment": "toy", "profile": "smoke", "seed": 0, "config_hash": "0",
            "data_root": str(tmp_path)}
    fold = Fold("s15", np.array([0]), np.array([1]))
    before = runner.fold_fingerprint(base, selection, fold)
    outside = video / "img047.jpg"  # in the second clip's window (30..49), not among its coded frames (38..42)
    assert outside not in selection.samples[1].frames
    stat = os.stat(outside)
    outside.write_bytes(b"y" * 11)
    os.utime(outside, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))
    assert runner.fold_fingerprint(base, selection, fold) != before


def _overlapping_casme_sq(tmp_path, apexes):
    """Samples of one 60-frame long video whose apexes are ``apexes`` (empty frame files, never decoded)."""
    from common.datasets.sample import Sample
    from common.experiment import Selection

    video = tmp_path / "rawpic" / "s15" / "15_0401girlcrashing"
    video.mkdir(parents=True)
    for n in range(1, 61):
        (video / f"img{n:03d}.jpg").write_bytes(b"")
    samples = tuple(Sample(dataset="casme_sq", subject="s15", clip=f"anger1_{i + 1}", emotion="negative", onset=a - 2,
                           apex=a, offset=a + 2, fps=30.0, frames=(),
                           meta={"type": "macro", "video_dir": video, "stimulus": "anger1", "self_report": "anger"})
                    for i, a in enumerate(apexes))
    return Selection(samples=samples, labels=np.zeros(len(samples), dtype=int),
                     class_names=("happy", "angry", "disgust"))


def test_leakage_free_casme_sq_split_has_no_test_frame_in_training(tmp_path):
    from common.config import apply_overrides
    from papers.reddy2019.config import default_config
    from papers.reddy2019.protocol import clip_windows, folds, window_overlap

    # 10 expressions of one long video, 10-frame windows at apexes 6, 11, ..., 51: neighbours share 5 frames
    selection = _overlapping_casme_sq(tmp_path, [6 + 5 * i for i in range(10)])
    overrides = {"data.frames": "10"}
    paper = apply_overrides(default_config("casme_sq", "microexpstcnn", "paper"), overrides)
    clean = apply_overrides(default_config("casme_sq", "microexpstcnn", "leakage_free"), overrides)
    (published,), (fold,) = folds(selection, paper, 0), folds(selection, clean, 0)
    windows = clip_windows(selection, paper)
    assert all(len(w) == 10 for w in windows)
    before = window_overlap(windows, published.train, published.test)
    assert before["sharing"] == len(published.test) and before["max_share"] == pytest.approx(0.5)  # hand-computed
    assert np.array_equal(fold.test, published.test) and set(fold.train) < set(published.train)
    test_frames = set().union(*(windows[t] for t in fold.test))
    assert all(not (windows[r] & test_frames) for r in fold.train)  # no frame of a test window in training
    assert window_overlap(windows, fold.train, fold.test)["sharing"] == 0
    # a window identical to a training window counts as identical
    same = _overlapping_casme_sq(tmp_path / "b", [20, 20])
    w = clip_windows(same, paper)
    assert window_overlap(w, np.array([0]), np.array([1]))["identical"] == 1


def test_fusenet_table5_values_are_whole_set_fractions_and_literature_rows_are_transcribed():
    from papers.reddy2019 import EXPERIMENTS
    from papers.reddy2019 import reported as rep

    for key, (k, n) in rep.TABLE5_WHOLE_SET_FRACTIONS.items():
        assert round(k / n, 4) == rep.TABLE5_ACCURACY[key]  # 169/203 = 0.8325 ...
        assert abs(rep.TABLE5_ACCURACY[key] * 41 - round(rep.TABLE5_ACCURACY[key] * 41)) > 0.01  # not k/41
    assert round(36 / 41, 4) == rep.TABLE5_ACCURACY[("casme_sq", "microexpstcnn")]  # the STCNN: the 20% split
    assert [r[0] for r in rep.TABLE5_LITERATURE] == ["LBP-TOP", "STCLQP", "CNN with Augmentation", "3D-FCNN"]
    by_name = {e.name: e for e in EXPERIMENTS}
    whole = by_name["casme_sq_microexpfusenet_intermediate_whole_set"]
    assert whole.config.protocol.variant == "whole_set" and whole.reported[0].aggregation == "whole_set"
    assert "NOT COMPARABLE" in by_name["casme_sq_microexpfusenet_intermediate"].reported[0].note
    assert "microexpstcnn_whole_set" not in " ".join(by_name)  # the STCNN script validates on the split


def test_paper_normalisation_uses_all_data_leakage_free_only_training():
    from papers.reddy2019.preprocessing import normalise

    train, test = np.array([0.0, 2.0, 4.0]), np.array([10.0])
    (paper_test,) = normalise([test], [np.concatenate([train, test])])  # mean 4, max(x - mean) = 6
    assert paper_test == pytest.approx([1.0])
    (clean_test,) = normalise([test], [train])  # mean 2, max(x - mean) = 2
    assert clean_test == pytest.approx([4.0])


def test_motion_input_option_removes_the_static_face_and_is_off_in_the_paper_profile():
    from common.running.profiles import effective_config
    from papers.reddy2019 import EXPERIMENTS
    from papers.reddy2019.preprocessing import normalise_clip_mean

    rng = np.random.default_rng(0)
    face = rng.uniform(0, 255, size=(2, 4, 4, 1, 1))  # static faces, (N, H, W, T, C) frames last
    motion = np.zeros((2, 4, 4, 6, 1))
    motion[0, 1, 1, 3:] = 2.0  # one pixel brightens in the last 3 frames of clip 0
    (out,) = normalise_clip_mean([face + motion], [face + motion])
    assert np.allclose(out.mean(axis=3), 0.0, atol=1e-6)  # the face is gone
    assert np.count_nonzero(np.abs(out) > 1e-6) == 6 and out.std() == pytest.approx(1.0)  # only the motion remains
    for experiment in EXPERIMENTS:  # quick-profile deviations (ledger 15, 17): never in the paper profile
        paper, quick = effective_config(experiment, "paper"), effective_config(experiment, "quick")
        assert paper.data.motion_input == "none" and quick.data.motion_input == "minus_clip_mean"
        assert paper.data.crop_landmarks == "track" and paper.data.align  # Sec. III-B: detect, align each frame
        assert paper.train.learning_rate == 0.01  # Sec. IV-B
        assert paper.data.face_crop  # Sec. III-A "full face"
        fusenet = paper.model.name != "microexpstcnn"
        assert quick.data.crop_landmarks == ("first" if fusenet else "track")
        assert quick.train.learning_rate == (0.001 if fusenet else 0.01)


@pytest.mark.parametrize("mode", ["track", "first"])
def test_fusenet_crop_landmarks_option_reaches_clip_landmarks(tmp_path, monkeypatch, mode):
    import dataclasses

    import cv2

    import papers.reddy2019.preprocessing as preprocessing
    from papers.reddy2019.config import default_config
    from papers.reddy2019.preprocessing import read_clip

    rng = np.random.default_rng(0)
    paths = []
    for t in range(3):
        paths.append(tmp_path / f"img{t + 1}.png")
        cv2.imwrite(str(paths[-1]), rng.integers(0, 255, size=(96, 96, 3), dtype=np.uint8))
    seen, real = [], preprocessing.clip_landmarks
    monkeypatch.setattr(preprocessing, "clip_landmarks",
                        lambda frames, mode: seen.append(mode) or real(frames, mode=mode))
    config = default_config("smic", "microexpfusenet_late")
    config = dataclasses.replace(config, data=dataclasses.replace(config.data, crop_size=8, crop_landmarks=mode))
    crops = read_clip(paths, config)
    assert seen == [mode] and crops["eyes"].shape == crops["mouth"].shape == (3, 8, 8)


def test_smic_keeps_18_frames_and_the_3x3x15_kernel_in_every_profile():
    from common.running.profiles import effective_config
    from papers.reddy2019 import EXPERIMENTS

    for experiment in (e for e in EXPERIMENTS if e.name.startswith("smic_")):
        for profile in ("paper", "quick", "smoke"):
            config = effective_config(experiment, profile)
            assert config.data.frames == 18 and tuple(config.model.kernel_size) == (3, 3, 15), (experiment.name,
                                                                                                profile)


def test_table8_window_is_epochs_91_to_100():
    from papers.reddy2019.protocol import table8_summary

    curve = list(np.linspace(0, 1, 100))
    summary = table8_summary({"val_accuracy": curve}, (91, 100))
    assert summary["epochs"] == [91, 100]
    assert summary["mean"] == pytest.approx(np.mean(curve[90:]))
    assert summary["std"] == pytest.approx(np.std(curve[90:]))
    short = table8_summary({"val_accuracy": [0.1, 0.2, 0.3]}, (91, 100))  # fewer epochs: the last ones
    assert short["epochs"] == [1, 3] and short["mean"] == pytest.approx(0.2)


def test_saliency_is_the_gradient_of_the_predicted_score():
    from papers.reddy2019.model import build_microexpstcnn
    from papers.reddy2019.protocol import saliency_maps

    model = build_microexpstcnn(input_shape=(16, 16, 20, 1))
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 20, 1)).astype(np.float32)
    saliency, predicted = saliency_maps(model, x)
    assert saliency.shape == (2, 16, 16, 20)
    assert saliency.min() >= 0 and saliency.max() == pytest.approx(1.0)
    assert np.array_equal(predicted, np.argmax(model.predict(x, verbose=0), axis=1))


WHOLE_SET = ("casme_sq_microexpfusenet_intermediate_whole_set", "smic_microexpfusenet_late_whole_set")


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory, smoke_corpus) -> Path:
    """One ``run_all.py`` run of the smoke profile, as a user runs it: STCNN's 20% split and the two as-published
    FuseNet variants (each experiment its own folder, trained on its own; one report), made once a test session
    (tests/run_cli.SMOKE_RUNS)."""
    assert run_cli.SMOKE_RUNS["reddy2019"][1:] == WHOLE_SET
    out = run_cli.smoke_run(tmp_path_factory, smoke_corpus, "reddy2019")
    assert (out / "reddy2019" / "report.pdf").stat().st_size > 0
    return out


@pytest.mark.slow
def test_smoke_run_through_run_all(smoke_runs):
    tmp_path = smoke_runs
    folder = tmp_path / "reddy2019" / "casme_sq_microexpstcnn"
    results = json.loads((folder / "results.json").read_text())
    assert [f["status"] for f in results["folds"]] == ["ok"]
    assert results["class_names"] == ["happy", "angry", "disgust"]
    assert results["comparison"][0]["reported"] == pytest.approx(0.8780)  # Table V
    fold = json.loads((folder / "folds" / "holdout.json").read_text())
    assert fold["extra"]["counts"]["total"][0] == results["n_samples"]
    assert len(fold["history"]["val_accuracy"]) == 1  # one smoke epoch, recorded on the 20% split
    # the paper's protocol restores the best epoch on the test split: the run says its score is not held out
    assert fold["extra"]["selected_on_test"].startswith("the epoch of highest accuracy on the test split")
    assert results["selected_on_test"] == fold["extra"]["selected_on_test"]
    assert any("SELECTED ON THE TEST DATA" in w for w in results["warnings"])
    assert (folder / "folds" / "holdout" / "saliency.npz").exists()
    assert (tmp_path / "reddy2019" / "report.pdf").stat().st_size > 0


@pytest.mark.parametrize("roll", [0.0, 12.0])
def test_reddy_crops_hold_the_eyes_and_the_mouth_on_a_photograph(roll):
    """Sec. III-B: the eye crop holds both eyes, the mouth crop the mouth (every landmark of each part),
    on the suite's photograph, upright and rolled by 12 degrees (``align=True``, ledger 18, 20)."""
    import cv2
    from skimage import data

    from common.preprocessing import faces
    from papers.reddy2019.preprocessing import reddy_crops

    image = data.astronaut()
    h, w = image.shape[:2]
    image = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), roll, 1.0), (w, h))
    points = faces.landmarks(image)
    for part, indices in ((0, range(36, 48)), (1, range(48, 68))):  # eyes 36-47, mouth 48-67 (docs/methods.md §8.1)
        for i in indices:
            marker = np.zeros_like(image)
            cv2.circle(marker, tuple(int(v) for v in np.rint(points[i])), 3, (255, 255, 255), -1)
            crops = reddy_crops(marker, points, size=64, align=True)
            assert crops[part].max() > 0, (part, i)  # landmark i lies inside its region's crop
            assert crops[1 - part].max() == 0, (part, i)  # and outside the other region's crop


@pytest.mark.slow
def test_whole_set_fusenet_smoke_run_reports_the_whole_set_accuracy(smoke_runs):
    """The as-published FuseNet variant (ledger 11): validated on the whole data set, Table V compared
    with the whole-set accuracy, the 20%-split FuseNet experiments labelled as not comparable."""
    tmp_path, names = smoke_runs, WHOLE_SET
    for name in names:
        folder = tmp_path / "reddy2019" / name
        results = json.loads((folder / "results.json").read_text())
        fold = json.loads((folder / "folds" / "holdout.json").read_text())
        whole = fold["extra"]["whole_set"]
        assert whole["n"] == results["n_samples"] == fold["n_train"] + fold["n_test"]  # validated on every clip
        assert whole["accuracy"] == pytest.approx(whole["correct"] / whole["n"])
        assert len(fold["history"]["val_accuracy"]) == 1
        assert fold["history"]["val_accuracy"][0] == pytest.approx(whole["accuracy"])  # one epoch: best = last
        (row,) = results["comparison"]
        assert row["aggregation"] == "whole_set" and row["ours"] == pytest.approx(whole["accuracy"])
        assert row["reported"] in (0.8325, 0.6482)  # Table V: 169/203, 129/199
        assert results["selected_on_test"].startswith("the epoch of highest accuracy on the whole data set")
    casme = json.loads((tmp_path / "reddy2019" / names[0] / "folds" / "holdout.json").read_text())
    assert casme["extra"]["window_overlap"]["as_published"]["test_windows"] == casme["n_test"]
    assert (tmp_path / "reddy2019" / "report.pdf").stat().st_size > 0


def test_report_labels_table5_rows_by_what_each_side_measured():
    from papers.reddy2019.pages import literature_rows, overlap_rows, table5_rows

    results = {"metrics": {"pooled": {"all": {"accuracy": 0.5}}}}
    whole = {"whole_set": {"accuracy": 0.6, "correct": 6, "n": 10}}
    (split_row,) = table5_rows("casme_sq", "microexpfusenet_late", "paper", results, {})
    assert "NOT comparable" in split_row[0] and split_row[1:] == ["79.31% = 161/203", "50.00%"]
    assert table5_rows("casme_sq", "microexpfusenet_late", "whole_set", results, whole)[0][2] == "60.00% = 6/10"
    assert table5_rows("smic", "microexpstcnn", "paper", results, {})[0][1] == "68.75%"  # 20% split, comparable
    overlap = {"test_windows": 4, "sharing": 3, "identical": 1, "min_share": 0.43, "max_share": 1.0}
    rows = overlap_rows({"as_published": overlap, "this_split": {"test_windows": 4, "sharing": 0},
                         "dropped_training_windows": 5})
    assert rows[0][2] == "3 of 4 test windows share 43-100% of their frames, 1 identical"
    assert "dropped: 5" in rows[1][0] and rows[1][2] == "0 of 4 test windows"
    assert [r[1] for r in literature_rows("smic")] == ["42.72%", "64.02%", "55.49%"]  # Table V, SMIC column
    assert [r[1] for r in literature_rows("casme_sq")] == ["78.02%"]


def test_reddy_crops_follow_the_authors_slices():
    """Sec. III-B / the authors' FuseNet scripts (docs/methods.md §7.3): the eyes and nose-mouth slices."""
    import cv2
    from skimage import data

    from common.preprocessing import faces
    from papers.reddy2019.preprocessing import reddy_crops

    image = data.astronaut()
    points = faces.landmarks(image)
    eyes, nose_mouth = reddy_crops(image, points)
    assert eyes.shape == nose_mouth.shape == (32, 32) and eyes.dtype == np.uint8
    p = points.astype(int)
    expected = cv2.resize(image[p[19, 1]:p[1, 1], p[1, 0]:p[15, 0]], (32, 32), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(eyes, cv2.cvtColor(expected, cv2.COLOR_RGB2GRAY))
    expected = cv2.resize(image[p[2, 1]:p[6, 1], p[2, 0]:p[14, 0]], (32, 32), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(nose_mouth, cv2.cvtColor(expected, cv2.COLOR_RGB2GRAY))
    swapped, _ = reddy_crops(image, points, swap_red_blue=True)
    assert not np.array_equal(swapped, eyes)


# ----------------------------------------------------------------------------- the benchmark
def test_benchmark_entry_keeps_every_track_sample_and_one_smoke_fold_trains(smoke_corpus, tmp_path):
    """``benchmark_experiment(MEGC2019)``: the track's samples in the track's order (none dropped; every
    clip goes to 18 frames inside the preprocessing), the track's folds, and one smoke LOSO fold trains."""
    import dataclasses

    from common.leaderboard.tracks import MEGC2019
    from common.datasets import load
    from common.running.profiles import effective_config
    from common.experiment import FoldContext
    from papers.reddy2019 import BENCHMARK_MODELS, benchmark_experiment
    from papers.reddy2019.preprocessing import clip_frame_paths

    assert BENCHMARK_MODELS[0] == "microexpstcnn"  # Table V's best on both databases
    experiment = benchmark_experiment(MEGC2019)
    assert experiment.name == "megc2019" and benchmark_experiment(MEGC2019, "microexpfusenet_late").name == \
        "megc2019_microexpfusenet_late"
    config = effective_config(experiment, "smoke")
    assert config.protocol.variant == "leakage_free" and config.data.frames == 18 and config.data.resample_frames
    data = {"megc2019": load("megc2019", smoke_corpus)}
    selection, track = experiment.select(data, config), MEGC2019.select(data)
    assert ([s.key for s in selection.samples] == [s.key for s in track.samples]
            and len(selection) == len(data["megc2019"]))
    assert np.array_equal(selection.labels, track.labels) and selection.dropped == ()
    folds = experiment.folds(selection, config, 0)
    assert [(f.name, f.test.tolist()) for f in folds] == [(f.name, f.test.tolist()) for f in MEGC2019.folds(track, 0)]
    for sample in selection.samples:  # SMIC: the first 18 frames (Sec. IV-A); CASME II / SAMM: resampled
        paths = clip_frame_paths(sample, config)
        assert len(paths) == 18 and set(paths) <= set(sample.frames)
        if sample.dataset == "smic":
            assert paths == list(sample.frames[:18])
        else:  # spread over the whole clip, in order, first and last frames kept
            positions = [sample.frames.index(p) for p in paths]
            assert positions == sorted(positions) and (positions[0], positions[-1]) == (0, len(sample.frames) - 1)
    short = dataclasses.replace(selection.samples[0], frames=selection.samples[0].frames[:5])  # a 5-frame clip
    # rint(linspace(0, 4, 18)), by hand: steps of 4/17
    assert clip_frame_paths(short, config) == [short.frames[i] for i in (0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3,
                                                                          3, 4, 4, 4)]
    with pytest.raises(ValueError, match="resample_frames"):
        clip_frame_paths(short, dataclasses.replace(config,
                                                    data=dataclasses.replace(config.data, resample_frames=False)))
    fold = folds[0]
    ctx = FoldContext(selection=selection, fold=fold, config=config, profile="smoke", seed=0,
                      work_dir=tmp_path / "fold", cache_dir=tmp_path / "stages")
    outcome = experiment.run_fold(ctx)
    assert outcome.status == "ok" and np.array_equal(outcome.test_indices, fold.test)
    assert outcome.probabilities.shape == (len(fold.test), 3) and len(outcome.history["loss"]) == 1
    assert outcome.extra["counts"]["total"] == [len(fold.train) + len(fold.test), len(fold.train), len(fold.test)]
    assert "saliency" not in outcome.extra and "timing" in outcome.extra


def test_estimate_hooks_give_the_compiled_models_and_the_clip_inputs(smoke_corpus):
    """``training_stages`` / ``preprocess_clip`` on every experiment: the compiled model at the
    fold's input size, the fold's training clips, epochs and batch; the paper profile's sizes: STCNN
    (64, 64, 96, 1) on CAS(ME)^2 and (64, 64, 18, 1) on SMIC (Sec. IV-A/B), FuseNets 2 x (32, 32, 96, 1)."""
    from common.datasets import load
    from common.running.profiles import effective_config
    from papers.reddy2019 import EXPERIMENTS, benchmark_experiment
    from papers.reddy2019.config import default_config
    from common.leaderboard.tracks import MEGC2019
    from papers.reddy2019.protocol import training_stages

    data = {"casme_sq": load("casme_sq", smoke_corpus, types=("micro", "macro")), "smic": load("smic", smoke_corpus),
            "megc2019": load("megc2019", smoke_corpus)}
    names = {"casme_sq_microexpstcnn", "smic_microexpfusenet_late_whole_set", "casme_sq_kernel_sizes"}
    for experiment in [e for e in EXPERIMENTS if e.name in names] + [benchmark_experiment(MEGC2019)]:
        config = effective_config(experiment, "smoke")
        selection = experiment.select(data, config)
        fold = experiment.folds(selection, config, 0)[0]
        stages = experiment.training_stages(config, selection, fold)
        assert len(stages) == (2 if experiment.name == "casme_sq_kernel_sizes" else 1)
        fusenet = config.model.name != "microexpstcnn"
        side = config.data.crop_size if fusenet else config.data.size
        for stage in stages:
            assert (stage.samples, stage.epochs, stage.batch_size) == (len(fold.train), 1, 8)
            model = stage.build()
            assert model.optimizer is not None  # compiled
            shapes = [tuple(t.shape[1:]) for t in model.inputs]
            assert shapes == [(side, side, config.data.frames, 1)] * (2 if fusenet else 1)
        clip = experiment.preprocess_clip(selection.samples[0], config)
        assert sorted(clip) == (["eyes", "mouth"] if fusenet else ["face"])
        assert all(v.shape == (config.data.frames, side, side) and v.dtype == np.uint8 for v in clip.values())
    # the paper profile's input sizes (the FuseNets' 177 M parameters are built by the architectures test)
    for database, shape in (("casme_sq", (64, 64, 96, 1)), ("smic", (64, 64, 18, 1))):
        (stage,) = training_stages(default_config(database, "microexpstcnn"), _selection_of(5), _fold_of(5))
        assert tuple(stage.build().inputs[0].shape[1:]) == shape and (stage.epochs, stage.batch_size) == (100, 8)


def _selection_of(n: int):
    from common.experiment import Selection

    return Selection(samples=(None,) * n, labels=np.zeros(n, dtype=int), class_names=("a", "b", "c"))


def _fold_of(n: int):
    from common.experiment import Fold

    return Fold(name="holdout", train=np.arange(n - 1), test=np.array([n - 1]))


def test_report_pages_draw_from_the_result_in_memory_and_the_saved_saliency(tmp_path):
    """The pages take an ``ExperimentResult`` and a ``ReportContext``; the saliency page loads
    the npz ``write_saliency`` wrote during the run (path in ``extra``), it recomputes nothing."""
    from matplotlib.backends.backend_pdf import PdfPages

    from common.datasets.sample import Sample
    from common.experiment import Fold, FoldContext, Selection
    from common.harness import ExperimentResult, ReportContext
    from papers.reddy2019 import EXPERIMENTS
    from papers.reddy2019.config import default_config
    from papers.reddy2019.model import build_microexpstcnn
    from papers.reddy2019.protocol import table4_counts, write_saliency

    names = ("happy", "angry", "disgust")
    samples = tuple(Sample(dataset="casme_sq", subject="s15", clip=f"c{i}", emotion="x", onset=1, apex=2, offset=3,
                           fps=30.0, frames=()) for i in range(4))
    selection = Selection(samples=samples, labels=np.array([0, 1, 2, 0]), class_names=names)
    fold = Fold(name="holdout", train=np.array([0, 1]), test=np.array([2, 3]))
    config = default_config("casme_sq", "microexpstcnn")
    ctx = FoldContext(selection=selection, fold=fold, config=config, profile="smoke", seed=0,
                      work_dir=tmp_path / "holdout", cache_dir=tmp_path / "stages")
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 20, 1)).astype(np.float32)
    saliency = write_saliency(build_microexpstcnn(input_shape=(16, 16, 20, 1)), x, ctx)
    assert saliency["path"] == str(tmp_path / "holdout" / "saliency.npz") and saliency["clips"] == 2
    assert list(np.load(saliency["path"])["keys"]) == ["casme_sq/s15/c2", "casme_sq/s15/c3"]
    assert table4_counts(selection, fold) == {"happy": [2, 1, 1], "angry": [1, 1, 0], "disgust": [1, 0, 1],
                                              "total": [4, 2, 2]}
    extra = {"variant": "paper", "counts": table4_counts(selection, fold), "saliency": saliency,
             "table8": {"epochs": [1, 1], "mean": 0.5, "std": 0.0}, "validation": "20% split", "best_epoch": 1}
    summary = {"experiment": "casme_sq_microexpstcnn", "class_names": list(names),
               "metrics": {"pooled": {"all": {"accuracy": 0.5, "confusion": [[1, 0, 0], [0, 0, 0], [0, 1, 0]]}}}}
    experiment = next(e for e in EXPERIMENTS if e.name == "casme_sq_microexpstcnn")
    result = ExperimentResult(paper="reddy2019", experiment=experiment, config=config, selection=selection,
                              records=({"fold": "holdout", "status": "ok", "extra": extra},), summary=summary)
    with PdfPages(tmp_path / "pages.pdf") as pdf:
        experiment.report_pages(pdf, result, ReportContext(paper_id="reddy2019", allow_faces=False))
        assert pdf.get_pagecount() == 3  # Tables IV/V/VIII, Table VI beside ours, Fig. 4 saliency


def test_export_fold_keeps_the_model_and_scaling_and_predict_clips_repeats_the_fold(smoke_corpus, tmp_path):
    from export_fold import export_fold_check

    fold, predicted, sink, ctx, experiment = export_fold_check("reddy2019", "smic_microexpstcnn_leakage_free",
                                                               smoke_corpus, tmp_path)
    assert list(sink.models) == ["microexpstcnn"]
    (scaling,) = sink.state["scaling"]  # the authors' x -= mean; x /= max, fitted on the training split
    assert set(scaling) == {"mean", "peak"}
    np.testing.assert_allclose(predicted, fold, atol=1e-5)
    views = experiment.predict_views(ctx, 0)
    assert len(views.frames) == 18 and views.saliency.shape == (16, 16)  # Fig. 4's saliency, one frame
    assert 0.0 <= views.saliency.min() and views.saliency.max() <= 1.0
