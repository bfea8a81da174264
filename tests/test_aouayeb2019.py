"""papers/aouayeb2019: region shapes and the exact parameter counts (Sec. 4.1.2, Sec. 5;
docs/methods.md §6.2), the "not me" relabelling of Fig. 3, focal-loss alpha from the fold's training
labels only, and a smoke run through run_all.py."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from run_cli import smoke_run


@pytest.fixture(scope="module")
def default_models():
    from common.harness import build_paper_model
    from papers.aouayeb2019 import PAPER

    return {name: build_paper_model(PAPER, name) for name in PAPER.models}


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
    # docs/methods.md §6.2: 106,852 per region, 452,419 for the LSTM stage, 1,093,531 in total (Sec. 5).
    for r in range(6):
        assert _params(default_models[f"region_cnn_{r}"]) == 106_852
    assert _params(default_models["lstm_stage"]) == 452_419
    assert sum(_params(m) for m in default_models.values()) == 1_093_531


def test_rgb_option_has_its_own_count():
    from papers.aouayeb2019 import default_config
    from papers.aouayeb2019.model import build_model, build_region_model

    rgb = dataclasses.replace(default_config(), data=dataclasses.replace(default_config().data, channels=3))
    built = [build_region_model(config=rgb, region=r) for r in range(6)] + [build_model(config=rgb, num_classes=3)]
    assert sum(_params(m) for m in built) == 1_092_931


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

    # docs/methods.md §5: counts (32, 25, 63, 99) -> [0.3214, 0.4114, 0.1633, 0.1039].
    labels = np.repeat([0, 1, 2, 3], [32, 25, 63, 99])
    assert np.allclose(focal_alpha(labels, 4), [0.3214, 0.4114, 0.1633, 0.1039], atol=1e-4)
    # A class absent from the training labels gets 0; the others still sum to 1.
    assert focal_alpha([0, 0, 3], 4) == pytest.approx([1 / 3, 0.0, 0.0, 2 / 3])


def test_cnn_input_minus_first_frame_keeps_only_the_motion():
    """Quick-profile option ``data.motion_input``: the paper's crops as they are, or minus the first crop."""
    from papers.aouayeb2019.preprocessing import cnn_input

    clip = np.zeros((3, 60, 60, 4), np.uint8)
    clip[..., :3] = 200
    clip[..., 3] = 255  # alpha: constant over the clip
    clip[2, 10:20, 10:20, :3] = 50  # a patch that darkens by 150 grey levels in the last frame
    as_is = cnn_input(clip, "none")
    assert as_is.dtype == np.float32 and np.array_equal(as_is, clip)
    moved = cnn_input(clip, "minus_first_frame")
    assert moved.shape == clip.shape and moved.dtype == np.float32
    assert not moved[:2].any() and not moved[..., 3].any()  # the face and the alpha plane are gone
    assert moved[2, 10:20, 10:20, :3].min() == moved[2].min() == -150.0 and np.count_nonzero(moved[2]) == 300
    with pytest.raises(ValueError, match="motion_input"):
        cnn_input(clip, "difference")


def _fake_region_clips(monkeypatch, labels, per_subject: int, seed: int, shape):
    """CASME II clips of ``per_subject`` clips per subject with ``labels``, whose six region crops (3 frames of
    ``shape(region)``, random) ``protocol.clip_regions`` returns instead of reading frames; their Selection."""
    from common.datasets.sample import Sample
    from common.experiment import Selection
    from papers.aouayeb2019 import protocol

    rng = np.random.default_rng(seed)
    samples = tuple(Sample(dataset="casme2", subject=f"sub0{1 + i // per_subject}", clip=str(i),
                           emotion=protocol.CLASSES[label], onset=0, apex=None, offset=None, fps=200.0, frames=())
                    for i, label in enumerate(labels))
    frames = {i: [rng.integers(0, 256, (3,) + shape(r)).astype(np.uint8) for r in range(6)]
              for i in range(len(samples))}
    monkeypatch.setattr(protocol, "clip_regions", lambda sample, config, cache_dir: frames[int(sample.clip)])
    return Selection(samples, labels, protocol.CLASSES)


def _small_stage2(monkeypatch) -> None:
    """Stage 2 as a small stand-in (six inputs, dropout, one dense layer), which traces in a fraction of the time of
    six LSTMs; where stage 2 is not what a test compares, or is compared as any network (kept compiled across folds,
    its dropout's seed state included: the mechanism is the region CNNs' own)."""
    import keras

    from papers.aouayeb2019 import protocol

    def build_model(config, num_classes):
        inputs = [keras.Input((config.data.seq_len, config.model.feature_dim)) for _ in range(6)]
        flat = keras.layers.Dropout(0.2)(keras.layers.Concatenate()([keras.layers.Flatten()(x) for x in inputs]))
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(flat))

    monkeypatch.setattr(protocol, "build_model", build_model)


