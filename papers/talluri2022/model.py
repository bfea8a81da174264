"""Model-A, Split Model, Model-B and Model-C of Talluri, Fiedler and Al-Hamadi.

K. K. Talluri, M.-A. Fiedler, A. Al-Hamadi, "Deep 3D Convolutional Neural Network for Facial
Micro-Expression Analysis from Video Images", Appl. Sci. 12(21):11078, 2022.

Axis order (docs/methods.md §7.1): the paper writes Table 2's shapes depth first (36 x 128 x 128), so
Model-A, the Split Model and Model-C take ``(frames, height, width, 1)``. Model-B is Reddy et al.'s
MicroExpSTCNN (``common.backbones``, shared with ``papers.reddy2019``), whose input is frames last
``(64, 64, frames, 1)``.
"""
from __future__ import annotations

import functools

import keras
from keras import layers

from common.backbones import build_microexpstcnn
from papers.talluri2022.config import TalluriConfig, default_config


def _conv_block(x, index: int, filters: int, kernel_size: int, pool_size: int, dropout: float,
                batch_norm: bool = True, padding: str = "same"):
    """One Conv block of Fig. 3: Conv3D (ReLU, HeNormal) -> BatchNorm -> MaxPool3D -> Dropout."""
    x = layers.Conv3D(filters, kernel_size, padding=padding, activation="relu",
                      kernel_initializer="he_normal", name=f"conv3d_{index}")(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"batchnorm_{index}")(x)
    if min(x.shape[1:4]) < pool_size:
        raise ValueError(f"conv block {index}: feature map {tuple(x.shape[1:4])} is smaller than the "
                         f"{pool_size}x{pool_size}x{pool_size} pooling; use more frames or fewer blocks")
    x = layers.MaxPooling3D(pool_size=pool_size, name=f"maxpool3d_{index}")(x)  # 'valid': floor (36 -> 12 -> 4)
    return layers.Dropout(dropout, name=f"dropout_{index}")(x)


def build_model_a(*, input_shape: tuple[int, int, int, int] = (36, 128, 128, 1), num_classes: int = 3,
                  blocks: int = 2, filters: int = 16, kernel_size: int = 3, pool_size: int = 3,
                  dropout: float = 0.4, dense_units: int = 128, dense_dropout: float = 0.4,
                  name: str = "model_a", dense_initializer: str = "he_normal") -> keras.Model:
    """Model-A, Sec. 5.1, Table 2, Figs. 2-3.

    Two Conv blocks (Conv3D 16@3x3x3 same, HeNormal, ReLU; BatchNorm; MaxPool3D 3; Dropout 0.4),
    Flatten (12,544 for CASME II's 36 frames), Dense 128 (ReLU), Dropout, Dense 3, softmax:
    1,613,587 trainable parameters. ``blocks=3`` is the Split Model of Sec. 5.2. "The model uses a
    HeNormal initializer" (Sec. 5.1): the Dense layers too (``dense_initializer``; "glorot_uniform",
    Keras' default, gives the Conv3D-only reading).
    """
    if len(input_shape) != 4:
        raise ValueError(f"{name}: input_shape must be (frames, height, width, channels), got {input_shape}")
    inputs = keras.Input(shape=tuple(input_shape), name="input")  # (B, T, H, W, 1): depth first (Table 2)
    x = inputs
    for index in range(1, blocks + 1):
        x = _conv_block(x, index, filters, kernel_size, pool_size, dropout)
    x = layers.Flatten(name="flatten")(x)  # Table 2: 12,544 = 4 x 14 x 14 x 16
    # Sec. 5.1: ReLU "across all feasible layers"; HeNormal: "the model uses" it
    x = layers.Dense(dense_units, activation="relu", kernel_initializer=dense_initializer, name="dense_1")(x)
    # Sec. 5.1 names "another dropout layer" without a rate; we use Model-A's 0.4 (README ledger).
    x = layers.Dropout(dense_dropout, name=f"dropout_{blocks + 1}")(x)
    outputs = layers.Dense(num_classes, activation="softmax", kernel_initializer=dense_initializer, name="dense_2")(x)
    return keras.Model(inputs, outputs, name=name)


def build_split_model(*, input_shape: tuple[int, int, int, int] = (36, 128, 128, 1), num_classes: int = 3,
                      **kwargs) -> keras.Model:
    """Split Model, Sec. 5.2: Model-A with three Conv blocks instead of two (train-test split runs)."""
    return build_model_a(input_shape=input_shape, num_classes=num_classes, blocks=3, name="split_model", **kwargs)


