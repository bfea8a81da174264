"""papers/le2020: models and parameter counts, labels, the EVM -> dynamic image -> regions
pipeline on a synthetic clip, and a smoke run through run_all.py."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from photos import astronaut
from run_cli import smoke_run

REPO = Path(__file__).resolve().parent.parent


def test_the_models_take_224_pixel_images():
    """Sec. III-D: 224 x 224 x 3 inputs (each model's count is checked by tests/test_models.py)."""
    from papers.le2020.config import default_config
    from papers.le2020.model import build_model

    assert tuple(build_model(config=default_config("senet50"), num_classes=4).input_shape[1:]) == (224, 224, 3)


def test_label_regrouping_follows_section_iv_a1():
    from common.datasets.sample import Sample
    from papers.le2020.config import Le2020Config, ProtocolConfig
    from papers.le2020.protocol import CLASSES, select

    def make_selection(data, datasets):
        protocol = (ProtocolConfig(kind="cross", train_dataset=datasets[0], test_dataset=datasets[1])
                    if len(datasets) == 2 else ProtocolConfig(dataset=datasets[0]))
        return select(data, Le2020Config(protocol=protocol))

    def sample(dataset, emotion, i):
        return Sample(dataset, "s1", f"c{i}", emotion, 1, None, 2, 200.0, ())

    casme = [sample("casme2", e, i) for i, e in enumerate(["happiness", "disgust", "repression", "surprise",
                                                          "others", "fear", "sadness"])]
    samm = [sample("samm", e, i) for i, e in enumerate(["happiness", "anger", "disgust", "sadness", "fear",
                                                        "surprise", "contempt", "other"])]
    selection = make_selection({"casme2": casme, "samm": samm}, ("casme2", "samm"))
    names = [CLASSES[k] for k in selection.labels]
    assert selection.class_names == CLASSES
    # CASME II: fear and sadness dropped; disgust + repression -> negative.
    assert names[:5] == ["positive", "negative", "negative", "surprise", "others"]
    # SAMM: anger, disgust, sadness, fear -> negative; contempt -> others.
    assert names[5:] == ["positive", "negative", "negative", "negative", "negative", "surprise", "others", "others"]
    smic = make_selection({"smic": [sample("smic", e, i) for i, e in enumerate(["negative", "positive"])]}, ("smic",))
    assert smic.class_names == ("positive", "negative", "surprise") and list(smic.labels) == [1, 0]
    with pytest.raises(ValueError, match=r"needs databases \('samm',\); loaded: \['smic'\]"):
        make_selection({"smic": []}, ("samm",))


def test_quick_profile_uses_five_folds_for_table_ii_only():
    """Quick profile (README ledger 21): Table II experiments use 5 stratified folds instead of the paper's 10
    (the paper profile keeps 10); the cross-database experiments (one fold) carry no fold count."""
    from common.config import apply_overrides
    from papers.le2020 import EXPERIMENTS

    kfold = [e for e in EXPERIMENTS if e.config.protocol.kind == "kfold"]
    cross = [e for e in EXPERIMENTS if e.config.protocol.kind == "cross"]
    assert len(kfold) == 9 and len(cross) == 4
    for experiment in kfold:
        assert experiment.config.protocol.k == 10  # paper profile: Sec. IV-A.2
        quick = apply_overrides(experiment.config, experiment.profiles["quick"])
        assert quick.protocol.k == 5 and quick.protocol.kind == "kfold"
        assert quick.train.epochs == 20  # not cut: 12 epochs lost UF1 (README, quick-profile measurements)
    for experiment in cross:
        assert "protocol.k" not in experiment.profiles["quick"]
        assert apply_overrides(experiment.config, experiment.profiles["quick"]).protocol.kind == "cross"


def test_roi_crops_mask_eyes_and_sit_where_landmarks_put_them():
    from papers.le2020.preprocessing import roi_boxes, roi_crops

    _, points = astronaut()
    image = np.full((512, 512, 3), 200, np.uint8)
    crops = roi_crops(image, points)
    boxes = roi_boxes(points)
    assert set(crops) == {"eyebrows", "nose", "mouth"}
    eye_mask = np.zeros((512, 512), np.uint8)
    p = np.rint(points).astype(np.int32)
    cv2.fillPoly(eye_mask, [p[36:42], p[42:48]], 1)
    for name, crop in crops.items():
        left, top, right, bottom = boxes[name]
        assert crop.shape == (bottom - top, right - left, 3)
        zeros = np.all(crop == 0, axis=2)
        np.testing.assert_array_equal(zeros, eye_mask[top:bottom, left:right] == 1)
    assert (np.all(crops["eyebrows"] == 0, axis=2)).sum() == eye_mask.sum() > 50  # both eyes inside
    # Each box holds its landmarks: brows (17-26), lower nose (31-35), lips (48-67).
    def inside(name, idx):
        left, top, right, bottom = boxes[name]
        q = points[list(idx)]
        return np.all((q[:, 0] >= left) & (q[:, 0] < right) & (q[:, 1] >= top) & (q[:, 1] < bottom))
    assert inside("eyebrows", range(17, 27)) and inside("eyebrows", range(36, 48))
    assert inside("nose", range(27, 36)) and inside("mouth", range(48, 68))
    assert boxes["eyebrows"][1] < boxes["nose"][1] < boxes["mouth"][1]  # top to bottom
    assert boxes["eyebrows"][1] < points[17:27, 1].min() - 5  # forehead strip above the brows


def test_roi_canvas_blacks_out_everything_but_the_rois():
    from papers.le2020.preprocessing import roi_boxes, roi_canvas

    _, points = astronaut()
    image = np.full((512, 512, 3), 200, np.uint8)
    canvas = roi_canvas(image, points, size=None)
    boxes = roi_boxes(points)
    union = np.array(list(boxes.values()))
    left, top = union[:, 0].min(), union[:, 1].min()
    assert canvas.shape == (union[:, 3].max() - top, union[:, 2].max() - left, 3)
    kept = np.zeros(canvas.shape[:2], bool)
    for x0, y0, x1, y1 in boxes.values():
        kept[y0 - top:y1 - top, x0 - left:x1 - left] = True
    eyes = np.zeros((512, 512), np.uint8)
    p = np.rint(points).astype(np.int32)
    cv2.fillPoly(eyes, [p[36:42], p[42:48]], 1)
    expected = kept & (eyes[top:top + canvas.shape[0], left:left + canvas.shape[1]] == 0)
    np.testing.assert_array_equal(canvas[..., 0] == 200, expected)
    assert roi_canvas(image, points).shape == (224, 224, 3)


def _write_clip(folder: Path, n_frames: int = 24) -> tuple[list[Path], np.ndarray]:
    """A synthetic face (skimage astronaut) whose mouth region moves; frames written as JPEG."""
    from skimage import data

    from common.preprocessing.faces import landmarks

    face = np.ascontiguousarray(data.astronaut()[30:230, 140:340])  # (200, 200, 3), the face
    face = cv2.resize(face, (224, 224), interpolation=cv2.INTER_AREA)
    points = landmarks(face)
    lips = points[48:60]
    left, top = (lips.min(0) - 4).astype(int)
    right, bottom = (lips.max(0) + 4).astype(int)
    folder.mkdir(parents=True)
    paths = []
    for t in range(n_frames):
        frame = face.copy()
        shift = int(round(3 * np.sin(np.pi * t / (n_frames - 1))))  # onset -> apex -> offset
        frame[top:bottom, left:right] = np.roll(face[top:bottom, left:right], shift, axis=0)
        path = folder / f"img{t + 1}.png"
        cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths, points


def test_magnification_dynamic_image_regions_on_a_synthetic_clip(tmp_path):
    from common.datasets.sample import Sample
    from common.preprocessing.regions import LEFT_EYE, RIGHT_EYE
    from papers.le2020.config import Le2020Config, RegionConfig
    from papers.le2020.preprocessing import compute_inputs, region_image, roi_boxes, roi_canvas

    paths, points = _write_clip(tmp_path / "clip")
    sample = Sample("casme2", "sub01", "EP01", "happiness", 1, 12, len(paths), 200.0, tuple(paths))
    config = Le2020Config()
    arrays = compute_inputs(sample, config)
    di, found = arrays["dynamic_image"], arrays["points"]
    assert di.shape == (224, 224, 3) and di.dtype == np.uint8
    # Landmarks of the onset frame, on the DI's pixel grid (faces are not cropped: the face fills the frame).
    assert np.abs(found - points).max() < 1.0
    # The motion is in the mouth: the DI departs from its (static) background mode only there.
    deviation = np.abs(di.astype(float) - np.median(di)).sum(-1)
    boxes = roi_boxes(found)
    left, top, right, bottom = boxes["mouth"]
    outside = np.ones(deviation.shape, bool)
    outside[top:bottom, left:right] = False
    assert deviation[top:bottom, left:right].mean() > 3 * deviation[outside].mean()
    # Magnification enlarges that motion (Sec. III-A): stronger DI contrast in the mouth than without it.
    plain = compute_inputs(sample, dataclasses.replace(config, magnification=dataclasses.replace(
        config.magnification, enabled=False)))["dynamic_image"]
    assert np.abs(di.astype(float) - np.median(di))[top:bottom, left:right].mean() >= \
        np.abs(plain.astype(float) - np.median(plain))[top:bottom, left:right].mean()

    # Regions: the canvas keeps only the three ROIs, eyes masked (Sec. III-C).
    full = region_image(di, found, RegionConfig(), 224)
    assert full.shape == (224, 224, 3)
    canvas = roi_canvas(di, found, size=None)
    union = np.array(list(boxes.values()))
    x0, y0 = union[:, 0].min(), union[:, 1].min()
    for eye in (RIGHT_EYE, LEFT_EYE):
        cx, cy = np.rint(found[list(eye)].mean(0)).astype(int)
        assert (canvas[cy - y0, cx - x0] == 0).all()  # eye centre masked
    cx, cy = np.rint(found[list(range(48, 60))].mean(0)).astype(int)
    assert canvas[cy - y0, cx - x0].any()  # mouth kept where the landmarks put it
    # A cheek point (outside every ROI) is blanked.
    cheek = np.rint((found[1] + found[31]) / 2).astype(int)
    assert (canvas[cheek[1] - y0, cheek[0] - x0] == 0).all()
    # Alternatives keep their documented shapes.
    assert region_image(di, found, RegionConfig(combine="channels"), 64).shape == (64, 64, 9)
    assert region_image(di, found, RegionConfig(combine="stack"), 64).shape == (64, 64, 3)
    assert region_image(di, found, RegionConfig(combine="none"), 64).shape == (64, 64, 3)


def test_reused_model_trains_as_a_new_model_each_fold(monkeypatch):
    """model.reuse_across_folds (quick profile): one compiled model kept across folds (common.training.compiled_like);
    each fold's fresh start (weights, optimiser reset) is copied into it, so a second fold trains exactly as a
    new model would; without the option every fold gets its own model. A small stand-in network replaces the
    backbone (the reuse does not depend on it; keeps the test fast)."""
    import keras

    from common.config import apply_overrides
    from common.training import forget_compiled, set_seed
    from papers.le2020 import protocol
    from papers.le2020.config import Le2020Config
    from papers.le2020.protocol import compiled_model

    def small_model(config, num_classes):
        inputs = keras.Input((config.model.input_size, config.model.input_size, 3))
        x = keras.layers.Conv2D(4, 3, strides=4)(inputs)
        x = keras.layers.BatchNormalization(momentum=config.model.bn_momentum)(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))

    monkeypatch.setattr(protocol, "build_model", small_model)  # the name compiled_model calls
    config = apply_overrides(Le2020Config(), {"model.backbone": "resnet50", "model.input_size": 32,
                                              "model.reuse_across_folds": True, "train.optimizer": "adam",
                                              "train.learning_rate": 0.01, "train.batch_size": 4, "train.epochs": 1})
    plain = dataclasses.replace(config, model=dataclasses.replace(config.model, reuse_across_folds=False))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 32, 32, 3)).astype("float32"), keras.utils.to_categorical([0, 1, 2, 0], 3)

    def one_fold(cfg):
        set_seed(0)  # the runner seeds before every fold
        model = compiled_model(cfg, 3)
        model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)  # one Adam step
        return model, [w.copy() for w in model.get_weights()], int(model.optimizer.iterations)

    forget_compiled()
    first, after_first, steps = one_fold(config)
    second, after_second, steps_again = one_fold(config)
    assert first.count_params() < 1_000  # the stand-in (a ResNet50 has 23.5 million)
    assert second is first and steps == steps_again == 1  # kept, optimiser reset (not 2 steps)
    fresh, after_fresh, _ = one_fold(plain)
    assert fresh is not first and one_fold(plain)[0] is not fresh  # the paper profile: a model per fold
    for a, b, c in zip(after_first, after_second, after_fresh):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # One le2020 model kept at a time (memory): another configuration replaces it.
    other = dataclasses.replace(config, train=dataclasses.replace(config.train, learning_rate=0.001))
    assert compiled_model(other, 3) is not first and compiled_model(config, 3) is not first
    forget_compiled()


