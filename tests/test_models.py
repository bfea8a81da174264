"""Every model of every paper, one line each, through one shared check (:func:`run_model_test`, after
keras-hub's ``run_model_saving_test``): the trainable parameter count, a ``.keras`` save and reload that gives
the same outputs, and one training step whose loss is finite and which changes every trainable weight.

Sizes: every model is built at the paper's sizes by ``common.experiment.build_paper_model`` and its count
checked there (against ``PAPER.parameter_counts`` where the paper states one). The save, reload and training
step run on that model, except where a line passes ``small``: the same builder at a smaller input it allows,
for the models too slow to save or train on one CPU core at the paper's size (the six LSTMs' 500 steps,
the 3D CNNs' 96 frames, VGG19's 139 M parameters,
HTNet's 140 M). A small model must have the paper model's layers.
"""
from __future__ import annotations

import ast
import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pytest

from common.experiment import build_paper_model
from papers import PAPER_IDS, get_paper


def _random_inputs(model, batch: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((batch, *tensor.shape[1:])).astype("float32") for tensor in model.inputs]
    return xs if len(xs) > 1 else xs[0]


def check_parameter_count(paper, name: str, model) -> None:
    """The trainable count is the paper's (``parameter_counts``) where it states one; in every case the
    architecture summary's totals are those of its layer rows and of the model's weights."""
    from common.orchestration.architectures import model_summary
    from common.training import trainable_parameters

    summary = model_summary(model)
    assert summary["trainable_params"] == trainable_parameters(model) > 0
    assert summary["trainable_params"] + summary["non_trainable_params"] == sum(r["params"] for r in summary["layers"])
    if name in paper.parameter_counts:
        count, source = paper.parameter_counts[name]
        assert summary["trainable_params"] == count, f"{paper.id}/{name}: {source}"


def check_save_and_reload(model) -> None:
    """A ``.keras`` round trip: the reloaded model (built-in layers only) gives the same outputs. The file
    (up to 160 MB) goes to a folder removed at once."""
    import keras

    x = _random_inputs(model)
    expected = np.asarray(model(x, training=False))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{model.name}.keras"
        model.save(path)
        loaded = keras.models.load_model(path, compile=False)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), expected, rtol=0, atol=1e-6)


def check_one_train_step(model, loss: str, dead: tuple[str, ...] = ()) -> None:
    """One SGD step on two samples of classes 0 and 1: the loss is finite and every trainable weight moves,
    except those ``dead`` (paths) the architecture gives no gradient, which must not move."""
    import keras

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=loss, run_eagerly=True)
    x = _random_inputs(model)
    y = np.eye(model.output_shape[-1], dtype="float32")[[0, 1]]
    before = [np.array(w) for w in model.trainable_weights]
    value = np.asarray(model.train_on_batch(x, y)).ravel()[0]
    assert np.isfinite(value)
    unchanged = [w.path for w, b in zip(model.trainable_weights, before) if np.array_equal(np.asarray(w), b)]
    assert unchanged == list(dead)


def run_model_test(paper_id: str, name: str, *, small=None, loss: str = "categorical_crossentropy",
                   dead: tuple[str, ...] = ()) -> None:
    """Model ``name`` of ``paper_id``: its count at the paper's sizes, then a save and reload and one training
    step, of that model or of ``small()`` (the same layers at a smaller input). ``loss``: the training step's
    (the SVMs' decision models have linear outputs: "hinge"); ``dead``: the weights that get no gradient by the
    architecture's design (each line says why). The initial weights are seeded: with others, a weight may get no
    gradient by chance (an SVM whose two samples already meet their margins) or a rounding-sized one."""
    import keras

    keras.utils.set_random_seed(0)
    paper = get_paper(paper_id).PAPER
    model = build_paper_model(paper, name)
    check_parameter_count(paper, name, model)
    if small is not None:
        layers = [type(layer).__name__ for layer in model.layers]
        model = small()
        assert [type(layer).__name__ for layer in model.layers] == layers
    check_save_and_reload(model)
    check_one_train_step(model, loss, dead)


def _lstm_stage_small():
    """Aouayeb et al.'s LSTM stage over 8 time steps instead of the paper's 500 (data.seq_len)."""
    from papers.aouayeb2019.config import default_config
    from papers.aouayeb2019.model import build_model

    config = default_config()
    return build_model(config=dataclasses.replace(config, data=dataclasses.replace(config.data, seq_len=8)),
                       num_classes=3)


# Reddy et al.'s networks on 16 x 16 pixels x 20 frames (the paper's: 64 x 64 or 32 x 32, x 96 frames).
def _stcnn_small():
    from papers.reddy2019.model import build_microexpstcnn

    return build_microexpstcnn(input_shape=(16, 16, 20, 1))


def _fusenet_i_small():
    from papers.reddy2019.model import build_microexpfusenet_intermediate

    return build_microexpfusenet_intermediate(input_shape=(16, 16, 20, 1))


