"""Batch normalisation computed by TensorFlow's fused kernel where it can: the same function as Keras'.

Keras 3's ``BatchNormalization`` computes a training step's statistics and normalisation as separate ops
(``ops.moments``, then ``ops.batch_normalization``), several passes over the feature map forward and more
backward. tf.keras (Keras 2) used TensorFlow's fused kernel (``FusedBatchNormV3`` and its gradient): one
pass each way. On a CPU that difference was most of a small network's step: STSTNet's port step at batch
256, 84 to 98 ms with Keras' layer, 48 to 56 ms with the fused kernel, 36 to 40 ms with no batch
normalisation at all (docs/performance.md, "The fused batch normalisation"). Keras 3 offers no switch for
it, so this layer is written here.

:class:`FusedBatchNormalization` is Keras' layer (same weights, same config, same moving-average update)
whose training call runs the fused kernel when that computes exactly what Keras computes: the TensorFlow
backend, float32 inputs of rank 4 normalised over the last axis, scale and centre on, no mask, no renorm,
not synchronised, no GPU (where it was measured: the CPU). Anywhere else (inference, float64, mixed
precision, a GPU, JAX, PyTorch) it is Keras' own call.
Keras' moving variance takes the biased batch variance; the kernel returns the unbiased one, so it is
scaled back by (n - 1) / n. The outputs, gradients and moving statistics equal Keras' within float32
round-off (tests/test_batch_norm.py); a run at a given seed therefore differs from one with Keras' layer by
round-off, as runs on two CPUs do.
"""
from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="mersuite")
class FusedBatchNormalization(layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` whose training call uses TensorFlow's fused kernel where it can."""

    def _fused(self, inputs, training, mask) -> bool:
        return (keras.backend.backend() == "tensorflow" and bool(training) and self.trainable and mask is None
                and self.scale and self.center and not self.renorm and not self.synchronized
                and len(inputs.shape) == 4 and self.axis in (3, -1)
                and keras.backend.standardize_dtype(inputs.dtype) == "float32"
                and self.compute_dtype == "float32" and not _tensorflow_sees_a_gpu())

    def call(self, inputs, training=None, mask=None):
        if not self._fused(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # only on the TensorFlow backend (the JAX and PyTorch installs have none)

        outputs, mean, unbiased, _, _, _ = tf.raw_ops.FusedBatchNormV3(
            x=inputs, scale=tf.convert_to_tensor(self.gamma), offset=tf.convert_to_tensor(self.beta),
            mean=tf.constant([], tf.float32), variance=tf.constant([], tf.float32), epsilon=self.epsilon,
            exponential_avg_factor=1.0, data_format="NHWC", is_training=True)
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:-1]), tf.float32)
        # Keras' moving average takes the biased variance (0 for a single value, where the kernel's is not finite)
        variance = tf.where(count > 1.0, unbiased * ((count - 1.0) / count), tf.zeros_like(unbiased))
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return outputs


def _tensorflow_sees_a_gpu() -> bool:
    """Whether TensorFlow places work on a GPU. There cuDNN's kernel refuses an epsilon under its minimum
    (``tf.nn.fused_batch_norm`` raises any epsilon to at least 1.001e-5 for it, which would change the papers'
    1e-5), and the fusion was measured on CPUs only, so a GPU keeps Keras' call."""
    import tensorflow as tf  # only on the TensorFlow backend

    return bool(tf.config.list_logical_devices("GPU"))