@pytest.mark.slow
def test_smoke_run_through_run_all(tmp_path_factory, smoke_corpus):
    # VGG19 (Table III's other row): about 11 s against 19 s for ResNet50, whose 50-layer graph takes longer to trace;
    # the session's one smoke run of le2020 (tests/run_cli.SMOKE_RUNS), which tests/test_report_layout.py reads too
    tmp_path = smoke_run(tmp_path_factory, smoke_corpus, "le2020")
    results = json.loads((tmp_path / "le2020" / "cross_casme2_to_samm_vgg19" / "results.json").read_text())
    assert results["profile"] == "smoke"
    assert [f["status"] for f in results["folds"]] == ["ok"]
    assert results["n_samples"] == results["corpus"]["datasets"]["casme2"] + results["corpus"]["datasets"]["samm"]
    assert results["metrics"]["pooled"]["all"]["n"] == results["corpus"]["datasets"]["samm"]
    assert results["comparison"][0]["reported"] == pytest.approx(0.5245)  # Table III, VGG19 CASME II -> SAMM
    (fold,) = [json.loads(p.read_text()) for p in (tmp_path / "le2020" / "cross_casme2_to_samm_vgg19" / "folds").glob(
        "*.json")]
    assert set(fold["parameters"]) == {"vgg19_roi"}
    with np.load(fold["extra"]["examples"]) as examples:  # the report's example inputs, saved with the fold
        assert set(examples["keys"]) <= set(fold["keys"])
        assert examples["cnn_input"].shape[1:] == (32, 32, 3) and examples["points"].shape[1:] == (68, 2)
    assert (tmp_path / "le2020" / "report.pdf").stat().st_size > 0