def _fusenet_l_small():
    from papers.reddy2019.model import build_microexpfusenet_late

    return build_microexpfusenet_late(input_shape=(16, 16, 20, 1))


def _vgg19_small():
    """Le et al.'s VGG19 at 32 x 32 pixels (the paper's: 224 x 224; 39 M parameters instead of 139 M)."""
    from papers.le2020.config import ModelConfig
    from papers.le2020.model import build_roi_cnn

    return build_roi_cnn(config=ModelConfig(backbone="vgg19", input_size=32), num_classes=4)


def _htnet_small():
    """Wang et al.'s HTNet at width 32 (the paper's: 256; 2.2 M parameters instead of 139.6 M), every layer kept."""
    from papers.wang2024.model import build_htnet

    return build_htnet(dim=32)


# One line per model of every paper, in the registry's order.
def test_aouayeb2019_region_cnn_0(): run_model_test("aouayeb2019", "region_cnn_0")
def test_aouayeb2019_region_cnn_1(): run_model_test("aouayeb2019", "region_cnn_1")
def test_aouayeb2019_region_cnn_2(): run_model_test("aouayeb2019", "region_cnn_2")
def test_aouayeb2019_region_cnn_3(): run_model_test("aouayeb2019", "region_cnn_3")
def test_aouayeb2019_region_cnn_4(): run_model_test("aouayeb2019", "region_cnn_4")
def test_aouayeb2019_region_cnn_5(): run_model_test("aouayeb2019", "region_cnn_5")
def test_aouayeb2019_lstm_stage(): run_model_test("aouayeb2019", "lstm_stage", small=_lstm_stage_small)
def test_talluri2022_model_a(): run_model_test("talluri2022", "model_a")
def test_talluri2022_split_model(): run_model_test("talluri2022", "split_model")
def test_talluri2022_model_b(): run_model_test("talluri2022", "model_b")
def test_talluri2022_model_c(): run_model_test("talluri2022", "model_c")
def test_reddy2019_microexpstcnn(): run_model_test("reddy2019", "microexpstcnn", small=_stcnn_small)
def test_reddy2019_intermediate(): run_model_test("reddy2019", "microexpfusenet_intermediate", small=_fusenet_i_small)
def test_reddy2019_late(): run_model_test("reddy2019", "microexpfusenet_late", small=_fusenet_l_small)
def test_le2020_vgg19_roi(): run_model_test("le2020", "vgg19_roi", small=_vgg19_small)
def test_le2020_resnet50_roi(): run_model_test("le2020", "resnet50_roi")
def test_le2020_senet50_roi(): run_model_test("le2020", "senet50_roi")
def test_kumar2019_resnet34_eai(): run_model_test("kumar2019", "resnet34_eai")
def test_see2019_lbp_top_svm(): run_model_test("see2019", "lbp_top_svm", loss="hinge")
def test_liong2018_biwoof_svm(): run_model_test("liong2018", "biwoof_svm", loss="hinge")
def test_gan2019_off_apexnet(): run_model_test("gan2019", "off_apexnet")
def test_liong2019_ststnet(): run_model_test("liong2019", "ststnet")
# HTNet's last level adds its position scalar to every channel of a token and only LayerNorms read it (the
# blocks' pre-norms, the head's norm), which remove it: no gradient reaches it, in the official network too.
def test_wang2024_htnet(): run_model_test("wang2024", "htnet", small=_htnet_small,
                                          dead=("level2_position/embedding",))


def _lines() -> list[tuple[str, str]]:
    """(paper, model) of every ``run_model_test`` call in this file."""
    tree = ast.parse(Path(__file__).read_text())
    return [(call.args[0].value, call.args[1].value) for call in ast.walk(tree)
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "run_model_test"]


def test_every_model_of_every_paper_has_its_line():
    assert sorted(_lines()) == sorted((p, name) for p in PAPER_IDS for name in get_paper(p).PAPER.models)


def test_every_paper_states_the_count_of_some_of_its_own_models():
    for paper_id in PAPER_IDS:
        paper = get_paper(paper_id).PAPER
        assert paper.parameter_counts, f"{paper_id}: PAPER.parameter_counts is empty"
        assert set(paper.parameter_counts) <= set(paper.models), paper_id


def test_an_unknown_model_name_is_one_line_naming_the_papers_models():
    with pytest.raises(ValueError, match=r"^gan2019: no model 'nope'; models: off_apexnet$"):
        build_paper_model(get_paper("gan2019").PAPER, "nope")


def test_the_training_step_check_sees_a_weight_that_does_not_move():
    import keras

    inputs = keras.Input((3,))
    dead = keras.layers.Dense(2, kernel_initializer="zeros", activation="relu", name="dead")(inputs)  # no gradient
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Concatenate()([inputs, dead]))
    with pytest.raises(AssertionError):
        check_one_train_step(keras.Model(inputs, outputs), "categorical_crossentropy")