def test_run_fold_uses_training_labels_only(monkeypatch, tmp_path):
    """Stage 1 and stage 2 losses get alpha from the fold's training clips; predictions cover the test clips (small
    crops and the stage-2 stand-in: the losses and the outcome are what is checked, not the networks' sizes)."""
    from common.experiment import Fold, FoldContext
    from papers.aouayeb2019 import default_config, protocol
    from papers.aouayeb2019 import model as aouayeb_model

    def region_input_shape(r, channels=4):
        return (6 + 2 * r, 10, channels)

    monkeypatch.setattr(aouayeb_model, "region_input_shape", region_input_shape)
    _small_stage2(monkeypatch)
    labels = np.array([0, 0, 0, 1, 2, 2, 1, 1])  # test clips (5, 6, 7) hold labels absent from training
    selection = _fake_region_clips(monkeypatch, labels, per_subject=5, seed=0, shape=region_input_shape)
    seen = []
    real_focal_loss = protocol.focal_loss
    monkeypatch.setattr(protocol, "focal_loss",
                        lambda y, k, c: (seen.append((k, np.asarray(y).copy())), real_focal_loss(y, k, c))[1])
    paper = default_config()
    config = dataclasses.replace(
        paper, data=dataclasses.replace(paper.data, seq_len=4),
        stage1=dataclasses.replace(paper.stage1, epochs=1), stage2=dataclasses.replace(paper.stage2, epochs=1))
    fold = Fold("sub02", train=np.arange(5), test=np.arange(5, 8))
    ctx = FoldContext(selection, fold, config, "smoke", 0, tmp_path, tmp_path)
    outcome = protocol.run_fold(ctx)
    # Six region losses (frames: 3 per training clip) and one clip-level loss, all from training labels.
    assert len(seen) == 7
    for r, (k, y) in enumerate(seen[:6]):
        assert k == 4 and y.tolist() == protocol.region_labels(np.repeat(labels[:5], 3), r).tolist()
    assert seen[6][0] == 3 and seen[6][1].tolist() == labels[:5].tolist()
    assert outcome.test_indices.tolist() == [5, 6, 7]
    assert outcome.probabilities.shape == (3, 3) and outcome.y_pred.shape == (3,)
    assert set(outcome.parameters) == {*(f"region_cnn_{r}" for r in range(6)), "lstm_stage"}
    assert outcome.extra["train_clips"] == dict(zip(protocol.CLASSES, (3, 1, 1)))  # the training labels 0, 0, 0, 1, 2
    assert {"stage1_r0_loss", "stage1_r5_loss", "stage2_loss"} <= set(outcome.history)


