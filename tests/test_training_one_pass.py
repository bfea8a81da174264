"""TrainConfig.one_pass: every epoch in one Keras pass trains as model.fit does, epoch by epoch."""
from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from common.train_config import TrainConfig
from common.training import compile_model, fit, set_seed


def _model() -> keras.Model:
    a, b = keras.Input((5, 3)), keras.Input((5, 3))
    h = keras.layers.Concatenate()([keras.layers.LSTM(4)(a), keras.layers.LSTM(4)(b)])
    return keras.Model([a, b], keras.layers.Dense(3, activation="softmax")(h))


def _data():
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(23, 5, 3)).astype("float32") for _ in range(2)]
    y = keras.utils.to_categorical(rng.integers(0, 3, 23), 3).astype("float32")
    return x, y


def _trained(cfg: TrainConfig, tmp_path, label: str):
    set_seed(0)
    model = _model()
    compile_model(model, cfg, loss="categorical_crossentropy")
    history = fit(model, *_data(), cfg, work_dir=tmp_path, label=label)
    return model, history


def test_one_pass_gives_the_weights_and_history_of_epoch_by_epoch_fit(tmp_path):
    # Without shuffling both loops see the same batches (10, 10, 3 per epoch), so Adam makes the same updates.
    cfg = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=10, epochs=4, shuffle=False)
    fitted, history = _trained(cfg, tmp_path, "plain")
    passed, one_pass = _trained(dataclasses.replace(cfg, one_pass=True), tmp_path, "one_pass")
    assert int(passed.optimizer.iterations.numpy()) == 4 * 3
    for a, b in zip(fitted.get_weights(), passed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(one_pass) == set(history) == {"loss", "accuracy"}
    for key in history:  # per-epoch means rebuilt from the pass's running means
        np.testing.assert_allclose(one_pass[key], history[key], rtol=1e-4, atol=1e-6)
    lines = (tmp_path / "one_pass_history.csv").read_text().splitlines()
    assert lines[0] == "epoch,accuracy,loss" and len(lines) == 1 + 4


def test_one_pass_shuffles_each_epoch_from_the_seed_and_refuses_what_it_cannot_do(tmp_path):
    cfg = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=10, epochs=3, one_pass=True)
    first, h1 = _trained(cfg, tmp_path, "a")
    second, h2 = _trained(cfg, tmp_path, "b")
    assert h1 == h2 and len(h1["loss"]) == 3  # same seed, same batches
    unshuffled, _ = _trained(dataclasses.replace(cfg, shuffle=False), tmp_path, "c")
    assert not np.allclose(first.get_weights()[-1], unshuffled.get_weights()[-1])
    with pytest.raises(ValueError, match="one_pass"):
        fit(first, *_data(), dataclasses.replace(cfg, lr_step_epochs=1))