def test_paper_profile_starts_from_imagenet_where_keras_has_it():
    """Ledger 11: the paper experiments of VGG19 and ResNet50 start from Keras' ImageNet weights with Keras'
    Caffe-style preprocess_input; SENet50 (no Keras weights) and the quick/smoke profiles from scratch with
    torchvision's normalisation. Nothing is built or downloaded here."""
    from common.config import apply_overrides
    from papers.le2020 import EXPERIMENTS
    from papers.le2020.model import resolved_preprocessing
    from papers.le2020.preprocessing import preprocess

    for experiment in EXPERIMENTS:
        model = experiment.config.model
        expected = "" if model.backbone == "senet50" else "imagenet"
        assert model.weights == expected, experiment.name
        assert resolved_preprocessing(model) == ("torch" if model.backbone == "senet50" else "caffe")
        for profile in ("quick", "smoke"):
            small = apply_overrides(experiment.config, experiment.profiles[profile]).model
            assert small.weights == "" and resolved_preprocessing(small) == "torch"
        user = apply_overrides(experiment.config, {"model.weights": "/some/file.npz"}).model
        assert resolved_preprocessing(user) == ("torch" if model.backbone == "senet50" else "caffe")
    # caffe = keras.applications.vgg19.preprocess_input: RGB -> BGR minus the ImageNet BGR mean, by hand:
    pixel = np.array([[[[10, 20, 30]]]], dtype=np.uint8)
    np.testing.assert_allclose(preprocess(pixel, "caffe")[0, 0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68],
                               rtol=1e-6)
    np.testing.assert_allclose(preprocess(pixel, "torch")[0, 0, 0],
                               (np.array([10, 20, 30]) / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225],
                               rtol=1e-5)


