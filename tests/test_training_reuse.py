"""common.training.compiled_like: a compiled model kept across folds trains exactly as a
freshly built and compiled one (weights, dropout seeds, Adam state, the fold's focal alpha)."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from common import training
from common.train_config import TrainConfig
from common.training import compiled_like, fit, forget_compiled, set_seed


def _fresh(seed: int) -> keras.Model:
    set_seed(seed)
    inputs = keras.Input((5,))
    x = keras.layers.Dense(16, activation="relu")(inputs)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


def _fold(model: keras.Model, x, y, cfg) -> tuple[list[float], np.ndarray]:
    history = fit(model, x, y, cfg)
    return history["loss"], model.predict(x, verbose=0)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="models are kept on the TensorFlow backend only")
def test_kept_model_trains_as_a_fresh_one():
    rng = np.random.default_rng(0)
    cfg = TrainConfig(optimizer="adam", learning_rate=1e-2, batch_size=8, epochs=3)
    data = [(rng.normal(size=(n, 5)).astype("float32"), keras.utils.to_categorical(rng.integers(0, 3, n), 3))
            for n in (30, 27)]
    alphas = ([0.2, 0.3, 0.5], [0.6, 0.1, 0.3])
    forget_compiled()
    kept = []
    for (x, y), alpha in zip(data, alphas):
        model = compiled_like("toy", _fresh(1), cfg, keras.losses.CategoricalFocalCrossentropy(alpha=alpha))
        set_seed(2)  # the fit's shuffle
        kept.append((model, *_fold(model, x, y, cfg)))
    assert kept[0][0] is kept[1][0] and len(training._COMPILED) == 1  # one model, compiled and traced once
    for (x, y), alpha, (_, loss, probabilities) in zip(data, alphas, kept):
        model = training.compile_model(_fresh(1), cfg, loss=keras.losses.CategoricalFocalCrossentropy(alpha=alpha))
        set_seed(2)
        fresh_loss, fresh_probabilities = _fold(model, x, y, cfg)
        np.testing.assert_allclose(loss, fresh_loss, rtol=1e-6)
        np.testing.assert_allclose(probabilities, fresh_probabilities, rtol=0, atol=1e-6)
    # Another loss form (different gamma) is not rebound: a new model is compiled instead.
    other = compiled_like("toy", _fresh(1), cfg, keras.losses.CategoricalFocalCrossentropy(alpha=alphas[0], gamma=1.0))
    assert other is not kept[0][0]
    forget_compiled()


def test_no_reuse_compiles_the_fresh_model():
    """reuse=False keeps nothing (other tests of the same process may have kept models before this one)."""
    kept_before = list(training._COMPILED)
    model = _fresh(0)
    assert compiled_like("toy", model, TrainConfig(), "categorical_crossentropy", reuse=False) is model
    assert list(training._COMPILED) == kept_before


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="models are kept on the TensorFlow backend only")
def test_kept_model_with_weight_decay_flips_and_a_step_schedule_trains_as_a_fresh_one():
    """Kumar's recipe (SGD with momentum, L2 weight decay on every kernel, a step schedule, RandomFlip and BN):
    the kept model's kernels keep their regularizers and every fold equals a fresh build."""
    def fresh() -> keras.Model:
        set_seed(1)
        inputs = keras.Input((8, 8, 3))
        x = keras.layers.RandomFlip("horizontal")(inputs)
        x = keras.layers.BatchNormalization()(keras.layers.Conv2D(4, 3)(x))
        x = keras.layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))

    def fold(model, x, y, cfg):
        set_seed(2)
        return _fold(model, x, y, cfg)

    rng = np.random.default_rng(0)
    cfg = TrainConfig(optimizer="sgd", learning_rate=1e-2, momentum=0.9, weight_decay=5e-2, batch_size=8, epochs=3,
                      lr_step_epochs=1)
    data = [(rng.normal(size=(n, 8, 8, 3)).astype("float32"), keras.utils.to_categorical(rng.integers(0, 3, n), 3))
            for n in (30, 27)]
    forget_compiled()
    kept = []
    for x, y in data:
        model = compiled_like("wd", fresh(), cfg, keras.losses.CategoricalCrossentropy())
        kept.append((model, *fold(model, x, y, cfg)))
    assert kept[0][0] is kept[1][0]  # kept, not recompiled, despite the weight decay
    for (x, y), (_, loss, probabilities) in zip(data, kept):
        fresh_loss, fresh_probabilities = fold(training.compile_model(fresh(), cfg,
                                                                      loss=keras.losses.CategoricalCrossentropy()),
                                               x, y, cfg)
        np.testing.assert_allclose(loss, fresh_loss, rtol=1e-6)
        np.testing.assert_allclose(probabilities, fresh_probabilities, rtol=0, atol=1e-6)
    forget_compiled()


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="models are kept on the TensorFlow backend only")
def test_kept_model_with_one_loss_per_output_trains_as_a_fresh_one():
    """Aouayeb's region CNNs as one graph: a list of built-in losses, one per output, each with its
    own alpha held in a variable; the kept model trains every fold as a fresh one with that fold's alphas."""
    def fresh() -> keras.Model:
        set_seed(3)
        a, b = keras.Input((5,)), keras.Input((4,))
        return keras.Model([a, b], [keras.layers.Dense(3, activation="softmax")(
                                        keras.layers.Dense(8, activation="relu")(a)),
                                    keras.layers.Dense(3, activation="softmax")(b)])

    def losses(alphas):
        return [keras.losses.CategoricalFocalCrossentropy(alpha=alpha) for alpha in alphas]

    def fold(model, x, y, cfg):
        set_seed(2)
        history = fit(model, x, y, cfg)
        return history["loss"], model.predict(x, verbose=0)

    rng = np.random.default_rng(0)
    cfg = TrainConfig(optimizer="adam", learning_rate=1e-2, batch_size=8, epochs=2)
    metrics = [["accuracy"]] * 2  # one list per output
    data = [([rng.normal(size=(n, 5)).astype("float32"), rng.normal(size=(n, 4)).astype("float32")],
             [keras.utils.to_categorical(rng.integers(0, 3, n), 3) for _ in range(2)]) for n in (20, 17)]
    alphas = (([0.2, 0.3, 0.5], [0.1, 0.1, 0.8]), ([0.6, 0.1, 0.3], [0.3, 0.3, 0.4]))
    forget_compiled()
    kept = []
    for (x, y), alpha in zip(data, alphas):
        model = compiled_like("two outputs", fresh(), cfg, losses(alpha), metrics=metrics)
        kept.append((model, *fold(model, x, y, cfg)))
    assert kept[0][0] is kept[1][0] and len(training._COMPILED) == 1
    for (x, y), alpha, (_, loss, probabilities) in zip(data, alphas, kept):
        fresh_loss, fresh_probabilities = fold(training.compile_model(fresh(), cfg, loss=losses(alpha),
                                                                      metrics=metrics),
                                               x, y, cfg)
        np.testing.assert_allclose(loss, fresh_loss, rtol=1e-6)
        for a, b in zip(probabilities, fresh_probabilities):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    # One loss of another form (gamma): not rebound, a new model is compiled.
    other = losses(alphas[0])
    other[1] = keras.losses.CategoricalFocalCrossentropy(alpha=alphas[0][1], gamma=1.0)
    assert compiled_like("two outputs", fresh(), cfg, other, metrics=metrics) is not kept[0][0]
    forget_compiled()
