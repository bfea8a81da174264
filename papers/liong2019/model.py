"""STSTNet (Liong, Gan, See, Khor, Huang, FG 2019): the network the authors trained (``STSTNet.mat``,
the MATLAB layer graph their ``main.m`` loads and trains), Table I's layers plus what the text omits.

One 28x28x3 input (horizontal flow u, vertical flow v, optical strain) centred on the training set's
mean image (``STSTNet.mat`` imageinput: Normalization 'zerocenter'); three parallel streams, each a 3x3
convolution ('same', 3 / 5 / 8 kernels) -> ReLU -> batch normalisation (epsilon 1e-5) -> 3x3 max pooling
of stride 3 ('same', 28 -> 10) -> dropout 0.5; the three outputs concatenated (10x10x16), a 2x2 average
pooling (5x5x16 = 400), one fully connected softmax layer of 3. Trainable parameters: 1,683 (Table I's
1,651 plus 2 x 16 batch-normalisation scales and offsets); the paper prints 1,670 (Sec. IV, Table V:
0.00167 M), which neither reading gives (README ledger 1). The text reading (Table I alone: no
centring, no batch normalisation, no dropout, 1,651) is ``config.TEXT_READING``.
"""
from __future__ import annotations

import functools

import keras
import numpy as np
from keras import layers

from papers.liong2019.config import STSTNetConfig, default_config

# Table I derived: convolutions 3x3x3 x (3 + 5 + 8) + 16 biases = 448; FC 400 x 3 + 3 = 1,203.
TABLE1_TRAINABLE = 1_651
# STSTNet.mat / main.m: Table I's 1,651 + batchnorm_1 / batchnorm_2_1 / batchnorm_2_2 Scale and Offset (2 x 16).
AUTHORS_TRAINABLE = 1_683
PRINTED_TRAINABLE = 1_670  # Sec. IV "1670 of weights and biases"; Table V "0.00167" million
BATCH_NORM_EPSILON = 1e-5  # STSTNet.mat: every batchnorm layer's Epsilon (MATLAB's default; Keras' is 1e-3)


INITIALIZERS = ("matlab_r2018b", "glorot_uniform")


