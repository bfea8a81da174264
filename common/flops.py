"""Floating-point work of a Keras model, and the device's matmul rate to compare it with.

:func:`training_flops` counts, per sample, the multiply-adds (x 2) of one training step through the
layers that hold nearly all of a network's arithmetic: convolutions (1D/2D/3D, depthwise, separable),
``Dense`` (on every leading position of its input: a Dense on sequences counts per step) and the
recurrent cells (LSTM: 4 gates, GRU: 3 gates, SimpleRNN: 1, each ``(input + units) x units`` per
time step; ``Bidirectional`` twice). Pooling, normalisation, activations, dropout and the loss are
not counted (memory-bound, a few % of the arithmetic). A training step is the forward pass, the
gradient with respect to the weights (layers with trainable weights) and the gradient with respect to
the inputs (not needed where a layer reads the model's inputs directly): 3x the forward pass for most
layers, 2x for a first convolution. Layers are counted per call (``_inbound_nodes``), nested models
(pretrained backbones) once per call of the nested model.

:func:`matmul_rate` is the yardstick "fraction of the device's matmul rate" divides by, through the
backend (``keras.ops.matmul``, ``2 n^3`` FLOPs a product). On the CPU: the best of a few float32 products
of two 2048 x 2048 matrices, each copied back to numpy (the copy is negligible next to a CPU product).
On an accelerator that copy would be most of what is timed (on one H100 it read 1-5 TFLOP/s against the
card's 51.6 float32 / 410 TF32): there the matrices are made on the device, 8192 x 8192 (large enough to
reach the card's ceiling), several products are queued back to back and the clock stops after the
device has finished them (``block_until_ready`` on JAX, ``torch.cuda.synchronize`` on PyTorch,
``tf.test.experimental.sync_devices`` on TensorFlow). "float32" is float32 as the backend computes it
by default, which is what the models get: TF32 tensor cores on JAX and TensorFlow (their default on
Ampere and later), plain float32 on PyTorch (its default for matmuls). :func:`model_dtype` names the
dtype a model computes in, for the second yardstick (mixed precision).

Written by hand: no maintained library counts a Keras 3 model's FLOPs on every backend (``keras-flops``
and the TensorFlow profiler are TensorFlow-only and count the traced graph, pooling and all).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

CONV_TYPES = ("Conv1D", "Conv2D", "Conv3D")
RECURRENT_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def _dims(shape: Any) -> tuple[int, ...]:
    """A symbolic shape without its batch axis, as ints (an unknown length counts 1)."""
    return tuple(int(d) if d is not None else 1 for d in tuple(shape)[1:])


def _layer_forward(layer: Any, inputs: tuple, outputs: tuple) -> int:
    """Forward FLOPs (2 x multiply-adds) of one call of a leaf layer, per sample."""
    kind = type(layer).__name__
    if kind == "Bidirectional":
        return 2 * _layer_forward(layer.forward_layer, inputs, outputs)
    if not inputs or not outputs:
        return 0
    x, y = _dims(inputs[0].shape), _dims(outputs[0].shape)
    if kind in CONV_TYPES:
        groups = int(getattr(layer, "groups", 1) or 1)
        c_in = x[-1] if layer.data_format == "channels_last" else x[0]
        c_out = y[-1] if layer.data_format == "channels_last" else y[0]
        positions = int(np.prod(y)) // c_out
        return 2 * int(np.prod(layer.kernel_size)) * (c_in // groups) * c_out * positions
    if kind in ("DepthwiseConv1D", "DepthwiseConv2D"):
        return 2 * int(np.prod(layer.kernel_size)) * int(np.prod(y))
    if kind in ("SeparableConv2D", "SeparableConv1D"):
        c_in = x[-1] if layer.data_format == "channels_last" else x[0]
        c_out = y[-1] if layer.data_format == "channels_last" else y[0]
        positions = int(np.prod(y)) // c_out
        depthwise = 2 * int(np.prod(layer.kernel_size)) * c_in * layer.depth_multiplier * positions
        return depthwise + 2 * c_in * layer.depth_multiplier * c_out * positions
    if kind == "Dense":
        return 2 * x[-1] * int(layer.units) * int(np.prod(x[:-1]))
    if kind in RECURRENT_GATES:
        steps, features = (x[0], x[-1]) if len(x) >= 2 else (1, x[-1])
        units = int(layer.units)
        return 2 * RECURRENT_GATES[kind] * (features + units) * units * steps
    return 0


def _is_model(layer: Any) -> bool:
    return hasattr(layer, "layers") and hasattr(layer, "inputs") and type(layer).__name__ != "Bidirectional"


def _count(model: Any, training: bool) -> int:
    model_inputs = {id(t) for t in model.inputs}
    total = 0
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if _is_model(layer):
            calls = max(1, sum(1 for _ in layer._inbound_nodes))
            total += calls * _count(layer, training)
            continue
        trainable = any(getattr(w, "trainable", False) for w in layer.weights)
        for node in layer._inbound_nodes:
            inputs, outputs = tuple(node.input_tensors), tuple(node.output_tensors)
            forward = _layer_forward(layer, inputs, outputs)
            if not training or forward == 0:
                total += forward
                continue
            reads_model_input = all(id(t) in model_inputs for t in inputs)
            factor = 1 + (1 if trainable else 0) + (0 if reads_model_input else 1)
            total += factor * forward
    return int(total)


def training_flops(model: Any) -> int:
    """FLOPs of one sample's training step: forward, weight gradients, input gradients (module docstring)."""
    return _count(model, training=True)