def test_smoke_run_writes_report(tmp_path_factory, smoke_corpus):
    """run_all.py's smoke run (tests/run_cli.SMOKE_RUNS; tests/test_report_layout.py draws its pages)."""
    tmp_path = smoke_run(tmp_path_factory, smoke_corpus, "aouayeb2019")
    assert (tmp_path / "aouayeb2019" / "report.pdf").stat().st_size > 0
    results = json.loads((tmp_path / "aouayeb2019" / "megc2019_loso" / "results.json").read_text())
    assert results["profile"] == "smoke"
    assert results["status_counts"].get("ok", 0) + results["status_counts"].get("nan", 0) == len(results["folds"]) > 0
    assert set(results["metrics"]["pooled"]) == {"all", "smic", "casme2", "samm"}
    assert results["parameters"]["lstm_stage"] == 452_419
    # a fold's record: its training clips a class, and the runner's timing of it
    folds = tmp_path / "aouayeb2019" / "megc2019_loso" / "folds"
    (record,) = [json.loads(p.read_text()) for p in folds.glob("*.json")]
    train_clips = record["extra"]["train_clips"]
    assert list(train_clips) == results["class_names"] and sum(train_clips.values()) == record["n_train"]
    assert set(record["extra"]["timing"]) == {"inputs_seconds", "fit_seconds", "predict_seconds", "predict_ms_per_clip"}
    probabilities = np.asarray(record["probabilities"])
    assert probabilities.shape == (record["n_test"], 3) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_focal_loss_eq2_matches_hand_computed_values():
    """Sec. 3.4 Eq. 2 as printed: the target term plus a term for every other class."""
    import math

    import keras

    from papers.aouayeb2019.protocol import FocalLossEq2

    y = np.array([[1, 0, 0], [0, 0, 1]], "float32")
    p = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]], "float32")
    a = [0.5, 0.3, 0.2]
    # -a(1-p)^2 log p for the target, -(1-a) p^2 log(1-p) for each other class, summed; batch mean.
    first = -0.5 * 0.3 ** 2 * math.log(0.7) - 0.7 * 0.2 ** 2 * math.log(0.8) - 0.8 * 0.1 ** 2 * math.log(0.9)
    second = -0.2 * 0.5 ** 2 * math.log(0.5) - 0.5 * 0.25 ** 2 * math.log(0.75) - 0.7 * 0.25 ** 2 * math.log(0.75)
    assert first == pytest.approx(0.0231413, abs=1e-6) and second == pytest.approx(0.0562335, abs=1e-6)
    assert float(FocalLossEq2(a, gamma=2.0)(y, p)) == pytest.approx((first + second) / 2, rel=1e-5)
    # Without alpha both terms weigh 1; gamma 0 and alpha None is the one-vs-rest cross-entropy.
    bce = -(math.log(0.7) + math.log(0.8) + math.log(0.9) + math.log(0.5) + 2 * math.log(0.75)) / 2
    assert float(FocalLossEq2(None, gamma=0.0)(y, p)) == pytest.approx(bce, rel=1e-5)
    # Keras's loss (the "keras" option) keeps only the target term.
    target_only = (-0.5 * 0.09 * math.log(0.7) - 0.2 * 0.25 * math.log(0.5)) / 2
    keras_focal = keras.losses.CategoricalFocalCrossentropy(alpha=a, gamma=2.0)
    assert float(keras_focal(y, p)) == pytest.approx(target_only, rel=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        FocalLossEq2([1.5, 0.0, 0.0])


def test_focal_loss_form_follows_the_config():
    import keras

    from papers.aouayeb2019 import default_config
    from papers.aouayeb2019.protocol import FocalLossEq2, focal_loss

    labels = np.array([0, 0, 0, 1, 2, 2])
    loss = focal_loss(labels, 3, default_config())  # paper: Eq. 2 as printed, alpha from inverse frequency
    assert (isinstance(loss, FocalLossEq2) and loss.alpha == pytest.approx([2 / 11, 6 / 11, 3 / 11])
            and loss.gamma == 2.0)
    keras_form = dataclasses.replace(default_config(), loss=dataclasses.replace(default_config().loss, form="keras"))
    assert isinstance(focal_loss(labels, 3, keras_form), keras.losses.CategoricalFocalCrossentropy)
    with pytest.raises(ValueError, match="loss.form"):
        paper = default_config()
        focal_loss(labels, 3, dataclasses.replace(paper, loss=dataclasses.replace(paper.loss, form="lin")))


def test_paper_profile_follows_the_text_and_quick_keeps_the_synthetic_inputs():
    from common.config import apply_overrides
    from papers.aouayeb2019 import default_config
    from papers.aouayeb2019.config import PROFILES
    from papers.aouayeb2019.protocol import pad_features

    data = default_config().data
    assert (data.padding, data.regions, data.background, data.fit_face, default_config().loss.form) == (
        "post", "landmarks", "black", False, "eq2")
    for name in ("quick", "smoke"):
        config = apply_overrides(default_config(), PROFILES[name])
        assert (config.data.padding, config.data.regions, config.data.background, config.data.fit_face,
                config.loss.form) == ("pre", "canvas", "white", True, "keras")
    # Sec. 4.1.2: "adding zeros at the end"; "pre" puts them in front.
    seqs = [np.ones((2, 20), "float32"), np.full((4, 20), 2.0, "float32")]
    short = dataclasses.replace(default_config(), data=dataclasses.replace(default_config().data, seq_len=3))
    post = pad_features(seqs, short)
    assert post.shape == (2, 3, 20) and post[0, :, 0].tolist() == [1, 1, 0] and post[1, :, 0].tolist() == [2, 2, 2]
    pre = pad_features(seqs, dataclasses.replace(short, data=dataclasses.replace(short.data, padding="pre")))
    assert pre[0, :, 0].tolist() == [0, 1, 1]


def test_clip_regions_places_the_first_frames_boxes_on_every_frame(tmp_path):
    """Paper profile: the boxes come from the FIRST frame's landmarks (Sec. 3.1) and cut every frame."""
    import cv2
    from skimage import data as skdata

    from common.datasets.sample import Sample
    from common.preprocessing import faces
    from papers.aouayeb2019 import default_config
    from papers.aouayeb2019.preprocessing import clip_regions, landmark_regions, region_crops

    first = skdata.astronaut()
    second = np.roll(first, 6, axis=1)  # the face moved 6 px right: its boxes stay where frame 1 put them
    paths = []
    for k, frame in enumerate((first, second)):
        paths.append(tmp_path / f"{k}.png")
        cv2.imwrite(str(paths[-1]), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    sample = Sample(dataset="casme2", subject="sub01", clip="EP01", emotion="negative", onset=0, apex=None,
                    offset=None, fps=200.0, frames=tuple(paths))
    crops = clip_regions(sample, default_config(), tmp_path / "stages")
    assert [c.shape for c in crops] == [(2, 80, 100, 4), (2, 80, 100, 4), (2, 80, 120, 4), (2, 60, 60, 4),
                                        (2, 60, 60, 4), (2, 60, 160, 4)]
    points = faces.landmarks(first)
    for k, frame in enumerate((first, second)):
        expected = landmark_regions(frame, points)
        for r in range(6):
            np.testing.assert_array_equal(crops[r][k], expected[r])
    assert len(list((tmp_path / "stages" / "aouayeb2019_regions").rglob("*.npz"))) == 1  # cached under cache_dir
    uncached = region_crops(sample, default_config())  # the --estimate hook's computation, the same arrays
    for r in range(6):
        np.testing.assert_array_equal(uncached[r], crops[r])
    paper = default_config()
    rgb = clip_regions(sample, dataclasses.replace(paper, data=dataclasses.replace(paper.data, channels=3)),
                       tmp_path / "stages")
    assert rgb[5].shape == (2, 60, 160, 3)


def test_table1_is_transcribed_and_compared_with_the_selection(tmp_path):
    from matplotlib.backends.backend_pdf import PdfPages

    from common.datasets.sample import Sample
    from common.experiment import Selection
    from common.harness import ExperimentResult, ReportContext
    from papers.aouayeb2019 import default_config, EXPERIMENTS
    from papers.aouayeb2019.pages import report_pages, table1_rows, table2_rows
    from papers.aouayeb2019.reported import BASELINES, TABLE1_COUNTS

    for db, counts in TABLE1_COUNTS.items():
        assert counts["negative"] + counts["positive"] + counts["surprise"] == counts["total"], db
    for name in ("negative", "positive", "surprise", "total"):
        assert sum(TABLE1_COUNTS[db][name] for db in ("smic", "casme2", "samm")) == TABLE1_COUNTS["all"][name]
    assert TABLE1_COUNTS["all"]["total"] == 442
    # Ours: the selection's clips per database and class (SMIC one positive clip short).
    counts = {"smic": (70, 50, 43), "casme2": (88, 32, 25), "samm": (92, 26, 15)}
    samples, labels = [], []
    for db, per_class in counts.items():
        for k, n in enumerate(per_class):
            samples += [Sample(dataset=db, subject="s1", clip=f"{k}_{i}", emotion="x", onset=0, apex=None, offset=None,
                               fps=100.0, frames=()) for i in range(n)]
            labels += [k] * n
    selection = Selection(tuple(samples), np.array(labels), ("negative", "positive", "surprise"))
    rows = table1_rows(selection)
    assert len(rows) == 16
    assert rows[0] == ["SMIC", "negative", "70", "70", "+0"]
    assert rows[1] == ["", "positive", "51", "50", "-1"] and rows[3] == ["", "total", "164", "163", "-1"]
    assert rows[12] == ["3DB (all)", "negative", "250", "250", "+0"] and rows[-1] == ["", "total", "442", "441", "-1"]
    # Table 2: the nine baselines and the paper's row, then ours (pooled, from results.json in memory).
    confusion = [[240, 5, 5], [1, 107, 0], [0, 0, 83]]
    summary = {"profile": "quick", "seed": 0, "corpus": {"kind": "synthetic", "datasets": {"smic": 163}},
               "metrics": {"pooled": {"all": {"uf1": 0.5, "uar": 0.25, "confusion": confusion}}},
               "selection": {"dropped": [{"key": "smic/s1/x", "reason": "too short", "stage": "frames"}]}}
    table2 = table2_rows(summary)
    assert len(table2) == len(BASELINES) + 1 and table2[0][:5] == ["LBP-TOP", "[22]", "handcrafted", "0.5882", "0.5785"]
    assert table2[-1] == ["reproduced (ours)", "", "deep learning", "0.5000", "0.2500"] + ["-"] * 6
    result = ExperimentResult(paper="aouayeb2019", experiment=EXPERIMENTS[0], config=default_config(),
                              selection=selection, records=(), summary=summary)
    with PdfPages(tmp_path / "pages.pdf") as pdf:  # Tables 1 and 2 share a page, then the Fig. 5 page
        report_pages(pdf, result, ReportContext(paper_id="aouayeb2019"))
        assert pdf.get_pagecount() == 2


def test_the_papers_pages_set_a_synthetic_run_beside_the_paper_as_context_only():
    """On the synthetic corpus the pages called our row "reproduced (ours)" in red, marked Table 1's counts as
    differences and set our negative recall against the paper's: the first page and the README say no difference
    is shown there. On real data they are compared."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from common.experiment import Selection
    from common.harness import ExperimentResult, ReportContext
    from papers.aouayeb2019 import default_config, EXPERIMENTS
    from papers.aouayeb2019.pages import report_pages

    class Pages:
        def __init__(self) -> None:
            self.text = ""

        def savefig(self, figure=None, **kwargs) -> None:
            figure = figure or plt.gcf()
            self.text += " ".join(" ".join(t.get_text() for t in figure.findobj(Text)).split()) + "\n"

    confusion = [[8, 1, 1], [1, 3, 0], [0, 0, 2]]
    selection = Selection((), np.array([], dtype=int), ("negative", "positive", "surprise"))
    for kind in ("synthetic", "real"):
        summary = {"profile": "quick", "seed": 0, "corpus": {"kind": kind, "datasets": {"smic": 16}},
                   "metrics": {"pooled": {"all": {"uf1": 0.5, "uar": 0.25, "confusion": confusion}}}}
        result = ExperimentResult(paper="aouayeb2019", experiment=EXPERIMENTS[0], config=default_config(),
                                  selection=selection, records=(), summary=summary)
        pages = Pages()
        report_pages(pages, result, ReportContext(paper_id="aouayeb2019"))
        plt.close("all")
        synthetic = kind == "synthetic"
        assert ("ours (SYNTHETIC corpus)" in pages.text) == synthetic
        assert ("reproduced (ours)" in pages.text) == (not synthetic)
        assert ("not comparable with the rows above" in pages.text) == synthetic
        assert ("negative recall 0.924 (context only); ours on the SYNTHETIC corpus: 0.800" in pages.text) == synthetic
        assert ("negative recall 0.924; ours: 0.800" in pages.text) == (not synthetic)


@pytest.mark.slow  # about 20 s of CPU: it traces the seven networks twice (stage 2 a small stand-in)
def test_models_kept_across_folds_give_the_numbers_of_fresh_ones(monkeypatch, tmp_path):
    """The compiled networks kept across folds (no retracing) train exactly as freshly compiled ones,
    with each fold's own focal alpha (the second fold's training labels differ from the first's)."""
    from common import training
    from common.experiment import Fold, FoldContext
    from papers.aouayeb2019 import default_config, protocol
    from papers.aouayeb2019 import model as aouayeb_model

    def region_input_shape(r, channels=4):  # small crops keep the test fast; the networks are the paper's otherwise
        return (8 + 2 * r, 12, channels)

    monkeypatch.setattr(aouayeb_model, "region_input_shape", region_input_shape)
    _small_stage2(monkeypatch)  # kept across folds as the region CNNs are (compiled_like)
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 0])
    selection = _fake_region_clips(monkeypatch, labels, per_subject=4, seed=1, shape=region_input_shape)
    config = dataclasses.replace(  # Keras's focal loss, as quick/smoke: compiled_like keeps models with a built-in loss
        default_config(), data=dataclasses.replace(default_config().data, seq_len=3, motion_input="minus_first_frame"),
        loss=dataclasses.replace(default_config().loss, form="keras"),
        stage1=dataclasses.replace(default_config().stage1, epochs=2, batch_size=8),
        stage2=dataclasses.replace(default_config().stage2, epochs=3, batch_size=2, learning_rate=1e-3))
    folds = [Fold("sub02", train=np.arange(4), test=np.arange(4, 8)),
             Fold("sub01", train=np.arange(4, 8), test=np.arange(4))]

    def run(reuse: bool, folds):
        monkeypatch.setattr(protocol, "REUSE_COMPILED", reuse)
        training.forget_compiled()
        return [protocol.run_fold(FoldContext(selection, fold, config, "quick", 0, tmp_path, tmp_path))
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


def test_batched_eager_prediction_equals_predict_without_warnings():
    """Features, region softmax and the LSTM stage are predicted batch by batch eagerly (no traced
    predict function to retrace per fold); the arrays are ``model.predict``'s and Keras warns of nothing."""
    import warnings

    from papers.aouayeb2019 import model as aouayeb_model
    from papers.aouayeb2019 import protocol

    rng = np.random.default_rng(0)
    cnn = aouayeb_model.build_region_cnn(input_shape=(8, 12, 4), num_labels=4, name="r")
    both = protocol._features_and_probabilities(cnn)
    x = rng.normal(size=(300, 8, 12, 4)).astype("float32")  # 256 + a partial batch of 44
    lstm = aouayeb_model.build_lstm_stage(seq_len=3, feature_dim=20, units=8, num_classes=3, dense_units=4,
                                          dropout=0.2, leaky_slope=0.3)
    seqs = [rng.normal(size=(5, 3, 20)).astype("float32") for _ in range(6)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        features, probabilities = protocol._predict_in_batches(both, x)
        (clips,) = protocol._predict_in_batches(lstm, seqs)
    expected = both.predict(x, verbose=0)
    np.testing.assert_allclose(features, expected[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(probabilities, expected[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clips, lstm.predict(seqs, verbose=0), rtol=1e-5, atol=1e-6)
    assert features.shape == (300, 20) and probabilities.shape == (300, 4) and clips.shape == (5, 3)


@pytest.fixture(scope="module")
def smoke_track(smoke_corpus):
    """The ``megc2019`` track's data on the smoke corpus and the paper's benchmark experiment on it."""
    from common.leaderboard.tracks import MEGC2019
    from common.config import apply_overrides
    from common.running.corpus import load_datasets
    from papers.aouayeb2019 import benchmark_experiment

    experiment = benchmark_experiment(MEGC2019)
    data = load_datasets(experiment, smoke_corpus)
    config = apply_overrides(experiment.config, dict(experiment.profiles["smoke"]))
    return experiment, data, config


def test_benchmark_experiment_takes_the_track_as_it_is_and_trains_the_papers_fold(smoke_track):
    """The benchmark's entry is the paper's experiment on the track's clips, labels and folds: the same selection
    and the same fold function, so that its folds train as the smoke run's (test_smoke_run_writes_report)."""
    from common.leaderboard.tracks import MEGC2019, MEGC2019_HDE
    from papers.aouayeb2019 import BENCHMARK_MODELS, EXPERIMENTS, benchmark_experiment, reported

    experiment, data, config = smoke_track
    paper = EXPERIMENTS[0]
    assert (experiment.name, experiment.datasets, experiment.scopes) == ("megc2019", MEGC2019.datasets, MEGC2019.scopes)
    assert experiment.config == paper.config and experiment.profiles == paper.profiles
    assert experiment.reported == reported.REPORTED and experiment.report_pages is None
    assert experiment.run_fold is paper.run_fold
    hde = benchmark_experiment(MEGC2019_HDE, BENCHMARK_MODELS[0])
    assert hde.name == "megc2019_hde" and hde.reported == () and hde.config == paper.config
    with pytest.raises(ValueError, match="benchmark model"):
        benchmark_experiment(MEGC2019, "resnet")
    # Every track sample, in the track's order, with the track's labels and folds (max_folds is the paper's, not the
    # track's); the paper's own selection is the same.
    track_selection = MEGC2019.select(data)
    selection = experiment.select(data, config)
    assert [s.key for s in selection.samples] == [s.key for s in track_selection.samples] and len(selection) > 0
    assert selection.labels.tolist() == track_selection.labels.tolist()
    own = paper.select(data, config)
    assert [s.key for s in own.samples] == [s.key for s in selection.samples]
    assert own.labels.tolist() == selection.labels.tolist() and own.class_names == selection.class_names
    folds = experiment.folds(selection, config, 0)
    assert [(f.name, f.test.tolist()) for f in folds] == [(f.name, f.test.tolist())
                                                          for f in MEGC2019.folds(track_selection, 0)]
    assert len(folds) > config.evaluation.max_folds == 1
    (first,) = paper.folds(own, config, 0)
    assert (first.name, first.test.tolist(), first.train.tolist()) == (
        folds[0].name, folds[0].test.tolist(), folds[0].train.tolist())


def test_estimate_hooks_list_the_seven_networks_of_a_fold(smoke_track):
    from papers.aouayeb2019 import EXPERIMENTS

    experiment, data, config = smoke_track
    assert experiment.training_stages is EXPERIMENTS[0].training_stages
    assert experiment.preprocess_clip is EXPERIMENTS[0].preprocess_clip
    selection = experiment.select(data, config)
    fold = experiment.folds(selection, config, 0)[0]
    stages = experiment.training_stages(config, selection, fold)
    assert [s.model for s in stages] == [f"region_cnn_{r}" for r in range(6)] + ["lstm_stage"]
    frames = sum(min(len(selection.samples[i].frames), config.data.frames_per_clip) for i in fold.train)
    assert frames > len(fold.train)  # stage 1 trains on frames, stage 2 on clips
    for stage in stages[:6]:
        assert (stage.samples, stage.epochs, stage.batch_size) == (frames, config.stage1.epochs,
                                                                   config.stage1.batch_size)
    assert (stages[6].samples, stages[6].epochs, stages[6].batch_size) == (
        len(fold.train), config.stage2.epochs, config.stage2.batch_size)
    cnn, lstm = stages[5].build(), stages[6].build()
    assert cnn.compiled and lstm.compiled and cnn.optimizer is not None
    assert tuple(cnn.input_shape[1:]) == (60, 160, 4) and _params(cnn) == 106_852
    assert [tuple(s[1:]) for s in lstm.input_shape] == [(config.data.seq_len, 20)] * 6 and _params(lstm) == 452_419
    sample = selection.samples[int(fold.train[0])]
    crops = experiment.preprocess_clip(sample, config)
    t = min(len(sample.frames), config.data.frames_per_clip)
    assert [c.shape for c in crops] == [(t, 80, 100, 4), (t, 80, 100, 4), (t, 80, 120, 4), (t, 60, 60, 4),
                                        (t, 60, 60, 4), (t, 60, 160, 4)]


@pytest.mark.slow  # about 15 s of CPU: seven networks trained twice (tracing the most of it)
def test_regions_trained_together_get_the_weights_of_separate_training(monkeypatch, tmp_path):
    """``model.train_regions_together``: the six region CNNs trained as one graph on the sum of
    their six focal losses end with the weights, histories and features of six separate trainings on the
    same batches (no shuffling here, the one difference the option makes; dropout 0.2 as the paper: each
    CNN's dropout keeps its own seed state); the fold's predictions are the same. (``stage1.one_pass`` with
    lists of targets: ``tests/test_training_one_pass.py``.)"""
    from common.experiment import Fold, FoldContext
    from papers.aouayeb2019 import default_config, protocol
    from papers.aouayeb2019 import model as aouayeb_model

    def region_input_shape(r, channels=4):  # small crops keep the test fast; the networks are the paper's otherwise
        return (6 + 2 * r, 10, channels)

    monkeypatch.setattr(aouayeb_model, "region_input_shape", region_input_shape)
    _small_stage2(monkeypatch)  # stage 2 is not what differs
    monkeypatch.setattr(protocol, "REUSE_COMPILED", False)
    labels = np.array([0, 1, 2, 0, 1, 2, 2, 0])
    selection = _fake_region_clips(monkeypatch, labels, per_subject=6, seed=2, shape=region_input_shape)
    # 18 training frames in batches of 8: two full batches and a partial one per epoch.
    config = dataclasses.replace(
        default_config(), data=dataclasses.replace(default_config().data, seq_len=3),
        stage1=dataclasses.replace(default_config().stage1, epochs=2, batch_size=8, shuffle=False),
        stage2=dataclasses.replace(default_config().stage2, epochs=1))
    assert config.model.cnn_dropout == 0.2 and config.loss.form == "eq2" and not config.model.train_regions_together
    fold = Fold("sub02", train=np.arange(6), test=np.arange(6, 8))
    real_parameters = protocol.trainable_parameters

    def run(together: bool):
        weights = []  # every trained network's weights, as run_fold counts its parameters
        monkeypatch.setattr(protocol, "trainable_parameters",
                            lambda m: (weights.append([np.array(w) for w in m.get_weights()]), real_parameters(m))[1])
        cfg = dataclasses.replace(config, model=dataclasses.replace(config.model, train_regions_together=together))
        outcome = protocol.run_fold(FoldContext(selection, fold, cfg, "smoke", 0, tmp_path / str(together), tmp_path))
        return outcome, weights

    (separate, separate_weights), (together, together_weights) = run(False), run(True)
    assert "stage1_fit" in together.extra["seconds"] and "stage1_fit_r0" in separate.extra["seconds"]
    assert len(together_weights) == len(separate_weights) == 7  # six region CNNs, then stage 2
    for r, (a, b) in enumerate(zip(separate_weights, together_weights)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            np.testing.assert_allclose(v, u, rtol=1e-6, atol=1e-7, err_msg=f"network {r}")
    assert not np.allclose(separate_weights[0][0], separate_weights[0][0] * 0)  # trained, not zero
    assert together.parameters == separate.parameters
    assert set(together.history) == set(separate.history) and "stage1_r5_accuracy" in together.history
    for name, values in separate.history.items():
        np.testing.assert_allclose(together.history[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
    assert together.extra["stage1_test_frame_accuracy"] == separate.extra["stage1_test_frame_accuracy"]
    np.testing.assert_allclose(together.probabilities, separate.probabilities, rtol=0, atol=1e-6)


def test_estimate_hooks_with_the_regions_trained_together_and_traced_once(smoke_track):
    """With ``model.train_regions_together`` one stage trains the six CNNs (six inputs at the
    paper's sizes, 6 x 106,852 parameters) on the fold's frames; ``traced_once`` says where run_fold keeps
    the compiled networks across folds: Keras's focal loss (quick/smoke) on TensorFlow, not Eq. 2's (paper)."""
    import keras

    from papers.aouayeb2019.model import region_input_shape
    from papers.aouayeb2019 import protocol

    experiment, data, config = smoke_track
    selection = experiment.select(data, config)
    fold = experiment.folds(selection, config, 0)[0]
    kept = keras.backend.backend() == "tensorflow"
    assert protocol.kept_across_folds(config) is kept and config.loss.form == "keras"
    assert [s.traced_once for s in experiment.training_stages(config, selection, fold)] == [kept] * 7
    paper_loss = dataclasses.replace(config, loss=dataclasses.replace(config.loss, form="eq2"))
    assert not protocol.kept_across_folds(paper_loss)
    assert [s.traced_once for s in experiment.training_stages(paper_loss, selection, fold)] == [False] * 7

    together = dataclasses.replace(config, model=dataclasses.replace(config.model, train_regions_together=True))
    stages = experiment.training_stages(together, selection, fold)
    assert [s.model for s in stages] == ["region_cnns_together", "lstm_stage"]
    frames = sum(min(len(selection.samples[i].frames), config.data.frames_per_clip) for i in fold.train)
    assert (stages[0].samples, stages[0].epochs, stages[0].batch_size, stages[0].traced_once) == (
        frames, config.stage1.epochs, config.stage1.batch_size, kept)
    model = stages[0].build()
    assert model.compiled and [tuple(s[1:]) for s in model.input_shape] == [region_input_shape(r) for r in range(6)]
    assert [tuple(s[1:]) for s in model.output_shape] == [(4,)] * 6 and _params(model) == 6 * 106_852
    assert model.output_names == [f"region_cnn_{r}" for r in range(6)]


def test_export_fold_keeps_seven_networks_and_predict_clips_repeats_the_fold(smoke_corpus, tmp_path):
    """A smoke fold with ``model.train_regions_together`` (a few clips of the first fold) predicts the test clips,
    keeps the per-region histories and parameter counts of separate training, and its one model of the six CNNs is
    kept across folds (``compiled_like`` with one focal loss per output); exported, its seven networks give the
    fold's probabilities again through ``predict_clips``."""
    from export_fold import export_fold_check

    from common import training
    from papers.aouayeb2019 import protocol

    outcomes: list = []
    fold, predicted, sink, ctx, experiment = export_fold_check("aouayeb2019", "megc2019_loso", smoke_corpus, tmp_path,
                                                               clips=(6, 3), outcomes=outcomes,
                                                               overrides={"model.train_regions_together": True})
    (outcome,) = outcomes
    config = ctx.config
    assert outcome.probabilities.shape == (3, 3) and outcome.y_pred.shape == (3,)
    assert np.allclose(outcome.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert outcome.parameters == {**{f"region_cnn_{r}": 106_852 for r in range(6)}, "lstm_stage": 452_419}
    assert ({f"stage1_r{r}_{k}" for r in range(6) for k in ("loss", "accuracy")} | {"stage2_loss"}
            <= set(outcome.history))
    assert all(len(outcome.history[f"stage1_r{r}_loss"]) == config.stage1.epochs for r in range(6))
    assert (tmp_path / "fold" / "stage1_together_history.csv").is_file()
    if protocol.kept_across_folds(config):
        assert any(isinstance(key, tuple) and "region_cnns_together" in key for key in training._COMPILED)
    training.forget_compiled(lambda key: isinstance(key, tuple) and "region_cnns_together" in key)
    assert sorted(sink.models) == sorted([f"region_cnn_{r}" for r in range(6)] + ["lstm_stage"])
    assert sink.state == {"feature_scale": None}  # the smoke profile normalises no feature
    np.testing.assert_allclose(predicted, fold, atol=1e-5)
    views = experiment.predict_views(ctx, 0)
    assert [name for name, _ in views.regions][0] == "right_eye_brow" and len(views.inputs) == 6