def test_imagenet_weights_offline_fail_in_one_line(monkeypatch, tmp_path):
    """Offline (the download raises as urllib does without network) and not in Keras' cache: one
    WeightsError line naming the file and the ways out; the run's pre-flight turns it into a RunError
    before any fold. SENet50 with "imagenet" names the converter instead."""
    import urllib.error

    import keras.src.backend.config as keras_config
    import keras.src.utils.file_utils as file_utils

    from common.backbones import WeightsError
    from common.errors import RunError
    from papers.le2020.config import Le2020Config, ModelConfig
    from papers.le2020.model import build_roi_cnn
    from papers.le2020.protocol import check_weights

    def offline(*args, **kwargs):
        raise urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path / "keras"))  # an empty Keras cache
    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    config = ModelConfig(backbone="resnet50", weights="imagenet", input_size=32)
    with pytest.raises(WeightsError) as info:
        build_roi_cnn(config=config, num_classes=4)
    message = str(info.value)
    assert "\n" not in message
    assert "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5" in message and "name resolution" in message
    assert str(tmp_path / "keras" / "models") in message and "--set model.weights= " in message
    with pytest.raises(RunError) as info:
        check_weights(dataclasses.replace(Le2020Config(), model=config), 4)
    assert str(info.value) == message
    with pytest.raises(WeightsError, match="no ImageNet weights for SE-ResNet-50.*model.weights=PATH.npz") as info:
        build_roi_cnn(config=ModelConfig(backbone="senet50", weights="imagenet", input_size=32), num_classes=4)
    assert "\n" not in str(info.value)
    check_weights(Le2020Config(), 4)  # from scratch: nothing to check, nothing built