def accelerator() -> str | None:
    """The accelerator the Keras backend computes on (``"gpu"``, ``"tpu"``), or None on the CPU."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return ("gpu" if tf.config.list_logical_devices("GPU")
                    else ("tpu" if tf.config.list_logical_devices("TPU") else None))
        if backend == "jax":
            import jax

            platform = jax.default_backend()
            return None if platform == "cpu" else platform
        if backend == "torch":
            import torch

            return "gpu" if torch.cuda.is_available() else None
    except Exception:  # a device query that fails means no accelerator to use
        return None
    return None


def model_dtype(model: Any) -> str:
    """The dtype ``model`` computes in (``"float32"``, ``"bfloat16"``, ``"float16"``): its matmul yardstick's."""
    policy = getattr(model, "dtype_policy", None)
    return str(getattr(policy, "compute_dtype", None) or "float32")


def _synchronise(result: Any) -> None:
    """Wait until the device has computed ``result`` (and everything queued before it)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        result.block_until_ready()
    elif backend == "torch":
        import torch

        torch.cuda.synchronize()
    elif backend == "tensorflow":
        import tensorflow as tf

        tf.test.experimental.sync_devices()
    else:
        keras.ops.convert_to_numpy(result)


def _device_matmul_rate(n: int, repeats: int, dtype: str, queued: int = 10) -> float:
    """FLOP/s of ``queued`` back-to-back products of two device-resident ``n x n`` matrices, synchronised; best
    of ``repeats``. The matrices are drawn on the device (``keras.random``): nothing crosses to the host."""
    import keras

    a = keras.random.normal((n, n), seed=0, dtype=dtype)
    b = keras.random.normal((n, n), seed=1, dtype=dtype)
    for _ in range(2):  # warm-up: kernel selection, clocks up
        _synchronise(keras.ops.matmul(a, b))
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(queued):
            c = keras.ops.matmul(a, b)
        _synchronise(c)
        best = min(best, time.perf_counter() - started)
    return 2.0 * n ** 3 * queued / max(best, 1e-9)


def matmul_rates(n: int | None = None, repeats: int = 5, dtype: str = "float32") -> tuple[float, float]:
    """``keras.ops.matmul`` rates of two ``n x n`` matrices of ``dtype`` (float32 unless asked: ``"bfloat16"``,
    ``"float16"``), in FLOP/s, each the best of the same ``repeats`` calls: per second of wall time, and per
    second of process CPU time, all threads (FLOPs per core-second on a CPU backend, hardly moved by other
    processes on a shared machine). On an accelerator (module docstring): device-resident, ``n`` = 8192
    unless given, synchronised; the per-CPU-second figure is then the wall one (the host only waits)."""
    import keras

    if accelerator() is not None:
        rate = _device_matmul_rate(8192 if n is None else n, repeats, dtype)
        return rate, rate
    n = 2048 if n is None else n
    rng = np.random.default_rng(0)
    a = keras.ops.cast(rng.normal(size=(n, n)).astype(np.float32), dtype)
    b = keras.ops.cast(rng.normal(size=(n, n)).astype(np.float32), dtype)
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm-up
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    flops = 2.0 * n ** 3
    return flops / max(best_wall, 1e-9), flops / max(best_cpu, 1e-9)


def matmul_rate(n: int | None = None, repeats: int = 5, clock: str = "wall", dtype: str = "float32") -> float:
    """One of :func:`matmul_rates`: per second of wall time (``clock="wall"``) or of process CPU time (``"cpu"``)."""
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock={clock!r}: expected 'wall' or 'cpu'")
    wall, cpu = matmul_rates(n, repeats, dtype)
    return wall if clock == "wall" else cpu
