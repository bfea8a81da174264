"""common.flops: FLOP counts against hand-computed values."""
from __future__ import annotations

import keras
import pytest

from common.flops import matmul_rate, matmul_rates, training_flops
from helpers import forward_flops


def test_conv_and_dense_counts_by_hand():
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(2, 3)(inputs)  # 2 x 2 x 2 outputs, 9 x 1 multiply-adds each
    x = keras.layers.MaxPooling2D(1)(x)  # not counted
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3)(x)  # 8 x 3 multiply-adds
    model = keras.Model(inputs, outputs)
    conv, dense = 2 * 9 * 1 * 8, 2 * 8 * 3
    assert forward_flops(model) == conv + dense == 192
    # the first convolution reads the model's input: no input gradient (2x); the Dense 3x
    assert training_flops(model) == 2 * conv + 3 * dense == 432


def test_lstm_dense_on_sequences_and_frozen_layers():
    inputs = keras.Input((5, 3))
    x = keras.layers.Dense(6)(inputs)  # per time step: 5 x 3 x 6
    frozen = keras.layers.LSTM(4)
    frozen.trainable = False
    outputs = frozen(x)  # 4 gates x (6 + 4) x 4 per step, 5 steps
    model = keras.Model(inputs, outputs)
    dense, lstm = 2 * 5 * 3 * 6, 2 * 4 * (6 + 4) * 4 * 5
    assert forward_flops(model) == dense + lstm
    assert training_flops(model) == 2 * dense + 2 * lstm  # frozen: forward + input gradient only


def test_nested_model_counted_per_call_and_shared_layers_per_node():
    inner_in = keras.Input((7,))
    inner = keras.Model(inner_in, keras.layers.Dense(5)(inner_in))
    shared = keras.layers.Dense(2)
    a, b = keras.Input((7,)), keras.Input((7,))
    outputs = keras.layers.Concatenate()([shared(inner(a)), shared(inner(b))])
    model = keras.Model([a, b], outputs)
    assert forward_flops(model) == 2 * (2 * 7 * 5) + 2 * (2 * 5 * 2)


def test_talluri_model_a_by_hand():
    from papers.talluri2022.model import build_model_a

    model = build_model_a(input_shape=(36, 128, 128, 1))
    conv1 = 2 * 27 * 1 * 16 * (36 * 128 * 128)  # 'same': 36 x 128 x 128 x 16 outputs
    conv2 = 2 * 27 * 16 * 16 * (12 * 42 * 42)  # after MaxPool3D 3
    dense = 2 * 12544 * 128 + 2 * 128 * 3
    assert forward_flops(model) == conv1 + conv2 + dense
    assert training_flops(model) == 2 * conv1 + 3 * (conv2 + dense)


def test_matmul_rate_per_wall_and_cpu_second():
    assert matmul_rate(n=64, repeats=2) > 0
    assert matmul_rate(n=64, repeats=2, clock="cpu") > 0
    assert all(rate > 0 for rate in matmul_rates(n=64, repeats=2, dtype="bfloat16"))
    with pytest.raises(ValueError, match="clock"):
        matmul_rate(n=8, clock="gpu")


def test_the_accelerator_matmul_path_synchronises_on_this_backend():
    # On a card matmul_rates takes this path (device-resident, queued, synchronised); on the CPU it runs
    # the same code, so a backend whose synchronisation call is missing or renamed fails here.
    from common.flops import _device_matmul_rate, accelerator, model_dtype

    assert accelerator() is None  # the test machine has no card: matmul_rates keeps the host path
    assert _device_matmul_rate(64, 2, "float32", queued=3) > 0
    assert _device_matmul_rate(64, 1, "bfloat16", queued=2) > 0
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert model_dtype(model) == "float32"
