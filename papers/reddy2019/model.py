"""MicroExpSTCNN and MicroExpFuseNet (intermediate and late fusion).

S. P. T. Reddy, S. T. Karri, S. R. Dubey, S. Mukherjee, "Spontaneous Facial Micro-Expression
Recognition using 3D Spatiotemporal Convolutional Neural Networks", IJCNN 2019 (arXiv 1904.01390).

Axis order (docs/methods.md §7.1): the authors' Keras 2 code is ``'th'`` ordered ``(1, 64, 64, 96)``,
i.e. rows, cols, **frames last**, with the kernel ``(3, 3, 15)`` (15 along time). The Keras 3
equivalent is ``Input((64, 64, 96, 1))`` with kernel ``(3, 3, 15)``; this reproduces Table I
exactly: (62, 62, 82, 32) -> (20, 20, 27, 32) -> 345,600. Talluri et al.'s Model-B
(``papers.talluri2022``) is this same builder at their frame counts.

Layer names follow Tables I-III. The tables' typos (Table I's trailing "Dropout -> 3", Table II's
Dropout 32x20x20x27 and Concatenate 86,400, Table III's repeated "Dropout-3") are recorded in
``README.md``; the builders follow the text and figures (and the shapes the layers imply).
"""
from __future__ import annotations

import functools

import keras
from keras import layers

from papers.reddy2019.config import ReddyConfig

# MicroExpSTCNN and its 3D-CNN stream are shared with Talluri et al.'s Model-B: they live in
# common.backbones (no paper imports another) and are re-exported here under the paper's names.
from common.backbones import build_microexpstcnn
from common.backbones import check_3d_input as _check_input
from common.backbones import code_dense_initializer as _dense_initializer
from common.backbones import conv3d_stream as _conv_stream


def build_microexpfusenet_intermediate(*, input_shape: tuple[int, int, int, int] = (32, 32, 96, 1),
                                       num_classes: int = 3, kernel_size: tuple[int, int, int] = (3, 3, 15),
                                       filters: int = 32, pool_size: int = 3,
                                       dense_units: tuple[int, int] = (1024, 128),
                                       dropout: float = 0.5, dense_activation: str | None = None,
                                       name: str = "microexpfusenet_intermediate") -> keras.Model:
    """Intermediate MicroExpFuseNet, Sec. III-B-1, Table II, Fig. 2.

    Two streams (eyes, nose-mouth), each Conv3D 32@3x3x15 -> MaxPool3D 3 -> Dropout -> Flatten
    (86,400); Concatenate (172,800) -> Dense 1024 -> Dropout -> Dense 128 -> Dropout -> Dense 3
    -> softmax: 177,088,515 trainable parameters at (32, 32, 96, 1). ``dense_activation=None``
    (linear) follows the authors' code; the paper names no activation for these layers.
    """
    _check_input(tuple(input_shape), (*kernel_size,), pool_size, name)
    eyes = keras.Input(shape=tuple(input_shape), name="input_eyes")  # Table II Input-1
    mouth = keras.Input(shape=tuple(input_shape), name="input_nose_mouth")  # Table II Input-2
    a = _conv_stream(eyes, "eyes_", filters, (*kernel_size,), pool_size, dropout)
    b = _conv_stream(mouth, "mouth_", filters, (*kernel_size,), pool_size, dropout)
    # DEVIATION (table typo): Table II says Concatenate -> 86,400; two 86,400 streams give 172,800.
    x = layers.Concatenate(name="concatenate")([a, b])
    x = layers.Dense(dense_units[0], activation=dense_activation, kernel_initializer=_dense_initializer(),
                     name="dense_1")(x)
    x = layers.Dropout(dropout, name="dropout_1")(x)
    x = layers.Dense(dense_units[1], activation=dense_activation, kernel_initializer=_dense_initializer(),
                     name="dense_2")(x)
    x = layers.Dropout(dropout, name="dropout_2")(x)
    x = layers.Dense(num_classes, kernel_initializer=_dense_initializer(), name="dense_out")(x)
    outputs = layers.Activation("softmax", name="softmax")(x)
    return keras.Model([eyes, mouth], outputs, name=name)


def build_microexpfusenet_late(*, input_shape: tuple[int, int, int, int] = (32, 32, 96, 1),
                               num_classes: int = 3, kernel_size: tuple[int, int, int] = (3, 3, 15),
                               filters: int = 32, pool_size: int = 3,
                               dense_units: tuple[int, int] = (1024, 128), dropout: float = 0.5,
                               dense_activation: str | None = None,
                               name: str = "microexpfusenet_late") -> keras.Model:
    """Late MicroExpFuseNet, Sec. III-B-2, Table III, Fig. 3.

    Each stream: Conv3D -> MaxPool3D -> Dropout -> Flatten (86,400) -> Dense 1024 -> Dropout ->
    Dense 128 -> Dropout; Concatenate (256) -> Dense 3 -> softmax: 177,221,123 trainable
    parameters at (32, 32, 96, 1).
    """
    _check_input(tuple(input_shape), (*kernel_size,), pool_size, name)
    eyes = keras.Input(shape=tuple(input_shape), name="input_eyes")
    mouth = keras.Input(shape=tuple(input_shape), name="input_nose_mouth")
    streams = []
    for inp, prefix in ((eyes, "eyes_"), (mouth, "mouth_")):
        x = _conv_stream(inp, prefix, filters, (*kernel_size,), pool_size, dropout)
        x = layers.Dense(dense_units[0], activation=dense_activation, kernel_initializer=_dense_initializer(),
                         name=f"{prefix}dense_1")(x)
        x = layers.Dropout(dropout, name=f"{prefix}dropout_1")(x)
        x = layers.Dense(dense_units[1], activation=dense_activation, kernel_initializer=_dense_initializer(),
                         name=f"{prefix}dense_2")(x)
        streams.append(layers.Dropout(dropout, name=f"{prefix}dropout_2")(x))
    x = layers.Concatenate(name="concatenate")(streams)  # Table III: 256
    x = layers.Dense(num_classes, kernel_initializer=_dense_initializer(), name="dense_out")(x)
    outputs = layers.Activation("softmax", name="softmax")(x)
    return keras.Model([eyes, mouth], outputs, name=name)


