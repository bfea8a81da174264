"""common.batch_norm: Keras' batch normalisation computed by TensorFlow's fused kernel is the same function."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from common import batch_norm
from common.batch_norm import FusedBatchNormalization

TENSORFLOW = keras.backend.backend() == "tensorflow"


def _pair(dtype: str = "float32", **kwargs):
    """Keras' layer and the fused one, built on (N, 6, 5, 4) maps with the same non-trivial weights."""
    keras_bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, dtype=dtype, **kwargs)
    fused_bn = FusedBatchNormalization(momentum=0.9, epsilon=1e-5, dtype=dtype, **kwargs)
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 2.0, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.5, 2.0, 4)]
    for layer in (keras_bn, fused_bn):
        layer.build((None, 6, 5, 4))
        layer.set_weights([w.astype(dtype) for w in weights])
    return keras_bn, fused_bn


def _inputs(dtype: str = "float32"):
    rng = np.random.default_rng(1)
    # a large mean and spread, as STSTNet's port sees (the raw 0..255 flow image after a ReLU'd convolution)
    return (rng.normal(size=(16, 6, 5, 4)) * 40 + 90).astype(dtype)


@pytest.mark.skipif(not TENSORFLOW, reason="the fused kernel is TensorFlow's; elsewhere the layer is Keras' own call")
def test_a_training_step_gives_keras_outputs_gradients_and_moving_statistics():
    import tensorflow as tf

    keras_bn, fused_bn = _pair()
    x = tf.constant(_inputs())
    # fused in a training step on a CPU (this suite's machines; a GPU keeps Keras' call, as tested below)
    assert fused_bn._fused(x, True, None) != batch_norm._tensorflow_sees_a_gpu()
    assert not fused_bn._fused(x, False, None)
    upstream = tf.constant(np.random.default_rng(2).normal(size=x.shape).astype("float32"))
    results = []
    for layer in (keras_bn, fused_bn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * upstream)
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append((y.numpy(), [g.numpy() for g in grads], [w.numpy() for w in layer.non_trainable_weights]))
    (y_k, g_k, s_k), (y_f, g_f, s_f) = results
    np.testing.assert_allclose(y_f, y_k, rtol=1e-4, atol=1e-5)
    for got, want in zip(g_f, g_k):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    for got, want in zip(s_f, s_k):  # the moving mean and the moving (biased) variance
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_inference_and_float64_are_keras_own_call_to_the_bit():
    keras_bn, fused_bn = _pair()
    x = _inputs()
    np.testing.assert_array_equal(np.asarray(fused_bn(x, training=False)), np.asarray(keras_bn(x, training=False)))
    keras_bn, fused_bn = _pair("float64")
    x = _inputs("float64")
    assert not fused_bn._fused(keras.ops.convert_to_tensor(x), True, None)
    np.testing.assert_array_equal(np.asarray(fused_bn(x, training=True)), np.asarray(keras_bn(x, training=True)))
    np.testing.assert_array_equal(fused_bn.moving_variance.numpy(), keras_bn.moving_variance.numpy())


@pytest.mark.skipif(not TENSORFLOW, reason="the fused kernel is TensorFlow's; elsewhere the layer is Keras' own call")
def test_a_gpu_keeps_keras_own_call(monkeypatch):
    # cuDNN's kernel wants an epsilon above the papers' 1e-5, and the fusion was measured on CPUs only
    monkeypatch.setattr(batch_norm, "_tensorflow_sees_a_gpu", lambda: True)
    keras_bn, fused_bn = _pair()
    x = _inputs()
    assert not fused_bn._fused(keras.ops.convert_to_tensor(x), True, None)
    np.testing.assert_array_equal(np.asarray(fused_bn(x, training=True)), np.asarray(keras_bn(x, training=True)))
    np.testing.assert_array_equal(fused_bn.moving_variance.numpy(), keras_bn.moving_variance.numpy())


def test_a_saved_model_reloads_with_the_layer_and_its_statistics(tmp_path):
    inputs = keras.Input((6, 5, 4))
    model = keras.Model(inputs, FusedBatchNormalization(momentum=0.9, name="bn")(inputs))
    model.layers[-1].set_weights([np.full(4, 2.0, "float32"), np.ones(4, "float32"), np.arange(4, dtype="float32"),
                                  np.full(4, 3.0, "float32")])
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.get_layer("bn"), FusedBatchNormalization)
    x = _inputs()
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)), np.asarray(model(x, training=False)))
