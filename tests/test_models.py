"""Every model of every paper, from the registry, through one shared check (:func:`run_model_test`, after
keras-hub's ``run_model_saving_test``): the trainable parameter count, the paper's layer table, weights drawn
independently, a ``.keras`` save and reload that gives the same outputs, and one training step whose loss is
finite and which changes every trainable weight.

Sizes: every model is built at the paper's sizes by ``common.harness.build_paper_model`` and its count
checked there (against ``PAPER.parameter_counts`` where the paper states one). The save, reload and training
step run on that model, except where the paper declares a ``small`` builder (``PAPER.model_checks``): the
same layers at a smaller input, for the models too slow to save or train on one CPU core at the paper's size
(the LSTM stage's 500 steps, the 3D CNNs' 96 frames, VGG19's 139 M parameters, HTNet's 140 M).
"""
from __future__ import annotations

import tempfile
from typing import Any
from pathlib import Path

import numpy as np
import pytest

from common.harness import build_paper_model
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


def check_independent_draws(model) -> None:
    """No two weights start from the same random numbers: every framework the papers used draws each layer
    anew, and a Keras 3 initialiser instance shared by layers draws the same numbers for each (seeded once),
    scaled by each layer's fan. Compared by their first 8 values over the first (so a scale does not hide it);
    constant weights (zeros, ones) are left out."""
    import keras

    seen: dict[bytes, str] = {}
    for weight in model.weights:
        head = np.asarray(keras.ops.reshape(weight.value, (-1,))[:8], dtype=np.float64)
        if head.size < 8 or np.all(head == head[0]) or head[0] == 0:
            continue
        key = np.round(head / head[0], 4).tobytes()
        assert key not in seen, f"{model.name}: {weight.path} starts from the same draws as {seen[key]}"
        seen[key] = weight.path


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


def check_architecture_table(paper: Any, name: str, model: Any) -> None:
    """Every row of the paper's layer table (``PAPER.architecture_tables``) names a layer of the built model of
    that output shape and count (where the row gives one); a row whose note starts "TYPO: printed" records a
    misprint of the paper's, and must differ."""
    from common.orchestration.architectures import compare_with_paper, model_summary

    rows = paper.architecture_tables.get(name, ())
    for row, compared in zip(rows, compare_with_paper(model_summary(model), rows)):
        assert compared["ours_shape"] is not None, f"{paper.id} {name}: no layer {row['name']!r} of its table"
        assert compared["match"] is not str(row.get("note", "")).startswith("TYPO: printed"), (paper.id, name, compared)


def run_model_test(paper_id: str, name: str) -> None:
    """Model ``name`` of ``paper_id``: its count at the paper's sizes, then a save and reload and one training
    step, of that model or of its ``small`` builder (``PAPER.model_checks``: the same layers at a smaller
    input); ``dead``: the weights that get no gradient by the architecture's design (the paper says why). The
    loss: cross-entropy, or "hinge" for a model with linear outputs (the SVMs' decision models). The initial
    weights are seeded: with others, a weight may get no gradient by chance (an SVM whose two samples already
    meet their margins) or a rounding-sized one."""
    import keras

    keras.utils.set_random_seed(0)
    paper = get_paper(paper_id).PAPER
    checks = paper.model_checks.get(name, {})
    model = build_paper_model(paper, name)
    check_parameter_count(paper, name, model)
    check_architecture_table(paper, name, model)
    check_independent_draws(model)
    linear = getattr(model.layers[-1], "activation", None) is keras.activations.linear
    if "small" in checks:
        layers = [type(layer).__name__ for layer in model.layers]
        model = checks["small"]()
        assert [type(layer).__name__ for layer in model.layers] == layers
    check_save_and_reload(model)
    check_one_train_step(model, "hinge" if linear else "categorical_crossentropy", tuple(checks.get("dead", ())))


# One test a model of every paper, in the registry's order: each paper declares its models (PAPER.models) and
# what their check needs (PAPER.model_checks); nothing here names a paper.
MODELS = [(paper_id, name) for paper_id in PAPER_IDS for name in get_paper(paper_id).PAPER.models]


@pytest.mark.parametrize(("paper_id", "name"), MODELS, ids=[f"{p}-{n}" for p, n in MODELS])
def test_every_model_of_every_paper(paper_id, name):
    run_model_test(paper_id, name)


@pytest.mark.parametrize("paper_id", PAPER_IDS)
def test_every_paper_states_the_count_of_some_of_its_own_models_and_their_checks(paper_id):
    paper = get_paper(paper_id).PAPER
    assert paper.parameter_counts, f"{paper_id}: PAPER.parameter_counts is empty"
    assert set(paper.parameter_counts) <= set(paper.models) and set(paper.model_checks) <= set(paper.models)
    assert all(set(checks) <= {"small", "dead"} for checks in paper.model_checks.values()), paper_id


def test_an_unknown_model_name_is_one_line_naming_the_papers_models():
    with pytest.raises(ValueError, match=r"^gan2019: no model 'nope'; models: off_apexnet$"):
        build_paper_model(get_paper("gan2019").PAPER, "nope")


def test_the_draws_check_sees_one_initialiser_shared_by_two_layers():
    import keras

    shared = keras.initializers.GlorotUniform()  # its limit depends on the fan: (4, 16) and (16, 16) differ
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(16, kernel_initializer=shared)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(16, kernel_initializer=shared)(hidden))
    with pytest.raises(AssertionError, match="starts from the same draws as"):
        check_independent_draws(model)
    check_independent_draws(keras.Model(inputs, keras.layers.Dense(16)(keras.layers.Dense(16)(inputs))))


def test_the_training_step_check_sees_a_weight_that_does_not_move():
    import keras

    inputs = keras.Input((3,))
    dead = keras.layers.Dense(2, kernel_initializer="zeros", activation="relu", name="dead")(inputs)  # no gradient
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Concatenate()([inputs, dead]))
    with pytest.raises(AssertionError):
        check_one_train_step(keras.Model(inputs, outputs), "categorical_crossentropy")
