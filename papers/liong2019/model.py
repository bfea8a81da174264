"""STSTNet (Liong, Gan, See, Khor, Huang, FG 2019), Table I.

Three parallel streams over one 28x28x3 input (horizontal flow u, vertical flow v, optical strain):
a 3x3 convolution ('same', 3 / 5 / 8 kernels) and a 3x3 max pooling of stride 3 ('same', 28 -> 10)
each; the three outputs concatenated (10x10x16), a 2x2 average pooling (5x5x16 = 400), one fully
connected softmax layer of 3. Table I's layers give 1,651 trainable parameters; the paper prints
1,670 (Sec. IV, Table V: 0.00167 M), which no reading of Table I gives (README ledger 1).
"""
from __future__ import annotations

import keras
from keras import layers

from papers.liong2019.config import STSTNetConfig, default_config

# Table I derived: convolutions 3x3x3 x (3 + 5 + 8) + 16 biases = 448; FC 400 x 3 + 3 = 1,203.
TABLE1_TRAINABLE = 1_651
PRINTED_TRAINABLE = 1_670  # Sec. IV "1670 of weights and biases"; Table V "0.00167" million


def build_ststnet(input_shape: tuple[int, int, int] = (28, 28, 3), num_classes: int = 3,
                  filters: tuple[int, ...] = (3, 5, 8), kernel_size: int = 3, pool_size: int = 3,
                  average_pool: int = 2, batch_norm: bool = False, dropout: float = 0.0,
                  name: str = "ststnet") -> keras.Model:
    """Table I. ReLU after each convolution (the authors' code; Table I lists no activation layer).

    ``batch_norm`` / ``dropout`` (off): the authors' PyTorch code's BatchNorm after the ReLU and
    Dropout(0.5) after each max pooling, options only.
    """
    inputs = keras.Input(shape=tuple(input_shape), name="flow_u_v_strain")
    streams = []
    for index, count in enumerate(filters, start=1):
        x = layers.Conv2D(count, kernel_size, padding="same", activation="relu", name=f"c1_{index}")(inputs)
        if batch_norm:
            x = layers.BatchNormalization(name=f"bn1_{index}")(x)
        x = layers.MaxPooling2D(pool_size, strides=pool_size, padding="same", name=f"p1_{index}")(x)
        if dropout > 0:
            x = layers.Dropout(dropout, name=f"dropout1_{index}")(x)
        streams.append(x)
    x = layers.Concatenate(name="concatenate")(streams)
    x = layers.AveragePooling2D(average_pool, strides=average_pool, padding="valid", name="p2")(x)
    x = layers.Flatten(name="fc_input")(x)  # Table I: FC 400 x 1
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_model(config: STSTNetConfig, num_classes: int) -> keras.Model:
    """The configured STSTNet at ``data.size`` x ``data.size`` x 3."""
    m, size = config.model, config.data.size
    return build_ststnet((size, size, 3), num_classes, m.filters, m.kernel_size, m.pool_size, m.average_pool,
                         m.batch_norm, m.dropout)


def models() -> dict[str, keras.Model]:
    """STSTNet at the paper's 28x28x3 input, 3 classes: 1,651 trainable parameters (Table I)."""
    return {"ststnet": build_model(default_config(), 3)}