def build_ststnet(*, input_shape: tuple[int, int, int] = (28, 28, 3), num_classes: int = 3,
                  filters: tuple[int, ...] = (3, 5, 8), kernel_size: int = 3, pool_size: int = 3,
                  average_pool: int = 2, zero_center: bool = True, mean_image: np.ndarray | None = None,
                  batch_norm: bool = True, dropout: float = 0.5, batch_norm_weight_decay: float = 0.0,
                  initializer: str = "matlab_r2018b", name: str = "ststnet") -> keras.Model:
    """The authors' STSTNet (``STSTNet.mat``); ``zero_center=False, batch_norm=False, dropout=0`` is Table I.

    ``zero_center``: a ``Normalization`` layer ("zerocenter") subtracts ``mean_image`` (the fold's
    training mean image, ``input_shape``; zeros when None, a model not yet fitted to data) with variance
    1, MATLAB's 'zerocenter'. The mean is a constant of the layer's config, so a saved ``.keras`` carries
    it and reloads with built-in layers only. ReLU after each convolution (Table I lists no activation;
    STSTNet.mat relu_1 / relu_2_1 / relu_2_2). ``batch_norm_weight_decay``: the L2 coefficient on the
    batch-normalisation scales and offsets (MATLAB's L2Regularization reaches them: their L2Factor is 1
    in STSTNet.mat), ``weight_decay / 2 * ||w||^2`` as ``common.training.add_weight_decay`` puts it on
    the kernels. ``initializer``: the kernels' initial weights, "matlab_r2018b" (normal, mean 0, standard
    deviation 0.01, biases 0: the default of MATLAB's convolution2dLayer and fullyConnectedLayer before
    R2019a made Glorot the default; main.m names R2018b and STSTNet.mat's layers carry no initialiser
    property) or "glorot_uniform" (Keras' default).
    """
    if initializer not in INITIALIZERS:
        raise ValueError(f"initializer={initializer!r}: expected one of {INITIALIZERS}")
    kernel_init = (keras.initializers.RandomNormal(mean=0.0, stddev=0.01) if initializer == "matlab_r2018b"
                   else "glorot_uniform")
    inputs = keras.Input(shape=tuple(input_shape), name="flow_u_v_strain")
    x = inputs
    if zero_center:
        mean = np.zeros(input_shape, np.float32) if mean_image is None else np.asarray(mean_image, np.float32)
        if mean.shape != tuple(input_shape):
            raise ValueError(f"mean_image: shape {mean.shape}, expected the input's {tuple(input_shape)}")
        x = layers.Normalization(axis=(1, 2, 3), mean=mean, variance=np.ones_like(mean), name="zerocenter")(x)
    regularizer = keras.regularizers.L2(batch_norm_weight_decay / 2) if batch_norm_weight_decay > 0 else None
    streams = []
    # STSTNet.mat's streams: conv_1 (3 kernels), conv_2_1 (5), conv_2_2 (8), joined by depthcat_1
    # (conv_1's, conv_2_1's) then depthcat_2 (that, conv_2_2's): channels in the order 3, 5, 8.
    for index, count in enumerate(filters, start=1):
        x_stream = layers.Conv2D(count, kernel_size, padding="same", activation="relu",
                                 kernel_initializer=kernel_init, name=f"c1_{index}")(x)
        if batch_norm:  # after the ReLU (STSTNet.mat: relu -> batchnorm)
            x_stream = layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, gamma_regularizer=regularizer,
                                                 beta_regularizer=regularizer, name=f"bn1_{index}")(x_stream)
        x_stream = layers.MaxPooling2D(pool_size, strides=pool_size, padding="same", name=f"p1_{index}")(x_stream)
        if dropout > 0:  # after the max pooling (STSTNet.mat: maxpool -> dropout)
            x_stream = layers.Dropout(dropout, name=f"dropout1_{index}")(x_stream)
        streams.append(x_stream)
    x = layers.Concatenate(name="concatenate")(streams)
    x = layers.AveragePooling2D(average_pool, strides=average_pool, padding="valid", name="p2")(x)
    x = layers.Flatten(name="fc_input")(x)  # Table I: FC 400 x 1
    outputs = layers.Dense(num_classes, activation="softmax", kernel_initializer=kernel_init, name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_model(*, config: STSTNetConfig, num_classes: int, mean_image: np.ndarray | None = None) -> keras.Model:
    """The configured STSTNet at ``data.size`` x ``data.size`` x 3; ``mean_image``: the fold's training
    mean image (``model.zero_center``; None before any data, e.g. ``--architectures``, ``--estimate``)."""
    m, size = config.model, config.data.size
    return build_ststnet(input_shape=(size, size, 3), num_classes=num_classes, filters=m.filters,
                         kernel_size=m.kernel_size, pool_size=m.pool_size, average_pool=m.average_pool,
                         zero_center=m.zero_center, mean_image=mean_image, batch_norm=m.batch_norm,
                         dropout=m.dropout, batch_norm_weight_decay=config.train.weight_decay,
                         initializer=m.initializer)


def training_mean_image(x_train: np.ndarray) -> np.ndarray:
    """MATLAB's 'zerocenter' statistic: the mean over the training images, pixel by pixel and channel
    by channel (STSTNet.mat imageinput: IsAverageImageMeanPerChannel false), float32."""
    return np.asarray(x_train, dtype=np.float64).mean(axis=0).astype(np.float32)


def set_population_statistics(model: keras.Model, x_train: np.ndarray, batch_size: int = 256) -> None:
    """Set every batch normalisation's moving mean and variance to the mean and (biased) variance of its
    input over all of ``x_train``, every pixel of every clip: what MATLAB's ``trainNetwork`` (R2018b, the
    authors' ``main.m``) stores as TrainedMean / TrainedVariance once training ends, the statistics its
    ``classify`` uses. The layers before a batch normalisation (centring, convolution, ReLU) have no
    training-time behaviour, so one inference pass gives its inputs. Written here: Keras' layer keeps
    only moving averages (momentum 0.99)."""
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    if not norms:
        return
    probe = keras.Model(model.inputs, [layer.input for layer in norms])
    activations = probe.predict(np.asarray(x_train), batch_size=batch_size, verbose=0)
    for layer, values in zip(norms, activations if len(norms) > 1 else [activations]):
        values = np.asarray(values, dtype=np.float64)
        axes = tuple(range(values.ndim - 1))  # all but the channels
        layer.moving_mean.assign(values.mean(axis=axes).astype(np.float32))
        layer.moving_variance.assign(values.var(axis=axes).astype(np.float32))


# The paper's model by name, a zero-argument builder (``Paper.models``; ``common.experiment.build_paper_model``
# builds one): STSTNet at the paper's 28x28x3 input, 3 classes, as the authors trained it: 1,683 trainable
# parameters (STSTNet.mat; Table I alone: 1,651).
MODEL_BUILDERS = {"ststnet": functools.partial(build_model, config=default_config(), num_classes=3)}
