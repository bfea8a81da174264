"""OFF-ApexNet (Gan, Liong, Yau, Huang, Tan, 2019): two CNN streams, one per optical-flow component.

Each stream takes one 28x28 flow image (horizontal u, vertical v): Conv 5x5 6 kernels ('same', ReLU),
max pooling 2x2 (14x14x6), Conv 5x5 16 kernels, max pooling 2x2 (7x7x16 = 784); the two streams'
features concatenated (1,568), FC 1024, FC 1024 (ReLU), softmax over the 3 composite classes:
2,664,475 trainable parameters. Depth 5 and input 28 x 28 x 2 as Liong et al. 2019, Table V, which
prints 2.77 million (README ledger 1).

Options (``config.READINGS``, README ledger 2): no activation after the convolutions and dropout after
the hidden FC layers (the Off-TANet reimplementation, same count); one stream on the stacked (u, v)
image with 3x3 kernels and one FC 1024 (MEB's, 807,909).
"""
from __future__ import annotations

import functools

import keras
from keras import layers

from common.flow_cnn import flow_streams
from papers.gan2019.config import OffApexNetConfig, default_config

# Derived from the layers: streams 2 x (156 + 2,416) = 5,144; FC1 1,568 x 1,024 + 1,024 = 1,606,656;
# FC2 1,049,600; output 1,024 x 3 + 3 = 3,075.
LAYER_TRAINABLE = 2_664_475
PRINTED_MILLIONS = 2.77  # Liong et al. 2019, Table V (OFF-ApexNet's parameters, in millions)


def _convolutions(x, prefix: str, filters: tuple[int, ...], kernel_size: int, pool_size: int, activation: str):
    """One stream: per entry of ``filters`` a 'same' convolution and a max pooling of ``pool_size``."""
    for index, count in enumerate(filters, start=1):
        x = layers.Conv2D(count, kernel_size, padding="same", activation=activation, name=f"{prefix}conv{index}")(x)
        x = layers.MaxPooling2D(pool_size, strides=pool_size, name=f"{prefix}pool{index}")(x)
    return layers.Flatten(name=f"{prefix}features")(x)


def build_off_apexnet(*, size: int = 28, num_classes: int = 3, filters: tuple[int, ...] = (6, 16),
                      kernel_size: int = 5, pool_size: int = 2, dense_units: tuple[int, ...] = (1024, 1024),
                      dropout: float = 0.0, name: str = "off_apexnet", streams: str = "two",
                      conv_activation: str = "relu", feature_dropout: float = 0.0) -> keras.Model:
    """The network on one input of (size, size, 2) = (u, v): split into two streams (``streams="two"``),
    or one stream on both channels (``"one"``, an option)."""
    inputs = keras.Input(shape=(size, size, 2), name="flow_u_v")
    if streams == "two":  # one stream a flow component, (size, size, 1), fused (common.flow_cnn.flow_streams)
        x = flow_streams(inputs, lambda channel, prefix: _convolutions(channel, prefix, filters, kernel_size,
                                                                       pool_size, conv_activation))
    else:
        x = _convolutions(inputs, "", filters, kernel_size, pool_size, conv_activation)
    if feature_dropout > 0:
        x = layers.Dropout(feature_dropout, name="feature_dropout")(x)
    for index, units in enumerate(dense_units, start=1):
        x = layers.Dense(units, activation="relu", name=f"fc{index}")(x)
        if dropout > 0:
            x = layers.Dropout(dropout, name=f"dropout{index}")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_model(*, config: OffApexNetConfig, num_classes: int) -> keras.Model:
    """The configured OFF-ApexNet at ``data.size`` x ``data.size`` x 2."""
    m = config.model
    return build_off_apexnet(size=config.data.size, num_classes=num_classes, filters=m.filters,
                             kernel_size=m.kernel_size, pool_size=m.pool_size, dense_units=m.dense_units,
                             dropout=m.dropout, streams=m.streams, conv_activation=m.conv_activation,
                             feature_dropout=m.feature_dropout)


# The paper's model by name, a zero-argument builder (``Paper.models``; ``common.harness.build_paper_model``
# builds one): OFF-ApexNet at 28x28x2, 3 classes, 2,664,475 trainable parameters.
MODEL_BUILDERS = {"off_apexnet": functools.partial(build_model, config=default_config(), num_classes=3)}