def test_one_pass_takes_lists_of_targets_as_model_fit_does(tmp_path):
    """A model with two outputs (two losses, one target array each) trains in one pass as
    ``model.fit`` does; its per-output histories are rebuilt too."""
    def trained(cfg: TrainConfig, label: str):
        set_seed(0)
        a, b = keras.Input((4,)), keras.Input((6,))
        model = keras.Model([a, b], [keras.layers.Dense(3, activation="softmax", name="first")(a),
                                     keras.layers.Dense(2, activation="softmax", name="second")(b)])
        compile_model(model, cfg, loss=["categorical_crossentropy"] * 2, metrics=[["accuracy"]] * 2)
        rng = np.random.default_rng(1)
        x = [rng.normal(size=(23, 4)).astype("float32"), rng.normal(size=(23, 6)).astype("float32")]
        y = [keras.utils.to_categorical(rng.integers(0, k, 23), k).astype("float32") for k in (3, 2)]
        return model, fit(model, x, y, cfg, work_dir=tmp_path, label=label)

    cfg = TrainConfig(optimizer="adam", learning_rate=0.05, batch_size=10, epochs=3, shuffle=False)
    fitted, history = trained(cfg, "plain")
    passed, one_pass = trained(dataclasses.replace(cfg, one_pass=True), "one_pass")
    for a, b in zip(fitted.get_weights(), passed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert {"first_accuracy", "second_accuracy"} <= set(one_pass) and set(one_pass) == set(history)
    for key in ("loss", "first_accuracy", "second_accuracy"):
        np.testing.assert_allclose(one_pass[key], history[key], rtol=1e-4, atol=1e-6, err_msg=key)


def test_matlab_epoch_order_is_one_seeded_permutation_cut_to_whole_batches(tmp_path):
    """TrainConfig.shuffle_once / drop_partial_batch (MATLAB's 'Shuffle' 'once' and its discarded partial
    mini-batch): every epoch reads the same 20 of the 23 samples in the same order, so training equals an
    unshuffled fit on those 20 rows, and a step count of 2 per epoch shows the tail was dropped."""
    from common.training import matlab_epoch_order

    cfg = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=10, epochs=3, shuffle_once=True,
                      drop_partial_batch=True, adam_epsilon=1e-8)
    x, y = _data()
    set_seed(5)
    order = np.random.permutation(23)[:20]  # what the seeded generator draws first
    set_seed(5)
    taken_x, taken_y = matlab_epoch_order(x, y, cfg)
    assert all(np.array_equal(t, a[order]) for t, a in zip(taken_x, x)) and np.array_equal(taken_y, y[order])
    small = dataclasses.replace(cfg, batch_size=30)  # fewer samples than one batch: all kept, as one batch
    assert len(matlab_epoch_order(x, y, small)[1]) == 23

    matlab, _ = _trained(cfg, tmp_path, "matlab")  # _trained seeds 0 before the model and the fit
    assert int(matlab.optimizer.iterations.numpy()) == 3 * 2
    assert float(matlab.optimizer.epsilon) == 1e-8
    set_seed(0)
    model = _model()  # the same initial weights
    rows = np.random.permutation(23)[:20]  # the permutation fit drew next from the seeded generator
    plain = dataclasses.replace(cfg, shuffle=False, shuffle_once=False, drop_partial_batch=False)
    compile_model(model, plain, loss="categorical_crossentropy")
    fit(model, [a[rows] for a in x], y[rows], plain, work_dir=tmp_path, label="plain20")
    for a, b in zip(matlab.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_every_epoch_order_reshuffles_every_sample_and_leaves_each_epochs_partial_batch_out(tmp_path):
    """drop_partial_batch with shuffle and without shuffle_once (MATLAB's 'Shuffle' 'every-epoch'): no fixed cut;
    each epoch reads the first 20 of a new permutation of the 23 samples (two steps), so other samples each epoch;
    model.fit and the one-pass loop train on those batches alike; the device loop refuses it in one line."""
    from common.training import ReshuffledEpochs, drops_each_epoch, matlab_epoch_order

    cfg = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=10, epochs=3, drop_partial_batch=True)
    assert drops_each_epoch(cfg) and not drops_each_epoch(dataclasses.replace(cfg, shuffle_once=True))
    x, y = _data()
    assert matlab_epoch_order(x, y, cfg)[1] is y  # every sample stays: each epoch cuts its own permutation
    set_seed(5)
    expected = [np.random.permutation(23)[:20] for _ in range(3)]
    assert len({tuple(sorted(e)) for e in expected}) == 3  # each epoch leaves other samples out
    set_seed(5)
    data = ReshuffledEpochs(x, y, 10, drop_partial=True)
    assert len(data) == 2 and len(ReshuffledEpochs(x, y, 10)) == 3
    for rows in expected:
        data.on_epoch_begin()
        assert np.array_equal(np.concatenate([data[0][1], data[1][1]]), y[rows])

    fitted, history = _trained(cfg, tmp_path, "every_epoch")
    assert int(fitted.optimizer.iterations.numpy()) == 3 * 2
    passed, one_pass = _trained(dataclasses.replace(cfg, one_pass=True), tmp_path, "one_pass")
    assert int(passed.optimizer.iterations.numpy()) == 3 * 2
    if keras.backend.backend() == "tensorflow":
        # On JAX, model.fit reads a batch of the dataset inside an epoch of its own before training (to build),
        # which draws one more permutation; the one-pass loop draws only the epochs'. Fold-parallel training follows
        # each backend's fit (tests/test_liong2019.py).
        for a, b in zip(fitted.get_weights(), passed.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    kept, _ = _trained(dataclasses.replace(cfg, drop_partial_batch=False), tmp_path, "kept")
    assert int(kept.optimizer.iterations.numpy()) == 3 * 3
    with pytest.raises(ValueError, match="drop_partial_batch without shuffle_once"):
        fit(fitted, *_data(), dataclasses.replace(cfg, device_data=True))
