"""TrainConfig.device_data: the fold's arrays on the device, every batch cut there, trains as model.fit does.

Backend-agnostic: the default suite runs it on TensorFlow, ``make test-jax`` (and ``make test-torch``)
on that backend. On a CPU-only machine the "device" is the CPU; the loop, the jitted step, the batch
order and the callbacks are those a card runs.
"""
from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from common.train_config import TrainConfig
from common.training import compile_model, fit, set_seed


def _model() -> keras.Model:
    """Convolution, batch normalisation (non-trainable statistics) and dropout (a seeded random stream)."""
    inputs = keras.Input((6, 6, 2))
    h = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Dropout(0.3)(keras.layers.Flatten()(h))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(37, 6, 6, 2)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 3, 37), 3).astype("float32")
    return x, y


class _Steps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


def _trained(cfg: TrainConfig, tmp_path, label: str):
    set_seed(0)
    model = compile_model(_model(), cfg)
    counter = _Steps()
    history = fit(model, *_data(), cfg, work_dir=tmp_path, label=label, callbacks=[counter])
    return model, history, counter.steps


# SGD with momentum, weight decay and a step schedule: the optimiser state, the regularizers and the
# LearningRateScheduler callback all take part; batch 8 of 37 samples leaves a partial last batch.
RECIPE = TrainConfig(optimizer="sgd", learning_rate=0.05, momentum=0.9, weight_decay=1e-3, batch_size=8, epochs=4,
                     lr_step_epochs=2, lr_step_factor=0.5, shuffle=True)


def test_device_data_gives_model_fits_weights_history_and_steps(tmp_path):
    fitted, history, steps = _trained(RECIPE, tmp_path, "fit")
    placed, on_device, device_steps = _trained(dataclasses.replace(RECIPE, device_data=True), tmp_path, "device")
    assert steps == device_steps == 4 * 5
    assert int(keras.ops.convert_to_numpy(placed.optimizer.iterations)) == 4 * 5
    for a, b in zip(fitted.get_weights(), placed.get_weights()):  # trainable and BN statistics
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(on_device) == set(history) and "learning_rate" in history
    for key in history:
        np.testing.assert_allclose(on_device[key], history[key], rtol=1e-5, atol=1e-6)
    assert (tmp_path / "device_history.csv").read_text().splitlines()[0] == \
        (tmp_path / "fit_history.csv").read_text().splitlines()[0]
    # A second fit of the same (now built) models: fit draws no build batch then, nor does the device loop.
    again = dataclasses.replace(RECIPE, epochs=2, lr_step_epochs=0)
    set_seed(1)
    fit(fitted, *_data(), again)
    set_seed(1)
    fit(placed, *_data(), dataclasses.replace(again, device_data=True))
    for a, b in zip(fitted.get_weights(), placed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_device_data_keeps_the_shuffle_a_different_order_would_change_the_weights(tmp_path):
    # The equality above is not vacuous: without shuffling the same recipe ends elsewhere.
    fitted, _, _ = _trained(RECIPE, tmp_path, "fit")
    unshuffled, _, _ = _trained(dataclasses.replace(RECIPE, shuffle=False, device_data=True), tmp_path, "plain")
    assert not np.allclose(fitted.get_weights()[0], unshuffled.get_weights()[0])


def test_device_data_takes_several_inputs_and_outputs_as_model_fit_does(tmp_path):
    def together():
        a, b = keras.Input((4,)), keras.Input((5,))
        return keras.Model([a, b], [keras.layers.Dense(2, activation="softmax", name="p")(a),
                                    keras.layers.Dense(3, activation="softmax", name="q")(b)])

    rng = np.random.default_rng(1)
    x = [rng.normal(size=(21, 4)), rng.normal(size=(21, 5))]  # float64: cast to floatx as fit's adapter does
    y = [keras.utils.to_categorical(rng.integers(0, 2, 21), 2), keras.utils.to_categorical(rng.integers(0, 3, 21), 3)]
    cfg = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=4, epochs=3)
    results = []
    for device_data in (False, True):
        set_seed(3)
        model = compile_model(together(), dataclasses.replace(cfg, device_data=device_data),
                              loss=["categorical_crossentropy"] * 2, metrics=())
        results.append((model, fit(model, x, y, dataclasses.replace(cfg, device_data=device_data))))
    (fitted, history), (placed, on_device) = results
    for a, b in zip(fitted.get_weights(), placed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(history) == set(on_device)
    for key in history:
        np.testing.assert_allclose(on_device[key], history[key], rtol=1e-5, atol=1e-6)


def test_device_data_refuses_what_its_loop_does_not_run():
    set_seed(0)
    cfg = dataclasses.replace(RECIPE, device_data=True)
    model = compile_model(_model(), cfg)
    x, y = _data()
    with pytest.raises(ValueError, match="validation data"):
        fit(model, x, y, cfg, validation_data=(x, y))
    with pytest.raises(ValueError, match="class weights"):
        fit(model, x, y, cfg, class_weight={0: 1.0, 1: 2.0, 2: 1.0})
    with pytest.raises(ValueError, match="one_pass"):
        fit(model, x, y, dataclasses.replace(cfg, one_pass=True))
    # MATLAB's every-epoch order (a new permutation every epoch, its partial batch left out); its fixed cut, the
    # shuffle once, the device loop runs
    with pytest.raises(ValueError, match="leaves each epoch's partial batch out"):
        fit(model, x, y, dataclasses.replace(cfg, drop_partial_batch=True))
    fit(model, x, y, dataclasses.replace(cfg, drop_partial_batch=True, shuffle_once=True, epochs=1))


class _LastBatch(keras.layers.Layer):
    """Keeps the sample numbers of the last batch it trained on (its input is the sample's number)."""

    def build(self, input_shape):
        self.seen = self.add_weight(shape=(4,), initializer="zeros", trainable=False)

    def call(self, x, training=False):
        if training:
            self.seen.assign(keras.ops.cast(x[:4, 0], "float32"))
        return x


@pytest.mark.parametrize("device_data", [False, True])
def test_a_shuffled_recipe_trains_every_epoch_in_a_new_order(device_data):
    """``TrainConfig.shuffle``: a new order each epoch on every backend, seeded. TensorFlow's own ``model.fit``,
    seeded, repeats one order every epoch; ``fit`` draws a new one there as on JAX and PyTorch."""
    layer = _LastBatch()
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    cfg = TrainConfig(batch_size=8, epochs=6, learning_rate=1e-6, device_data=device_data)
    orders = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            orders.append(tuple(int(v) for v in keras.ops.convert_to_numpy(layer.seen)))

    def run() -> list:
        orders.clear()
        set_seed(5)
        compile_model(model, cfg, loss="mse", metrics=())
        fit(model, np.arange(32, dtype="float32")[:, None], np.zeros((32, 1), "float32"), cfg, callbacks=[Record()])
        return list(orders)

    first = run()
    assert len(set(first)) == 6  # the last batch of each epoch: six different orders
    assert run() == first  # and the same six again under the same seed
