#!/usr/bin/env python
"""Training step time in float32 vs mixed precision (and optionally XLA) on this device, through the
suite's own ``common.training.compile_model`` (``TrainConfig.mixed_precision`` / ``jit_compile``).

    .venv/bin/python benchmarks/bench_precision.py                           # Model-B, STCNN 64x64x18, ResNet50-ROI
    .venv/bin/python benchmarks/bench_precision.py --models model_b --modes float32 mixed xla --steps 3

The modes of one model are built from the same seed, compiled, warmed up (tracing excluded) and then
timed in alternating rounds, so a change in the machine's load hits every mode alike. Per step it
prints the median wall time and the median process CPU time (user + sys of every thread, the figure
to quote on a shared machine) and each mode's CPU time as a ratio of the first mode's (float32 unless
``--modes`` starts with another). Mixed precision is
``mixed_bfloat16`` on a CPU and ``mixed_float16`` on a GPU (``common.training.mixed_policy``); it
pays on a CPU only with native bfloat16 instructions (AVX512_BF16 / AMX). Printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras
import numpy as np

from common.flops import accelerator, matmul_rate
from common.train_config import TrainConfig
from common.training import compile_model, mixed_policy, set_seed, trainable_parameters


def _le2020(backbone: str, size: int = 224):
    from papers.le2020.model import build_roi_cnn
    from papers.le2020.config import ModelConfig

    return build_roi_cnn(config=ModelConfig(backbone=backbone, input_size=size, weights=""), num_classes=4)


def _stcnn(shape):
    from common.backbones import build_microexpstcnn

    return build_microexpstcnn(input_shape=shape)


def _talluri(name: str):
    from papers.talluri2022 import model

    builders = {"model_a": lambda: model.build_model_a(input_shape=(36, 128, 128, 1)),
                "model_b": lambda: model.build_model_b(input_shape=(64, 64, 36, 1)),
                "model_c": lambda: model.build_model_c(input_shape=(36, 128, 128, 1))}
    return builders[name]()


def _htnet():
    from papers.wang2024.config import default_config
    from papers.wang2024.model import build_model

    return build_model(config=default_config(), num_classes=3)


def _aouayeb(name: str):
    from papers.aouayeb2019 import model

    if name == "lstm_stage":
        return model.build_lstm_stage()
    return model.build_region_cnn(input_shape=model.region_input_shape(0))


# name -> (builder at the paper's input size, paper batch size)
MODELS = {
    "model_a": (lambda: _talluri("model_a"), 4),  # Talluri Sec. 6.1
    "model_b": (lambda: _talluri("model_b"), 8),  # Talluri Sec. 6.2 (MicroExpSTCNN at 64x64x36)
    "model_c": (lambda: _talluri("model_c"), 4),  # Talluri Sec. 6.3
    "stcnn_smic": (lambda: _stcnn((64, 64, 18, 1)), 8),  # Reddy Sec. IV-B, SMIC
    "region_cnn": (lambda: _aouayeb("region_cnn"), 64),  # Aouayeb Sec. 4.1.2, region 0 (stage 1)
    "lstm_stage": (lambda: _aouayeb("lstm_stage"), 244),  # Aouayeb Sec. 4.1.2 (stage 2; six 500-step inputs)
    "resnet50_roi": (lambda: _le2020("resnet50"), 8),  # Le et al. Sec. III-D at 224 (paper batch 32)
    "senet50_roi": (lambda: _le2020("senet50"), 8),
    "vgg19_roi": (lambda: _le2020("vgg19"), 8),
    "htnet": (_htnet, 256),  # main_HTNet.py l. 222-231, 240: the paper-size network (139.6 M parameters), batch 256
}
DEFAULT = ("model_b", "stcnn_smic", "resnet50_roi")
MODES = {"float32": TrainConfig(optimizer="sgd", learning_rate=1e-3),
         "mixed": TrainConfig(optimizer="sgd", learning_rate=1e-3, mixed_precision=True),
         "xla": TrainConfig(optimizer="sgd", learning_rate=1e-3, jit_compile="on"),
         "mixed_xla": TrainConfig(optimizer="sgd", learning_rate=1e-3, mixed_precision=True, jit_compile="on")}


def bench(name: str, modes: list[str], steps: int, rounds: int, batch: int | None) -> dict:
    builder, paper_batch = MODELS[name]
    batch = batch or paper_batch
    compiled, params = {}, {}
    for mode in modes:
        set_seed(0)
        compiled[mode] = compile_model(builder(), MODES[mode])
        params[mode] = trainable_parameters(compiled[mode])
    model = compiled[modes[0]]
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(batch,) + tuple(t.shape[1:])).astype(np.float32) for t in model.inputs]
    x = inputs if len(inputs) > 1 else inputs[0]
    y = keras.utils.to_categorical(rng.integers(0, 3, batch), int(model.outputs[0].shape[-1]))
    for m in compiled.values():  # trace and warm up
        m.train_on_batch(x, y)
        m.train_on_batch(x, y)
    wall = {mode: [] for mode in modes}
    cpu = {mode: [] for mode in modes}
    for _ in range(rounds):
        for mode, m in compiled.items():
            for _ in range(steps):
                w, c = time.perf_counter(), time.process_time()
                loss = m.train_on_batch(x, y)
                wall[mode].append(time.perf_counter() - w)
                cpu[mode].append(time.process_time() - c)
            if not np.isfinite(np.ravel(loss)[0]):
                raise SystemExit(f"{name} {mode}: non-finite loss {loss}")
    return {"model": name, "batch": batch, "params": params,
            "wall": {k: float(np.median(v)) for k, v in wall.items()},
            "cpu": {k: float(np.median(v)) for k, v in cpu.items()},
            "policy": {k: m.dtype_policy.name for k, m in compiled.items()},
            "jit": {k: bool(m.jit_compile) for k, m in compiled.items()}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT), choices=sorted(MODELS),
                        help="the models to time (default: %(default)s)")
    parser.add_argument("--modes", nargs="+", default=["float32", "mixed"], choices=list(MODES),
                        help="the precisions to compare (default float32 mixed)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per mode and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds over the modes")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default: per model, see MODELS)")
    args = parser.parse_args(argv)
    rates = {d: matmul_rate(dtype=d) for d in ("float32", "bfloat16")}
    size = "8192^2 on the device" if accelerator() else "2048^2"
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPU(s), mixed policy here: {mixed_policy()}; "
          f"matmul {size}: float32 {rates['float32'] / 1e9:.1f} GFLOP/s, "
          f"bfloat16 {rates['bfloat16'] / 1e9:.1f} GFLOP/s")
    print(f"{'model':<14}{'batch':>6} {'mode':<10}{'policy':<16}{'XLA':>5}{'params':>13}{'wall ms/step':>14}"
          f"{'CPU ms/step':>13}{'CPU vs ' + args.modes[0]:>16}")
    for name in args.models:
        r = bench(name, args.modes, args.steps, args.rounds, args.batch)
        base = r["cpu"][args.modes[0]]
        for mode in args.modes:
            print(f"{name:<14}{r['batch']:>6} {mode:<10}{r['policy'][mode]:<16}{'on' if r['jit'][mode] else 'off':>5}"
                  f"{r['params'][mode]:>13,}{1000 * r['wall'][mode]:>14.0f}{1000 * r['cpu'][mode]:>13.0f}"
                  f"{r['cpu'][mode] / base:>15.2f}x")
        keras.backend.clear_session()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
