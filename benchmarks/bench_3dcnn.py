#!/usr/bin/env python
"""Training throughput of the 3D CNNs (Talluri Model-A/B/C, Reddy MicroExpSTCNN / FuseNet) on this
machine: samples per second and the fraction of the machine's measured float32 matrix-multiply rate.

    .venv/bin/python benchmarks/bench_3dcnn.py                    # Model-A, Model-B, Model-C, STCNN 64x64x18
    .venv/bin/python benchmarks/bench_3dcnn.py --models stcnn_casme_sq fusenet_intermediate --steps 3

Training FLOPs are counted analytically from the built layers: a Conv3D costs
``2 * prod(kernel) * C_in * C_out * output voxels`` multiply-adds x 2, a Dense ``2 * in * out``; one
training step costs about 3x the forward pass (forward, gradient w.r.t. inputs, gradient w.r.t.
weights; pooling, BN and activations are not counted). The matmul rate is the best of several
``keras.ops.matmul`` calls on two 2048 x 2048 float32 matrices (2 n^3 FLOPs each).
Memory: ``stcnn_casme_sq`` holds 44 M parameters, the FuseNets 177 M (about 0.7 GB of weights plus
as much again for gradients); run them alone on a machine with a few GB free.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from papers.reddy2019.model import (build_microexpfusenet_intermediate, build_microexpfusenet_late,  # noqa: E402
                                    build_microexpstcnn)
from papers.talluri2022.model import build_model_a, build_model_b, build_model_c  # noqa: E402

# name -> (builder, paper batch size)
MODELS = {
    "model_a": (lambda: build_model_a((36, 128, 128, 1)), 4),  # Talluri Sec. 6.1
    "model_b": (lambda: build_model_b((64, 64, 36, 1)), 8),  # Sec. 6.2
    "model_c": (lambda: build_model_c((36, 128, 128, 1)), 4),  # Sec. 6.3
    "stcnn_smic": (lambda: build_microexpstcnn((64, 64, 18, 1)), 8),  # Reddy Sec. IV-B, SMIC
    "stcnn_casme_sq": (lambda: build_microexpstcnn((64, 64, 96, 1)), 8),  # 44 M parameters
    "fusenet_intermediate": (lambda: build_microexpfusenet_intermediate((32, 32, 96, 1)), 8),  # 177 M
    "fusenet_late": (lambda: build_microexpfusenet_late((32, 32, 96, 1)), 8),  # 177 M
}
DEFAULT = ("model_a", "model_b", "model_c", "stcnn_smic")


def matmul_flops_per_second(n: int = 2048, repeats: int = 5) -> float:
    """Best-of-``repeats`` float32 matmul rate (FLOP/s) through the Keras backend."""
    a = keras.ops.convert_to_tensor(np.random.default_rng(0).normal(size=(n, n)).astype(np.float32))
    b = keras.ops.convert_to_tensor(np.random.default_rng(1).normal(size=(n, n)).astype(np.float32))
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
        best = min(best, time.perf_counter() - start)
    return 2.0 * n ** 3 / best


def forward_flops(model: keras.Model) -> int:
    """Multiply-add FLOPs (x2) of one sample's forward pass through Conv3D and Dense layers."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv3D):
            out = layer.output.shape[1:]  # (d1, d2, d3, C_out)
            c_in = layer.input.shape[-1]
            total += 2 * int(np.prod(layer.kernel_size)) * c_in * int(np.prod(out))
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return int(total)


def bench(name: str, steps: int, batch: int | None) -> dict:
    builder, paper_batch = MODELS[name]
    model = builder()
    batch = batch or paper_batch
    model.compile(optimizer=keras.optimizers.SGD(0.001), loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(batch,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]
    x = inputs if len(inputs) > 1 else inputs[0]
    y = keras.utils.to_categorical(rng.integers(0, 3, batch), 3)
    model.train_on_batch(x, y)  # build the training function
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    seconds = (time.perf_counter() - start) / steps
    flops = 3 * forward_flops(model) * batch
    return {"model": name, "params": model.count_params(), "batch": batch, "seconds_per_step": seconds,
            "samples_per_second": batch / seconds, "train_gflop_per_sample": flops / batch / 1e9,
            "achieved_gflops": flops / seconds / 1e9}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT), choices=sorted(MODELS))
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per model")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default: the paper's)")
    args = parser.parse_args(argv)
    peak = matmul_flops_per_second()
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPU(s); float32 matmul 2048^2: {peak / 1e9:.1f} GFLOP/s")
    print(f"{'model':<22}{'params':>13}{'batch':>6}{'s/step':>9}{'samples/s':>11}{'GFLOP/sample':>14}"
          f"{'GFLOP/s':>9}{'of matmul':>11}")
    for name in args.models:
        r = bench(name, args.steps, args.batch)
        print(f"{r['model']:<22}{r['params']:>13,}{r['batch']:>6}{r['seconds_per_step']:>9.3f}"
              f"{r['samples_per_second']:>11.2f}{r['train_gflop_per_sample']:>14.2f}{r['achieved_gflops']:>9.1f}"
              f"{r['achieved_gflops'] * 1e9 / peak:>10.1%}")
        keras.backend.clear_session()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