def build_model_b(*, input_shape: tuple[int, int, int, int] = (64, 64, 36, 1), num_classes: int = 3,
                  dropout: float = 0.5) -> keras.Model:
    """Model-B, Sec. 5.3: MicroExpSTCNN (Reddy et al. 2019) at 64x64, depth = the database's frame count.

    Conv3D 32@3x3x15, MaxPool3D 3, Dropout 0.5, Flatten, Dense 128, Dropout, Dense 3 softmax;
    frames last, as in Reddy et al.'s code (docs/methods.md §7.1).
    """
    return build_microexpstcnn(input_shape=input_shape, num_classes=num_classes, kernel_size=(3, 3, 15), filters=32,
                               pool_size=3, dense_units=128, dropout=dropout, name="model_b")


def build_model_c(*, input_shape: tuple[int, int, int, int] = (36, 128, 128, 1), num_classes: int = 3,
                  blocks: int = 2, filters: int = 32, kernel_size: int = 3, pool_size: int = 3,
                  batch_norm: bool = True, padding: str = "same", dropout: float = 0.5,
                  dense_units: int = 128, name: str = "model_c", dense_initializer: str = "he_normal") -> keras.Model:
    """Model-C, Sec. 5.4: Jiao et al.'s 3D CNN (ICMSP 2021) with Talluri et al.'s assumed parameters.

    Sec. 5.4 assumes: 128x128 input, depth as Model-B; Conv3D 32@3x3x3 with batch normalisation;
    two max-pooling blocks of 3x3x3; dropout 0.5; Dense 128. The block layout (Conv -> BN -> Pool
    -> Dropout, 'same' padding, ReLU, HeNormal) follows Model-A, on which Sec. 6.3 says the
    assumptions were based (HeNormal on the Dense layers too, ``dense_initializer``). Every assumption
    is a parameter (``papers.talluri2022.config.ModelConfig``, ``c_*`` fields).
    """
    if len(input_shape) != 4:
        raise ValueError(f"{name}: input_shape must be (frames, height, width, channels), got {input_shape}")
    inputs = keras.Input(shape=tuple(input_shape), name="input")  # (B, T, H, W, 1)
    x = inputs
    for index in range(1, blocks + 1):
        x = _conv_block(x, index, filters, kernel_size, pool_size, dropout, batch_norm=batch_norm, padding=padding)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", kernel_initializer=dense_initializer, name="dense_1")(x)
    x = layers.Dropout(dropout, name=f"dropout_{blocks + 1}")(x)
    outputs = layers.Dense(num_classes, activation="softmax", kernel_initializer=dense_initializer, name="dense_2")(x)
    return keras.Model(inputs, outputs, name=name)


def build_model(*, config: TalluriConfig, num_classes: int) -> keras.Model:
    """The configured model (``model.name``) at the configured input: ``(frames, size, size, 1)`` for
    Model-A, the Split Model and Model-C, ``(model_b_size, model_b_size, frames, 1)`` for Model-B (Sec. 5)."""
    m, d = config.model, config.data
    if m.name == "model_a":
        return build_model_a(input_shape=(d.frames, d.size, d.size, 1), num_classes=num_classes, blocks=2,
                             filters=m.filters, kernel_size=m.kernel_size, pool_size=m.pool_size, dropout=m.dropout,
                             dense_units=m.dense_units, dense_dropout=m.dense_dropout,
                             dense_initializer=m.dense_initializer)
    if m.name == "split_model":
        return build_split_model(input_shape=(d.frames, d.size, d.size, 1), num_classes=num_classes,
                                 filters=m.filters, kernel_size=m.kernel_size, pool_size=m.pool_size, dropout=m.dropout,
                                 dense_units=m.dense_units, dense_dropout=m.dense_dropout,
                                 dense_initializer=m.dense_initializer)
    if m.name == "model_b":
        return build_model_b(input_shape=(d.model_b_size, d.model_b_size, d.frames, 1), num_classes=num_classes,
                             dropout=m.model_b_dropout)
    if m.name == "model_c":
        return build_model_c(input_shape=(d.frames, d.size, d.size, 1), num_classes=num_classes, blocks=m.c_blocks,
                             filters=m.c_filters, kernel_size=m.c_kernel_size, pool_size=m.c_pool_size,
                             batch_norm=m.c_batch_norm, padding=m.c_padding, dropout=m.c_dropout,
                             dense_units=m.c_dense_units, dense_initializer=m.dense_initializer)
    raise ValueError(f"model.name={m.name!r}: expected model_a, split_model, model_b or model_c")


def _paper_sized_model(*, name: str) -> keras.Model:
    """``name`` at the paper's sizes with CASME II's 36-frame input (Table 2; Model-B 64x64, Sec. 5.3), 3 classes."""
    return build_model(config=default_config(name, ("casme2",), ("casme2",)), num_classes=3)


# The paper's models by name, each a zero-argument builder (``Paper.models``;
# ``common.harness.build_paper_model`` builds one): Model-A (1,613,587 trainable parameters), the Split
# Model, Model-B and Model-C.
MODEL_BUILDERS = {name: functools.partial(_paper_sized_model, name=name)
                  for name in ("model_a", "split_model", "model_b", "model_c")}
