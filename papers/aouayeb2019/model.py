"""Region CNNs and the six-LSTM stage of Aouayeb et al. 2019.

M. Aouayeb, W. Hamidouche, K. Kpalma, A. Benazza-Benyahia, "A spatiotemporal deep learning
solution for automatic micro-expressions recognition from local facial regions", IEEE MLSP 2019
(HAL hal-02334439).

Stage 1 (Sec. 3.2, Fig. 4, Sec. 4.1.2): one CNN per facial region, trained on single frames.
Stage 2 (Sec. 3.3, Sec. 4.1.2): the 20-d "spatial feature" of every frame forms one sequence per
region; six LSTM(120) + Dropout 0.2, concatenated, Dense 64 LeakyReLU, Dense 3 softmax.

The paper's total, 1,093,531 trainable parameters (Sec. 5), is reproduced exactly by 4-channel
(RGBA, letterboxed PNG) inputs with global average pooling after the 72-channel concatenation
(docs/methods.md §6.2): 6 x 106,852 + 452,419.
"""
from __future__ import annotations

import dataclasses
import functools

import keras
from keras import layers

from papers.aouayeb2019.config import AouayebConfig, default_config

# Sec. 4.1.2: region sizes [width, height] = [100,80], [100,80], [120,80], [60,60], [60,60],
# [160,60]; Keras inputs are (height, width, channels). Region order (Sec. 3.1): left eye+brow,
# right eye+brow, nose, left cheek, right cheek, mouth.
REGION_SIZES_WH = ((100, 80), (100, 80), (120, 80), (60, 60), (60, 60), (160, 60))
REGION_NAMES = ("eye_brow_left", "eye_brow_right", "nose", "cheek_left", "cheek_right", "mouth")
NUM_REGIONS = 6

# Verified counts (docs/methods.md §6.2); tests assert the builders against them.
PARAMS_REGION_CNN = {4: 106_852, 3: 106_752, 1: 106_552}  # by input channels
PARAMS_LSTM_STAGE = 452_419
PARAMS_TOTAL = {4: 1_093_531, 3: 1_092_931, 1: 1_091_731}  # Sec. 5 states 1,093,531


def region_input_shape(region: int, channels: int = 4) -> tuple[int, int, int]:
    """(height, width, channels) of region ``region`` (0..5)."""
    if not 0 <= region < NUM_REGIONS:
        raise ValueError(f"region={region}: expected 0..{NUM_REGIONS - 1}")
    width, height = REGION_SIZES_WH[region]
    return (height, width, channels)


def build_region_cnn(*, input_shape: tuple[int, int, int], num_labels: int = 4, name: str = "region_cnn",
                     feature_dim: int = 20, dense_units: int = 1024, dropout: float = 0.2,
                     pool_size: int = 2, head_pooling: str = "global_average", input_scale: float = 1.0) -> keras.Model:
    """One region CNN (Sec. 3.2, Fig. 4, Sec. 4.1.2); output: softmax over the region's labels.

    Input: uint8-valued pixels as float (H, W, C), multiplied by ``input_scale`` inside the model
    (default 1.0: raw 0-255 values, the paper states no normalisation; 1/255 is an option).
    ``head_pooling="global_average"`` is the only reading that gives the paper's parameter count;
    ``"average_flatten"`` (AveragePooling ``pool_size`` then Flatten) is the literal-layer
    alternative (12-14 M parameters in total), an option only.
    """
    if len(input_shape) != 3:
        raise ValueError(f"input_shape={input_shape}: expected (height, width, channels)")
    inputs = keras.Input(shape=tuple(input_shape), name="region_image")
    # Input scaling is not stated in the paper: raw pixel values by default (input_scale=1.0; no parameters).
    x = layers.Rescaling(input_scale, name="scale")(inputs)
    # Sec. 4.1.2: "The first Convolution layer has 4 filters with a size of 5*5"; ReLU for all layers.
    # DEVIATION: padding and pool sizes are not stated; 'same' padding and 2x2 max pooling
    # (the authors' later code, docs/methods.md §6.1). Neither changes the parameter count.
    x = layers.Conv2D(4, 5, padding="same", activation="relu", name="conv1_4x5x5")(x)
    x = layers.MaxPooling2D(pool_size, padding="same", name="maxpool1")(x)
    # Sec. 4.1.2: "the next one has 8 filters with a size of 3*3".
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv2_8x3x3")(x)
    conv2 = layers.MaxPooling2D(pool_size, padding="same", name="maxpool2")(x)
    # Sec. 3.2: four parallel convolutions {1*1, 3*3, 5*5, 7*7} with 16 filters each, "concatenated
    # with the output of the second convolution layer" (taken after its max pooling so the
    # spatial sizes match): 8 + 4 x 16 = 72 channels.
    branches = [layers.Conv2D(16, k, padding="same", activation="relu", name=f"inception_16x{k}x{k}")(conv2)
                for k in (1, 3, 5, 7)]
    x = layers.Concatenate(name="concat_72")([conv2] + branches)
    # Sec. 3.2: "After that an average-pooling is applied".
    if head_pooling == "global_average":
        # DEVIATION (reading): global average pooling, the only reading that gives 1,093,531.
        x = layers.GlobalAveragePooling2D(name="average_pooling")(x)
    elif head_pooling == "average_flatten":
        x = layers.AveragePooling2D(pool_size, padding="same", name="average_pooling")(x)
        x = layers.Flatten(name="flatten")(x)
    else:
        raise ValueError(f"head_pooling={head_pooling!r}: expected 'global_average' or 'average_flatten'")
    # Sec. 4.1.2: Dense 1024, Dropout 0.2, Dense 20 (the spatial feature), Dense 4 softmax.
    x = layers.Dense(dense_units, activation="relu", name="fc1024")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(feature_dim, activation="relu", name="spatial_feature")(x)
    outputs = layers.Dense(num_labels, activation="softmax", name="region_labels")(x)
    return keras.Model(inputs, outputs, name=name)


