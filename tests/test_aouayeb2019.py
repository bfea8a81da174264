"""papers/aouayeb2019: region shapes and the exact parameter counts (Sec. 4.1.2, Sec. 5;
algorithms.md 6.2), the "not me" relabelling of Fig. 3, focal-loss alpha from the fold's training
labels only, and a smoke run through run_all.py."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def default_models():
    from papers.aouayeb2019 import models

    return models()


def _params(model) -> int:
    from common.training import trainable_parameters

    return trainable_parameters(model)


def test_region_inputs_are_the_papers_sizes(default_models):
    # Sec. 4.1.2: [100,80], [100,80], [120,80], [60,60], [60,60], [160,60] (width x height), RGBA.
    expected = [(80, 100, 4), (80, 100, 4), (80, 120, 4), (60, 60, 4), (60, 60, 4), (60, 160, 4)]
    assert sorted(default_models) == sorted([f"region_cnn_{r}" for r in range(6)] + ["lstm_stage"])
    for r, shape in enumerate(expected):
        model = default_models[f"region_cnn_{r}"]
        assert tuple(model.input_shape[1:]) == shape
        assert model.get_layer("spatial_feature").output.shape[-1] == 20
        assert model.output_shape[-1] == 4
    lstm = default_models["lstm_stage"]
    assert [tuple(s[1:]) for s in lstm.input_shape] == [(500, 20)] * 6
    assert lstm.output_shape[-1] == 3


def test_parameter_counts_match_the_paper(default_models):
    # algorithms.md 6.2: 106,852 per region, 452,419 for the LSTM stage, 1,093,531 in total (Sec. 5).
    for r in range(6):
        assert _params(default_models[f"region_cnn_{r}"]) == 106_852
    assert _params(default_models["lstm_stage"]) == 452_419
    assert sum(_params(m) for m in default_models.values()) == 1_093_531


def test_rgb_option_has_its_own_count():
    from papers.aouayeb2019.model import build_models

    assert sum(_params(m) for m in build_models(channels=3).values()) == 1_092_931


def test_not_me_relabelling_follows_fig3():
    from papers.aouayeb2019.protocol import NOT_ME_INDEX, REGION_LABELS, region_labels

    assert REGION_LABELS == ("negative", "positive", "surprise", "not me") and NOT_ME_INDEX == 3
    clips = np.array([0, 1, 2])  # negative, positive, surprise
    expected = {
        0: [0, 3, 2], 1: [0, 3, 2],  # eyes + eyebrows: AU4 (negative), AU1+2 (surprise)
        2: [0, 3, 3],  # nose: Sec. 3.2's example, "happy" on the nose is "not me"
        3: [3, 1, 3], 4: [3, 1, 3],  # cheeks: AU6 (positive)
        5: [0, 1, 2],  # mouth: every emotion
    }
    for region, labels in expected.items():
        assert region_labels(clips, region).tolist() == labels
    assert region_labels(clips, 2, not_me=False).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="region=6"):
        region_labels(clips, 6)
    with pytest.raises(ValueError, match="clip labels"):
        region_labels([0, 3], 0)


def test_focal_alpha_is_inverse_frequency():
    from papers.aouayeb2019.protocol import focal_alpha

    # algorithms.md 5: counts (32, 25, 63, 99) -> [0.3214, 0.4114, 0.1633, 0.1039].
    labels = np.repeat([0, 1, 2, 3], [32, 25, 63, 99])
    assert np.allclose(focal_alpha(labels, 4), [0.3214, 0.4114, 0.1633, 0.1039], atol=1e-4)
    # A class absent from the training labels gets 0; the others still sum to 1.
    assert focal_alpha([0, 0, 3], 4) == pytest.approx([1 / 3, 0.0, 0.0, 2 / 3])


def test_stage1_input_minus_first_frame_keeps_only_the_motion():
    """Quick-profile option ``data.cnn_input``: the paper's crops as they are, or minus the first crop."""
    from papers.aouayeb2019.protocol import stage1_input

    clip = np.zeros((3, 60, 60, 4), np.uint8)
    clip[..., :3] = 200
    clip[..., 3] = 255  # alpha: constant over the clip
    clip[2, 10:20, 10:20, :3] = 50  # a patch that darkens by 150 grey levels in the last frame
    as_is = stage1_input(clip, "frame")
    assert as_is.dtype == np.float32 and np.array_equal(as_is, clip)
    moved = stage1_input(clip, "minus_first_frame")
    assert moved.shape == clip.shape and moved.dtype == np.float32
    assert not moved[:2].any() and not moved[..., 3].any()  # the face and the alpha plane are gone
    assert moved[2, 10:20, 10:20, :3].min() == moved[2].min() == -150.0 and np.count_nonzero(moved[2]) == 300
    with pytest.raises(ValueError, match="cnn_input"):
        stage1_input(clip, "difference")