def build_model(*, config: ReddyConfig, num_classes: int) -> keras.Model:
    """The configured model (``model.name``) at the configured input size: MicroExpSTCNN on
    ``(data.size, data.size, data.frames, 1)`` (Table I), the FuseNets on two streams of
    ``(data.crop_size, data.crop_size, data.frames, 1)`` (Tables II, III)."""
    m, d = config.model, config.data
    if m.name == "microexpstcnn":
        return build_microexpstcnn(input_shape=(d.size, d.size, d.frames, 1), num_classes=num_classes,
                                   kernel_size=m.kernel_size, filters=m.filters, pool_size=m.pool_size,
                                   dense_units=m.dense_units, dropout=m.dropout)
    builder = (build_microexpfusenet_intermediate if m.name == "microexpfusenet_intermediate"
               else build_microexpfusenet_late)
    return builder(input_shape=(d.crop_size, d.crop_size, d.frames, 1), num_classes=num_classes,
                   kernel_size=m.kernel_size, filters=m.filters, pool_size=m.pool_size,
                   dense_units=m.fusenet_dense_units, dropout=m.dropout, dense_activation=m.fusenet_dense_activation)


# The paper's models by name, each a zero-argument builder (``Paper.models``;
# ``common.harness.build_paper_model`` builds one) at the paper's CAS(ME)^2 input size (Tables I-III). The
# FuseNets hold 177 M parameters each (about 0.7 GB of float32 weights).
MODEL_BUILDERS = {
    "microexpstcnn": functools.partial(build_microexpstcnn, input_shape=(64, 64, 96, 1)),
    "microexpfusenet_intermediate": functools.partial(build_microexpfusenet_intermediate,
                                                      input_shape=(32, 32, 96, 1)),
    "microexpfusenet_late": functools.partial(build_microexpfusenet_late, input_shape=(32, 32, 96, 1)),
}


def stcnn_parameter_count(input_shape: tuple[int, int, int, int], num_classes: int = 3,
                          kernel_size: tuple[int, int, int] = (3, 3, 15), filters: int = 32, pool_size: int = 3,
                          dense_units: int = 128) -> int:
    """Trainable parameters of :func:`build_microexpstcnn`, computed analytically (no model built)."""
    flat = _stream_features(input_shape, kernel_size, filters, pool_size)
    conv = kernel_size[0] * kernel_size[1] * kernel_size[2] * input_shape[3] * filters + filters
    return conv + (flat * dense_units + dense_units) + (dense_units * num_classes + num_classes)


def fusenet_parameter_count(input_shape: tuple[int, int, int, int], fusion: str, num_classes: int = 3,
                            kernel_size: tuple[int, int, int] = (3, 3, 15), filters: int = 32, pool_size: int = 3,
                            dense_units: tuple[int, int] = (1024, 128)) -> int:
    """Trainable parameters of the FuseNets, computed analytically (``fusion`` = intermediate|late)."""
    flat = _stream_features(input_shape, kernel_size, filters, pool_size)
    conv = 2 * (kernel_size[0] * kernel_size[1] * kernel_size[2] * input_shape[3] * filters + filters)
    d1, d2 = dense_units
    if fusion == "intermediate":
        return conv + (2 * flat * d1 + d1) + (d1 * d2 + d2) + (d2 * num_classes + num_classes)
    if fusion == "late":
        return conv + 2 * ((flat * d1 + d1) + (d1 * d2 + d2)) + (2 * d2 * num_classes + num_classes)
    raise ValueError(f"fusion={fusion!r}: expected 'intermediate' or 'late'")


def _stream_features(input_shape, kernel_size, filters, pool_size) -> int:
    """Flattened features of one stream: valid conv then floor pooling on each axis."""
    size = 1
    for n, k in zip(input_shape[:3], kernel_size):
        size *= (n - k + 1) // pool_size
    return size * filters


# Trainable parameters (not printed in the paper; docs/methods.md §7.3, verified by building the models).
PARAMETERS = {
    "microexpstcnn": stcnn_parameter_count((64, 64, 96, 1)),  # 44,241,667
    "microexpstcnn_smic": stcnn_parameter_count((64, 64, 18, 1)),  # 1,643,267
    "microexpfusenet_intermediate": fusenet_parameter_count((32, 32, 96, 1), "intermediate"),  # 177,088,515
    "microexpfusenet_late": fusenet_parameter_count((32, 32, 96, 1), "late"),  # 177,221,123
}