def test_senet50_loads_a_converted_pytorch_state_dict(monkeypatch, tmp_path):
    """model.weights=PATH.npz for senet50 goes through common.backbones' state-dict mapping into the backbone
    (a small SE-ResNet stands in for SE-ResNet-50, whose weights would be 100 MB); the head stays new."""
    import keras

    from common.backbones import build_resnet, torch_names
    from papers.le2020 import model as model_module
    from papers.le2020.config import ModelConfig

    def small_backbone(*, backbone, input_shape, imagenet=False, stem_pool="pad"):
        return build_resnet(input_shape=input_shape, stage_blocks=(1, 1, 1, 1), block="bottleneck", se_ratio=16,
                            strided_conv="1x1", pooling="avg", name="seresnet50", stem_pool=stem_pool)

    monkeypatch.setattr(model_module, "_backbone", small_backbone)
    reference = small_backbone(backbone="senet50", input_shape=(32, 32, 3))
    rng = np.random.default_rng(0)
    state = {}
    for layer in reference.layers:
        if isinstance(layer, keras.layers.Conv2D):
            prefix = torch_names(layer.name)[0]
            state[f"{prefix}.weight"] = rng.normal(0, 0.1, tuple(reversed(layer.kernel.shape[2:])) +
                                                   tuple(layer.kernel.shape[:2])).astype("float32")
            if layer.use_bias:
                state[f"{prefix}.bias"] = rng.normal(0, 0.1, layer.bias.shape).astype("float32")
        elif isinstance(layer, keras.layers.BatchNormalization):
            prefix = torch_names(layer.name)[0]
            for key in ("weight", "bias", "running_mean", "running_var"):
                state[f"{prefix}.{key}"] = rng.uniform(0.5, 1.5, layer.gamma.shape).astype("float32")
    path = tmp_path / "se_resnet50.npz"
    np.savez(path, **state)
    built = model_module.build_roi_cnn(config=ModelConfig(backbone="senet50", weights=str(path), input_size=32),
                                       num_classes=4)
    base = built.get_layer("seresnet50")
    # Conv2d (out, in, kh, kw) -> Keras (kh, kw, in, out); BN running_var -> moving_variance.
    np.testing.assert_array_equal(base.get_layer("conv1").kernel.numpy(),
                                  state["layer0.conv1.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(base.get_layer("conv3_block1_se_expand").bias.numpy(),
                                  state["layer2.0.se_module.fc2.bias"])
    np.testing.assert_array_equal(base.get_layer("conv5_block1_proj_bn").moving_variance.numpy(),
                                  state["layer4.0.downsample.1.running_var"])
    assert model_module.weights_note(ModelConfig(backbone="senet50", weights=str(path))).startswith(f"from {path}")


@pytest.mark.slow
def test_run_all_offline_imagenet_is_one_line_and_runs_no_fold(tmp_path, smoke_corpus):
    """Through run_all.py: ImageNet weights that cannot be downloaded (an empty Keras cache, every HTTPS
    request sent to a closed local port) stop the run before any fold with one line on stderr, exit 2."""
    import os

    env = dict(os.environ, KERAS_HOME=str(tmp_path / "keras"), https_proxy="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="")
    out = subprocess.run(
        [sys.executable, str(REPO / "run_all.py"), "--paper", "le2020", "--experiment", "smic_10fold_resnet50",
         "--profile", "smoke", "--set", "model.weights=imagenet", "--data-root", str(smoke_corpus),
         "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO, timeout=600, env=env)
    assert out.returncode == 2, out.stdout[-2000:] + out.stderr[-2000:]
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "could not get Keras' ImageNet weights of ResNet50" in lines[0] and "--set model.weights=" in lines[0]
    assert not list((tmp_path / "out").rglob("*.json"))  # no fold ran, nothing written


def test_report_shows_every_published_row_once():
    """Tables II and III's other-method rows are shown (marked published, not run by us) on one page, written
    by the report's first experiment only; the SMIC page of Table I says which SMIC version is read (ledger 22)."""
    from common.datasets.sample import Sample
    from common.experiment import Selection
    from common.harness import ReportContext
    from papers.le2020 import EXPERIMENTS, reported
    from papers.le2020.pages import PUBLISHED, published_table_lines, table_i_lines

    lines = published_table_lines()
    text = "\n".join(lines)
    for method, values in {**reported.TABLE_II_OTHERS, **reported.TABLE_III_OTHERS}.items():
        row = next(line for line in lines if method in line)
        assert "(*)" in row and all(f"{100 * v:.2f} %" in row for v in values.values())
    assert f"(*) {PUBLISHED}." in text and "VGG19 + ROI" in text and "53.75 %" in text

    # casme2 resnet50 and senet50 (no example page): only the report's first experiment draws the tables
    results = {e.name: _fake_result(e) for e in EXPERIMENTS[1:3]}
    context = ReportContext(paper_id="le2020", results=results)
    for experiment, pages in ((EXPERIMENTS[1], 1), (EXPERIMENTS[2], 0)):
        pdf = _Pdf()
        experiment.report_pages(pdf, results[experiment.name], context)
        assert pdf.pages == pages
    smic = Selection((Sample("smic", "s1", "s1_po_01", "positive", 1, None, 9, 100.0, ()),), np.array([0]),
                     ("positive", "negative", "surprise"))
    assert any("SMIC-E-HS" in line for line in table_i_lines("smic", smic))


class _Pdf:
    def __init__(self):
        self.pages, self.figures = 0, []

    def savefig(self, fig):
        self.pages += 1
        self.figures.append(fig)


def _fake_result(experiment, records=(), selection=None):
    from common.experiment import Selection
    from common.harness import ExperimentResult

    selection = selection or Selection((), np.zeros(0, int), ("positive", "negative", "surprise", "others"))
    return ExperimentResult(paper="le2020", experiment=experiment, config=experiment.config, selection=selection,
                            records=tuple(records), summary={"experiment": experiment.name})


def test_example_page_draws_the_inputs_the_run_saved(tmp_path):
    """The example page draws the arrays run_fold saved (extra["examples"]): one row per class, first fold
    first; no faces without context.allow_faces; a fold without its file is named on the page."""
    from common.datasets.sample import Sample
    from common.experiment import Selection
    from common.harness import ReportContext
    from papers.le2020 import EXPERIMENTS

    _, points = astronaut()
    experiment = next(e for e in EXPERIMENTS if e.name == "casme2_10fold_vgg19")
    classes = ("positive", "negative", "surprise", "others")
    samples = tuple(Sample("casme2", f"s{i}", f"c{i}", "happiness", 1, None, 2, 200.0, ()) for i in range(3))
    selection = Selection(samples, np.array([0, 1, 0]), classes)
    image = np.full((512, 512, 3), 100, np.uint8)

    def saved(name, keys, labels):
        path = tmp_path / f"{name}.npz"
        n = len(keys)
        np.savez_compressed(path, keys=np.array(keys), classes=np.array(labels), onset=np.stack([image] * n),
                            dynamic_image=np.stack([image] * n), points=np.stack([points] * n).astype(np.float32),
                            cnn_input=np.zeros((n, 32, 32, 3), np.uint8))
        return str(path)

    records = [{"fold": "f0", "status": "ok",
                "extra": {"examples": saved("f0", ["c0", "c1"], ["positive", "negative"])}},
               {"fold": "f1", "status": "ok", "extra": {"examples": saved("f1", ["c2"], ["positive"])}},
               {"fold": "f2", "status": "ok", "extra": {"examples": str(tmp_path / "gone.npz")}}]
    result = _fake_result(experiment, records, selection)
    results = {"other": result, experiment.name: result}  # not first: no published-tables page
    pdf = _Pdf()
    experiment.report_pages(pdf, result, ReportContext(paper_id="le2020", results=results, allow_faces=True))
    assert pdf.pages == 1  # Table I and the examples share the page
    text = " ".join(t.get_text() for t in pdf.figures[0].findobj(lambda a: hasattr(a, "get_text")))
    assert "fold f2: no example inputs stored" in text
    titles = [ax.get_title() for ax in pdf.figures[0].axes]
    assert titles[:2] == ["c0", "positive"] and titles[3:5] == ["c1", "negative"] and len(titles) == 6
    pdf = _Pdf()
    experiment.report_pages(pdf, result, ReportContext(paper_id="le2020", results=results, allow_faces=False))
    assert pdf.pages == 1  # Table I beside ours only, no faces


def test_vgg19_imagenet_takes_fc1_fc2_at_224(monkeypatch):
    """model.weights=imagenet for VGG19 at 224 px: the convolutions and fc1/fc2 come from Keras' ImageNet
    VGG19 (torchvision fine-tuning replaces only the last layer). keras.applications.VGG19 is replaced by a
    stand-in that records its arguments and returns layers of the right shapes filled with ones (no download)."""
    import keras

    from papers.le2020 import model as model_module
    from papers.le2020.config import ModelConfig

    calls = []

    def fake_vgg19(include_top=True, weights="imagenet", input_shape=None, pooling=None):
        calls.append((include_top, weights))
        if not include_top:  # a cheap stand-in with VGG19's no-top output at 224 px, (7, 7, 512)
            inputs = keras.Input(input_shape)
            x = keras.layers.AveragePooling2D(32)(inputs)
            return keras.Model(inputs, keras.layers.Conv2D(512, 1)(x))
        inputs = keras.Input((7 * 7 * 512,))  # constant "ImageNet" weights: cheap, and no initialiser gives them
        x = keras.layers.Dense(4096, kernel_initializer="ones", bias_initializer="ones", name="fc1")(inputs)
        return keras.Model(inputs, keras.layers.Dense(4096, kernel_initializer="ones", bias_initializer="ones",
                                                      name="fc2")(x))

    used = {}

    def recording_vgg19(**kwargs):
        used[kwargs.get("include_top", True)] = model = fake_vgg19(**kwargs)
        return model

    monkeypatch.setattr(keras.applications, "VGG19", recording_vgg19)
    config = ModelConfig(backbone="vgg19", weights="imagenet", input_size=224)
    built = model_module.build_roi_cnn(config=config, num_classes=4)
    assert calls == [(False, "imagenet"), (True, "imagenet")]
    for name in ("fc1", "fc2"):
        assert all(np.all(w == 1.0) for w in built.get_layer(name).get_weights())
    assert not np.all(built.get_layer("predictions").get_weights()[0] == 1.0)  # the new last layer
    assert model_module.weights_note(config) == "Keras ImageNet VGG19: convolutions, fc1 and fc2; last layer random"
    assert "not 224" in model_module.weights_note(dataclasses.replace(config, input_size=64))


def _megc_fold_context(smoke_corpus, tmp_path, model=None):
    """The benchmark experiment on the smoke corpus's MEGC 2019 composite, smoke profile, its first fold."""
    import warnings

    from common.leaderboard.tracks import MEGC2019
    from common.config import apply_overrides
    from common.datasets import load
    from common.experiment import FoldContext
    from common.preprocessing.cache import default_root as stages_root
    from papers.le2020 import benchmark_experiment

    experiment = benchmark_experiment(MEGC2019, model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = {"megc2019": load("megc2019", smoke_corpus, **experiment.loader_options.get("megc2019", {}))}
    config = apply_overrides(experiment.config, experiment.profiles["smoke"])
    selection = experiment.select(data, config)
    fold = experiment.folds(selection, config, 0)[0]
    ctx = FoldContext(selection=selection, fold=fold, config=config, profile="smoke", seed=0,
                      work_dir=tmp_path / "fold", cache_dir=stages_root())
    return experiment, data, ctx


def test_benchmark_entry_takes_the_track_as_it_is_and_trains_as_the_papers_experiments(smoke_corpus, tmp_path):
    """VGG19 + ROI (the paper's best) is the default, the other backbones options; the experiment
    selects every track sample in track order with the track's labels and folds, and its folds train as the
    paper's experiments of that backbone (the same config and fold function: the smoke run and
    tests/test_real_shape.py train them)."""
    from common.leaderboard.tracks import MEGC2019
    from papers.le2020 import BENCHMARK_MODELS, EXPERIMENTS, benchmark_experiment

    assert BENCHMARK_MODELS[0] == "vgg19" and set(BENCHMARK_MODELS) == {"vgg19", "resnet50", "senet50"}
    assert benchmark_experiment(MEGC2019, "resnet50").name == "megc2019_resnet50"
    with pytest.raises(ValueError, match="no benchmark model 'alexnet'; models: vgg19, resnet50, senet50"):
        benchmark_experiment(MEGC2019, "alexnet")
    experiment, data, ctx = _megc_fold_context(smoke_corpus, tmp_path)
    assert experiment.name == "megc2019" and experiment.datasets == MEGC2019.datasets
    assert experiment.scopes == MEGC2019.scopes and experiment.reported == () and experiment.report_pages is None
    (paper,) = [e for e in EXPERIMENTS if e.name == "smic_10fold_vgg19"]
    assert experiment.config == paper.config and experiment.run_fold is paper.run_fold
    track = MEGC2019.select(data)
    assert [s.key for s in ctx.selection.samples] == [s.key for s in track.samples] == [s.key for s in data["megc2019"]]
    np.testing.assert_array_equal(ctx.selection.labels, track.labels)
    assert ctx.selection.class_names == ("negative", "positive", "surprise")
    shared = MEGC2019.folds(track, 0)[0]
    np.testing.assert_array_equal(ctx.fold.test, shared.test)
    np.testing.assert_array_equal(ctx.fold.train, shared.train)


def test_estimate_hooks_on_the_smoke_corpus(smoke_corpus, tmp_path):
    """One training stage per fold (the backbone at the configured input size, compiled, the fold's
    training clips, the recipe's epochs and batch) and the per-clip preprocessing that run_fold caches."""
    from papers.le2020 import EXPERIMENTS

    experiment, _, ctx = _megc_fold_context(smoke_corpus, tmp_path, "resnet50")
    assert all(e.training_stages is not None and e.preprocess_clip is not None for e in EXPERIMENTS)
    (stage,) = experiment.training_stages(ctx.config, ctx.selection, ctx.fold)
    assert (stage.model, stage.samples, stage.epochs, stage.batch_size) == ("resnet50_roi", len(ctx.fold.train), 1, 8)
    model = stage.build()
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 3)
    assert model.optimizer is not None and model.loss is not None  # compiled
    arrays = experiment.preprocess_clip(ctx.selection.samples[0], ctx.config)
    assert arrays["dynamic_image"].shape == (96, 96, 3) and arrays["dynamic_image"].dtype == np.uint8
    assert arrays["points"].shape == (68, 2)


def test_export_fold_keeps_the_model_and_predict_clips_gives_the_folds_probabilities(smoke_corpus, tmp_path):
    """--export / --predict hooks: a fold run with an ExportSink keeps the trained model (after the
    precise-BN pass, which lives in the model); saved and loaded as .keras, ``predict_clips`` on the fold's
    test clips gives the fold's own probabilities, and a test clip as an unlabelled recording gives the same
    row; ``predict_views`` names every frame, the three ROIs and masked eyes, and the dynamic image."""
    import keras

    from common.predict_types import ExportSink, PredictContext
    from common.training import set_seed

    experiment, _, ctx = _megc_fold_context(smoke_corpus, tmp_path)
    config = dataclasses.replace(ctx.config, model=dataclasses.replace(ctx.config.model, precise_bn=True))
    sink = ExportSink()
    ctx = dataclasses.replace(ctx, config=config, cache_dir=tmp_path / "stages", export=sink)
    set_seed(0)
    outcome = experiment.run_fold(ctx)
    assert set(sink.models) == {"vgg19_roi"} and sink.state == {}
    sink.models["vgg19_roi"].save(tmp_path / "vgg19_roi.keras")
    loaded = keras.saving.load_model(tmp_path / "vgg19_roi.keras")
    test = tuple(ctx.selection.samples[i] for i in ctx.fold.test)
    recording = dataclasses.replace(test[0], dataset="recording", subject="", emotion="", clip="new_clip")
    predict = PredictContext(samples=test + (recording,), config=config, models={"vgg19_roi": loaded}, state=sink.state,
                             class_names=ctx.selection.class_names, cache_dir=tmp_path / "stages")
    probabilities = experiment.predict_clips(predict)
    np.testing.assert_allclose(probabilities[:-1], outcome.probabilities, atol=1e-5)
    np.testing.assert_allclose(probabilities[-1], outcome.probabilities[0], atol=1e-5)
    views = experiment.predict_views(predict, len(test))
    assert views.frames == tuple(range(len(recording.frames)))
    assert [name for name, _ in views.regions] == ["eyebrows", "nose", "mouth", "right eye (masked)",
                                                   "left eye (masked)"]
    assert all(points.shape[1] == 2 for _, points in views.regions)
    titles = [title for title, _ in views.inputs]
    assert titles[0] == "dynamic image (rank pooled)" and titles[-1] == "network input (canvas)"
    assert views.inputs[-1][1].shape == (32, 32, 3) and views.inputs[-1][1].dtype == np.uint8