def test_run_fold_uses_training_labels_only(monkeypatch, tmp_path):
    """Stage 1 and stage 2 losses get alpha from the fold's training clips; predictions cover the test clips."""
    from common.datasets.sample import Sample
    from common.experiment import Fold, FoldContext, Selection
    from papers.aouayeb2019 import CONFIG, protocol
    from papers.aouayeb2019.model import region_input_shape

    rng = np.random.default_rng(0)
    labels = np.array([0, 0, 0, 1, 2, 2, 1, 1])  # test clips (5, 6, 7) hold labels absent from training
    samples = tuple(Sample(dataset="casme2", subject=f"sub0{1 + i // 5}", clip=str(i), emotion=protocol.EMOTIONS[l],
                           onset=0, apex=None, offset=None, fps=200.0, frames=()) for i, l in enumerate(labels))
    selection = Selection(samples, labels, protocol.EMOTIONS)
    frames = {i: [rng.integers(0, 256, (3,) + region_input_shape(r)).astype(np.uint8) for r in range(6)]
              for i in range(len(samples))}
    monkeypatch.setattr(protocol, "clip_regions", lambda sample, config: frames[int(sample.clip)])
    seen = []
    real_focal_loss = protocol.focal_loss
    monkeypatch.setattr(protocol, "focal_loss", lambda y, k, c: (seen.append((k, np.asarray(y).copy())), real_focal_loss(y, k, c))[1])
    config = dataclasses.replace(
        CONFIG, data=dataclasses.replace(CONFIG.data, seq_len=4),
        stage1=dataclasses.replace(CONFIG.stage1, epochs=1), stage2=dataclasses.replace(CONFIG.stage2, epochs=1))
    fold = Fold("sub02", train=np.arange(5), test=np.arange(5, 8))
    ctx = FoldContext(selection, fold, config, "smoke", 0, tmp_path, tmp_path, log=lambda line: None)
    outcome = protocol.run_fold(ctx)
    # Six region losses (frames: 3 per training clip) and one clip-level loss, all from training labels.
    assert len(seen) == 7
    for r, (k, y) in enumerate(seen[:6]):
        assert k == 4 and y.tolist() == protocol.region_labels(np.repeat(labels[:5], 3), r).tolist()
    assert seen[6][0] == 3 and seen[6][1].tolist() == labels[:5].tolist()
    assert outcome.test_indices.tolist() == [5, 6, 7]
    assert outcome.probabilities.shape == (3, 3) and outcome.y_pred.shape == (3,)
    assert outcome.parameters == {**{f"region_cnn_{r}": 106_852 for r in range(6)}, "lstm_stage": 452_419}
    assert {"stage1_r0_loss", "stage1_r5_loss", "stage2_loss"} <= set(outcome.history)