def feature_extractor(region_cnn: keras.Model) -> keras.Model:
    """Sec. 3.2: "we remove the last layers of the FCL": the model up to ``spatial_feature``."""
    return keras.Model(region_cnn.inputs, region_cnn.get_layer("spatial_feature").output,
                       name=f"{region_cnn.name}_features")


def build_lstm_stage(*, seq_len: int = 500, feature_dim: int = 20, regions: int = NUM_REGIONS, units: int = 120,
                     num_classes: int = 3, dense_units: int = 64, dropout: float = 0.2,
                     leaky_slope: float = 0.3, name: str = "lstm_stage") -> keras.Model:
    """Six LSTMs + FCL (Sec. 3.3, Sec. 4.1.2); inputs: one (seq_len, feature_dim) sequence per region.

    ``leaky_slope`` is the LeakyReLU negative slope; the paper does not state it (Keras 2.2.4's
    default was 0.3, the authors' 2022 code uses 0.01).
    """
    inputs, outputs = [], []
    for r in range(regions):
        seq = keras.Input(shape=(seq_len, feature_dim), name=f"region{r}_features")  # (B, T, 20)
        # Sec. 4.1.2: "the same length of inputs 120 for all LSTMs": 120 units (docs/methods.md §6.2).
        h = layers.LSTM(units, name=f"lstm{r}")(seq)  # (B, 120), last state
        h = layers.Dropout(dropout, name=f"lstm{r}_dropout")(h)  # Sec. 3.3: dropout after each LSTM
        inputs.append(seq)
        outputs.append(h)
    x = layers.Concatenate(name="concat_lstm")(outputs) if regions > 1 else outputs[0]  # (B, 6*120)
    x = layers.Dense(dense_units, name="fc64")(x)
    # DEVIATION: negative slope not stated in the paper (config model.leaky_slope).
    x = layers.LeakyReLU(negative_slope=leaky_slope, name="leaky_relu")(x)
    out = layers.Dense(num_classes, activation="softmax", name="emotion")(x)  # 0 neg, 1 pos, 2 sur
    return keras.Model(inputs, out, name=name)


def build_region_model(*, config: AouayebConfig, region: int) -> keras.Model:
    """Region CNN ``region`` (0..5, Sec. 3.1 order) of the experiment ``config``: ``region_cnn_<region>``."""
    return build_region_cnn(input_shape=region_input_shape(region, config.data.channels),
                            num_labels=config.model.region_labels, name=f"region_cnn_{region}",
                            feature_dim=config.model.feature_dim, dense_units=config.model.dense_units,
                            dropout=config.model.cnn_dropout, pool_size=config.model.pool_size,
                            head_pooling=config.model.head_pooling, input_scale=config.data.input_scale)


def build_model(*, config: AouayebConfig, num_classes: int) -> keras.Model:
    """The classifier of the experiment ``config``: the six-LSTM stage (Sec. 3.3) over ``num_classes``
    emotions (3 on the MEGC 2019 composite). Its inputs are the region CNNs' features
    (:func:`build_region_model`, :func:`feature_extractor`), trained first (two stages, Sec. 3.2-3.3)."""
    return build_lstm_stage(seq_len=config.data.seq_len, feature_dim=config.model.feature_dim,
                            units=config.model.lstm_units, num_classes=num_classes, dense_units=config.model.fc_units,
                            dropout=config.model.lstm_dropout, leaky_slope=config.model.leaky_slope)


# The paper's seven networks by name, each a zero-argument builder with the paper's default config
# (``Paper.models``; ``common.harness.build_paper_model`` builds one): the region CNNs ``region_cnn_0`` ..
# ``region_cnn_5`` (Sec. 3.1 order) and the six-LSTM stage over the composite's 3 emotions.
MODEL_BUILDERS = {
    **{f"region_cnn_{r}": functools.partial(build_region_model, config=default_config(), region=r)
       for r in range(NUM_REGIONS)},
    "lstm_stage": functools.partial(build_model, config=default_config(), num_classes=3),
}


def lstm_stage_small() -> keras.Model:
    """The LSTM stage over 8 time steps instead of the paper's 500 (``data.seq_len``): tests/test_models.py's
    save and training step (``PAPER.model_checks``), too slow at the paper's length on one CPU core."""
    config = default_config()
    return build_model(config=dataclasses.replace(config, data=dataclasses.replace(config.data, seq_len=8)),
                       num_classes=3)