def test_architectures_cli_lists_the_seven_networks():
    out = subprocess.run([sys.executable, str(REPO / "run_all.py"), "--paper", "aouayeb2019", "--architectures", "--json"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    models = json.loads(out.stdout)["models"]
    assert sorted(models) == sorted([f"region_cnn_{r}" for r in range(6)] + ["lstm_stage"])
    assert sum(m["trainable_params"] for m in models.values()) == 1_093_531
    first = {layer["name"]: layer["output_shape"] for layer in models["region_cnn_5"]["layers"]}
    assert first["region_image"][1:] == [60, 160, 4]


def test_smoke_run_writes_report(smoke_corpus, tmp_path):
    out = subprocess.run([sys.executable, str(REPO / "run_all.py"), "--paper", "aouayeb2019", "--profile", "smoke",
                          "--data-root", str(smoke_corpus), "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-2000:])
    assert (tmp_path / "aouayeb2019" / "report.pdf").stat().st_size > 0
    results = json.loads((tmp_path / "aouayeb2019" / "megc2019_loso" / "results.json").read_text())
    assert results["profile"] == "smoke"
    assert results["status_counts"].get("ok", 0) + results["status_counts"].get("nan", 0) == len(results["folds"]) > 0
    assert set(results["metrics"]["pooled"]) == {"all", "smic", "casme2", "samm"}
    assert results["parameters"]["lstm_stage"] == 452_419


@pytest.mark.slow  # about a minute of CPU: it traces the seven networks twice
def test_models_kept_across_folds_give_the_numbers_of_fresh_ones(monkeypatch, tmp_path):
    """Issue 17: the compiled networks kept across folds (no retracing) train exactly as freshly compiled ones,
    with each fold's own focal alpha (the second fold's training labels differ from the first's)."""
    from common import training
    from common.datasets.sample import Sample
    from common.experiment import Fold, FoldContext, Selection
    from papers.aouayeb2019 import CONFIG, protocol

    def region_input_shape(r, channels=4):  # small crops keep the test fast; the networks are the paper's otherwise
        return (8 + 2 * r, 12, channels)

    monkeypatch.setattr(protocol, "region_input_shape", region_input_shape)
    rng = np.random.default_rng(1)
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 0])
    samples = tuple(Sample(dataset="casme2", subject=f"sub0{1 + i // 4}", clip=str(i), emotion=protocol.EMOTIONS[l],
                           onset=0, apex=None, offset=None, fps=200.0, frames=()) for i, l in enumerate(labels))
    selection = Selection(samples, labels, protocol.EMOTIONS)
    frames = {i: [rng.integers(0, 256, (3,) + region_input_shape(r)).astype(np.uint8) for r in range(6)]
              for i in range(len(samples))}
    monkeypatch.setattr(protocol, "clip_regions", lambda sample, config: frames[int(sample.clip)])
    config = dataclasses.replace(
        CONFIG, data=dataclasses.replace(CONFIG.data, seq_len=3, cnn_input="minus_first_frame"),
        stage1=dataclasses.replace(CONFIG.stage1, epochs=2, batch_size=8),
        stage2=dataclasses.replace(CONFIG.stage2, epochs=3, batch_size=2, learning_rate=1e-3))
    folds = [Fold("sub02", train=np.arange(4), test=np.arange(4, 8)), Fold("sub01", train=np.arange(4, 8), test=np.arange(4))]

    def run(reuse: bool, folds):
        monkeypatch.setattr(protocol, "REUSE_COMPILED", reuse)
        training.forget_compiled()
        return [protocol.run_fold(FoldContext(selection, fold, config, "quick", 0, tmp_path, tmp_path, log=lambda line: None))
                for fold in folds]

    first, second = run(True, folds)  # the second fold trains the networks compiled for the first
    assert len(training._COMPILED) == 7  # six region CNNs and the LSTM stage, built once for both folds
    (fresh,) = run(False, folds[1:])
    assert len(training._COMPILED) == 0
    np.testing.assert_allclose(second.probabilities, fresh.probabilities, rtol=0, atol=1e-6)
    assert second.y_pred.tolist() == fresh.y_pred.tolist()
    for name, values in fresh.history.items():
        np.testing.assert_allclose(second.history[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
    assert second.extra["stage1_test_frame_accuracy"] == fresh.extra["stage1_test_frame_accuracy"]
    # The two folds trained differently (other labels, so another focal alpha): the comparison is not vacuous.
    assert not np.allclose(first.history["stage2_loss"], second.history["stage2_loss"])
    training.forget_compiled()
